#!/bin/sh
# deps.sh PKG... - make sure the Debian packages are installed.  As root,
# apt-get installs the missing ones; otherwise print the exact command and fail.
missing=
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "installing:$missing"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } >&2 ||
		{ echo "apt-get install failed:$missing" >&2; exit 1; }
else
	echo "missing packages; run:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
