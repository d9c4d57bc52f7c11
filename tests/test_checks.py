import numpy as np
import pytest

from labkit.checks import CheckFailed, check, expect_close, expect_gradient


def test_passing_check_prints_one_line(capsys):
    with check("addition"):
        expect_close(1 + 1, 2, "1 + 1")
    assert capsys.readouterr().out == "✔ addition: all checks passed.\n"


def test_stub_is_reported_as_not_implemented():
    def stub():
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="sigmoid: not implemented yet. Replace `raise NotImplementedError"):
        with check("sigmoid"):
            stub()


def test_missing_name_says_to_run_the_exercise_cell():
    with pytest.raises(CheckFailed, match="name 'undefined_thing' is not defined. Run the exercise cell above"):
        with check("forward"):
            undefined_thing  # noqa: B018, F821


def test_wrong_value_shows_expected_and_got():
    with pytest.raises(CheckFailed, match=r"tanh: tanh\(0\) is wrong.\n  expected: \[1.0\]\n  got:      \[0.0\]"):
        with check("tanh"):
            expect_close([0.0], [1.0], "tanh(0)")
    with pytest.raises(CheckFailed, match=r"has shape \(2,\), expected \(3,\)"):
        with check("shape"):
            expect_close(np.zeros(2), np.zeros(3), "x")


def test_expect_gradient_accepts_right_and_rejects_wrong_derivatives():
    x = np.array([0.3, -1.2])
    assert expect_gradient(np.cos(x), lambda v: float(np.sin(v).sum()), x, "sin'") < 1e-8
    with pytest.raises(AssertionError, match="disagrees with finite differences"):
        expect_gradient(np.sin(x), lambda v: float(np.sin(v).sum()), x, "sin'")


def test_expect_gradient_perturbs_arrays_read_through_a_closure():
    w = np.array([1.0, -2.0])
    assert expect_gradient(2 * w, lambda _: float((w**2).sum()), w, "d|w|^2/dw") < 1e-8
    np.testing.assert_array_equal(w, [1.0, -2.0])  # restored


def test_a_failed_check_shows_in_ipython_as_its_message_alone():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shown = []
    shell._showtraceback = lambda etype, evalue, stb: shown.append("\n".join(stb))
    try:
        shell.run_cell("from labkit.checks import check\nwith check('relu'):\n    raise NotImplementedError()")
    finally:
        InteractiveShell.clear_instance()  # later tests must not find an IPython shell
    assert len(shown) == 1 and "CheckFailed" in shown[0] and "relu: not implemented yet" in shown[0]
    assert "checks.py" not in shown[0] and "Traceback" not in shown[0]  # no frames from inside labkit
