#!/usr/bin/env bash
# shards.sh: two convomock shards behind nginx, as any user. acme on ACME_PORT, globex on GLOBEX_PORT, nginx on
# 127.0.0.1:LISTEN_PORT routing each tenant to its shard (bench/nginx/convomock-shards.conf says how). Runs until
# Ctrl-C or SIGTERM, then stops all three. Arguments after the script's name go to both `convomock serve`s.
#
#   bench/shards.sh                   # http://127.0.0.1:8080/1to1ai/api/v1/public/{acme,globex}/...
#   LISTEN_PORT=9080 bench/shards.sh --seed 3
#
# Environment (all optional):
#   LISTEN_PORT=8080 ACME_PORT=8101 GLOBEX_PORT=8102
#   SHARDS=2           1: a single convomock with every tenant behind the same nginx (the baseline `make bench`
#                      compares with); 2: one process per tenant
#   ACME_CPUS, GLOBEX_CPUS, NGINX_CPUS   taskset core lists to pin each process (unpinned when empty)
#   CONVOMOCK          the convomock command line (default: .venv/bin/convomock of this checkout)
#   NGINX              the nginx binary (default: nginx on PATH, else /usr/sbin/nginx)
#   SHARDS_DIR         where pid, log and temp files go (default: a new temp dir, removed on exit): acme.pid,
#                      globex.pid (not with SHARDS=1), nginx.pid, logs/
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
LISTEN_PORT="${LISTEN_PORT:-8080}"
ACME_PORT="${ACME_PORT:-8101}"
GLOBEX_PORT="${GLOBEX_PORT:-8102}"
SHARDS="${SHARDS:-2}"
read -r -a convomock <<<"${CONVOMOCK:-$root/.venv/bin/convomock}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"

if [ ! -x "$NGINX" ]; then
    echo "shards.sh: nginx not found (Debian: apt-get install nginx; or set NGINX=/path/to/nginx)" >&2
    exit 1
fi
if [ -n "${SHARDS_DIR:-}" ]; then
    dir="$SHARDS_DIR"
    keep=1
else
    dir="$(mktemp -d "${TMPDIR:-/tmp}/convomock-shards.XXXXXX")"
    keep=0
fi
mkdir -p "$dir/logs" "$dir/temp"

pids=()
stop() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    [ "$keep" = 1 ] || rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pin() {  # pin CPUS command...: run pinned when CPUS is set and taskset exists
    local cpus="$1"
    shift
    if [ -n "$cpus" ] && command -v taskset >/dev/null 2>&1; then
        exec taskset -c "$cpus" "$@"
    fi
    exec "$@"
}

wait_port() {  # wait_port PORT PID NAME: until something listens on PORT (convomock binds once it is seeded)
    local port="$1" pid="$2" name="$3" tries=0
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "shards.sh: $name exited; its log:" >&2
            tail -n 20 "$dir/logs/$name.log" >&2 || true
            exit 1
        fi
        tries=$((tries + 1))
        if [ "$tries" -gt 1200 ]; then
            echo "shards.sh: $name does not listen on $port after 60 s" >&2
            exit 1
        fi
        sleep 0.05
    done
}

start_shard() {  # start_shard NAME PORT CPUS convomock-args...
    local name="$1" port="$2" cpus="$3"
    shift 3
    (pin "$cpus" "${convomock[@]}" serve --host 127.0.0.1 --port "$port" "$@") >"$dir/logs/$name.log" 2>&1 &
    pids+=("$!")
    echo "$!" >"$dir/$name.pid"
}

if [ "$SHARDS" = 1 ]; then
    start_shard acme "$ACME_PORT" "${ACME_CPUS:-}" "$@"
    GLOBEX_PORT="$ACME_PORT"
    wait_port "$ACME_PORT" "${pids[0]}" acme
elif grep -q -- '--tenants' <<<"$("${convomock[@]}" serve --help)"; then
    start_shard acme "$ACME_PORT" "${ACME_CPUS:-}" --tenants acme "$@"
    start_shard globex "$GLOBEX_PORT" "${GLOBEX_CPUS:-}" --tenants globex "$@"
    wait_port "$ACME_PORT" "${pids[0]}" acme
    wait_port "$GLOBEX_PORT" "${pids[1]}" globex
else
    echo "shards.sh: this convomock has no --tenants yet: each shard holds every tenant (nginx still routes)" >&2
    start_shard acme "$ACME_PORT" "${ACME_CPUS:-}" "$@"
    start_shard globex "$GLOBEX_PORT" "${GLOBEX_CPUS:-}" "$@"
    wait_port "$ACME_PORT" "${pids[0]}" acme
    wait_port "$GLOBEX_PORT" "${pids[1]}" globex
fi

# The config as committed, with the ports of this run.
sed -e "s/127\.0\.0\.1:8080;/127.0.0.1:$LISTEN_PORT;/" \
    -e "s/127\.0\.0\.1:8101;/127.0.0.1:$ACME_PORT;/" \
    -e "s/127\.0\.0\.1:8102;/127.0.0.1:$GLOBEX_PORT;/" \
    "$here/nginx/convomock-shards.conf" >"$dir/nginx.conf"
(pin "${NGINX_CPUS:-}" "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" -g 'daemon off;') \
    >"$dir/logs/nginx.log" 2>&1 &
pids+=("$!")
wait_port "$LISTEN_PORT" "$!" nginx   # nginx itself writes $dir/nginx.pid

echo "convomock shards behind nginx on http://127.0.0.1:$LISTEN_PORT (Ctrl-C stops them; files in $dir)"
echo "  acme   -> 127.0.0.1:$ACME_PORT   e.g. /1to1ai/api/v1/public/acme/...   Authorization: Bearer sk_1to1_acme_live_..."
echo "  globex -> 127.0.0.1:$GLOBEX_PORT   e.g. /1to1ai/api/v1/public/globex/... Authorization: Bearer sk_1to1_globex_live_..."
echo "  every answer says which shard served it in X-Convomock-Shard"
wait -n "${pids[@]}" || true
echo "shards.sh: a process exited; stopping the others" >&2
exit 1
