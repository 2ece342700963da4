#!/usr/bin/env bash
# Observability checks with promtool: the alert rules parse (`promtool check rules`) and fire
# exactly where their unit tests say (`promtool test rules`); a release server's /metrics on
# PostgreSQL + Redis passes `promtool check metrics`; every causeway_* series the rules read
# is one that server exports.
#
#   bash scripts/check-alerts.sh        (after `cargo build --release`; scripts/test.sh runs it)
#
# promtool comes from Debian's prometheus package, unpacked (not installed: no service is
# set up) into .tools/ the first time; PostgreSQL and Redis must be up (scripts/test.sh
# starts them). Exits non-zero, loudly, on any failure or when promtool can not be had.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "scripts/check-alerts.sh: FAIL: $*" >&2
    exit 1
}

RULES=k8s/prometheus/causeway-alerts.yaml
RULE_TESTS=(k8s/prometheus/tests/*.yaml)
BINARY=target/release/causeway
PROMTOOL=${PROMTOOL:-.tools/promtool}

# --- promtool ---------------------------------------------------------------------------------
if ! "$PROMTOOL" --version >/dev/null 2>&1; then
    echo "promtool is missing; unpacking it from Debian's prometheus package into .tools/"
    command -v apt-get >/dev/null || fail "no promtool at $PROMTOOL and no apt-get to fetch it"
    unpack=$(mktemp -d "${TMPDIR:-/tmp}/promtool.XXXXXX")
    (cd "$unpack" && apt-get download prometheus >/dev/null 2>&1) \
        || { apt-get update -qq && (cd "$unpack" && apt-get download prometheus >/dev/null); } \
        || fail "apt-get download prometheus failed"
    dpkg -x "$unpack"/prometheus_*.deb "$unpack/root" || fail "cannot unpack the prometheus package"
    mkdir -p .tools
    cp "$unpack/root/usr/bin/promtool" .tools/promtool
    rm -rf "$unpack"
    PROMTOOL=.tools/promtool
    "$PROMTOOL" --version >/dev/null 2>&1 || fail "the unpacked promtool does not run"
fi
echo "promtool: $("$PROMTOOL" --version 2>&1 | head -1)"

# --- rules ------------------------------------------------------------------------------------
"$PROMTOOL" check rules "$RULES"
"$PROMTOOL" test rules "${RULE_TESTS[@]}"

# --- a live server's /metrics -----------------------------------------------------------------
[ -x "$BINARY" ] || fail "$BINARY is missing: run cargo build --release first"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
run=metrics_$$_$(date +%s)
port=$(free_port)
admin=$(free_port)
psql_test=(psql -h 127.0.0.1 -U postgres -d test -v ON_ERROR_STOP=1 -qtA)
"${psql_test[@]}" -c "CREATE SCHEMA $run" || fail "cannot create schema $run in database test"
work=$(mktemp -d "${TMPDIR:-/tmp}/check-alerts.XXXXXX")
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    PGOPTIONS='-c client_min_messages=warning' "${psql_test[@]}" -c "DROP SCHEMA IF EXISTS $run CASCADE" || true
    redis-cli -h 127.0.0.1 --scan --pattern "causeway-alerts:$run:*" | xargs -r redis-cli -h 127.0.0.1 del >/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

env -u CAUSEWAY_BITCOIND_URL \
    DATABASE_URL="postgres://postgres@127.0.0.1:5432/test?options=-csearch_path%3D$run" \
    REDIS_URL=redis://127.0.0.1:6379 CAUSEWAY_REDIS_PREFIX="causeway-alerts:$run:" \
    CAUSEWAY_LISTEN="127.0.0.1:$port" CAUSEWAY_ADMIN_LISTEN="127.0.0.1:$admin" \
    "$BINARY" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$admin/readyz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; fail "the server exited at start"; }
    sleep 0.1
done
curl -fs "http://127.0.0.1:$admin/readyz" >/dev/null || { cat "$work/server.log" >&2; fail "the server never got ready"; }
# Some traffic, so the labelled series (routes, backend calls) exist.
for path in / /price /status "/get?key=absent" /no/such/path; do
    curl -s -o /dev/null "http://127.0.0.1:$port$path"
done
curl -fs "http://127.0.0.1:$admin/metrics" >"$work/metrics.txt" || fail "cannot scrape /metrics"
"$PROMTOOL" check metrics <"$work/metrics.txt" || fail "promtool check metrics found problems (above)"
echo "promtool check metrics: $(grep -vc '^#' "$work/metrics.txt") series, no problems"

# Every causeway_* name the rules read or mention (a histogram by its own name or its series)
# is exported.
missing=0
for name in $(grep -o 'causeway_[a-z0-9_]*' "$RULES" | sort -u); do
    if ! grep -q -e "^$name[{ ]" -e "^${name}_bucket{" "$work/metrics.txt"; then
        echo "  error: $RULES reads $name, which the server does not export" >&2
        missing=1
    fi
done
[ "$missing" = 0 ] || fail "the rules read series the server does not export"
echo "alert rules: every causeway_* series they read is exported"
