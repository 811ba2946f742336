#!/usr/bin/env bash
# Starts the scale-out cluster for end2end/scale-out.config.ts:
#   * a fresh PostgreSQL database created from $TEST_POSTGRES_URL (whose role
#     may create databases), dropped again on exit;
#   * one server secret file shared by every process;
#   * three debug `server` processes on ports $3, $3+1, $3+2, all started at
#     once on the empty database (migrations take PostgreSQL's advisory lock,
#     so exactly one of them applies them), each with PUBLIC_URL = the proxy,
#     mail to the SMTP sink on port $2, self-registration on, and the client
#     address taken from X-Forwarded-For;
#   * once all three answer /healthz: checks that the migrations ran once
#     and there is one Default account, then runs the round-robin proxy
#     (support/round-robin.mjs) on port $1 in the foreground.
# Playwright stops it when the run ends; the trap stops the children.
# Usage: bash support/start-cluster.sh PROXY_PORT SMTP_PORT FIRST_SERVER_PORT
set -euo pipefail
proxy_port="$1"
smtp_port="$2"
first_port="$3"
root="$(cd "$(dirname "$0")/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
server="$target/debug/server"
log() { printf '[start-cluster] %s\n' "$*" >&2; }

: "${TEST_POSTGRES_URL:?TEST_POSTGRES_URL must be set (e.g. from scripts/postgres.sh)}"
[ -x "$server" ] || { log "no $server: run cargo xtask build first"; exit 1; }

# postgres://user:pass@host:port/dbname?params -> the same with another dbname.
base="${TEST_POSTGRES_URL%%\?*}"
query=""
[ "$base" != "$TEST_POSTGRES_URL" ] && query="?${TEST_POSTGRES_URL#*\?}"
db="muster_scaleout_$(date +%s)_$$"
database_url="${base%/*}/$db$query"

data="$(mktemp -d -t muster-scaleout-XXXXXX)"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql "$TEST_POSTGRES_URL" -qtAc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 ||
    log "could not drop database $db"
  rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

psql "$TEST_POSTGRES_URL" -v ON_ERROR_STOP=1 -qtAc "CREATE DATABASE $db" >/dev/null
log "database $db"

# One secret for all three: API keys and invite links are sealed with it.
umask 077
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$data/secret.key"
echo >> "$data/secret.key"
umask 022

export DATABASE_URL="$database_url"
export MUSTER_SECRET_FILE="$data/secret.key"
export PUBLIC_URL="http://127.0.0.1:$proxy_port"
export SMTP_URL="smtp://127.0.0.1:$smtp_port"
export ALLOW_SELF_REGISTRATION=true
export TRUSTED_PROXY_HEADER=x-forwarded-for
export RUST_LOG="${RUST_LOG:-info,sqlx=warn,muster::request=warn}"
cd "$root"

ports=()
for i in 0 1 2; do
  port=$((first_port + i))
  ports+=("$port")
  LEPTOS_SITE_ADDR="127.0.0.1:$port" "$server" > >(sed -u "s/^/[server $i :$port] /") 2>&1 &
  pids+=("$!")
done

# Generous: three debug processes migrate and start on a loaded machine.
for port in "${ports[@]}"; do
  for _ in $(seq 1 240); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { log "a server exited during start"; exit 1; }
    done
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { log "server on :$port never became healthy"; exit 1; }
done
log "servers healthy on ${ports[*]}"

migrations="$(psql "$database_url" -qtAc "SELECT count(*) || '/' || count(DISTINCT version) || '/' || bool_and(success) FROM _sqlx_migrations")"
defaults="$(psql "$database_url" -qtAc "SELECT count(*) FROM accounts WHERE is_default = 1")"
expected="$(ls "$root"/migrations/*.sql | wc -l)"
if [ "$migrations" != "$expected/$expected/true" ] || [ "$defaults" != 1 ]; then
  log "after three concurrent starts: migrations (rows/versions/ok) $migrations, expected $expected/$expected/true; Default accounts $defaults"
  exit 1
fi
log "migrations applied once ($migrations), one Default account"

node "$root/end2end/support/round-robin.mjs" "$proxy_port" "${ports[@]}" &
pids+=("$!")
wait "${pids[-1]}"
