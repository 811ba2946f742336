#!/usr/bin/env bash
# Muster's benchmarks (issue 6). See bench/README.md.
#
#   bench/run.sh                 full: release build, SQLite and PostgreSQL,
#                                1,000 and 10,000 members, ~10 s a scenario;
#                                writes bench/RESULTS.md
#   bench/run.sh --smoke         debug build, SQLite, 1,000 members, ~1 s a
#                                scenario; fails unless every scenario
#                                answered 2xx and the sizes were printed
#   bench/run.sh --db sqlite|postgres|both
#
# Knobs (environment): BENCH_DURATION (seconds a scenario), BENCH_SIZES
# ("1000 10000"), BENCH_LOADS (hydration page loads), BENCH_KEEP=1 (keep the
# work folder), BENCH_SKIP_BUILD=1 (use the binaries already built),
# BENCH_SERVER (the server binary to run; default $CARGO_TARGET_DIR/<profile>/server),
# BENCH_PEER=0 (full mode without the peer), BENCH_PEER_DIR (the peer's
# sources; default ../shared/peers/better-auth beside the clone),
# BENCH_PERF=1 (a perf profile of the server in each scenario, with
# BENCH_KEEP=1 to keep it; its overhead skews that run's CPU figures).
#
# Full mode also runs the peer, Better Auth, on SQLite with the same members,
# in the order Muster, peer, Muster (A-B-A) on the first size, and prints
# the ratios; if the peer cannot be installed it says so and goes on.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=bench/seed.sh
source "$root/bench/seed.sh"
say() { printf '\033[1mbench:\033[0m %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

mode=full
dbs=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) mode=smoke ;;
    --db) dbs="${2:-}"; shift ;;
    --db=*) dbs="${1#--db=}" ;;
    -h | --help) sed -n '2,24p' "$root/bench/run.sh"; exit 0 ;;
    *) die "unknown argument $1 (try --help)" ;;
  esac
  shift
done
if [ -z "$dbs" ]; then
  if [ "$mode" = smoke ]; then dbs=sqlite; else dbs=both; fi
fi
case "$dbs" in
  both) db_list=(sqlite postgres) ;;
  sqlite | postgres) db_list=("$dbs") ;;
  *) die "--db takes sqlite, postgres or both" ;;
esac
if [ "$mode" = smoke ]; then
  duration="${BENCH_DURATION:-1}"
  read -r -a sizes <<<"${BENCH_SIZES:-1000}"
  loads="${BENCH_LOADS:-2}"
  argon2_seconds=1
  pair_seconds=1
  profile=debug
else
  duration="${BENCH_DURATION:-10}"
  read -r -a sizes <<<"${BENCH_SIZES:-1000 10000}"
  loads="${BENCH_LOADS:-10}"
  argon2_seconds=10
  pair_seconds=5
  profile=release
fi
peer=0
if [ "$mode" = full ] && [ "${BENCH_PEER:-1}" = 1 ]; then peer=1; fi
peer_src="${BENCH_PEER_DIR:-$root/../shared/peers/better-auth}"
target="${CARGO_TARGET_DIR:-$root/target}"
bin="${BENCH_SERVER:-$target/$profile/server}"
clk_tck="$(getconf CLK_TCK)"
password='bench: correct horse battery staple'
started_at=$SECONDS

# --- Cleanup: everything this script starts is stopped on exit. -----------
work="$(mktemp -d "${TMPDIR:-/tmp}/muster-bench.XXXXXX")"
server_pid=""
probe_pid=""
pg_admin_url=""
pg_databases=()
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
cleanup() {
  local status=$?
  if [ -n "$probe_pid" ]; then kill "$probe_pid" 2>/dev/null || true; fi
  stop_server
  local database attempt
  for database in "${pg_databases[@]}"; do
    for attempt in 1 2 3 4 5; do
      if psql "$pg_admin_url" -qtAc "DROP DATABASE IF EXISTS $database WITH (FORCE)" \
        >/dev/null 2>"$work/drop.err"; then
        break
      fi
      if [ "$attempt" = 5 ]; then
        say "could not drop PostgreSQL database $database: $(cat "$work/drop.err")"
      fi
      sleep 1
    done
  done
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    say "kept the work folder $work"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Tools (idempotent). -------------------------------------------------
say "mode $mode, databases ${db_list[*]}, sizes ${sizes[*]}, ${duration}s a scenario"
if [ "$mode" = full ] || ! command -v chromium >/dev/null 2>&1 ||
  [ ! -d end2end/node_modules/@playwright ]; then
  scripts/setup.sh test >&2
else
  scripts/setup.sh run >&2
fi
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >&2
fi

# --- Build. ----------------------------------------------------------------
if [ "${BENCH_SKIP_BUILD:-0}" = 1 ]; then
  say "BENCH_SKIP_BUILD=1: using $bin and the site as built"
  [ -f "$work/sizes.txt" ] || : >"$work/sizes.txt"
else
  if [ "$profile" = release ]; then
    say "building: cargo xtask build --release"
    cargo xtask build --release >"$work/sizes.txt"
  else
    say "building: cargo xtask build"
    cargo xtask build >"$work/sizes.txt"
  fi
fi
# BENCH_SKIP_BUILD still prints sizes: measure the site as it is.
if [ ! -s "$work/sizes.txt" ]; then
  python3 bench/report.py --sizes-of "$root" >"$work/sizes.txt"
fi
cat "$work/sizes.txt"
[ -x "$bin" ] || die "$bin is missing"
say "building the argon2id micro-benchmark (bench/argon2-rate)"
cargo build --quiet --release --locked --manifest-path bench/argon2-rate/Cargo.toml \
  --target-dir "$target/bench-argon2" >&2

# --- The peer (full mode): copied out of its folder and installed there. ---
# Its node_modules are kept in $target/bench-peer between runs and
# reinstalled only when its package-lock.json changes.
peer_home="$target/bench-peer"
install_peer() {
  [ -f "$peer_src/package-lock.json" ] || {
    say "peer: no Better Auth sources at $peer_src (set BENCH_PEER_DIR)"
    return 1
  }
  command -v node >/dev/null 2>&1 || { say "peer: node is not installed"; return 1; }
  mkdir -p "$peer_home"
  tar -C "$peer_src" --exclude=node_modules --exclude=bench-out --exclude='peer.db*' \
    --exclude=seed.json --exclude=outbox.jsonl --exclude=results.md -cf - . | tar -C "$peer_home" -xf -
  if ! cmp -s "$peer_home/package-lock.json" "$peer_home/node_modules/.bench-installed" ||
    [ ! -f "$peer_home/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ]; then
    say "peer: npm ci in $peer_home (better-sqlite3 compiles from source, ~2 min)"
    if [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi
    (cd "$peer_home" && npm ci --no-audit --no-fund) >"$work/peer-install.log" 2>&1 || {
      say "peer: npm ci failed: $(tail -3 "$work/peer-install.log")"
      return 1
    }
    cp "$peer_home/package-lock.json" "$peer_home/node_modules/.bench-installed"
  fi
}
if [ "$peer" = 1 ] && ! install_peer; then
  say "peer: not installed, so this run prints Muster's table without the ratios"
  peer=0
fi
build_seconds=$((SECONDS - started_at))

# --- The machine. --------------------------------------------------------
{
  echo "nproc: $(nproc)"
  echo "cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "kernel: $(uname -sr)"
  echo "rustc: $(rustc -V)"
  echo "wrk: $(wrk -v 2>&1 | head -1)"
  echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "free -h:"
  free -h
} >"$work/machine.txt"

# --- argon2id verify rate (no server running). ---------------------------
say "argon2id verify rate (${argon2_seconds}s, one thread per core)"
"$target/bench-argon2/release/argon2-rate" "$argon2_seconds" >"$work/argon2.txt"
cat "$work/argon2.txt" >&2
if [ "$mode" = full ] && python3 -c 'import argon2' 2>/dev/null; then
  python3 bench/argon2_rate.py 5 >"$work/argon2-py.txt" || true
fi

# --- Helpers. ------------------------------------------------------------
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
db_engine=""
db_target=""
sql() { # runs SQL from stdin against the current database
  if [ "$db_engine" = sqlite ]; then
    # The server writes too (the outbox worker after the invite scenario):
    # wait for its lock rather than fail at once.
    sqlite3 -bail -batch -cmd ".timeout 10000" "$db_target"
  else
    psql "$db_target" -qtA -v ON_ERROR_STOP=1
  fi
}
cpu_ticks() { # utime + stime of the server, in clock ticks
  awk '{print $14 + $15}' "/proc/$server_pid/stat"
}
reset_peak_rss() { # so VmHWM is the peak of the next scenario alone
  echo 5 >"/proc/$server_pid/clear_refs" 2>/dev/null || true
}
machine_busy_ticks() { # all CPUs, everything but idle and iowait
  awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}
children_cpu_ms() { # CPU of the waited-for children of this shell (wrk), in ms
  times >"$work/times" # no pipe: a subshell would see its own (zero) children
  awk 'NR == 2 {
    split($1, u, /[ms]/); split($2, s, /[ms]/)
    printf "%d\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1000 }' "$work/times"
}
peak_rss_kb() {
  awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status"
}
expect_2xx() { # expect_2xx NAME curl-args...: one request, status must be 2xx
  local name="$1" code
  shift
  code="$(curl -s -o "$work/preflight.out" -w '%{http_code}' "$@")" || code=000
  case "$code" in
    2??) ;;
    *) die "$name answered $code: $(head -c 300 "$work/preflight.out")" ;;
  esac
}

# run_scenario NAME CONNECTIONS URL [wrk options...]
run_scenario() {
  local name="$1" connections="$2" url="$3"
  shift 3
  local threads=2 out="$work/$run_id-$name.txt" before after probe_out=""
  local busy_before busy_after wrk_before wrk_after
  if [ "$connections" -lt 2 ]; then threads=1; fi
  say "  $name, c=$connections, ${duration}s"
  if [ "$mode" = full ] && [ "${BENCH_WARMUP:-1}" = 1 ] && [ "$name" != sign-in ] &&
    [ "$name" != invite ]; then
    wrk -t"$threads" -c"$connections" -d2s "$@" "$url" >/dev/null
  fi
  reset_peak_rss
  children_cpu_ms >"$work/wrk-before"
  busy_before="$(machine_busy_ticks)"
  before="$(cpu_ticks)"
  if [ "$name" = sign-in ]; then
    # /healthz from a second client at the same time, paced (10 ms between
    # requests) so that the probe does not take a core from argon2.
    probe_out="$work/$run_id-healthz.txt"
    BENCH_DELAY_MS=10 wrk -t1 -c1 -d"${duration}s" --latency --timeout 10s -s bench/lua/paced.lua \
      "$base/healthz" >"$probe_out" &
    probe_pid=$!
  fi
  local perf_pid=""
  if [ "${BENCH_PERF:-0}" = 1 ]; then
    # A CPU profile of the server during the scenario (perf's own cost shows
    # in this run's CPU column: profile and measure in separate runs).
    perf record -q -F 299 --call-graph dwarf,8192 -p "$server_pid" \
      -o "$work/$run_id-$name.perf.data" -- sleep "$duration" 2>/dev/null &
    perf_pid=$!
  fi
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency --timeout 10s "$@" "$url" >"$out"
  if [ -n "$perf_pid" ]; then
    wait "$perf_pid" || true
    perf report -q -i "$work/$run_id-$name.perf.data" --stdio --no-children --percent-limit 0.7 \
      --sort symbol -g none >"$work/$run_id-$name.perf.txt" 2>/dev/null || true
    perf report -q -i "$work/$run_id-$name.perf.data" --stdio --children --percent-limit 3 \
      --sort symbol -g none >"$work/$run_id-$name.perf-children.txt" 2>/dev/null || true
    say "  profile: $work/$run_id-$name.perf.txt (self) and .perf-children.txt (inclusive)"
  fi
  if [ -n "$probe_pid" ]; then
    wait "$probe_pid"
    probe_pid=""
  fi
  after="$(cpu_ticks)"
  busy_after="$(machine_busy_ticks)"
  children_cpu_ms >"$work/wrk-after"
  wrk_before="$(cat "$work/wrk-before")"
  wrk_after="$(cat "$work/wrk-after")"
  local argon2_file=""
  if [ "$name" = sign-in ]; then argon2_file="$work/$run_id-argon2.txt"; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$db_engine" "$members" "$name" \
    "$connections" "$out" "$((after - before))" "$(peak_rss_kb)" "$probe_out" \
    "$((busy_after - busy_before))" "$((wrk_after - wrk_before))" "$argon2_file" "$bench_pass" \
    >>"$work/scenarios.tsv"
}

# webhook_rate KEY: queues BENCH_WEBHOOKS deliveries (default 2000; 200 for
# --smoke) to an endpoint on a local receiver (bench/webhook_receiver.py) in
# one transaction, and prints how many the server delivered per second
# (signed, over HTTP, marked delivered), from the commit to the last one.
webhook_rate() {
  local key="$1" hook_port receiver_pid endpoint n started finished pending
  n="${BENCH_WEBHOOKS:-$([ "$mode" = smoke ] && echo 200 || echo 2000)}"
  hook_port="$(free_port)"
  python3 bench/webhook_receiver.py "$hook_port" &
  receiver_pid=$!
  for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$hook_port/count" >/dev/null 2>&1 && break
    sleep 0.1
  done
  endpoint="$(curl -sf -X POST "$base/api/v1/webhooks" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' \
    -d "{\"url\":\"http://127.0.0.1:$hook_port/hook\",\"events\":[\"member.invited\"]}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')" ||
    die "could not add the bench webhook endpoint"
  started="$(date +%s.%N)"
  sql >/dev/null <<SQL
INSERT INTO webhook_deliveries (id, event_id, endpoint_id, account_id, event_type, payload,
  created_at, attempts, next_attempt_at)
SELECT 'bench-' || n, 'msg_bench_' || n, e.id, e.account_id, 'webhook.test',
  '{"type":"webhook.test","timestamp":"2026-01-01T00:00:00Z","data":{}}', 0, 0, 0
FROM webhook_endpoints e, (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $n) SELECT n FROM c) numbers
WHERE e.id = '$endpoint';
SQL
  for _ in $(seq 1 1200); do
    pending="$(echo "SELECT COUNT(*) FROM webhook_deliveries WHERE sent_at IS NULL;" | sql)"
    [ "$pending" = 0 ] && break
    sleep 0.05
  done
  finished="$(date +%s.%N)"
  kill "$receiver_pid" 2>/dev/null || true
  wait "$receiver_pid" 2>/dev/null || true
  [ "$pending" = 0 ] || die "webhooks: $pending of $n deliveries still pending after 60 s"
  python3 -c "import sys; n, a, b = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]); print(f'deliveries={n} seconds={b - a:.3f} per_second={n / (b - a):.0f}')" \
    "$n" "$started" "$finished" >"$work/$run_id-webhooks.txt"
  printf '%s\t%s\t%s\n' "$db_engine" "$members" "$work/$run_id-webhooks.txt" >>"$work/webhooks.tsv"
  say "  webhooks: $(cat "$work/$run_id-webhooks.txt")"
}

# bulk_import KEY: one POST /api/v1/invitations/bulk of 1,000 new addresses
# (what the Import CSV dialog sends for a 1,000-row file, in one request),
# timed by curl; each row is its own transaction with its mail.
bulk_import() {
  local key="$1" body="$work/$run_id-bulk.json" out="$work/$run_id-bulk.out" timing
  python3 -c 'import json, sys
rows = [{"first_name": "Bulk", "last_name": f"Row {n}", "email": f"bulk-{sys.argv[1]}-{n}@example.com"}
        for n in range(1000)]
print(json.dumps({"invitations": rows}))' "$run_id" >"$body"
  say "  bulk import: 1,000 rows in one request"
  timing="$(curl -s -o "$out" -w '%{http_code} %{time_total}' -X POST "$base/api/v1/invitations/bulk" \
    -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data-binary "@$body")" ||
    timing="000 0"
  local invited code seconds
  read -r code seconds <<<"$timing"
  invited="$(python3 -c 'import json, sys
try:
    print(json.load(open(sys.argv[1]))["invited"])
except Exception:
    print(0)' "$out")"
  printf '%s\t%s\t%s\t%s\t%s\n' "$db_engine" "$members" "$code" "$seconds" "$invited" >>"$work/bulk.tsv"
}

# --- One run: a fresh database, seeded, a server, the scenarios. -----------
# run_one ENGINE MEMBERS [SCENARIOS]: SCENARIOS (default all) is a subset of
# "members team me sign-in invite"; bench_pass numbers Muster's repeated runs.
bench_pass=1
run_one() {
  local engine="$1"
  members="$2"
  local scenarios=" ${3:-members team me sign-in invite} "
  run_id="$engine-$members-$bench_pass"
  local dir="$work/$run_id"
  mkdir -p "$dir"
  db_engine="$engine"
  if [ "$engine" = sqlite ]; then
    db_target="$dir/muster.db"
    database_url="sqlite://$db_target"
  else
    if [ -z "$pg_admin_url" ]; then
      pg_admin_url="$(scripts/postgres.sh)"
    fi
    local database="muster_bench_$$_$members"
    psql "$pg_admin_url" -qtAc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null
    psql "$pg_admin_url" -qtAc "CREATE DATABASE $database" >/dev/null
    pg_databases+=("$database")
    db_target="${pg_admin_url%/*}/$database"
    database_url="$db_target"
  fi
  local port
  port="$(free_port)"
  base="http://127.0.0.1:$port"
  export DATABASE_URL="$database_url" MUSTER_SECRET_FILE="$dir/secret.key" \
    LEPTOS_SITE_ADDR="127.0.0.1:$port" PUBLIC_URL="$base" MAIL_DIR="$dir/mail" \
    RUST_LOG=warn API_REQUESTS_PER_MINUTE=100000000 INVITES_PER_HOUR=100000000 \
    TRUSTED_PROXY_HEADER=x-forwarded-for WEBHOOK_ALLOW_PRIVATE=true
  unset SMTP_URL

  say "$engine, $members members: migrating, creating the admin, seeding"
  MUSTER_ADMIN_PASSWORD="$password" "$bin" create-admin \
    --first-name Ada --last-name Lovelace --email ada@example.com >/dev/null
  seed_sql "$engine" "$members" | sql
  if [ "$engine" = postgres ]; then
    echo "ANALYZE users; ANALYZE members;" | sql >/dev/null
  fi
  local count
  count="$(echo "SELECT COUNT(*) FROM members;" | sql)"
  [ "$count" = "$((members + 1))" ] || die "seeded $count members, expected $((members + 1))"

  "$bin" >"$dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || die "the server exited: $(tail -5 "$dir/server.log")"
    sleep 0.1
  done
  expect_2xx healthz "$base/healthz"

  # A session (the sign-in server function) and the admin's key (Copy API
  # Key's server function): no key exists in plain text anywhere else.
  expect_2xx sign-in -c "$dir/cookies" -X POST "$base/rpc/sign_in" -H "Origin: $base" \
    --data-urlencode email=ada@example.com --data-urlencode "password=$password" --data-urlencode next=
  local cookie admin_member key
  cookie="$(awk '$6 == "muster_session" {print $7}' "$dir/cookies")"
  [ -n "$cookie" ] || die "no muster_session cookie after sign-in"
  admin_member="$(echo "SELECT m.id FROM members m JOIN users u ON u.id = m.user_id
                        WHERE u.email_normalized = 'ada@example.com';" | sql)"
  key="$(curl -sf -X POST "$base/rpc/team/reveal_api_key" -H "Origin: $base" \
    -b "muster_session=$cookie" --data-urlencode "member_id=$admin_member" | tr -d '"')"
  case "$key" in mst_*) ;; *) die "no API key from reveal_api_key: $key" ;; esac

  expect_2xx members "$base/api/v1/members?limit=100" -H "Authorization: Bearer $key"
  expect_2xx team "$base/team" -b "muster_session=$cookie"
  expect_2xx me "$base/api/v1/me" -H "Authorization: Bearer $key"
  expect_2xx invite -X POST "$base/api/v1/invitations" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' -d '{"first_name":"B","last_name":"T","email":"preflight@example.com"}'

  say "$engine, $members members: server pid $server_pid on $base"
  case "$scenarios" in *" members "*)
    run_scenario members 32 "$base/api/v1/members?limit=100" -H "Authorization: Bearer $key" ;;
  esac
  case "$scenarios" in *" team "*)
    run_scenario team 32 "$base/team" -H "Cookie: muster_session=$cookie" ;;
  esac
  case "$scenarios" in *" me "*)
    run_scenario me 32 "$base/api/v1/me" -H "Authorization: Bearer $key" ;;
  esac
  case "$scenarios" in *" sign-in "*)
    # The raw argon2id rate again, right before sign-in (the server idle), so
    # the two are compared under the same conditions.
    "$target/bench-argon2/release/argon2-rate" "$pair_seconds" >"$work/$run_id-argon2.txt"
    BENCH_EMAIL=ada@example.com BENCH_PASSWORD="$password" BENCH_ORIGIN="$base" \
      run_scenario sign-in 8 "$base/" -s bench/lua/signin.lua ;;
  esac
  case "$scenarios" in *" invite "*)
    BENCH_KEY="$key" BENCH_PREFIX="bench-$run_id" \
      run_scenario invite 8 "$base/" -s bench/lua/invite.lua ;;
  esac

  if [ "$bench_pass" = 1 ]; then
    webhook_rate "$key"
    bulk_import "$key"
  fi

  if [ "$bench_pass" = 1 ] && [ "$engine" = "${db_list[0]}" ] && [ "$members" = "${sizes[0]}" ]; then
    say "  hydration: $loads loads of /sign-in in headless Chromium"
    node bench/hydration.js "$base/sign-in" "$loads" >"$work/hydration.json"
  fi
  stop_server
}

# --- The peer: Better Auth on SQLite, the same members, the same load. -----
# Its member list by API key (x-api-key, the session made from the key) and
# its sign-in with argon2id of the same parameters as ours.
run_peer() {
  members="$1"
  run_id="peer-$members"
  db_engine=peer
  local dir="$work/$run_id" port
  mkdir -p "$dir"
  port="$(free_port)"
  base="http://127.0.0.1:$port"
  say "peer (Better Auth), $members members: seeding"
  (cd "$peer_home" && PEER_HASH=argon2id PEER_DB="$dir/peer.db" PEER_OUTBOX="$dir/outbox.jsonl" \
    node src/seed.mjs "$members" --fresh) >"$dir/seed.log" 2>&1 ||
    die "peer seed failed: $(tail -3 "$dir/seed.log")"
  (cd "$peer_home" && exec env NODE_ENV=production PEER_HASH=argon2id PEER_PORT="$port" \
    PEER_DB="$dir/peer.db" PEER_OUTBOX="$dir/outbox.jsonl" node src/server.mjs) >"$dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do
    curl -sf "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || die "the peer exited: $(tail -5 "$dir/server.log")"
    sleep 0.1
  done
  local seed="$peer_home/seed.json" org key width member_password
  org="$(node -p "require('$seed').organizationId")"
  key="$(node -p "require('$seed').apiKey")"
  width="$(node -p "require('$seed').memberEmailWidth")"
  member_password="$(node -p "require('$seed').memberPassword")"
  local list="$base/api/auth/organization/list-members?organizationId=$org&limit=100"
  expect_2xx "peer members" "$list" -H "x-api-key: $key"
  say "peer, $members members: server pid $server_pid on $base"
  run_scenario members 32 "$list" -H "x-api-key: $key"
  "$target/bench-argon2/release/argon2-rate" "$pair_seconds" >"$work/$run_id-argon2.txt"
  BENCH_DIR="$peer_home/bench" N_MEMBERS="$members" EMAIL_WIDTH="$width" \
    MEMBER_PASSWORD="$member_password" ORIGIN="$base" \
    run_scenario sign-in 8 "$base/api/auth/sign-in/email" -s "$peer_home/bench/signin.lua"
  stop_server
}

: >"$work/scenarios.tsv"
: >"$work/webhooks.tsv"
: >"$work/bulk.tsv"
for engine in "${db_list[@]}"; do
  for n in "${sizes[@]}"; do
    run_one "$engine" "$n"
    if [ "$peer" = 1 ] && [ "$engine" = sqlite ] && [ "$n" = "${sizes[0]}" ]; then
      # A-B-A: the peer between two Muster runs of what the ratios compare.
      run_peer "$n"
      bench_pass=2
      run_one sqlite "$n" "members sign-in"
      bench_pass=1
    fi
  done
done

echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$work/machine.txt"
report_args=(--work "$work" --mode "$mode" --profile "$profile" --clk-tck "$clk_tck"
  --build-seconds "$build_seconds" --bench-seconds "$((SECONDS - started_at - build_seconds))")
if [ "$mode" = full ]; then
  report_args+=(--out bench/RESULTS.md)
fi
python3 bench/report.py "${report_args[@]}"
say "done in $((SECONDS - started_at))s (build ${build_seconds}s)"
