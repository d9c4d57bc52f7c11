"""The sandbox's command line and environment, read as bubblewrap would (the real sandbox: system_tests)."""

import os
import signal
import sys
from pathlib import Path

import pytest

from labkit.tools import sandbox


def mounts(cmd: list[str]) -> dict[str, list[str]]:
    """bwrap's mount options -> the destinations they make, from a command line."""
    found: dict[str, list[str]] = {}
    i = 0
    while i < len(cmd):
        if cmd[i] in ("--ro-bind", "--ro-bind-try", "--bind", "--symlink"):
            found.setdefault(cmd[i], []).append(cmd[i + 2])
            i += 3
        else:
            i += 1
    return found


def command(tmp_path, **kw):
    scratch, runtime = tmp_path / "course" / "autograded" / "ann" / "lab", tmp_path / "runtime"
    args = dict(kernel=["python", "-m", "ipykernel_launcher", "-f", str(runtime / "kernel.json")], scratch=scratch,
                runtime=runtime, read_only=[Path(sys.prefix)], home_files={tmp_path / "fontlist.json": "f.json"},
                memory=3 * 2**30, processes=64)
    return sandbox.bwrap_command(**{**args, **kw}), scratch, runtime


def test_only_the_scratch_folder_and_the_sockets_are_writable(tmp_path):
    cmd, scratch, runtime = command(tmp_path)
    assert mounts(cmd)["--bind"] == [str(runtime), str(scratch)]
    assert cmd[cmd.index("--remount-ro") + 1] == "/" and cmd.index("--remount-ro") > cmd.index("--chdir")
    assert cmd[cmd.index("--chdir") + 1] == str(scratch)
    read_only = mounts(cmd)["--ro-bind"]
    assert "/usr" in read_only and sys.prefix in read_only and f"{sandbox.HOME}/f.json" in read_only
    assert not any(str(tmp_path / "course") == p for p in read_only)  # the course itself is never shown
    assert all(p.startswith("/etc/") for p in mounts(cmd)["--ro-bind-try"]) and "/etc/shadow" not in cmd


def test_namespaces_cut_the_network_and_end_with_the_grader(tmp_path):
    cmd, _, _ = command(tmp_path)
    for flag in ("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent"):
        assert flag in cmd
    assert "--share-net" not in cmd


def test_limits_are_set_inside_the_sandbox_just_before_the_kernel(tmp_path):
    cmd, _, runtime = command(tmp_path, memory=2**30, processes=40)
    limits = cmd[cmd.index("prlimit"):]
    assert limits[:5] == ["prlimit", f"--as={2**30}", "--nproc=40", "--core=0", "--"]
    assert limits[5:] == ["python", "-m", "ipykernel_launcher", "-f", str(runtime / "kernel.json")]
    assert cmd[0] == "bwrap" and not {"--bind", "--ro-bind", "--chdir"} & set(limits)  # bwrap runs prlimit


def test_merged_usr_links_are_made_as_links(tmp_path):
    cmd, _, _ = command(tmp_path)
    for name in sandbox.SYSTEM_LINKS:
        path = Path("/") / name
        if path.is_symlink():
            assert cmd[cmd.index(str(path)) - 2:cmd.index(str(path))] == ["--symlink", os.readlink(path)]


def test_the_kernel_environment_keeps_locale_and_threads_and_drops_the_rest():
    env = {"LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1", "JUPYTERHUB_API_TOKEN": "secret", "HOME": "/home/ta",
           "PYTHONPATH": "/home/ta/course", "NBGRADER_EXECUTION": "autograde"}
    kernel_env = sandbox.sandbox_env(env, "/srv/labkit-data")
    assert kernel_env["LANG"] == "C.UTF-8" and kernel_env["OPENBLAS_NUM_THREADS"] == "1"
    assert kernel_env["NBGRADER_EXECUTION"] == "autograde"
    assert "JUPYTERHUB_API_TOKEN" not in kernel_env and "PYTHONPATH" not in kernel_env
    assert kernel_env["HOME"] == sandbox.HOME and kernel_env["LABKIT_DATA"] == "/srv/labkit-data"
    assert kernel_env["PATH"].startswith(str(Path(sys.executable).parent))


def test_outermost_keeps_the_folders_no_other_contains(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "c").mkdir()
    assert sandbox.outermost([tmp_path / "a" / "b", tmp_path / "a", tmp_path / "c", tmp_path / "missing"]) == [
        (tmp_path / "a").resolve(), (tmp_path / "c").resolve()]


def test_the_kernels_python_and_labkit_are_readable():
    roots = sandbox.python_roots()
    assert any(Path(sys.base_prefix).resolve().is_relative_to(r) for r in roots)
    assert any(Path(sandbox.__file__).resolve().is_relative_to(r) for r in roots)


def test_bwraps_exit_code_names_the_signal_that_killed_the_kernel():
    assert sandbox.exit_description(128 + signal.SIGSEGV) == "signal SIGSEGV"
    assert sandbox.exit_description(1) == "exit code 1"


def test_missing_bubblewrap_is_refused_with_what_to_do():
    with pytest.raises(sandbox.SandboxUnavailable, match=r"apt-get install bubblewrap.*labkit grade --unsandboxed"):
        sandbox.require_bubblewrap("no-such-bwrap-here")


def test_the_manager_is_configurable_as_nbgraders_execute_wants_it():
    from traitlets.config import Config

    config = Config()
    config.SandboxedKernelManager.kernel_module = "labkit.tools.grading_kernel"
    config.SandboxedKernelManager.memory_mib = 1000
    manager = sandbox.SandboxedKernelManager(config=config)
    assert manager.kernel_module == "labkit.tools.grading_kernel" and manager.memory_mib == 1000
    assert manager.transport == "ipc"  # unix sockets: a sandbox without a network has no loopback TCP to the grader


def test_a_whole_sandbox_may_hold_a_quarter_more_than_one_process():
    # one runaway process meets RLIMIT_AS (a MemoryError it can report) before the cgroup's bound (a crawl, then
    # the OOM killer); the headroom is what the rest of the sandbox's processes may hold besides
    assert sandbox.sandbox_memory(3072 * sandbox.MIB) == 3840 * sandbox.MIB
    assert sandbox.sandbox_memory(4 * sandbox.MIB) == 5 * sandbox.MIB
