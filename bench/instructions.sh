#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable for
# the same binary and inputs whatever else the machine is doing, so two
# builds (say, before and after a change) compare on a loaded or a slower
# machine where wall-clock CPU time cannot (bench/README.md).
#
#   bench/instructions.sh BIN [BIN ...]
#
# For each server binary: SQLite, 1,000 members (seeded as by run.sh), the
# server under callgrind; per scenario 30 warm-up requests, then N (default
# 200, BENCH_REQUESTS) on one keep-alive connection, counted alone
# (callgrind_control zero/dump). Prints instructions per request, and each
# binary's ratio to the first. Also 10 s idle, so background work is known.
# BENCH_KEEP=1 keeps the dumps for callgrind_annotate.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=bench/seed.sh
source "$root/bench/seed.sh"
say() { printf '\033[1minstructions:\033[0m %s\n' "$*" >&2; }
[ $# -ge 1 ] || { sed -n '2,13p' "$0"; exit 2; }
command -v valgrind >/dev/null && command -v sqlite3 >/dev/null ||
  { say "needs valgrind and sqlite3 (apt-get install valgrind sqlite3)"; exit 1; }
n="${BENCH_REQUESTS:-200}"
scenarios=(me members team invite)
password='bench: correct horse battery staple'
work="$(mktemp -d "${TMPDIR:-/tmp}/muster-instructions.XXXXXX")"
pid=""
# BENCH_KEEP=1 keeps the work folder (the callgrind dumps, for
# callgrind_annotate) and says where it is.
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null
      if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi' EXIT

count() { # count BIN LABEL: writes $work/LABEL.tsv (scenario, instructions a request)
  local bin="$1" label="$2" dir="$work/$2" port base cookie member key s
  mkdir -p "$dir"
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  base="http://127.0.0.1:$port"
  export DATABASE_URL="sqlite://$dir/muster.db" MUSTER_SECRET_FILE="$dir/secret.key" \
    LEPTOS_SITE_ADDR="127.0.0.1:$port" PUBLIC_URL="$base" MAIL_DIR="$dir/mail" RUST_LOG=warn \
    API_REQUESTS_PER_MINUTE=100000000 INVITES_PER_HOUR=100000000
  unset SMTP_URL
  MUSTER_ADMIN_PASSWORD="$password" "$bin" create-admin \
    --first-name Ada --last-name Lovelace --email ada@example.com >/dev/null
  seed_sql sqlite 1000 | sqlite3 -bail -batch "$dir/muster.db"
  valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$bin" >"$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do curl -sf "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -sf -c "$dir/cookies" -X POST "$base/rpc/sign_in" -H "Origin: $base" -o /dev/null \
    --data-urlencode email=ada@example.com --data-urlencode "password=$password" --data-urlencode next=
  cookie="$(awk '$6 == "muster_session" {print $7}' "$dir/cookies")"
  member="$(sqlite3 "$dir/muster.db" "SELECT m.id FROM members m JOIN users u ON u.id = m.user_id
                                       WHERE u.email_normalized = 'ada@example.com'")"
  key="$(curl -sf -X POST "$base/rpc/team/reveal_api_key" -H "Origin: $base" \
    -b "muster_session=$cookie" --data-urlencode "member_id=$member" | tr -d '"')"
  case "$key" in mst_*) ;; *) say "$label: no API key ($key)"; exit 1 ;; esac
  : >"$dir/tsv"
  callgrind_control -z "$pid" >/dev/null
  sleep 10
  callgrind_control -d idle "$pid" >/dev/null
  for s in "${scenarios[@]}"; do
    say "$label: $s"
    python3 bench/instructions_load.py "$base" "$s" 30 "$key" "$cookie"
    callgrind_control -z "$pid" >/dev/null
    python3 bench/instructions_load.py "$base" "$s" "$n" "$key" "$cookie"
    callgrind_control -d "$s" "$pid" >/dev/null
  done
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  local dump trigger total
  for dump in "$dir"/cg.out.*; do
    trigger="$(sed -n -E "s/^desc: Trigger: (Client Request: |dump )//p" "$dump")"
    total="$(awk '/^summary:/ {print $2}' "$dump")"
    if [ "$trigger" = idle ]; then
      printf 'idle (10 s, total)\t%s\n' "$total"
    else
      printf '%s\t%s\n' "$trigger" "$((total / n))"
    fi
  done >"$work/$label.tsv"
}

labels=()
i=0
for bin in "$@"; do
  i=$((i + 1))
  count "$bin" "b$i"
  labels+=("b$i")
done
echo "instructions a request (callgrind), SQLite, 1,000 members, $n requests a scenario"
for i in "${!labels[@]}"; do echo "b$((i + 1)): ${*:$((i + 1)):1}"; done
python3 - "$work" "${labels[@]}" <<'PY'
import sys
work, labels = sys.argv[1], sys.argv[2:]
rows = [dict(line.rstrip("\n").split("\t") for line in open(f"{work}/{l}.tsv")) for l in labels]
head = "| scenario | " + " | ".join(labels) + " | " + " | ".join(f"{l}/b1" for l in labels[1:]) + " |"
print(head)
print("|---" * (1 + 2 * len(labels) - 1) + "|")
for s in rows[0]:
    values = [int(r[s]) for r in rows]
    ratios = [f"{v / values[0]:.3f}" for v in values[1:]]
    print(f"| {s} | " + " | ".join(f"{v:,}" for v in values) + " | " + " | ".join(ratios) + " |")
PY
