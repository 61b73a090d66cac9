#!/usr/bin/env bash
# memory.sh: memory per key of Lightcone and redis-server. Each server is
# started fresh, its RSS (VmRSS of /proc/PID/status) read, N unique keys
# loaded (SET key:<i> <SIZE bytes> for i in 0..N-1, pipelined over one
# connection by bench/memload), the RSS read again, and the difference
# divided by N.
#
# Usage: bench/memory.sh [--n N] [--size BYTES]
# or through the environment: N (default 1000000), SIZE (default 10).
# The servers inherit the environment (e.g. GOGC=... for Lightcone).
set -euo pipefail

N=${N:-1000000}
SIZE=${SIZE:-10}

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case $1 in
	--n) N=$2; shift 2 ;;
	--size) SIZE=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lightcone-bench.XXXXXX")
SERVER_PIDS=()
CHILD_PID= # a benchmark or load in progress

cleanup() {
	local pid
	for pid in $CHILD_PID "${SERVER_PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	SERVER_PIDS=()
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

need() {
	command -v "$1" >/dev/null 2>&1 || die "$1 not found on PATH"
}

# build_lightcone: builds the tree into $WORK/lightcone.
build_lightcone() {
	need go
	(cd "$ROOT" && go build -o "$WORK/lightcone" ./cmd/lightcone) || die "go build failed"
}

# run_child CMD...: runs CMD in the background and waits for it, so that a
# signal interrupts the wait and the EXIT trap kills it.
run_child() {
	"$@" &
	CHILD_PID=$!
	local rc=0
	wait "$CHILD_PID" || rc=$?
	CHILD_PID=
	return "$rc"
}

# free_port: prints a port nobody listens on (a server that still loses the
# race for it exits, and start_server tries another).
free_port() {
	local p i
	for i in $(seq 200); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# start_server NAME: starts a fresh server (redis or lightcone) on a free
# port and sets PORT and PID. The server's data and log go to $WORK.
start_server() {
	local name=$1 attempt i dir
	for attempt in 1 2 3 4 5; do
		PORT=$(free_port) || die "no free port"
		dir="$WORK/$name-$PORT"
		mkdir -p "$dir"
		case $name in
		redis)
			redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
				--daemonize no --dir "$dir" >"$dir/log" 2>&1 &
			;;
		lightcone)
			"$WORK/lightcone" server --port "$PORT" --bind 127.0.0.1 --dir "$dir/data" \
				--loglevel warning >"$dir/log" 2>&1 &
			;;
		*) die "unknown server $name" ;;
		esac
		PID=$!
		SERVER_PIDS+=("$PID")
		for i in $(seq 100); do
			kill -0 "$PID" 2>/dev/null || break
			if [ "$(redis-cli -p "$PORT" ping 2>/dev/null)" = PONG ] && kill -0 "$PID" 2>/dev/null; then
				return 0
			fi
			sleep 0.1
		done
		kill -9 "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
		echo "$name did not start on port $PORT:" >&2
		tail -5 "$dir/log" >&2
	done
	die "could not start $name"
}

# stop_server PID
stop_server() {
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	local keep=() pid
	for pid in "${SERVER_PIDS[@]}"; do
		[ "$pid" = "$1" ] || keep+=("$pid")
	done
	SERVER_PIDS=("${keep[@]}")
}

# median: the median of the numbers on stdin, one per line.
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

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
	run_child "$WORK/memload" -addr "127.0.0.1:$PORT" -n "$N" -size "$SIZE" || die "loading $name failed"
	sleep 2
	AFTER=$(rss_kb "$PID")
	KEYS=$(redis-cli -p "$PORT" dbsize 2>/dev/null | grep -E '^[0-9]+$' || echo '?')
	stop_server "$PID"
}

echo "loading $N keys with $SIZE-byte values into each server, $(nproc) CPUs" >&2
measure lightcone
l_before=$BEFORE l_after=$AFTER l_keys=$KEYS
measure redis
r_before=$BEFORE r_after=$AFTER r_keys=$KEYS

printf '\n%-10s %14s %14s %10s %10s\n' server "RSS before MB" "RSS after MB" keys bytes/key
row() {
	awk -v s="$1" -v b="$2" -v a="$3" -v k="$4" -v n="$N" 'BEGIN {
		printf "%-10s %14.1f %14.1f %10s %10.1f\n", s, b / 1024, a / 1024, k, (a - b) * 1024 / n }'
}
row lightcone "$l_before" "$l_after" "$l_keys"
row redis "$r_before" "$r_after" "$r_keys"
awk -v lb="$l_before" -v la="$l_after" -v rb="$r_before" -v ra="$r_after" 'BEGIN {
	if (ra - rb > 0) printf "ratio (lightcone / redis bytes per key): %.2f\n", (la - lb) / (ra - rb) }'
