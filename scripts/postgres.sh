#!/usr/bin/env bash
# Starts the machine's PostgreSQL cluster (if it is not running) and makes
# sure the test role exists: muster/muster with CREATEDB, and a member of
# pg_signal_backend so that `DROP DATABASE … WITH (FORCE)` may end sessions
# it does not own (an autovacuum worker in a leftover test database once
# failed CI with "must be a member of the role whose process is being
# terminated"). Prints the URL the tests create their databases from, and
# nothing else, on standard output: everything the PostgreSQL tools print
# goes to standard error (after an unclean stop `pg_ctlcluster` says "Removed
# stale pid file." on stdout, which once became part of the URL in CI).
set -euo pipefail
exec 3>&1 1>&2
cluster="$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')"
if [ -z "$cluster" ]; then
  version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
  pg_createcluster "$version" main 3>&-
  cluster="$version main"
fi
# After a kill the old server's children can hold its shared memory for a
# moment: retry the start a few times before giving up.
# shellcheck disable=SC2086
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  pg_lsclusters --no-header | awk 'NR==1 {print $4}' | grep -q online && break
  pg_ctlcluster $cluster start 3>&- && break
  [ "$attempt" = 10 ] && exit 1
  sleep 1
done
port="$(pg_lsclusters --no-header | awk 'NR==1 {print $3}')"
# Up to 10 minutes: after an unclean stop, crash recovery on a busy machine
# can take minutes ("the database system is starting up").
for _ in $(seq 1 1200); do
  runuser -u postgres -- psql -p "$port" -qtAc 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.5
done
runuser -u postgres -- psql -p "$port" -qtAc \
  "DO \$\$ BEGIN
     IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'muster') THEN
       CREATE ROLE muster LOGIN PASSWORD 'muster' CREATEDB;
     END IF;
   END \$\$;
   GRANT pg_signal_backend TO muster;" >/dev/null
echo "postgres://muster:muster@127.0.0.1:$port/postgres" >&3
