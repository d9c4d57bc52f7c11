"""Does stacking pay? labkit.sweep.train_many against training the same networks one by one with fit.

The success-rate study of notebook 02 trains 200 copies of a 2-2-1 network per setting.
``train_many`` stacks them (one batched matmul per layer); the readable alternative is a
loop of ``build_network(...).fit(...)``. Both do the same arithmetic (tests/test_sweep.py).

Run: python -m benchmarks.bench_sweep  (also part of `make bench`)
"""

from __future__ import annotations

from benchmarks.timing import best_times
from labkit import GradientDescent, build_network, xor
from labkit.sweep import train_many

SEEDS, STEPS, LAYERS = range(200), 250, [2, "tanh", 1, "sigmoid"]


def one_by_one() -> None:
    X, y = xor()
    for seed in SEEDS:
        build_network(2, LAYERS, "bce", GradientDescent(0.25), seed=seed).fit(X, y, epochs=STEPS, progress=False)


def stacked() -> None:
    X, y = xor()
    train_many(2, LAYERS, X, y, SEEDS, learning_rate=0.25, steps=STEPS)


def main() -> None:
    best = best_times({"one by one": one_by_one, "stacked": stacked}, repeats=3, min_seconds=0)
    print(f"{len(SEEDS)} XOR networks 2-2-1, {STEPS} full-batch steps each:")
    print(f"  one by one with fit: {best['one by one']:.2f} s   stacked (train_many): {best['stacked']:.3f} s"
          f"   speed-up {best['one by one'] / best['stacked']:.0f}x")


if __name__ == "__main__":
    main()
