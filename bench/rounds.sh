#!/usr/bin/env bash
# Interleaved rounds for a machine whose speed drifts: per round and (workload, threads), the new
# Sculpt, the old Sculpt and PyTorch each time the same batches back to back, and the ratios are
# taken within the round; the last lines give each ratio's median over the rounds. The two builds
# swap order every round (new first in odd rounds, old first in even ones).
#
#   AFTER=.build-release/release/sculpt BEFORE=/tmp/sculpt-before WORKLOADS=cnn,vgg THREADS=2 ROUNDS=3 \
#     bash bench/rounds.sh
#
# Environment: AFTER (default: the release build in .build-release), BEFORE (optional), WORKLOADS
# (cnn and/or vgg; default cnn,vgg), THREADS (default 2), ROUNDS (default 3), BATCHES (timed
# batches per run, default 100), PEERS_VENV (/tmp/peers-venv, made by bench/setup-peers).
# Each run is `--reps 1 --no-full-epoch` of the W3 protocol (bench/README.md): seconds per epoch
# extrapolated from BATCHES batches after 20 warm-up batches.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORKLOADS="${WORKLOADS:-cnn,vgg}"
THREADS="${THREADS:-2}"
ROUNDS="${ROUNDS:-3}"
BATCHES="${BATCHES:-100}"
PEERS_VENV="${PEERS_VENV:-/tmp/peers-venv}"
if [ -z "${AFTER:-}" ]; then
  (cd "$repo" && swift build -c release --scratch-path .build-release --product sculpt 2>&1 | tail -1)
  AFTER="$repo/.build-release/release/sculpt"
fi
results="$(mktemp /tmp/sculpt-rounds.XXXXXX)"

sculpt_epoch() {  # BINARY WORKLOAD THREADS -> seconds per epoch
  "$1" bench --workloads "$2" --threads "$3" --reps 1 --batches "$BATCHES" --no-full-epoch --json \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["records"][0]["secondsPerEpoch"])'
}

torch_epoch() {  # WORKLOAD THREADS -> seconds per epoch and the other processes' cpu share
  (cd "$repo" && "$PEERS_VENV/bin/python" bench/torch_reference.py --workloads "$1" --threads "$2" --reps 1 \
    --cnn-batches "$BATCHES" --no-full-epoch --wait-idle 0 2>/dev/null) | python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    if "epoch_s_extrapolated" in d:
        print(d["epoch_s_extrapolated"], d.get("foreign_cpu_frac"))'
}

echo "== rounds $(date -u +%Y-%m-%dT%H:%M:%SZ): workloads $WORKLOADS, threads $THREADS, $ROUNDS rounds of $BATCHES batches"
echo "   after $AFTER; before ${BEFORE:-(none)}"
for r in $(seq 1 "$ROUNDS"); do
  for w in ${WORKLOADS//,/ }; do
    for t in ${THREADS//,/ }; do
      # the build that runs first follows the previous workload's PyTorch run: with BEFORE set, odd
      # rounds run the new build first and even rounds the old one, so neither always takes that place
      old="-"
      if [ -n "${BEFORE:-}" ] && [ $((r % 2)) -eq 0 ]; then
        old="$(sculpt_epoch "$BEFORE" "$w" "$t")"
        new="$(sculpt_epoch "$AFTER" "$w" "$t")"
      else
        new="$(sculpt_epoch "$AFTER" "$w" "$t")"
        if [ -n "${BEFORE:-}" ]; then old="$(sculpt_epoch "$BEFORE" "$w" "$t")"; fi
      fi
      read -r peer foreign <<<"$(torch_epoch "$w" "$t")"
      echo "$r $w $t $new $old $peer $foreign" | tee -a "$results" | awk '{
        old = ($5 == "-") ? "-" : sprintf("%.2f", $5)
        printf "round %s %s threads %s: new %.2f s/epoch, old %s, PyTorch %.2f (foreign cpu %s)\n", $1, $2, $3, $4, old, $6, $7 }'
    done
  done
done
python3 - "$results" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for key in sorted({(r[1], r[2]) for r in rows}):
    mine = [r for r in rows if (r[1], r[2]) == key]
    new_peer = [float(r[3]) / float(r[5]) for r in mine]
    line = f"{key[0]} at {key[1]} threads, median over {len(mine)} rounds: new/PyTorch {statistics.median(new_peer):.3f}x"
    if mine[0][4] != "-":
        old_peer = [float(r[4]) / float(r[5]) for r in mine]
        new_old = [float(r[3]) / float(r[4]) for r in mine]
        line += f", old/PyTorch {statistics.median(old_peer):.3f}x, new/old {statistics.median(new_old):.3f}x"
    print(line)
EOF
rm -f "$results"
