"""MNIST epochs on a shared machine: idle, beside one busy process, and pinned to one CPU.

Each case runs in a fresh Python (labkit sizes the BLAS pool when it is imported) and
prints the best of three epochs of 784-256-10 ReLU/softmax SGD in float32, batch 128.
The ratios are to the idle epoch of the same run. "before" forces as many BLAS threads
as the machine has CPUs, which is what numpy does on its own (and labkit did before it
sized the pool). Target: beside one busy process at most 1.5x the idle epoch, and the
idle epoch no slower than before.

Run: python -m benchmarks.bench_contention  (also part of `make bench`)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

EPOCH = """
import time, numpy as np, threadpoolctl
from benchmarks.bench_mnist import data, mnist_network, BATCH
X, _, Y = data(np.random.default_rng(0))
net = mnist_network()
best = float("inf")
for epoch in range(4):
    start = time.perf_counter()
    net.fit(X, Y, epochs=1, batch_size=BATCH, seed=epoch, progress=False)
    best = min(best, time.perf_counter() - start) if epoch else best  # the first epoch warms up
threads = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
print(best, threads[0])
"""


def epoch_seconds(env: dict, prefix: tuple[str, ...] = ()) -> tuple[float, int]:
    out = subprocess.run([*prefix, sys.executable, "-c", EPOCH], env=env, capture_output=True, text=True, check=True)
    seconds, threads = out.stdout.split()
    return float(seconds), int(threads)


def busy_process() -> subprocess.Popen:
    competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(0.5)
    return competitor


def main() -> None:
    cpus = len(os.sched_getaffinity(0))
    env = {k: v for k, v in os.environ.items()
           if k not in ("LABKIT_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    before = dict(env, LABKIT_THREADS=str(cpus))
    results = {"idle": epoch_seconds(env), "idle, before": epoch_seconds(before)}
    competitor = busy_process()
    try:
        results["one busy process"] = epoch_seconds(env)
        results["one busy process, before"] = epoch_seconds(before)
    finally:
        competitor.kill()
        competitor.wait()
    if shutil.which("taskset"):
        results["pinned to one CPU"] = epoch_seconds(env, ("taskset", "-c", "0"))
    idle = results["idle"][0]
    print(f"MNIST epoch, {cpus} CPUs, as a ratio to the idle epoch ({idle:.3f} s):")
    for case, (seconds, threads) in results.items():
        print(f"  {case:<28} {seconds:6.3f} s  {seconds / idle:5.2f}x  ({threads} BLAS threads)")
    print("targets: one busy process at most 1.50x; idle no slower than before "
          f"({results['idle, before'][0] / idle:.2f} of it)")


if __name__ == "__main__":
    main()
