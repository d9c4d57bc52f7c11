"""How a wrong array differs from the right one, in one short phrase a student can act on.

When an answer matches none of the usual mistakes, "it is off" says nothing about where to look.
``describe`` tries the simple relations a bug leaves behind, in order: a transpose, the sign, zeros,
a constant factor (naming N, 1/N and 2 when that is what it is), a constant offset, a few wrong
entries (the first one named), rows in another order; failing those, the relative error and the
first entry that differs. It never prints more than a few numbers.
"""

from __future__ import annotations

import numpy as np

from .gradcheck import rel_error

TOLERANCE = 1e-6
"""Two arrays whose relative error is below this are taken as equal."""


def describe(got: np.ndarray, expected: np.ndarray, rows: int | None = None) -> str:
    """What relation ``got`` bears to ``expected`` (same shape), e.g. "it is 2 times the right value".

    rows: the batch size N, if there is one, so that a factor of N or 1/N is called by its name.
    """
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    for relation in (_transposed, _sign, _zeros, _factor, _offset, _some_entries, _rows_reordered):
        phrase = relation(got, expected, rows)
        if phrase:
            return phrase
    return f"relative error {magnitude(rel_error(got, expected))}; {_first_difference(got, expected)}"


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and rel_error(a, b) < TOLERANCE


def _transposed(got: np.ndarray, expected: np.ndarray, rows: int | None) -> str:
    if got.ndim == 2 and got.shape[0] == got.shape[1] > 1 and _close(got, expected.T):
        return "it is the transpose of the right matrix"
    return ""


def _sign(got: np.ndarray, expected: np.ndarray, rows: int | None) -> str:
    return "it has the wrong sign (it is minus the right value)" if np.any(expected) and _close(got, -expected) else ""


def _factor(got: np.ndarray, expected: np.ndarray, rows: int | None) -> str:
    scale = float(expected.ravel() @ expected.ravel())
    if scale == 0 or not np.any(got):
        return ""
    factor = float(got.ravel() @ expected.ravel()) / scale
    if abs(factor - 1) < TOLERANCE or not _close(got, factor * expected):
        return ""
    names = {2.0: "2", 0.5: "1/2"}
    if rows and rows > 2:
        names |= {float(rows): f"N = {rows}", 1 / rows: f"1/N (N = {rows})"}
    name = next((name for value, name in names.items() if abs(factor / value - 1) < 1e-6), None)
    if name is None and (got.size == 1 or abs(factor - 1) < 1e-3):
        return ""  # any single number is a multiple of another; a factor of 1.0004 says less than the entries do
    return f"it is a factor {name or f'{factor:.4g}'} times the right value"


def _offset(got: np.ndarray, expected: np.ndarray, rows: int | None) -> str:
    if got.size < 2:
        return ""
    shift = float(np.mean(got - expected))
    if shift == 0 or not _close(got - shift, expected):
        return ""
    return f"every entry is off by the same {shift:.4g}"


def _zeros(got: np.ndarray, expected: np.ndarray, rows: int | None) -> str:
    return "it is all zeros" if not np.any(got) and np.any(expected) else ""


def _some_entries(got: np.ndarray, expected: np.ndarray, rows: int | None) -> str:
    wrong = ~np.isclose(got, expected, rtol=TOLERANCE, atol=TOLERANCE * (np.abs(expected).max() or 1.0))
    if got.size < 4 or wrong.sum() > got.size // 2:
        return ""
    return f"{int(wrong.sum())} of its {got.size} entries are wrong; {_first_difference(got, expected)}"


def _rows_reordered(got: np.ndarray, expected: np.ndarray, rows: int | None) -> str:
    if got.ndim < 2 or len(got) < 2:
        return ""
    key = np.lexsort(got.reshape(len(got), -1).T[::-1])
    if _close(got[key], expected[np.lexsort(expected.reshape(len(expected), -1).T[::-1])]):
        return "it has the right rows in another order"
    return ""


def _first_difference(got: np.ndarray, expected: np.ndarray) -> str:
    """'the first wrong entry is [1, 2]: 0.25 instead of 0.5'."""
    wrong = np.argwhere(~np.isclose(got, expected, rtol=TOLERANCE, atol=TOLERANCE * (np.abs(expected).max() or 1)))
    if not len(wrong):
        return "the entries differ only a little each"
    index = tuple(int(i) for i in wrong[0])
    where = f" {list(index)}" if index else ""
    return f"the first wrong entry{where} is {got[index]:.7g} instead of {expected[index]:.7g}"


def magnitude(err: float) -> str:
    """A relative error rounded to its order of magnitude, '~1e-11': stable across machines, easy to read."""
    return "0" if err == 0 else f"~1e{round(np.log10(err))}"
