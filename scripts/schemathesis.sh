#!/usr/bin/env bash
# Property-based run of the REST API against its own OpenAPI document
# (Schemathesis, every check): schema-valid requests must be accepted and
# answered as documented, invalid ones refused with a documented 4xx, and
# nothing may answer 5xx. Starts a server on a fresh SQLite database with one
# Admin (and their key), runs, stops it. Refreshing a key is left out: run
# on the Admin's own row it would end the key the run uses (the integration
# tests cover it).
#
#   scripts/schemathesis.sh SERVER_BINARY [MAX_EXAMPLES]
#
# MAX_EXAMPLES (per operation) defaults to MUSTER_SCHEMATHESIS_EXAMPLES or 30
# (long mode: MUSTER_SCHEMATHESIS_EXAMPLES=500 make test).
set -euo pipefail
bin="${1:?usage: scripts/schemathesis.sh SERVER_BINARY [MAX_EXAMPLES]}"
examples="${2:-${MUSTER_SCHEMATHESIS_EXAMPLES:-30}}"
dir="$(mktemp -d "${TMPDIR:-/tmp}/muster-test-schemathesis-XXXXXX")"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
password="schemathesis-password-$$"
export DATABASE_URL="sqlite://$dir/muster.db" MUSTER_SECRET_FILE="$dir/secret.key" \
  LEPTOS_SITE_ADDR="127.0.0.1:$port" PUBLIC_URL="$base" MAIL_DIR="$dir/mail" RUST_LOG=warn \
  API_REQUESTS_PER_MINUTE=100000000 INVITES_PER_HOUR=100000000
unset SMTP_URL
MUSTER_ADMIN_PASSWORD="$password" "$bin" create-admin \
  --first-name Ada --last-name Lovelace --email ada@example.com >/dev/null
"$bin" >"$dir/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { tail -5 "$dir/server.log" >&2; exit 1; }
  sleep 0.1
done
curl -sf -c "$dir/cookies" -X POST "$base/rpc/sign_in" -H "Origin: $base" \
  --data-urlencode email=ada@example.com --data-urlencode "password=$password" \
  --data-urlencode next= >/dev/null
session="$(awk '$6 ~ /muster_session$/ {print $6 "=" $7}' "$dir/cookies")"
member="$(curl -sf -X POST "$base/rpc/team/list" -H "Origin: $base" -b "$session" \
  --data-urlencode q= --data-urlencode status= --data-urlencode page=1 |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["rows"][0]["id"])')"
key="$(curl -sf -X POST "$base/rpc/team/reveal_api_key" -H "Origin: $base" -b "$session" \
  --data-urlencode "member_id=$member" | tr -d '"')"
case "$key" in mst_*) ;; *) echo "no API key: $key" >&2; exit 1 ;; esac
"$bin" openapi >"$dir/openapi.json"
echo "schemathesis: $examples examples per operation against $base" >&2
schemathesis --config-file "$(dirname "$0")/schemathesis.toml" run "$dir/openapi.json" --url "$base" \
  --header "Authorization: Bearer $key" \
  --checks all --max-examples "$examples" --seed 1 \
  --exclude-path-regex '/api-key/refresh$' \
  --suppress-health-check all --no-color
