"""Running a student's function inside a check, so that the check grades the student's own work.

``run(function, *args, may_use=...)`` calls it as the notebook would, and makes sure it behaved as an
exercise must:

- it gets copies of its arguments, so that changing an object it is handed (a loss's method, say)
  cannot change what the check compares with; an array it changed in place is reported (unless the
  exercise asks for that, ``changes``);
- it does not reach labkit's own answer: while it runs, a profile hook sees every Python function
  entered, and labkit code entered on behalf of the student's code (however reached: a module
  attribute, an alias captured earlier, a subclass, a wrapper, a numpy callback) fails the check,
  unless the exercise declares it as something it may use (``may_use``: the activations' methods that
  backprop is handed, say). Starting a thread or switching the hook off fails it too.

Plain numpy is always allowed: the exercises are about writing the maths with it.
"""

from __future__ import annotations

import _thread
import copy
import functools
import gc
import inspect
import linecache
import os
import re
import sys
import sysconfig
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import Any

import numpy as np

LABKIT = os.path.dirname(os.path.abspath(__file__))
# installed libraries and the standard library: neither the student's code nor labkit's
_LIBRARIES = tuple({os.path.abspath(p) for p in sysconfig.get_paths().values()} |
                   {os.path.abspath(sys.prefix), os.path.abspath(sys.base_prefix)})
_THREAD_STARTS = tuple(getattr(_thread, name) for name in ("start_new_thread", "start_joinable_thread")
                       if hasattr(_thread, name))
_SWITCHES = (sys.setprofile, sys.settrace)
ALWAYS = ("__init__", "__repr__", "__str__", "__format__")  # making or printing an object computes no answer


@dataclass(frozen=True)
class Tools:
    """What of labkit an exercise may use, and how a message says it ("the activations' forward and derivative")."""

    functions: tuple[Callable[..., Any], ...] = ()
    description: str = ""

    def __add__(self, other: Tools) -> Tools:
        return Tools(self.functions + other.functions, " and ".join(d for d in (self.description, other.description)
                                                                    if d))


NOTHING = Tools()


def run(function: Callable[..., Any], *args: Any, may_use: Tools = NOTHING, changes: Iterable[int] = (),
        copies: bool = True) -> Any:
    """function(*args) under the watch; AssertionError if it reached labkit code not in ``may_use`` or changed an
    array among its arguments (lists and tuples are looked into) other than those at the positions ``changes``.

    The arguments at ``changes`` are passed as they are (the exercise updates them in place), the others as
    copies; copies=False passes every argument itself (an exercise whose function reads an array from outside).
    """
    changes = set(changes)
    handed = [arg for arg in args if inspect.isfunction(arg)]  # what the check hands over is there to be called
    given = [arg if k in changes or not copies else copy.deepcopy(arg) for k, arg in enumerate(args)]
    before = {k: copy.deepcopy(arg) for k, arg in enumerate(args) if k not in changes}
    gc.freeze()  # what exists now is not the student's: the collection below looks at the call's objects only
    try:
        with Watch(Tools(may_use.functions + tuple(handed), may_use.description)) as watch:
            result = function(*given)
            gc.collect()  # what the student's code left to be collected is finalized now, under the watch
    finally:
        gc.unfreeze()
    watch.verdict(_name(function))
    for k, old in before.items():
        where = _changed(old, given[k])
        if where is not None:
            raise AssertionError(f"{_name(function)} changes its argument {_parameter(function, k)}{where} in place: "
                                 "leave the arrays it is given as they are (compute new ones, or work on a copy).")
    return result


class Watch:
    """A profile hook, for the duration of a ``with`` block, that notes labkit code entered on the student's behalf.

    A frame is the student's when its code lies neither in labkit nor in an installed library or the
    standard library (a notebook cell, a file of the student's, code made with exec). Labkit code is
    entered on the student's behalf when the nearest caller that is not a library is the student's.
    """

    def __init__(self, may_use: Tools = NOTHING):
        self.allowed, self.description = {_identity(_code(f)) for f in may_use.functions}, may_use.description
        self.reached: list[str] = []  # one line per thing seen, e.g. "labkit.losses.BinaryCrossEntropy.forward"
        self.hook = self._profile  # one bound method, so that sys.getprofile() can be compared with it

    def __enter__(self) -> Watch:
        sys.audit("labkit.watch.begin")  # a grading sentinel (labkit.tools.sentinel) checks labkit is intact here
        self.previous = sys.getprofile()
        sys.setprofile(self.hook)
        return self

    def __exit__(self, *exc: object) -> None:
        switched_off = sys.getprofile() is not self.hook
        sys.setprofile(self.previous)
        sys.audit("labkit.watch.end")  # ... and here, after the student's code has run
        if switched_off and not self.reached:
            self.reached.append("switches off the check's watch (sys.setprofile)")

    def _profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and _is_labkit(frame.f_code.co_filename):
            identity = _identity(frame.f_code)
            if identity not in self.allowed and identity[1].rsplit(".", 1)[-1] not in ALWAYS and identity != _EXIT:
                caller = _nearest_caller(frame.f_back)
                if caller is not None and _identity(caller.f_code) == _RUN:  # labkit's code handed in as the student's
                    self.reached.append(f"is {_qualified(frame)}")
                elif caller is not None and _is_students(caller.f_code.co_filename):
                    self.reached.append(f"calls {_qualified(frame)}{_line(caller)}")
        elif event == "c_call" and (arg in _THREAD_STARTS or arg in _SWITCHES):
            caller = _nearest_caller(frame)
            if caller is not None and _is_students(caller.f_code.co_filename):
                what = "starts a thread" if arg in _THREAD_STARTS else "switches off the check's watch"
                self.reached.append(f"{what}{_line(caller)}")

    def verdict(self, name: str) -> None:
        """AssertionError naming the first labkit function the student's code reached, if any."""
        if self.reached:
            tools = f" and {self.description}" if self.description else ""
            raise AssertionError(f"your {name} {self.reached[0]}: this exercise asks for your own code; it may use "
                                 f"numpy{tools}, nothing else of labkit.")


def _code(function: Callable[..., Any]) -> CodeType:
    code = getattr(inspect.unwrap(function), "__code__", None)
    if code is None:
        raise TypeError(f"may_use takes Python functions of labkit; got {function!r}.")
    return code


@functools.lru_cache(maxsize=4096)
def _identity(code: CodeType) -> tuple[str, str]:
    """(file, qualified name) of a function's code: the same function whichever copy of it runs.

    Mutation testing (``make mutate``) runs each labkit function as a renamed copy, Class.xǁClassǁname__mutmut_orig
    or x_name__mutmut_3, beside the decorated original; the copy is the same function for the watch.
    """
    name = re.sub(r"x(?:ǁ\w+ǁ|_)(\w+?)__mutmut_(?:orig|\d+)$", r"\1", getattr(code, "co_qualname", code.co_name))
    return code.co_filename, name


_RUN, _EXIT = _identity(_code(run)), _identity(_code(Watch.__exit__))  # run's own frames: what they call is handed in


def _nearest_caller(frame: FrameType | None) -> FrameType | None:
    """The nearest frame, from ``frame`` outwards, whose code is not in an installed library (numpy, stdlib)."""
    while frame is not None and _is_library(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def _is_labkit(filename: str) -> bool:
    return filename.startswith(LABKIT) and "/.." not in filename  # '..' could lead out of labkit again


def _is_library(filename: str) -> bool:
    installed = filename.startswith(_LIBRARIES) and "/.." not in filename
    return installed and not _is_labkit(filename) or filename.startswith("<frozen ")


def _is_students(filename: str) -> bool:
    return not _is_labkit(filename) and not _is_library(filename)


def _qualified(frame: FrameType) -> str:
    """'labkit.network.backward_pass', from the frame's module and its code's qualified name."""
    return f"labkit's {frame.f_globals.get('__name__', 'labkit')}.{_identity(frame.f_code)[1]}"


def _line(frame: FrameType) -> str:
    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f" (at `{text}`)" if text else ""


def _changed(old: Any, new: Any) -> str | None:
    """None if ``new`` still equals ``old``; else where it changed ('' for the whole, '[1]' for an entry)."""
    if isinstance(old, np.ndarray) or isinstance(new, np.ndarray):  # (an array replaced by a list is a change too)
        # an entry moved and put back (x[k] += h ... -= h) may differ by rounding
        same = (isinstance(old, np.ndarray) and isinstance(new, np.ndarray) and old.shape == new.shape
                and np.allclose(old, new, rtol=1e-9, atol=1e-12, equal_nan=True))
        return None if same else ""
    if isinstance(old, (list, tuple)):
        if not isinstance(new, (list, tuple)) or len(old) != len(new):
            return ""
        for k, (a, b) in enumerate(zip(old, new)):
            where = _changed(a, b)
            if where is not None:
                return f"[{k}]{where}"
    return None


def _name(function: Callable[..., Any]) -> str:
    """'forward', or 'BinaryCrossEntropy.backward' for a method (without the '<locals>.' of a nested function)."""
    name = getattr(function, "__qualname__", None) or type(function).__name__
    return name.split("<locals>.")[-1]


def _parameter(function: Callable[..., Any], k: int) -> str:
    """The name of the k-th positional parameter, e.g. '`X`', or 'number k + 1' if it has none."""
    try:
        names = [p.name for p in inspect.signature(function).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    return f"`{names[k]}`" if k < len(names) else f"number {k + 1}"


def cost(function: Callable[..., Any], *args: Any) -> tuple[int, int]:
    """How much Python work function(*args) does and the most memory it holds at once: (events, peak bytes).

    Events are the lines the student's own code runs plus every Python function entered; a loop over the
    rows of a batch makes them grow with its size, matrix products do not. The peak is of the memory
    numpy and Python allocate during the call (tracemalloc), above what was allocated before it.
    """
    import tracemalloc

    events = 0

    def count(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        nonlocal events
        events += 1
        return count if event == "call" and _is_students(frame.f_code.co_filename) else None

    tracemalloc.start()
    previous = sys.gettrace()
    sys.settrace(count)
    try:
        function(*copy.deepcopy(args))
    finally:
        sys.settrace(previous)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return events, peak
