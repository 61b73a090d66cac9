#!/usr/bin/env bash
# restart.sh: how long a restart takes with 1,000,000 keys, Lightcone next to
# redis-server, each loading what it wrote itself:
#
#   lc-snapshot  Lightcone: a snapshot of KEYS keys, then TAIL more writes in
#                the log, then kill -9; restart = snapshot + log tail
#   lc-log       Lightcone, no snapshot: the whole log is replayed
#   redis-rdb    redis-server: SAVE after all writes; restart loads dump.rdb
#   redis-aof    redis-server, appendonly yes: BGREWRITEAOF (RDB preamble)
#                after KEYS writes, then the TAIL writes, then kill -9
#
# The time is from starting the process to its first PONG (what a client
# waits for); the setups restart in turn, ROUNDS times, and the best and
# median are printed. Keys are "key:<n>" with VALUE_SIZE-byte values; the
# tail overwrites TAIL of them.
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

# time_start CMD...: starts CMD in the background (PORT set), sets PID and
# T, the seconds until its first PONG
time_start() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >>"$WORK/server.log" 2>&1 &
	PID=$!
	SERVER_PIDS+=("$PID")
	until [ "$(redis-cli -p "$PORT" ping 2>/dev/null)" = PONG ]; do
		kill -0 "$PID" 2>/dev/null || die "$1 exited: $(tail -3 "$WORK/server.log")"
		sleep 0.005
	done
	t1=$(date +%s.%N)
	T=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

best() { sort -g | head -1; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A ARGS BIN KEYSN TIMES

# prepare NAME: fills a data directory for one of the four setups
prepare() {
	local name=$1 dir="$WORK/$1"
	PORT=$(free_port)
	case $name in
	lc-snapshot | lc-log)
		BIN[$name]=$WORK/lightcone
		ARGS[$name]="server --port $PORT --bind 127.0.0.1 --dir $dir --loglevel warning --save '' --auto-aof-rewrite-percentage 0"
		;;
	redis-rdb)
		mkdir -p "$dir"
		BIN[$name]=redis-server
		ARGS[$name]="--port $PORT --bind 127.0.0.1 --dir $dir --save '' --appendonly no --daemonize no"
		;;
	redis-aof)
		mkdir -p "$dir"
		BIN[$name]=redis-server
		ARGS[$name]="--port $PORT --bind 127.0.0.1 --dir $dir --save '' --appendonly yes --appendfsync everysec --daemonize no"
		;;
	esac
	eval "time_start ${BIN[$name]} ${ARGS[$name]}"
	redis-cli -p "$PORT" --pipe <"$WORK/load.resp" >/dev/null
	case $name in
	lc-snapshot) redis-cli -p "$PORT" save >/dev/null ;;
	redis-aof)
		redis-cli -p "$PORT" bgrewriteaof >/dev/null
		sleep 0.2
		while [ "$(redis-cli -p "$PORT" info persistence | tr -d '\r' | awk -F: '/^aof_rewrite_in_progress/ { print $2 }')" != 0 ]; do sleep 0.1; done
		;;
	esac
	redis-cli -p "$PORT" --pipe <"$WORK/tail.resp" >/dev/null
	[ "$name" = redis-rdb ] && redis-cli -p "$PORT" save >/dev/null
	KEYSN[$name]=$(redis-cli -p "$PORT" dbsize)
	sleep 1.2 # everysec: let the last fsync happen
	stop_server "$PID"
	echo "$name: $(du -sh "$dir" | cut -f1) on disk, ${KEYSN[$name]} keys" >&2
}

SETUPS="lc-snapshot lc-log redis-rdb redis-aof"
for name in $SETUPS; do prepare "$name"; done

# interleaved restarts: every setup once per round
for r in $(seq "$ROUNDS"); do
	for name in $SETUPS; do
		PORT=$(echo "${ARGS[$name]}" | awk '{ for (i = 1; i < NF; i++) if ($i == "--port") print $(i + 1) }')
		eval "time_start ${BIN[$name]} ${ARGS[$name]}"
		got=$(redis-cli -p "$PORT" dbsize)
		[ "$got" = "${KEYSN[$name]}" ] || die "$name restarted with $got keys, not ${KEYSN[$name]}"
		extra=""
		case $name in lc-*) extra=" (recovery $(redis-cli -p "$PORT" info persistence | tr -d '\r' | awk -F: '/^recovery_time_ms/ { print $2 }') ms)" ;; esac
		echo "round $r: $name ${T}s to PONG$extra" >&2
		TIMES[$name]="${TIMES[$name]:-} $T"
		stop_server "$PID"
	done
done

echo
echo "restart with $KEYS keys ($VALUE_SIZE-byte values) + $TAIL overwrites after the snapshot/rewrite, $ROUNDS interleaved rounds, $(nproc) CPUs:"
printf '%-14s %10s %10s\n' setup "best s" "median s"
for name in $SETUPS; do
	printf '%-14s %10s %10s\n' "$name" "$(printf '%s\n' ${TIMES[$name]} | best)" "$(printf '%s\n' ${TIMES[$name]} | median)"
done
