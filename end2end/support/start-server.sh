#!/usr/bin/env bash
# Starts the debug server for the end-to-end tests on port $1 with a fresh
# SQLite database, mail to the SMTP sink on port $2, and self-registration
# on, and webhooks allowed to loopback; Playwright stops it when the run ends.
set -euo pipefail
port="$1"
smtp_port="$2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
data="$(mktemp -d -t muster-e2e-XXXXXX)"
export DATABASE_URL="sqlite://$data/muster.db"
export MUSTER_SECRET_FILE="$data/secret.key"
export LEPTOS_SITE_ADDR="127.0.0.1:$port"
export PUBLIC_URL="http://127.0.0.1:$port"
export SMTP_URL="smtp://127.0.0.1:$smtp_port"
export ALLOW_SELF_REGISTRATION=true
# The webhooks spec runs its receiver on loopback.
export WEBHOOK_ALLOW_PRIVATE=true
# Not every request: the per-request lines would drown the test report.
export RUST_LOG="${RUST_LOG:-info,sqlx=warn,muster::request=warn}"
cd "$root"
exec "$target/debug/server"
