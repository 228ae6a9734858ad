#!/usr/bin/env python3
"""Per-layer side by side: Sculpt's `sculpt bench --profile` rows against the same layers in PyTorch.

    /tmp/peers-venv/bin/python bench/torch_layers.py --sculpt .build-release/release/sculpt \\
        [--model vgg|cnn] [--threads 2] [--rounds 3] [--batches 20]

For each row of Sculpt's profile of a training step (batch 128: a convolution, a BatchNorm and the
ReLU after it, a pooling layer, ...), the same modules of the PyTorch model of `torch_reference.py`
(`vgg16_quarter`, `cnn_small`: their Sequential indices are Sculpt's layer indices) run on
the activation that reaches them in a forward pass of 128 Fashion-MNIST images: forward in training
mode, then backward from a fixed output gradient, each timed alone (median of `--batches`). Rounds
alternate the two sides (Sculpt's profile, then PyTorch's), and the table gives each figure's median
over the rounds, with Sculpt's time as a fraction of PyTorch's per row. It shows where a workload's
ratio comes from; the step as a whole is `compare.sh`'s business (this omits the loss, the
optimizer and, in PyTorch, the autograd bookkeeping between layers).
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch_reference as reference  # noqa: E402

# models whose PyTorch Sequential indices are Sculpt's layer indices (Sculpt's mlp starts with a flatten)
MODELS = {"vgg": reference.vgg16_quarter, "cnn": reference.cnn_small}


def sculpt_profile(binary, model, threads, batches):
    """One `sculpt bench --profile --json` run: [(name, forward ms, backward ms)] per row."""
    out = subprocess.run(
        [binary, "bench", "--profile", "--profile-model", model, "--threads", str(threads), "--batches",
         str(batches), "--json"], check=True, capture_output=True, text=True).stdout
    profile = json.loads(out)["profiles"][0]["profile"]
    names = [f"{n} {summary}" for n, summary in zip(profile["names"], profile["layers"])]
    return list(zip(names, profile["forwardMilliseconds"], profile["backwardMilliseconds"]))


def layer_range(name):
    """`layers.3 conv2d(...)` -> (3, 3); `layers.1-2 batchnorm(16) + relu` -> (1, 2)."""
    m = re.match(r"layers\.(\d+)(?:-(\d+))?", name)
    if not m:
        raise SystemExit(f"torch_layers.py: cannot read Sculpt's profile row {name!r}")
    first = int(m.group(1))
    return first, int(m.group(2) or first)


def median_ms(function, reps):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def torch_rows(model, images, rows, reps):
    """PyTorch's forward and backward milliseconds for Sculpt's rows, on the activations of `images`."""
    inputs, x = [], images
    with torch.no_grad():
        for module in model:
            inputs.append(x)
            x = module(x)
    result = []
    for name, (first, last) in rows:
        block = nn.Sequential(*list(model)[first:last + 1]).train()
        x = inputs[first].detach().clone().requires_grad_(first > 0)  # Sculpt skips layer 0's input gradient
        y = block(x)
        grad = torch.linspace(-1, 1, y.numel()).reshape(y.shape)
        forward = median_ms(lambda: block(x), reps)

        def backward():
            for p in block.parameters():
                p.grad = None  # as zero_grad(set_to_none=True) leaves them before each step
            x.grad = None
            out = block(x)
            start = time.perf_counter()
            out.backward(grad)
            return (time.perf_counter() - start) * 1e3

        backward_ms = statistics.median(backward() for _ in range(reps))
        result.append((name, forward, backward_ms))
    return result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sculpt", default=".build-release/release/sculpt", help="the sculpt binary (release build)")
    p.add_argument("--model", choices=sorted(MODELS), default="vgg")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3, help="alternations of the two sides (default 3)")
    p.add_argument("--batches", type=int, default=20, help="timed batches per side and round (default 20)")
    p.add_argument("--data", default=reference.FASHION_MNIST, help="the Fashion-MNIST folder (IDX .gz files)")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = MODELS[args.model]()
    train_x, _, _, _ = reference.fashion_mnist(args.data)
    images = train_x[:128].reshape(128, 1, 28, 28)

    sculpt_runs, torch_runs = [], []
    for r in range(args.rounds):
        sculpt_runs.append(sculpt_profile(args.sculpt, args.model, args.threads, args.batches))
        rows = [(name, layer_range(name)) for name, _, _ in sculpt_runs[-1]]
        torch_runs.append(torch_rows(model, images, rows, args.batches))
        print(f"round {r + 1} of {args.rounds} done", file=sys.stderr)

    def medians(runs, i):
        return [statistics.median(run[i][k] for run in runs) for k in (1, 2)]

    print(f"{args.model} at {args.threads} thread(s), batch 128, ms, medians of {args.rounds} rounds "
          f"(Sculpt: sculpt bench --profile; PyTorch {torch.__version__}: the same modules alone)")
    print(f"{'row':58s} {'Sculpt fwd':>10s} {'PyTorch':>8s} {'ratio':>6s}   {'Sculpt bwd':>10s} {'PyTorch':>8s} "
          f"{'ratio':>6s}")
    totals = [0.0, 0.0, 0.0, 0.0]
    for i, (name, _, _) in enumerate(sculpt_runs[0]):
        sf, sb = medians(sculpt_runs, i)
        tf, tb = medians(torch_runs, i)
        totals = [totals[0] + sf, totals[1] + tf, totals[2] + sb, totals[3] + tb]
        print(f"{name[:58]:58s} {sf:10.2f} {tf:8.2f} {sf / tf:6.2f}   {sb:10.2f} {tb:8.2f} {sb / tb:6.2f}")
    sf, tf, sb, tb = totals
    print(f"{'sum of the rows':58s} {sf:10.2f} {tf:8.2f} {sf / tf:6.2f}   {sb:10.2f} {tb:8.2f} {sb / tb:6.2f}")
    print(f"forward + backward: Sculpt {sf + sb:.2f} ms, PyTorch {tf + tb:.2f} ms, {(sf + sb) / (tf + tb):.2f}x")


if __name__ == "__main__":
    main()
