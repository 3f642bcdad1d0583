#!/bin/sh
# build-curl.sh DIR - the lean build's libcurl: Debian's own curl source
# package (apt-get source, with Debian's patches), configured for HTTP(S) over
# OpenSSL only and built as a static library in DIR/src/lib/.libs/libcurl.a.
# Why: Debian's shared libcurl drags ~30 libraries into every process, and
# loading them is most of what a fresh connection process costs (README,
# "Start-up cost").  Uses private apt state under DIR: the system's apt
# configuration is not touched.  Idempotent.
set -eu
dir=$1
[ -f "$dir/src/lib/.libs/libcurl.a" ] && exit 0
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# Several makes may want it at once: one builds, the others wait.
exec 9>"$dir/.lock"
flock 9
[ -f "$dir/src/lib/.libs/libcurl.a" ] && exit 0
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/dl"
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
{
	echo "deb-src http://deb.debian.org/debian $suite main"
	echo "deb-src http://deb.debian.org/debian-security $suite-security main"
	echo "deb-src http://deb.debian.org/debian $suite-updates main"
} >"$dir/apt/sources.list"
apt_opts="-q -o Dir::Etc::SourceList=$dir/apt/sources.list -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists=$dir/apt/lists -o Dir::Cache=$dir/apt/cache -o APT::Sandbox::User=root"
echo "build-curl: fetching Debian's curl source" >&2
apt-get $apt_opts update >/dev/null
(cd "$dir/dl" && apt-get $apt_opts source --download-only curl >/dev/null 2>&1)
rm -rf "$dir/x" && mkdir "$dir/x"
(cd "$dir/x" && dpkg-source -x "$dir"/dl/curl_*.dsc >/dev/null)
rm -rf "$dir/src"
mv "$dir"/x/curl-* "$dir/src"
rm -rf "$dir/x"
cd "$dir/src"
echo "build-curl: configuring and building libcurl (HTTP/HTTPS, OpenSSL, zlib)" >&2
./configure --disable-shared --enable-static --with-openssl --with-zlib \
	--disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet \
	--disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
	--disable-gopher --disable-mqtt --disable-manual --disable-ftp --disable-file \
	--disable-ntlm --disable-kerberos-auth --disable-negotiate-auth --disable-docs \
	--disable-cookies --disable-alt-svc --disable-hsts \
	--without-libpsl --without-nghttp2 --without-libidn2 --without-librtmp \
	--without-libssh2 --without-zstd --without-brotli --without-gssapi \
	--with-ca-path=/etc/ssl/certs --without-ca-bundle >"$dir/configure.log" 2>&1 ||
	{ tail -20 "$dir/configure.log" >&2; exit 1; }
make -j"$(nproc)" -C lib >"$dir/make.log" 2>&1 || { tail -20 "$dir/make.log" >&2; exit 1; }
echo "build-curl: $dir/src/lib/.libs/libcurl.a" >&2
