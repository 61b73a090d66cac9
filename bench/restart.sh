#!/usr/bin/env bash
# restart.sh: how long a restart takes with 1,000,000 keys, Lightcone next to
# redis-server, each loading what it wrote itself:
#
#   lightcone snapshot+tail  a snapshot of KEYS keys, then TAIL more writes in
#                            the log, then kill -9; restart = snapshot + log tail
#   lightcone log only       no snapshot: the whole log is replayed
#   redis rdb                SAVE, then restart loads dump.rdb
#   redis aof                appendonly yes (RDB preamble after BGREWRITEAOF)
#                            plus the same TAIL writes, then kill -9
#
# The time is from starting the process to its first PONG (what a client
# waits for), best of ROUNDS starts; the loaders' own reports are printed
# too. Keys are "key:<n>" with VALUE_SIZE-byte values; the tail overwrites
# TAIL of them.
#
# Usage: bench/restart.sh  (KEYS=1000000 TAIL=100000 VALUE_SIZE=16 ROUNDS=3)
set -euo pipefail

KEYS=${KEYS:-1000000}
TAIL=${TAIL:-100000}
VALUE_SIZE=${VALUE_SIZE:-16}
ROUNDS=${ROUNDS:-3}

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need redis-server
need redis-cli
need python3
build_lightcone

# gen FROM COUNT: SET commands for key:FROM.. in RESP, to stdout
gen() {
	python3 - "$1" "$2" "$VALUE_SIZE" <<'EOF'
import sys
start, n, vs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
out = sys.stdout.buffer
val = (b"v" * vs)
buf = []
for i in range(start, start + n):
    k = b"key:%d" % (i % 1000000000)
    buf.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(val), val))
    if len(buf) >= 10000:
        out.write(b"".join(buf)); buf = []
out.write(b"".join(buf))
EOF
}

gen 0 "$KEYS" >"$WORK/load.resp"
gen 0 "$TAIL" | sed 's/vvvv/wwww/' >"$WORK/tail.resp"

# wait_pong PORT: seconds (fractional) until PING answers PONG
wait_pong() {
	local port=$1 t0 t1
	t0=$(date +%s.%N)
	until [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; do sleep 0.005; done
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

# time_start NAME CMD...: starts CMD in the background (PORT set), prints
# the seconds until PONG and sets PID
time_start() {
	"$@" >>"$WORK/server.log" 2>&1 &
	PID=$!
	SERVER_PIDS+=("$PID")
	wait_pong "$PORT"
}

best() { sort -g | head -1; }

report=()

# --- Lightcone ---------------------------------------------------------------
for mode in snapshot log; do
	PORT=$(free_port)
	dir="$WORK/lc-$mode"
	args=(server --port "$PORT" --bind 127.0.0.1 --dir "$dir" --loglevel warning --save "" --auto-aof-rewrite-percentage 0)
	time_start "$WORK/lightcone" "${args[@]}" >/dev/null
	redis-cli -p "$PORT" --pipe <"$WORK/load.resp" >/dev/null
	[ "$mode" = snapshot ] && redis-cli -p "$PORT" save >/dev/null
	redis-cli -p "$PORT" --pipe <"$WORK/tail.resp" >/dev/null
	n=$(redis-cli -p "$PORT" dbsize)
	sleep 1.2 # everysec: let the last fsync happen
	stop_server "$PID"
	times=()
	for r in $(seq "$ROUNDS"); do
		t=$(time_start "$WORK/lightcone" "${args[@]}")
		got=$(redis-cli -p "$PORT" dbsize)
		[ "$got" = "$n" ] || die "lightcone ($mode) restarted with $got keys, not $n"
		rec=$(redis-cli -p "$PORT" info persistence | tr -d '\r' | awk -F: '/^recovery_time_ms/ { print $2 }')
		echo "lightcone $mode: start $r: ${t}s to PONG (recovery ${rec} ms, $got keys)" >&2
		times+=("$t")
		stop_server "$PID"
	done
	report+=("$(printf '%-26s %8s s' "lightcone $mode" "$(printf '%s\n' "${times[@]}" | best)")")
	du -sh "$dir"/log "$dir"/snapshots >&2
done

# --- redis-server ------------------------------------------------------------
for mode in rdb aof; do
	PORT=$(free_port)
	dir="$WORK/redis-$mode"
	mkdir -p "$dir"
	if [ "$mode" = rdb ]; then
		args=(--port "$PORT" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no --daemonize no)
	else
		args=(--port "$PORT" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly yes --appendfsync everysec --daemonize no)
	fi
	time_start redis-server "${args[@]}" >/dev/null
	redis-cli -p "$PORT" --pipe <"$WORK/load.resp" >/dev/null
	if [ "$mode" = rdb ]; then
		redis-cli -p "$PORT" --pipe <"$WORK/tail.resp" >/dev/null
		redis-cli -p "$PORT" save >/dev/null
	else
		redis-cli -p "$PORT" bgrewriteaof >/dev/null
		while [ "$(redis-cli -p "$PORT" info persistence | tr -d '\r' | awk -F: '/^aof_rewrite_in_progress/ { print $2 }')" != 0 ]; do sleep 0.1; done
		sleep 0.5
		redis-cli -p "$PORT" --pipe <"$WORK/tail.resp" >/dev/null
	fi
	n=$(redis-cli -p "$PORT" dbsize)
	sleep 1.2
	stop_server "$PID"
	times=()
	for r in $(seq "$ROUNDS"); do
		t=$(time_start redis-server "${args[@]}")
		got=$(redis-cli -p "$PORT" dbsize)
		[ "$got" = "$n" ] || die "redis ($mode) restarted with $got keys, not $n"
		echo "redis $mode: start $r: ${t}s to PONG ($got keys)" >&2
		times+=("$t")
		stop_server "$PID"
	done
	report+=("$(printf '%-26s %8s s' "redis-server $mode" "$(printf '%s\n' "${times[@]}" | best)")")
	du -sh "$dir" >&2
done

echo
echo "restart with $KEYS keys ($VALUE_SIZE-byte values) + $TAIL writes after the snapshot, best of $ROUNDS, $(nproc) CPUs:"
printf '%s\n' "${report[@]}"
