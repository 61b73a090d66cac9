#!/usr/bin/env bash
# ops.sh: issue 4's side-by-side figures: redis-benchmark of
#   EVALSHA <sha of "return redis.call('INCR', KEYS[1])"> 1 counter
#   PUBLISH to a channel with 10 subscribers (redis-cli SUBSCRIBE processes)
# against a fresh redis-server and a fresh Lightcone (both without
# persistence), in interleaved rounds, medians and ratios.
#
# Usage: bench/ops.sh [--n N] [--p P] [--rounds R] [--subscribers S]
# or through the environment: N P ROUNDS SUBSCRIBERS.
# Defaults: N=500000 P=16 ROUNDS=3 SUBSCRIBERS=10, 50 clients.
set -euo pipefail

N=${N:-500000}
P=${P:-16}
ROUNDS=${ROUNDS:-3}
SUBSCRIBERS=${SUBSCRIBERS:-10}

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--n) N=$2; shift 2 ;;
	--p) P=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--subscribers) SUBSCRIBERS=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need redis-server
need redis-benchmark
need redis-cli
build_lightcone

start_server lightcone
L_PORT=$PORT
start_server redis
R_PORT=$PORT

SCRIPT="return redis.call('INCR', KEYS[1])"
SUB_PIDS=()
for port in "$L_PORT" "$R_PORT"; do
	redis-cli -p "$port" script load "$SCRIPT" >/dev/null
	for i in $(seq "$SUBSCRIBERS"); do
		redis-cli -p "$port" subscribe bench-channel >/dev/null &
		SUB_PIDS+=($!)
	done
done
trap 'for p in "${SUB_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; cleanup' EXIT
SHA=$(redis-cli -p "$R_PORT" script load "$SCRIPT")
for port in "$L_PORT" "$R_PORT"; do
	for i in $(seq 50); do
		n=$(redis-cli -p "$port" pubsub numsub bench-channel | tail -1)
		[ "$n" = "$SUBSCRIBERS" ] && break
		sleep 0.1
	done
	[ "$n" = "$SUBSCRIBERS" ] || die "subscribers did not attach on port $port ($n)"
done

RESULTS=$WORK/results.tsv
: >"$RESULTS"
bench() { # server port name cmd...
	local server=$1 port=$2 name=$3
	shift 3
	run_child redis-benchmark -h 127.0.0.1 -p "$port" -n "$N" -c 50 -P "$P" --csv -q "$@" \
		>"$WORK/bench.out" 2>"$WORK/bench.err" || die "redis-benchmark failed: $(cat "$WORK/bench.err")"
	awk -F'","' -v s="$server" -v t="$name" '/^"test"/ { next } NF >= 2 { r = $2; sub(/"$/, "", r); printf "%s\t%s\t%s\n", s, t, r }' \
		"$WORK/bench.out" >>"$RESULTS"
	printf '  %-9s %-8s %s\n' "$server" "$name" "$(tail -1 "$RESULTS" | cut -f3)" >&2
}

echo "lightcone :$L_PORT, redis-server :$R_PORT; -n $N -P $P -c 50, $SUBSCRIBERS subscribers, $ROUNDS rounds" >&2
for round in $(seq "$ROUNDS"); do
	for s in lightcone redis; do
		port=$L_PORT
		[ $s = redis ] && port=$R_PORT
		bench $s "$port" EVALSHA evalsha "$SHA" 1 counter
		bench $s "$port" PUBLISH publish bench-channel hello
	done
done

printf '\n%-10s %16s %16s %7s\n' test "lightcone rps" "redis rps" ratio
for t in EVALSHA PUBLISH; do
	l=$(awk -F'\t' -v t=$t '$1 == "lightcone" && $2 == t { print $3 }' "$RESULTS" | median)
	r=$(awk -F'\t' -v t=$t '$1 == "redis" && $2 == t { print $3 }' "$RESULTS" | median)
	awk -v t=$t -v l="$l" -v r="$r" 'BEGIN { printf "%-10s %16.0f %16.0f %7.2f\n", t, l, r, l / r }'
done
for port in "$L_PORT" "$R_PORT"; do
	echo "counter on :$port = $(redis-cli -p "$port" get counter)" >&2
done
