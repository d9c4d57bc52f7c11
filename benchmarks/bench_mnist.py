"""MNIST-sized training speed: labkit against PyTorch, and against the matrix products alone.

One epoch of SGD (batch 128, shuffled) on 60,000 random 784-pixel rows through a
784-256-10 ReLU/softmax network in float32, both libraries on the same number of
threads. Runs alternate between the contenders and the best of several is kept,
so background noise on the machine hits both alike. Printed as ratios:

- labkit epoch time / PyTorch epoch time (target: at most 0.8);
- matrix-product bound / labkit epoch time, where the bound is the time of one
  epoch's GEMMs alone (the five products of every step, nothing else; target: at least 0.65).

For context it also times the gathering of each shuffled batch's rows alone (a
copy of 128 random rows out of 188 MB, bound by memory, not arithmetic), prints
the bound with that gather added, and times the same epoch written as one
hand-fused numpy loop: what plain numpy can reach at best.

Run: python -m benchmarks.bench_mnist  (also part of `make bench`)
"""

from __future__ import annotations

import os

import numpy as np

from benchmarks.timing import best_times
from labkit import GradientDescent, build_network

N, BATCH, THREADS, REPEATS = 60_000, 128, os.cpu_count() or 1, 5


def data(rng):
    X = rng.random((N, 784), dtype=np.float32)
    labels = rng.integers(0, 10, N)
    return X, labels, np.eye(10, dtype=np.float32)[labels]


def mnist_network(learning_rate: float = 0.01):
    return build_network(784, [256, "relu", 10, "softmax"], "cce", GradientDescent(learning_rate), seed=0,
                         dtype=np.float32)


def labkit_epoch(net, X, Y):
    return lambda: net.fit(X, Y, epochs=1, batch_size=BATCH, seed=0, progress=False)


def fused_numpy_epoch(net, X, Y):
    """The same SGD epoch as one hand-fused numpy loop, every buffer preallocated, no checks.

    Roughly the best plain numpy can do: it shows how much of labkit's time over the GEMMs is
    numpy's own floor (row gather, element-wise passes) rather than labkit's. Updates net in place.
    """
    (W1, W2), (b1, b2), lr = net.weights, net.biases, np.float32(net.optimizer.learning_rate)
    Xb, Tb = np.empty((BATCH, 784), np.float32), np.empty((BATCH, 10), np.float32)
    H, P, D = np.empty((BATCH, 256), np.float32), np.empty((BATCH, 10), np.float32), np.empty((BATCH, 256), np.float32)
    G1, G2 = np.empty_like(W1), np.empty_like(W2)
    zeros, mask = np.zeros((BATCH, 256), np.float32), np.empty((BATCH, 256), bool)

    def run():
        order = np.random.default_rng(0).permutation(N)  # the order labkit's fit(seed=0) uses
        for start in range(0, N, BATCH):
            rows = order[start : start + BATCH]
            n = len(rows)
            x, t = np.take(X, rows, axis=0, out=Xb[:n], mode="clip"), np.take(Y, rows, axis=0, out=Tb[:n], mode="clip")
            h = np.matmul(x, W1, out=H[:n])
            h += b1
            np.maximum(h, zeros[:n], out=h)
            p = np.matmul(h, W2, out=P[:n])
            p += b2
            p -= p.max(axis=1, keepdims=True)
            np.exp(p, out=p)
            p /= p.sum(axis=1, keepdims=True)
            p -= t
            p *= lr / n  # Delta_2 with the learning rate folded in
            d = np.matmul(p, W2.T, out=D[:n])
            d *= np.greater(h, 0, out=mask[:n])  # Delta_1, from W2 before its update
            np.subtract(W2, np.matmul(h.T, p, out=G2), out=W2)
            np.subtract(b2, p.sum(axis=0), out=b2)
            np.subtract(W1, np.matmul(x.T, d, out=G1), out=W1)
            np.subtract(b1, d.sum(axis=0), out=b1)

    return run


def gemm_epoch(X):
    """Only the matrix products of each training step, on the same shapes."""
    rng = np.random.default_rng(1)
    W1, W2 = rng.random((784, 256), dtype=np.float32), rng.random((256, 10), dtype=np.float32)
    H, D2, D1 = (rng.random(s, dtype=np.float32) for s in ((BATCH, 256), (BATCH, 10), (BATCH, 256)))
    batches = [X[i : i + BATCH] for i in range(0, N, BATCH)]

    def run():
        for Xb in batches:
            n = len(Xb)
            Xb @ W1, H[:n] @ W2, H[:n].T @ D2[:n], D2[:n] @ W2.T, Xb.T @ D1[:n]

    return run


def gather_epoch(X, Y):
    """Only the copying of each step's shuffled rows into a batch buffer, as labkit's fit does."""
    X_batch, Y_batch = np.empty((BATCH, X.shape[1]), X.dtype), np.empty((BATCH, Y.shape[1]), Y.dtype)
    order = np.random.default_rng(2).permutation(N)

    def run():
        for start in range(0, N, BATCH):
            rows = order[start : start + BATCH]
            np.take(X, rows, axis=0, out=X_batch[: len(rows)], mode="clip")
            np.take(Y, rows, axis=0, out=Y_batch[: len(rows)], mode="clip")

    return run


def torch_epoch(X, labels):
    import torch

    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(labels)

    def run():
        order = torch.randperm(N)
        for start in range(0, N, BATCH):
            rows = order[start : start + BATCH]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(Xt[rows]), yt[rows]).backward()
            optimizer.step()

    return run


def main() -> None:
    X, labels, Y = data(np.random.default_rng(0))
    contenders = {"labkit": labkit_epoch(mnist_network(), X, Y), "GEMMs only": gemm_epoch(X),
                  "gather only": gather_epoch(X, Y), "fused numpy": fused_numpy_epoch(mnist_network(), X, Y)}
    try:
        contenders["PyTorch"] = torch_epoch(X, labels)
    except ImportError:
        print("PyTorch is not installed: skipping the comparison (pip install torch==2.13.0 to include it).")
    best = best_times(contenders, repeats=REPEATS, min_seconds=0)
    print(f"784-256-10 ReLU/softmax, float32, batch {BATCH}, one epoch of {N} rows, {THREADS} threads")
    for name, seconds in best.items():
        print(f"  {name:<12} {seconds:6.3f} s per epoch")
    if "PyTorch" in best:
        print(f"labkit / PyTorch epoch time: {best['labkit'] / best['PyTorch']:.2f}  (target <= 0.80)")
    print(f"GEMM bound / labkit epoch time: {best['GEMMs only'] / best['labkit']:.2f}  (target >= 0.65)")
    with_gather = best["GEMMs only"] + best["gather only"]
    print(f"(GEMMs + row gather) / labkit epoch time: {with_gather / best['labkit']:.2f}  (for context)")
    print(f"GEMM bound / hand-fused numpy epoch time: {best['GEMMs only'] / best['fused numpy']:.2f}"
          "  (for context: plain numpy's ceiling)")


if __name__ == "__main__":
    main()
