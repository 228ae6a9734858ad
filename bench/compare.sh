#!/usr/bin/env bash
# Side-by-side benchmark: Sculpt vs plain C OpenBLAS vs PyTorch, on this machine, now.
#
#   bash bench/compare.sh                      # W1 painting, W2 mlp, W3 cnn, W5 gemm at 1 and 2 threads
#   WORKLOADS=vgg bash bench/compare.sh        # W7 VGG16 x0.25 (not in the default set: ~2 min a side)
#   WORKLOADS=mlp,cnn bash bench/compare.sh    # a subset
#   THREADS=1 REPS=5 bash bench/compare.sh     # other thread counts / repetitions
#   SKIP_TORCH=1 bash bench/compare.sh         # Sculpt and C only
#   PEAK_MEMORY=1 WORKLOADS=cnn THREADS=2 bash bench/compare.sh   # also max RSS of W2/W3/W7, both sides
#
# W2/W3/W7 read Fashion-MNIST from /usr/share/datasets/fashion-mnist (Debian dataset-fashion-mnist).
# Each non-gemm workload runs Sculpt and then PyTorch back to back, so both see similar load.
# The workloads are defined in bench/README.md; the PyTorch side is bench/torch_reference.py.
# Environment: THREADS (default 1,2), REPS (3), WORKLOADS (painting,mlp,cnn,gemm), PEERS_VENV
# (/tmp/peers-venv, made by `bash bench/setup-peers`), TORCH_RECORDED (an earlier
# `torch_reference.py --out` file whose figures are shown, marked RECORDED, when PyTorch does not
# run now), TORCH_WAIT_IDLE (seconds torch_reference waits for a quiet machine, default 10),
# GEMM_ROUNDS (C / Sculpt gemm alternations per thread count, default 3), OUT (folder for the raw
# results; default a fresh /tmp/sculpt-compare.XXXXXX),
# SCRATCH_PATH (swift build --scratch-path for the release build, e.g. /tmp/sculpt-release, so it
# does not share .build with a debug build), SCULPT (a prebuilt sculpt binary: no build at all).
# WORKLOADS may include svd (W4): both sides run and their raw records are kept in OUT
# (sculpt.jsonl, torch-svd.json), but the summary table below does not print W4 rows.
# Nothing is written inside the repository.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS="${THREADS:-1,2}"
REPS="${REPS:-3}"
WORKLOADS="${WORKLOADS:-painting,mlp,cnn,gemm}"
PEERS_VENV="${PEERS_VENV:-/tmp/peers-venv}"
TORCH_WAIT_IDLE="${TORCH_WAIT_IDLE:-10}"
GEMM_ROUNDS="${GEMM_ROUNDS:-3}"
reference="$repo/bench/torch_reference.py"
OUT="${OUT:-$(mktemp -d /tmp/sculpt-compare.XXXXXX)}"
mkdir -p "$OUT"

echo "== Sculpt benchmark comparison ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "   workloads $WORKLOADS, threads $THREADS, reps $REPS; raw results in $OUT"
echo "   cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
echo "   load before: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ -n "${SCULPT:-}" ]; then
  echo "-- using the prebuilt binary SCULPT=$SCULPT (no build)"
  bin="$SCULPT"
else
  scratch=()
  if [ -n "${SCRATCH_PATH:-}" ]; then scratch=(--scratch-path "$SCRATCH_PATH"); fi
  echo "-- building the release binary${SCRATCH_PATH:+ (scratch path $SCRATCH_PATH)}"
  (cd "$repo" && swift build -c release "${scratch[@]}" --product sculpt 2>&1 | tail -1)
  bin="$(cd "$repo" && swift build -c release "${scratch[@]}" --show-bin-path)/sculpt"
fi

run_c=0
c_file=""
c_env=(env)
if [[ ",$WORKLOADS," == *",gemm,"* ]]; then
  echo "-- compiling the C reference (cc -O2 ... -lopenblas)"
  cc -O2 "$repo/bench/sgemm_openblas.c" -o "$OUT/sgemm_openblas" -lopenblas -lm
  # The C program gets the kernels Sculpt runs: where OpenBLAS does not know the CPU, Sculpt
  # replaces its Prescott fallback (Sources/CProcessSetup/kernels.c), and plain C would not.
  c_core="$("$bin" bench --workloads gemm --gemm-size 64 --threads 1 --reps 1 --json 2>/dev/null \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["blas"]["core"])' 2>/dev/null || true)"
  if [ -n "$c_core" ] && [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    echo "   the C reference runs OpenBLAS's $c_core kernels, as Sculpt does (OPENBLAS_CORETYPE=$c_core)"
    c_env=(env "OPENBLAS_CORETYPE=$c_core")
  fi
  run_c=1
  c_file="$OUT/c.jsonl"
fi

torch_ok=0
if [ -n "${SKIP_TORCH:-}" ]; then
  echo "-- PyTorch skipped (SKIP_TORCH set)"
elif [ -x "$PEERS_VENV/bin/python" ]; then
  torch_ok=1
else
  echo "-- PyTorch not run: no $PEERS_VENV (create it with: bash bench/setup-peers)"
fi
# torch_reference.py for workload $1 into $OUT/torch-$1.json (waits up to TORCH_WAIT_IDLE s for a quiet machine).
run_torch() {
  echo "-- PyTorch $1 (bench/torch_reference.py, waits up to ${TORCH_WAIT_IDLE}s per section for a quiet machine)"
  "$PEERS_VENV/bin/python" "$reference" --workloads "$1" --threads "$THREADS" \
    --reps "$REPS" --wait-idle "$TORCH_WAIT_IDLE" --out "$OUT/torch-$1.json" \
    >> "$OUT/torch.jsonl" 2>> "$OUT/torch.stderr"
}

# Per workload: Sculpt, then PyTorch. Gemm: per thread count, C and Sculpt alternated, so that
# both see the same load; each side's median over the rounds is compared.
: > "$OUT/sculpt.jsonl"
for w in ${WORKLOADS//,/ }; do
  [ "$w" = gemm ] && continue
  echo "-- sculpt bench --workloads $w   (load $(cut -d' ' -f1-3 /proc/loadavg))"
  "$bin" bench --json --workloads "$w" --threads "$THREADS" --reps "$REPS" >> "$OUT/sculpt.jsonl"
  if [ "$torch_ok" = 1 ]; then run_torch "$w"; fi
done
if [ "$run_c" = 1 ]; then
  : > "$OUT/c.jsonl"
  for t in ${THREADS//,/ }; do
    echo "-- gemm at $t thread(s): C and Sculpt alternated, $GEMM_ROUNDS rounds, then C once more"
    for _ in $(seq "$GEMM_ROUNDS"); do
      "${c_env[@]}" "$OUT/sgemm_openblas" "$t" >> "$OUT/c.jsonl"
      "$bin" bench --json --workloads gemm --threads "$t" >> "$OUT/sculpt.jsonl"
    done
    "${c_env[@]}" "$OUT/sgemm_openblas" "$t" >> "$OUT/c.jsonl"
  done
  if [ "$torch_ok" = 1 ]; then run_torch gemm; fi
fi

# Peak memory (max RSS) of each training workload (mlp, cnn, vgg) in WORKLOADS at the largest
# thread count: each side alone under /usr/bin/time -v.
memory_file=""
if [ -n "${PEAK_MEMORY:-}" ] && [ -x /usr/bin/time ]; then
  t_max="$(echo "$THREADS" | tr ',' '\n' | sort -n | tail -1)"
  memory_file="$OUT/memory.txt"
  : > "$memory_file"
  for w in ${WORKLOADS//,/ }; do
    case "$w" in mlp|cnn|vgg) ;; *) continue ;; esac
    echo "-- peak memory of $w at $t_max threads (/usr/bin/time -v)"
    /usr/bin/time -v "$bin" bench --json --workloads "$w" --threads "$t_max" --reps "$REPS" \
      > /dev/null 2> "$OUT/sculpt-$w-time.txt"
    echo "sculpt-$w $(grep 'Maximum resident' "$OUT/sculpt-$w-time.txt" | awk '{print $NF}')" >> "$memory_file"
    if [ "$torch_ok" = 1 ]; then
      /usr/bin/time -v "$PEERS_VENV/bin/python" "$reference" --workloads "$w" --threads "$t_max" \
        --reps "$REPS" --wait-idle 0 --out "$OUT/torch-$w-memory.json" > /dev/null 2> "$OUT/torch-$w-time.txt"
      echo "torch-$w $(grep 'Maximum resident' "$OUT/torch-$w-time.txt" | awk '{print $NF}')" >> "$memory_file"
    fi
  done
fi
echo "   load after: $(cut -d' ' -f1-3 /proc/loadavg)"

recorded="${TORCH_RECORDED:-}"

torch_files="$(ls "$OUT"/torch-*.json 2>/dev/null | grep -v memory | paste -sd, - || true)"
python3 - "$OUT/sculpt.jsonl" "$c_file" "$torch_files" "$recorded" "$memory_file" <<'PY'
import json, sys

sculpt_path, c_path, torch_path, recorded_path, memory_path = (sys.argv[1:] + ["", "", "", ""])[:5]
import statistics
raw = [r for line in open(sculpt_path) for r in json.loads(line)["records"]]
sculpt = [r for r in raw if r["workload"] != "gemm"]
for t in sorted({r["threads"] for r in raw if r["workload"] == "gemm"}):
    runs = [r for r in raw if r["workload"] == "gemm" and r["threads"] == t]
    merged = dict(runs[0])
    merged["gflops"] = statistics.median(r["gflops"] for r in runs)
    merged["rounds"] = [r["gflops"] for r in runs]
    sculpt.append(merged)
c = [json.loads(l) for l in open(c_path)] if c_path and c_path.endswith(".jsonl") else []
torch, torch_source = [], ""
if torch_path:
    torch = [r for p in torch_path.split(",") for r in json.load(open(p))["results"]]
    torch_source = "side by side (this run)"
elif recorded_path:
    torch, torch_source = json.load(open(recorded_path))["results"], f"RECORDED in {recorded_path}, not this run"

def peer(workload, threads, **match):
    for r in torch:
        if (r.get("workload") == workload and r.get("threads") == threads
                and all(r.get(k) == v for k, v in match.items())):
            return r
    return None

def fmt(x, unit=""):
    return "-" if x is None else f"{x:,.1f}{unit}"

def ratio(a, b, digits=1):
    return "-" if a is None or b in (None, 0) else f"{a / b:,.{digits}f}x"

rows = []
for r in sculpt:
    t = r["threads"]
    if r["workload"] == "painting":
        d = peer("painting", t, model=r["model"], adam="default")
        f = peer("painting", t, model=r["model"], adam="fused")
        dv, fv = (d or {}).get("epochs_per_s"), (f or {}).get("epochs_per_s")
        foreign = max([(x or {}).get("foreign_cpu_frac") or 0 for x in (d, f)])
        rows.append([f"W1 {r['model']}", str(t), fmt(r["epochsPerSecond"], " ep/s"),
                     f"{r['stepMicroseconds']:.1f} us/step, MSE {r['finalFullMSE']:.4f}",
                     f"torch default {fmt(dv)} / fused {fmt(fv)} ep/s",
                     f"{ratio(r['epochsPerSecond'], dv)} / {ratio(r['epochsPerSecond'], fv)}",
                     f"{foreign:.2f}" if torch_path else "-"])
    elif r["workload"] == "mlp":
        p = peer("mlp", t)
        pv = (p or {}).get("epoch_s")
        pa = (p or {}).get("test_acc_after_1_epoch") or [None]
        rows.append([f"W2 mlp 784-512-512-10", str(t), f"{r['secondsPerEpoch']:.2f} s/epoch",
                     f"acc {r['testAccuracy']:.4f}, epochs " + " ".join(f"{x:.2f}" for x in r["timesSeconds"]),
                     "-" if pv is None else f"{pv:.2f} s/epoch, acc {pa[0]:.4f}",
                     ratio(r["secondsPerEpoch"], pv, 2) + " time",
                     f"{(p or {}).get('foreign_cpu_frac') or 0:.2f}" if torch_path else "-"])
    elif r["workload"] in ("cnn", "vgg"):
        p = peer(r["workload"], t)
        pv = (p or {}).get("epoch_s_extrapolated")
        detail = f"{r['batchMilliseconds']:.1f} ms/batch"
        if r.get("measuredEpochSeconds") is not None:
            detail += f", real epoch {r['measuredEpochSeconds']:.2f} s, acc {r['testAccuracy']:.4f}"
        peer_text = "-" if pv is None else f"{pv:.2f} s/epoch ({p['batch_s'] * 1e3:.1f} ms/batch)"
        if p and p.get("epoch_s_measured_once") is not None:
            peer_text += f", real epoch {p['epoch_s_measured_once']:.2f} s, acc {p['test_acc_after_1_epoch']:.4f}"
        rows.append(["W3 cnn-small" if r["workload"] == "cnn" else "W7 vgg16 x0.25", str(t), f"{r['secondsPerEpoch']:.2f} s/epoch", detail, peer_text,
                     ratio(r["secondsPerEpoch"], pv, 2) + " time",
                     f"{(p or {}).get('foreign_cpu_frac') or 0:.2f}" if torch_path else "-"])
    elif r["workload"] == "gemm":
        cs = [x["gflops"] for x in c if x["threads"] == t]
        tm = peer("gemm", t, op="torch.mm_f32_2048")
        npr = peer("gemm", t, op="numpy.matmul_f32_2048")
        cv = statistics.median(cs) if cs else None
        rows.append([f"W5 {r['model']}", str(t), fmt(r["gflops"], " GFLOP/s"),
                     "rounds " + " ".join(fmt(x) for x in r["rounds"]) + "; C " + " ".join(fmt(x) for x in cs),
                     f"torch.mm {fmt((tm or {}).get('gflops'))} / numpy {fmt((npr or {}).get('gflops'))} GFLOP/s",
                     f"{ratio(r['gflops'], cv, 2)} of C",
                     f"{(tm or {}).get('foreign_cpu_frac') or 0:.2f}" if torch_path else "-"])

head = ["workload", "threads", "Sculpt", "detail / C reference", "PyTorch", "Sculpt / peer", "torch foreign cpu"]
widths = [max(len(str(x[i])) for x in rows + [head]) for i in range(len(head))]
print()
for row in [head] + rows:
    print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())
print()
print(f"PyTorch figures: {torch_source or 'none (no peers venv and no recorded results)'}")
if memory_path:
    mem = dict(line.split() for line in open(memory_path) if len(line.split()) == 2)
    for w, label in (("mlp", "W2"), ("cnn", "W3"), ("vgg", "W7")):
        s_kb, t_kb = int(mem.get(f"sculpt-{w}", 0)), int(mem.get(f"torch-{w}", 0))
        if s_kb:
            print(f"{label} peak memory (max RSS, whole process): Sculpt {s_kb / 1024:.0f} MiB"
                  + (f", PyTorch {t_kb / 1024:.0f} MiB, ratio {s_kb / t_kb:.2f}x" if t_kb else ""))
print("""
How to read this
  * W1 rows: Sculpt's epochs per second (median of the repetitions, 100 epochs each from a fresh
    model, 4096 samples, batch 128, Adam) and, beside it, PyTorch's for its default (for-loop)
    Adam and its fused Adam. "Sculpt / peer" is Sculpt divided by PyTorch default / fused;
    the target (issue 17) is at least 100x PyTorch's fused Adam for both models.
  * W2 rows: seconds per Fashion-MNIST epoch of the 784-512-512-10 MLP (median of the
    repetitions, each a full epoch from a fresh model, shuffle included) and the test accuracy
    after that epoch. "time" ratios are Sculpt / PyTorch seconds: the targets (issue 17) are
    <= 0.9x at 1 thread and <= 0.8x at 2 threads.
  * W3 and W7 rows: seconds per epoch extrapolated from 100 batches (median of the repetitions);
    at the largest thread count also one real epoch and its test accuracy. Targets (issue 17):
    W3 <= 0.6x at 2 threads, W7 <= 0.7x.
  * W5 rows: GFLOP/s of a 2048^3 sgemm (median of 10 calls after 3 warm-up calls), run in
    rounds alternating with the plain C program (same OpenBLAS, same protocol); the detail
    column lists every round. "of C" is Sculpt's median round over C's median run; the target
    is >= 0.9x. Rounds that differ a lot mean the load changed: re-run on a quiet machine.
  * Timings are wall clock. Other processes distort them (2 threads on 2 cores are hit first):
    compare the load averages printed above, and discard PyTorch rows whose foreign cpu fraction
    is above ~0.05. Re-run on a quiet machine for figures worth quoting.
  * If PyTorch says RECORDED, its figures come from an earlier run on this machine type, not
    from this run: the ratios are then only indicative.
""")
PY
