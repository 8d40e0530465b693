#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the Bangkok-scale bench (bench/bangkok_seed.py, bench/commands_bench.py):
#   bench/bangkok_pg.sh start [DIR] [PORT]   initdb + pg_ctl start on 127.0.0.1:PORT (default 54340)
#   bench/bangkok_pg.sh stop  [DIR]          stop it (the data stays in DIR until you rm -rf it)
# As in scripts/test: trust auth on loopback, fsync off (the data is disposable), pg_stat_statements loaded.
# As root the server runs as the postgres account (PostgreSQL refuses root). Disk: the full-size seed
# needs ~8 GB free (5.1 GB of data, up to 2 GB of WAL).
set -euo pipefail
action=${1:?start or stop}; dir=${2:-/work/saiyai-bangkok-pg}; port=${3:-54340}
pg_bin=""; for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && pg_bin=$d; done
[ -n "$pg_bin" ] || pg_bin="$(dirname "$(command -v initdb)")"
run_as=(); if [ "$(id -u)" = 0 ]; then run_as=(runuser -u postgres --); fi
case $action in
  start)
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      mkdir -p "$dir"; [ "$(id -u)" = 0 ] && chown postgres "$dir"
      "${run_as[@]}" "$pg_bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
    fi
    # Right after a stop the port can still be held (TIME_WAIT on loopback): try again for a minute.
    for attempt in 1 2 3 4 5; do
      "${run_as[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o \
      "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
       -c shared_buffers=512MB -c work_mem=32MB -c maintenance_work_mem=512MB -c max_wal_size=2GB \
       -c checkpoint_timeout=30min -c shared_preload_libraries=pg_stat_statements \
       -c pg_stat_statements.track=all -c track_io_timing=on -c max_connections=100" start >/dev/null && break
      [ "$attempt" = 5 ] && { echo "PostgreSQL did not start: see $dir/log" >&2; exit 1; }
      sleep 15
    done
    echo "postgresql://postgres@127.0.0.1:$port/postgres" ;;
  stop) "${run_as[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m fast stop ;;
  *) echo "usage: $0 start|stop [DIR] [PORT]" >&2; exit 2 ;;
esac
