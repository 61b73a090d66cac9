#!/usr/bin/env bash
# ab.sh: A/B of Lightcone configurations (and optionally redis-server) with
# redis-benchmark, in interleaved rounds, medians per configuration. For
# deciding whether a change or a knob helps: the machine's speed drifts from
# minute to minute, so configurations are run one after the other in every
# round rather than one whole run each.
#
# Usage: bench/ab.sh [--test T] [--p P] [--n N] [--rounds R] CONFIG...
# A CONFIG is one of:
#   redis                      redis-server, persistence off
#   NAME                       Lightcone built from this tree
#   NAME:VAR=V,VAR=V           ... with environment variables (LIGHTCONE_*)
#   NAME@BINARY[:VAR=V,...]    another Lightcone binary (e.g. one built from main)
# The report gives, against the first configuration, the ratio of the medians
# and the median of the rounds' own ratios (steadier when the machine drifts).
# Lightcone runs with --appendonly ${APPENDONLY:-no} --save ''; a configuration's
# own APPENDONLY=yes|no (and APPENDFSYNC=always|everysec|no) among its
# variables sets it for that configuration alone.
# Example:  bench/ab.sh --test zadd --p 16 redis lc spin0:LIGHTCONE_SPIN_US=0
#           bench/ab.sh --test lpush base@/tmp/lightcone-main lc
set -euo pipefail

T=${T:-set}
P=${P:-16}
N=${N:-1000000}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
APPENDONLY=${APPENDONLY:-no}

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

CONFIGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--test) T=$2; shift 2 ;;
	--p) P=$2; shift 2 ;;
	--n) N=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) CONFIGS+=("$1"); shift ;;
	esac
done
[ ${#CONFIGS[@]} -gt 0 ] || { usage >&2; exit 2; }

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need redis-server
need redis-benchmark
need redis-cli
build_lightcone

# run CONFIG: one benchmark against a fresh server; prints requests/s.
run() {
	local cfg=$1 name bin envs dir
	name=${cfg%%[:@]*}
	if [ "$cfg" = redis ]; then
		start_server redis
	else
		bin=$WORK/lightcone
		envs=
		case $cfg in
		*@*) bin=${cfg#*@}; bin=${bin%%:*} ;;
		esac
		case $cfg in
		*:*) envs=${cfg#*:}; envs=${envs//,/ } ;;
		esac
		local attempt i up= aof=$APPENDONLY fsync=everysec v
		for v in $envs; do
			case $v in
			APPENDONLY=*) aof=${v#*=} ;;
			APPENDFSYNC=*) fsync=${v#*=} ;;
			esac
		done
		for attempt in 1 2 3 4 5; do
			PORT=$(free_port) || die "no free port"
			dir=$WORK/$name-$PORT
			mkdir -p "$dir"
			# shellcheck disable=SC2086
			env $envs "$bin" server --port "$PORT" --bind 127.0.0.1 --dir "$dir/data" \
				--loglevel warning --appendonly "$aof" --appendfsync "$fsync" --save '' >"$dir/log" 2>&1 &
			PID=$!
			SERVER_PIDS+=("$PID")
			for i in $(seq 100); do
				kill -0 "$PID" 2>/dev/null || break
				if [ "$(redis-cli -p "$PORT" ping 2>/dev/null)" = PONG ]; then
					up=1
					break
				fi
				sleep 0.1
			done
			[ -n "$up" ] && break
			stop_server "$PID" # lost the port to another process: try another
		done
		if [ -z "$up" ]; then
			# never benchmark nothing: redis-benchmark spins without a server
			tail -5 "$dir/log" >&2
			die "$cfg did not start"
		fi
	fi
	redis-benchmark -p "$PORT" -t "$T" -n "$N" -r "$KEYSPACE" -c "$CLIENTS" -P "$P" -q 2>/dev/null |
		tr '\r' '\n' | grep 'requests per second' | tail -1 |
		sed 's/.*: \([0-9.]*\) requests per second.*/\1/'
	stop_server "$PID"
}

echo "-t $T -P $P -n $N -r $KEYSPACE -c $CLIENTS, $ROUNDS rounds, appendonly $APPENDONLY, $(nproc) CPUs"
declare -A got
for r in $(seq "$ROUNDS"); do
	for cfg in "${CONFIGS[@]}"; do
		v=$(run "$cfg")
		got[$cfg]="${got[$cfg]:-} $v"
		printf '  round %d/%d  %-28s %s\n' "$r" "$ROUNDS" "$cfg" "$v"
	done
done
# vs the first configuration: the ratio of the medians, and the median of
# the rounds' own ratios (the machine's speed drifts between rounds, and a
# round's configurations ran side by side, so the latter is the steadier)
first=
read -r -a base <<<"${got[${CONFIGS[0]}]}"
for cfg in "${CONFIGS[@]}"; do
	m=$(printf '%.0f' "$(echo "${got[$cfg]}" | tr ' ' '\n' | grep . | median)")
	[ -n "$first" ] || first=$m
	read -r -a mine <<<"${got[$cfg]}"
	rr=$(for i in "${!mine[@]}"; do echo "${mine[$i]} / ${base[$i]}" | bc -l; done | median)
	printf '%-28s median %12.0f   vs %s %.2f   per-round %.2f\n' "$cfg" "$m" "${CONFIGS[0]}" "$(echo "$m / $first" | bc -l)" "$rr"
done
