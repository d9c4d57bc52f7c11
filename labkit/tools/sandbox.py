"""Student kernels in a sandbox: bubblewrap, no network, the notebook's own folder the only writable place.

``nbgrader autograde`` runs every student's code with the rights of whoever grades: it could
read the solutions, write the gradebook, read other students' work, open connections, and
take the machine's memory and processes. ``SandboxedKernelManager`` (nbgrader's
``c.Execute.kernel_manager_class``; ``labkit.tools.nbgrader_config.configure`` sets it)
starts each kernel inside bubblewrap instead:

- namespaces of its own: a network with nothing but its own loopback, processes (it sees
  only its own), users (no capabilities, and no nested namespaces to get them back);
- a file system that holds only the system (``/usr``), the kernel's Python and labkit,
  the MNIST cache, all read-only; a small private ``/tmp``; and the folder of the notebook
  being graded (nbgrader's scratch copy in ``autograded/``), the one writable place. The
  course's source, release, gradebook and exchange, and every other student, are not
  there at all, so there is nothing to hide;
- the kernel talks to nbgrader over unix sockets (jupyter's ``ipc`` transport) in a private
  folder bound into the sandbox, since its network namespace cuts off loopback TCP;
- limits: memory per process (RLIMIT_AS: a runaway allocation raises MemoryError in its
  cell) and processes (RLIMIT_NPROC, which counts threads), both set inside the sandbox's
  user namespace, where Linux (5.14 and newer) counts only the sandbox's own processes.
  Where this process may make cgroups (root, as a rule), a cgroup also bounds the memory,
  processes and CPUs of the whole sandbox together (``labkit.tools.cgroup``): Linux never
  applies RLIMIT_NPROC to root, and many processes could each stay under RLIMIT_AS.
  A wall-time limit kills the kernel;
- nothing outlives the kernel: killing bwrap ends its pid namespace, and
  ``--die-with-parent`` ends it when the grading process dies.

Two hooks for grading kernels: ``kernel_module`` (the kernel runs as
``python -m <kernel_module> -f <connection file>``) and ``pass_fds`` (file descriptors of the
grading process that the kernel inherits, e.g. a write-only log whose file the sandbox does
not show).
"""

from __future__ import annotations

import os
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, CaselessStrEnum, Float, Integer, List, Unicode, default

from . import cgroup, mnist

SYSTEM_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")  # symlinks into /usr on a merged-/usr system
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf",
             "mime.types")  # what Python and its libraries read in /etc; /etc/shadow and the like stay out
ENV_KEPT = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
            "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LABKIT_THREADS", "NBGRADER_EXECUTION", "PYTHONHASHSEED")
HOME = "/tmp/home"
TMP_BYTES = 64 * 2**20  # the private /tmp is memory: keep it small
MIB = 2**20


def sandbox_memory(process_memory: int) -> int:
    """The cgroup's bound on a whole sandbox, a quarter above the bound on each process: a runaway allocation in
    one process must meet its own RLIMIT_AS (a MemoryError in its cell) first; at the cgroup's bound Linux
    reclaims the pages of mapped libraries, and the kernel crawls for minutes before the OOM killer acts."""
    return process_memory + process_memory // 4


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot make a sandbox on this machine."""


def require_bubblewrap(bwrap: str = "bwrap") -> str:
    """The path of a working bwrap; raise SandboxUnavailable saying what to do if there is none."""
    path = shutil.which(bwrap)
    if path is None:
        raise SandboxUnavailable(
            f"bubblewrap ({bwrap}) is not installed, so students' code cannot be sandboxed. Install it "
            "(Debian: `apt-get install bubblewrap`), or grade without a sandbox at your own risk: "
            "`labkit grade --unsandboxed` (students' code then runs with your rights).")
    probe = subprocess.run([path, *_namespaces(), "--ro-bind", "/", "/", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise SandboxUnavailable(
            f"bubblewrap cannot make a sandbox here: {probe.stderr.strip() or f'exit {probe.returncode}'}. "
            "It needs user namespaces (sysctl user.max_user_namespaces > 0; in a container, one that allows "
            "them), or grade without a sandbox at your own risk: `labkit grade --unsandboxed`.")
    return path


def _namespaces() -> list[str]:
    # --as-pid-1: with bwrap's own init as pid 1, the kernel's CPU time never reaches the grader's rusage
    return ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--as-pid-1"]


def python_roots() -> list[Path]:
    """The folders the kernel's Python needs to read: its installation, its site-packages, and labkit."""
    roots: set[str | Path] = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                              *site.getsitepackages(),
                              Path(__file__).resolve().parents[1]}  # labkit: maybe an editable install elsewhere
    if site.ENABLE_USER_SITE and site.getusersitepackages() in sys.path:
        roots.add(site.getusersitepackages())
    return outermost(Path(root) for root in roots)


def outermost(paths) -> list[Path]:
    """The existing paths among ``paths`` that lie inside no other of them (resolved, sorted)."""
    resolved = sorted({Path(p).resolve() for p in paths if Path(p).exists()})
    return [p for p in resolved if not any(q != p and p.is_relative_to(q) for q in resolved)]


def bwrap_command(kernel: list[str], scratch: Path, runtime: Path, read_only: list[Path],
                  home_files: dict[Path, str], memory: int, processes: int, bwrap: str = "bwrap") -> list[str]:
    """The bwrap command line that runs ``kernel`` in a sandbox.

    scratch: the one writable folder, also the working directory. runtime: the folder of the
    connection file and sockets. read_only: folders shown read-only at their own paths.
    home_files: files shown read-only in the sandbox's home (host path -> path under HOME).
    memory: bytes per process; processes: processes and threads together.
    """
    cmd = [bwrap, *_namespaces(), "--proc", "/proc", "--dev", "/dev",
           "--size", str(TMP_BYTES), "--tmpfs", "/tmp", "--dir", HOME, "--ro-bind", "/usr", "/usr"]
    for name in SYSTEM_LINKS:
        path = Path("/") / name
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            cmd += ["--ro-bind", str(path), str(path)]
    for name in ETC_FILES:
        cmd += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for path in read_only:
        cmd += ["--ro-bind", str(path), str(path)]
    for source, target in home_files.items():
        cmd += ["--ro-bind", str(source), f"{HOME}/{target}"]
    cmd += ["--bind", str(runtime), str(runtime), "--bind", str(scratch), str(scratch), "--chdir", str(scratch)]
    cmd += ["--remount-ro", "/"]  # the folders bwrap made for the mounts: else writable memory without a bound
    # the limits are set inside the new user namespace, so that RLIMIT_NPROC counts the sandbox's processes only
    return cmd + ["prlimit", f"--as={memory}", f"--nproc={processes}", "--core=0", "--", *kernel]


def matplotlib_cache() -> dict[Path, str]:
    """matplotlib's font list of the grading user, to be shown in the sandbox's home: without it every kernel
    spends most of a second building it again."""
    folder = Path(os.environ.get("MPLCONFIGDIR") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")) / "matplotlib")
    folder = folder.expanduser()
    return {file: f".cache/matplotlib/{file.name}" for file in sorted(folder.glob("fontlist-*.json"))}


def sandbox_env(env: dict[str, str], data_dir: str) -> dict[str, str]:
    """The kernel's environment: the locale and thread settings of ``env``, nothing else of it (it may hold
    tokens), and the sandbox's own home, temporary folder and MNIST cache."""
    kept = {name: env[name] for name in ENV_KEPT if name in env}
    return {**kept, "HOME": HOME, "TMPDIR": "/tmp", "LABKIT_DATA": data_dir,
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}


def exit_description(code: int) -> str:
    """What bwrap's exit code says of the kernel: 128 + N is signal N (bwrap's own way to pass it on)."""
    if code > 128 and code - 128 in signal.valid_signals():
        return f"signal {signal.Signals(code - 128).name}"
    return f"exit code {code}"


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that runs each kernel in a bubblewrap sandbox, with memory, process and time limits."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True,
                                help="ipc: unix sockets, the only way into a sandbox without a network.")
    kernel_module = Unicode("ipykernel_launcher", config=True,
                            help="The kernel runs as `python -m <kernel_module> -f <connection file>`.")
    pass_fds = List(Integer(), help="File descriptors of this process that the kernel inherits (set before start).")
    sandbox = Bool(True, config=True,
                   help="False runs the kernel without bubblewrap or limits but the time limit, with the rights of "
                        "whoever grades (`labkit grade --unsandboxed`).")
    bwrap = Unicode("bwrap", config=True, help="The bubblewrap command.")
    memory_mib = Integer(3072, config=True,
                         help="Memory per kernel process, MiB (with a cgroup, the sandbox gets a quarter more).")
    process_limit = Integer(64, config=True,
                            help="Processes and threads in the sandbox; the kernel itself needs about ten, "
                                 "plus one per BLAS thread.")
    cpu_limit = Float(1.0, config=True, help="CPUs the sandbox may keep busy (where a cgroup can be made).")
    time_limit = Float(600.0, config=True, help="Seconds a kernel may live before it is killed.")
    data_dir = Unicode(config=True, help="labkit's data folder (MNIST), shown read-only as $LABKIT_DATA.")
    read_only_paths = List(Unicode(), config=True, help="More folders the kernel may read.")

    @default("data_dir")
    def _data_dir_default(self) -> str:
        return str(mnist.default_cache_dir())

    _scratch: Path | None = None
    _runtime: Path | None = None
    _cgroup: cgroup.Cgroup | None = None
    _watchdog: threading.Timer | None = None

    async def _async_pre_start_kernel(self, **kw):
        if self.sandbox:
            require_bubblewrap(self.bwrap)
        if "cwd" not in kw:
            raise ValueError("a sandboxed kernel needs the folder of its notebook (cwd): it is the only one it sees.")
        self._scratch = Path(kw["cwd"]).resolve()
        self._runtime = Path(tempfile.mkdtemp(prefix="labkit-kernel-"))
        self.connection_file = str(self._runtime / "kernel.json")
        self.ip = str(self._runtime / "socket")  # ipc: the sockets are socket-1, socket-2, ...
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        kernel = [sys.executable, "-m", self.kernel_module, "-f", self.connection_file, *(extra_arguments or [])]
        if not self.sandbox:
            return kernel
        assert self._runtime is not None and self._scratch is not None
        data = Path(self.data_dir)
        read_only = outermost([*python_roots(), *map(Path, self.read_only_paths), *([data] if data.is_dir() else [])])
        return bwrap_command(kernel, self._scratch, self._runtime, read_only,
                             matplotlib_cache(), self.memory_mib * MIB, self.process_limit, self.bwrap)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        kw["pass_fds"] = tuple(self.pass_fds)
        if self.sandbox:
            kw["env"] = sandbox_env(kw.get("env") or dict(os.environ), self.data_dir)
            # no JPY_PARENT_PID: ipykernel would take the sandbox's init (pid 1) for a dead parent and exit;
            # --die-with-parent ends the kernel with this process instead
            kw["independent"] = True
            kw["stdout"] = subprocess.DEVNULL  # ipykernel's console banner; its errors still go to stderr
            self._cgroup = cgroup.create(f"{os.getpid()}-{self.kernel_id}", sandbox_memory(self.memory_mib * MIB),
                                         self.process_limit, self.cpu_limit)
            if self._cgroup is not None:
                kw["preexec_fn"] = self._cgroup.enter
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self._watchdog = threading.Timer(self.time_limit, self._out_of_time)
        self._watchdog.daemon = True
        self._watchdog.start()

    def _out_of_time(self) -> None:
        self.log.error("labkit sandbox: the kernel ran for its time limit (%g s) and was killed", self.time_limit)
        pgid = getattr(self.provisioner, "pgid", None)
        if pgid:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    async def _async_interrupt_kernel(self) -> None:
        # jupyter's default, SIGINT to the kernel's process group, would kill bwrap and the whole sandbox with it;
        # ipykernel interrupts itself when asked on its control channel
        if not self.has_kernel:
            raise RuntimeError("Cannot interrupt kernel. No kernel is running!")
        self._connect_control_socket()
        self.session.send(self._control_socket, self.session.msg("interrupt_request", content={}))

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self._cgroup is not None:
            if self._cgroup.oom_kills():
                self.log.error("labkit sandbox: out of memory: the sandbox went over its %d MiB and its kernel "
                               "was killed", self.memory_mib)
            if refused := self._cgroup.refused_forks():
                self.log.error("labkit sandbox: the process limit (%d processes and threads) refused %d new one(s)",
                               self.process_limit, refused)
            self._cgroup.remove()
            self._cgroup = None
        process = getattr(self.provisioner, "process", None)
        if process is not None and process.poll() not in (0, None, -signal.SIGKILL):
            self.log.error("labkit sandbox: the kernel died (%s); one that runs out of its %d MiB of memory can "
                           "die so", exit_description(process.returncode), self.memory_mib)
        await super()._async_cleanup_resources(restart=restart)
        if self._runtime is not None:
            shutil.rmtree(self._runtime, ignore_errors=True)
            self._runtime = None

    # AsyncKernelManager's public names are aliases of the base class's coroutines: point them at ours
    pre_start_kernel = _async_pre_start_kernel
    interrupt_kernel = _async_interrupt_kernel
    cleanup_resources = _async_cleanup_resources


def describe_limits(config, memory_mib: int | None = None, processes: int | None = None) -> str:
    """One line on the sandbox a grading run gets: the limits given, else the course's, else the defaults, and
    whether a cgroup bounds each sandbox as a whole."""
    mine = config.get("SandboxedKernelManager", {})
    traits = SandboxedKernelManager.class_traits()
    memory = memory_mib or mine.get("memory_mib", traits["memory_mib"].default_value)
    processes = processes or mine.get("process_limit", traits["process_limit"].default_value)
    probe = cgroup.create(f"probe-{os.getpid()}", sandbox_memory(memory * MIB), processes)
    if probe is not None:
        probe.remove()
        scope = f"for each process, and {sandbox_memory(memory * MIB) // MIB} MiB for each sandbox (a cgroup)"
    else:
        scope = "for each process (RLIMIT_AS, RLIMIT_NPROC; this user may not make cgroups)"
    return f"sandboxed (bubblewrap, no network): {memory} MiB and {processes} processes {scope}"
