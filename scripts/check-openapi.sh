#!/usr/bin/env bash
# The committed OpenAPI document as client generators and linters read it: Redocly's
# recommended ruleset and Spectral's oas ruleset, both with zero errors, and a TypeScript
# client (openapi-typescript types + openapi-fetch, tests/clients/typescript/) that must
# type-check with tsc. The Python client is generated and driven by tests/rein.
#
#   bash scripts/check-openapi.sh        (scripts/test.sh runs it)
#
# The tools are pinned in tests/clients/package.json (and its package-lock.json) and
# installed with `npm ci` into tests/clients/node_modules the first time, or when the lock
# changes. Needs Node.js and npm and the npm registry; fails loudly without them.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "scripts/check-openapi.sh: FAIL: $*" >&2
    exit 1
}

DOCUMENT=openapi/causeway.json
TOOLS=tests/clients
command -v npm >/dev/null || fail "npm not found: install Node.js and npm"
want=$(sha256sum "$TOOLS/package-lock.json" | cut -d' ' -f1)
have=$(cat "$TOOLS/node_modules/.lock.sha256" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
    echo "installing $TOOLS/package-lock.json"
    (cd "$TOOLS" && npm ci --silent --no-audit --no-fund) || fail "npm ci in $TOOLS failed"
    echo "$want" > "$TOOLS/node_modules/.lock.sha256"
fi
BIN=$TOOLS/node_modules/.bin

echo "redocly lint (recommended)"
"$BIN/redocly" lint --extends recommended "$DOCUMENT" \
    || fail "redocly reports errors in $DOCUMENT"
echo "spectral lint (spectral:oas)"
"$BIN/spectral" lint --ruleset "$TOOLS/.spectral.yaml" --fail-severity error "$DOCUMENT" \
    || fail "spectral reports errors in $DOCUMENT"
echo "openapi-typescript + openapi-fetch, tsc"
mkdir -p "$TOOLS/generated"
"$BIN/openapi-typescript" "$DOCUMENT" -o "$TOOLS/generated/schema.d.ts" \
    || fail "openapi-typescript could not read $DOCUMENT"
"$BIN/tsc" -p "$TOOLS/tsconfig.json" || fail "the TypeScript client does not type-check (above)"
echo "== OpenAPI lint and TypeScript client: OK"
