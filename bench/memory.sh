#!/usr/bin/env bash
# memory.sh: memory per key of Lightcone and redis-server. Each server is
# started fresh, its RSS (VmRSS of /proc/PID/status) read, N unique keys
# loaded (SET key:<i> <SIZE bytes> for i in 0..N-1, pipelined over one
# connection by bench/memload), the RSS read again, and the difference
# divided by N.
#
# With --type hash|set|zset|list it loads N elements into one collection
# instead and reports bytes per element.
#
# Usage: bench/memory.sh [--n N] [--size BYTES] [--type TYPE]
# or through the environment: N (default 1000000), SIZE (default 10),
# TYPE (default string).
# The servers inherit the environment (e.g. GOGC=... for Lightcone).
set -euo pipefail

N=${N:-1000000}
SIZE=${SIZE:-10}
TYPE=${TYPE:-string}

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case $1 in
	--n) N=$2; shift 2 ;;
	--size) SIZE=$2; shift 2 ;;
	--type) TYPE=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need redis-server
need redis-cli
[ -r /proc/self/status ] || die "needs /proc (Linux)"
build_lightcone
(cd "$ROOT" && go build -o "$WORK/memload" ./bench/memload) || die "building memload failed"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# measure NAME: sets BEFORE and AFTER (RSS in kB) and KEYS (DBSIZE, or "?"
# if the server has no DBSIZE).
measure() {
	local name=$1
	start_server "$name"
	sleep 1
	BEFORE=$(rss_kb "$PID")
	run_child "$WORK/memload" -addr "127.0.0.1:$PORT" -n "$N" -size "$SIZE" -type "$TYPE" || die "loading $name failed"
	sleep 2
	AFTER=$(rss_kb "$PID")
	KEYS=$(redis-cli -p "$PORT" dbsize 2>/dev/null | grep -E '^[0-9]+$' || echo '?')
	stop_server "$PID"
}

echo "loading $N $TYPE entries ($SIZE-byte values) into each server, $(nproc) CPUs" >&2
measure lightcone
l_before=$BEFORE l_after=$AFTER l_keys=$KEYS
measure redis
r_before=$BEFORE r_after=$AFTER r_keys=$KEYS

printf '\n%-10s %14s %14s %10s %10s\n' server "RSS before MB" "RSS after MB" keys "bytes/entry"
row() {
	awk -v s="$1" -v b="$2" -v a="$3" -v k="$4" -v n="$N" 'BEGIN {
		printf "%-10s %14.1f %14.1f %10s %10.1f\n", s, b / 1024, a / 1024, k, (a - b) * 1024 / n }'
}
row lightcone "$l_before" "$l_after" "$l_keys"
row redis "$r_before" "$r_after" "$r_keys"
awk -v lb="$l_before" -v la="$l_after" -v rb="$r_before" -v ra="$r_after" 'BEGIN {
	if (ra - rb > 0) printf "ratio (lightcone / redis bytes per key): %.2f\n", (la - lb) / (ra - rb) }'
