"""How often does the lab's 2-2-1 tanh/sigmoid network solve XOR? Prints the success rate.

Run: python -m benchmarks.xor_study  (also part of `make bench`)
"""

from __future__ import annotations

import numpy as np

from labkit import GradientDescent, build_network, xor


def solves_xor(seed: int, learning_rate: float = 0.25, steps: int = 250) -> bool:
    """Train the lab's network from this seed; True if all four predictions fall on the right side of 0.5."""
    X, y = xor()
    net = build_network(2, [2, "tanh", 1, "sigmoid"], "bce", GradientDescent(learning_rate), seed=seed)
    net.fit(X, y, epochs=steps, progress=False)
    return bool(np.all((net.predict(X) > 0.5) == (y > 0.5)))


def xor_success_rate(seeds: range) -> float:
    """Fraction of seeds whose trained network solves XOR."""
    return float(np.mean([solves_xor(seed) for seed in seeds]))


if __name__ == "__main__":
    seeds = range(200)
    print(f"2-2-1 tanh/sigmoid, lr 0.25, 250 full-batch steps: solves XOR for "
          f"{xor_success_rate(seeds):.0%} of {len(seeds)} seeds")
