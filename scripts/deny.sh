#!/usr/bin/env bash
# Dependency checks with cargo-deny (deny.toml): licences, banned and
# wildcard dependencies, and crate sources, always. Security advisories
# need the RustSec advisory database, a git repository these machines cannot
# reach; point ADVISORY_DB at a local clone of it (default:
# ~/.cache/muster/advisory-db) and they are checked too, offline.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { printf '\033[1mdeny:\033[0m %s\n' "$*"; }

cargo deny --locked check bans licenses sources

db="${ADVISORY_DB:-$HOME/.cache/muster/advisory-db}"
if [ ! -d "$db/crates" ]; then
  say "advisories skipped: no RustSec database at $db (set ADVISORY_DB to a clone)"
  exit 0
fi
# cargo-deny looks for the default database under db-path in a folder
# named after its URL; lay the clone out there and check without fetching.
work="$(mktemp -d "${TMPDIR:-/tmp}/muster-deny.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/dbs"
ln -s "$(cd "$db" && pwd)" "$work/dbs/advisory-db-3157b0e258782691"
sed "s#^\[advisories\]#[advisories]\ndb-path = \"$work/dbs\"#" deny.toml >"$work/deny.toml"
say "advisories from $db ($(git -C "$db" log -1 --format=%cs 2>/dev/null || echo 'unknown date'))"
cargo deny --locked --offline --config "$work/deny.toml" check advisories
