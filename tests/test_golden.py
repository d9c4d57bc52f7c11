"""Golden messages: the whole message a student reads when one answer of theirs is off, for every answer a check asks.

A check asks the student's code for many answers (every case, shape, layer and learning rate). Here a right
student (tests/students.py) is made wrong in one answer at a time, in a generic way: one entry of one part
moved by 2.5, one entry short, N times the right value (N the batch size), one part short, or None. The check
must then fail, and its whole message (which names the case and says how the answer differs, with numbers of
the check's own data) must be the one recorded in tests/golden_messages.json; a check that passes records
"passed" and its return value. So a changed case name, size, seed or message is seen, as a student would see it.

After a deliberate change to a message or to a check's data, record the messages again and read the diff:
    LABKIT_GOLDEN=update python -m pytest tests/test_golden.py
"""

import functools
import json
import os
import traceback
from pathlib import Path

import numpy as np
import pytest

from labkit import exercises
from labkit.ownwork import LABKIT
from tests import students

GOLDEN = Path(__file__).with_name("golden_messages.json")
UPDATE = os.environ.get("LABKIT_GOLDEN") == "update"
METHODS = ("forward", "backward", "derivative", "step")
SPOILS = {  # how a part of an answer is spoiled: (whether it applies to the part, what the part becomes), given the
    # part and the batch size N of the call (the rows of its first 2-D array argument, or None)
    "one entry moved": (lambda a, n: not _nested(a), lambda a, n: _moved(a)),
    "one entry short": (lambda a, n: not _nested(a) and np.ndim(a) > 0, lambda a, n: np.asarray(a)[..., :-1]),
    "N times": (lambda a, n: not _nested(a) and n is not None, lambda a, n: n * np.asarray(a)),
    "one part short": (lambda a, n: _nested(a), lambda a, n: type(a)(a[:-1])),
    "None": (lambda a, n: True, lambda a, n: None),
}
# monte_carlo's later answers feed its study of the standard error (16 runs, a second in all): its first two only
ANSWERS = {"monte_carlo": 2}


def _moved(value):
    """value (an array or a number) with its last entry moved by 2.5: no factor, sign or offset of the right one."""
    array = np.array(value, dtype=float)
    array.flat[-1] += 2.5
    return array if array.ndim else float(array)


def _nested(value):
    return type(value) in (list, tuple) and len(value) > 0


def _parts(result):
    """The path to every part of a result: () for the whole, (1,) for grad_b and (1, 0) for grad_b[0] of
    (grad_W, grad_b)."""
    if _nested(result):
        return [(), *((k, *path) for k, part in enumerate(result) for path in _parts(part))]
    return [()]


def _at(result, path):
    return _at(result[path[0]], path[1:]) if path else result


def _batch_size(args):
    return next((len(a) for a in args if isinstance(a, np.ndarray) and a.ndim == 2), None)


def _spoiled(result, path, spoil, n):
    if not path:
        return spoil(result, n)
    parts = list(result)
    parts[path[0]] = _spoiled(result[path[0]], path[1:], spoil, n)
    return type(result)(parts)


class Saboteur:
    """Hands a check the student's code with answer number ``at`` (counted over all of it) spoiled at ``path``.

    Every answer is noted in ``answers``, for the runs that spoil its parts one by one.
    """

    def __init__(self, at=None, path=(), spoil=None):
        self.at, self.path, self.spoil, self.answers = at, path, spoil, []

    def _wrap(self, function):
        @functools.wraps(function)  # the check names the student's function and its parameters
        def answer(*args):
            result, n = function(*args), _batch_size(args)
            self.answers.append((result, n))
            return _spoiled(result, self.path, self.spoil, n) if len(self.answers) - 1 == self.at else result
        return answer

    def student(self, code):
        if isinstance(code, type):  # a class: its methods are the answers
            return type(code.__name__, (code,), {m: self._wrap(getattr(code, m)) for m in METHODS if hasattr(code, m)})
        if not callable(code):  # an object of the student's class (epoch's cross entropy): one of the class above
            return self.student(type(code))()
        return self._wrap(code)

    def check(self, name, codes):
        return getattr(exercises, name)(*(self.student(code) for code in codes))


def _summary(value):
    """A check's return value as the golden file keeps it: errors below 1e-6 as '< 1e-6', others to 4 digits."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, tuple):
        return [_summary(part) for part in value]
    array = np.asarray(value, dtype=float)
    if np.all(np.abs(array) < 1e-6):
        return "< 1e-6"
    return np.round(array, 4 - int(np.floor(np.log10(np.abs(array).max())))).tolist()


def _spoils(answer, n):
    """(path, how) of every way one answer is spoiled: each of its parts (the whole of it too), each in every way."""
    return [(path, how) for path in _parts(answer) for how, (applies, _) in SPOILS.items()
            if applies(_at(answer, path), n)]


def _verdict(name, codes, at, path, spoil):
    try:
        return ["passed", _summary(Saboteur(at, path, spoil).check(name, codes))]
    except AssertionError as error:
        return str(error)
    except Exception as error:  # noqa: BLE001 (labkit computed with the spoiled value, as with a student's)
        origin = traceback.extract_tb(error.__traceback__)[-1].filename
        said = f": {error}" if origin.startswith(LABKIT) else ""  # labkit's own words; numpy's may change
        return f"raised {type(error).__name__}{said}"


def verdicts(name):
    """{which answer is spoiled and how: what the check says}, for exercise ``name``'s first right student."""
    codes = students.RIGHT[name][0]
    saboteur = Saboteur()
    said = {"nothing spoiled": ["passed", _summary(saboteur.check(name, codes))]}
    for at, (answer, n) in list(enumerate(saboteur.answers))[:ANSWERS.get(name)]:
        for path, how in _spoils(answer, n):
            said[f"answer {at}, part {list(path)}: {how}"] = _verdict(name, codes, at, path, SPOILS[how][1])
    return said


@pytest.fixture(scope="module")
def golden():
    recorded = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    yield recorded
    if UPDATE:
        GOLDEN.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n")


@pytest.mark.parametrize("name", [pytest.param(name, marks=[pytest.mark.mnist] if name == "epoch" else [])
                                  for name in students.RIGHT])
def test_each_spoiled_answer_gets_its_recorded_message(name, golden):
    said = verdicts(name)
    if UPDATE:
        golden[name] = said
    assert said == golden[name]
