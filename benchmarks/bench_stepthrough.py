"""How long the step-through takes to redraw a step (target: a median of at most 150 ms).

A redraw updates the figure's artists in place (the numbers in the heat maps are one Text per row)
and encodes the picture as PNG for the widget. This benchmark walks a whole training step of the
widget, forward and back, three times and prints the median and the largest redraw, wall and CPU.
No drawing device stays in labkit unless this benchmark shows the plain drawing misses the target.

Run: python -m benchmarks.bench_stepthrough  (also part of `make bench`)
"""

from __future__ import annotations

import numpy as np

from labkit.stepthrough import StepThrough

PASSES = 3
TARGET_MS = 150


def walk() -> np.ndarray:
    """Wall and CPU seconds of every redraw of one pass through a training step and back, shape (2 (steps - 1), 2)."""
    widget = StepThrough()
    widget.redraw_times.clear()  # the first draw also builds the figure
    for _ in range(len(widget.trace) - 1):
        widget.next()
    for _ in range(len(widget.trace) - 1):
        widget.back()
    return np.array(widget.redraw_times)


def main() -> None:
    ms = 1000 * np.concatenate([walk() for _ in range(PASSES)])
    median = np.median(ms[:, 0])
    print(f"step-through redraw, {PASSES} passes through the 2-3-2-1 XOR network's 20 steps and back:")
    print(f"  median {median:4.0f} ms (CPU {np.median(ms[:, 1]):3.0f}), max {ms[:, 0].max():4.0f} ms "
          f"(CPU {ms[:, 1].max():3.0f}); target: a median of at most {TARGET_MS} ms: "
          f"{'met' if median <= TARGET_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
