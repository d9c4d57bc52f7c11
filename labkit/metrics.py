"""How good are a classifier's predictions? Accuracy and the confusion matrix."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def class_labels(y: ArrayLike) -> np.ndarray:
    """Integer labels (N,) from labels (N,) or from one-hot / probability rows (N, k)."""
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 else y.astype(np.int64)


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of rows whose predicted class (argmax) equals the true class. Labels or (N, k) rows."""
    t, p = class_labels(y_true), class_labels(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true gives {t.shape[0]} labels but y_pred gives {p.shape[0]}.")
    return float(np.mean(t == p))


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int | None = None) -> np.ndarray:
    """(k, k) counts: row = true class, column = predicted class."""
    t, p = class_labels(y_true), class_labels(y_pred)
    k = n_classes or int(max(t.max(), p.max())) + 1
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)
