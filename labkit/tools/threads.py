"""How many threads numpy's BLAS may use: as many CPUs as this process can really have.

numpy's OpenBLAS starts one thread per core it sees and keeps them spinning. On a
shared machine that backfires: a JupyterHub pod with a CPU limit sees every core of
its host, and when another process keeps a core busy, a GEMM split over both cores
waits for the half that shares its core, several times slower than on one thread.
So when labkit is imported, the pool is sized with threadpoolctl (as scikit-learn
does) to the CPUs the process may use (its CPU affinity and its container's cgroup
CPU quota) minus the CPUs other processes keep busy at that moment. LABKIT_THREADS=n
sets the number instead; a user who set OPENBLAS_NUM_THREADS or OMP_NUM_THREADS
keeps what they set.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

CGROUP = Path("/sys/fs/cgroup")
USER_SETTINGS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def allowed_cpus(cgroup: Path = CGROUP) -> int:
    """CPUs this process may run on: its affinity mask, capped by a cgroup CPU quota if there is one."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
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


def busy_cpus(seconds: float = 0.05, stat: Path = Path("/proc/stat")) -> float:
    """How many CPUs other processes keep busy, measured over ``seconds`` (0 where /proc/stat is missing)."""
    def sample() -> tuple[float, float, float]:
        fields = [float(x) for x in stat.read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
        return sum(fields[:8]), idle, time.process_time()

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
    cpus = elapsed / (tick * seconds)  # every CPU's ticks add up in the total
    busy = cpus * (1 - (idle1 - idle0) / elapsed) - (own1 - own0) / seconds
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
    return max(1, min(cpus, round(cpus - busy_cpus()))) if cpus > 1 else 1


def size_blas_pool() -> int | None:
    """Set numpy's BLAS thread pool to ``blas_threads()``; returns the number set (None: left as it was)."""
    threads = blas_threads()
    if threads is not None:
        threadpool_limits(limits=threads, user_api="blas")
    return threads
