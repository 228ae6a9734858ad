#!/usr/bin/env python3
"""PyTorch / numpy / scipy / tensorly reference figures for Sculpt's benchmark workloads W1-W5 and W7.

The workloads are defined in bench/README.md; this script is the PyTorch side of each, so that
`sculpt bench` and this script measure the same thing on the same machine (bench/compare.sh runs
both). Set up its environment with `bash bench/setup-peers` (venv /tmp/peers-venv).

    /tmp/peers-venv/bin/python bench/torch_reference.py                      # all, 1 and 2 threads
    /tmp/peers-venv/bin/python bench/torch_reference.py --workloads painting,gemm --threads 1 \\
        --reps 5 --wait-idle 0 --out /tmp/torch.json

Output: one JSON object per line on stdout (an "env" line, one line per measurement, a "total"
line); per-section contention lines on stderr; with --out, the whole run (env, arguments,
sections, records) in one JSON file. Every timing is wall clock (time.perf_counter), the median
of --reps repetitions after a warm-up. Threads: torch.set_num_threads(N) and the numpy/scipy
BLAS pools limited to N (threadpoolctl) for the whole section.

Contention: the machine may be shared. Before each (workload, threads) section the script waits
up to --wait-idle seconds for other processes to go quiet; each record carries foreign_cpu_frac,
the CPU time other processes used since the previous record divided by (wall time x cores), and
each section line the same over the whole section. Figures with foreign_cpu_frac above ~0.05
are disturbed (0.5 on 2 cores = one core busy elsewhere): re-run them.
"""
import argparse
import datetime
import gzip
import json
import os
import platform
import resource
import statistics
import struct
import sys
import time

import numpy as np
import scipy
import scipy.linalg
import tensorly
import torch
import torch.nn as nn
import torch.nn.functional as F
from tensorly.decomposition import partial_tucker, tucker
from threadpoolctl import threadpool_info, threadpool_limits

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


# ---------------------------------------------------------------------------- contention

class CpuMeter:
    """CPU time used by other processes on this machine, from /proc/stat and getrusage."""

    def __init__(self):
        self.ticks = os.sysconf("SC_CLK_TCK")
        self.cores = os.cpu_count() or 1
        self.mark = self.sample()

    def sample(self):
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        busy = sum(fields[:8]) - fields[3] - fields[4]  # all but idle and iowait (guest is in user)
        own = resource.getrusage(resource.RUSAGE_SELF)
        return time.perf_counter(), busy / self.ticks, own.ru_utime + own.ru_stime

    def foreign(self, since):
        """(other processes' CPU seconds, their share of wall x cores) since the sample `since`."""
        now = self.sample()
        wall = max(now[0] - since[0], 1e-9)
        seconds = max((now[1] - since[1]) - (now[2] - since[2]), 0.0)
        return seconds, seconds / (wall * self.cores)

    def lap(self):
        """The foreign share since the previous lap (or the last `reset`), and start a new lap."""
        _, share = self.foreign(self.mark)
        self.mark = self.sample()
        return round(share, 3)

    def reset(self):
        self.mark = self.sample()

    def wait_until_quiet(self, limit_s, window_s=2.0, threshold=0.05):
        """Waits (at most limit_s) until others use < threshold of the machine; (waited s, share)."""
        start = time.perf_counter()
        share = None
        while limit_s > 0:
            before = self.sample()
            time.sleep(window_s)
            share = self.foreign(before)[1]
            if share < threshold or time.perf_counter() - start >= limit_s:
                break
        return round(time.perf_counter() - start, 1), None if share is None else round(share, 3)


METER = None
RECORDS = []


def report(record):
    """Adds the contention since the previous record, keeps the record and prints it."""
    record["foreign_cpu_frac"] = METER.lap()
    RECORDS.append(record)
    print(json.dumps(record), flush=True)


def timed(function, reps, warmups=1):
    """(median seconds, every repetition's seconds) of `reps` calls after `warmups` untimed ones."""
    for _ in range(warmups):
        function()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


# ---------------------------------------------------------------------------- data

def read_idx(path):
    """An IDX file (gzip'd) as a uint8 array of its stated shape."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    rank = raw[3]
    shape = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


_CACHE = {}


def fashion_mnist(directory):
    """(train images [60000, 784] in [0, 1], train labels, test images, test labels), cached."""
    if directory not in _CACHE:
        def images(name):
            pixels = read_idx(os.path.join(directory, name)).reshape(-1, 784)
            return torch.from_numpy(pixels.astype(np.float32) / 255)

        def labels(name):
            return torch.from_numpy(read_idx(os.path.join(directory, name)).astype(np.int64))

        _CACHE[directory] = (images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz"),
                             images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz"))
    return _CACHE[directory]


# ---------------------------------------------------------------------------- W1 painting

def square_image(side=64, half=0.25):
    """Inputs (x_j, y_i) on the inclusive grid linspace(-0.5, 0.5, side); 1 inside |x|, |y| < half."""
    grid = torch.linspace(-0.5, 0.5, side)
    y, x = torch.meshgrid(grid, grid, indexing="ij")
    inputs = torch.stack([x.flatten(), y.flatten()], dim=1)
    targets = ((x.abs() < half) & (y.abs() < half)).float().reshape(-1, 1)
    return inputs, targets


PAINTING_MODELS = {
    "relu3_linear9": lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 9), nn.Linear(9, 1), nn.Sigmoid()),
    "relu12": lambda: nn.Sequential(nn.Linear(2, 12), nn.ReLU(), nn.Linear(12, 1), nn.Sigmoid()),
}


def paint(model_name, adam, epochs, inputs, targets, batch=128):
    """Trains a fresh model (seed 0) for `epochs`; returns the MSE on every pixel afterwards."""
    torch.manual_seed(0)
    model = PAINTING_MODELS[model_name]()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                 **({"fused": True} if adam == "fused" else {}))
    count = inputs.shape[0]
    for _ in range(epochs):
        order = torch.randperm(count)  # the shuffle is part of the timed epoch
        for start in range(0, count, batch):
            rows = order[start:start + batch]
            optimizer.zero_grad(set_to_none=True)
            F.mse_loss(model(inputs[rows]), targets[rows]).backward()
            optimizer.step()
    with torch.no_grad():
        return F.mse_loss(model(inputs), targets).item()


def run_painting(threads, args):
    inputs, targets = square_image()
    steps = -(-inputs.shape[0] // 128)
    for adam in args.painting_adam.split(","):
        for name in PAINTING_MODELS:
            paint(name, adam, args.painting_warmup_epochs, inputs, targets)
            losses = []
            median, times = timed(lambda: losses.append(paint(name, adam, args.painting_epochs, inputs, targets)),
                                  args.reps, warmups=0)
            report({"workload": "painting", "model": name, "adam": adam, "threads": threads,
                    "epochs": args.painting_epochs, "steps_per_epoch": steps,
                    "epochs_per_s": args.painting_epochs / median, "median_s": median, "times_s": times,
                    "step_us": median / (args.painting_epochs * steps) * 1e6, "final_full_mse": losses[0]})


# ---------------------------------------------------------------------------- W2 mlp, W3 cnn

def mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def cnn_small():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def sgd_steps(model, optimizer, images, labels, order, batches, shape, batch=128):
    """Trains on the first `batches` batches of `order` (the last may be short); last loss."""
    model.train()
    loss = None
    for start in list(range(0, len(order), batch))[:batches]:
        rows = order[start:start + batch]
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(images[rows].view(-1, *shape)), labels[rows])
        loss.backward()
        optimizer.step()
    return loss.item()


@torch.no_grad()
def accuracy(model, images, labels, shape, batch=1000):
    model.eval()
    correct = sum((model(images[i:i + batch].view(-1, *shape)).argmax(1) == labels[i:i + batch]).sum().item()
                  for i in range(0, len(images), batch))
    return correct / len(images)


def fresh(make, lr, seed):
    torch.manual_seed(seed)
    model = make()
    return model, torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def run_mlp(threads, args):
    train_x, train_y, test_x, test_y = fashion_mnist(args.data)
    shape, per_epoch = (784,), -(-len(train_x) // 128)
    model, optimizer = fresh(mlp, 0.05, seed=1)  # warm-up on a throw-away model
    sgd_steps(model, optimizer, train_x, train_y, torch.randperm(len(train_x)), args.warmup_batches, shape)
    times, accuracies, losses = [], [], []
    for _ in range(args.reps):
        model, optimizer = fresh(mlp, 0.05, seed=0)
        start = time.perf_counter()
        order = torch.randperm(len(train_x))
        losses.append(sgd_steps(model, optimizer, train_x, train_y, order, per_epoch, shape))
        times.append(time.perf_counter() - start)
        accuracies.append(accuracy(model, test_x, test_y, shape))
    median = statistics.median(times)
    report({"workload": "mlp", "model": "784-512-512-10", "threads": threads, "batch": 128,
            "optimizer": "SGD lr=0.05 momentum=0.9", "epoch_s": median, "times_s": times,
            "samples_per_s": len(train_x) / median, "test_acc_after_1_epoch": accuracies,
            "last_batch_loss": losses})


def vgg16_quarter():
    """W7: the thesis's VGG16 at width x0.25 for 1x28x28 (Sculpt's builtin `vgg16`, widthMultiplier 0.25)."""
    layers, channels = [], 1
    for item in [16, 16, "M", 32, 32, "M", 64, 64, 64, "M", 128, 128, "M", 128, 128]:
        if item == "M":
            layers.append(nn.MaxPool2d(2))
            continue
        layers += [nn.Conv2d(channels, item, 3, padding=1), nn.BatchNorm2d(item), nn.ReLU()]
        channels = item
    layers.append(nn.Flatten())
    for units in [256, 128, 64]:
        layers += [nn.Linear(channels, units), nn.BatchNorm1d(units), nn.ReLU()]
        channels = units
    return nn.Sequential(*layers, nn.Linear(channels, 10))


def fresh_vgg(lr, seed):
    torch.manual_seed(seed)
    model = vgg16_quarter()
    return model, torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)


def run_cnn(threads, args):
    run_batches("cnn", "conv32-pool-conv64-pool-fc128-fc10", lambda seed: fresh(cnn_small, 0.01, seed),
                "SGD lr=0.01 momentum=0.9", threads, args)


def run_vgg(threads, args):
    run_batches("vgg", "vgg16x0.25", lambda seed: fresh_vgg(0.01, seed),
                "SGD lr=0.01 momentum=0.9 weight_decay=5e-4", threads, args)


def run_batches(workload, name, make, optimizer_name, threads, args):
    """W3's protocol (W3, W7): timed batches extrapolated to an epoch, one real epoch at the top thread count."""
    train_x, train_y, test_x, test_y = fashion_mnist(args.data)
    shape, per_epoch, batches = (1, 28, 28), -(-len(train_x) // 128), args.cnn_batches
    model, optimizer = make(1)
    sgd_steps(model, optimizer, train_x, train_y, torch.randperm(len(train_x)), args.warmup_batches, shape)
    times = []
    for _ in range(args.reps):  # the same model keeps training: only the step time matters here
        order = torch.randperm(len(train_x))
        start = time.perf_counter()
        sgd_steps(model, optimizer, train_x, train_y, order, batches, shape)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    record = {"workload": workload, "model": name, "threads": threads,
              "batch": 128, "optimizer": optimizer_name, "timed_batches": batches,
              "batch_s": median / batches, "times_s": times,
              "epoch_s_extrapolated": median / (batches * 128) * len(train_x),
              "samples_per_s": batches * 128 / median}
    if args.full_epoch and threads == max(args.thread_counts):
        model, optimizer = make(0)
        start = time.perf_counter()
        sgd_steps(model, optimizer, train_x, train_y, torch.randperm(len(train_x)), per_epoch, shape)
        record["epoch_s_measured_once"] = time.perf_counter() - start
        record["test_acc_after_1_epoch"] = accuracy(model, test_x, test_y, shape)
    report(record)


# ---------------------------------------------------------------------------- W4 svd / Tucker

def run_svd(threads, args):
    n, rng = args.svd_size, np.random.default_rng(0)
    matrix = rng.standard_normal((n, n), dtype=np.float32)
    kernel = rng.standard_normal((n // 4, n // 4, 3, 3), dtype=np.float32)
    small, small_kernel = matrix[:256, :256].copy(), kernel[:64, :64].copy()
    tensorly.set_backend("numpy")
    sweeps = {}

    def tucker_matrix(warm):
        rank = [32, 32] if warm else [n // 8, n // 8]
        _, errors = tucker(small if warm else matrix, rank=rank, return_errors=True)
        sweeps["iterations"] = len(errors)

    def tucker_kernel(warm):
        rank = [8, 8] if warm else [n // 32, n // 32]
        _, errors = partial_tucker(small_kernel if warm else kernel, rank=rank, modes=[0, 1])
        sweeps["iterations"] = len(errors)

    operations = [
        (f"numpy.linalg.svd_f32_{n}", lambda warm: np.linalg.svd(small if warm else matrix, full_matrices=False),
         {"note": "numpy.linalg computes float32 input in float64"}),
        (f"scipy.linalg.svd_f32_{n}_gesdd",
         lambda warm: scipy.linalg.svd(small if warm else matrix, full_matrices=False, lapack_driver="gesdd",
                                       check_finite=False), {}),
        (f"torch.linalg.svd_f32_{n}",
         lambda warm: torch.linalg.svd(torch.from_numpy(small if warm else matrix), full_matrices=False), {}),
        (f"tensorly.tucker_{n}x{n}_r{n // 8}", tucker_matrix, {}),
        (f"tensorly.partial_tucker_{n // 4}x{n // 4}x3x3_modes01_r{n // 32}x{n // 32}", tucker_kernel, {}),
    ]
    for name, function, extra in operations:
        function(True)  # warm-up on the small input: code paths and first allocations
        sweeps.clear()
        median, times = timed(lambda: function(False), args.reps, warmups=0)
        report({"workload": "svd", "op": name, "threads": threads, "ms": median * 1e3,
                "times_ms": [t * 1e3 for t in times], **extra, **sweeps})


# ---------------------------------------------------------------------------- W5 gemm

def run_gemm(threads, args):
    n = args.gemm_size
    flop = 2.0 * n ** 3
    torch.manual_seed(0)
    a, b, c = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
    for name, function in ((f"torch.mm_f32_{n}", lambda: torch.mm(a, b, out=c)),
                           (f"numpy.matmul_f32_{n}", lambda: np.matmul(a.numpy(), b.numpy(), out=c.numpy()))):
        median, times = timed(function, args.gemm_calls, warmups=3)
        report({"workload": "gemm", "op": name, "threads": threads, "ms": median * 1e3,
                "gflops": flop / median / 1e9, "gflops_best": flop / min(times) / 1e9,
                "times_ms": [t * 1e3 for t in times]})


WORKLOADS = {"painting": run_painting, "mlp": run_mlp, "cnn": run_cnn, "vgg": run_vgg, "svd": run_svd,
             "gemm": run_gemm}


# ---------------------------------------------------------------------------- main

def environment():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    pools = [{k: pool.get(k) for k in ("internal_api", "version", "num_threads", "filepath")}
             for pool in threadpool_info()]
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(), "platform": platform.platform(), "cpu": cpu,
            "cpu_count": os.cpu_count(), "torch": torch.__version__,
            "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "torch_mkl": torch.backends.mkl.is_available(), "numpy": np.__version__,
            "scipy": scipy.__version__, "tensorly": tensorly.__version__, "threadpools": pools,
            "loadavg": os.getloadavg()}


def arguments(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workloads", default="painting,mlp,cnn,svd,gemm", help="comma list of " + ",".join(WORKLOADS))
    p.add_argument("--threads", default="1,2", help="comma list of thread counts (default 1,2)")
    p.add_argument("--reps", type=int, default=3, help="timed repetitions; the median is reported (default 3)")
    p.add_argument("--wait-idle", type=float, default=30,
                   help="seconds to wait for a quiet machine before each section (0: do not wait; default 30)")
    p.add_argument("--out", help="also write the whole run as one JSON file here")
    p.add_argument("--data", default=FASHION_MNIST, help="W2/W3: the Fashion-MNIST folder (IDX .gz files)")
    p.add_argument("--painting-epochs", type=int, default=100, help="W1: epochs per timed repetition")
    p.add_argument("--painting-warmup-epochs", type=int, default=5, help="W1: untimed warm-up epochs")
    p.add_argument("--painting-adam", default="default,fused", help="W1: Adam variants (default and/or fused)")
    p.add_argument("--warmup-batches", type=int, default=20, help="W2/W3: untimed batches on a throw-away model")
    p.add_argument("--cnn-batches", type=int, default=100, help="W3, W7: timed batches per repetition")
    p.add_argument("--no-full-epoch", dest="full_epoch", action="store_false",
                   help="W3, W7: skip the real epoch (and its test accuracy) at the largest thread count")
    p.add_argument("--svd-size", type=int, default=2048,
                   help="W4: matrix side n (kernel n/4 x n/4 x 3 x 3, ranks n/8 and n/32; default 2048)")
    p.add_argument("--gemm-size", type=int, default=2048, help="W5: matrix side n (default 2048)")
    p.add_argument("--gemm-calls", type=int, default=10, help="W5: timed calls after 3 warm-up calls")
    args = p.parse_args(argv)
    unknown = [w for w in args.workloads.split(",") if w not in WORKLOADS]
    if unknown:
        p.error(f"--workloads {args.workloads}: unknown {', '.join(unknown)} (known: {', '.join(WORKLOADS)})")
    try:
        args.thread_counts = [int(t) for t in args.threads.split(",")]
    except ValueError:
        args.thread_counts = []
    if not args.thread_counts or min(args.thread_counts) < 1:
        p.error(f"--threads {args.threads}: give positive integers separated by commas, as in 1,2")
    for name in ("reps", "painting_epochs", "cnn_batches", "gemm_calls"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} {getattr(args, name)}: must be at least 1")
    if args.svd_size < 256 or args.gemm_size < 1:
        p.error("--svd-size must be at least 256 (the warm-up size) and --gemm-size at least 1")
    if ({"mlp", "cnn", "vgg"} & set(args.workloads.split(","))
            and not os.path.isfile(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))):
        p.error(f"--data {args.data}: no Fashion-MNIST IDX files (t10k-images-idx3-ubyte.gz) there")
    return args


def main(argv=None):
    global METER
    args = arguments(argv)
    METER = CpuMeter()
    env = environment()
    print(json.dumps({"env": env}), flush=True)
    started, sections = time.perf_counter(), []
    for workload in args.workloads.split(","):
        for threads in args.thread_counts:
            torch.set_num_threads(threads)
            waited, quiet_share = METER.wait_until_quiet(args.wait_idle)
            METER.reset()
            section_start = METER.sample()
            with threadpool_limits(limits=threads):
                WORKLOADS[workload](threads, args)
            seconds, share = METER.foreign(section_start)
            section = {"section": workload, "threads": threads,
                       "section_s": round(time.perf_counter() - section_start[0], 1),
                       "waited_for_idle_s": waited, "foreign_cpu_frac_before": quiet_share,
                       "foreign_cpu_s": round(seconds, 1), "foreign_cpu_frac": round(share, 3)}
            sections.append(section)
            print(json.dumps(section), file=sys.stderr, flush=True)
    total = round(time.perf_counter() - started, 1)
    if args.out:
        run = {"env": env, "args": {k: v for k, v in vars(args).items()}, "total_s": total,
               "sections": sections, "results": RECORDS}
        temporary = args.out + ".partial"
        with open(temporary, "w") as f:
            json.dump(run, f, indent=1)
        os.replace(temporary, args.out)
    print(json.dumps({"total_s": total, "saved": args.out}), flush=True)


if __name__ == "__main__":
    main()
