#!/usr/bin/env bash
# Two sculpt builds' training steps side by side, layer by layer: `sculpt bench --profile` of each, alternated round
# by round (A first in odd rounds, B first in even ones), then each row's median forward and backward time per
# build and the step totals, with how many rounds B was faster. The machine this project is measured on drifts in
# phases of up to 2x within seconds (bench/RESULTS.md); alternating moves both builds alike, which back-to-back
# runs of one build and then the other do not.
#
#   bash bench/profile_ab.sh OLD_SCULPT NEW_SCULPT                 # W7 (vgg) at 2 threads, 8 rounds of 20 batches
#   MODEL=cnn THREADS=1 ROUNDS=12 BATCHES=30 bash bench/profile_ab.sh /tmp/sculpt-before .build-release/release/sculpt
#   ARGS="--conv-algorithm direct" bash bench/profile_ab.sh A B    # extra flags for both sides
#
# Environment: MODEL (vgg, cnn or mlp: --profile-model; default vgg), THREADS (default 2), ROUNDS (default 8),
# BATCHES (timed batches a run, default 20), ARGS (more `sculpt bench` flags, both sides), ALL_ROWS=1 (print every
# row; by default rows under 0.3 ms forward + backward, both builds averaged, are left out). Prints medians in ms; a difference smaller
# than the rows' spread over rounds is noise. Nothing is written inside the repository.
set -euo pipefail

a="${1:?usage: bash bench/profile_ab.sh SCULPT_A SCULPT_B}"
b="${2:?usage: bash bench/profile_ab.sh SCULPT_A SCULPT_B}"
model="${MODEL:-vgg}"
threads="${THREADS:-2}"
rounds="${ROUNDS:-8}"
batches="${BATCHES:-20}"
for bin in "$a" "$b"; do
  [ -x "$bin" ] || { echo "profile_ab.sh: $bin is not an executable sculpt" >&2; exit 2; }
done
work="$(mktemp -d /tmp/profile-ab.XXXXXX)"

profile() {  # profile BINARY OUT
  # shellcheck disable=SC2086  # ARGS is a list of flags
  if ! "$1" bench --profile --profile-model "$model" --threads "$threads" --batches "$batches" ${ARGS:-} \
      > "$2" 2> "$2.err"; then
    echo "profile_ab.sh: $1 bench --profile failed:" >&2
    cat "$2.err" >&2
    exit 1
  fi
}

echo "== $model at $threads thread(s), $rounds rounds of $batches batches, A = $a, B = $b"
for ((i = 1; i <= rounds; i++)); do
  if ((i % 2)); then order="A B"; else order="B A"; fi
  for side in $order; do
    if [ "$side" = A ]; then profile "$a" "$work/A.$i"; else profile "$b" "$work/B.$i"; fi
  done
  echo "   round $i of $rounds done"
done

python3 - "$work" "$rounds" "${ALL_ROWS:-0}" <<'PY'
import re, statistics, sys

work, rounds, all_rows = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
row = re.compile(r"^\s+(\S+) (.*?)\s+forward\s+([\d.]+)\s+backward\s+([\d.]+)")
total = re.compile(r"total ([\d.]+) ms")


def parse(path):
    rows, step = {}, None
    for line in open(path):
        m = row.match(line)
        if m:
            rows[m.group(1)] = (m.group(2), float(m.group(3)), float(m.group(4)))
        m = total.search(line)
        if m:
            step = float(m.group(1))
    if step is None:
        sys.exit(f"profile_ab.sh: no step total in {path}")
    return rows, step


runs = {side: [parse(f"{work}/{side}.{i}") for i in range(1, rounds + 1)] for side in "AB"}
median = statistics.median
print(f"{'row':14s} {'layer':44s} {'forward A':>10s} {'B':>7s} {'backward A':>11s} {'B':>7s}")
# rows by name, A's order, then B's rows A lacks (builds that fuse layers differently: "layers.4-5" and "layers.6" in A,
# "layers.4-6" in B); a row one build lacks prints "-" on that side
names = list(runs["A"][0][0]) + [n for n in runs["B"][0][0] if n not in runs["A"][0][0]]
names.sort(key=lambda n: int(n.split(".")[1].split("-")[0]))


def medians(side, name):
    if name not in runs[side][0][0]:
        return None, None
    return median(r[name][1] for r, _ in runs[side]), median(r[name][2] for r, _ in runs[side])


def cell(v, width):
    return f"{v:{width}.2f}" if v is not None else f"{'-':>{width}s}"


for name in names:
    layer = (runs["A"][0][0].get(name) or runs["B"][0][0][name])[0]
    (fa, ba), (fb, bb) = medians("A", name), medians("B", name)
    if not all_rows and sum(v for v in (fa, ba, fb, bb) if v is not None) < 0.6:
        continue
    print(f"{name:14s} {layer[:44]:44s} {cell(fa, 10)} {cell(fb, 7)} {cell(ba, 11)} {cell(bb, 7)}")
ta = [s for _, s in runs["A"]]; tb = [s for _, s in runs["B"]]
faster = sum(y < x for x, y in zip(ta, tb))
print(f"step totals, ms: A {', '.join(f'{t:.2f}' for t in ta)}")
print(f"                 B {', '.join(f'{t:.2f}' for t in tb)}")
print(f"median A {median(ta):.2f} ms, B {median(tb):.2f} ms: B/A {median(tb) / median(ta):.3f}, "
      f"B faster in {faster} of {rounds} rounds")
PY
rm -rf "$work"
