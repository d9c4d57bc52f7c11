"""Kernels in labkit's sandbox, for real: bubblewrap, nbclient and ipykernel, with a course laid out around them.

Each test runs a few cells in a SandboxedKernelManager kernel whose notebook folder is a
student's scratch copy inside a course (source, release, gradebook, exchange and another
student beside it) and checks from inside and outside what the sandbox allows. Run by
`make test-grading` (which installs bubblewrap).
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from traitlets.config import Config

from labkit.tools.sandbox import SandboxedKernelManager, SandboxUnavailable


@pytest.fixture
def course(tmp_path):
    """A course folder with everything a kernel must not see, and the scratch folder it may use."""
    for folder in ("source/lab", "release/lab", "submitted/bob/lab", "autograded/bob/lab", "exchange/labkit/inbound"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "source" / "lab" / "02_xor_training.ipynb").write_text("the solutions")
    (tmp_path / "gradebook.db").write_text("the grades")
    (tmp_path / "submitted" / "bob" / "lab" / "02_xor_training.ipynb").write_text("bob's work")
    scratch = tmp_path / "autograded" / "ann" / "lab"
    scratch.mkdir(parents=True)
    return tmp_path, scratch


def run(scratch: Path, cells: list[str], settings: dict | None = None, fds: tuple[int, ...] = (), timeout: int = 60):
    """Execute ``cells`` in a sandboxed kernel in ``scratch``; each cell's text output (or 'Name: value' error)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    config = Config({"SandboxedKernelManager": settings or {}})
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
                            kernel_manager_class=SandboxedKernelManager, config=config,
                            resources={"metadata": {"path": str(scratch)}})
    client.create_kernel_manager().pass_fds = list(fds)
    client.execute()
    return [text(cell) for cell in nb.cells]


def text(cell) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
        elif "text/plain" in output.get("data", {}):
            parts.append(output.data["text/plain"])
    return "".join(parts).strip()


def test_the_course_and_the_graders_files_are_not_there(course):
    root, scratch = course
    secret = Path(tempfile.mkstemp(dir=Path.home(), prefix=".labkit-test-")[1])  # a file in the grader's home
    try:
        listing, source, gradebook, bob, relative, home = run(scratch, [
            f"import os; print(sorted(os.listdir({str(root)!r})), sorted(os.listdir({str(root / 'autograded')!r})))",
            f"open({str(root / 'source' / 'lab' / '02_xor_training.ipynb')!r}).read()",
            f"open({str(root / 'gradebook.db')!r}, 'a').write('x')",
            f"open({str(root / 'submitted' / 'bob' / 'lab' / '02_xor_training.ipynb')!r}).read()",
            "open('../../../source/lab/02_xor_training.ipynb').read()",
            f"print(os.path.exists({str(secret)!r}), os.listdir({str(root.parent)!r}), os.environ['HOME'])",
        ])
    finally:
        secret.unlink()
    assert listing == "['autograded'] ['ann']"
    for attempt in (source, bob, relative):
        assert attempt.startswith("FileNotFoundError"), attempt
    assert home == f"False ['{root.name}'] /tmp/home"  # nor the folders of the other tests beside it
    # opening it made a new file where the sandbox has one: read-only root, or here the private /tmp (pytest's
    # folders are in /tmp); the real gradebook is untouched
    assert gradebook == "1" or gradebook.startswith("OSError: [Errno 30] Read-only file system"), gradebook
    assert (root / "gradebook.db").read_text() == "the grades"


def test_only_the_scratch_folder_and_a_small_tmp_are_writable(course):
    root, scratch = course
    mine, *elsewhere, tmp, full = run(scratch, [
        "open('mine.txt', 'w').write('ok'); print(open('mine.txt').read())",
        "open('/usr/evil', 'w')",
        "import sys; open(sys.prefix + '/evil', 'w')",
        "open('/evil', 'w')",
        "open('/tmp/scratch', 'w').write('x'); print('tmp ok')",
        "open('/tmp/big', 'wb').write(bytes(100 * 2**20))",
    ])
    assert mine == "ok" and (scratch / "mine.txt").read_text() == "ok"
    for attempt in elsewhere:
        assert attempt.startswith("OSError: [Errno 30] Read-only file system"), attempt
    assert tmp == "tmp ok" and full.startswith("OSError: [Errno 28] No space left on device")


def test_no_network_not_even_the_graders_loopback(course):
    _, scratch = course
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        (attempt,) = run(scratch, [f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3)"])
        with pytest.raises(TimeoutError):
            listener.accept()
    assert attempt.startswith("ConnectionRefusedError"), attempt


def test_the_kernel_sees_no_secrets_of_the_graders_environment(course, monkeypatch):
    _, scratch = course
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "the-instructors-token")
    (env,) = run(scratch, ["import os; print(sorted(os.environ))"])
    assert "JUPYTERHUB_API_TOKEN" not in env and "LABKIT_DATA" in env


def test_an_inherited_fd_reaches_out_of_the_sandbox_and_its_file_stays_invisible(course, tmp_path_factory):
    _, scratch = course
    log = tmp_path_factory.mktemp("grader") / "kernel.log"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        wrote, seen = run(scratch, [f"import os; print(os.write({fd}, b'from the kernel\\n'))",
                                    f"print(os.path.exists({str(log)!r}))"], fds=(fd,))
    finally:
        os.close(fd)
    assert (wrote, seen) == ("16", "False")
    assert log.read_text() == "from the kernel\n"


def test_the_kernel_runs_the_module_it_is_given(course):
    _, scratch = course
    (argv0,) = run(scratch, ["import sys; print(sys.argv[0])"], {"kernel_module": "ipykernel"})
    assert argv0.endswith("ipykernel/__main__.py")


def test_memory_beyond_the_limit_fails_in_its_cell_and_the_kernel_goes_on(course):
    _, scratch = course
    hog, after = run(scratch, ["blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 2**20))",
                               "del blocks; print('still here')"], {"memory_mib": 1024})
    assert hog == "MemoryError:" and after == "still here"


def test_processes_are_limited_and_none_outlives_the_kernel(course):
    _, scratch = course
    marker = f"{time.time():.6f}"  # an argument no other process has
    bomb = ("import os\nstarted = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            os.setsid()\n"
            f"            os.execvp('sleep', ['sleep', '{marker}'])\n        started += 1\n"
            "except OSError as e:\n    print(started, e.strerror)")
    (result,) = run(scratch, [bomb], {"process_limit": 32})
    started, reason = result.split(" ", 1)
    assert 10 < int(started) < 32 and reason == "Resource temporarily unavailable"
    time.sleep(0.5)
    survivors = [p for p in Path("/proc").glob("[0-9]*") if marker in _cmdline(p)]
    assert survivors == []  # setsid escaped the process group, not the pid namespace


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_an_interrupted_cell_lets_the_next_one_run(course):
    _, scratch = course
    looping, after = run(scratch, ["while True:\n    pass", "print('next')"], timeout=3)
    assert looping.startswith("KeyboardInterrupt") or looping == "CellTimeoutError:"
    assert after == "next"


def test_a_kernel_over_its_wall_time_is_killed(course):
    _, scratch = course
    started = time.monotonic()
    with pytest.raises(DeadKernelError):
        run(scratch, ["import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(300)"],
            {"time_limit": 5.0}, timeout=120)
    assert time.monotonic() - started < 60


def test_without_bubblewrap_the_kernel_is_refused(course):
    _, scratch = course
    with pytest.raises(SandboxUnavailable, match="bubblewrap \\(no-such-bwrap\\) is not installed"):
        run(scratch, ["print(1)"], {"bwrap": "no-such-bwrap"})


def test_unsandboxed_on_request_the_kernel_sees_everything(course):
    root, scratch = course
    (listing,) = run(scratch, [f"import json, os; print(json.dumps(sorted(os.listdir({str(root)!r}))))"],
                     {"sandbox": False})
    assert "source" in json.loads(listing)  # what the sandbox is there to prevent
