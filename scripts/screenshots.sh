#!/usr/bin/env bash
# Regenerates the README's screenshots (docs/screenshots/*.png) from a fresh
# debug server in Chromium: end2end/screenshots/readme.spec.ts.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { printf '\033[1mscreenshots:\033[0m %s\n' "$*"; }
scripts/setup.sh test
say "building the server and the site (debug)"
cargo xtask build
say "taking the pictures"
(cd end2end && npx playwright test -c screenshots.config.ts)
say "written: $(ls docs/screenshots/*.png | tr '\n' ' ')"
