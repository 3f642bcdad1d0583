#!/bin/sh
# test_install.sh - `make install` into a DESTDIR: the files a user gets,
# their modes, unit files that systemd accepts (systemd-analyze verify), man
# pages that render, and `make uninstall` leaving nothing behind.
. "$(dirname "$0")/lib.sh"
D=$T/root
make --no-print-directory -s install DESTDIR="$D" PREFIX=/usr/local >"$T/out" 2>&1
check "make install succeeds" [ $? -eq 0 ]
for f in bin/cliproxy share/man/man1/cliproxy.1 share/man/man5/cliproxy.yaml.5 \
	lib/systemd/user/cliproxy.socket lib/systemd/user/cliproxy@.service \
	lib/systemd/system/cliproxy.socket lib/systemd/system/cliproxy@.service \
	lib/systemd/user/cliproxy-refresh.service lib/systemd/user/cliproxy-refresh.timer; do
	check "installed $f" [ -f "$D/usr/local/$f" ]
done
check "binary is executable" [ -x "$D/usr/local/bin/cliproxy" ]
check "unit ExecStart points at the installed binary" \
	grep -q '^ExecStart=/usr/local/bin/cliproxy serve$' "$D/usr/local/lib/systemd/user/cliproxy@.service"
# systemd-analyze checks ExecStart's binary exists: point it at the DESTDIR copy.
mkdir -p "$T/units"
cp "$D/usr/local/lib/systemd/system/cliproxy.socket" "$T/units/"
sed "s|/usr/local/bin|$D/usr/local/bin|" "$D/usr/local/lib/systemd/system/cliproxy@.service" >"$T/units/cliproxy@.service"
sed "s|/usr/local/bin|$D/usr/local/bin|" "$D/usr/local/lib/systemd/system/cliproxy-refresh.service" >"$T/units/cliproxy-refresh.service"
cp "$D/usr/local/lib/systemd/system/cliproxy-refresh.timer" "$T/units/"
(cd "$T/units" && systemd-analyze verify --man=no cliproxy.socket cliproxy@.service \
	cliproxy-refresh.service cliproxy-refresh.timer) >"$T/verify" 2>&1
check "systemd-analyze verify accepts the units" sh -c "[ ! -s '$T/verify' ]"
[ -s "$T/verify" ] && sed 's/^/#   /' "$T/verify"
check "socket unit: Accept=yes on 127.0.0.1:8317" sh -c \
	"grep -q '^Accept=yes' '$T/units/cliproxy.socket' && grep -q '^ListenStream=127.0.0.1:8317' '$T/units/cliproxy.socket'"
check "man cliproxy renders" sh -c "mandoc -T utf8 '$D/usr/local/share/man/man1/cliproxy.1' | grep -q 'one process per connection'"
make --no-print-directory -s uninstall DESTDIR="$D" PREFIX=/usr/local >"$T/out" 2>&1
left=$(find "$D" -type f | wc -l)
check "make uninstall removes every file" [ "$left" -eq 0 ]
