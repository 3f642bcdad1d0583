#!/bin/sh
# lint.sh - checks no compiler does: banned functions, man pages clean under
# mandoc -T lint, SYNOPSIS identical to --help.  Prints TAP lines; exits 1
# on any failure.
set -u
cd "$(dirname "$0")/.."
: "${CLIPROXY:=./cliproxy}"
n=0
bad=0
say() { n=$((n + 1)); if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; bad=1; fi; }

# 1. Banned functions in product code (DESIGN.md §4.9); "lint-ok" marks a
#    reviewed exception on its line.
hits=$(grep -nE '(^|[^_a-zA-Z0-9])(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|strtol|strtoul|sscanf|gets)[[:space:]]*\(' \
	cliproxy.c core/*.c translate/*.c providers/*.c auth/*.c 2>/dev/null | grep -v 'lint-ok')
if [ -z "$hits" ]; then say ok "no banned functions"; else say fail "banned functions:"; echo "$hits" | sed 's/^/#   /'; fi

# 2. Man pages.
for m in man/*.[0-9]; do
	out=$(mandoc -T lint -W warning "$m" 2>&1)
	if [ -z "$out" ]; then say ok "mandoc lint $m"; else say fail "mandoc lint $m"; echo "$out" | sed 's/^/#   /'; fi
done

# 3. SYNOPSIS of cliproxy(1) == usage().
syn=$(mandoc -T utf8 -O width=200 man/cliproxy.1 | col -bx | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' |
	sed '1d;$d' | sed 's/^ *//' | grep -v '^$')
use=$("$CLIPROXY" --help | sed -n '1,/^$/p' | sed 's/^usage: //; s/^ *//' | grep -v '^$')
if [ "$syn" = "$use" ]; then say ok "SYNOPSIS matches --help"; else
	say fail "SYNOPSIS differs from --help"
	printf '%s\n' "$syn" >/tmp/lint-syn.$$; printf '%s\n' "$use" >/tmp/lint-use.$$
	diff /tmp/lint-syn.$$ /tmp/lint-use.$$ | sed 's/^/#   /'; rm -f /tmp/lint-syn.$$ /tmp/lint-use.$$
fi

# 4. Every long flag in --help is documented in cliproxy(1).
for f in $("$CLIPROXY" --help | grep -oE -- '--[a-z-]+' | sort -u); do
	if grep -q -- "Fl \\\\${f#-}" man/cliproxy.1; then say ok "flag $f documented"; else say fail "flag $f not in man/cliproxy.1"; fi
done
exit $bad
