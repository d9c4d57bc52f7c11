"""Timing helper shared by the benchmarks: machines here are noisy, so contenders alternate."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_times(contenders: dict[str, Callable[[], object]], repeats: int = 5, min_seconds: float = 0.2):
    """Best seconds per call of each contender; within every round each one runs in turn.

    Each contender is called enough times per round to last about ``min_seconds``, after one
    warm-up call, so a burst of background load hits all of them alike rather than one. Each
    round starts with the next contender, so none is always the one that runs first.
    """
    times = round_times(contenders, repeats, min_seconds)
    return {name: min(seconds) for name, seconds in times.items()}


def round_times(contenders: dict[str, Callable[[], object]], repeats: int = 5, min_seconds: float = 0.2):
    """Seconds per call of each contender in every round, as lists of length ``repeats`` (see best_times)."""
    calls = {}
    for name, fn in contenders.items():
        start = time.perf_counter()
        fn()  # warm-up: allocations, thread pools, caches
        calls[name] = max(1, int(min_seconds / max(time.perf_counter() - start, 1e-6)))
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_ in range(repeats):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            fn = contenders[name]
            start = time.perf_counter()
            for _ in range(calls[name]):
                fn()
            times[name].append((time.perf_counter() - start) / calls[name])
    return times
