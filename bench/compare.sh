#!/usr/bin/env bash
# compare.sh: redis-benchmark against a fresh redis-server (persistence off)
# and a fresh Lightcone built from this tree, side by side on this machine,
# in interleaved rounds (lightcone, redis, lightcone, redis, ...), and a
# table of the median requests per second of each and their ratio.
#
# Usage: bench/compare.sh [--tests T] [--n N] [--p-list "16 1"] [--rounds R]
#                         [--clients C] [--keyspace K]
# or the same through the environment: TESTS N P_LIST ROUNDS CLIENTS KEYSPACE.
# Defaults: TESTS=set,get,incr,mset N=1000000 P_LIST="16 1" ROUNDS=3
#           CLIENTS=50 KEYSPACE=100000 (redis-benchmark -r).
# Example:  N=100000 ROUNDS=1 bench/compare.sh
#
# Needs redis-server, redis-benchmark, redis-cli and go on PATH. Ratios, not
# absolute figures, are what carries from one machine to another; run it on
# an otherwise idle machine.
set -euo pipefail

TESTS=${TESTS:-set,get,incr,mset}
N=${N:-1000000}
P_LIST=${P_LIST:-16 1}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case $1 in
	--tests) TESTS=$2; shift 2 ;;
	--n) N=$2; shift 2 ;;
	--p-list) P_LIST=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--clients) CLIENTS=$2; shift 2 ;;
	--keyspace) KEYSPACE=$2; shift 2 ;;
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
need redis-benchmark
need redis-cli
build_lightcone

start_server lightcone
L_PORT=$PORT
start_server redis
R_PORT=$PORT

RESULTS=$WORK/results.tsv
: >"$RESULTS"

# bench SERVER PORT P ROUND: one redis-benchmark run, appended to $RESULTS
# as "server<TAB>test<TAB>P<TAB>rps" lines.
bench() {
	local server=$1 port=$2 p=$3 round=$4
	run_child redis-benchmark -h 127.0.0.1 -p "$port" -t "$TESTS" -n "$N" -r "$KEYSPACE" \
		-c "$CLIENTS" -P "$p" --csv -q >"$WORK/bench.out" 2>"$WORK/bench.err" ||
		die "redis-benchmark failed against $server: $(cat "$WORK/bench.err")"
	# --csv lines: "test","rps","avg_latency_ms",...; the first is a header.
	awk -F'","' -v s="$server" -v p="$p" '
		/^"test"/ { next }
		NF >= 2 { t = $1; sub(/^"/, "", t); r = $2; sub(/"$/, "", r); printf "%s\t%s\t%s\t%s\n", s, t, p, r }' \
		"$WORK/bench.out" >>"$RESULTS"
	printf '  round %d/%d  -P %-3s %-9s %s\n' "$round" "$ROUNDS" "$p" "$server" \
		"$(awk -F'\t' -v s="$server" -v p="$p" '$1 == s && $3 == p { a[$2] = $4 } END { for (t in a) printf "%s=%s ", t, a[t] }' "$RESULTS")" >&2
}

echo "lightcone :$L_PORT, redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') :$R_PORT;" \
	"-t $TESTS -n $N -r $KEYSPACE -c $CLIENTS, P in {$P_LIST}, $ROUNDS rounds, $(nproc) CPUs" >&2
for p in $P_LIST; do
	for round in $(seq "$ROUNDS"); do
		bench lightcone "$L_PORT" "$p" "$round"
		bench redis "$R_PORT" "$p" "$round"
	done
done

printf '\n%-22s %4s %16s %16s %7s\n' test P "lightcone rps" "redis rps" ratio
for p in $P_LIST; do
	while IFS= read -r t; do
		l=$(awk -F'\t' -v t="$t" -v p="$p" '$1 == "lightcone" && $2 == t && $3 == p { print $4 }' "$RESULTS" | median)
		r=$(awk -F'\t' -v t="$t" -v p="$p" '$1 == "redis" && $2 == t && $3 == p { print $4 }' "$RESULTS" | median)
		awk -v t="$t" -v p="$p" -v l="$l" -v r="$r" 'BEGIN {
			ratio = (r + 0 > 0) ? sprintf("%.2f", l / r) : "n/a"
			printf "%-22s %4s %16.0f %16.0f %7s\n", t, p, l, r, ratio }'
	done < <(awk -F'\t' -v p="$p" '$3 == p && !seen[$2]++ { print $2 }' "$RESULTS")
done
