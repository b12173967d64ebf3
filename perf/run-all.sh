#!/usr/bin/env bash
# perf/run-all.sh - build Sluice in release mode, run the whole performance set and print one
# table: stage microbenchmarks, the whole-pipeline replay (1 and 2 workers), the DPDK floor
# (testpmd io-forward), the Suricata peer, and the memory footprint. See perf/README.md.
#
#   perf/run-all.sh [--min-time SECONDS] [--replay SECONDS] [--no-peers] [--no-build]
#
#   --min-time   Google Benchmark --benchmark_min_time per benchmark (default 0.5)
#   --replay     seconds of in-memory replay per worker count (default 10)
#   --no-peers   skip testpmd and Suricata (they need root, and Suricata's first run builds a
#                Debian chroot of about 300 MB from the network)
#   --no-build   use the binaries already in the build directory
#
# Environment: SLUICE_PERF_BUILD (default <repo>/build-perf), SLUICE_PERF_CACHE (generated
# captures, default ~/.cache/sluice-perf), SLUICE_PEERS (default <repo>/../shared/peers/run-peers.sh).
# Raw outputs stay in the work directory printed at the end.
set -euo pipefail

MIN_TIME=0.5
REPLAY_S=10
PEERS=1
BUILD_FIRST=1
while [ $# -gt 0 ]; do
    case "$1" in
        --min-time) MIN_TIME=$2; shift 2 ;;
        --replay) REPLAY_S=$2; shift 2 ;;
        --no-peers) PEERS=0; shift ;;
        --no-build) BUILD_FIRST=0; shift ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run-all.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SLUICE_PERF_BUILD:-$ROOT/build-perf}
CACHE=${SLUICE_PERF_CACHE:-$HOME/.cache/sluice-perf}
PEERS_SCRIPT=${SLUICE_PEERS:-$ROOT/../shared/peers/run-peers.sh}
WORK=$(mktemp -d /tmp/sluice-perf.XXXX)
CALLS=200000
SEED=7
CAPTURE=$CACHE/api-${CALLS}-seed${SEED}.pcap
FOOTPRINT_FLOWS=1000000
SYN_CAPTURE=$CACHE/syn-${FOOTPRINT_FLOWS}.pcap
MICRO="decode flow_table reassembly http record record_pipeline worker"
log() { echo "# $*" >&2; }

CONTROL_PID=
cleanup() {
    if [ -n "$CONTROL_PID" ]; then kill -INT "$CONTROL_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- build
if [ $BUILD_FIRST = 1 ]; then
    [ -d "$BUILD" ] || meson setup "$BUILD" "$ROOT" --buildtype=release -Db_ndebug=true >&2
    # Link-time optimisation inlines across the components (3 to 5 % more packets per second
    # in bench_worker). Production builds should use the same options.
    meson configure "$BUILD" -Db_lto=true >&2
    targets="dataplane/app/sluice-dataplane control/sluice-control perf/gen/sluice-gen-api"
    targets+=" perf/micro/sluice-perf-footprint perf/micro/sluice-perf-syn-capture"
    for name in $MICRO; do targets+=" perf/micro/bench_$name"; done
    log "building in $BUILD"
    # shellcheck disable=SC2086
    ninja -C "$BUILD" -j2 $targets >&2
fi
DATAPLANE=$BUILD/dataplane/app/sluice-dataplane
CONTROL=$BUILD/control/sluice-control

# ---------------------------------------------------------------- machine
{
    echo "nproc=$(nproc)"
    echo "cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "cpu_mhz=$(awk -F': ' '/^cpu MHz/ {print $2; exit}' /proc/cpuinfo)"
    echo "kernel=$(uname -r)"
    echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "lto=$(meson introspect "$BUILD" --buildoptions 2>/dev/null | python3 -c 'import json, sys; print(next((o["value"] for o in json.load(sys.stdin) if o["name"] == "b_lto"), "unknown"))' 2>/dev/null || echo unknown)"
    if perf stat -x, -e cycles true 2>&1 >/dev/null | grep -q '^[0-9]'; then
        echo "perf_cycles=1"
    else
        echo "perf_cycles=0"
    fi
} >"$WORK/machine.txt"

# The peers' 20 anchor rules in Sluice's rule language: bench_worker's inspect:2 case, and the
# data plane runs below, so that Sluice matches what Suricata matches.
ANCHOR_RULES=$(dirname "$PEERS_SCRIPT")/anchor-rules.sluice.yaml
RULE_ARGS=()
if [ -s "$ANCHOR_RULES" ]; then
    export SLUICE_BENCH_RULES=$ANCHOR_RULES
    RULE_ARGS=(--rules "$ANCHOR_RULES")
else
    # A caller's own rule file would make bench_worker's ceiling differ from the runs below.
    unset SLUICE_BENCH_RULES
    log "no $ANCHOR_RULES: data plane runs and bench_worker go without rules (PII detection stays on)"
fi

# ---------------------------------------------------------------- captures
mkdir -p "$CACHE"
if [ ! -s "$CAPTURE" ]; then
    log "generating $CAPTURE"
    "$BUILD/perf/gen/sluice-gen-api" --calls $CALLS --seed $SEED --out "$CAPTURE.tmp" >&2
    mv "$CAPTURE.tmp" "$CAPTURE"
fi
if [ ! -s "$SYN_CAPTURE" ]; then
    log "generating $SYN_CAPTURE"
    "$BUILD/perf/micro/sluice-perf-syn-capture" $FOOTPRINT_FLOWS "$SYN_CAPTURE.tmp"
    mv "$SYN_CAPTURE.tmp" "$SYN_CAPTURE"
fi

# ---------------------------------------------------------------- microbenchmarks
for name in $MICRO; do
    log "micro: bench_$name (min time $MIN_TIME s)"
    "$BUILD/perf/micro/bench_$name" --benchmark_min_time="$MIN_TIME" \
        --benchmark_out="$WORK/micro-$name.json" --benchmark_out_format=json \
        >"$WORK/micro-$name.txt" 2>&1 || { tail -20 "$WORK/micro-$name.txt" >&2; exit 1; }
done

# The worker pipeline on the capture that the data plane runs below read, configured like them
# (detectors, PII detection, and the rules when found). This is their per-core ceiling.
log "micro: bench_worker on $(basename "$CAPTURE")"
SLUICE_SAMPLE_PCAP=$CAPTURE "$BUILD/perf/micro/bench_worker" --benchmark_min_time="$MIN_TIME" \
    --benchmark_filter='^BM_WorkerPipelineDetectors/verify:1/inspect:[12]$' \
    --benchmark_out="$WORK/capture-worker.json" --benchmark_out_format=json \
    >"$WORK/capture-worker.txt" 2>&1 || { tail -20 "$WORK/capture-worker.txt" >&2; exit 1; }

# ---------------------------------------------------------------- data plane runs
PORT=$((20000 + $$ % 20000))
ENDPOINT=tcp://127.0.0.1:$PORT

# The forensic store is off here: its per-batch fsync would set the pace of the acknowledgements
# that the replay waits for. perf/store measures the store on its own.
start_control() {  # start_control NAME: sluice-control writing $WORK/NAME.jsonl
    "$CONTROL" --listen "$ENDPOINT" --jsonl "$WORK/$1.jsonl" --no-store >"$WORK/$1.control.log" 2>&1 &
    CONTROL_PID=$!
    sleep 0.3
}
stop_control() {  # stop_control NAME: stops it, notes its CPU time and the lines it wrote
    local ticks
    ticks=$(awk '{print $14 + $15}' "/proc/$CONTROL_PID/stat" 2>/dev/null || echo 0)
    echo "control_cpu_s=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}')" \
        >>"$WORK/$1.run.txt"
    kill -INT "$CONTROL_PID" 2>/dev/null || true
    wait "$CONTROL_PID" || true
    CONTROL_PID=
    echo "records_received=$(wc -l <"$WORK/$1.jsonl")" >>"$WORK/$1.run.txt"
    # A replay writes about 2 GB of JSON lines and the footprint run 0.7 GB: counted, then
    # removed, so that they neither fill the disk nor press on the page cache of later runs.
    case $1 in replay-* | flows-*) rm -f "$WORK/$1.jsonl" ;; esac
}
# run_dataplane NAME ARGS...: one data plane run against a fresh sluice-control; writes
# NAME.json (summary), NAME.run.txt (key=value: rc, max RSS, perf cycles) and NAME.log.
run_dataplane() {
    local name=$1
    shift
    start_control "$name"
    local perf_prefix=()
    if grep -q '^perf_cycles=1' "$WORK/machine.txt"; then
        perf_prefix=(perf stat -x, -e cycles -o "$WORK/$name.perfstat")
    fi
    local rc=0
    /usr/bin/time -f 'max_rss_kb=%M user_s=%U sys_s=%S wall_s=%e' -o "$WORK/$name.time" "${perf_prefix[@]}" \
        "$DATAPLANE" --control "$ENDPOINT" --progress off --stats-json "$WORK/$name.json" "$@" \
        >"$WORK/$name.log" 2>&1 || rc=$?
    {
        echo "rc=$rc"
        cat "$WORK/$name.time"
        if [ -s "$WORK/$name.perfstat" ]; then
            echo "perf_cycles=$(awk -F, '$3 == "cycles" {print $1}' "$WORK/$name.perfstat")"
        fi
    } >"$WORK/$name.run.txt"
    stop_control "$name"
    [ $rc = 0 ] || { tail -20 "$WORK/$name.log" >&2; log "sluice-dataplane $name failed (rc $rc)"; }
}

for workers in 1 2; do
    log "replay: $workers worker(s), $REPLAY_S s"
    run_dataplane "replay-$workers" --pcap "$CAPTURE" --replay "$REPLAY_S" --workers "$workers" "${RULE_ARGS[@]}"
done
log "offline: one pass, 1 worker"
run_dataplane offline-1 --pcap "$CAPTURE" --workers 1 "${RULE_ARGS[@]}"

log "footprint: $FOOTPRINT_FLOWS flows"
"$BUILD/perf/micro/sluice-perf-footprint" $FOOTPRINT_FLOWS 2>/dev/null | grep '^FOOTPRINT' \
    >"$WORK/footprint.txt" || log "sluice-perf-footprint failed"
cat >"$WORK/footprint.yaml" <<EOF
dataplane:
  limits:
    flows_per_worker: $((FOOTPRINT_FLOWS + FOOTPRINT_FLOWS / 10))
EOF
# The flow table's rte_hash lives in DPDK memory: give EAL room for it.
run_dataplane flows-1m --config "$WORK/footprint.yaml" --pcap "$SYN_CAPTURE" --workers 1 -- -m 3072

# ---------------------------------------------------------------- peers
if [ $PEERS = 1 ]; then
    if [ -x "$PEERS_SCRIPT" ]; then
        # The peers script installs Debian's dpdk package for testpmd, but in Debian 12 the
        # binary comes with dpdk-dev (which appliance/install-deps.sh installs).
        command -v dpdk-testpmd >/dev/null || log "no dpdk-testpmd: install dpdk-dev for the floor"
        log "peers: testpmd, suricata, suricata-dpdk (first run builds a chroot)"
        PEERS_WORK=$WORK/peers "$PEERS_SCRIPT" -n 1 -t 10 -s testpmd,suricata,suricata-dpdk \
            "$CAPTURE" >"$WORK/peers.txt" 2>"$WORK/peers.log" || log "run-peers.sh failed: see $WORK/peers.log"
    else
        log "no peers script at $PEERS_SCRIPT: skipping testpmd and Suricata"
    fi
fi

# ---------------------------------------------------------------- table
python3 "$ROOT/perf/replay/report_table.py" "$WORK"
log "raw outputs in $WORK"
