"""Helpers for the notebooks' self-check cells.

A check cell wraps its assertions in ``with check("what is checked"):``. If
they hold it prints one line saying so; if not, it raises ``CheckFailed`` with
a message a student can act on: what was expected, what came out, or that the
exercise above still holds its ``raise NotImplementedError()`` stub.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from .gradcheck import numerical_gradient, rel_error


class CheckFailed(AssertionError):
    """A self-check did not pass; the message says why."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a traceback: the message is all a student needs,
        # and the frames would only point into labkit. Plain Python and pytest keep the traceback.
        return [f"\x1b[0;31mCheckFailed\x1b[0m: {self}"]


class check:  # noqa: N801 (used as `with check("..."):`, like a function)
    """Run the assertions in the block; print a pass line or raise CheckFailed naming ``what``."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> Literal[False]:
        __tracebackhide__ = True  # noqa: F841 (pytest then shows the caller's block, not this frame)
        if kind is None:
            print(f"✔ {self.what}: all checks passed.")
            return False
        if issubclass(kind, NotImplementedError):
            raise CheckFailed(
                f"{self.what}: not implemented yet. Replace `raise NotImplementedError()` in the exercise cell "
                "above with your code, run that cell, then run this check again."
            ) from None
        if issubclass(kind, NameError):
            raise CheckFailed(f"{self.what}: {error}. Run the exercise cell above first.") from None
        if issubclass(kind, AssertionError) and not issubclass(kind, CheckFailed):
            raise CheckFailed(f"{self.what}: {error}") from None
        return False  # anything else (and CheckFailed) propagates unchanged


def expect_close(got: ArrayLike, expected: ArrayLike, what: str, atol: float = 1e-6) -> None:
    """Assert that ``got`` has the shape of ``expected`` and matches it to ``atol``."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        raise AssertionError(f"{what} has shape {got.shape}, expected {expected.shape}.")
    if not np.allclose(got, expected, atol=atol, rtol=0):
        raise AssertionError(f"{what} is wrong.\n  expected: {np.round(expected, 7).tolist()}\n"
                             f"  got:      {np.round(got, 7).tolist()}")


def expect_gradient(analytic: ArrayLike, f: Callable[[np.ndarray], float], x: ArrayLike, what: str,
                    tol: float = 1e-6) -> float:
    """Assert that ``analytic`` is the gradient of f at x (finite differences); return the relative error.

    A float64 array x is perturbed in place and restored, so f may also read it through a closure
    (as a loss reads a network's weights).
    """
    if not (isinstance(x, np.ndarray) and x.dtype == np.float64):
        x = np.array(x, dtype=np.float64)
    err = rel_error(analytic, numerical_gradient(f, x))
    if not err < tol:
        raise AssertionError(f"{what} disagrees with finite differences: relative error {err:.1e} (need < {tol:g}).")
    return err


def describe_error(err: float, tol: float = 1e-7) -> str:
    """A relative error as notebooks print it: '< 1e-07' when below tol (stable across machines), else its value."""
    return f"< {tol:.0e}" if err < tol else f"{err:.1e}"
