"""A newcomer's first minutes: clone the repository and type the README's two commands, nothing else."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    """The commands of the README's 'Two commands' block, exactly as a reader would copy them."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Two commands.*?```bash\n(.*?)```", text, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_names_the_two_commands():
    assert readme_commands() == ["make lab", "make test"]


def test_fresh_clone_sets_up_serves_jupyterlab_and_passes_its_tests(tmp_path):
    clone = tmp_path / "labkit-notebooks"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    # a newcomer's shell: no outer make, no activated virtual environment
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    setup, test = readme_commands()

    lab = subprocess.Popen(setup.split(), cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, start_new_session=True)
    try:
        deadline, url, seen = time.monotonic() + 600, None, []
        while url is None and time.monotonic() < deadline and lab.poll() is None:
            line = lab.stdout.readline()
            seen.append(line)
            if match := re.search(r"http://127\.0\.0\.1:\d+/lab\?token=\w+", line):
                url = match.group(0)
        assert url, "`make lab` did not start JupyterLab:\n" + "".join(seen[-30:])
        answer = None
        for _ in range(60):  # the URL is printed a moment before the server accepts connections
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    answer = response.status, response.read()
                break
            except OSError:
                time.sleep(0.5)
        assert answer is not None, f"{url} never answered; `make lab` printed:\n" + "".join(seen[-40:])
        assert answer[0] == 200 and b"JupyterLab" in answer[1]
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
        lab.stdout.close()
    assert (clone / ".venv" / "bin" / "labkit").exists()

    result = subprocess.run(test.split(), cwd=clone, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = [line for line in result.stdout.splitlines() if re.search(r"=+ .*\d+ passed", line)]
    assert summary and "failed" not in summary[-1], result.stdout[-3000:]
