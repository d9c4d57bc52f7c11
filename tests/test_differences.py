"""How a wrong array differs from the right one: each relation a bug leaves behind is named, in few words."""

import numpy as np
import pytest

from labkit.differences import describe, magnitude

RIGHT = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.5]])


@pytest.mark.parametrize("got, rows, phrase", [
    (-RIGHT, None, "it has the wrong sign (it is minus the right value)"),
    (2 * RIGHT, None, "it is a factor 2 times the right value"),
    (RIGHT / 2, None, "it is a factor 1/2 times the right value"),
    (6 * RIGHT, 6, "it is a factor N = 6 times the right value"),
    (RIGHT / 6, 6, "it is a factor 1/N (N = 6) times the right value"),
    (3.5 * RIGHT, 6, "it is a factor 3.5 times the right value"),
    (RIGHT + 0.75, None, "every entry is off by the same 0.75"),
    (np.zeros((2, 3)), None, "it is all zeros"),
    (np.where(np.arange(6).reshape(2, 3) == 1, 9.0, RIGHT), None, "1 of its 6 entries are wrong; the first wrong "
                                                                   "entry [0, 1] is 9 instead of -2"),
    (RIGHT[::-1], None, "it has the right rows in another order"),
    (RIGHT + np.arange(6).reshape(2, 3) * [[1], [-1]], None,
     "relative error ~1e0; the first wrong entry [0, 1] is -1 instead of -2"),
])
def test_each_relation_is_named(got, rows, phrase):
    assert describe(got, RIGHT, rows) == phrase


def test_a_transpose_is_named_for_square_matrices():
    square = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert describe(square.T, square) == "it is the transpose of the right matrix"


def test_a_factor_of_n_is_not_named_n_when_there_is_no_batch_or_it_is_tiny():
    assert describe(2 * RIGHT, RIGHT, rows=2) == "it is a factor 2 times the right value"
    assert describe(6 * RIGHT, RIGHT) == "it is a factor 6 times the right value"


def test_single_numbers_are_compared_by_value_not_by_factor():
    assert describe(np.array(2.5), np.array(2.0)) == "relative error ~1e-1; the first wrong entry is 2.5 instead of 2"
    assert describe(np.array(4.0), np.array(2.0)) == "it is a factor 2 times the right value"
    assert describe(np.array(-2.0), np.array(2.0)) == "it has the wrong sign (it is minus the right value)"


def test_a_uniform_scale_too_close_to_1_is_described_by_its_entries():
    assert describe(RIGHT * 1.0004, RIGHT).startswith("relative error ~1e-4; the first wrong entry [0, 0] is 1.0004")


def test_the_description_never_prints_more_than_one_entry():
    big = np.random.default_rng(0).normal(size=(50, 10))
    assert len(describe(big + np.random.default_rng(1).normal(size=(50, 10)), big)) < 120


def test_magnitude_rounds_to_the_nearest_power_of_ten():
    assert [magnitude(e) for e in (3e-11, 3.3e-11, 0.5, 0.0)] == ["~1e-11", "~1e-10", "~1e0", "0"]


def test_each_relation_holds_up_to_its_edge():
    assert describe(3 * RIGHT, RIGHT, rows=3) == "it is a factor N = 3 times the right value"  # the smallest N named
    assert describe(RIGHT + 1, RIGHT) == "every entry is off by the same 1"
    assert describe(np.array([1.75, 2.75]), np.array([1.0, 2.0])) == "every entry is off by the same 0.75"
    unit = np.array([1.0, 0.0, 0.0, 0.0])  # a squared norm of exactly 1
    assert describe(2 * unit, unit) == "it is a factor 2 times the right value"
    assert describe(np.array([1.0, 2.0, 9.0, 4.0]), np.array([1.0, 2.0, 3.0, 4.0])) == (
        "1 of its 4 entries are wrong; the first wrong entry [2] is 9 instead of 3")
    half_wrong = RIGHT.copy()
    half_wrong[0, 1], half_wrong[1, 0], half_wrong[1, 1] = 7.0, 8.0, -4.0
    assert describe(half_wrong, RIGHT) == ("3 of its 6 entries are wrong; the first wrong entry [0, 1] is 7 instead "
                                           "of -2")


def test_an_answer_for_a_zero_right_value_is_described_by_its_entries():
    assert describe(np.array([1.0, 2.0, 3.0]), np.zeros(3)) == ("relative error ~1e0; the first wrong entry [0] is 1 "
                                                              "instead of 0")
    assert describe(np.array([1.5e-6, 5.0, 0, 0, 0, 0]), np.zeros(6)) == (
        "2 of its 6 entries are wrong; the first wrong entry [0] is 1.5e-06 instead of 0")  # 1e-6 of 1 is wrong


def test_an_entry_is_wrong_by_its_distance_relative_to_the_largest_right_entry():
    right = np.array([[0.0, -2.0, 1.0], [3.0, 0.25, -1.5]])
    got = right.copy()
    got[0, 0], got[1, 2] = 2e-6, 9.0  # 2e-6 off a 0 is within 1e-6 of the largest entry, 3: right enough
    assert describe(got, right) == "1 of its 6 entries are wrong; the first wrong entry [1, 2] is 9 instead of -1.5"
    got[0, 1] = -2.0 * (1 + 4e-6)  # but 8e-6 off -2 is more than 1e-6 of 3 plus 1e-6 of 2
    assert describe(got, right) == ("2 of its 6 entries are wrong; the first wrong entry [0, 1] is -2.000008 instead "
                                    "of -2")


def test_rows_in_another_order_are_matched_by_all_their_entries():
    # rows 1 and 2 differ in the middle only: sorting by the first and last entries alone would not match them
    right = np.array([[1.0, 0.0, 1.0], [1.0, 9.0, 1.0], [5.0, 5.0, 5.0], [6.0, 6.0, 6.0]])
    for rows in (right, right[[1, 0, 2, 3]]):
        assert describe(rows[::-1], rows) == "it has the right rows in another order"


def test_a_boolean_right_value_is_compared_as_numbers():
    assert describe(np.array([1.0, 1.0, 0.0]), np.array([True, False, False])) == (
        "relative error ~1e0; the first wrong entry [1] is 1 instead of 0")


def test_entries_that_each_differ_only_a_little_are_said_to():
    # off by 2**-19 (1.9e-6) each way, no factor and no offset: each entry within 1e-6 + 1e-6 of 1, the whole not
    got = np.ones(4) + 2.0**-19 * np.array([1, -1, 1, -1])
    assert describe(got, np.ones(4)) == "0 of its 4 entries are wrong; the entries differ only a little each"
