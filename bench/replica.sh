#!/usr/bin/env bash
# A real PostgreSQL streaming pair on this machine, apart from the main cluster: a primary
# (initdb in a temporary folder, wal_level=replica) and a hot standby made from it by
# pg_basebackup -R, each on its own port. tests/test_replica.py runs against it (.ci/run).
#
#   bench/replica.sh start    # (again: nothing to do if the pair streams) prints the URLs
#   bench/replica.sh status   # exit 0 when the replica is in recovery and streaming
#   bench/replica.sh stop     # stops both servers and removes the folder
#
# REPLICA_DIR (default /tmp/profiles-replica), PRIMARY_PORT (5442), REPLICA_PORT (5443).
# Run as root (the servers run as the postgres user) or as postgres. Test data only:
# fsync is off.
set -euo pipefail

DIR=${REPLICA_DIR:-/tmp/profiles-replica}
PRIMARY_PORT=${PRIMARY_PORT:-5442}
REPLICA_PORT=${REPLICA_PORT:-5443}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
PRIMARY_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/profiles"
REPLICA_URL="postgres://postgres@127.0.0.1:$REPLICA_PORT/profiles"

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

sql() {  # sql PORT QUERY: one value
    as_postgres "$PGBIN/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtqc "$2"
}

streaming() {
    [ "$(sql "$REPLICA_PORT" 'select pg_is_in_recovery()' 2>/dev/null)" = t ] &&
        [ "$(sql "$PRIMARY_PORT" "select count(*) from pg_stat_replication
                                   where state = 'streaming'" 2>/dev/null)" -ge 1 ]
}

stop_server() {  # stop_server DATADIR
    if [ -f "$1/postmaster.pid" ]; then
        as_postgres "$PGBIN/pg_ctl" -D "$1" -m immediate -w stop >/dev/null || true
    fi
}

stop() {
    stop_server "$DIR/replica"
    stop_server "$DIR/primary"
    rm -rf "$DIR"
}

start() {
    if streaming; then
        print_urls
        return
    fi
    stop  # whatever is left of an earlier pair
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR"

    as_postgres "$PGBIN/initdb" -D "$DIR/primary" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 --no-sync >/dev/null
    cat >>"$DIR/primary/postgresql.conf" <<EOF
port = $PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
wal_level = replica
max_wal_senders = 4
fsync = off
full_page_writes = off
shared_buffers = 32MB
EOF
    cat >"$DIR/primary/pg_hba.conf" <<EOF
local all all trust
host replication all 127.0.0.1/32 trust
host all all 127.0.0.1/32 trust
EOF
    as_postgres "$PGBIN/pg_ctl" -D "$DIR/primary" -l "$DIR/primary.log" -w start >/dev/null
    sql "$PRIMARY_PORT" 'create database profiles' >/dev/null

    as_postgres "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
        -D "$DIR/replica" -R -X stream --checkpoint=fast --no-sync
    echo "port = $REPLICA_PORT" >>"$DIR/replica/postgresql.conf"
    as_postgres "$PGBIN/pg_ctl" -D "$DIR/replica" -l "$DIR/replica.log" -w start >/dev/null

    for _ in $(seq 100); do
        streaming && break
        sleep 0.1
    done
    if ! streaming; then
        echo "The replica is not streaming; see $DIR/replica.log" >&2
        exit 1
    fi
    print_urls
}

print_urls() {
    echo "export DATABASE_URL=$PRIMARY_URL DATABASE_REPLICA_URLS=$REPLICA_URL"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) streaming ;;
    *)
        echo "usage: $0 start|status|stop" >&2
        exit 2
        ;;
esac
