"""Input checks shared by every public function that takes user data.

The point is the error message: it names the argument, says what arrived and
what was expected, so a student never has to decode a broadcasting error
raised deep inside numpy.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_matrix(x, name: str, *, columns: int | None = None, dtype=np.float64) -> np.ndarray:
    """Return ``x`` as a finite 2-D array of shape (N, D), or raise a clear error.

    columns: if given, the number of columns D that is required.
    """
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a 2-D numeric array (N, D); got {type(x).__name__}.")
    try:
        arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a 2-D numeric array (N, D); could not convert it: {err}") from None
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = " For a single feature use x.reshape(-1, 1); for a single sample use x.reshape(1, -1)."
        raise ValueError(
            f"{name} must be a 2-D array with one row per sample, shape (N, D); got shape {arr.shape}.{hint}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); it needs at least one row and one column.")
    if columns is not None and arr.shape[1] != columns:
        raise ValueError(f"{name} has {arr.shape[1]} columns (shape {arr.shape}) but {columns} were expected.")
    if not _all_finite(arr):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name} contains nan or inf (first at row {bad[0]}, column {bad[1]}: {arr[tuple(bad)]}); "
            "clean or impute the data first."
        )
    return arr


def _all_finite(arr: np.ndarray) -> bool:
    """True if no entry is nan or inf.

    A nan or inf anywhere makes the sum non-finite, and the sum is one pass with no temporary
    (np.isfinite(arr).all() builds a boolean array as large as the data: twice the time on MNIST).
    Only a sum that overflows on finite data needs the entry-by-entry check.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(arr.sum()) or np.isfinite(arr).all())


def same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise a ValueError if two arrays differ in shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they must match.")


def positive_number(value, name: str) -> float:
    """Return ``value`` as a float after checking that it is finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number; got {value!r}.")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}.")
    return float(value)


def non_negative_number(value, name: str) -> float:
    """Return ``value`` as a float after checking that it is finite and >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number >= 0; got {value!r}.")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
    return float(value)


def positive_int(value, name: str) -> int:
    """Return ``value`` after checking that it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")
    return int(value)
