import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from labkit import build_network, plots, xor  # noqa: E402


@pytest.fixture
def net():
    return build_network(2, [3, "tanh", 1, "sigmoid"], seed=0)


def test_decision_surface_shows_the_networks_probabilities(net):
    X, y = xor()
    ax = plots.decision_surface(net, X, y, resolution=20)
    mesh = ax.collections[0]
    values = np.asarray(mesh.get_array()).reshape(20, 20)
    xs = np.linspace(-1.5, 1.5, 20)
    expected = net.predict(np.column_stack([np.tile(xs, 20), np.repeat(xs, 20)])).reshape(20, 20)
    np.testing.assert_allclose(values, expected)


def test_network_diagram_draws_one_edge_per_weight_coloured_by_sign(net):
    ax = plots.network_diagram(net)
    edges = [line for line in ax.lines]
    assert len(edges) == sum(W.size for W in net.weights)
    signs = np.concatenate([W.ravel() > 0 for W in net.weights])
    colours = [line.get_color() for line in edges]
    assert colours == [plots.VERMILLION if s else plots.BLUE for s in signs]


def test_hidden_unit_lines_lie_where_the_pre_activation_is_zero(net):
    X, y = xor()
    ax = plots.hidden_unit_lines(net, X, y)
    for j, line in enumerate(ax.lines):
        pts = line.get_xydata()
        z = pts @ net.weights[0][:, j] + net.biases[0][j]
        np.testing.assert_allclose(z, 0, atol=1e-9)


def test_loss_curve_plots_every_step():
    ax = plots.loss_curve(np.array([3.0, 2.0, 1.0]), label="run")
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [3, 2, 1])


def test_image_grid_shows_every_image_with_its_title():
    images = np.arange(5 * 4 * 4).reshape(5, 4, 4)
    fig = plots.image_grid(images, titles=[f"#{i}" for i in range(5)], ncols=3)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 5 and [ax.get_title() for ax in shown] == ["#0", "#1", "#2", "#3", "#4"]
    np.testing.assert_array_equal(shown[2].images[0].get_array(), images[2])


def test_confusion_matrix_plot_writes_every_count():
    counts = np.array([[5, 1], [2, 7]])
    ax = plots.confusion_matrix_plot(counts)
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "5", "7"]


def _weight_decay_example():
    """The 2-D example of notebook 04: eigenvalues 0.3 and 3, eigenvectors at 30 degrees, w* = (0.4, 1.4)."""
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    R = np.array([[c, -s], [s, c]])
    H = R @ np.diag([0.3, 3.0]) @ R.T
    return H, -H @ np.array([0.4, 1.4])


@pytest.mark.parametrize("tau", [0.3, 3.0])
def test_weight_decay_picture_draws_the_contour_and_the_circle_that_touch_at_w_tilde(tau):
    H, b = _weight_decay_example()
    ax = plots.weight_decay_picture(H, b, tau)
    w_tilde = np.linalg.solve(H + tau * np.eye(2), -b)
    error = b @ w_tilde + 0.5 * w_tilde @ H @ w_tilde
    touching = [c for c in ax.collections if len(c.levels) == 1]
    assert len(touching) == 1 and touching[0].levels[0] == pytest.approx(error)
    circle = next(line for line in ax.lines if line.get_color() == plots.GREY)  # the penalty's circle
    np.testing.assert_allclose(np.hypot(*circle.get_xydata().T), np.linalg.norm(w_tilde))
    np.testing.assert_allclose(b + H @ w_tilde, -tau * w_tilde, atol=1e-12)  # tangent: opposite gradients there
    marker = [line for line in ax.lines if line.get_marker() == "s"][0]
    np.testing.assert_allclose(marker.get_xydata()[0], w_tilde)


def test_weight_decay_picture_labels_the_flat_and_the_steep_direction_with_the_flat_one_longer():
    H, b = _weight_decay_example()
    ax = plots.weight_decay_picture(H, b, 1.0)
    texts = {t.get_text() for t in ax.texts}
    assert {"flat, $\\lambda = 0.3$", "steep, $\\lambda = 3$"} <= texts
    arrows = {t.get_text(): np.hypot(*(np.array(t.xy) - np.array([0.4, 1.4]))) for t in ax.texts
              if t.get_text().startswith(("flat", "steep"))}
    assert arrows["flat, $\\lambda = 0.3$"] == pytest.approx(np.sqrt(10) * arrows["steep, $\\lambda = 3$"])
    assert ax.get_title() and ax.get_xlabel() == "$w_1$" and ax.get_ylabel() == "$w_2$"
    assert ax.get_legend() is not None
    assert plots.weight_decay_picture(H, b, 1.0, ax=plt.subplots()[1], legend=False).get_legend() is None
