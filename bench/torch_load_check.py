#!/usr/bin/env python3
"""PyTorch and Sculpt exchange models: the round trip of tools/torch_to_sculpt.py, and a load check.

Round trip (no checkpoint arguments): for a few PyTorch nn.Sequential models covering every layer
type tools/torch_to_sculpt.py writes (Linear, Conv2d, BatchNorm1d/2d with non-trivial running
statistics, ReLU, LeakyReLU, Tanh, Sigmoid, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1) + Flatten,
Dropout, Identity), this script

  1. writes the model as a Sculpt checkpoint (`write_checkpoint`);
  2. runs exact surgery on it with `BIN surgery`: fold-bn (every BatchNorm folded into the layer
     before it), expand (WeakExpand of the first layer by half its width) and zero-expand;
  3. reads each result back into PyTorch (`from_sculpt`, strict: every name and shape must match)
     and compares its outputs with the original model's on 16 seeded uniform(-1, 1) samples in
     eval mode: max |difference| <= --tolerance x max(1, max |output|) (default 1e-5), and checks
     that the surgery changed the structure (BatchNorms gone, the layer wider);
  4. checks that models with a layer Sculpt lacks (nn.GELU, a non-square kernel, ceil-mode
     pooling, ...) are refused by name and leave nothing written.

    /tmp/peers-venv/bin/python bench/torch_load_check.py --sculpt .build/debug/sculpt [--json]

Load check (checkpoint folders given): rebuilds each Sculpt checkpoint in PyTorch, loads it
strictly, evaluates it on the Fashion-MNIST test set (pixels / 255, batches of 128) and, with
--sculpt, compares accuracy and mean loss with `BIN eval CKPT --json`:

    /tmp/peers-venv/bin/python bench/torch_load_check.py /tmp/ck-cnn /tmp/ck-vgg --sculpt BIN

Exit status 1 when any check fails, 2 on bad arguments.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from torch_reference import fashion_mnist  # noqa: E402  (this folder; Fashion-MNIST as W2/W3 read it)
from torch_to_sculpt import UnsupportedModel, from_sculpt, max_output_difference, write_checkpoint  # noqa: E402

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


# ---------------------------------------------------------------------------- round trip

def models():
    """(name, nn.Sequential, input shape, first layer's path, its output width) of each round trip."""
    mlp = nn.Sequential(nn.Linear(20, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2),
                        nn.Linear(16, 12), nn.LeakyReLU(0.1), nn.Linear(12, 8), nn.Tanh(),
                        nn.Linear(8, 5), nn.Sigmoid())
    cnn = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 12, 3, padding=1, bias=False), nn.BatchNorm2d(12), nn.ReLU(), nn.AvgPool2d(2),
                        nn.Flatten(), nn.Linear(12 * 4 * 4, 10))
    gap = nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.Conv2d(6, 6, 3, stride=2, padding=1), nn.BatchNorm2d(6),
                        nn.Identity(), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 4))
    return [("mlp-bn", mlp, [20], "layers.0", 16), ("cnn-bn", cnn, [3, 16, 16], "layers.0", 8),
            ("cnn-gap", gap, [1, 12, 12], "layers.0", 6)]


def randomized(model, seed):
    """The model with seeded weights and BatchNorm statistics far from their defaults, in eval mode."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                fan_in = module.weight[0].numel()  # outputs stay of order 1, so 1e-5 is a float32 test
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * 2 / fan_in ** 0.5)
                if module.bias is not None:
                    module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
            elif isinstance(module, nn.modules.batchnorm._BatchNorm):
                c = module.num_features
                module.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(c, generator=generator) * 0.2)
                module.running_mean.copy_(torch.randn(c, generator=generator) * 0.5)
                module.running_var.copy_(torch.rand(c, generator=generator) * 1.5 + 0.5)
    return model.eval()


def surgery(binary, source, target, *flags):
    """`BIN surgery SOURCE FLAGS --out TARGET --json`, as a dict; raises with its stderr."""
    run = subprocess.run([binary, "surgery", source, *flags, "--out", target, "--json"], capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"sculpt surgery {' '.join(flags)}: exit {run.returncode}: {run.stderr.strip()}")
    return json.loads(run.stdout)


def width(net, path):
    """Output units of the layer at `path` (layers.N) of a from_sculpt network."""
    layer = net.layers[int(path.split(".")[1])]
    return layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels


def round_trip(name, model, shape, first, units, binary, folder, tolerance):
    """The records of one model's round trips (identity, fold-bn, expand, zero-expand)."""
    checkpoint = os.path.join(folder, name)
    write_checkpoint(model, shape, checkpoint)
    batchnorms = sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    trips = [("write + read", None, [], lambda net: True),
             ("fold-bn", "fold", ["--op", "fold-bn"],
              lambda net: not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in net.modules())),
             ("expand (WeakExpand)", "expand", ["--op", "expand", "--layer", first, "--to", str(units + units // 2)],
              lambda net: width(net, first) == units + units // 2),
             ("zero-expand", "zero", ["--op", "zero-expand", "--layer", first, "--to", str(units + 1)],
              lambda net: width(net, first) == units + 1)]
    records = []
    for label, suffix, flags, changed in trips:
        record = {"model": name, "operation": label, "batchnorms": batchnorms}
        try:
            target = checkpoint
            if suffix:
                target = f"{checkpoint}-{suffix}"
                result = surgery(binary, checkpoint, target, *flags)
                record["sculpt_output_difference"] = result["outputMaxAbsDifference"]
            back = from_sculpt(target)
            difference, scale = max_output_difference(model, back, shape)
            record.update(max_output_difference=difference, max_output=scale, structure_changed=changed(back),
                          ok=difference <= tolerance * max(1.0, scale) and changed(back))
        except Exception as error:  # a failed load or surgery is what this check reports
            record.update(error=f"{type(error).__name__}: {error}", ok=False)
        records.append(record)
    return records


def refusals(folder):
    """Records of models torch_to_sculpt must refuse by name, writing nothing."""
    cases = [("nn.GELU", nn.Sequential(nn.Linear(4, 3), nn.GELU()), [4], "nn.GELU"),
             ("a non-square kernel", nn.Sequential(nn.Conv2d(1, 2, (3, 1))), [1, 6, 6], "not square"),
             ("ceil-mode pooling", nn.Sequential(nn.MaxPool2d(2, ceil_mode=True)), [1, 5, 5], "ceil_mode"),
             ("a mismatched width", nn.Sequential(nn.Linear(4, 3), nn.Linear(5, 2)), [4], "Linear(5)"),
             ("a module that is not nn.Sequential", nn.Linear(4, 3), [4], "not an nn.Sequential")]
    records = []
    for label, model, shape, expected in cases:
        target = os.path.join(folder, "refused")
        try:
            write_checkpoint(model, shape, target)
            message = None
        except UnsupportedModel as error:
            message = str(error)
        ok = message is not None and expected in message and not os.path.exists(target)
        records.append({"model": label, "operation": "refused", "message": message, "ok": ok})
    return records


def run_round_trips(args):
    if not args.sculpt:
        print("torch_load_check: the round trip needs --sculpt BIN (the sculpt binary)", file=sys.stderr)
        return 2
    failed = False
    with tempfile.TemporaryDirectory(prefix="sculpt-roundtrip-") as folder:
        for seed, (name, model, shape, first, units) in enumerate(models()):
            for record in round_trip(name, randomized(model, seed), shape, first, units, args.sculpt, folder,
                                     args.tolerance):
                if "error" in record:
                    line = f"{name}: {record['operation']}: {record['error']}"
                else:
                    line = (f"{name}: PyTorch -> Sculpt -> {record['operation']} -> PyTorch: output max |difference| "
                            f"{record['max_output_difference']:.2g} (max |output| {record['max_output']:.3g})"
                            + ("" if record["structure_changed"] else "; the structure did not change"))
                failed |= not emit(record, args.json, line)
        for record in refusals(folder):
            failed |= not emit(record, args.json, f"refuses {record['model']}, writing nothing: {record['message']}")
    return 1 if failed else 0


def emit(record, as_json, line):
    """Prints the record (JSON) or `line` marked ok / FAIL; returns whether the record is ok."""
    print(json.dumps(record) if as_json else f"{'ok  ' if record['ok'] else 'FAIL'} {line}", flush=True)
    return record["ok"]


# ---------------------------------------------------------------------------- load check

@torch.no_grad()
def evaluate(net, x, y, batch=128):
    """(mean cross-entropy, accuracy, correct count) of `net` on images x, labels y."""
    loss, correct = 0.0, 0
    for i in range(0, len(x), batch):
        logits = net(x[i:i + batch].reshape(-1, *net.input_shape))
        loss += F.cross_entropy(logits, y[i:i + batch], reduction="sum").item()
        correct += (logits.argmax(1) == y[i:i + batch]).sum().item()
    return loss / len(x), correct / len(x), correct


def check_checkpoint(folder, x, y, args):
    record = {"checkpoint": folder}
    try:
        net = from_sculpt(folder)
    except Exception as error:  # a strict-load failure is the thing this check reports
        record.update(load_error=f"{type(error).__name__}: {error}", ok=False)
        return record
    loss, accuracy, correct = evaluate(net, x, y)
    record.update(tensors=len(net.state_dict()), parameters=sum(t.numel() for t in net.parameters()),
                  torch_test_loss=loss, torch_test_accuracy=accuracy, torch_correct=correct, ok=True)
    if args.sculpt:
        env = dict(os.environ, **({"OPENBLAS_NUM_THREADS": str(args.threads)} if args.threads else {}))
        out = subprocess.run([args.sculpt, "eval", folder, "--data", f"fashion-mnist:{args.data}", "--json"],
                             check=True, capture_output=True, text=True, env=env).stdout
        s = json.loads(out)
        record.update(sculpt_test_loss=s["testLoss"], sculpt_test_accuracy=s["testAccuracy"],
                      accuracy_diff=abs(accuracy - s["testAccuracy"]), loss_diff=abs(loss - s["testLoss"]))
        record["ok"] = record["accuracy_diff"] <= args.tolerance and s["parameters"] == record["parameters"]
    return record


def run_load_checks(args):
    _, _, x, y = fashion_mnist(args.data)
    failed = False
    for folder in args.checkpoints:
        record = check_checkpoint(folder, x, y, args)
        if "load_error" in record:
            line = f"{folder}: load failed: {record['load_error']}"
        else:
            line = (f"{folder}: strict load ({record['parameters']:,} parameters); torch test acc "
                    f"{record['torch_test_accuracy']:.4f} loss {record['torch_test_loss']:.6f}")
            if args.sculpt:
                line += (f"; sculpt acc {record['sculpt_test_accuracy']:.4f} loss {record['sculpt_test_loss']:.6f}"
                         f" (|d acc| {record['accuracy_diff']:.1e}, |d loss| {record['loss_diff']:.1e})")
        failed |= not emit(record, args.json, line)
    return 1 if failed else 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="*", help="Sculpt checkpoint folders (none: the round trip)")
    p.add_argument("--sculpt", help="the sculpt binary (round trip: required; load check: also compare with eval)")
    p.add_argument("--data", default=FASHION_MNIST, help="load check: the Fashion-MNIST folder (IDX .gz files)")
    p.add_argument("--threads", type=int, default=0, help="torch and sculpt threads (0: their defaults)")
    p.add_argument("--tolerance", type=float, default=None,
                   help="round trip: relative output difference (default 1e-5); load check: accuracy (1e-4)")
    p.add_argument("--json", action="store_true", help="one JSON object per check")
    args = p.parse_args(argv)
    if args.sculpt and not os.access(args.sculpt, os.X_OK):
        print(f"torch_load_check: --sculpt {args.sculpt}: not an executable file", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.checkpoints:
        args.tolerance = 1e-4 if args.tolerance is None else args.tolerance
        return run_load_checks(args)
    args.tolerance = 1e-5 if args.tolerance is None else args.tolerance
    return run_round_trips(args)


if __name__ == "__main__":
    sys.exit(main())
