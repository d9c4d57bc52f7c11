"""A real JupyterLab, started from the project's venv on a free loopback port, and headless Chromium."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("LABKIT_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("LABKIT_SCREENSHOTS", ROOT / "build" / "screenshots"))
LAB_SETTINGS = {  # every cell rendered (no windowing), no news pop-up, no update check: nothing leaves 127.0.0.1
    ("notebook-extension", "tracker"): {"windowingMode": "none"},
    ("apputils-extension", "notification"): {"fetchNews": "false", "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def screenshots():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    yield SCREENSHOTS
    print(f"\nscreenshots of every step: {SCREENSHOTS}")


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """(base URL, token, served folder): a copy of notebooks/, so running cells never touches the sources."""
    served = tmp_path_factory.mktemp("served")
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(notebook, served)
    settings = tmp_path_factory.mktemp("lab-settings")
    for (extension, plugin), values in LAB_SETTINGS.items():
        folder = settings / "@jupyterlab" / extension
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{plugin}.jupyterlab-settings").write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    log = open(tmp_path_factory.mktemp("lab-log") / "jupyterlab.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}", "--allow-root",
         f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={settings}"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start; see {log.name}") from None
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", token, served
    finally:  # also when a test failed: stop the server and its kernels
        stop(process, 15)
        log.close()


def stop(process: subprocess.Popen, seconds: float) -> None:
    """SIGTERM to a server started in a session of its own, SIGKILL to its group if it has not ended in time."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test-browser` installs Debian's chromium package.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--disable-gpu", "--disable-quic"],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(60_000)
    yield page
    page.close()
