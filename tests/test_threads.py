"""BLAS threads follow the CPUs the process can really have: affinity, container quota, other busy processes."""

import os
import subprocess
import sys
import time

import pytest

from labkit.tools import threads


def test_cgroup_v2_quota_in_cpus(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert threads.cgroup_quota(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert threads.cgroup_quota(tmp_path) is None


def test_cgroup_v1_quota_in_cpus(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("50000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert threads.cgroup_quota(tmp_path) == 0.5
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert threads.cgroup_quota(tmp_path) is None


def test_no_cgroup_files_means_no_quota(tmp_path):
    assert threads.cgroup_quota(tmp_path) is None


def test_allowed_cpus_is_capped_by_the_quota_and_never_below_one(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert threads.allowed_cpus(tmp_path) == 4
    (tmp_path / "cpu.max").write_text("250000 100000\n")
    assert threads.allowed_cpus(tmp_path) == 2
    (tmp_path / "cpu.max").write_text("20000 100000\n")
    assert threads.allowed_cpus(tmp_path) == 1


def proc_stat(busy: dict[int, int], idle: dict[int, int]) -> str:
    """A /proc/stat with these ticks per CPU (user nice system idle iowait irq softirq steal guest guest_nice)."""
    lines = [f"cpu{n} {busy[n]} 0 0 {idle[n]} 0 0 0 0 0 0" for n in busy]
    total = f"cpu  {sum(busy.values())} 0 0 {sum(idle.values())} 0 0 0 0 0 0"
    return "\n".join([total, *lines, "intr 8026146 0 0", "ctxt 1"]) + "\n"


def test_busy_cpus_counts_what_others_use_on_the_cpus_asked_about(tmp_path, monkeypatch):
    stat, tick = tmp_path / "stat", os.sysconf("SC_CLK_TCK")
    # over 0.5 s, CPU 0 is fully busy, CPUs 1 and 2 idle
    after = proc_stat({0: 1000 + tick // 2, 1: 1000, 2: 1000}, {0: 5000, 1: 5000 + tick // 2, 2: 5000 + tick // 2})
    monkeypatch.setattr(threads.time, "sleep", lambda seconds: stat.write_text(after))
    monkeypatch.setattr(threads.time, "process_time", lambda: 0.0)  # this process itself takes nothing
    for cpus, busy in [({0, 1}, 1.0), ({0, 1, 2}, 1.0), ({1, 2}, 0.0), ({0}, 1.0)]:
        stat.write_text(proc_stat({0: 1000, 1: 1000, 2: 1000}, {0: 5000, 1: 5000, 2: 5000}))
        assert threads.busy_cpus(0.5, stat, cpus=cpus) == pytest.approx(busy, abs=0.05), cpus
    assert threads.busy_cpus(0.5, tmp_path / "missing") == 0.0


def test_busy_cpus_leaves_out_what_this_process_uses(tmp_path, monkeypatch):
    stat, tick = tmp_path / "stat", os.sysconf("SC_CLK_TCK")
    stat.write_text(proc_stat({0: 0, 1: 0}, {0: 0, 1: 0}))
    after = proc_stat({0: tick // 2, 1: 0}, {0: 0, 1: tick // 2})
    clock = iter([0.0, 0.5])  # CPU 0 was busy with this very process
    monkeypatch.setattr(threads.time, "sleep", lambda seconds: stat.write_text(after))
    monkeypatch.setattr(threads.time, "process_time", lambda: next(clock))
    assert threads.busy_cpus(0.5, stat, cpus={0, 1}) == pytest.approx(0.0, abs=0.05)


@pytest.mark.parametrize("environ, expected", [
    ({"LABKIT_THREADS": "3"}, 3),
    ({"OPENBLAS_NUM_THREADS": "4"}, None),
    ({"OMP_NUM_THREADS": "1", "LABKIT_THREADS": "2"}, 2),
])
def test_settings_of_the_user_win(environ, expected):
    assert threads.blas_threads(environ) == expected


@pytest.mark.parametrize("bad", ["0", "two", "-1", ""])
def test_a_bad_labkit_threads_value_is_explained(bad):
    with pytest.raises(ValueError, match=f"LABKIT_THREADS must be a whole number >= 1 .*got {bad!r}"):
        threads.blas_threads({"LABKIT_THREADS": bad})


@pytest.mark.parametrize("cpus, quota, busy, expected", [
    ({0, 1}, 2, 0.1, 2),
    ({0, 1}, 2, 1.0, 1),
    ({0, 1}, 2, 3.0, 1),
    ({0}, 1, 0.0, 1),
    # a container limited to 2 CPUs on an 8-CPU host where 3 are busy: 5 are free, the quota allows 2
    (set(range(8)), 2, 3.0, 2),
    (set(range(8)), 2, 7.0, 1),
])
def test_free_cpus_decide_when_nothing_is_set(monkeypatch, cpus, quota, busy, expected):
    monkeypatch.setattr(threads, "affinity", lambda: cpus)
    monkeypatch.setattr(threads, "allowed_cpus", lambda: quota)
    monkeypatch.setattr(threads, "busy_cpus", lambda cpus: busy)
    assert threads.blas_threads({}) == expected


@pytest.mark.slow  # starts a busy process and a Python that imports labkit
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")
def test_a_busy_competitor_takes_a_thread_away():
    competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        assert threads.busy_cpus(0.2) > 0.7
        env = {k: v for k, v in os.environ.items() if k not in (*threads.USER_SETTINGS, "LABKIT_THREADS")}
        probe = ("import labkit, threadpoolctl; "
                 "print([p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas'])")
        out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == f"[{len(os.sched_getaffinity(0)) - 1}]"
    finally:
        competitor.kill()
        competitor.wait()
