#!/usr/bin/env python3
"""W4 EigenRemove: where its time floor is, and what a randomized subspace costs for the same units.

Issue 17 asked W4 (EigenRemove of a 2048-unit layer, rank ratio 0.25, 2048 -> 1844 units) for at most
0.07x tensorly's Tucker time "by computing only the subspace the rank ratio keeps (a truncated or
randomized SVD / eigensolver)". Sculpt's EigenRemove already computes only the kept subspace: the 512
leading eigenvectors of the 2048x2048 Gram matrix through LAPACK's ssyevr (range "I"). This script
measures, on W4's matrix (PyTorch's Linear initialization, uniform in +-1/sqrt(2048)):

1. the routines of one reduction with the OpenBLAS that Sculpt links (the system's libopenblas,
   called through ctypes): ssyrk (the Gram matrix), ssyevr for the 512 leading pairs, ssytrd alone
   (the tridiagonal reduction inside ssyevr, cubic whatever the rank), the projection Q^T (Q A)
   (two sgemm), and LAPACK's two-stage reduction ssytrd_2stage (dense -> band -> tridiagonal, all
   Level 3 in its first stage), which LAPACK offers only without the orthogonal factor (its two-stage
   eigensolver drivers take JOBZ = 'N' alone): whether that route could be faster even before the
   back-transformation it lacks;
2. randomized subspace iteration (Halko, Martinsson & Tropp, "Finding structure with randomness",
   2011, arXiv:0909.4061: a Gaussian start of 512 + oversampling columns, q power iterations with a
   QR between them, Rayleigh-Ritz) against the direct solve, with scipy's own OpenBLAS for both: time,
   the rank-512 approximation error, and how many of the 204 removed units differ (EigenRemove keeps the
   units with the largest column norms of the reduced consumer weight).

    /tmp/peers-venv/bin/python bench/w4_subspace.py                 # one thread (the floor of each of
                                                                     # the two side-by-side reductions)
    /tmp/peers-venv/bin/python bench/w4_subspace.py --threads 2 --json out.json

Needs numpy and scipy (`bash bench/setup-peers`, or Debian's python3-numpy and python3-scipy) and the
system OpenBLAS (`bash scripts/setup`); `--library` names another libopenblas.
"""
import argparse
import ctypes
import ctypes.util
import json
import os
import sys
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    p.add_argument("--size", type=int, default=2048, help="matrix side n (default 2048, as W4)")
    p.add_argument("--rank-ratio", type=float, default=0.25, help="kept rank / n (default 0.25, as W4)")
    p.add_argument("--keep", type=int, default=1844, help="units EigenRemove keeps (default 1844, as W4)")
    p.add_argument("--reps", type=int, default=3, help="timed calls per figure, best kept (default 3)")
    p.add_argument("--library", default=None, help="libopenblas to time part 1 with (default: the system's)")
    p.add_argument("--json", default=None, help="also write the figures to this file")
    return p.parse_args()


ARGS = parse()
# Thread counts must be set before numpy loads its OpenBLAS.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.linalg as sl  # noqa: E402

F32 = ctypes.c_float
I32 = ctypes.c_int


def best(fn, reps):
    times, out = [], None
    for _ in range(reps):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def system_openblas(path):
    path = path or ctypes.util.find_library("openblas") or "/usr/lib/x86_64-linux-gnu/libopenblas.so.0"
    try:
        lib = ctypes.CDLL(path)
    except OSError as error:
        sys.exit(f"w4_subspace: cannot load the system OpenBLAS ({path}): {error}; run `bash scripts/setup` "
                 "or pass --library")
    lib.openblas_set_num_threads(ARGS.threads)
    lib.openblas_get_config.restype = ctypes.c_char_p
    config = lib.openblas_get_config().decode()
    if " Prescott " in f" {config} " and "OPENBLAS_CORETYPE" not in os.environ:
        # OpenBLAS's fallback for a CPU it does not know, which Sculpt replaces before `main`
        # (Sources/CProcessSetup/kernels.c): time the kernels Sculpt runs instead.
        print("w4_subspace: this OpenBLAS fell back to its Prescott kernels here, which Sculpt does not run; "
              "rerun with OPENBLAS_CORETYPE set to the core `sculpt bench --workloads gemm --gemm-size 64 --json` "
              "reports under blas.core", file=sys.stderr)
    return lib, path, config


def ptr(a, kind=F32):
    return a.ctypes.data_as(ctypes.POINTER(kind))


def ref(value, kind=I32):
    return ctypes.byref(kind(value))


def char(c):
    return ctypes.byref(ctypes.c_char(c.encode()))


def lapack_parts(lib, a, k, reps):
    """Seconds of each routine of one reduction of a (n x n) at rank k, with the library `lib`."""
    n = a.shape[0]
    af = np.asfortranarray(a)
    gram = np.zeros((n, n), np.float32, order="F")

    def syrk():  # lower triangle of A A^T (column-major: A is af, n x n, no transpose)
        lib.cblas_ssyrk(102, 122, 111, n, n, F32(1.0), ptr(af), n, F32(0.0), ptr(gram), n)
    seconds = {"ssyrk": best(syrk, reps)[0]}
    info = I32(0)

    def syevr():
        g = gram.copy(order="F")
        w = np.zeros(n, np.float32)
        z = np.zeros((n, k), np.float32, order="F")
        isuppz = np.zeros(2 * k, np.int32)
        found = I32(0)

        def call(work, lwork, iwork, liwork):
            lib.ssyevr_(char("V"), char("I"), char("L"), ref(n), ptr(g), ref(n), ref(0.0, F32), ref(0.0, F32),
                        ref(n - k + 1), ref(n), ref(0.0, F32), ctypes.byref(found), ptr(w), ptr(z), ref(n),
                        ptr(isuppz, I32), ptr(work), ref(lwork), ptr(iwork, I32), ref(liwork), ctypes.byref(info))
        work, iwork = np.zeros(1, np.float32), np.zeros(1, np.int32)
        call(work, -1, iwork, -1)
        work, iwork = np.zeros(int(work[0]), np.float32), np.zeros(int(iwork[0]), np.int32)
        call(work, len(work), iwork, len(iwork))
        if info.value != 0 or found.value != k:
            sys.exit(f"w4_subspace: ssyevr failed (info {info.value}, {found.value} of {k} pairs)")
        return z
    seconds["ssyevr"], z = best(syevr, reps)

    def sytrd():
        g = gram.copy(order="F")
        d, e, tau = np.zeros(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32)

        def call(work, lwork):
            lib.ssytrd_(char("L"), ref(n), ptr(g), ref(n), ptr(d), ptr(e), ptr(tau), ptr(work), ref(lwork),
                        ctypes.byref(info))
        work = np.zeros(1, np.float32)
        call(work, -1)
        work = np.zeros(int(work[0]), np.float32)
        call(work, len(work))
    seconds["ssytrd"] = best(sytrd, reps)[0]

    def sytrd_2stage():  # LAPACK's two-stage reduction (dense -> band -> tridiagonal), which keeps no Q
        g = gram.copy(order="F")
        d, e, tau = np.zeros(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32)
        hous2, work = np.zeros(1, np.float32), np.zeros(1, np.float32)

        def call(lhous2, lwork):
            lib.ssytrd_2stage_(char("N"), char("L"), ref(n), ptr(g), ref(n), ptr(d), ptr(e), ptr(tau), ptr(hous2),
                               ref(lhous2), ptr(work), ref(lwork), ctypes.byref(info))
        call(-1, -1)
        hous2, work = np.zeros(int(hous2[0]), np.float32), np.zeros(int(work[0]), np.float32)
        call(len(hous2), len(work))
        if info.value != 0:
            sys.exit(f"w4_subspace: ssytrd_2stage failed (info {info.value})")
    seconds["ssytrd_2stage"] = best(sytrd_2stage, reps)[0]
    qt = np.ascontiguousarray(z.T)  # (k, n) row-major
    ar = np.ascontiguousarray(a)
    t = np.zeros((k, n), np.float32)
    out = np.zeros((n, n), np.float32)

    def project():  # T = Q A (k x n), out = Q^T T: the rank-k approximation of A
        lib.cblas_sgemm(101, 111, 111, k, n, n, F32(1.0), ptr(qt), n, ptr(ar), n, F32(0.0), ptr(t), n)
        lib.cblas_sgemm(101, 112, 111, n, n, k, F32(1.0), ptr(qt), n, ptr(t), n, F32(0.0), ptr(out), n)
    seconds["projection"] = best(project, reps)[0]
    return seconds


def randomized_table(a, k, keep, reps):
    """The direct solve against randomized subspace iteration, both with scipy's LAPACK."""
    n = a.shape[0]
    gram = a @ a.T

    def direct():
        return sl.eigh(gram, subset_by_index=[n - k, n - 1], driver="evr", check_finite=False)[1]

    def randomized(oversampling, iterations, seed=1):
        rng = np.random.default_rng(seed)
        x = gram @ rng.standard_normal((n, k + oversampling)).astype(np.float32)
        for _ in range(iterations):
            x = sl.qr(x, mode="economic", check_finite=False)[0]
            x = gram @ x
        q = sl.qr(x, mode="economic", check_finite=False)[0]
        ritz = sl.eigh(q.T @ gram @ q, check_finite=False)[1]
        return q @ ritz[:, -k:]

    def outcome(v):
        reduced = v @ (v.T @ a)
        norms = np.linalg.norm(reduced, axis=0)
        return reduced, float(np.linalg.norm(a - reduced)), set(np.argsort(-norms)[:keep].tolist())

    direct_s, v = best(direct, reps)
    exact, exact_error, exact_units = outcome(v)
    rows = [{"method": f"ssyevr, {k} leading pairs (Sculpt's)", "seconds": direct_s, "of_direct": 1.0,
             "error_excess": 0.0, "units_differing": 0, "projection_difference": 0.0}]
    for oversampling in (64, 256, 512):
        for iterations in (1, 2, 4, 8):
            seconds, u = best(lambda: randomized(oversampling, iterations), reps)
            reduced, error, units = outcome(u)
            rows.append({
                "method": f"randomized, oversampling {oversampling}, {iterations} power iteration{'s' if iterations > 1 else ''}",
                "seconds": seconds, "of_direct": seconds / direct_s,
                "error_excess": (error - exact_error) / exact_error,
                "units_differing": len(exact_units - units),
                "projection_difference": float(np.linalg.norm(reduced - exact) / np.linalg.norm(exact)),
            })
    return exact_error, rows


def main():
    n, keep = ARGS.size, ARGS.keep
    k = max(1, int(ARGS.rank_ratio * n + 1e-9))
    if not 0 < keep < n:
        sys.exit(f"w4_subspace: --keep {keep} must lie in 1..{n - 1}")
    rng = np.random.default_rng(0)
    a = (rng.uniform(-1, 1, (n, n)) / np.sqrt(n)).astype(np.float32)
    lib, path, config = system_openblas(ARGS.library)
    print(f"W4's matrix: {n}x{n}, PyTorch's Linear initialization; rank {k}; EigenRemove keeps {keep} of {n} units; "
          f"{ARGS.threads} BLAS thread(s)")
    print(f"\n1. One reduction, routine by routine ({config}, {path}), best of {ARGS.reps}:")
    parts = lapack_parts(lib, a, k, ARGS.reps)
    whole = parts["ssyrk"] + parts["ssyevr"] + parts["projection"]
    lines = [("ssyrk", parts["ssyrk"]), (f"ssyevr ({k} leading pairs)", parts["ssyevr"]),
             ("  of which ssytrd (tridiagonal reduction)", parts["ssytrd"]),
             ("ssytrd_2stage (two-stage, keeps no Q)", parts["ssytrd_2stage"]),
             ("projection (2 sgemm)", parts["projection"]), ("one reduction", whole),
             ("the same without ssytrd", whole - parts["ssytrd"])]
    for name, seconds in lines:
        print(f"   {name:44s} {seconds * 1000:8.1f} ms")
    print(f"\n2. The {k}-dimensional subspace: the direct solve against randomized subspace iteration "
          f"(scipy {scipy.__version__}'s LAPACK for both), best of {ARGS.reps}:")
    exact_error, rows = randomized_table(a, k, keep, ARGS.reps)
    print(f"   rank-{k} error of the direct solve ||A - A_k||_F = {exact_error:.5f}")
    print(f"   {'method':62s} {'seconds':>8s} {'of direct':>9s} {'error excess':>12s} "
          f"{'units differing':>15s} {'projection diff':>15s}")
    for r in rows:
        print(f"   {r['method']:62s} {r['seconds']:8.3f} {r['of_direct']:8.1f}x {r['error_excess']:12.1e} "
              f"{r['units_differing']:9d} of {n - keep} {r['projection_difference']:15.1e}")
    if ARGS.json:
        record = {"threads": ARGS.threads, "size": n, "rank": k, "keep": keep, "openblas": config,
                  "reduction_seconds": parts, "direct_error": exact_error, "subspace": rows}
        tmp = ARGS.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(record, f, indent=2)
            f.write("\n")
        os.replace(tmp, ARGS.json)


if __name__ == "__main__":
    main()
