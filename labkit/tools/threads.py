"""How many threads numpy's BLAS may use: as many CPUs as this process can really have.

numpy's OpenBLAS starts one thread per core it sees and keeps them spinning. On a
shared machine that backfires: a JupyterHub pod with a CPU limit sees every core of
its host, and when another process keeps a core busy, a GEMM split over both cores
waits for the half that shares its core, several times slower than on one thread.
So when labkit is imported, the pool is sized with threadpoolctl (as scikit-learn
does) to the CPUs the process may use (its CPU affinity and its container's cgroup
CPU quota), and no more than those of its CPUs that other processes leave free. That
is one snapshot, taken over 50 ms at import: a kernel keeps its number until it
restarts. LABKIT_THREADS=n sets the number instead; a user who set
OPENBLAS_NUM_THREADS or OMP_NUM_THREADS keeps what they set.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Collection
from pathlib import Path

from threadpoolctl import threadpool_limits

CGROUP = Path("/sys/fs/cgroup")
USER_SETTINGS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def affinity() -> set[int]:
    """The numbers of the CPUs this process may run on."""
    return os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set(range(os.cpu_count() or 1))


def allowed_cpus(cgroup: Path = CGROUP) -> int:
    """How many CPUs this process may use: its affinity, capped by a cgroup CPU quota if there is one."""
    cpus = len(affinity())
    quota = cgroup_quota(cgroup)
    return max(1, min(cpus, math.floor(quota))) if quota else cpus


def cgroup_quota(cgroup: Path = CGROUP) -> float | None:
    """The container's CPU quota in CPUs (cgroup v2 cpu.max or v1 cfs files), or None if unlimited or unknown."""
    try:
        limit, period = (cgroup / "cpu.max").read_text().split()[:2]  # v2: "max 100000" or "150000 100000"
    except (OSError, ValueError):
        try:  # v1
            limit = (cgroup / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (cgroup / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    if limit in ("max", "-1") or float(period) <= 0:
        return None
    return float(limit) / float(period)


def busy_cpus(seconds: float = 0.05, stat: Path = Path("/proc/stat"), cpus: Collection[int] | None = None) -> float:
    """How many of the CPUs ``cpus`` (default: this process's) other processes keep busy, measured over
    ``seconds`` from the per-CPU lines of /proc/stat (0 where it is missing)."""
    cpus = affinity() if cpus is None else cpus

    def sample() -> tuple[float, float, float]:
        total = idle = 0.0
        for line in stat.read_text().splitlines():
            name, *values = line.split()
            if name[:3] == "cpu" and name[3:].isdigit() and int(name[3:]) in cpus:
                fields = [float(x) for x in values]
                total, idle = total + sum(fields[:8]), idle + fields[3] + fields[4]  # idle + iowait
        return total, idle, time.process_time()

    try:
        total0, idle0, own0 = sample()
        time.sleep(seconds)
        total1, idle1, own1 = sample()
    except (OSError, ValueError, IndexError):
        return 0.0
    elapsed = total1 - total0
    if elapsed <= 0:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    counted = elapsed / (tick * seconds)  # the ticks of every counted CPU add up in the total
    busy = counted * (1 - (idle1 - idle0) / elapsed) - (own1 - own0) / seconds
    return max(0.0, busy)


def blas_threads(environ: os._Environ | dict = os.environ) -> int | None:
    """The number of BLAS threads labkit sets, or None when the user's own setting stands."""
    if "LABKIT_THREADS" in environ:
        value = environ["LABKIT_THREADS"]
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"LABKIT_THREADS must be a whole number >= 1 (the BLAS threads to use); got {value!r}.")
        return int(value)
    if any(name in environ for name in USER_SETTINGS):
        return None
    cpus = allowed_cpus()
    if cpus == 1:
        return 1
    mine = affinity()  # a quota caps how many CPUs, not which: count the free ones among all of them
    return max(1, min(cpus, round(len(mine) - busy_cpus(cpus=mine))))


def size_blas_pool() -> int | None:
    """Set numpy's BLAS thread pool to ``blas_threads()``; returns the number set (None: left as it was)."""
    threads = blas_threads()
    if threads is not None:
        threadpool_limits(limits=threads, user_api="blas")
    return threads
