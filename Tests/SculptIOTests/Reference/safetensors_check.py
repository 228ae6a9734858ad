#!/usr/bin/env python3
"""Checks that a PyTorch user gets Sculpt's outputs from a Sculpt checkpoint.

PyTorch is not needed: the safetensors files are parsed with json + struct + numpy exactly as
the format defines them (8-byte little-endian header length, JSON header, raw little-endian
data), the network is rebuilt from architecture.json the way the equivalent nn.Sequential
computes (Linear: y = x W^T + b with W [out, in]), and its outputs are compared with the ones
Sculpt wrote.

    SCULPT_REFERENCE_DIR=/tmp/ref swift test --filter ReferenceOutputTests
    python3 Tests/SculptIOTests/Reference/safetensors_check.py /tmp/ref

With PyTorch installed, `safetensors.torch.load_file(DIR/checkpoint/weights.safetensors)` gives
the same tensors under the same names (layers.N.weight / layers.N.bias), ready for
`nn.Sequential(...).load_state_dict`.
"""
import json
import struct
import sys

import numpy as np


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", (name, entry["dtype"])
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(body[begin:end], dtype="<f4").reshape(entry["shape"])
    return tensors, header.get("__metadata__", {})


def forward(architecture, weights, x):
    h = x.astype(np.float64)
    for i, layer in enumerate(architecture["layers"]):
        kind = layer["type"]
        if kind == "dense":
            w = weights[f"layers.{i}.weight"].astype(np.float64)
            assert w.shape == (layer["outputs"], layer["inputs"]), (i, w.shape)
            h = h @ w.T
            if layer.get("bias", True):
                h = h + weights[f"layers.{i}.bias"].astype(np.float64)
        elif kind == "relu":
            h = np.maximum(h, 0)
        elif kind == "leaky_relu":
            h = np.where(h > 0, h, layer.get("slope", 0.01) * h)
        elif kind == "tanh":
            h = np.tanh(h)
        elif kind == "sigmoid":
            h = 1 / (1 + np.exp(-h))
        elif kind == "identity":
            pass
        else:
            raise SystemExit(f"layer type {kind} is not supported by this check")
    return h


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "/tmp/sculpt-reference"
    with open(f"{root}/checkpoint/architecture.json") as f:
        architecture = json.load(f)
    weights, metadata = load_safetensors(f"{root}/checkpoint/weights.safetensors")
    reference, _ = load_safetensors(f"{root}/reference.safetensors")
    expected_names = []
    for i, layer in enumerate(architecture["layers"]):
        if layer["type"] == "dense":
            expected_names.append(f"layers.{i}.weight")
            if layer.get("bias", True):
                expected_names.append(f"layers.{i}.bias")
    assert sorted(weights) == sorted(expected_names), (sorted(weights), expected_names)
    try:  # the official parser, where installed (pip install safetensors), must agree
        from safetensors.numpy import load_file
        official = load_file(f"{root}/checkpoint/weights.safetensors")
        assert sorted(official) == sorted(weights)
        assert all(np.array_equal(official[k], weights[k]) for k in weights)
        print("official safetensors parser: same tensors")
    except ImportError:
        pass
    ours = forward(architecture, weights, reference["inputs"])
    theirs = reference["outputs"].astype(np.float64)
    diff = np.abs(ours - theirs).max()
    scale = max(1.0, np.abs(theirs).max())
    print(json.dumps({"tensors": len(weights), "metadata": metadata, "outputs": list(theirs.shape),
                      "max_abs_diff": float(diff), "relative": float(diff / scale)}))
    if diff / scale > 1e-5:
        raise SystemExit(f"outputs differ: max abs diff {diff}")
    print("OK: numpy forward from the safetensors bytes matches Sculpt's outputs")


if __name__ == "__main__":
    main()
