"""Input checks shared by every public function that takes user data.

The point is the error message: it names the argument, says what arrived and
what was expected, so a student never has to decode a broadcasting error
raised deep inside numpy.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike, DTypeLike


def as_matrix(x: ArrayLike, name: str, *, columns: int | None = None, dtype: DTypeLike = np.float64) -> np.ndarray:
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


def as_vector(x: ArrayLike, name: str, size: int) -> np.ndarray:
    """Return ``x`` as a finite 1-D float array of length ``size`` (a column (size, 1) is accepted too)."""
    column = as_matrix(np.reshape(x, (-1, 1)) if np.ndim(x) == 1 else x, name)
    if column.shape != (size, 1):
        raise ValueError(f"{name} must be a vector of length {size}; got shape {np.shape(x)}.")
    return column[:, 0]


def _all_finite(arr: np.ndarray) -> bool:
    """True if no entry is nan or inf.

    A nan or inf anywhere makes the sum non-finite, and the sum is one pass with no temporary
    (np.isfinite(arr).all() builds a boolean array as large as the data: twice the time on MNIST).
    Only a sum that overflows on finite data needs the entry-by-entry check.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(arr.sum()) or np.isfinite(arr).all())


def matching_targets(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Targets y_true (N, k) and predictions y_pred (N, k) as float arrays, or a clear error.

    y_pred may also be a stack (S, N, k) of predictions for the same targets (``labkit.sweep``).
    A nan in y_pred is let through: it makes the loss nan, which training reports as divergence.
    """
    y_pred = np.asarray(y_pred)
    if not np.issubdtype(y_pred.dtype, np.floating):
        y_pred = y_pred.astype(np.float64)
    y_true = as_matrix(y_true, "y_true", dtype=y_pred.dtype)  # float32 in, float32 out
    if y_pred.shape[-2:] != y_true.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}; they must match.")
    return y_true, y_pred


def positive_number(value: object, name: str) -> float:
    """Return ``value`` as a float after checking that it is finite and > 0."""
    number = _real(value, name, "a positive number")
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}.")
    return number


def non_negative_number(value: object, name: str) -> float:
    """Return ``value`` as a float after checking that it is finite and >= 0."""
    number = _real(value, name, "a number >= 0")
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
    return number


def _real(value: object, name: str, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {expected}; got {value!r}.")
    return float(value)


def positive_int(value: object, name: str) -> int:
    """Return ``value`` after checking that it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")
    return int(value)
