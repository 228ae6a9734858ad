#!/usr/bin/env python3
"""PyTorch loads Sculpt checkpoints: rebuild, load strictly, evaluate, compare with `sculpt eval`.

A Sculpt checkpoint folder holds architecture.json (the layer specs, Sources/SculptNN/
LayerSpec+Codable.swift) and weights.safetensors (PyTorch names and layouts: the state_dict of
the equivalent nn.Sequential). For each folder this script

  1. builds that nn.Sequential from architecture.json, held as the `layers` attribute of a small
     wrapper module (Sculpt's names are layers.N.weight); a residual block is a small module with
     `body` and `projection` Sequentials, so its names are layers.N.body.K.* / layers.N.projection.K.*;
  2. loads weights.safetensors with safetensors.torch.load_file + load_state_dict(strict=True)
     (every tensor name and shape must match: missing, unexpected or mis-shaped tensors fail);
  3. evaluates it in eval mode on the Fashion-MNIST test set (pixels / 255, no further
     normalization, as Sculpt's loader; reshaped to the architecture's input shape), in float32
     batches of 128: mean cross-entropy loss and accuracy;
  4. with --sculpt BIN, runs `BIN eval CKPT --data fashion-mnist:DIR --json` and compares.

`sculpt` has no command that dumps per-sample outputs, so the comparison is of test accuracy
(exact count of correct predictions out of 10,000) and mean test loss.

    /tmp/peers-venv/bin/python bench/torch_load_check.py /tmp/ck-cnn /tmp/ck-vgg \\
        --sculpt /tmp/sculpt-release/release/sculpt [--threads 2] [--json]

Exit status 1 if a checkpoint fails to load or the accuracies differ by more than --tolerance.
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file

FMNIST_DIR = "/usr/share/datasets/fashion-mnist"


class Residual(nn.Module):
    """y = body(x) + projection(x) (identity shortcut when there is no projection)."""

    def __init__(self, body, projection):
        super().__init__()
        self.body = body
        if projection is not None:
            self.projection = projection
        else:
            self.projection = None

    def forward(self, x):
        return self.body(x) + (x if self.projection is None else self.projection(x))


class Net(nn.Module):
    """The network: `layers` is the nn.Sequential, so names are layers.N.* as in Sculpt's files."""

    def __init__(self, layers):
        super().__init__()
        self.layers = layers

    def forward(self, x):
        return self.layers(x)


class GlobalAvgPool(nn.Module):
    """[B, C, H, W] -> [B, C] (Sculpt's global_avgpool outputs [C])."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


def build(specs, shape, path="layers"):
    """nn.Sequential of `specs` for per-sample input `shape`; returns (module, output shape)."""
    mods = []
    for i, s in enumerate(specs):
        t = s["type"]
        where = f"{path}.{i}"
        if t == "dense":
            assert len(shape) == 1 and shape[0] == s["inputs"], f"{where}: dense({s['inputs']}) on {shape}"
            mods.append(nn.Linear(s["inputs"], s["outputs"], bias=s.get("bias", True)))
            shape = [s["outputs"]]
        elif t == "conv2d":
            k, st, p = s["kernel"], s.get("stride", 1), s.get("padding", 0)
            assert len(shape) == 3 and shape[0] == s["inputs"], f"{where}: conv2d({s['inputs']}) on {shape}"
            mods.append(nn.Conv2d(s["inputs"], s["outputs"], k, stride=st, padding=p, bias=s.get("bias", True)))
            shape = [s["outputs"], (shape[1] + 2 * p - k) // st + 1, (shape[2] + 2 * p - k) // st + 1]
        elif t in ("maxpool2d", "avgpool2d"):
            k = s["kernel"]
            st, p = s.get("stride", k), s.get("padding", 0)
            # PyTorch defaults (floor mode; AvgPool2d counts padded zeros), as Sculpt's layers.
            mods.append(nn.MaxPool2d(k, st, p) if t == "maxpool2d" else nn.AvgPool2d(k, st, p))
            shape = [shape[0], (shape[1] + 2 * p - k) // st + 1, (shape[2] + 2 * p - k) // st + 1]
        elif t == "global_avgpool":
            mods.append(GlobalAvgPool())
            shape = [shape[0]]
        elif t == "batchnorm":
            f, m, e = s["features"], s.get("momentum", 0.1), s.get("epsilon", 1e-5)
            assert shape[0] == f, f"{where}: batchnorm({f}) on {shape}"
            mods.append((nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d)(f, eps=e, momentum=m))
        elif t == "relu":
            mods.append(nn.ReLU())
        elif t == "leaky_relu":
            mods.append(nn.LeakyReLU(s.get("slope", 0.01)))
        elif t == "tanh":
            mods.append(nn.Tanh())
        elif t == "sigmoid":
            mods.append(nn.Sigmoid())
        elif t == "identity":
            mods.append(nn.Identity())
        elif t == "dropout":
            mods.append(nn.Dropout(s["probability"]))
        elif t == "flatten":
            mods.append(nn.Flatten())
            shape = [int(np.prod(shape))]
        elif t == "residual":
            body, out = build(s["body"], shape, where + ".body")
            proj = None
            if s.get("projection") is not None:
                proj, pout = build(s["projection"], shape, where + ".projection")
                assert pout == out, f"{where}: body gives {out}, projection {pout}"
            else:
                assert out == shape, f"{where}: body gives {out}, identity shortcut {shape}"
            mods.append(Residual(body, proj))
            shape = out
        else:
            raise ValueError(f"{where}: unknown layer type {t!r}")
    return nn.Sequential(*mods), shape


def load_checkpoint(folder):
    arch = json.load(open(os.path.join(folder, "architecture.json")))
    layers, out_shape = build(arch["layers"], list(arch["inputShape"]))
    model = Net(layers)
    state = load_file(os.path.join(folder, "weights.safetensors"))
    # Sculpt saves BatchNorm's running_mean/running_var but not num_batches_tracked (a counter
    # only used when momentum is None); add it so that strict loading checks everything else.
    for name, buf in model.state_dict().items():
        if name.endswith("num_batches_tracked") and name not in state:
            state[name] = torch.zeros_like(buf)
    result = model.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys, result
    model.eval()
    return arch, model, out_shape, len(state)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion_mnist_test(directory):
    x = read_idx(os.path.join(directory, "t10k-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(directory, "t10k-labels-idx1-ubyte.gz"))
    return torch.from_numpy(x.astype(np.float32) / 255), torch.from_numpy(y.astype(np.int64))


@torch.no_grad()
def evaluate(model, in_shape, x, y, batch=128):
    loss_sum, correct = 0.0, 0
    for i in range(0, len(x), batch):
        xb = x[i:i + batch].reshape(-1, *in_shape)
        logits = model(xb)
        loss_sum += F.cross_entropy(logits, y[i:i + batch], reduction="sum").item()
        correct += (logits.argmax(1) == y[i:i + batch]).sum().item()
    return loss_sum / len(x), correct / len(x), correct


def sculpt_eval(binary, folder, directory, threads):
    env = dict(os.environ)
    if threads:
        env["OPENBLAS_NUM_THREADS"] = str(threads)
    out = subprocess.run([binary, "eval", folder, "--data", f"fashion-mnist:{directory}", "--json"],
                         check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+", help="Sculpt checkpoint folders")
    p.add_argument("--data", default=FMNIST_DIR, help="Fashion-MNIST folder (IDX .gz files)")
    p.add_argument("--sculpt", default=None, help="the sculpt binary: also run `sculpt eval` and compare")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--tolerance", type=float, default=1e-4, help="largest accepted accuracy difference")
    p.add_argument("--json", action="store_true", help="one JSON object per checkpoint")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    x, y = fashion_mnist_test(args.data)
    failed = False
    for folder in args.checkpoints:
        rec = {"checkpoint": folder}
        try:
            arch, model, out_shape, tensors = load_checkpoint(folder)
        except Exception as e:  # a strict-load failure is the thing this script checks
            rec["load_error"] = f"{type(e).__name__}: {e}"
            failed = True
            print(json.dumps(rec) if args.json else f"{folder}: LOAD FAILED: {rec['load_error']}")
            continue
        rec.update(tensors=tensors, parameters=sum(t.numel() for t in model.parameters()),
                   input_shape=arch["inputShape"], output_shape=out_shape)
        loss, acc, correct = evaluate(model, arch["inputShape"], x, y)
        rec.update(torch_test_loss=loss, torch_test_accuracy=acc, torch_correct=correct)
        if args.sculpt:
            s = sculpt_eval(args.sculpt, folder, args.data, args.threads)
            rec.update(sculpt_test_loss=s["testLoss"], sculpt_test_accuracy=s["testAccuracy"],
                       sculpt_parameters=s["parameters"],
                       accuracy_diff=abs(acc - s["testAccuracy"]), loss_diff=abs(loss - s["testLoss"]))
            if rec["accuracy_diff"] > args.tolerance or s["parameters"] != rec["parameters"]:
                failed = True
        if args.json:
            print(json.dumps(rec), flush=True)
        else:
            line = (f"{folder}: strict load OK ({tensors} tensors, {rec['parameters']:,} parameters); "
                    f"torch test acc {acc:.4f} loss {loss:.6f}")
            if args.sculpt:
                line += (f"; sculpt acc {rec['sculpt_test_accuracy']:.4f} loss {rec['sculpt_test_loss']:.6f}"
                         f" (|d acc| {rec['accuracy_diff']:.1e}, |d loss| {rec['loss_diff']:.1e})")
            print(line, flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
