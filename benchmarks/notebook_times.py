"""Wall time of every notebook, run top to bottom in a fresh kernel (target: under 30 s each).

The time includes starting the kernel, as a student pressing "Restart and run all" sees it.
MNIST must be in the cache first (`make data`), otherwise notebook 03 waits for the download.

Run: python -m benchmarks.notebook_times  (also part of `make bench`)
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TARGET_SECONDS = 30


def run_seconds(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def main() -> None:
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        seconds = run_seconds(path)
        verdict = "ok" if seconds < TARGET_SECONDS else f"over the {TARGET_SECONDS} s target"
        print(f"{path.name:<40} {seconds:5.1f} s  {verdict}")


if __name__ == "__main__":
    main()
