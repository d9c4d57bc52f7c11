"""A cgroup for one sandbox: the memory and the number of processes of everything in it, together.

RLIMIT_AS and RLIMIT_NPROC bound a sandbox process by process, and Linux never applies
RLIMIT_NPROC to root. A cgroup bounds the sandbox as a whole: its processes together may
hold no more than ``memory`` bytes (the kernel's OOM killer ends one of them past that), be
no more than ``processes`` tasks (threads count), and use no more than ``cpus`` CPUs, so
that a submission that spins many processes slows only itself. Only a process allowed to write the
cgroup tree (root, as a rule) can make one; elsewhere ``create`` returns None and the
rlimits stand alone. Both layouts are handled: cgroup v2 (one tree, Debian 12's default)
and v1 (one tree per controller, older systems and some containers).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "labkit"  # every sandbox's cgroup is a child of this one


@dataclass
class Cgroup:
    """The folders of one cgroup (one in v2, one per controller in v1) and the files that count its OOM kills and
    the forks its process limit refused."""

    folders: list[Path]
    events: Path
    pids_events: Path

    def enter(self) -> None:
        """Move the calling process into the cgroup; its children are born inside (a Popen preexec_fn)."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def oom_kills(self) -> int:
        """How many of its processes the kernel killed for going over the memory limit."""
        return _count(self.events, "oom_kill")

    def refused_forks(self) -> int:
        """How many new processes or threads the process limit refused."""
        return _count(self.pids_events, "max")

    def remove(self, wait: float = 5.0) -> None:
        """Delete the cgroup once its last process has gone (Linux reaps a killed tree in a moment)."""
        deadline = time.monotonic() + wait
        for folder in self.folders:
            while True:
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # still busy: processes are being reaped
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)


PERIOD = 100_000  # microseconds of the CPU quota's accounting period


def create(name: str, memory: int, processes: int, cpus: float = 1.0, root: Path = ROOT) -> Cgroup | None:
    """A new cgroup ``labkit/<name>`` limited to ``memory`` bytes, ``processes`` tasks and ``cpus`` CPUs, or None
    if this process may not make one."""
    quota = round(cpus * PERIOD)
    v2 = (root / "cgroup.controllers").exists()
    made: list[Path] = []
    try:
        if v2:
            parent = root / PARENT
            parent.mkdir(exist_ok=True)
            for folder in (root, parent):  # the controllers must be handed down to the children
                _enable(folder / "cgroup.subtree_control", ("cpu", "memory", "pids"))
            folder = parent / name
            folder.mkdir()
            made.append(folder)
            (folder / "memory.max").write_text(str(memory))
            if (folder / "memory.swap.max").exists():  # the limit means RAM and swap together
                (folder / "memory.swap.max").write_text("0")
            (folder / "pids.max").write_text(str(processes))
            (folder / "cpu.max").write_text(f"{quota} {PERIOD}")
            return Cgroup(made, folder / "memory.events", folder / "pids.events")
        for controller in ("pids", "memory", "cpu"):
            folder = root / controller / PARENT / name
            folder.mkdir(parents=True)
            made.append(folder)
        pids, mem, cpu = made
        (pids / "pids.max").write_text(str(processes))
        (cpu / "cpu.cfs_period_us").write_text(str(PERIOD))
        (cpu / "cpu.cfs_quota_us").write_text(str(quota))
        (mem / "memory.limit_in_bytes").write_text(str(memory))
        if (mem / "memory.memsw.limit_in_bytes").exists():  # RAM and swap together; set after the RAM limit
            (mem / "memory.memsw.limit_in_bytes").write_text(str(memory))
        return Cgroup(made, mem / "memory.oom_control", pids / "pids.events")
    except OSError:
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass
        return None


def _count(events: Path, key: str) -> int:
    """The number after ``key`` in a cgroup events file ("oom_kill 2"), 0 if it is not there."""
    for line in events.read_text().splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


def _enable(subtree_control: Path, controllers: tuple[str, ...]) -> None:
    enabled = subtree_control.read_text().split()
    missing = [c for c in controllers if c not in enabled]
    if missing:
        subtree_control.write_text(" ".join(f"+{c}" for c in missing))
