"""Which speed devices would pay? labkit's plain training step against the same step with each device.

labkit's core is written like the derivation: fresh arrays, ``p -= learning_rate * g``,
``np.maximum(z, 0)``, rows gathered with ``X[rows]``. Each device below is a way to
make that step faster that an earlier version of labkit used. Here each is applied on
its own (as a subclass or a patched function, so labkit itself stays plain) and timed
against the plain step in the same run, the contenders alternating. A device earns a
place in labkit only if it saves at least 5% of an MNIST epoch (the issue's rule).

Run: python -m benchmarks.bench_devices  (also part of `make bench`)
"""

from __future__ import annotations

import contextlib

import numpy as np

from benchmarks.bench_mnist import BATCH, data, mnist_network
from benchmarks.timing import round_times
from labkit import activations, network, optim

THRESHOLD = 0.05
REPEATS = 21


@contextlib.contextmanager
def scaled_in_place():
    """The update scales each fresh gradient in place (g *= lr; p -= g) instead of allocating lr * g."""
    def update(self, params, grads):
        for p, g in zip(params, grads):
            g *= self.learning_rate
            p -= g

    with patched(optim.GradientDescent, "update", update):
        yield


@contextlib.contextmanager
def relu_against_zeros():
    """ReLU compares with a cached array of zeros (numpy's loop against the scalar 0 is slower) and
    multiplies by a boolean mask in backward."""
    zeros = {}

    def forward(self, z):
        key = (z.shape, z.dtype)
        if key not in zeros:
            zeros[key] = np.zeros_like(z)
        return np.maximum(z, zeros[key])

    with patched(activations.ReLU, "forward", forward), \
            patched(activations.ReLU, "backward", lambda self, z, grad_out: grad_out * (z > 0)):
        yield


@contextlib.contextmanager
def gradient_buffers():
    """The weight gradients are written into arrays kept from step to step (matmul's out=)."""
    buffers = {}

    def parameter_gradients(weights, Ys, deltas, weight_decay=0.0):
        grad_W = []
        for l, (Y, delta) in enumerate(zip(Ys, deltas)):
            key = (l, Y.shape[1], delta.shape[1], delta.dtype)
            if key not in buffers:
                buffers[key] = np.empty((Y.shape[1], delta.shape[1]), delta.dtype)
            grad_W.append(np.matmul(Y.T, delta, out=buffers[key]))
        return grad_W, [delta.sum(axis=0) for delta in deltas]

    with patched(network, "parameter_gradients", parameter_gradients):
        yield


@contextlib.contextmanager
def patched(owner, name, value):
    had, old = name in vars(owner), getattr(owner, name, None)
    setattr(owner, name, value)
    try:
        yield
    finally:
        if had:
            setattr(owner, name, old)
        else:
            delattr(owner, name)


@contextlib.contextmanager
def all_devices():
    with scaled_in_place(), relu_against_zeros(), gradient_buffers():
        yield


DEVICES = {"update scales g in place": scaled_in_place, "ReLU against cached zeros": relu_against_zeros,
           "gradient buffers": gradient_buffers, "all three": all_devices}


def main() -> None:
    X, _, Y = data(np.random.default_rng(0))
    # "plain again" is the same as "plain": its saving is this run's noise floor
    contenders = {name: (contextlib.nullcontext, mnist_network()) for name in ("plain", "plain again")}
    contenders.update({name: (device, mnist_network()) for name, device in DEVICES.items()})

    def epoch(device, net):
        def run():
            with device():
                net.fit(X, Y, epochs=1, batch_size=BATCH, seed=0, progress=False)
        return run

    times = {name: np.array(t) for name, t in
             round_times({name: epoch(*c) for name, c in contenders.items()}, repeats=REPEATS, min_seconds=0).items()}
    print(f"MNIST epoch (784-256-10, float32, batch {BATCH}), {REPEATS} rounds; saving = 1 - the median over rounds "
          "of (time / plain's time in the same round):")
    noise = abs(paired_saving(times["plain again"], times["plain"]))
    for name, seconds in times.items():
        saving = paired_saving(seconds, times["plain"])
        verdict = "" if name.startswith("plain") else (
            "  pays" if saving >= max(THRESHOLD, 2 * noise) else "  below 5% (or within the noise): not kept")
        print(f"  {name:<28} median {np.median(seconds):6.3f} s  saves {saving:+6.1%}{verdict}")


def paired_saving(seconds: np.ndarray, baseline: np.ndarray) -> float:
    """1 - median of the per-round ratios: drifts of the machine's speed cancel within each round."""
    return float(1 - np.median(seconds / baseline))


if __name__ == "__main__":
    main()
