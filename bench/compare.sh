#!/usr/bin/env bash
# compare.sh: redis-benchmark against a fresh redis-server (persistence off)
# and a fresh Lightcone built from this tree, side by side on this machine,
# in interleaved rounds (lightcone, redis, lightcone, redis, ...), and a
# table of the median requests per second of each, their ratio, and the
# median of the rounds' own ratios.
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

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

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
	awk -F'","' -v s="$server" -v p="$p" -v rd="$round" '
		/^"test"/ { next }
		NF >= 2 { t = $1; sub(/^"/, "", t); r = $2; sub(/"$/, "", r); printf "%s\t%s\t%s\t%s\t%s\n", s, t, p, r, rd }' \
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

# ratio: of the medians; per-round: the median of each round's own ratio
# (a round's two servers ran one after the other, so it is the steadier
# when the machine's speed drifts)
printf '\n%-22s %4s %16s %16s %7s %9s\n' test P "lightcone rps" "redis rps" ratio per-round
for p in $P_LIST; do
	while IFS= read -r t; do
		l=$(awk -F'\t' -v t="$t" -v p="$p" '$1 == "lightcone" && $2 == t && $3 == p { print $4 }' "$RESULTS" | median)
		r=$(awk -F'\t' -v t="$t" -v p="$p" '$1 == "redis" && $2 == t && $3 == p { print $4 }' "$RESULTS" | median)
		rr=$(awk -F'\t' -v t="$t" -v p="$p" '$2 == t && $3 == p { v[$1, $5] = $4; rd[$5] = 1 }
			END { for (k in rd) if (v["redis", k] + 0 > 0) print v["lightcone", k] / v["redis", k] }' "$RESULTS" | median)
		awk -v t="$t" -v p="$p" -v l="$l" -v r="$r" -v rr="$rr" 'BEGIN {
			ratio = (r + 0 > 0) ? sprintf("%.2f", l / r) : "n/a"
			per = (rr != "nan") ? sprintf("%.2f", rr) : "n/a"
			printf "%-22s %4s %16.0f %16.0f %7s %9s\n", t, p, l, r, ratio, per }'
	done < <(awk -F'\t' -v p="$p" '$3 == p && !seen[$2]++ { print $2 }' "$RESULTS")
done
