#!/usr/bin/env bash
# bench-compare.sh measures rafter (examples/bench) and hashicorp/raft +
# raft-wal (bench/baseline) side by side, on the same workload, in the same
# sitting, and prints the ratio table rafter / hashicorp: committed writes,
# 3 peers, fsync on, 1/16/128 clients, 100 B and 1 KiB values, all peers in
# one process and each peer in its own OS process over 127.0.0.1.
#
# The two programs run alternately, one run of one point at a time (rafter,
# then hashicorp, then the next point; the whole sweep RUNS times), so a
# change of load or disk during the sitting hits both alike. Each run is a
# fresh set of child processes; the table shows medians of RUNS. Both
# programs wait for a quiet machine before each run (MAXBG cores, up to
# QUIETWAIT); `bg max` in the aggregate table shows how quiet it was.
#
#   scripts/bench-compare.sh                       # the full table (~15 min on a quiet 2-vCPU machine)
#   RUNS=1 DURATION=2s CLIENTS=16 scripts/bench-compare.sh      # a quick look
#   SETTINGS="local remote procs" scripts/bench-compare.sh       # also one process over the network
#   scripts/bench-compare.sh -aggregate OUT/runs.jsonl           # re-print the tables of saved runs
#
# Settings: local = rafter's 3 peers in one System vs hashicorp's in-memory
# transport; procs = one OS process per peer on both sides (rafter over
# protoactor remote, hashicorp over its TCP transport); remote = 3 rafter
# Systems over gRPC vs hashicorp TCP, all in one process.
#
# Environment (defaults): RUNS (3), CLIENTS ("1 16 128"), SIZES ("100 1024"),
# SETTINGS ("local procs"), WARMUP (1s), DURATION (5s), GOMAXPROCS (2),
# MAXBG (0.25), QUIETWAIT (2m), OUT (a fresh bench-compare-<time> directory:
# binaries, runs.jsonl, tables.md), DATA (the peers' data root, default
# OUT/data: put it on the filesystem to measure).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
CLIENTS=${CLIENTS:-"1 16 128"}
SIZES=${SIZES:-"100 1024"}
SETTINGS=${SETTINGS:-"local procs"}
WARMUP=${WARMUP:-1s}
DURATION=${DURATION:-5s}
MAXBG=${MAXBG:-0.25}
QUIETWAIT=${QUIETWAIT:-2m}
export GOMAXPROCS=${GOMAXPROCS:-2}
OUT=${OUT:-bench-compare-$(date -u +%Y%m%dT%H%M%SZ)}

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DATA=${DATA:-$OUT/data}
echo "== building examples/bench and bench/baseline into $OUT" >&2
go build -o "$OUT/rafter-bench" ./examples/bench
(cd bench/baseline && go build -o "$OUT/baseline" .)

tables() {
  echo "## Each point (medians of its runs)"
  "$OUT/rafter-bench" -aggregate "$1"
  echo
  echo "## rafter / hashicorp/raft + raft-wal (ops ratio > 1: rafter faster; latency ratio < 1: rafter faster)"
  "$OUT/rafter-bench" -compare "$1"
}

if [ "${1:-}" = -aggregate ]; then
  tables "${2:?usage: $0 -aggregate runs.jsonl}"
  exit 0
fi

runs="$OUT/runs.jsonl"
common=(-runs 1 -warmup "$WARMUP" -duration "$DURATION" -maxbg "$MAXBG" -quietwait "$QUIETWAIT" -json "$runs")
# The baseline's flags for each rafter transport.
declare -A peer=([local]="-transport inmem" [remote]="-transport tcp" [procs]="-transport tcp -procs")

echo "# $(date -u +%FT%TZ) $(go version | cut -d' ' -f3) GOMAXPROCS=$GOMAXPROCS NumCPU=$(nproc) runs=$RUNS window=$DURATION" >&2
for r in $(seq 1 "$RUNS"); do
  for s in $SETTINGS; do
    [ -n "${peer[$s]:-}" ] || { echo "bench-compare: unknown setting $s (want local, remote or procs)" >&2; exit 2; }
    for size in $SIZES; do
      for c in $CLIENTS; do
        echo "== run $r/$RUNS  $s  size=$size  clients=$c" >&2
        "$OUT/rafter-bench" -op write -transport "$s" -size "$size" -clients "$c" \
          -dir "$DATA/rafter" "${common[@]}" >/dev/null
        # shellcheck disable=SC2086 # ${peer[$s]} is a list of flags
        "$OUT/baseline" ${peer[$s]} -store wal -size "$size" -clients "$c" \
          -dir "$DATA/baseline" "${common[@]}" >/dev/null
      done
    done
  done
done
rmdir "$DATA/rafter" "$DATA/baseline" "$DATA" 2>/dev/null || true # each run removed its own subdirectory
tables "$runs" | tee "$OUT/tables.md"
echo "runs: $runs  tables: $OUT/tables.md" >&2
