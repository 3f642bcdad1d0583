#!/bin/sh
# test_clients.sh - the real CLI clients (Claude Code, Codex CLI, Gemini CLI,
# Qwen Code), run non-interactively as a user would, through cliproxy
# (systemd-socket-activate --accept, as the socket unit runs it) to the mock
# upstream (tests/mock/mock.py).  Each client is pointed at cliproxy as
# README.md's "Pointing clients at cliproxy" says and asks for a model served
# by an upstream of ANOTHER API family, so every run goes through a
# translation: every client x the three other families, a "say hi" run (the
# answer must reach the client's stdout) and a tool round trip (the mock asks
# for a harmless tool - read/cat of note.txt in the run's directory - the
# client runs it, the result must come back upstream, then the final answer
# must reach stdout, and the tokens the client counts must be the mock's:
# the tool runs use the clients' JSON output, Codex prints "tokens used").
# Gemini CLI's "say hi" to the OpenAI-compatible upstream
# uses its default "auto" model, so its JSON router call is answered too.
#
# The clients come from the npm registry, pinned by tests/clients/
# package-lock.json and installed into tests/clients/node_modules with
# "npm install" (which keeps to the lock): "npm ci" refuses this lock because
# @qwen-code/qwen-code lists optional packages that were never published
# (@teddyzhu/clipboard-darwin-*, -linux-arm64-gnu, -win32-arm64-msvc).
# Only a missing npm or a failing install skips (one "# SKIP" line); a client
# whose package does not run on this machine skips its own lines.
#
# No client may reach the internet: when possible the whole run happens in a
# new network namespace with nothing but loopback (unshare -n); otherwise every
# proxy variable points at a closed local port so outside traffic fails fast.
# Clients run under env -i with a fresh HOME each, their telemetry, update
# checks and nonessential traffic switched off, their retries cut to one (so
# a broken cliproxy fails fast); a run also fails when cliproxy logged any
# status but 200 during it, so a retry cannot hide an error.
# Mock replies: tests/data/clients/<family>/ (written by gen-replies.py there).
# CLIENTS_ONLY=<regex> runs the subset whose "client->family" name matches;
# CLIENTS_KEEP=<dir> keeps each run's files there (stdout, stderr, the
# requests the mock saw) and cliproxy's log.
. "$(dirname "$0")/lib.sh"
CL=$PWD/tests/clients
BIN=$CL/node_modules/.bin
CLIENTS="claude-code codex gemini-cli qwen-code"

if [ -z "${CLIENTS_INNER:-}" ]; then
	if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
		echo "ok 1 - # SKIP npm unavailable"
		exit 0
	fi
	if [ ! -x "$BIN/claude" ] || [ ! -x "$BIN/codex" ] || [ ! -x "$BIN/gemini" ] ||
		[ ! -x "$BIN/qwen" ] || [ "$CL/package-lock.json" -nt "$CL/node_modules" ]; then
		if ! (cd "$CL" && npm install --no-audit --no-fund --loglevel=error) >"$T/npm.log" 2>&1; then
			echo "ok 1 - # SKIP npm install in tests/clients failed (no registry?)"
			tail -20 "$T/npm.log" | sed 's/^/#   /'
			exit 0
		fi
		touch "$CL/node_modules"
	fi
	# Everything else in a namespace of its own with only loopback.
	if command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 &&
		unshare -n ip link set lo up 2>/dev/null; then
		CLIENTS_INNER=netns unshare -n sh -c 'ip link set lo up && exec sh "$0"' \
			"$PWD/tests/integration/test_clients.sh"
		exit $?
	fi
	echo "# no network namespace here (unshare -n): outside traffic is only sent to a dead proxy"
	CLIENTS_INNER=proxy
fi

python3 tests/mock/mock.py --dir "$T" --log "$T/mock.jsonl" >"$T/mock.port" 2>"$T/mock.err" &
PIDS="$PIDS $!"
i=0
while [ $i -lt 50 ] && ! grep -q '^PORT ' "$T/mock.port" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
MPORT=$(sed -n 's/^PORT //p' "$T/mock.port")
[ -n "$MPORT" ] || { notok "the mock upstream did not start"; cat "$T/mock.err"; exit 1; }
M=http://127.0.0.1:$MPORT

# One config, one upstream per family, each serving its own models; the
# OpenAI-compatible one also takes Gemini CLI's default model names.
KEY=clients-key-5b9e1c
mkdir -p "$T/auth"
cat >"$T/config.yaml" <<EOF
api-keys: ["$KEY"]
auth-dir: "$T/auth"
claude-api-key:
  - api-key: "sk-clients-claude"
    base-url: "$M"
    models:
      - name: "claude-sonnet-4-5-20250929"
        alias: "claude-sonnet-4-5"
gemini-api-key:
  - api-key: "gm-clients-gemini"
    base-url: "$M"
    models:
      - name: "gemini-2.5-flash"
codex-api-key:
  - api-key: "sk-clients-codex"
    base-url: "$M/v1"
    models:
      - name: "gpt-5-codex"
openai-compatibility:
  - name: "compat"
    base-url: "$M/v1"
    api-key-entries:
      - api-key: "sk-clients-compat"
    models:
      - name: "qwen3-coder-plus"
      - name: "qwen3-coder-flash"
        alias: "gemini-3.5-flash-lite"
      - name: "qwen3-coder-plus"
        alias: "gemini-3.8-flash"
      - name: "qwen3-coder-plus"
        alias: "gemini-3.1-pro-preview"
EOF
PORT=$(free_port)
systemd-socket-activate --accept -l "127.0.0.1:$PORT" -E HOME="$T" \
	"$CLIPROXY" --config "$T/config.yaml" serve 2>"$T/log" &
PIDS="$PIDS $!"
wait_port "$PORT" || { notok "systemd-socket-activate did not start"; exit 1; }
P=http://127.0.0.1:$PORT

# The model each family serves in the config above.
model_of() {
	case $1 in
	claude) echo claude-sonnet-4-5 ;; gemini) echo gemini-2.5-flash ;;
	codex) echo gpt-5-codex ;; openai) echo qwen3-coder-plus ;;
	esac
}
# The tool each client is asked to call, and its arguments.
tool_of() {
	case $1 in
	claude-code) echo Read ;; codex) echo exec_command ;; *) echo read_file ;;
	esac
}
args_of() {
	case $1 in
	codex) echo '{"cmd":"cat note.txt"}' ;;
	*) echo '{"file_path":"@WORK@/note.txt"}' ;;
	esac
}
# The families a client does not speak.
others_of() {
	case $1 in
	claude-code) echo gemini codex openai ;; codex) echo claude gemini openai ;;
	gemini-cli) echo claude codex openai ;; qwen-code) echo claude codex gemini ;;
	esac
}

# The environment of every client run: nothing from ours but PATH.
base_env() {
	mkdir -p "$1/tmp"
	set -- PATH="$PATH" HOME="$1" TMPDIR="$1/tmp" TERM=dumb LANG=C.UTF-8 NO_COLOR=1 CI=1 \
		NO_UPDATE_NOTIFIER=1 NPM_CONFIG_UPDATE_NOTIFIER=false
	if [ "$CLIENTS_INNER" = proxy ]; then
		set -- "$@" HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
			http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
			ALL_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
	fi
	printf '%s\n' "$@"
}

# run CLIENT MODEL PROMPT KIND: runs the client in $W/work (holding only
# note.txt) with home $W/home; stdout to $W/out, stderr to $W/err; returns
# its status.
run_client() {
	c=$1 model=$2 prompt=$3 kind=$4
	h=$W/home
	mkdir -p "$h"
	envf=$W/env
	base_env "$h" >"$envf"
	case $c in
	claude-code)
		# Claude Code: ANTHROPIC_API_KEY (x-api-key) for the hi runs,
		# ANTHROPIC_AUTH_TOKEN (Bearer) for the tool runs.
		if [ "$kind" = tool ]; then echo "ANTHROPIC_AUTH_TOKEN=$KEY"; else echo "ANTHROPIC_API_KEY=$KEY"; fi >>"$envf"
		cat >>"$envf" <<-EOF
		ANTHROPIC_BASE_URL=$P
		CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
		DISABLE_AUTOUPDATER=1
		DISABLE_TELEMETRY=1
		DISABLE_ERROR_REPORTING=1
		DISABLE_BUG_COMMAND=1
		DISABLE_COST_WARNINGS=1
		CLAUDE_CODE_ENABLE_TELEMETRY=0
		CLAUDE_CODE_MAX_RETRIES=1
		ANTHROPIC_SMALL_FAST_MODEL=$model
		ANTHROPIC_DEFAULT_HAIKU_MODEL=$model
		ANTHROPIC_DEFAULT_SONNET_MODEL=$model
		ANTHROPIC_DEFAULT_OPUS_MODEL=$model
		EOF
		set -- "$BIN/claude" -p "$prompt" --model "$model"
		[ "$kind" = tool ] && set -- "$@" --output-format json
		;;
	codex)
		mkdir -p "$h/codex"
		cat >"$h/codex/config.toml" <<-EOF
		model = "$model"
		model_provider = "cliproxy"
		check_for_update_on_startup = false

		[model_providers.cliproxy]
		name = "cliproxy"
		base_url = "$P/v1"
		env_key = "CLIPROXY_API_KEY"
		wire_api = "responses"
		request_max_retries = 1
		stream_max_retries = 1

		[analytics]
		enabled = false

		[feedback]
		enabled = false
		EOF
		printf 'CODEX_HOME=%s\nCLIPROXY_API_KEY=%s\n' "$h/codex" "$KEY" >>"$envf"
		# The mock's only command is "cat note.txt": no sandbox needed (and
		# bubblewrap may not work in every CI container).
		set -- "$BIN/codex" exec --skip-git-repo-check \
			--dangerously-bypass-approvals-and-sandbox -m "$model" "$prompt"
		;;
	gemini-cli)
		mkdir -p "$h/.gemini"
		cat >"$h/.gemini/settings.json" <<-EOF
		{
		  "general": {"disableAutoUpdate": true, "disableUpdateNag": true, "maxAttempts": 2},
		  "privacy": {"usageStatisticsEnabled": false},
		  "telemetry": {"enabled": false},
		  "security": {"auth": {"selectedType": "gemini-api-key"}}
		}
		EOF
		cat >>"$envf" <<-EOF
		GOOGLE_GEMINI_BASE_URL=$P
		GEMINI_API_KEY=$KEY
		GEMINI_CLI_TRUST_WORKSPACE=true
		GEMINI_TELEMETRY_ENABLED=false
		EOF
		if [ "$model" = auto ]; then
			set -- "$BIN/gemini" -p "$prompt"
		else
			set -- "$BIN/gemini" -m "$model" -p "$prompt"
		fi
		[ "$kind" = tool ] && set -- "$@" --output-format json
		;;
	qwen-code)
		mkdir -p "$h/.qwen"
		cat >"$h/.qwen/settings.json" <<-EOF
		{
		  "general": {"disableAutoUpdate": true, "disableUpdateNag": true},
		  "privacy": {"usageStatisticsEnabled": false},
		  "telemetry": {"enabled": false},
		  "security": {"auth": {"selectedType": "openai"}},
		  "model": {"generationConfig": {"maxRetries": 1, "retryInitialDelayMs": 500, "retryMaxDelayMs": 1000}}
		}
		EOF
		cat >>"$envf" <<-EOF
		OPENAI_BASE_URL=$P/v1
		OPENAI_API_KEY=$KEY
		OPENAI_MODEL=$model
		EOF
		set -- "$BIN/qwen" -p "$prompt"
		[ "$kind" = tool ] && set -- "$@" --output-format json
		;;
	esac
	# env -i with the lines of $envf as arguments (values have no newlines).
	(
		cd "$W/work" || exit 1
		IFS='
'
		set -f
		# shellcheck disable=SC2046
		exec env -i $(cat "$envf") timeout 120 "$@" </dev/null >"$W/out" 2>"$W/err"
	)
}

# The clients whose package runs here.
runnable=
for c in $CLIENTS; do
	case $c in
	claude-code) b=claude ;; codex) b=codex ;; gemini-cli) b=gemini ;; qwen-code) b=qwen ;;
	esac
	if v=$(env -i PATH="$PATH" HOME="$T" timeout 60 "$BIN/$b" --version 2>&1 </dev/null); then
		echo "# $c $(echo "$v" | tail -1)"
		runnable="$runnable $c"
	else
		ok "$c # SKIP the installed package does not run here: $(echo "$v" | tail -1)"
	fi
done

for c in $runnable; do
	tool=$(tool_of "$c")
	for fam in $(others_of "$c"); do
		[ -n "${CLIENTS_ONLY:-}" ] && ! echo "$c->$fam" | grep -Eq "$CLIENTS_ONLY" && continue
		for kind in hi tool; do
			W=$T/run/$c-$fam-$kind
			mkdir -p "$W/work"
			echo "The note says: NOTE-4711" >"$W/work/note.txt"
			python3 tests/integration/clients.py fill "$PWD/tests/data/clients/$fam" "$W/replies" \
				"$W/work" "$tool" "$(args_of "$c")"
			curl -s -X POST -d "{\"dir\":\"$W/replies\",\"log\":\"$W/mock.jsonl\"}" "$M/_mock/case" >/dev/null
			model=$(model_of "$fam")
			what=$kind
			if [ "$kind" = hi ]; then
				prompt="say hi"
				want=CLIENT-ANSWER-$(echo "$fam" | tr '[:lower:]' '[:upper:]')
				if [ "$c" = gemini-cli ] && [ "$fam" = openai ]; then
					model=auto what=router
				fi
			else
				prompt="Please show me what the file note.txt says."
				want=CLIENT-TOOL-DONE-$(echo "$fam" | tr '[:lower:]' '[:upper:]')
			fi
			case $what in
			hi) name="say hi" ;;
			router) name="say hi, auto model router" ;;
			*) name="tool round trip ($tool)" ;;
			esac
			name="$c -> $fam ($model): $name"
			l0=$(wc -l <"$T/log")
			t0=$(date +%s)
			run_client "$c" "$model" "$prompt" "$kind"
			rc=$?
			secs=$(($(date +%s) - t0))
			if [ $rc -ne 0 ] || ! grep -q "$want" "$W/out"; then
				notok "$name: exit $rc after ${secs}s, $want $(grep -q "$want" "$W/out" && echo on || echo not on) stdout"
				tail -5 "$W/out" | sed 's/^/#   out: /'
				tail -8 "$W/err" | sed 's/^/#   err: /'
				python3 tests/integration/clients.py check "$fam" "$what" "$W/mock.jsonl" "$KEY" "$tool" | sed 's/^/#   upstream: /'
				grep 'cliproxy\[' "$T/log" | tail -3 | sed 's/^/#   log: /'
			elif bad=$(tail -n +$((l0 + 1)) "$T/log" | grep 'cliproxy\[' | grep -v ' status=200 '); then
				notok "$name: cliproxy answered a request with an error (the client retried it)"
				echo "$bad" | sed 's/^/#   log: /'
			elif ! why=$(python3 tests/integration/clients.py check "$fam" "$what" "$W/mock.jsonl" "$KEY" "$tool"); then
				notok "$name: upstream: $why"
			elif [ "$kind" = tool ] &&
				! why=$(python3 tests/integration/clients.py usage "$c" "$fam" "$W/out" "$W/err"); then
				notok "$name: usage: $why"
			else
				ok "$name (${secs}s)"
			fi
		done
	done
done
if [ -n "${CLIENTS_KEEP:-}" ]; then
	mkdir -p "$CLIENTS_KEEP" && cp -r "$T/run" "$T/log" "$T/config.yaml" "$CLIENTS_KEEP/"
fi
check "the client key never reaches cliproxy's log" sh -c "! grep -q '$KEY' '$T/log'"
