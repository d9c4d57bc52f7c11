"""The benchmarks measure what they claim: contenders alternate, and each does the work it names."""

import nbformat
import numpy as np
import pytest
from nbclient.exceptions import CellExecutionError

from benchmarks import bench_mnist
from benchmarks.notebook_times import run_seconds
from benchmarks.timing import best_times
from labkit import rel_error


def test_best_times_alternates_contenders_and_keeps_the_fastest_round():
    calls = []
    best = best_times({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=3, min_seconds=0)
    assert calls == ["a", "b"] + ["a", "b"] * 3  # one warm-up each, then strictly alternating rounds
    assert set(best) == {"a", "b"} and all(0 <= t < 1 for t in best.values())


def test_mnist_benchmark_contenders_run_every_batch(monkeypatch):
    monkeypatch.setattr(bench_mnist, "N", 300)  # 3 batches of 128, the last one short
    X, labels, Y = bench_mnist.data(np.random.default_rng(0))
    assert X.shape == (300, 784) and X.dtype == np.float32 and (Y.argmax(axis=1) == labels).all()
    bench_mnist.gemm_epoch(X)()
    bench_mnist.gather_epoch(X, Y)()
    net, fused = bench_mnist.mnist_network(learning_rate=0.5), bench_mnist.mnist_network(learning_rate=0.5)
    history = bench_mnist.labkit_epoch(net, X, Y)()  # one epoch of labkit training on the same shapes
    assert history.shape == (3,) and np.isfinite(history).all()
    bench_mnist.fused_numpy_epoch(fused, X, Y)()  # the hand-fused loop does the very same SGD epoch
    start = bench_mnist.mnist_network()
    for a, b, a0 in zip(net.weights + net.biases, fused.weights + fused.biases, start.weights + start.biases):
        assert rel_error(a - a0, b - a0) < 1e-3  # the same updates, up to float32 rounding


@pytest.mark.slow
def test_notebook_times_runs_a_notebook_and_fails_on_an_error(tmp_path):
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1 + 1")]), path)
    total, slowest = run_seconds(path)
    assert 0 <= slowest <= total < 60
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")]), path)
    with pytest.raises(CellExecutionError):
        run_seconds(path)  # a broken notebook is not timed as if it had run
