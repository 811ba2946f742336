#!/usr/bin/env bash
# Builds and serves Muster on http://127.0.0.1:3000 with SQLite in
# data/muster.db. Pass --release for an optimised build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/setup.sh run
exec cargo xtask serve "$@"
