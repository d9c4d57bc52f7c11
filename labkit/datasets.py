"""Data sets used by the notebooks: XOR, 2-D toy sets, and MNIST (loaded by ``labkit.tools.mnist``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .network import Seed
from .tools.mnist import load_mnist
from .validate import positive_int

__all__ = ["xor", "circles", "moons", "spirals", "blobs", "TOY_DATASETS", "load_mnist"]


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points: X (4, 2) with entries in {-1, 1}, y (4, 1) = 1 where the signs differ."""
    X = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return X, y


def _setup(n: int, seed: Seed) -> tuple[int, np.random.Generator]:
    return positive_int(n, "n"), np.random.default_rng(seed)


def _as_column(labels: np.ndarray) -> np.ndarray:
    return labels.astype(np.float64).reshape(-1, 1)


def circles(n: int = 200, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """A disc (label 1) inside a ring (label 0): X (n, 2), y (n, 1)."""
    n, rng = _setup(n, seed)
    inner = rng.random(n) < 0.5
    radius = np.where(inner, 0.5, 1.0) + noise * rng.standard_normal(n)
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return X, _as_column(inner)


def moons(n: int = 200, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles: X (n, 2) roughly in [-1, 2] x [-0.5, 1], y (n, 1)."""
    n, rng = _setup(n, seed)
    upper = rng.random(n) < 0.5
    angle = rng.uniform(0, np.pi, n)
    X = np.where(
        upper[:, None],
        np.column_stack([np.cos(angle), np.sin(angle)]),
        np.column_stack([1 - np.cos(angle), 0.5 - np.sin(angle)]),
    )
    return X + noise * rng.standard_normal(X.shape), _as_column(~upper)


def spirals(n: int = 200, noise: float = 0.05, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals, one turn and a half each: X (n, 2), y (n, 1). Needs a deeper network."""
    n, rng = _setup(n, seed)
    label = rng.random(n) < 0.5
    t = rng.uniform(0.05, 1, n)
    angle = 3 * np.pi * t + np.where(label, np.pi, 0)
    X = np.column_stack([t * np.cos(angle), t * np.sin(angle)])
    return X + noise * rng.standard_normal(X.shape), _as_column(label)


def blobs(n: int = 200, spread: float = 0.6, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds centred at (-1, -1) (label 0) and (1, 1) (label 1): X (n, 2), y (n, 1)."""
    n, rng = _setup(n, seed)
    label = rng.random(n) < 0.5
    centres = np.where(label[:, None], 1.0, -1.0)
    return centres + spread * rng.standard_normal((n, 2)), _as_column(label)


TOY_DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "xor": lambda seed=0: xor(), "circles": circles, "moons": moons, "spirals": spirals, "blobs": blobs,
}
"""The 2-D binary classification sets the explorer offers, by name; each returns (X, y)."""
