"""A sandbox's cgroup in both layouts, on fake cgroup trees: limits written, pids entered, OOM kills read."""

import os

from labkit.tools import cgroup

GIB = 2**30


def fake_v2(root, monkeypatch):
    """A cgroup v2 tree at root, where a new folder gets the files Linux puts into a new cgroup."""
    (root / "cgroup.controllers").write_text("cpu memory pids\n")
    (root / "cgroup.subtree_control").write_text("memory\n")
    path_type, real_mkdir = type(root), type(root).mkdir

    def mkdir(folder, *args, **kwargs):
        real_mkdir(folder, *args, **kwargs)
        for name in ("cgroup.subtree_control", "memory.max", "memory.swap.max", "pids.max", "cpu.max",
                     "cgroup.procs"):
            (folder / name).touch()
        (folder / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
        (folder / "pids.events").write_text("max 7\n")

    monkeypatch.setattr(path_type, "mkdir", mkdir)


def test_v2_cgroup_gets_its_limits_and_hands_the_controllers_down(tmp_path, monkeypatch):
    fake_v2(tmp_path, monkeypatch)
    group = cgroup.create("k1", 3 * GIB, 64, cpus=1.5, root=tmp_path)
    folder = tmp_path / "labkit" / "k1"
    assert group is not None and group.folders == [folder]
    assert (folder / "memory.max").read_text() == str(3 * GIB)
    assert (folder / "memory.swap.max").read_text() == "0"
    assert (folder / "pids.max").read_text() == "64"
    assert (folder / "cpu.max").read_text() == "150000 100000"
    assert (tmp_path / "cgroup.subtree_control").read_text() == "+cpu +pids"  # memory was already on
    assert (tmp_path / "labkit" / "cgroup.subtree_control").read_text() == "+cpu +memory +pids"
    group.enter()
    assert (folder / "cgroup.procs").read_text() == str(os.getpid())
    assert group.oom_kills() == 1 and group.refused_forks() == 7


def test_v1_cgroup_has_a_folder_per_controller(tmp_path):
    for controller in ("pids", "memory", "cpu"):
        (tmp_path / controller).mkdir()
    group = cgroup.create("k2", GIB, 32, root=tmp_path)
    assert group is not None
    pids, memory, cpu = (tmp_path / c / "labkit" / "k2" for c in ("pids", "memory", "cpu"))
    assert group.folders == [pids, memory, cpu]
    assert (pids / "pids.max").read_text() == "32"
    assert (memory / "memory.limit_in_bytes").read_text() == str(GIB)
    assert (cpu / "cpu.cfs_quota_us").read_text() == "100000" and (cpu / "cpu.cfs_period_us").read_text() == "100000"
    group.enter()
    assert all((f / "cgroup.procs").read_text() == str(os.getpid()) for f in group.folders)
    (memory / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 0\n")
    (pids / "pids.events").write_text("max 0\n")
    assert group.oom_kills() == 0 and group.refused_forks() == 0
    for folder in group.folders:
        (folder / "cgroup.procs").unlink()
        for file in folder.iterdir():
            file.unlink()
    group.remove()
    assert not any(f.exists() for f in group.folders)


def test_no_cgroup_where_the_tree_cannot_be_written_and_nothing_left_behind(tmp_path):
    (tmp_path / "pids").mkdir()
    (tmp_path / "memory").write_text("not a folder")  # mkdir under it fails, as a read-only tree would
    assert cgroup.create("k3", GIB, 32, root=tmp_path) is None
    assert not (tmp_path / "pids" / "labkit" / "k3").exists()
