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
# BENCH_SERVER (the server binary to run; default $CARGO_TARGET_DIR/<profile>/server).
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
    -h | --help) sed -n '2,15p' "$root/bench/run.sh"; exit 0 ;;
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
    sqlite3 -bail -batch "$db_target"
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
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency --timeout 10s "$@" "$url" >"$out"
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
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$db_engine" "$members" "$name" \
    "$connections" "$out" "$((after - before))" "$(peak_rss_kb)" "$probe_out" \
    "$((busy_after - busy_before))" "$((wrk_after - wrk_before))" "$argon2_file" >>"$work/scenarios.tsv"
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
run_one() {
  local engine="$1"
  members="$2"
  run_id="$engine-$members"
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
    TRUSTED_PROXY_HEADER=x-forwarded-for
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
  run_scenario members 32 "$base/api/v1/members?limit=100" -H "Authorization: Bearer $key"
  run_scenario team 32 "$base/team" -H "Cookie: muster_session=$cookie"
  run_scenario me 32 "$base/api/v1/me" -H "Authorization: Bearer $key"
  # The raw argon2id rate again, right before sign-in (the server idle), so
  # the two are compared under the same conditions.
  "$target/bench-argon2/release/argon2-rate" "$pair_seconds" >"$work/$run_id-argon2.txt"
  BENCH_EMAIL=ada@example.com BENCH_PASSWORD="$password" BENCH_ORIGIN="$base" \
    run_scenario sign-in 8 "$base/" -s bench/lua/signin.lua
  BENCH_KEY="$key" BENCH_PREFIX="bench-$run_id" \
    run_scenario invite 8 "$base/" -s bench/lua/invite.lua

  bulk_import "$key"

  if [ "$engine" = "${db_list[0]}" ] && [ "$members" = "${sizes[0]}" ]; then
    say "  hydration: $loads loads of /sign-in in headless Chromium"
    node bench/hydration.js "$base/sign-in" "$loads" >"$work/hydration.json"
  fi
  stop_server
}

: >"$work/scenarios.tsv"
: >"$work/bulk.tsv"
for engine in "${db_list[@]}"; do
  for n in "${sizes[@]}"; do
    run_one "$engine" "$n"
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
