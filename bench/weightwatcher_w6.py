#!/usr/bin/env python3
"""W6 peer timing: WeightWatcher's analyze() on the weights Sculpt's W6 analyses.

Usage (the peers venv of bench/setup-peers, which has torch, weightwatcher and safetensors; Sculpt built in release):
    python3 bench/weightwatcher_w6.py [--sculpt .build-release/release/sculpt] [--reps 3] [--threads 1]

1. Runs `sculpt bench --workloads analysis --threads T --reps R --json` with SCULPT_W6_EXPORT set,
   so Sculpt writes the VGG16 x1 (CIFAR shape) weights it analyses as safetensors, and takes
   Sculpt's median seconds for the spectra of every layer.
2. Builds a torch model holding the same Conv2d/Linear weights (the layers WeightWatcher
   analyses; BatchNorm, pooling and activations carry no analysed weights and are left out)
   and times WeightWatcher(model).analyze() R times, taking the median.
3. Prints one JSON object: both medians, the ratio, and alpha per layer from both tools.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def build_model(weights):
    import torch
    layers = []
    for name in sorted(weights, key=lambda n: int(n.split(".")[1])):
        w = weights[name]
        if w.dim() == 4:
            m = torch.nn.Conv2d(w.shape[1], w.shape[0], kernel_size=w.shape[2:], padding=1, bias=False)
        elif w.dim() == 2:
            m = torch.nn.Linear(w.shape[1], w.shape[0], bias=False)
        else:
            continue
        with torch.no_grad():
            m.weight.copy_(w)
        layers.append(m)
    return torch.nn.Sequential(*layers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sculpt", default=".build-release/release/sculpt")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "w6.safetensors")
        env["SCULPT_W6_EXPORT"] = path
        out = subprocess.run([args.sculpt, "bench", "--workloads", "analysis", "--threads", str(args.threads),
                              "--reps", str(args.reps), "--json"], env=env, check=True, capture_output=True, text=True)
        bench = json.loads(out.stdout)
        from safetensors.torch import load_file
        weights = load_file(path)
    records = bench["records"] if isinstance(bench, dict) and "records" in bench else bench
    sculpt = next(r for r in records if r["model"] == "vgg16-x1-spectra")

    import torch
    torch.set_num_threads(args.threads)
    import weightwatcher as ww
    import logging
    logging.getLogger("weightwatcher").setLevel(logging.ERROR)
    model = build_model(weights)
    times, details = [], None
    for _ in range(args.reps):
        start = time.perf_counter()
        details = ww.WeightWatcher(model=model).analyze()
        times.append(time.perf_counter() - start)
    ww_median = statistics.median(times)
    alphas = [None if a != a else round(float(a), 4) for a in details["alpha"].tolist()]
    print(json.dumps({
        "workload": "W6", "model": "vgg16 x1 [3,32,32], seed 0", "threads": args.threads,
        "sculpt_median_seconds": sculpt["medianSeconds"], "sculpt_times": sculpt["timesSeconds"],
        "weightwatcher_version": ww.__version__, "weightwatcher_median_seconds": ww_median,
        "weightwatcher_times": times,
        "ratio_weightwatcher_over_sculpt": ww_median / sculpt["medianSeconds"],
        "weightwatcher_alpha": alphas, "layers": len(alphas),
    }, indent=1))


if __name__ == "__main__":
    sys.exit(main())
