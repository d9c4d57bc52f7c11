"""Running a student's function inside a check.

``run(function, *args)`` calls it as the notebook would, and then makes sure it behaved as an
exercise must: the arrays it was handed are as they were (unless the exercise asks it to update
them in place), so that the check's own copies of the data stay true.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np


def run(function: Callable[..., Any], *args: Any, changes: bool = False) -> Any:
    """function(*args), or AssertionError if it changed an array among its arguments (changes=False).

    An argument that is a list or tuple is looked into, so that ``weights[1]`` changed in place is found.
    """
    before = None if changes else copy.deepcopy(args)
    result = function(*args)
    if before is not None:
        for k, (old, new) in enumerate(zip(before, args)):
            where = _changed(old, new)
            if where is not None:
                raise AssertionError(f"{_name(function)} changes its argument {_parameter(function, k)}{where} in "
                                     "place: leave the arrays it is given as they are (compute new ones, or work on "
                                     "a copy).")
    return result


def _changed(old: Any, new: Any) -> str | None:
    """None if ``new`` still equals ``old``; else where it changed ('' for the whole, '[1]' for an entry)."""
    if isinstance(new, np.ndarray):  # an entry moved and put back (x[k] += h ... -= h) may differ by rounding
        same = isinstance(old, np.ndarray) and old.shape == new.shape and np.allclose(old, new, rtol=1e-9, atol=1e-12,
                                                                                      equal_nan=True)
        return None if same else ""
    if isinstance(new, (list, tuple)) and isinstance(old, (list, tuple)):
        if len(old) != len(new):
            return ""
        for k, (a, b) in enumerate(zip(old, new)):
            where = _changed(a, b)
            if where is not None:
                return f"[{k}]{where}"
    return None


def _name(function: Callable[..., Any]) -> str:
    """'forward', or 'BinaryCrossEntropy.backward' for a method (without the '<locals>.' of a nested function)."""
    name = getattr(function, "__qualname__", None) or type(function).__name__
    return name.split("<locals>.")[-1]


def _parameter(function: Callable[..., Any], k: int) -> str:
    """The name of the k-th positional parameter, e.g. '`X`', or 'number k + 1' if it has none."""
    try:
        names = [p.name for p in inspect.signature(function).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    return f"`{names[k]}`" if k < len(names) else f"number {k + 1}"
