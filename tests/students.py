"""Right answers to every exercise, as students write them: each in two ways that differ from labkit's code.

``RIGHT[exercise]`` lists the argument tuples of ``labkit.exercises.<exercise>``; every one must pass.
"""

import numpy as np

import labkit as lk
from labkit.network import backward_pass, forward_pass, parameter_gradients


def delta_output(dE_dyL, zL, phi):
    return dE_dyL * phi.derivative(zL)


def delta_output_elementwise(dE_dyL, zL, phi):
    return np.array([g * d for g, d in zip(dE_dyL, phi.derivative(zL))])


def column_backprop(delta_L, zs, ys, Ws, acts, lam):
    grad_W, grad_b, delta = [None] * len(Ws), [None] * len(Ws), delta_L
    for l in reversed(range(len(Ws))):
        grad_W[l] = np.outer(delta, ys[l]) + lam * Ws[l]
        grad_b[l] = delta
        if l > 0:
            delta = (Ws[l].T @ delta) * acts[l - 1].derivative(zs[l - 1])
    return grad_W, grad_b


def column_backprop_recursive(delta_L, zs, ys, Ws, acts, lam):
    if not Ws:
        return [], []
    deltas = [delta_L]
    for l in range(len(Ws) - 1, 0, -1):
        deltas.insert(0, acts[l - 1].derivative(zs[l - 1]) * np.dot(Ws[l].T, deltas[0]))
    return ([d[:, None] * y[None, :] + lam * W for d, y, W in zip(deltas, ys, Ws)], list(deltas))


def batched_layer(Delta, Y_prev, W, Z_prev, phi_prev):
    return Delta.T @ Y_prev, Delta.sum(axis=0), (Delta @ W) * phi_prev.derivative(Z_prev)


def batched_layer_einsum(Delta, Y_prev, W, Z_prev, phi_prev):
    return np.einsum("ni,nj->ij", Delta, Y_prev), np.ones(len(Delta)) @ Delta, np.matmul(Delta, W) * \
        phi_prev.derivative(Z_prev)


class BinaryCrossEntropy:
    eps = 1e-9

    def forward(self, t, p):
        return float(-(t * np.log(p + self.eps) + (1 - t) * np.log(1 - p + self.eps)).sum() / len(t))

    def backward(self, t, p):
        return -(t / (p + self.eps) - (1 - t) / (1 - p + self.eps)) / len(t)


class BinaryCrossEntropyByRows:
    def forward(self, y_true, y_pred):
        rows = [np.sum(t * np.log(p + 1e-9) + (1 - t) * np.log(1 - p + 1e-9)) for t, p in zip(y_true, y_pred)]
        return -np.mean(rows)

    def backward(self, y_true, y_pred):
        n = y_true.shape[0]
        return (1 - y_true) / (n * (1 - y_pred + 1e-9)) - y_true / (n * (y_pred + 1e-9))


class ReLU:
    def forward(self, z):
        return np.maximum(z, 0)

    def derivative(self, z):
        return (z > 0).astype(float)


class ReLUWhere:
    def forward(self, z):
        return np.where(z > 0, z, 0.0)

    def derivative(self, z):
        return np.heaviside(z, 0.0)


class Sigmoid:
    def forward(self, z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

    def derivative(self, z):
        s = self.forward(z)
        return s * (1 - s)


class SigmoidTanh:
    def forward(self, z):
        return 0.5 * (1 + np.tanh(z / 2))

    def derivative(self, z):
        return 0.25 / np.cosh(z / 2) ** 2


class Tanh:
    def forward(self, z):
        return np.tanh(z)

    def derivative(self, z):
        return 1 - np.tanh(z) ** 2


class TanhCosh:
    def forward(self, z):
        return np.tanh(z)

    def derivative(self, z):
        return 1 / np.cosh(np.clip(z, -300, 300)) ** 2


class GradientDescent:
    def __init__(self, learning_rate):
        self.learning_rate = learning_rate

    def step(self, x, gradient):
        return x - self.learning_rate * gradient


class GradientDescentCopy:
    def __init__(self, learning_rate):
        self.lr = learning_rate

    def step(self, x, gradient):
        new = np.array(x, dtype=float, copy=True)
        new -= self.lr * np.asarray(gradient)
        return new


def forward(weights, biases, activations, X):
    Zs, Ys = [], [X]
    for W, b, a in zip(weights, biases, activations):
        Zs.append(Ys[-1] @ W + b)
        Ys.append(a.forward(Zs[-1]))
    return Zs, Ys


def forward_tuples(weights, biases, activations, X):
    Y, Zs, Ys = X, (), (X,)
    for l in range(len(weights)):
        Z = np.dot(Y, weights[l]) + biases[l][None, :]
        Y = activations[l].forward(Z)
        Zs, Ys = Zs + (Z,), Ys + (Y,)
    return list(Zs), list(Ys)


def backprop(weights, activations, loss, Zs, Ys, y_true):
    grad_W, grad_b = [None] * len(weights), [None] * len(weights)
    delta = loss.backward(y_true, Ys[-1]) * activations[-1].derivative(Zs[-1])
    for l in reversed(range(len(weights))):
        grad_W[l] = Ys[l].T @ delta
        grad_b[l] = delta.sum(axis=0)
        if l > 0:
            delta = (delta @ weights[l].T) * activations[l - 1].derivative(Zs[l - 1])
    return grad_W, grad_b


def backprop_appending(weights, activations, loss, Zs, Ys, y_true):
    deltas = [activations[-1].derivative(Zs[-1]) * loss.backward(y_true, Ys[-1])]
    for l in range(len(weights) - 1, 0, -1):
        deltas.append(activations[l - 1].derivative(Zs[l - 1]) * (deltas[-1] @ weights[l].T))
    deltas.reverse()
    return [np.dot(Y.T, d) for Y, d in zip(Ys, deltas)], [np.sum(d, axis=0) for d in deltas]


def train(weights, biases, activations, loss, optimizer, X, y_true, steps):
    history = []
    for _ in range(steps):
        Zs, Ys = forward(weights, biases, activations, X)
        history.append(loss.forward(y_true, Ys[-1]))
        grad_W, grad_b = backprop(weights, activations, loss, Zs, Ys, y_true)
        for l in range(len(weights)):
            weights[l] = optimizer.step(weights[l], grad_W[l])
            biases[l] = optimizer.step(biases[l], grad_b[l])
    return np.array(history)


def train_in_place(weights, biases, activations, loss, optimizer, X, y_true, steps):
    history = np.zeros(steps)
    for step in range(steps):
        Zs, Ys = forward_tuples(weights, biases, activations, X)
        history[step] = loss.forward(y_true, Ys[-1])
        grads = backprop_appending(weights, activations, loss, Zs, Ys, y_true)
        for params, gradients in zip((weights, biases), grads):
            for k, g in enumerate(gradients):
                params[k][...] = optimizer.step(params[k], g)
    return list(history)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_by_rows(z):
    rows = []
    for row in z:
        e = np.exp(row - np.max(row))
        rows.append(e / np.sum(e))
    return np.vstack(rows)


class CategoricalCrossEntropy:
    eps = 1e-9

    def forward(self, t, p):
        return float(-(t * np.log(p + self.eps)).sum() / len(t))

    def backward(self, t, p):
        return -t / (p + self.eps) / len(t)


class CategoricalCrossEntropyMean:
    def forward(self, t, p):
        return -np.mean(np.sum(t * np.log(p + 1e-9), axis=1))

    def backward(self, t, p):
        return -(t / (p + 1e-9)) / t.shape[0]


def fused_delta(y_true, y_pred):
    return (y_pred - y_true) / len(y_true)


def fused_delta_divide(y_true, y_pred):
    return np.divide(y_pred - y_true, y_true.shape[0])


class Softmax(lk.Softmax):  # notebook 03's: labkit's softmax activation computed with the student's softmax
    def forward(self, z):
        return softmax(z)


cross_entropy = CategoricalCrossEntropy()


def train_epoch(weights, biases, X, Y, batch_size, learning_rate, rng):
    activations = [lk.ReLU()] * (len(weights) - 1) + [Softmax()]
    losses = []
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        Zs, Ys = forward_pass(weights, biases, activations, X[rows])
        losses.append(cross_entropy.forward(Y[rows], Ys[-1]))
        deltas = backward_pass(weights, activations, Zs, fused_delta(Y[rows], Ys[-1]))
        grad_W, grad_b = parameter_gradients(weights, Ys, deltas)
        for W, b, gW, gb in zip(weights, biases, grad_W, grad_b):
            W -= learning_rate * gW
            b -= learning_rate * gb
    return np.array(losses)


def train_epoch_batches_first(weights, biases, X, Y, batch_size, learning_rate, rng):
    activations = [lk.ReLU()] * (len(weights) - 1) + [Softmax()]
    order = rng.permutation(X.shape[0])
    losses = []
    for rows in np.array_split(order, range(batch_size, len(order), batch_size)):
        Xb, Yb = X[rows], Y[rows]
        Zs, Ys = forward_pass(weights, biases, activations, Xb)
        losses.append(cross_entropy.forward(Yb, Ys[-1]))
        grad_W, grad_b = parameter_gradients(weights, Ys, backward_pass(weights, activations, Zs,
                                                                        fused_delta(Yb, Ys[-1])))
        for k in range(len(weights)):
            weights[k] -= learning_rate * grad_W[k]
            biases[k] -= learning_rate * grad_b[k]
    return losses


def minimizer(H, b, tau):
    return np.linalg.solve(H + tau * np.eye(len(b)), -b)


def minimizer_inverse(H, b, tau):
    return -np.linalg.inv(H + np.diag(np.full(H.shape[0], tau))) @ b


def shrink(H, w_star, tau):
    lam, U = np.linalg.eigh(H)
    return U @ (lam / (lam + tau) * (U.T @ w_star))


def shrink_sum(H, w_star, tau):
    lam, U = np.linalg.eig(H)  # eig, not eigh: another order and other signs of the eigenvectors
    return np.real(sum(l / (l + tau) * (u @ w_star) * u for l, u in zip(lam, U.T)))


def ridge_fit(Phi, t, tau):
    return minimizer(Phi.T @ Phi / len(t), -Phi.T @ t / len(t), tau)


def ridge_fit_lstsq(Phi, t, tau):  # a student's own: the normal equations through minimizer_inverse
    N = Phi.shape[0]
    return minimizer_inverse(np.dot(Phi.T, Phi) / N, -np.dot(Phi.T, t) / N, tau)


def monte_carlo(X, t, w, sigma, samples, rng):
    noisy = X + sigma * rng.standard_normal((samples, *X.shape))
    gradients = -np.einsum("snd,sn->sd", noisy, t - noisy @ w) / len(X)
    return gradients.mean(axis=0), gradients.std(axis=0, ddof=1) / np.sqrt(samples)


def monte_carlo_loop(X, t, w, sigma, samples, rng):
    gradients = []
    for _ in range(samples):
        noisy = X + rng.normal(0.0, sigma, size=X.shape)
        gradients.append(noisy.T @ (noisy @ w - t) / X.shape[0])
    gradients = np.array(gradients)
    return gradients.mean(0), np.sqrt(gradients.var(0, ddof=1) / samples)


def hessian_trace(f, x, h=1e-3):
    centre = f(x)
    total = np.zeros_like(centre)
    for k in np.ndindex(x.shape):
        original = x[k]
        x[k] = original + h
        up = f(x)
        x[k] = original - h
        down = f(x)
        x[k] = original
        total = total + (up - 2 * centre + down) / h**2
    return total


def hessian_trace_flat(f, x, h=1e-3):
    flat, centre, total = x.reshape(-1), f(x), 0.0
    for k in range(flat.size):
        flat[k] += h
        up = f(x)
        flat[k] -= 2 * h
        down = f(x)
        flat[k] += h
        total += up + down - 2 * centre
    return total / (h * h)




def descend(H, b, tau, steps):
    w = np.zeros(len(b))
    step = 1 / (np.linalg.eigvalsh(H)[-1] + tau)
    for _ in range(steps):
        w = w - step * (b + H @ w + tau * w)
    return w


def descend_in_place(H, b, tau, steps):
    w, step = np.zeros_like(b), 1.0 / (np.max(np.linalg.eigvals(H).real) + tau)
    for _ in range(steps):
        w -= step * ((H + tau * np.eye(len(b))) @ w + b)
    return w


def shortcut_cases(tau):
    diagonal = np.diag([2.0, 0.5, 1.0])
    equal = 3.0 * np.eye(3)
    R = np.linalg.qr(np.array([[1.0, 2, 0], [0, 1, 3], [1, 0, 1]]))[0]
    rotated = R @ np.diag([0.5, 1.0, 4.0]) @ R.T
    w = np.array([1.0, -2.0, 0.5])
    return [(diagonal, w, np.diag(diagonal) / (np.diag(diagonal) + tau)),
            (equal, w, np.full(3, 3.0 / (3.0 + tau))),
            (rotated, 2.0 * R[:, 2], np.full(3, 4.0 / (4.0 + tau)))]


def shortcut_cases_two_d(tau):
    return ((np.diag([1.0, 4.0]), np.array([1.0, 1.0]), np.array([1 / (1 + tau), 4 / (4 + tau)])),
            (np.eye(2), np.array([3.0, -1.0]), np.array([1 / (1 + tau)] * 2)),
            (np.array([[2.0, 1.0], [1.0, 2.0]]), np.array([1.0, 1.0]), np.array([3 / (3 + tau)] * 2)))


def ridge_quadratic(Phi, t):
    return Phi.T @ Phi / len(t), -Phi.T @ t / len(t)


def ridge_quadratic_sums(Phi, t):
    N = Phi.shape[0]
    return sum(np.outer(p, p) for p in Phi) / N, -sum(tn * p for tn, p in zip(t, Phi)) / N


def choose_tau(Phi, t, Phi_val, t_val, taus):
    fits = [ridge_fit(Phi, t, tau) for tau in taus]
    train = np.array([np.mean((Phi @ w - t) ** 2) / 2 for w in fits])
    val = np.array([np.mean((Phi_val @ w - t_val) ** 2) / 2 for w in fits])
    return train, val, taus[np.argmin(val)]


def choose_tau_loop(Phi, t, Phi_val, t_val, taus):
    train, val = [], []
    for tau in taus:
        w = ridge_fit_lstsq(Phi, t, tau)
        train.append(0.5 * ((t - Phi @ w) ** 2).mean())
        val.append(0.5 * ((t_val - Phi_val @ w) ** 2).mean())
    best = min(range(len(taus)), key=lambda k: val[k])
    return train, val, float(taus[best])


def noise_weight_decay(sigma, half=True, mean=True, n_samples=1):
    tau = sigma**2
    if not half:
        tau *= 2
    if not mean:
        tau *= n_samples
    return tau


def noise_weight_decay_table(sigma, half=True, mean=True, n_samples=1):
    return {(True, True): 1, (False, True): 2, (True, False): n_samples, (False, False): 2 * n_samples}[
        (half, mean)] * sigma * sigma


RIGHT = {
    "delta_output": [(delta_output,), (delta_output_elementwise,)],
    "column_backprop": [(column_backprop,), (column_backprop_recursive,)],
    "batched_layer": [(batched_layer,), (batched_layer_einsum,)],
    "bce": [(BinaryCrossEntropy,), (BinaryCrossEntropyByRows,)],
    "activations": [(ReLU, Sigmoid, Tanh), (ReLUWhere, SigmoidTanh, TanhCosh)],
    "gradient_descent": [(GradientDescent,), (GradientDescentCopy,)],
    "forward": [(forward,), (forward_tuples,)],
    "backprop": [(backprop,), (backprop_appending,)],
    "train": [(train, forward, backprop), (train_in_place, forward_tuples, backprop_appending)],
    "softmax": [(softmax,), (softmax_by_rows,)],
    "cce": [(CategoricalCrossEntropy,), (CategoricalCrossEntropyMean,)],
    "fused_delta": [(fused_delta,), (fused_delta_divide,)],
    "epoch": [(train_epoch, softmax, cross_entropy, fused_delta),
              (train_epoch_batches_first, softmax_by_rows, CategoricalCrossEntropyMean(), fused_delta_divide)],
    "minimizer": [(minimizer,), (minimizer_inverse,)],
    "shrink": [(shrink,), (shrink_sum,)],
    "ridge_fit": [(ridge_fit, minimizer), (ridge_fit_lstsq, minimizer_inverse)],
    "monte_carlo": [(monte_carlo,), (monte_carlo_loop,)],
    "hessian_trace": [(hessian_trace,), (hessian_trace_flat,)],
    "descend": [(descend,), (descend_in_place,)],
    "shortcut_cases": [(shortcut_cases,), (shortcut_cases_two_d,)],
    "choose_tau": [(choose_tau, ridge_fit, minimizer), (choose_tau_loop, ridge_fit_lstsq, minimizer_inverse)],
    "ridge_quadratic": [(ridge_quadratic,), (ridge_quadratic_sums,)],
    "noise_weight_decay": [(noise_weight_decay,), (noise_weight_decay_table,)],
}
