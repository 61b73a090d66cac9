#!/usr/bin/env bash
# Shared by compare.sh and memory.sh: work dir, cleanup, starting and stopping
# redis-server and Lightcone on free ports. Source it; it defines functions only
# (and ROOT, WORK, the cleanup traps).

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
			# persistence off, like the redis-server it is compared with
			# (bench/persist.sh compares the logged configurations)
			"$WORK/lightcone" server --port "$PORT" --bind 127.0.0.1 --dir "$dir/data" \
				--loglevel warning --appendonly no --save '' ${LIGHTCONE_ARGS:-} >"$dir/log" 2>&1 &
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

