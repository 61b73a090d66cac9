#!/usr/bin/env bash
# persist.sh: what durability costs in throughput. redis-benchmark against
#
#   lc-everysec   Lightcone, effect log on, appendfsync everysec (the default)
#   lc-nolog      Lightcone, --appendonly no
#   redis-aof     redis-server, appendonly yes, appendfsync everysec
#   redis-noaof   redis-server, appendonly no
#
# (all with --save "": snapshots are not what is measured), in interleaved
# rounds, and the medians side by side: lc-everysec / lc-nolog is the cost of
# the log (goal: at least 0.90), lc-everysec / redis-aof the comparison with
# Redis doing the same job (goal: at least 1.0), and redis-aof / redis-noaof
# what the same job costs Redis on the same machine.
#
# Usage: bench/persist.sh  (TESTS=set,incr,lpush,hset N=1000000 P=16
#                           ROUNDS=5 CLIENTS=50 KEYSPACE=100000 FSYNC=everysec)
set -euo pipefail

TESTS=${TESTS:-set,incr,lpush,hset}
N=${N:-1000000}
P=${P:-16}
ROUNDS=${ROUNDS:-5}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
FSYNC=${FSYNC:-everysec}

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need redis-server
need redis-benchmark
need redis-cli
build_lightcone

declare -A PORTS

# start NAME: starts one of the three setups on a free port
start() {
	local name=$1 port dir i
	port=$(free_port) || die "no free port"
	dir="$WORK/$name"
	mkdir -p "$dir"
	case $name in
	lc-everysec)
		"$WORK/lightcone" server --port "$port" --bind 127.0.0.1 --dir "$dir/data" --loglevel warning \
			--save "" --appendonly yes --appendfsync "$FSYNC" >"$dir/log" 2>&1 &
		;;
	lc-nolog)
		"$WORK/lightcone" server --port "$port" --bind 127.0.0.1 --dir "$dir/data" --loglevel warning \
			--save "" --appendonly no >"$dir/log" 2>&1 &
		;;
	redis-aof)
		redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly yes \
			--appendfsync "$FSYNC" --daemonize no >"$dir/log" 2>&1 &
		;;
	redis-noaof)
		redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
			--daemonize no >"$dir/log" 2>&1 &
		;;
	esac
	SERVER_PIDS+=("$!")
	for i in $(seq 100); do
		[ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
		sleep 0.1
	done
	[ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] || die "$name did not start: $(tail -3 "$dir/log")"
	PORTS[$name]=$port
}

SETUPS="lc-everysec lc-nolog redis-aof redis-noaof"
for s in $SETUPS; do start "$s"; done

RESULTS=$WORK/results.tsv
: >"$RESULTS"
echo "-t $TESTS -n $N -r $KEYSPACE -c $CLIENTS -P $P, appendfsync $FSYNC, $ROUNDS rounds, $(nproc) CPUs" >&2
for round in $(seq "$ROUNDS"); do
	for s in $SETUPS; do
		run_child redis-benchmark -h 127.0.0.1 -p "${PORTS[$s]}" -t "$TESTS" -n "$N" -r "$KEYSPACE" \
			-c "$CLIENTS" -P "$P" --csv -q >"$WORK/bench.out" 2>"$WORK/bench.err" ||
			die "redis-benchmark failed against $s: $(cat "$WORK/bench.err")"
		awk -F'","' -v s="$s" '
			/^"test"/ { next }
			NF >= 2 { t = $1; sub(/^"/, "", t); r = $2; sub(/"$/, "", r); printf "%s\t%s\t%s\n", s, t, r }' \
			"$WORK/bench.out" >>"$RESULTS"
		printf '  round %d/%d %-12s %s\n' "$round" "$ROUNDS" "$s" \
			"$(awk -F'\t' -v s="$s" '$1 == s { a[$2] = $3 } END { for (t in a) printf "%s=%s ", t, a[t] }' "$RESULTS")" >&2
	done
done

med() { awk -F'\t' -v s="$1" -v t="$2" '$1 == s && $2 == t { print $3 }' "$RESULTS" | median; }
printf '\n%-10s %12s %12s %12s %12s %10s %10s %11s\n' test lc-everysec lc-nolog redis-aof redis-noaof "log cost" "vs redis" "redis cost"
while IFS= read -r t; do
	e=$(med lc-everysec "$t")
	n=$(med lc-nolog "$t")
	r=$(med redis-aof "$t")
	q=$(med redis-noaof "$t")
	awk -v t="$t" -v e="$e" -v n="$n" -v r="$r" -v q="$q" 'BEGIN {
		printf "%-10s %12.0f %12.0f %12.0f %12.0f %10.2f %10.2f %11.2f\n", t, e, n, r, q,
			(n > 0 ? e / n : 0), (r > 0 ? e / r : 0), (q > 0 ? r / q : 0) }'
done < <(awk -F'\t' '!seen[$2]++ { print $2 }' "$RESULTS")
