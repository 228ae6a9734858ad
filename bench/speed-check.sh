#!/usr/bin/env bash
# Issue 17's before/after check: per workload, the old Sculpt binary, the new one and PyTorch run
# back to back (same load), then one table of every figure and its ratio to the peer.
#
#   BEFORE=/path/to/old/sculpt AFTER=/path/to/new/sculpt bash bench/speed-check.sh
#   WORKLOADS=mlp,cnn THREADS=2 REPS=5 BEFORE=... AFTER=... bash bench/speed-check.sh
#
# Environment: BEFORE (a sculpt binary built from the commit before the change; optional: without
# it only the new binary runs), AFTER (the new binary; default: the release build in
# .build-release, built here if missing), WORKLOADS (default painting,mlp,cnn,vgg,svd), THREADS
# (1,2), REPS (3), PEERS_VENV (/tmp/peers-venv), TORCH_WAIT_IDLE (seconds torch_reference waits
# for a quiet machine before each section; default 5), OUT (raw results folder; default a fresh
# /tmp/sculpt-speed.XXXXXX), SCULPT_ARGS / TORCH_ARGS (extra flags for both sides, e.g. a smoke run:
# SCULPT_ARGS="--epochs 5 --batches 5 --no-full-epoch" TORCH_ARGS="--painting-epochs 5 --cnn-batches 5
# --no-full-epoch"; such figures are not the defined workloads). A binary that does not know a workload (vgg before issue 17) is
# skipped for it. W4 (svd) prints EigenRemove, sgesdd and tensorly's rank-256 Tucker. Nothing is
# written inside the repository. Timings on a shared machine are noisy: read the load columns.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORKLOADS="${WORKLOADS:-painting,mlp,cnn,vgg,svd}"
THREADS="${THREADS:-1,2}"
REPS="${REPS:-3}"
PEERS_VENV="${PEERS_VENV:-/tmp/peers-venv}"
TORCH_WAIT_IDLE="${TORCH_WAIT_IDLE:-5}"
OUT="${OUT:-$(mktemp -d /tmp/sculpt-speed.XXXXXX)}"
mkdir -p "$OUT"
if [ -z "${AFTER:-}" ]; then
  (cd "$repo" && swift build -c release --scratch-path .build-release --product sculpt 2>&1 | tail -1)
  AFTER="$(cd "$repo" && swift build -c release --scratch-path .build-release --show-bin-path)/sculpt"
fi
echo "== issue 17 speed check $(date -u +%Y-%m-%dT%H:%M:%SZ): workloads $WORKLOADS, threads $THREADS, reps $REPS"
echo "   before ${BEFORE:-(none)}; after $AFTER; raw results in $OUT"

# sculpt_run LABEL BINARY WORKLOAD: one `sculpt bench --json`, its records tagged with LABEL and the load.
sculpt_run() {
  local label="$1" bin="$2" w="$3"
  if ! "$bin" bench --help 2>/dev/null | grep -q "$w"; then echo "   ($label does not know $w: skipped)"; return; fi
  echo "-- $label sculpt bench --workloads $w (load $(cut -d' ' -f1 /proc/loadavg))"
  local load; load="$(cut -d' ' -f1 /proc/loadavg)"
  "$bin" bench --json --workloads "$w" --threads "$THREADS" --reps "$REPS" ${SCULPT_ARGS:-} > "$OUT/$label-$w.json"
  echo "{\"label\": \"$label\", \"workload\": \"$w\", \"load\": $load, \"file\": \"$OUT/$label-$w.json\"}" >> "$OUT/runs.jsonl"
}

: > "$OUT/runs.jsonl"
for w in ${WORKLOADS//,/ }; do
  if [ -n "${BEFORE:-}" ]; then sculpt_run before "$BEFORE" "$w"; fi
  sculpt_run after "$AFTER" "$w"
  if [ -x "$PEERS_VENV/bin/python" ]; then
    echo "-- PyTorch $w (load $(cut -d' ' -f1 /proc/loadavg))"
    "$PEERS_VENV/bin/python" "$repo/bench/torch_reference.py" --workloads "$w" --threads "$THREADS" \
      --reps "$REPS" --wait-idle "$TORCH_WAIT_IDLE" --out "$OUT/torch-$w.json" ${TORCH_ARGS:-} > /dev/null 2>> "$OUT/torch.stderr"
  fi
done
echo "   load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$repo/bench/speed_table.py" "$OUT"
