#!/usr/bin/env python3
"""Writes a Sculpt checkpoint from a PyTorch nn.Sequential, and reads Sculpt checkpoints back.

A Sculpt checkpoint is a folder: architecture.json (the input shape and the layer specs, as
Sources/SculptNN/LayerSpec+Codable.swift reads them) and weights.safetensors (float32 tensors
named layers.N.weight, layers.N.bias, layers.N.running_mean, layers.N.running_var, in PyTorch's
layouts), plus history.json (the surgery history, empty here). `sculpt eval`, `sculpt inspect`
and `sculpt surgery` then work on your model (it has no training state: nothing to `--resume`).

    python tools/torch_to_sculpt.py MODEL --input-shape 1,28,28 --out DIR [--weights FILE] [--json]

MODEL is `file.py:function` (function() returns the nn.Sequential) or a `.pt` file holding the
whole module saved with torch.save(model) (unpickling runs code: load only your own files).
--weights loads a state_dict (torch.save'd `.pt` or `.safetensors`) into it first, strictly.
--input-shape is one sample's shape: [features] for a dense network (optional: read from the
first Linear), [channels, height, width] for a convolutional one.

Supported (the layer types Sculpt has): Linear, Conv2d (square kernel, stride and padding, no
dilation or groups, zero padding), BatchNorm1d on [C] and BatchNorm2d (with running statistics
and a momentum), ReLU, LeakyReLU, Tanh, Sigmoid, Identity, MaxPool2d and AvgPool2d (floor mode,
AvgPool counting padded zeros), AdaptiveAvgPool2d(1) directly followed by Flatten, Flatten,
Dropout. Nested nn.Sequential are flattened. Anything else is refused by name, and nothing is
written. Before the folder is put in place it is read back into PyTorch (`from_sculpt`) and its
outputs on a random batch are compared with the model's (eval mode); a difference fails the
command (exit 2, nothing written).

From Python:

    sys.path.insert(0, "tools"); from torch_to_sculpt import write_checkpoint, from_sculpt
    write_checkpoint(model, [1, 28, 28], "ck")        # PyTorch -> Sculpt
    net = from_sculpt("ck")                            # Sculpt -> PyTorch (net.layers: nn.Sequential)
"""
import argparse
import importlib.util
import json
import math
import os
import shutil
import sys

import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file

ARCHITECTURE, WEIGHTS, HISTORY = "architecture.json", "weights.safetensors", "history.json"
METADATA = {"format": "pt", "producer": "torch_to_sculpt"}


class UnsupportedModel(ValueError):
    """The model cannot be written as a Sculpt checkpoint; the message names the layer and why."""


# ---------------------------------------------------------------------------- Sculpt -> PyTorch

class Residual(nn.Module):
    """y = body(x) + projection(x) (the identity shortcut when there is no projection)."""

    def __init__(self, body, projection):
        super().__init__()
        self.body = body
        self.projection = projection

    def forward(self, x):
        return self.body(x) + (x if self.projection is None else self.projection(x))


class GlobalAvgPool(nn.Module):
    """[B, C, H, W] -> [B, C] (Sculpt's global_avgpool)."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


class SculptNet(nn.Module):
    """A Sculpt network in PyTorch: `layers` is the nn.Sequential, so names are layers.N.*."""

    def __init__(self, layers):
        super().__init__()
        self.layers = layers

    def forward(self, x):
        return self.layers(x)


def pooled(shape, kernel, stride, padding):
    return [shape[0], (shape[1] + 2 * padding - kernel) // stride + 1, (shape[2] + 2 * padding - kernel) // stride + 1]


def build(specs, shape, path="layers"):
    """The nn.Sequential of Sculpt layer `specs` for one sample of `shape`; (module, output shape)."""
    modules = []
    simple = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "identity": nn.Identity}
    for i, s in enumerate(specs):
        kind, where = s["type"], f"{path}.{i}"
        if kind == "dense":
            if shape != [s["inputs"]]:
                raise ValueError(f"{where}: dense({s['inputs']}) on a sample of shape {shape}")
            modules.append(nn.Linear(s["inputs"], s["outputs"], bias=s.get("bias", True)))
            shape = [s["outputs"]]
        elif kind == "conv2d":
            k, stride, pad = s["kernel"], s.get("stride", 1), s.get("padding", 0)
            if len(shape) != 3 or shape[0] != s["inputs"]:
                raise ValueError(f"{where}: conv2d({s['inputs']}) on a sample of shape {shape}")
            modules.append(nn.Conv2d(s["inputs"], s["outputs"], k, stride=stride, padding=pad,
                                     bias=s.get("bias", True)))
            shape = [s["outputs"]] + pooled(shape, k, stride, pad)[1:]
        elif kind in ("maxpool2d", "avgpool2d"):
            k = s["kernel"]
            stride, pad = s.get("stride", k), s.get("padding", 0)
            modules.append((nn.MaxPool2d if kind == "maxpool2d" else nn.AvgPool2d)(k, stride, pad))
            shape = pooled(shape, k, stride, pad)
        elif kind == "global_avgpool":
            modules.append(GlobalAvgPool())
            shape = [shape[0]]
        elif kind == "batchnorm":
            if shape[0] != s["features"]:
                raise ValueError(f"{where}: batchnorm({s['features']}) on a sample of shape {shape}")
            norm = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
            modules.append(norm(s["features"], eps=s.get("epsilon", 1e-5), momentum=s.get("momentum", 0.1)))
        elif kind == "leaky_relu":
            modules.append(nn.LeakyReLU(s.get("slope", 0.01)))
        elif kind in simple:
            modules.append(simple[kind]())
        elif kind == "dropout":
            modules.append(nn.Dropout(s["probability"]))
        elif kind == "flatten":
            modules.append(nn.Flatten())
            shape = [math.prod(shape)]
        elif kind == "residual":
            body, out = build(s["body"], shape, where + ".body")
            projection, shortcut = None, shape
            if s.get("projection") is not None:
                projection, shortcut = build(s["projection"], shape, where + ".projection")
            if shortcut != out:
                raise ValueError(f"{where}: the body gives {out}, the shortcut {shortcut}")
            modules.append(Residual(body, projection))
            shape = out
        else:
            raise ValueError(f"{where}: unknown layer type {kind!r}")
    return nn.Sequential(*modules), shape


def from_sculpt(folder):
    """The PyTorch module of a Sculpt checkpoint, weights loaded strictly, in eval mode.

    Every tensor name and shape must match (missing, unexpected or mis-shaped tensors raise).
    BatchNorm's num_batches_tracked, which Sculpt does not keep, is set to zero."""
    with open(os.path.join(folder, ARCHITECTURE)) as f:
        architecture = json.load(f)
    layers, out_shape = build(architecture["layers"], list(architecture["inputShape"]))
    net = SculptNet(layers)
    state = load_file(os.path.join(folder, WEIGHTS))
    for name, buffer in net.state_dict().items():
        if name.endswith("num_batches_tracked") and name not in state:
            state[name] = torch.zeros_like(buffer)
    net.load_state_dict(state, strict=True)
    net.input_shape, net.output_shape = list(architecture["inputShape"]), out_shape
    return net.eval()


# ---------------------------------------------------------------------------- PyTorch -> Sculpt

SUPPORTED = ("Linear, Conv2d, BatchNorm1d, BatchNorm2d, ReLU, LeakyReLU, Tanh, Sigmoid, Identity, "
             "MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1) + Flatten, Flatten, Dropout")


def square(value, what, where):
    """An int from an int or an equal pair; refuses (a, b) with a != b."""
    if isinstance(value, int):
        return value
    if len(set(value)) != 1:
        raise UnsupportedModel(f"{where}: {what} {tuple(value)} is not square (Sculpt's are)")
    return int(value[0])


def needs(condition, where, why):
    if not condition:
        raise UnsupportedModel(f"{where}: {why}")


def linear_spec(m, shape, where):
    needs(shape == [m.in_features], where, f"Linear({m.in_features}) on a sample of shape {shape}")
    spec = {"type": "dense", "inputs": m.in_features, "outputs": m.out_features, "bias": m.bias is not None}
    return spec, {"weight": m.weight, "bias": m.bias}, [m.out_features]


def conv_spec(m, shape, where):
    needs(len(shape) == 3 and shape[0] == m.in_channels, where,
          f"Conv2d({m.in_channels}, ...) on a sample of shape {shape}")
    needs(m.groups == 1 and square(m.dilation, "dilation", where) == 1, where, "groups and dilation must be 1")
    needs(m.padding_mode == "zeros", where, f"padding_mode {m.padding_mode!r} (Sculpt pads with zeros)")
    kernel, stride = square(m.kernel_size, "kernel", where), square(m.stride, "stride", where)
    padding = m.padding
    if isinstance(padding, str):  # 'valid' or 'same'
        needs(padding == "valid" or (stride == 1 and kernel % 2 == 1), where,
              "padding='same' needs stride 1 and an odd kernel")
        padding = 0 if padding == "valid" else kernel // 2
    padding = square(padding, "padding", where)
    needs(shape[1] + 2 * padding >= kernel and shape[2] + 2 * padding >= kernel, where,
          f"kernel {kernel} larger than the padded sample {shape}")
    spec = {"type": "conv2d", "inputs": m.in_channels, "outputs": m.out_channels, "kernel": kernel,
            "stride": stride, "padding": padding, "bias": m.bias is not None}
    return spec, {"weight": m.weight, "bias": m.bias}, [m.out_channels] + pooled(shape, kernel, stride, padding)[1:]


def batchnorm_spec(m, shape, where):
    rank = 1 if isinstance(m, nn.BatchNorm1d) else 3
    needs(len(shape) == rank and shape[0] == m.num_features, where,
          f"{type(m).__name__}({m.num_features}) on a sample of shape {shape} (Sculpt: [C] or [C, H, W])")
    needs(m.track_running_stats and m.running_mean is not None, where,
          "track_running_stats=False (no running statistics)")
    needs(m.momentum is not None, where, "momentum=None (a cumulative average) has no Sculpt equivalent")
    ones, zeros = torch.ones(m.num_features), torch.zeros(m.num_features)
    tensors = {"weight": m.weight if m.affine else ones, "bias": m.bias if m.affine else zeros,
               "running_mean": m.running_mean, "running_var": m.running_var}
    spec = {"type": "batchnorm", "features": m.num_features, "momentum": m.momentum, "epsilon": m.eps}
    return spec, tensors, shape


def pool_spec(m, shape, where):
    kernel = square(m.kernel_size, "kernel", where)
    stride = kernel if m.stride is None or m.stride == [] else square(m.stride, "stride", where)
    padding = square(m.padding, "padding", where)
    needs(not m.ceil_mode, where, "ceil_mode=True (Sculpt pools in floor mode)")
    if isinstance(m, nn.MaxPool2d):
        needs(square(m.dilation, "dilation", where) == 1 and not m.return_indices, where,
              "dilation must be 1 and return_indices False")
    else:
        needs(m.count_include_pad and m.divisor_override is None, where,
              "Sculpt's AvgPool2d counts padded zeros (count_include_pad=True, no divisor_override)")
    needs(len(shape) == 3 and shape[1] + 2 * padding >= kernel and shape[2] + 2 * padding >= kernel, where,
          f"pooling kernel {kernel} on a sample of shape {shape}")
    kind = "maxpool2d" if isinstance(m, nn.MaxPool2d) else "avgpool2d"
    spec = {"type": kind, "kernel": kernel, "stride": stride, "padding": padding}
    return spec, {}, pooled(shape, kernel, stride, padding)


def adaptive_spec(m, shape, where):
    size = m.output_size
    needs(all(s == 1 for s in ((size,) if isinstance(size, int) else size)), where,
          f"AdaptiveAvgPool2d({size}): only output size 1 (a global average) is supported")
    needs(len(shape) == 3, where, f"AdaptiveAvgPool2d on a sample of shape {shape}")
    return {"type": "global_avgpool"}, {}, [shape[0]]


def flatten_spec(m, shape, where):
    needs(m.start_dim == 1 and m.end_dim == -1, where, "only Flatten(start_dim=1, end_dim=-1)")
    return {"type": "flatten"}, {}, [math.prod(shape)]


CONVERTERS = {
    nn.Linear: linear_spec, nn.Conv2d: conv_spec, nn.BatchNorm1d: batchnorm_spec, nn.BatchNorm2d: batchnorm_spec,
    nn.MaxPool2d: pool_spec, nn.AvgPool2d: pool_spec, nn.AdaptiveAvgPool2d: adaptive_spec, nn.Flatten: flatten_spec,
    nn.ReLU: lambda m, s, w: ({"type": "relu"}, {}, s), nn.Tanh: lambda m, s, w: ({"type": "tanh"}, {}, s),
    nn.Sigmoid: lambda m, s, w: ({"type": "sigmoid"}, {}, s),
    nn.Identity: lambda m, s, w: ({"type": "identity"}, {}, s),
    nn.LeakyReLU: lambda m, s, w: ({"type": "leaky_relu", "slope": m.negative_slope}, {}, s),
    nn.Dropout: lambda m, s, w: (needs(m.p < 1, w, "probability 1") or {"type": "dropout", "probability": m.p}, {}, s),
}


def flattened(model):
    """The leaf modules of an nn.Sequential (nested Sequentials flattened) with their own names."""
    if isinstance(model, SculptNet):
        model = model.layers
    if type(model) is not nn.Sequential:
        raise UnsupportedModel(f"the model is a {type(model).__name__}, not an nn.Sequential "
                               "(Sculpt networks are sequences of layers)")
    leaves = []
    for name, child in model.named_children():
        if type(child) is nn.Sequential:
            leaves += [(f"{name}.{inner}", m) for inner, m in flattened(child)]
        else:
            leaves.append((name, child))
    return leaves


def to_sculpt(model, input_shape):
    """(architecture dict, {tensor name: float32 tensor}) of `model` for one sample of `input_shape`.

    Raises UnsupportedModel naming the first layer Sculpt cannot represent."""
    leaves = flattened(model)
    shape = [int(d) for d in input_shape]
    if not shape or min(shape) < 1:
        raise UnsupportedModel(f"input shape {shape}: give positive sizes")
    specs, tensors = [], {}
    for i, (name, module) in enumerate(leaves):
        where = f"layer {name} (nn.{type(module).__name__})"
        convert = CONVERTERS.get(type(module))
        if convert is None:
            raise UnsupportedModel(f"{where}: not a layer type Sculpt supports (supported: {SUPPORTED})")
        if type(module) is nn.AdaptiveAvgPool2d:
            following = leaves[i + 1][1] if i + 1 < len(leaves) else None
            needs(type(following) is nn.Flatten, where, "must be followed directly by nn.Flatten")
        spec, parameters, shape = convert(module, shape, where)
        specs.append(spec)
        for key, value in parameters.items():
            if value is not None:
                tensors[f"layers.{i}.{key}"] = value.detach().to(torch.float32).contiguous().clone()
    return {"inputShape": [int(d) for d in input_shape], "layers": specs}, tensors


def replace_folder(files, target, verify=None):
    """Writes `files` {name: writer(path)} into a fresh folder beside `target`, calls verify(folder)
    on it (which may raise), then swaps it in.

    Refuses to replace a file or a non-empty folder that is not a checkpoint; on any failure the
    target is left as it was and the temporary folder is removed."""
    target = os.path.abspath(target)
    if os.path.exists(target):
        if not os.path.isdir(target):
            raise UnsupportedModel(f"--out {target}: is a file, not a checkpoint folder")
        if os.listdir(target) and not os.path.exists(os.path.join(target, ARCHITECTURE)):
            raise UnsupportedModel(f"--out {target}: a non-empty folder without {ARCHITECTURE}; not replacing it")
    parent, name = os.path.split(target)
    os.makedirs(parent, exist_ok=True)
    temporary = os.path.join(parent, f".{name}.partial-{os.getpid()}")
    old = os.path.join(parent, f".{name}.old-{os.getpid()}")
    try:
        os.makedirs(temporary)
        for file, write in files.items():
            write(os.path.join(temporary, file))
        if verify is not None:
            verify(temporary)
        if os.path.exists(target):
            os.rename(target, old)
        os.rename(temporary, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def write_checkpoint(model, input_shape, folder, tolerance=1e-5):
    """Writes `model` (an nn.Sequential of supported layers) as the Sculpt checkpoint `folder`.

    Before the folder is put in place it is read back with `from_sculpt` and its outputs compared
    with the model's on a random batch (eval mode; the model is left in eval mode). Returns
    (architecture dict, max output difference). Nothing is written when a layer is unsupported
    or the outputs differ by more than tolerance x max(1, max |output|)."""
    checked = {}

    def verify(path):
        difference, scale = max_output_difference(model, from_sculpt(path), input_shape)
        checked["difference"] = difference
        if difference > tolerance * max(1.0, scale):
            raise UnsupportedModel(f"read back into PyTorch, the checkpoint's outputs differ by {difference:.3g}")

    architecture, tensors = to_sculpt(model, input_shape)

    def write_json(value):
        return lambda path: open(path, "w").write(json.dumps(value, indent=2, sort_keys=True) + "\n")

    replace_folder({ARCHITECTURE: write_json(architecture), HISTORY: write_json([]),
                    WEIGHTS: lambda path: save_file(tensors, path, metadata=METADATA)},
                   folder, verify)
    return architecture, checked["difference"]


@torch.no_grad()
def max_output_difference(a, b, input_shape, samples=16, seed=0):
    """Largest |a(x) - b(x)| and largest |a(x)| over a seeded uniform(-1, 1) batch, both in eval mode."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand([samples] + list(input_shape), generator=generator) * 2 - 1
    a.eval(), b.eval()
    ya, yb = a(x), b(x)
    ya = ya.reshape(ya.shape[0], -1)  # AdaptiveAvgPool2d(1) + Flatten and global_avgpool agree in shape
    return (ya - yb.reshape(yb.shape[0], -1)).abs().max().item(), ya.abs().max().item()


# ---------------------------------------------------------------------------- command line

def load_model(text, weights):
    if ":" in text and not os.path.exists(text):
        path, function = text.rsplit(":", 1)
        if not os.path.isfile(path):
            raise UnsupportedModel(f"MODEL {text}: no file {path}")
        spec = importlib.util.spec_from_file_location("user_model", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if not callable(getattr(module, function, None)):
            raise UnsupportedModel(f"MODEL {text}: {path} defines no function {function}")
        model = getattr(module, function)()
    elif os.path.isfile(text):
        model = torch.load(text, map_location="cpu", weights_only=False)
    else:
        raise UnsupportedModel(f"MODEL {text}: expected file.py:function or a torch.save'd .pt file")
    if weights:
        if not os.path.isfile(weights):
            raise UnsupportedModel(f"--weights {weights}: no such file")
        state = load_file(weights) if weights.endswith(".safetensors") else torch.load(weights, map_location="cpu")
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as error:
            raise UnsupportedModel(f"--weights {weights}: {str(error).splitlines()[0]}") from None
    return model


def default_input_shape(model):
    leaves = flattened(model)
    if leaves and type(leaves[0][1]) is nn.Linear:
        return [leaves[0][1].in_features]
    raise UnsupportedModel("--input-shape: needed unless the first layer is an nn.Linear (e.g. 1,28,28)")


def input_shape(text):
    try:
        return [int(d) for d in text.split(",")]
    except ValueError:
        raise UnsupportedModel(f"--input-shape {text}: give integers separated by commas, e.g. 1,28,28") from None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", metavar="MODEL", help="file.py:function returning the nn.Sequential, or a .pt module")
    p.add_argument("--out", required=True, help="the checkpoint folder to write")
    p.add_argument("--input-shape", help="one sample's shape, comma-separated, e.g. 1,28,28 or 784")
    p.add_argument("--weights", help="a state_dict (.pt or .safetensors) to load into the model first")
    p.add_argument("--tolerance", type=float, default=1e-5, help="largest accepted output difference (relative)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    try:
        model = load_model(args.model, args.weights)
        shape = input_shape(args.input_shape) if args.input_shape else default_input_shape(model)
        architecture, difference = write_checkpoint(model, shape, args.out, args.tolerance)
    except UnsupportedModel as error:
        print(f"torch_to_sculpt: {error}", file=sys.stderr)
        return 2
    result = {"out": args.out, "input_shape": shape, "layers": len(architecture["layers"]),
              "parameters": sum(t.numel() for t in model.parameters()), "max_output_difference": difference}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"wrote {args.out}: {result['layers']} layers, {result['parameters']:,} parameters, input {shape}; "
              f"read back into PyTorch, output max |difference| {difference:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
