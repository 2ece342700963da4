#!/usr/bin/env bash
# The one test command: makes sure PostgreSQL and Redis run, then format check, clippy and
# every test. It fails loudly, never skips, when a service can not be had.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379

fail() {
    echo "scripts/test.sh: FATAL: $*" >&2
    exit 1
}

ensure_postgres() {
    command -v pg_isready >/dev/null || fail "pg_isready not found: install PostgreSQL (postgresql package)"
    if ! pg_isready -h "$PG_HOST" -p "$PG_PORT" -q; then
        echo "PostgreSQL is down; starting it"
        command -v pg_ctlcluster >/dev/null || fail "PostgreSQL is down and pg_ctlcluster is missing"
        local version
        version=$(ls /etc/postgresql | sort -V | tail -1)
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        for _ in $(seq 30); do
            pg_isready -h "$PG_HOST" -p "$PG_PORT" -q && break
            sleep 1
        done
        pg_isready -h "$PG_HOST" -p "$PG_PORT" -q || fail "PostgreSQL did not come up on $PG_HOST:$PG_PORT"
    fi
    local psql=(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
    "${psql[@]}" -d postgres -c "SELECT 1" >/dev/null || fail "cannot log in to PostgreSQL as postgres"
    if [ "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'test'")" != "1" ]; then
        "${psql[@]}" -d postgres -c "CREATE DATABASE test" || fail "cannot create database test"
    fi
    # Schemas left by earlier runs (each test makes its own t_<uuid>): one DROP per
    # transaction, since dropping hundreds at once exhausts the lock table.
    "${psql[@]}" -d test -c "SELECT format('DROP SCHEMA %I CASCADE;', nspname)
        FROM pg_namespace WHERE nspname LIKE 't\_%'" \
        | PGOPTIONS='-c client_min_messages=warning' "${psql[@]}" -d test -f - >/dev/null \
        || fail "cannot drop the test schemas of earlier runs"
}

ensure_redis() {
    command -v redis-cli >/dev/null || fail "redis-cli not found: install Redis (redis-server package)"
    if [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" != "PONG" ]; then
        echo "Redis is down; starting it"
        command -v redis-server >/dev/null || fail "Redis is down and redis-server is missing"
        mkdir -p /var/lib/redis /var/log/redis
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
            --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
        for _ in $(seq 30); do
            [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ] && break
            sleep 1
        done
        [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ] \
            || fail "Redis did not come up on 127.0.0.1:$REDIS_PORT"
    fi
    # Keys left by earlier runs (each test uses its own causeway-test:<uuid>: prefix).
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --scan --pattern 'causeway-test:*' \
        | xargs -r -n 500 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" del >/dev/null
}

ensure_postgres
ensure_redis

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

echo "== tests (PostgreSQL and Redis on 127.0.0.1)"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --no-fail-fast
else
    cargo test --no-fail-fast
fi

echo "== Rein client conformance (pytest)"
# The suite (tests/rein) drives the release binary as the deployed Rein client does, with
# python-bitcoinlib, which signs through OpenSSL's libssl loaded with ctypes at import time.
cargo build --release
python3 -m venv .venv-rein || fail "cannot create the virtualenv .venv-rein (python3 -m venv)"
.venv-rein/bin/python -m pip install -q --disable-pip-version-check -r tests/rein/requirements.txt \
    || fail "cannot install tests/rein/requirements.txt into .venv-rein"
if ! .venv-rein/bin/python -c 'import bitcoin.core.key' >/dev/null 2>&1; then
    echo "python-bitcoinlib can not load libssl; installing it"
    apt-get update -qq || fail "apt-get update failed"
    libssl=""
    for candidate in libssl3t64 libssl3; do
        if apt-cache show "$candidate" >/dev/null 2>&1; then libssl=$candidate; break; fi
    done
    [ -n "$libssl" ] || fail "no Debian package providing libssl.so.3 (libssl3t64, libssl3) is known to apt"
    apt-get install -y -qq "$libssl" >/dev/null || fail "apt-get install $libssl failed"
    .venv-rein/bin/python -c 'import bitcoin.core.key' \
        || fail "python-bitcoinlib still can not load libssl after installing $libssl"
fi
.venv-rein/bin/python -m pytest tests/rein -q

echo "== OpenAPI document lint (Redocly recommended, Spectral oas)"
bash scripts/check-openapi.sh

echo "== alerts and metrics (promtool: check rules, test rules, check metrics)"
bash scripts/check-alerts.sh

echo "== deploy checks (Helm chart, kustomize, schemas, checkov, dashboard)"
bash scripts/check-deploy.sh
