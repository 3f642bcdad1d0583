#!/usr/bin/env python3
"""rawhttp.py - a deliberately crude HTTP client for hostile-input tests.

usage: rawhttp.py PORT [--pause-after N SECONDS] [--read-timeout S] < request-bytes
Sends stdin's bytes to 127.0.0.1:PORT (optionally pausing after N bytes),
then prints everything the server sends until it closes the connection or
the read timeout passes; exits 0, or 3 when the timeout passed first.
"""
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    port = int(args.pop(0))
    pause_at, pause_s, read_timeout = None, 0.0, 15.0
    while args:
        a = args.pop(0)
        if a == "--pause-after":
            pause_at, pause_s = int(args.pop(0)), float(args.pop(0))
        elif a == "--read-timeout":
            read_timeout = float(args.pop(0))
    data = sys.stdin.buffer.read()
    s = socket.create_connection(("127.0.0.1", port))
    try:
        if pause_at is not None:
            s.sendall(data[:pause_at])
            time.sleep(pause_s)
            data = data[pause_at:]
        if data:
            s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    s.settimeout(read_timeout)
    out = b""
    code = 0
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        code = 3
    except ConnectionResetError:
        pass
    sys.stdout.buffer.write(out)
    sys.exit(code)


if __name__ == "__main__":
    main()
