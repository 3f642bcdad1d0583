#!/usr/bin/env python3
"""clients.py - helpers of test_clients.sh (stdlib only).

    clients.py fill SRC DST WORK TOOL ARGS
        Copy the reply templates of SRC (tests/data/clients/<family>/) to DST,
        filling in @TOOL@, @ARGS@ (ARGS, a JSON object), @ARGS_STR@ (ARGS as
        the inside of a JSON string) and @WORK@ (the client's directory).

    clients.py usage CLIENT FAMILY OUT ERR
        Check the tokens the client reports for a tool run (its JSON output,
        or Codex's "tokens used" line) against what the mock's two replies
        declared: input = the prompt tokens of both, output = both turns'
        output tokens, reasoning included (Gemini CLI: candidates + thoughts,
        as Gemini counts thoughts apart).  Prints the numbers; exit 1 when
        they differ.

    clients.py check FAMILY KIND MOCKLOG CLIENTKEY [TOOL]
        Check what the mock upstream saw during one client run.  KIND is hi,
        router or tool.  Prints one line: what was seen (exit 0), or what is
        wrong (exit 1).

What a run must show upstream:
  - at least one request, and every request is of FAMILY: its upstream key
    and its path (so cliproxy translated to that family and sent nothing to
    any other upstream), and none carries the client's key;
  - hi: one answered with hi.reply;
  - router: the JSON router call (router.reply), then hi.reply;
  - tool: tool.reply (the mock asks for TOOL), then final.reply (a request
    that carries the tool's result, matched by upstream.rules), and that
    request replays the call: same TOOL, the mock's call id where the family
    has one, and the family's own rules for replayed calls (Claude: with
    thinking on, the assistant turn starts with the mock's signed thinking
    block; Gemini: the functionCall part carries a thoughtSignature; Codex:
    a replayed reasoning item keeps the mock's encrypted_content).
"""
import json
import os
import re
import sys

FAMILIES = {
    "claude": ("sk-clients-claude", r"^/v1/messages(\?|$)"),
    "gemini": ("gm-clients-gemini", r"^/v1beta/models/[^/:]+:(streamGenerateContent\?alt=sse|generateContent)$"),
    "codex": ("sk-clients-codex", r"^/v1/responses$"),
    "openai": ("sk-clients-compat", r"^/v1/chat/completions$"),
}
CALL_ID = {"claude": "toolu_mock_1", "codex": "call_mock_1", "openai": "call_mock_1"}
SIG = {"claude": "bW9jay1jbGF1ZGUtc2lnbmF0dXJl", "codex": "bW9jay1jb2RleC1lbmNyeXB0ZWQ="}


# The usage the tool.reply + final.reply of each family declare, summed:
# (input, output with reasoning).  Keep in step with gen-replies.py.
USAGE = {"claude": (200 + 200, 30 + 14), "gemini": (110 + 140, 20 + 14),
         "codex": (310 + 360, 30 + 14), "openai": (160 + 200, 20 + 14)}


def usage(client, fam, out, err):
    want = USAGE[fam]
    try:
        if client == "codex":
            m = re.search(r"tokens used\s*\n\s*([\d,]+)", open(err, encoding="utf-8").read())
            if not m:
                return "no \"tokens used\" line"
            got = int(m.group(1).replace(",", ""))
            return None if got == sum(want) else \
                "tokens used %d, want %d (%d in + %d out)" % (got, sum(want), want[0], want[1])
        with open(out, encoding="utf-8") as f:
            text = f.read()
        if client == "qwen-code":
            j = [e for e in json.loads(text.strip().split("\n")[0]) if e.get("type") == "result"][-1]
        else:
            j = json.loads(text)
        if client == "gemini-cli":
            t = [m["tokens"] for m in j["stats"]["models"].values()]
            got = (sum(x.get("prompt", 0) for x in t),
                   sum(x.get("candidates", 0) + x.get("thoughts", 0) for x in t))
        else:
            u = j["usage"]
            got = (u["input_tokens"] + u.get("cache_read_input_tokens", 0)
                   + u.get("cache_creation_input_tokens", 0), u["output_tokens"])
    except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
        return "cannot read the usage: %s: %s" % (type(e).__name__, e)
    return None if got == want else "tokens in/out %d/%d, want %d/%d" % (got + want)


def fill(src, dst, work, tool, args):
    a = json.loads(args.replace("@WORK@", work))
    a_obj = json.dumps(a, separators=(",", ":"))
    a_str = json.dumps(a_obj)[1:-1]
    os.makedirs(dst, exist_ok=True)
    for name in os.listdir(src):
        with open(os.path.join(src, name), encoding="utf-8") as f:
            t = f.read()
        if name.endswith(".reply"):
            t = (t.replace("@ARGS_STR@", a_str).replace("@ARGS@", a_obj)
                 .replace("@TOOL@", tool).replace("@WORK@", work))
        with open(os.path.join(dst, name), "w", encoding="utf-8") as f:
            f.write(t)


def replayed_call(fam, body, tool):
    """-> None if the tool call is replayed as the family wants, else why."""
    if fam == "claude":
        thinking = (body.get("thinking") or {}).get("type") in ("enabled", "adaptive")
        for m in body.get("messages", []):
            c = m.get("content")
            if m.get("role") != "assistant" or not isinstance(c, list):
                continue
            uses = [b for b in c if b.get("type") == "tool_use"]
            if not uses:
                continue
            if uses[0].get("name") != tool or uses[0].get("id") != CALL_ID[fam]:
                return "tool_use replayed as %s" % json.dumps(uses[0])[:200]
            if thinking and (c[0].get("type") not in ("thinking", "redacted_thinking")):
                return ("thinking is %s but the assistant turn with tool_use starts with %s "
                        "(the Claude API rejects that)" % (body["thinking"]["type"], c[0].get("type")))
            if c[0].get("type") == "thinking" and c[0].get("signature") != SIG[fam]:
                return "thinking block replayed with signature %r" % c[0].get("signature")
            return None
        return "no assistant tool_use in the second request"
    if fam == "gemini":
        for ct in body.get("contents", []):
            for p in ct.get("parts", []):
                if "functionCall" in p:
                    if p["functionCall"].get("name") != tool:
                        return "functionCall replayed as %s" % json.dumps(p)[:200]
                    if not p.get("thoughtSignature"):
                        return "functionCall part replayed without thoughtSignature"
                    return None
        return "no functionCall in the second request"
    if fam == "openai":
        for m in body.get("messages", []):
            for tc in m.get("tool_calls") or []:
                if tc.get("id") != CALL_ID[fam] or tc.get("function", {}).get("name") != tool:
                    return "tool call replayed as %s" % json.dumps(tc)[:200]
                return None
        return "no assistant tool_calls in the second request"
    if fam == "codex":
        calls = [i for i in body.get("input", []) if i.get("type") == "function_call"]
        if not calls:
            return "no function_call item in the second request"
        if calls[0].get("call_id") != CALL_ID[fam] or calls[0].get("name") != tool:
            return "function_call replayed as %s" % json.dumps(calls[0])[:200]
        for i in body.get("input", []):
            if i.get("type") == "reasoning" and i.get("encrypted_content") != SIG[fam]:
                return "reasoning item replayed with encrypted_content %r" % i.get("encrypted_content")
        return None
    return "unknown family"


def check(fam, kind, log, ckey, tool=None):
    key, path_rx = FAMILIES[fam]
    reqs = []
    if os.path.exists(log):
        with open(log, encoding="utf-8") as f:
            reqs = [json.loads(ln) for ln in f if ln.strip()]
    reqs = [r for r in reqs if "event" not in r]
    if not reqs:
        return "the mock upstream saw no request"
    for r in reqs:
        if r["key"] != key or not re.search(path_rx, r["path"]):
            return "request %d went to %s %s with key %r, not to the %s upstream" % (
                r["n"], r["method"], r["path"], r["key"], fam)
        if ckey in json.dumps(r["headers"]):
            return "request %d carries the client's key upstream" % r["n"]
    replies = [r["reply"] for r in reqs]
    seen = "%d upstream request(s) %s: %s" % (len(reqs), reqs[0]["path"].split("?")[0],
                                              ",".join(str(x).replace(".reply", "") for x in replies))
    if kind == "hi":
        return None if "hi.reply" in replies else "no request got the plain answer (%s)" % seen
    if kind == "router":
        if "router.reply" not in replies:
            return "no router call (%s)" % seen
        return None if "hi.reply" in replies[replies.index("router.reply"):] else \
            "no answer after the router call (%s)" % seen
    if "tool.reply" not in replies:
        return "the tool call was never asked for (%s)" % seen
    after = replies[replies.index("tool.reply"):]
    if "final.reply" not in after:
        return "the tool's result never came back upstream (%s)" % seen
    fin = reqs[replies.index("tool.reply") + after.index("final.reply")]
    why = replayed_call(fam, json.loads(fin["body"]), tool)
    return "request %d: %s" % (fin["n"], why) if why else None


def main(argv):
    if argv[1] == "fill":
        fill(*argv[2:7])
        return 0
    if argv[1] == "usage":
        why = usage(*argv[2:6])
        if why:
            print(why)
            return 1
        return 0
    if argv[1] == "check":
        fam, kind, log, ckey = argv[2:6]
        why = check(fam, kind, log, ckey, argv[6] if len(argv) > 6 else None)
        if why:
            print(why)
            return 1
        return 0
    print("usage: clients.py fill|check ...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
