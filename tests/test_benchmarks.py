"""The benchmarks measure what they claim: contenders alternate, and each does the work it names."""

import nbformat
import numpy as np
import pytest
from nbclient.exceptions import CellExecutionError

from benchmarks import bench_devices, bench_mnist, bench_stepthrough, timing
from benchmarks.notebook_times import run_seconds
from benchmarks.timing import best_times, round_times
from labkit import rel_error


def test_best_times_alternates_contenders_and_keeps_the_fastest_round(monkeypatch):
    calls = []
    clock = iter(range(100))  # a fake clock: every reading is one second after the last
    monkeypatch.setattr(timing.time, "perf_counter", lambda: next(clock))
    contenders = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    times = round_times(contenders, repeats=3, min_seconds=0)
    # one warm-up each, then rounds in which each contender runs once, each round starting with the next one
    assert calls == ["a", "b", "c"] + ["a", "b", "c"] + ["b", "c", "a"] + ["c", "a", "b"]
    assert times == {"a": [1, 1, 1], "b": [1, 1, 1], "c": [1, 1, 1]}

    now = [0.0]
    monkeypatch.setattr(timing.time, "perf_counter", lambda: now[0])
    costs = iter([5, 5, 2, 9, 3, 7])  # warm-ups; round 1: a 2, b 9; round 2 starts with b: b 3, a 7
    def contender():
        now[0] += next(costs)
    assert best_times({"a": contender, "b": contender}, repeats=2, min_seconds=0) == {"a": 2, "b": 3}


def test_a_device_saving_is_the_median_of_ratios_within_rounds():
    plain = np.array([1.0, 2.0, 1.0])  # the machine was twice as slow in round 2
    device = np.array([0.9, 1.8, 1.0])
    assert bench_devices.paired_saving(device, plain) == pytest.approx(0.1)


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


@pytest.mark.slow  # walks the step-through twice
def test_the_stepthrough_benchmark_times_every_redraw_of_a_walk_there_and_back():
    times = bench_stepthrough.walk()
    assert times.shape == (38, 2) and (times > 0).all()  # 19 steps forward, 19 back, each drawn once

