#!/usr/bin/env bash
# Every test, in the order that fails fastest: formatting, lints, unit and
# integration tests (SQLite and PostgreSQL), then the browser tests against
# a debug build. Exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# Each step's line says how long the run has taken so far ([mm:ss]).
step() { printf '\n\033[1m== [%02d:%02d] %s\033[0m\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
target="${CARGO_TARGET_DIR:-$root/target}"

step "setup"
scripts/setup.sh test

step "format"
cargo fmt --all --check

step "clippy (server side)"
cargo clippy --workspace --exclude frontend --all-targets --locked -- -D warnings
step "clippy (browser side, wasm32)"
cargo clippy -p frontend --lib --target wasm32-unknown-unknown --target-dir "$target/front" --profile wasm-dev --locked -- -D warnings

step "dependencies (cargo-deny: licences, sources, bans, advisories; fails without an advisory database)"
scripts/deny.sh
scripts/deny.sh --self-test

step "postgresql"
TEST_POSTGRES_URL="$(scripts/postgres.sh)"
case "$TEST_POSTGRES_URL" in
  postgres://*) export TEST_POSTGRES_URL ;;
  *) echo "scripts/postgres.sh printed no URL: $TEST_POSTGRES_URL" >&2; exit 1 ;;
esac
# Each test makes its own database and folder and leaves them for a look
# after a failure; the next run clears what earlier runs left.
psql "$TEST_POSTGRES_URL" -qtAc "SELECT datname FROM pg_database WHERE datname LIKE 'muster\_test\_%'" |
  while read -r database; do
    psql "$TEST_POSTGRES_URL" -qtAc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null ||
      echo "could not drop $database (left for later; every test makes a new database)" >&2
  done
rm -rf "${TMPDIR:-/tmp}"/muster-test-*

step "unit and integration tests (SQLite and PostgreSQL)"
cargo test --workspace --exclude frontend --locked

step "build the site (debug; the server binary is the one cargo test built)"
cargo xtask build --skip-server

step "OpenAPI document validates (openapi-spec-validator)"
"$target/debug/server" openapi > "$target/openapi.json"
python3 -m openapi_spec_validator "$target/openapi.json"

step "REST API against its own OpenAPI document (Schemathesis, every check; MUSTER_SCHEMATHESIS_EXAMPLES=500 for a long run)"
scripts/schemathesis.sh "$target/debug/server"

step "end-to-end tests (Playwright, Chromium)"
(cd end2end && npx playwright test)

step "the README's screenshots can still be taken (into $target/screenshots; make screenshots refreshes docs/)"
(cd end2end && SCREENSHOT_DIR="$target/screenshots" npx playwright test -c screenshots.config.ts)

step "scale-out: three servers on one PostgreSQL behind a round-robin proxy (Playwright)"
(cd end2end && npx playwright test -c scale-out.config.ts)

step "benchmark smoke (every scenario briefly on the debug build; 2xx only)"
BENCH_SKIP_BUILD=1 BENCH_SERVER="$target/debug/server" bench/run.sh --smoke

step "all tests passed"
