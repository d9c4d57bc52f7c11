"""Wall time of every notebook, run top to bottom in a fresh kernel, and its slowest cell.

Targets: each notebook under 30 s, and every cell under nbgrader's default limit of
30 s per cell, also when one other process keeps a CPU busy (as on a shared JupyterHub
during a class). The time includes starting the kernel, as a student pressing
"Restart and run all" sees it. MNIST must be in the cache first (`make data`).

Run: python -m benchmarks.notebook_times  (also part of `make bench`)
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TARGET_SECONDS = 30


def run_seconds(path: Path) -> tuple[float, float]:
    """(whole notebook, slowest cell) in seconds; raises if a cell fails."""
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, record_timing=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    total = time.perf_counter() - start
    return total, max((cell_seconds(cell) for cell in notebook.cells if cell.cell_type == "code"), default=0.0)


def cell_seconds(cell) -> float:
    timing = cell.metadata.get("execution", {})
    begin, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (begin and end):
        return 0.0
    return (datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(begin.replace("Z", "+00:00"))
            ).total_seconds()


def report(label: str) -> None:
    print(label)
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        total, worst = run_seconds(path)
        verdict = "ok" if total < TARGET_SECONDS and worst < TARGET_SECONDS else f"over the {TARGET_SECONDS} s target"
        print(f"  {path.name:<40} {total:5.1f} s, slowest cell {worst:5.1f} s  {verdict}")


def main() -> None:
    report("idle:")
    competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        report("with one busy process beside it:")
    finally:
        competitor.kill()
        competitor.wait()


if __name__ == "__main__":
    main()
