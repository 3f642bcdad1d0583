# cliproxy - build, run, test, install.
#
#   make            build ./cliproxy
#   make run        install missing build deps, build, serve on 127.0.0.1:8317
#   make check      install missing deps, build, run every test ("N passed, N failed")
#   make check SAN=1    the same under ASan/UBSan (CI does this too)
#   make fuzz       libFuzzer on every harness for FUZZ_TIME seconds each (clang)
#   make bench      proxy vs direct-to-mock ratios
#   make lint       banned functions, mandoc -Tlint, keys/flags vs man pages
#   make install / uninstall    PREFIX (default /usr/local), DESTDIR

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
UNITDIR_USER ?= $(PREFIX)/lib/systemd/user
UNITDIR_SYSTEM ?= $(PREFIX)/lib/systemd/system
VERSION := 0.1.0

CC ?= cc
# Debian packages the product needs to build, and the tools its tests use.
BUILD_DEPS = gcc make pkg-config libcurl4-openssl-dev libjsmn-dev libyaml-dev \
	libssl-dev libcrypt-dev zlib1g-dev dpkg-dev
TEST_DEPS = systemd curl python3 mandoc bsdextrautils

# ---- The link choice lives here, and only here. ----------------------------
# LINK=lean (default): libcurl built from Debian's curl source package for
#               HTTP(S) over OpenSSL only (tests/build-curl.sh), linked
#               statically with OpenSSL, libyaml and zlib; the process maps only
#               libc and libcrypt.  A fresh connection process then costs ~0.6 M
#               instructions for HEAD / and ~1.8 M for a proxied request.
# LINK=dynamic: Debian's shared libraries; libcurl is dlopen()ed by the first
#               upstream call (providers/curl_load.c).  No source download.
# `make bench` builds both and compares them.
LINK ?= lean
PKGS = yaml-0.1 libssl libcrypto
CURL_BUILD = build-curl
CURL_A = $(CURL_BUILD)/src/lib/.libs/libcurl.a
ifeq ($(LINK),lean)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -I$(CURL_BUILD)/src/include
PKG_LIBS := $(CURL_A) -Wl,-Bstatic -lssl -lcrypto -lyaml -lz -Wl,-Bdynamic -lcrypt -lpthread -ldl
ALL_CFLAGS_LINK = -DCLIPROXY_CURL_STATIC
LINK_DEPS = $(CURL_A)
else
PKG_CFLAGS := $(shell pkg-config --cflags libcurl $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcrypt -ldl
ALL_CFLAGS_LINK =
LINK_DEPS =
endif

WARN = -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DCLIPROXY_VERSION='"$(VERSION)"' $(WARN) \
	$(PKG_CFLAGS) $(ALL_CFLAGS_LINK) -I. $(CFLAGS)
ifeq ($(WERROR),1)
ALL_CFLAGS += -Werror
endif

BUILD ?= build
ifeq ($(SAN),1)
BUILD = build-san
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
# Test builds only: CLIPROXY_FAIL_ALLOC=n fails the nth allocation.
ALL_CFLAGS += -DCLIPROXY_TEST_HOOKS
endif

# ---- Sources, hand-listed. -------------------------------------------------
CORE_SRCS = \
	core/arena.c core/buf.c core/err.c core/json.c core/jsonw.c \
	core/config.c core/http_req.c core/http_resp.c core/log.c \
	core/conn.c core/serve.c core/route.c core/access.c core/sockact.c \
	core/listen.c core/fsutil.c core/parse.c core/handlers.c core/digest.c
TRANSLATE_SRCS = \
	translate/ir.c translate/family.c translate/sse.c translate/schema.c \
	translate/claude.c translate/openai_chat.c translate/openai_responses.c \
	translate/gemini.c translate/gemini_req.c translate/gemini_resp.c translate/gemini_cli.c \
	translate/completions.c
PROVIDER_SRCS = \
	providers/upstream.c providers/curl_load.c providers/dispatch.c providers/registry.c providers/prepare.c providers/bodyedit.c \
	providers/claude.c providers/gemini.c providers/codex.c providers/openai_compat.c \
	providers/listing.c providers/count_tokens.c providers/gemini_cli.c providers/codex_oauth.c providers/claude_oauth.c providers/registry_auth.c providers/payload.c providers/passthrough.c
AUTH_SRCS = auth/rr.c auth/rr_hint.c auth/store.c auth/store_util.c auth/store_write.c auth/token.c auth/refresh.c auth/cmd.c auth/oauth.c auth/login.c auth/login_gemini.c auth/login_codex.c auth/login_claude.c
LIB_SRCS = $(CORE_SRCS) $(TRANSLATE_SRCS) $(PROVIDER_SRCS) $(AUTH_SRCS)

LIB_OBJS = $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB = $(BUILD)/libcliproxy.a
BIN = $(BUILD)/cliproxy

UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS = $(filter-out tests/fuzz/fuzz-main.c,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_REPLAY = $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
MOCK_BIN =

all: cliproxy

cliproxy: $(BIN)
	@if [ "$(BUILD)" = build ]; then cp -f $(BIN) cliproxy; fi

$(BIN): $(BUILD)/cliproxy.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/cliproxy.o $(LIB) $(PKG_LIBS)

$(CURL_A):
	@sh tests/build-curl.sh $(CURL_BUILD)

# Objects see curl's headers: the lean build's libcurl comes first.
$(LIB_OBJS) $(BUILD)/cliproxy.o: | $(LINK_DEPS)

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $(LIB_OBJS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz-main.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/fuzz-main.c $(LIB) $(PKG_LIBS)

-include $(LIB_OBJS:.o=.d) $(BUILD)/cliproxy.d

# ---- Dependencies: install when root, else print the line and stop. --------
deps:
	@sh tests/deps.sh $(BUILD_DEPS)

test-deps:
	@sh tests/deps.sh $(BUILD_DEPS) $(TEST_DEPS)

run: deps
	@$(MAKE) --no-print-directory cliproxy
	./cliproxy listen

build-tests: $(BIN) $(UNIT_BINS) $(FUZZ_REPLAY)

check: test-deps
	@$(MAKE) --no-print-directory build-tests cliproxy
	@BUILD=$(BUILD) CLIPROXY=$(abspath $(BIN)) sh tests/run.sh

# ---- Fuzzing (clang + libFuzzer), not part of check. -----------------------
# The library is built once with coverage instrumentation into build-fuzz/;
# each harness links it with libFuzzer and runs FUZZ_TIME seconds on a copy
# of its committed corpus (new inputs stay in build-fuzz/, not in git).
FUZZ_TIME ?= 60
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -DCLIPROXY_VERSION='"$(VERSION)"' -I. $(PKG_CFLAGS) $(ALL_CFLAGS_LINK) \
	-g -O1 -fno-omit-frame-pointer -DCLIPROXY_TEST_HOOKS
FUZZ_OBJS = $(LIB_SRCS:%.c=build-fuzz/%.o)
build-fuzz/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<
$(FUZZ_OBJS): | $(LINK_DEPS)
build-fuzz/libfuzz.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $(FUZZ_OBJS)
fuzz-deps:
	@sh tests/deps.sh clang libclang-rt-14-dev $(BUILD_DEPS)
fuzz: fuzz-deps
	@$(MAKE) --no-print-directory build-fuzz/libfuzz.a
	@set -e; for f in $(FUZZ_SRCS); do \
		n=$$(basename $$f .c); \
		clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o build-fuzz/$$n $$f \
			build-fuzz/libfuzz.a $(PKG_LIBS); \
		mkdir -p build-fuzz/corpus-$$n; \
		c=tests/fuzz/corpus/$${n#fuzz-}; \
		build-fuzz/$$n -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
			-artifact_prefix=build-fuzz/crash-$$n- build-fuzz/corpus-$$n $$c \
			>build-fuzz/$$n.log 2>&1 || { tail -40 build-fuzz/$$n.log; echo "FUZZ FAIL $$n"; exit 1; }; \
		echo "$$n: $$(grep -o 'stat::number_of_executed_units: [0-9]*' build-fuzz/$$n.log | cut -d' ' -f2) executions in $(FUZZ_TIME) s"; \
	done

-include $(FUZZ_OBJS:.o=.d)

lint: test-deps $(BIN)
	@CLIPROXY=$(abspath $(BIN)) sh tests/lint.sh

bench: cliproxy
	@sh tests/bench/bench.sh

# ---- Install. --------------------------------------------------------------
install: cliproxy
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(UNITDIR_USER) $(DESTDIR)$(UNITDIR_SYSTEM)
	install -m 0755 cliproxy $(DESTDIR)$(BINDIR)/cliproxy
	install -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	for u in units/*; do \
		sed 's|@BINDIR@|$(BINDIR)|g' $$u > $(DESTDIR)$(UNITDIR_USER)/$$(basename $$u); \
		sed 's|@BINDIR@|$(BINDIR)|g' $$u > $(DESTDIR)$(UNITDIR_SYSTEM)/$$(basename $$u); \
		chmod 0644 $(DESTDIR)$(UNITDIR_USER)/$$(basename $$u) $(DESTDIR)$(UNITDIR_SYSTEM)/$$(basename $$u); \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cliproxy
	for m in man/*.1; do rm -f $(DESTDIR)$(MANDIR)/man1/$$(basename $$m); done
	for m in man/*.5; do rm -f $(DESTDIR)$(MANDIR)/man5/$$(basename $$m); done
	for u in units/*; do \
		rm -f $(DESTDIR)$(UNITDIR_USER)/$$(basename $$u) $(DESTDIR)$(UNITDIR_SYSTEM)/$$(basename $$u); \
	done

clean:
	rm -rf build build-san build-fuzz build-dyn cliproxy

distclean: clean
	rm -rf $(CURL_BUILD)

.PHONY: all cliproxy run check build-tests deps test-deps fuzz fuzz-deps lint bench install uninstall clean distclean
