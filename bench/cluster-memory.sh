#!/usr/bin/env bash
# cluster-memory.sh: a cluster's memory once stable, against one node's.
#
# Three Lightcone nodes on loopback each take WRITES/3 SETs of 10-byte
# values over KEYS keys at once (redis-benchmark -P 16); once they are
# stable (equal DEBUG DIGEST, no unfolded effects) and effects have left the
# retained windows (30 s after they became stable), MEMORY PURGE, then each
# node's used_memory is compared with that of one standalone node that took
# all WRITES SETs itself. Also prints the write rate per node, how long the
# nodes took to converge, and the catch-ups lost (INFO
# lightcone_catchup_impossible).
#
# Usage: bench/cluster-memory.sh   (WRITES=10000000 KEYS=1000000)
set -euo pipefail

WRITES=${WRITES:-10000000}
KEYS=${KEYS:-1000000}

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need redis-benchmark
need redis-cli
build_lightcone

used() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }
field() { redis-cli -p "$1" info cluster | tr -d '\r' | awk -F: -v k="$2" '$1 == k { print $2 }'; }

# the cluster
pass=$("$WORK/lightcone" gen-passphrase)
ports=() cports=()
for i in 0 1 2; do
	ports+=("$(free_port)")
	cports+=("$(free_port)")
done
peers="127.0.0.1:${cports[0]},127.0.0.1:${cports[1]},127.0.0.1:${cports[2]}"
for i in 0 1 2; do
	dir="$WORK/node$i"
	mkdir -p "$dir"
	"$WORK/lightcone" server --port "${ports[$i]}" --bind 127.0.0.1 --dir "$dir/data" --save '' \
		--loglevel warning --cluster-passphrase "$pass" --cluster-port "${cports[$i]}" \
		--peers "$peers" >"$dir/log" 2>&1 &
	SERVER_PIDS+=("$!")
done
for p in "${ports[@]}"; do
	for _ in $(seq 200); do
		[ "$(redis-cli -p "$p" ping 2>/dev/null)" = PONG ] && break
		sleep 0.1
	done
done
echo "3 nodes: $((WRITES / 3)) SETs each at once, $KEYS keys"
start=$(date +%s)
bench_pids=()
for p in "${ports[@]}"; do
	redis-benchmark -p "$p" -t set -n $((WRITES / 3)) -r "$KEYS" -d 10 -c 50 -P 16 -q 2>/dev/null |
		tr '\r' '\n' | grep 'requests per second' | tail -1 | sed "s/^/  node :$p /" &
	bench_pids+=("$!")
done
wait "${bench_pids[@]}"
loaded=$(date +%s)
echo "  load took $((loaded - start)) s"
for _ in $(seq 600); do
	d=$(for p in "${ports[@]}"; do redis-cli -p "$p" debug digest; done | sort -u | wc -l)
	l=$(for p in "${ports[@]}"; do field "$p" lightcone_live_effects; done | sort -u)
	[ "$d" = 1 ] && [ "$l" = 0 ] && break
	sleep 1
done
[ "$d" = 1 ] && [ "$l" = 0 ] || die "the nodes did not converge within 10 minutes"
echo "  converged $(($(date +%s) - loaded)) s after the load"
sleep 35 # effects leave the retained windows 30 s after they became stable
for p in "${ports[@]}"; do
	redis-cli -p "$p" memory purge >/dev/null
	echo "  node :$p used_memory $(used "$p") retained $(field "$p" lightcone_retained_bytes) catch-ups lost $(field "$p" lightcone_catchup_impossible)"
done
for pid in "${SERVER_PIDS[@]}"; do stop_server "$pid"; done

# one node with the same data
start_server lightcone
redis-benchmark -p "$PORT" -t set -n "$WRITES" -r "$KEYS" -d 10 -c 50 -P 16 -q >/dev/null 2>&1
redis-cli -p "$PORT" memory purge >/dev/null
echo "standalone: used_memory $(used "$PORT") ($(redis-cli -p "$PORT" dbsize) keys)"
