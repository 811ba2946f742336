#!/usr/bin/env bash
# Dependency checks with cargo-deny (deny.toml): licences, banned and
# wildcard dependencies, crate sources, and security advisories. The gate
# fails closed: with no advisory database to check against, it fails.
#
# Advisories need the RustSec advisory database, a git repository these
# machines cannot reach. In order of preference:
#   1. ADVISORY_DB=<a local clone of github.com/rustsec/advisory-db>;
#   2. the dated snapshot in vendor/rustsec-advisory-db/ (its README says
#      where it comes from and how to refresh it), unpacked once into
#      ~/.cache/muster/ as a one-commit repository dated like the snapshot,
#      which is what cargo-deny reads.
#
#   scripts/deny.sh              every check
#   scripts/deny.sh --self-test  proves the gate bites: it must fail with no
#                                database, and with a database that holds an
#                                advisory against a crate in Cargo.lock
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { printf '\033[1mdeny:\033[0m %s\n' "$*"; }

snapshot="$(ls "$root"/vendor/rustsec-advisory-db/snapshot-*.tar.gz 2>/dev/null | sort | tail -n 1 || true)"

# Unpacks a snapshot tarball into a git repository at $2 (idempotent).
unpack() {
  local tarball="$1" into="$2" day
  day="$(basename "$tarball" .tar.gz)"
  day="${day#snapshot-}"
  [ -d "$into/.git" ] && return 0
  rm -rf "$into.partial"
  mkdir -p "$into.partial"
  tar -xzf "$tarball" -C "$into.partial"
  (
    cd "$into.partial"
    git init -q
    git add -A
    GIT_AUTHOR_DATE="${day}T00:00:00Z" GIT_COMMITTER_DATE="${day}T00:00:00Z" \
      git -c user.name=muster -c user.email=muster@localhost -c commit.gpgsign=false \
      commit -qm "RustSec advisory-db snapshot of $day"
  )
  mv "$into.partial" "$into"
}

# The advisory database to use, or nothing.
find_db() {
  if [ -n "${ADVISORY_DB:-}" ]; then
    [ -d "$ADVISORY_DB/crates" ] && echo "$ADVISORY_DB"
    return 0
  fi
  [ -n "$snapshot" ] || return 0
  local into="$HOME/.cache/muster/$(basename "$snapshot" .tar.gz)"
  unpack "$snapshot" "$into" >&2
  echo "$into"
}

# Checks advisories against the database at $1.
advisories() {
  local db="$1" work
  work="$(mktemp -d "${TMPDIR:-/tmp}/muster-deny.XXXXXX")"
  # cargo-deny looks for the default database under db-path in a folder
  # named after its URL; lay the database out there and check offline.
  mkdir -p "$work/dbs"
  ln -s "$(cd "$db" && pwd)" "$work/dbs/advisory-db-3157b0e258782691"
  sed "s#^\[advisories\]#[advisories]\ndb-path = \"$work/dbs\"#" deny.toml >"$work/deny.toml"
  local rc=0
  cargo deny --locked --offline --config "$work/deny.toml" check advisories || rc=$?
  rm -rf "$work"
  return "$rc"
}

if [ "${1:-}" = "--self-test" ]; then
  [ -n "$snapshot" ] || { say "self-test: no snapshot in vendor/rustsec-advisory-db"; exit 1; }
  if ADVISORY_DB=/nonexistent "$0" >/dev/null 2>&1; then
    say "self-test FAILED: passed with no advisory database"
    exit 1
  fi
  planted="$(mktemp -d "${TMPDIR:-/tmp}/muster-deny-planted.XXXXXX")"
  trap 'rm -rf "$planted"' EXIT
  unpack "$snapshot" "$planted/db"
  mkdir -p "$planted/db/crates/serde"
  cat >"$planted/db/crates/serde/RUSTSEC-2099-0001.md" <<'EOF'
```toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "serde"
date = "2026-01-01"

[versions]
patched = []
```

# A planted advisory

scripts/deny.sh --self-test expects it to fail the gate.
EOF
  (cd "$planted/db" && git add -A && git -c user.name=muster -c user.email=muster@localhost \
    -c commit.gpgsign=false commit -qm planted)
  if advisories "$planted/db" >/dev/null 2>&1; then
    say "self-test FAILED: an advisory against serde (in Cargo.lock) passed"
    exit 1
  fi
  say "self-test ok: the gate fails with no database and with an advisory against a locked crate"
  exit 0
fi

cargo deny --locked check bans licenses sources

db="$(find_db)"
if [ -z "$db" ]; then
  say "FAILED: no RustSec advisory database (ADVISORY_DB=${ADVISORY_DB:-unset}; no snapshot in vendor/rustsec-advisory-db)"
  exit 1
fi
say "advisories from $db ($(git -C "$db" log -1 --format=%cs 2>/dev/null || echo 'unknown date'))"
advisories "$db"
