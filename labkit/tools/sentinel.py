"""The grading sentinel: armed in a graded notebook's kernel before any of the student's code runs.

A check decides its verdict in the kernel, where the student's code runs too, so what the kernel
shows cannot be trusted as it stands: the student's code could rebind ``check``, patch numpy or
labkit, or stop later cells from running. The sentinel is an audit hook (``sys.addaudithook``), which
Python gives no way to remove, and it reports out of the kernel on a file descriptor the grader reads:

- **Signed verdicts.** When labkit's own ``Check.__exit__`` ends a check, it raises the audit event
  ``labkit.check``; the sentinel makes sure the code raising it is labkit's, notes the cell that ran
  the ``with check(...)`` (by a hash of its source), and writes a record signed with a key that only
  the sentinel holds (read from a pipe when armed, kept in a closure). A check scores only with such
  a record for its own cell (``labkit.tools.grading`` reads them).
- **Integrity.** Before every cell, at every check's end and around every call of the student's
  code (``labkit.ownwork.run``), it compares labkit's and numpy's modules, their classes, the
  builtins, ``sys.modules`` and IPython's cell machinery with a snapshot taken when it was armed.
- **Blocked from the student's code:** what could reach the key or a check's frames, or escape the
  kernel: gc and frame introspection (frames only while a check runs), code objects made by hand or
  functions' code replaced, tracing and profiling hooks, new audit hooks, ctypes, /proc, processes,
  signals.

Every change or attempt is written as a ``tamper`` record with the cell and line, and the grader holds
the submission for review. Inside the hook no Python-level function that the student could replace is
ever called: everything it uses is captured when it is armed.
"""

from __future__ import annotations

import _hashlib
import builtins
import importlib
import io
import os
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType, FunctionType, ModuleType
from typing import Any

import numpy as np

EVENT = "labkit.check"  # raised by Check.__exit__: (what, passed)
BEGIN, WATCH_BEGIN, WATCH_END = "labkit.check.begin", "labkit.watch.begin", "labkit.watch.end"
EXERCISE = "labkit.exercise"  # raised by an exercise's check in labkit.exercises when it has returned: (name,)
VERDICT_MODULES = ("labkit.exercises", "labkit.checks", "labkit.mistakes", "labkit.ownwork", "labkit.differences",
                   "labkit.tools.mnist")
"""What a check's verdict depends on: imported (with what they import) and snapshotted when the sentinel is armed."""

# the builtins IPython itself sets and removes around every cell, and those the site module adds
VOLATILE_BUILTINS = frozenset({"_", "__", "___", "exit", "quit", "get_ipython", "display", "__IPYTHON__", "input",
                               "raw_input", "getpass",
                               "copyright", "credits", "license", "help", "__builtins__", "_ih", "_oh", "_dh", "In",
                               "Out"})
VOLATILE_SYS = frozenset({"stdout", "stderr", "stdin", "displayhook", "excepthook", "ps1", "ps2", "ps3",
                          "last_type", "last_value", "last_traceback", "last_exc", "path", "path_importer_cache",
                          "meta_path", "path_hooks", "argv", "_git", "breakpointhook", "unraisablehook",
                          "__interactivehook__", "flags"})
SHELL_ATTRIBUTES = ("compile", "input_transformer_manager", "events")
SHELL_LISTS = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers",
               "input_transformer_manager.line_transforms", "input_transformer_manager.token_transformers")
"""The lists a cell's source goes through before it runs (some are properties of the shell, not in its __dict__)."""
SHELL_METHODS = ("run_cell", "run_cell_async", "run_ast_nodes", "run_code", "transform_cell", "should_run_async",
                 "_run_cell")

ALWAYS_BLOCKED = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames",
                            "sys.addaudithook", "sys.settrace", "sys.setprofile", "code.__new__", "function.__new__",
                            "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty",
                            "subprocess.Popen", "os.kill", "os.killpg", "signal.pthread_kill", "pty.spawn",
                            "marshal.loads", "os.symlink", "os.link"})
"""Events the student's code may never cause, itself or through a library (the nearest frame that is no library's
is the student's)."""
DURING_CHECKS = frozenset({"sys._getframe"})
FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
CODE_ATTRIBUTES = frozenset({"__code__", "__defaults__", "__kwdefaults__"})
"""What a function runs and its defaults: changing them for one of labkit's or numpy's changes what it does under
the same name and identity, which the snapshot cannot see."""
OWN = (EVENT, BEGIN, WATCH_BEGIN, WATCH_END, EXERCISE)
TAB, NEWLINE = "\t", "\n"
WATCHED = ALWAYS_BLOCKED | DURING_CHECKS | {"compile", "open", "object.__getattr__", "object.__setattr__",
                                            "object.__delattr__", *OWN}


@dataclass
class Record:
    """One line of the sentinel's log: kind is "pass", "fail" or "tamper"; cell the sha256 of the cell's source."""

    seq: int
    kind: str
    cell: str
    line: int
    text: str


def source_hash(source: str) -> str:
    """The hash by which the sentinel names a cell: sha256 of its source without surrounding whitespace."""
    return _hashlib.openssl_sha256(source.strip().encode()).hexdigest()


def sign(key: bytes, text: str) -> str:
    return _hashlib.hmac_digest(key, text.encode(), "sha256").hex()


def read_records(path: str, key: bytes) -> tuple[list[Record], list[str]]:
    """The records of a sentinel's log and what is wrong with it (lines not signed with ``key``, records missing)."""
    records, problems = [], []
    with open(path, encoding="utf-8", errors="replace") as log:
        for number, line in enumerate(log.read().splitlines(), start=1):
            *fields, mac = line.split("\t")
            if len(fields) != 5 or sign(key, "\t".join(fields)) != mac:
                problems.append(f"line {number} of the grading log is not the sentinel's: something else wrote it")
                continue
            records.append(Record(int(fields[0]), fields[1], fields[2], int(fields[3]), fields[4]))
    if [r.seq for r in records] != list(range(1, len(records) + 1)):
        problems.append("records are missing from the grading log: it was cut or rewritten")
    return records, problems


def arm_from_descriptors(log_fd: int, key_fd: int) -> None:
    """Arm the sentinel with the key read (and the pipe closed) from ``key_fd``, writing records to ``log_fd``."""
    with os.fdopen(key_fd, "rb") as pipe:
        key = pipe.read()
    if len(key) < 16:
        raise ValueError(f"the grading key read from descriptor {key_fd} has {len(key)} bytes; at least 16 expected.")
    arm(log_fd, key)


def arm(log_fd: int, key: bytes) -> None:
    """Install the sentinel's audit hook, writing signed records to ``log_fd``. Call it once, before student code."""
    for name in VERDICT_MODULES:
        importlib.import_module(name)
    snapshot = Snapshot.take()
    sys.addaudithook(_hook(log_fd, bytes(key), snapshot))


class Snapshot:
    """What verdicts depend on, as it was when the sentinel was armed: module and class dictionaries by identity."""

    def __init__(self) -> None:
        self.modules: dict[str, ModuleType] = {}
        self.dicts: list[tuple[str, Any, dict[str, Any]]] = []  # (label, the live dict or mappingproxy, its items)
        self.lists: list[tuple[str, list[Any], tuple[Any, ...]]] = []  # (label, the live list, its items)

    @classmethod
    def take(cls) -> Snapshot:
        snapshot = cls()
        for name, module in list(sys.modules.items()):
            if type(module) is ModuleType and (name == "labkit" or name.startswith(("labkit.", "numpy"))):
                snapshot.modules[name] = module
                snapshot.add(name, vars(module), skip=frozenset({"__warningregistry__"}))
                if name.startswith("labkit"):
                    for value in list(vars(module).values()):
                        if isinstance(value, type) and value.__module__ == name:
                            snapshot.add(f"{name}.{value.__qualname__}", value.__dict__)
        snapshot.add("builtins", vars(builtins), skip=VOLATILE_BUILTINS)
        snapshot.add("sys", vars(sys), skip=VOLATILE_SYS)
        return snapshot

    def add(self, label: str, live: Any, skip: frozenset[str] = frozenset()) -> None:
        self.dicts.append((label, live, {k: v for k, v in live.items() if type(k) is str and k not in skip}))

    def add_shell(self, shell: Any) -> None:
        """IPython's shell, at its first cell: the methods that run a cell and the transformers a cell goes through."""
        self.dicts.append(("IPython's InteractiveShell", vars(type(shell)),
                           {k: v for k, v in vars(type(shell)).items() if k in SHELL_METHODS}))
        attributes = {k: v for k, v in vars(shell).items() if k in SHELL_ATTRIBUTES}
        self.dicts.append(("IPython's shell", vars(shell), attributes))
        for name in SHELL_LISTS:  # their contents matter, not only which list it is
            value = shell
            for part in name.split("."):
                value = getattr(value, part)
            if type(value) is list:
                self.lists.append((f"IPython's {name}", value, tuple(value)))


def _hook(log_fd: int, key: bytes, snapshot: Snapshot) -> Callable[[str, tuple], None]:
    """The audit hook, in a closure that holds the key, the snapshot and everything it calls: the builtins and
    C functions it uses are bound here, never looked up again, so no replaced name can run inside it."""
    _write, _getframe, _type, _str, _int, _bytes, _len, _tuple, range, _open = (
        os.write, sys._getframe, type, str, int, bytes, len, tuple, builtins.range, io.open)
    _modules, _digest, _sha256, _missing = sys.modules, _hashlib.hmac_digest, _hashlib.openssl_sha256, object()
    _function = FunctionType
    labkit_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    libraries = tuple({os.path.abspath(p) for p in sysconfig.get_paths().values()} |
                      {os.path.abspath(sys.prefix), os.path.abspath(sys.base_prefix)})
    protected = (labkit_dir, os.path.dirname(os.path.abspath(np.__file__)))  # the code verdicts depend on
    genuine = _genuine_codes()
    state: dict[str, Any] = {"busy": False, "in_check": False, "seq": 0, "last_cell": "", "shell": False}
    seen: set[tuple[str, str, int]] = set()
    cells: dict[str, str] = {}  # a cell's file name -> the hash of its source

    def record(kind: str, cell: str, line: int, text: str) -> None:
        state["seq"] += 1
        text = text.replace(TAB, " ").replace(NEWLINE, " ")
        fields = f"{state['seq']}{TAB}{kind}{TAB}{cell}{TAB}{line}{TAB}{text}"
        _write(log_fd, (fields + "\t" + _digest(key, fields.encode(), "sha256").hex() + "\n").encode())

    def installed(path: Any) -> bool:
        """Whether a path is of installed code (read-only to the notebook); '..' could lead anywhere from there."""
        return _type(path) is _str and "/.." not in path and path.startswith(libraries)

    def library(frame: FrameType) -> bool:
        filename = frame.f_code.co_filename
        return filename.startswith("<frozen ") or (installed(filename) and not filename.startswith(labkit_dir))

    def labkits_own(source: Any, filename: str) -> bool:
        """Whether code compiled in the name of a labkit file is that file (importlib compiling labkit's source)."""
        if _type(source) is _str:
            source = source.encode("utf-8")
        try:
            with _open(filename, "rb") as file:
                return _type(source) is _bytes and file.read() == source
        except OSError:
            return False

    def imports_installed_code(frame: FrameType | None) -> bool:
        """Whether this marshal.loads is importlib reading the cached bytecode of an installed module or of labkit,
        not a file the notebook could have written (where any bytecode could be)."""
        if frame is None or frame.f_code.co_filename != "<frozen importlib._bootstrap_external>":
            return False
        path: Any = frame.f_locals.get("bytecode_path")
        return _type(path) is _str and "/.." not in path and path.startswith((*libraries, labkit_dir))

    def students(frame: FrameType | None) -> bool:
        """Whether the nearest frame from ``frame`` outwards that is no library's is the student's (not labkit's)."""
        while frame is not None and library(frame):
            frame = frame.f_back
        return frame is not None and not frame.f_code.co_filename.startswith(labkit_dir)

    def nearest(frame: FrameType | None) -> FrameType | None:
        while frame is not None and library(frame):
            frame = frame.f_back
        return frame

    def tamper(text: str, frame: FrameType | None) -> None:
        """Record an attempt against the cell and line of the nearest cell's frame (or of the last cell)."""
        while frame is not None and frame.f_code.co_filename not in cells:  # out of the student's own modules
            frame = frame.f_back
        cell, line = (state["last_cell"], 0) if frame is None else (cells[frame.f_code.co_filename], frame.f_lineno)
        if (text, cell, line) not in seen:
            seen.add((text, cell, line))
            record("tamper", cell, line, text)

    def verify(frame: FrameType | None) -> None:
        """Compare everything verdicts depend on with the snapshot; a change is tampering."""
        for name, module in snapshot.modules.items():
            if _modules.get(name, _missing) is not module:
                tamper(f"sys.modules[{name!r}] was replaced or removed", frame)
        for label, live, items in snapshot.dicts:
            for k in live:  # a key that is no plain str could run code when compared
                if _type(k) is not _str:
                    tamper(f"{label} was given a key that is not a name", frame)
            for k, v in items.items():
                if live.get(k, _missing) is not v:
                    tamper(f"{label}.{k} was replaced or removed", frame)
            if label.startswith("labkit"):  # a new name there could shadow a builtin its code calls (float, len)
                for k in live:  # Python adds dunders of its own (copy's __slotnames__, __warningregistry__)
                    if _type(k) is _str and k not in items and not k.startswith("__") and \
                            not submodule(label, k, live[k]):
                        tamper(f"{label}.{k} was added", frame)
        for label, live_list, entries in snapshot.lists:
            if _len(live_list) != _len(entries) or any_changed(live_list, entries):
                tamper(f"{label} was changed", frame)

    def submodule(label: str, name: str, value: Any) -> bool:
        """Whether ``value`` is the submodule ``name`` of the module ``label`` (imported after the snapshot)."""
        return _type(value) is ModuleType and getattr(value, "__name__", None) == f"{label}.{name}"

    def any_changed(live_list: list[Any], entries: tuple[Any, ...]) -> bool:
        for k in range(_len(entries)):
            if live_list[k] is not entries[k]:
                return True
        return False

    def genuine_caller(event: str, frame: FrameType) -> bool:
        for code, namespace in genuine[event]:
            if frame.f_code is code and frame.f_globals is namespace:
                return True
        return False

    def hook(event: str, args: tuple) -> None:
        if state["busy"] or _type(event) is not _str or (event not in WATCHED and not event.startswith("ctypes.")):
            return
        state["busy"] = True
        try:
            handle(event, args if _type(args) is _tuple else ())
        finally:
            state["busy"] = False

    def handle(event: str, args: tuple) -> None:
        raiser = _getframe(2)  # 0: handle, 1: hook, 2: the frame that raised the event (or called what raised it)
        if event == "compile":
            source, filename = (args + (None, None))[:2]
            if _type(source) is _bytes:  # IPython hands a cell's source to compile as UTF-8
                source = source.decode("utf-8", "replace")
            if _type(filename) is _str and filename.startswith(labkit_dir) and not labkits_own(source, filename):
                tamper("compiles code that claims to be labkit's", nearest(raiser))
                raise PermissionError("labkit's grading does not let a notebook make code in labkit's name.")
            if _type(source) is _str and _type(filename) is _str and "ipykernel_" in filename:
                if students(raiser):  # a cell run from the notebook's code (run_cell, %%capture): no check's own
                    return
                if not state["shell"]:  # the first cell: IPython's shell exists, no student code has run
                    state["shell"] = True
                    snapshot.add_shell(shell_at_arming())
                verify(None)
                cells[filename] = state["last_cell"] = _sha256(source.strip().encode()).hexdigest()
            elif raiser is not None and not library(raiser) and not raiser.f_code.co_filename.startswith(labkit_dir):
                tamper("compiles code of its own (compile, exec or eval)", raiser)
            return
        if event in OWN:
            if not genuine_caller(event, raiser):
                tamper(f"raises labkit's grading event {event} itself", nearest(raiser))
            elif event == BEGIN:
                state["in_check"] = True
            elif event == EVENT:
                state["in_check"] = False
                cell_frame = raiser.f_back
                verify(cell_frame)
                passed = _len(args) == 2 and args[1] is True
                what = args[0] if _len(args) == 2 and _type(args[0]) is _str else "?"
                cell, line = ("?", 0) if cell_frame is None else (cells.get(cell_frame.f_code.co_filename, "?"),
                                                                  cell_frame.f_lineno)
                record("pass" if passed else "fail", cell, line, what)
            elif event == EXERCISE:  # which exercise ran to its end, called from which cell
                caller = raiser.f_back
                name = args[0] if _len(args) == 1 and _type(args[0]) is _str else "?"
                if state["in_check"] and caller is not None:
                    record("exercise", cells.get(caller.f_code.co_filename, "?"), caller.f_lineno, name)
            else:  # the student's code just ran, in a function of some cell: blame the cell that ran last
                verify(None)
            return
        if event == "open":
            path = args[0] if args else None
            proc = (_type(path) is _str and path.startswith("/proc")) or (  # type: ignore[union-attr]
                _type(path) is _bytes and path.startswith(b"/proc"))  # type: ignore[union-attr]
            if (proc or (_type(path) is not _str and _type(path) is not _bytes and _type(path) is not _int)) and \
                    students(raiser):
                tamper("opens a file of /proc" if proc else "opens a file through a path object of its own",
                       nearest(raiser))
                raise PermissionError("labkit's grading does not let a notebook open this file.")
            return
        if event == "object.__getattr__":
            name = args[1] if _len(args) > 1 and _type(args[1]) is _str else ""
            if name in FRAME_ATTRIBUTES and state["in_check"] and students(raiser):
                tamper(f"reaches a frame ({name}) while a check runs", nearest(raiser))
                raise PermissionError("labkit's grading does not let the code under a check look at frames.")
            return
        if event in DURING_CHECKS and not state["in_check"] or not students(raiser):
            return
        if event == "marshal.loads" and imports_installed_code(raiser):
            return
        if event in ("object.__setattr__", "object.__delattr__"):
            name = args[1] if _len(args) > 1 and _type(args[1]) is _str else "?"
            target: Any = args[0] if args else None
            if name not in CODE_ATTRIBUTES or _type(target) is not _function or \
                    not target.__code__.co_filename.startswith(protected):  # libraries change their own as they load
                return
            tamper(f"changes {name} of {target.__module__}.{target.__qualname__}", nearest(raiser))
        else:
            tamper(event, nearest(raiser))
        raise PermissionError(f"labkit's grading does not let a notebook do this ({event}).")

    return hook


def shell_at_arming() -> Any:
    """IPython's shell (the sentinel asks for it at the first cell, before any of the student's code has run)."""
    from IPython import get_ipython

    return get_ipython()


def _genuine_codes() -> dict[str, tuple[tuple[Any, dict[str, Any]], ...]]:
    """For each of labkit's grading events, the code objects that may raise it and the globals they run in."""
    from labkit import checks, exercises, ownwork

    return {EVENT: ((checks.Check.__exit__.__code__, vars(checks)),),
            EXERCISE: ((exercises.bce.__code__, vars(exercises)),),  # every check's wrapper has this code
            BEGIN: ((checks.Check.__enter__.__code__, vars(checks)),),
            WATCH_BEGIN: ((ownwork.Watch.__enter__.__code__, vars(ownwork)),),
            WATCH_END: ((ownwork.Watch.__exit__.__code__, vars(ownwork)),)}
