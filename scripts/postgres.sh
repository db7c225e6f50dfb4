#!/usr/bin/env bash
# A private PostgreSQL server for the tests: Debian's packages, a cluster of its own, loopback only.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
LOG_PREFIX=postgres.sh

usage() {
    cat <<'USAGE'
Usage: scripts/postgres.sh start DIR
       scripts/postgres.sh stop DIR
       scripts/postgres.sh url DIR

start  Installs Debian's postgresql when no server is installed (apt-get, needs root), creates a
       new cluster in DIR (removing an old one there), starts it on 127.0.0.1 at a free port with
       password authentication (scram-sha-256) and a random password, creates the database
       `iav`, and keeps its URL, postgres://iav:PASSWORD@127.0.0.1:PORT/iav, in DIR/url
       (readable by its owner only; `url` prints it). PostgreSQL refuses to run as root: as root, the
       cluster belongs to Debian's `postgres` user and the server runs as that user.
stop   Stops the server of DIR (fast shutdown) if it runs.
url    Prints the URL of the server of DIR.

As root, DIR must be reachable by the postgres user (under /tmp, for instance).
The server has fsync off (a test database); its log is DIR/server.log.
USAGE
}

pg_bin() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$bin" ] && [ -x "$bin/initdb" ] && echo "$bin"
}

# as_owner CMD...: runs CMD as the cluster's owner (postgres when this script runs as root), from
# / (the caller's directory may be closed to that user).
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    local dir="$1" bin port password
    bin=$(pg_bin) || { apt_install postgresql; bin=$(pg_bin) || die "no initdb after installing postgresql"; }
    "$0" stop "$dir" 2>/dev/null || true
    rm -rf "$dir"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir"
        runuser -u postgres -- test -w "$dir" ||
            die "the postgres user cannot reach $dir (a parent directory is closed to it): use a directory under /tmp"
    fi
    chmod 700 "$dir"
    password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    printf '%s\n' "$password" >"$dir/pwfile"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/pwfile"
    as_owner "$bin/initdb" -D "$dir/data" -U iav --auth=scram-sha-256 --pwfile="$dir/pwfile" \
        -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    rm -f "$dir/pwfile"
    port=$(free_port)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
        start >/dev/null || { tail -n 20 "$dir/server.log" >&2; die "the server did not start"; }
    PGPASSWORD="$password" "$bin/createdb" -h 127.0.0.1 -p "$port" -U iav iav
    printf 'postgres://iav:%s@127.0.0.1:%s/iav\n' "$password" "$port" >"$dir/url"
    chmod 600 "$dir/url"
    log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (cluster $dir)"
}

stop() {
    local dir="$1" bin
    [ -f "$dir/data/postmaster.pid" ] || return 0
    bin=$(pg_bin) || return 0
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

case "${1:-}" in
    -h | --help) usage ;;
    start | stop | url)
        [ "$#" -eq 2 ] || die_usage "$1 takes one DIR"
        case "$1" in
            start) start "$2" ;;
            stop) stop "$2" ;;
            url) cat "$2/url" ;;
        esac
        ;;
    *) usage >&2; exit 2 ;;
esac
