#!/usr/bin/env python3
"""Reference tensors for Sculpt's convolution, pooling and BatchNorm layers, in plain numpy.

Written independently of Sculpt's kernels: direct loops over output positions, float64.
Run from anywhere; writes conv_reference.json beside this script (committed, so the Swift
tests need no Python):

    python3 Tests/SculptNNTests/Reference/conv_reference.py
"""
import json
import os

import numpy as np

rng = np.random.default_rng(20261122)


def conv2d(x, w, b, stride, pad):
    # x (B, I, H, W), w (O, I, k, k), b (O) -> y (B, O, OH, OW)
    B, I, H, W = x.shape
    O, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH, OW = (H + 2 * pad - k) // stride + 1, (W + 2 * pad - k) // stride + 1
    y = np.zeros((B, O, OH, OW))
    for i in range(OH):
        for j in range(OW):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]  # (B, I, k, k)
            y[:, :, i, j] = np.einsum("bikl,oikl->bo", patch, w)
    if b is not None:
        y += b[None, :, None, None]
    return y


def conv2d_backward(x, w, dy, stride, pad):
    B, I, H, W = x.shape
    O, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    OH, OW = dy.shape[2], dy.shape[3]
    for i in range(OH):
        for j in range(OW):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            dw += np.einsum("bo,bikl->oikl", dy[:, :, i, j], patch)
            dxp[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += np.einsum("bo,oikl->bikl", dy[:, :, i, j], w)
    dx = dxp[:, :, pad:pad + H, pad:pad + W]
    db = dy.sum(axis=(0, 2, 3))
    return dx, dw, db


def pool(x, k, stride, pad, kind):
    # max: padding is -inf; avg: padded zeros count (PyTorch count_include_pad=True)
    B, C, H, W = x.shape
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=fill)
    OH, OW = (H + 2 * pad - k) // stride + 1, (W + 2 * pad - k) // stride + 1
    y = np.zeros((B, C, OH, OW))
    for i in range(OH):
        for j in range(OW):
            win = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            y[:, :, i, j] = win.max(axis=(2, 3)) if kind == "max" else win.sum(axis=(2, 3)) / (k * k)
    return y


def pool_backward(x, dy, k, stride, pad, kind):
    B, C, H, W = x.shape
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=fill)
    dxp = np.zeros_like(xp)
    for i in range(dy.shape[2]):
        for j in range(dy.shape[3]):
            win = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            if kind == "max":
                flat = win.reshape(B, C, -1)
                arg = flat.argmax(axis=2)
                for bi in range(B):
                    for c in range(C):
                        a = arg[bi, c]
                        dxp[bi, c, i * stride + a // k, j * stride + a % k] += dy[bi, c, i, j]
            else:
                dxp[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += dy[:, :, i, j][:, :, None, None] / (k * k)
    return dxp[:, :, pad:pad + H, pad:pad + W]


def batchnorm_train(x, gamma, beta, eps):
    # statistics per channel over all axes but 1
    axes = tuple(a for a in range(x.ndim) if a != 1)
    shape = [1] * x.ndim
    shape[1] = -1
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)  # biased
    xhat = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    y = gamma.reshape(shape) * xhat + beta.reshape(shape)
    n = x.size // x.shape[1]
    return y, xhat, mean, var, x.var(axis=axes, ddof=1), n


def batchnorm_backward(x, gamma, dy, eps):
    # autograd-free derivation checked by finite differences below
    axes = tuple(a for a in range(x.ndim) if a != 1)
    shape = [1] * x.ndim
    shape[1] = -1
    _, xhat, _, var, _, n = batchnorm_train(x, gamma, np.zeros_like(gamma), eps)
    inv = 1 / np.sqrt(var + eps)
    dgamma = (dy * xhat).sum(axis=axes)
    dbeta = dy.sum(axis=axes)
    dxhat = dy * gamma.reshape(shape)
    dx = inv.reshape(shape) / n * (n * dxhat - dxhat.sum(axis=axes).reshape(shape) - xhat * (dxhat * xhat).sum(axis=axes).reshape(shape))
    # finite-difference self-check of the derivation on a few entries
    r = dy
    for idx in [(0,) * x.ndim, tuple(s - 1 for s in x.shape)]:
        h = 1e-6
        xp_, xm_ = x.copy(), x.copy()
        xp_[idx] += h
        xm_[idx] -= h
        fp = (batchnorm_train(xp_, gamma, np.zeros_like(gamma), eps)[0] * r).sum()
        fm = (batchnorm_train(xm_, gamma, np.zeros_like(gamma), eps)[0] * r).sum()
        assert abs((fp - fm) / (2 * h) - dx[idx]) < 1e-5, "BN derivation check failed"
    return dx, dgamma, dbeta


def t(a):
    a = np.asarray(a, dtype=np.float32)
    return {"shape": list(a.shape), "values": [float(v) for v in a.reshape(-1)]}


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


cases = {}

for name, (B, I, O, H, W, k, s, p, bias) in {
    "conv_s1_p1": (2, 3, 4, 6, 5, 3, 1, 1, True),
    "conv_s2_p1": (2, 2, 3, 7, 7, 3, 2, 1, True),
    "conv_s1_p0_k1_nobias": (3, 4, 2, 5, 4, 1, 1, 0, False),
    "conv_s2_p2_k5": (1, 2, 3, 9, 8, 5, 2, 2, True),
}.items():
    x = f32(rng.standard_normal((B, I, H, W)))
    w = f32(rng.standard_normal((O, I, k, k)) * 0.5)
    b = f32(rng.standard_normal(O)) if bias else None
    y = conv2d(x, w, b, s, p)
    dy = f32(rng.standard_normal(y.shape))
    dx, dw, db = conv2d_backward(x, w, dy, s, p)
    case = {"stride": s, "padding": p, "x": t(x), "weight": t(w), "y": t(y), "dy": t(dy), "dx": t(dx), "dweight": t(dw)}
    if bias:
        case["bias"] = t(b)
        case["dbias"] = t(db)
    cases[name] = case

for name, (kind, k, s, p) in {
    "maxpool_k2_s2": ("max", 2, 2, 0),
    "maxpool_k3_s2_p1": ("max", 3, 2, 1),
    "avgpool_k2_s2": ("avg", 2, 2, 0),
    "avgpool_k3_s1_p1": ("avg", 3, 1, 1),
}.items():
    x = f32(rng.standard_normal((2, 3, 7, 6)))
    y = pool(x, k, s, p, kind)
    dy = f32(rng.standard_normal(y.shape))
    dx = pool_backward(x, dy, k, s, p, kind)
    cases[name] = {"kernel": k, "stride": s, "padding": p, "x": t(x), "y": t(y), "dy": t(dy), "dx": t(dx)}

x = f32(rng.standard_normal((2, 3, 4, 5)))
dy = f32(rng.standard_normal((2, 3)))
cases["global_avgpool"] = {"x": t(x), "y": t(x.mean(axis=(2, 3))), "dy": t(dy),
                           "dx": t(np.broadcast_to(dy[:, :, None, None] / 20, x.shape))}

for name, shape in {"batchnorm_conv": (4, 3, 3, 2), "batchnorm_dense": (5, 4)}.items():
    x = f32(rng.standard_normal(shape) * 2 + 1)
    C = shape[1]
    gamma = f32(rng.standard_normal(C))
    beta = f32(rng.standard_normal(C))
    eps = 1e-5
    y, _, mean, var, unbiased, _ = batchnorm_train(x, gamma, beta, eps)
    dy = f32(rng.standard_normal(shape))
    dx, dgamma, dbeta = batchnorm_backward(x, gamma, dy, eps)
    running_mean = 0.9 * np.zeros(C) + 0.1 * mean
    running_var = 0.9 * np.ones(C) + 0.1 * unbiased
    cases[name] = {"x": t(x), "weight": t(gamma), "bias": t(beta), "y": t(y), "dy": t(dy), "dx": t(dx),
                   "dweight": t(dgamma), "dbias": t(dbeta), "running_mean": t(running_mean), "running_var": t(running_var)}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv_reference.json")
with open(out, "w") as f:
    json.dump(cases, f, indent=0, sort_keys=True)
    f.write("\n")
print(f"wrote {out} ({len(cases)} cases)")
