"""Speed of labkit's batched training step against the lab's per-sample loop.

Both do the same work (a test checks they give the same gradients); the
ratio per-sample time / batched time is measured in this one run, so it
does not depend on how fast or busy the machine is.

Run: python -m benchmarks.bench_backprop  (also part of `make bench`)
"""

from __future__ import annotations

import timeit
from functools import partial

import numpy as np

from benchmarks.per_sample import per_sample_step
from labkit import GradientDescent, build_network

MNIST_SIZE = [256, "relu", 10, "sigmoid"]
CASES = [  # (name, input size, layers, batch size, dtype)
    ("XOR 2-2-1", 2, [2, "tanh", 1, "sigmoid"], 4, np.float64),
    ("784-256-10, batch 128", 784, MNIST_SIZE, 128, np.float64),
    ("784-256-10, batch 1024", 784, MNIST_SIZE, 1024, np.float64),
    ("784-256-10, batch 128", 784, MNIST_SIZE, 128, np.float32),
    ("784-256-10, batch 1024", 784, MNIST_SIZE, 1024, np.float32),
]


def best_time(fn, min_seconds: float = 0.5) -> float:
    """Best seconds per call over 5 repeats, each long enough to time reliably."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    number = max(1, int(number * min_seconds / 0.2))
    return min(timer.repeat(repeat=5, number=number)) / number


def main() -> None:
    print(f"{'network':<24}{'dtype':>8}{'batched step':>14}{'per-sample loop':>18}{'speed-up':>10}")
    for name, n_in, layers, batch, dtype in CASES:
        rng = np.random.default_rng(0)
        X = rng.random((batch, n_in)).astype(dtype)
        y = (rng.random((batch, layers[-2])) > 0.5).astype(dtype)
        net = build_network(n_in, layers, "bce", GradientDescent(1e-3), seed=0, dtype=dtype)
        batched = best_time(partial(net.train_on_batch, X, y))
        looped = best_time(partial(per_sample_step, net, X, y))
        print(f"{name:<24}{np.dtype(dtype).name:>8}{batched * 1e3:>11.3f} ms{looped * 1e3:>15.3f} ms"
              f"{looped / batched:>9.1f}x")


if __name__ == "__main__":
    main()
