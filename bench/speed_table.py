#!/usr/bin/env python3
"""The table of bench/speed-check.sh: each workload's figure before and after, PyTorch's, and the
ratios issue 17 sets targets for. Usage: python3 bench/speed_table.py OUT_FOLDER."""
import glob
import json
import os
import sys

# (workload, model or op) -> (label, figure key on Sculpt's side, key on the peer's side,
# peer match, higher is better, target text)
TARGETS = {
    "painting": "W1 >= 100x torch fused Adam, 1 thread",
    "mlp": "W2 <= 0.9x (1 thread), <= 0.8x (2 threads)",
    "cnn": "W3 <= 0.6x at 2 threads",
    "vgg": "W7 <= 0.7x",
    "svd": "W4 EigenRemove <= 0.07x tensorly Tucker",
}


def load(folder):
    runs = [json.loads(line) for line in open(os.path.join(folder, "runs.jsonl"))]
    sculpt = {}
    for run in runs:
        for r in json.load(open(run["file"]))["records"]:
            sculpt[(run["label"], r["workload"], r["model"], r["threads"])] = (r, run["load"])
    torch = []
    for path in glob.glob(os.path.join(folder, "torch-*.json")):
        torch += json.load(open(path))["results"]
    return sculpt, torch


def peer(torch, **match):
    for r in torch:
        if all(r.get(k) == v for k, v in match.items()):
            return r
    return None


def figure(workload, record):
    """Sculpt's headline figure and its unit."""
    if workload == "painting":
        return record["epochsPerSecond"], "ep/s"
    if workload in ("mlp", "cnn", "vgg"):
        return record["secondsPerEpoch"], "s/epoch"
    return record["medianSeconds"] * 1e3, "ms"


def peer_figure(workload, model, threads, torch):
    if workload == "painting":
        r = peer(torch, workload="painting", model=model, threads=threads, adam="fused")
        return (r or {}).get("epochs_per_s"), r
    if workload == "mlp":
        r = peer(torch, workload="mlp", threads=threads)
        return (r or {}).get("epoch_s"), r
    if workload in ("cnn", "vgg"):
        r = peer(torch, workload=workload, threads=threads)
        return (r or {}).get("epoch_s_extrapolated"), r
    if workload == "svd" and model.startswith("eigenremove"):
        r = peer(torch, workload="svd", threads=threads, op="tensorly.tucker_2048x2048_r256")
        return (r or {}).get("ms"), r
    if workload == "svd" and model.startswith("sgesdd"):
        r = peer(torch, workload="svd", threads=threads, op="scipy.linalg.svd_f32_2048_gesdd")
        return (r or {}).get("ms"), r
    return None, None


def main(folder):
    sculpt, torch = load(folder)
    keys = sorted({(w, m, t) for (_, w, m, t) in sculpt}, key=lambda k: (list(TARGETS).index(k[0])
                                                                         if k[0] in TARGETS else 9, k[1], k[2]))
    rows = [["workload", "model", "thr", "before", "after", "peer", "before/peer", "after/peer", "load b/a",
             "peer foreign cpu"]]
    for w, m, t in keys:
        if w == "svd" and not (m.startswith("eigenremove") or m.startswith("sgesdd")):
            continue
        before, after = sculpt.get(("before", w, m, t)), sculpt.get(("after", w, m, t))
        b = figure(w, before[0]) if before else (None, "")
        a = figure(w, after[0]) if after else (None, "")
        unit = a[1] or b[1]
        p, pr = peer_figure(w, m, t, torch)

        def ratio(x):
            if x is None or not p:
                return "-"
            return f"{x / p:.1f}x faster" if w == "painting" else f"{x / p:.3f}x time"
        fmt = (lambda x: "-" if x is None else f"{x:,.2f} {unit}")
        load_text = f"{before[1] if before else '-'}/{after[1] if after else '-'}"
        rows.append([w, m, str(t), fmt(b[0]), fmt(a[0]), fmt(p), ratio(b[0]), ratio(a[0]), load_text,
                     f"{(pr or {}).get('foreign_cpu_frac', 0) or 0:.2f}" if pr else "-"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print()
    for r in rows:
        print("  ".join(c.ljust(wd) for c, wd in zip(r, widths)).rstrip())
    print()
    print("Targets (issue 17): " + "; ".join(TARGETS.values()))
    print("Peers: W1 torch fused Adam, W2 torch epoch, W3/W7 torch epoch extrapolated from the same batches, "
          "W4 EigenRemove vs tensorly Tucker rank 256 and sgesdd vs scipy gesdd. 'load b/a' is the 1-minute "
          "load average when the before/after Sculpt runs started; discard peer rows with foreign cpu > ~0.05.")


if __name__ == "__main__":
    main(sys.argv[1])
