"""The README's shared-server recipe, for real: JupyterHub 6 on loopback with Unix users made for the test.

As root, the test makes an instructor and three students (removed afterwards, also when a step
fails), runs `hub/setup-course.sh` (private homes, a course group, the exchange, the shared
read-only MNIST), makes the course with `nbgrader quickstart` as the instructor, and starts
JupyterHub with `hub/jupyterhub_config.py` as it is (PAM, LocalProcessSpawner, the proxy from
npm, formgrader as a service). Then, through the hub: each student logs in with their
password, gets an API token, starts their server and runs code there; a release notebook runs
on a student's server; fetch, submit, collect, `labkit grade`, generate and release feedback,
fetch_feedback; a student tries to read another's files and the instructor's; formgrader opens
for the instructor only; an nbgitpuller link clones a release. Run by `make test-hub`, which
builds the hub's Python with `make hub-env` (a venv of /usr/bin/python3 that every user can run).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import nbformat
import pytest
import requests
import websocket

from labkit.tools import assignments, mnist
from system_tests.conftest import free_port, stop
from tests.notebook_helpers import fill, solutions

ROOT = Path(__file__).resolve().parents[1]
PREFIX = Path(os.environ.get("LABKIT_HUB_PREFIX", "/opt/labkit-hub"))
COURSE = "labkit"
TEACHER, STUDENTS = "lkt-teacher", ("lkt-ann", "lkt-bob", "lkt-eve")
GROUP = f"course-{COURSE}"
NOTEBOOKS = ("02_xor_training.ipynb", "03_mnist_softmax.ipynb")


def run(*cmd: str, **kw) -> str:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, **kw)
    assert result.returncode == 0, f"{cmd}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result.stdout + result.stderr


def home(user: str) -> Path:
    return Path(pwd.getpwnam(user).pw_dir)


@dataclass
class Site:
    """Where the test's server keeps its things: exchange, data, the hub's state, the release repository."""

    srv: Path
    url: str
    passwords: dict[str, str]

    @property
    def exchange(self) -> Path:
        return self.srv / "exchange"

    @property
    def data(self) -> Path:
        return self.srv / "data"

    @property
    def course(self) -> Path:
        return home(TEACHER) / COURSE

    def env(self) -> dict[str, str]:
        return {"LABKIT_HUB_PREFIX": str(PREFIX), "LABKIT_EXCHANGE": str(self.exchange), "LABKIT_DATA": str(self.data)}

    def as_user(self, user: str, *cmd: str, cwd: Path | None = None) -> str:
        """Run cmd as a Unix user, with the environment their hub server would have."""
        env = [f"HOME={home(user)}", f"USER={user}", f"PATH={PREFIX}/bin:/usr/bin:/bin", f"LABKIT_DATA={self.data}"]
        return run("runuser", "-u", user, "--", "env", "-i", *env, *cmd, cwd=cwd or home(user))


def remove_users() -> None:
    for user in (TEACHER, *STUDENTS):
        try:
            uid = pwd.getpwnam(user).pw_uid
        except KeyError:
            continue
        for proc in Path("/proc").glob("[0-9]*"):  # what the hub started for them, by process id
            try:
                if proc.stat().st_uid == uid:
                    os.kill(int(proc.name), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        time.sleep(0.2)
        subprocess.run(["userdel", "--remove", user], capture_output=True)
    subprocess.run(["groupdel", GROUP], capture_output=True)


@pytest.fixture(scope="module")
def site():
    if os.geteuid() != 0:
        pytest.fail("the hub test makes Unix users and runs JupyterHub as root: run `make test-hub` as root")
    if not (PREFIX / "bin" / "jupyterhub").exists():
        pytest.fail(f"no JupyterHub in {PREFIX}: `make test-hub` builds it (`make hub-env`)")
    remove_users()  # what a run that was killed may have left
    srv = Path(tempfile.mkdtemp(prefix="labkit-hub-test-", dir="/srv" if Path("/srv").is_dir() else None))
    srv.chmod(0o755)
    hub_log = open(srv / "hub.log", "w")
    hub = None
    try:
        passwords = {user: secrets.token_urlsafe(12) for user in (TEACHER, *STUDENTS)}
        for user, password in passwords.items():
            run("useradd", "--create-home", "--shell", "/bin/bash", user)
            run("chpasswd", input=f"{user}:{password}\n")
        site = Site(srv, "", passwords)
        site.data.mkdir()
        shutil.copy(mnist.default_cache_dir() / mnist.CACHE_FILE, site.data)  # verified again by the script
        run(str(ROOT / "hub" / "setup-course.sh"), COURSE, TEACHER, *STUDENTS, env={**os.environ, **site.env()})
        make_course(site)
        port = free_port()
        (srv / "state").mkdir(mode=0o700)
        hub_env = {**os.environ, **site.env(), "LABKIT_COURSE": COURSE, "LABKIT_INSTRUCTOR": TEACHER,
                   "LABKIT_STUDENTS": " ".join(STUDENTS), "LABKIT_HUB_IP": "127.0.0.1", "LABKIT_HUB_PORT": str(port),
                   "LABKIT_FORMGRADER_PORT": str(free_port()), "PATH": f"{PREFIX}/bin:{os.environ['PATH']}"}
        hub = subprocess.Popen([str(PREFIX / "bin" / "jupyterhub"), "-f", str(ROOT / "hub" / "jupyterhub_config.py")],
                               cwd=srv / "state", env=hub_env, stdout=hub_log, stderr=subprocess.STDOUT,
                               start_new_session=True)
        site.url = f"http://127.0.0.1:{port}"
        wait_for(lambda: requests.get(f"{site.url}/hub/health", timeout=2).status_code == 200, 60, hub, srv)
        yield site
    finally:
        if hub is not None:
            stop(hub, 30)  # the hub stops the users' servers and its services as it ends
        hub_log.close()
        remove_users()
        (PREFIX / "etc" / "jupyter" / "nbgrader_config.py").unlink(missing_ok=True)  # points into srv
        print(f"\nhub log: {(srv / 'hub.log').read_text()[-2000:]}" if os.environ.get("LABKIT_HUB_LOG") else "")
        shutil.rmtree(srv, ignore_errors=True)


def wait_for(ready, seconds: float, process=None, srv=None) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if ready():
                return
        except (requests.RequestException, OSError, KeyError):
            pass
        if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
            log = (srv / "hub.log").read_text()[-3000:] if srv else ""
            raise AssertionError(f"not ready after {seconds} s\n{log}")
        time.sleep(0.5)


def make_course(site: Site) -> None:
    """The instructor's course: `nbgrader quickstart` (with its header cells), labkit's set-up, two notebooks."""
    site.as_user(TEACHER, "nbgrader", "quickstart", COURSE)
    shutil.rmtree(site.course / "source" / "ps1")
    config = site.course / "nbgrader_config.py"
    config.write_text(config.read_text() + "\nfrom labkit.tools.nbgrader_config import configure\nconfigure(c)\n")
    (site.course / "source" / "lab").mkdir()
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, site.course / "source" / "lab")
    run("chown", "-R", f"{TEACHER}:{TEACHER}", str(site.course))
    site.as_user(TEACHER, "nbgrader", "generate_assignment", "lab", cwd=site.course)
    site.as_user(TEACHER, "nbgrader", "release_assignment", "lab", cwd=site.course)


class User:
    """A user logged in through the hub's login form (their Unix password), with an API token of their own."""

    def __init__(self, site: Site, name: str):
        self.site, self.name, self.http = site, name, requests.Session()
        self.http.get(f"{site.url}/hub/login").raise_for_status()
        form = {"username": name, "password": site.passwords[name], "_xsrf": self.http.cookies["_xsrf"]}
        login = self.http.post(f"{site.url}/hub/login", data=form, allow_redirects=False)
        assert login.status_code == 302 and "jupyterhub-session-id" in self.http.cookies, login.text[-500:]
        token = self.http.post(f"{site.url}/hub/api/users/{name}/tokens", json={"note": "test", "expires_in": 3600},
                               headers={"X-XSRFToken": self.http.cookies["_xsrf"]})
        assert token.status_code == 201, token.text
        self.token = token.json()["token"]
        self.headers = {"Authorization": f"token {self.token}"}

    def api(self, method: str, path: str, **kw) -> requests.Response:
        return self.http.request(method, f"{self.site.url}{path}", headers=self.headers, **kw)

    def start_server(self) -> None:
        started = self.api("POST", f"/hub/api/users/{self.name}/server")
        assert started.status_code in (201, 202), started.text
        wait_for(lambda: self.api("GET", f"/hub/api/users/{self.name}").json()["servers"][""]["ready"], 90,
                 srv=self.site.srv)

    def kernel(self) -> Kernel:
        created = self.api("POST", f"/user/{self.name}/api/kernels", json={"name": "python3"})
        assert created.status_code == 201, created.text
        ws_url = f"{self.site.url.replace('http', 'ws')}/user/{self.name}/api/kernels/{created.json()['id']}/channels"
        return Kernel(ws_url, [f"Authorization: token {self.token}"])


class Kernel:
    """A kernel on a user's server, driven over its websocket as JupyterLab drives it (a new connection for each
    execution: the server closes one that stays unread while the test does other things)."""

    def __init__(self, url: str, header: list[str]):
        self.url, self.header, self.session = url, header, uuid.uuid4().hex

    def run(self, code: str) -> str:
        """Execute ``code``; its printed text, and 'Name: value' of the error it raised."""
        return self.execute(code)[0]

    def execute(self, code: str) -> tuple[str, str | None]:
        """Execute ``code``: (its printed text and 'Name: value' of its error, the error's name or None)."""
        msg_id = uuid.uuid4().hex
        ws = websocket.create_connection(self.url, header=self.header, timeout=600)
        try:
            return self._execute(ws, msg_id, code)
        finally:
            ws.close()

    def _execute(self, ws, msg_id: str, code: str) -> tuple[str, str | None]:
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": self.session, "username": "",
                       "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": False}}))
        parts, error = [], None
        while True:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                parts.append(content["text"])
            elif kind == "error":
                error = content["ename"]
                parts.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(parts).strip(), error


def sh(kernel: Kernel, *cmd: str) -> str:
    """Run a command from the user's kernel (as the user, on their server) and return its output; fail on an error."""
    out = kernel.run(f"import os, subprocess\nr = subprocess.run({list(cmd)!r}, capture_output=True, text=True, "
                     "cwd=os.path.expanduser('~'))\nprint(r.returncode, r.stdout[-1500:], r.stderr[-1500:])")
    assert out.startswith("0 "), out
    return out


@pytest.fixture(scope="module")
def students(site):
    """Each student logged in, their server started and a kernel open on it, the assignment fetched."""
    kernels = {}
    try:
        for name in STUDENTS:
            user = User(site, name)
            user.start_server()
            kernels[name] = (user, user.kernel())
            sh(kernels[name][1], "nbgrader", "fetch_assignment", "lab")
        yield kernels
    finally:
        for user, _ in kernels.values():
            user.http.close()


def test_a_release_notebook_runs_on_a_students_server_with_the_shared_mnist(site, students):
    kernel = students["lkt-ann"][1]
    kernel.run("import os; os.chdir(os.path.expanduser('~/lab'))")
    nb = nbformat.read(home("lkt-ann") / "lab" / NOTEBOOKS[1], as_version=4)
    replies = [(cell, *kernel.execute(cell.source)) for cell in nb.cells if cell.cell_type == "code"]
    assert any(out.startswith("training   (50000, 784) | validation (10000, 784)") for _, out, _ in replies)
    # every check fails with its one line, so do the cells that use an exercise, and nothing else fails
    assert [error for cell, _, error in replies if assignments.is_check(cell)] == ["CheckFailed"] * len(
        [cell for cell in nb.cells if assignments.is_check(cell)])
    assert {error for _, _, error in replies} == {None, "CheckFailed"}


def test_a_student_cannot_read_another_students_files_or_the_instructors(site, students):
    kernel = students["lkt-eve"][1]
    attempts = {
        "another student's home": f"os.listdir({str(home('lkt-ann'))!r})",
        "another student's notebook": f"open({str(home('lkt-ann') / 'lab' / NOTEBOOKS[0])!r}).read()",
        "the instructor's home": f"os.listdir({str(home(TEACHER))!r})",
        "the solutions": f"open({str(site.course / 'source' / 'lab' / NOTEBOOKS[0])!r}).read()",
        "the gradebook": f"open({str(site.course / 'gradebook.db')!r}, 'rb').read()",
        "the submissions": f"os.listdir({str(site.exchange / COURSE / 'inbound')!r})",
        "writing the shared data": f"open({str(site.data / mnist.CACHE_FILE)!r}, 'ab')",
    }
    kernel.run("import os")
    for what, code in attempts.items():
        assert kernel.run(code).startswith("PermissionError"), what
    assert kernel.run(f"print(len(os.listdir({str(site.data)!r})))") == "1"  # reading it is what it is for


def fill_in(site: Site, student: str) -> None:
    """What a student who solved everything hands in: the fetched notebooks with the sources' solutions."""
    for name in NOTEBOOKS:
        path = home(student) / "lab" / name
        nb, source = nbformat.read(path, as_version=4), nbformat.read(ROOT / "notebooks" / name, as_version=4)
        by_id = {assignments.cell_key(c): c for c in source.cells}
        for cell in nb.cells:
            original = by_id.get(assignments.cell_key(cell))
            if original is not None and assignments.is_exercise(original):
                cell.source = fill(cell.source, solutions(original))
        nbformat.write(nb, path)
        shutil.chown(path, student, student)


@pytest.fixture(scope="module")
def graded(site, students):
    """Submit, collect, `labkit grade`, feedback released and fetched: the instructor's steps, as the instructor."""
    fill_in(site, "lkt-ann")
    for name in STUDENTS:
        sh(students[name][1], "nbgrader", "submit", "lab")
    site.as_user(TEACHER, "nbgrader", "collect", "lab", cwd=site.course)
    site.as_user(TEACHER, "labkit", "release", "--check", "release/lab", cwd=site.course)
    report = subprocess.run(["runuser", "-u", TEACHER, "--", "env", "-i", f"HOME={home(TEACHER)}",
                             f"PATH={PREFIX}/bin:/usr/bin:/bin", f"LABKIT_DATA={site.data}",
                             "labkit", "grade", "lab", "--jobs", "2"],
                            cwd=site.course, capture_output=True, text=True, timeout=1800)
    site.as_user(TEACHER, "nbgrader", "generate_feedback", "lab", cwd=site.course)
    site.as_user(TEACHER, "nbgrader", "release_feedback", "lab", cwd=site.course)
    for name in ("lkt-ann", "lkt-bob"):
        sh(students[name][1], "nbgrader", "fetch_feedback", "lab")
    print(report.stdout)  # the class report, shown with pytest -s
    return report


def test_labkit_grade_grades_the_collected_class_as_the_instructor(site, graded):
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    assert "3 submission(s), 0 up to date; grading 3, 2 at a time" in graded.stdout
    assert "for each process (RLIMIT_AS, RLIMIT_NPROC" in graded.stdout  # an instructor may not make cgroups
    rows = {line.split()[0]: line.split() for line in graded.stdout.splitlines() if line.startswith("lkt-")}
    assert rows["lkt-ann"][3].startswith("16/") and rows["lkt-bob"][3].startswith("0/"), rows
    assert (site.course / "grades-lab.csv").exists()


def test_feedback_reaches_the_student_without_hidden_tests(site, graded):
    source = nbformat.read(ROOT / "notebooks" / NOTEBOOKS[0], as_version=4)
    hidden = [source.cells[i].source.splitlines()[b + 1].strip() for i, cell in enumerate(source.cells)
              if assignments.is_check(cell) for b, _ in assignments.hidden_test_regions(cell.source)]
    pages = list((home("lkt-bob") / "lab" / "feedback").glob(f"*/{NOTEBOOKS[0].replace('.ipynb', '.html')}"))
    assert len(pages) == 1
    text = pages[0].read_text()
    assert "not done yet" in text
    assert hidden and not any(line in text for line in hidden)


def test_release_verify_matches_nbgraders_header_cells_by_grade_id(site):
    out = site.as_user(TEACHER, "labkit", "release", "--verify", "release/lab", f"source/lab/{NOTEBOOKS[0]}",
                       cwd=site.course)
    assert "verification of release/lab: passed" in out
    first = nbformat.read(site.course / "release" / "lab" / NOTEBOOKS[0], as_version=4).cells[0]
    assert first.source == nbformat.read(site.course / "source" / "header.ipynb", as_version=4).cells[0].source


def test_formgrader_is_a_service_for_the_instructor_only(site, students):
    teacher = User(site, TEACHER)
    with teacher.http:
        page = teacher.http.get(f"{site.url}/services/{COURSE}/formgrader")
    assert page.status_code == 200 and "formgrader" in page.text.lower(), page.status_code
    student = students["lkt-ann"][0]
    assert student.http.get(f"{site.url}/services/{COURSE}/formgrader").status_code == 403


def test_an_nbgitpuller_link_clones_the_release_into_a_students_home(site, students):
    repo = site.srv / "git" / "labkit-release.git"
    work = site.srv / "git" / "work"
    shutil.copytree(site.course / "release" / "lab", work)
    run("git", "init", "-q", "-b", "main", cwd=work)
    run("git", "add", ".", cwd=work)
    run("git", "-c", "user.name=labkit", "-c", "user.email=labkit@localhost", "commit", "-qm", "release", cwd=work)
    run("git", "clone", "-q", "--bare", str(work), str(repo))
    port = free_port()
    daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", f"--base-path={repo.parent}",
                               "--listen=127.0.0.1", f"--port={port}", str(repo.parent)], start_new_session=True)
    try:
        wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() is None, 20)
        user = students["lkt-ann"][0]
        link = (f"/hub/user-redirect/git-pull?repo={quote(f'git://127.0.0.1:{port}/labkit-release.git', safe='')}"
                "&branch=main&urlpath=lab/tree/labkit-release/")
        page = user.api("GET", link)  # the hub sends it on to nbgitpuller's page on the student's own server
        assert page.status_code == 200 and urlsplit(page.url).path == f"/user/{user.name}/git-pull", page.url
        query = urlsplit(page.url).query
        stream = user.api("GET", f"/user/{user.name}/git-pull/api?{query}&targetpath=labkit-release", timeout=120)
        assert '"phase": "finished"' in stream.text, stream.text[-1000:]
    finally:
        daemon.terminate()
        daemon.wait()
    assert (home("lkt-ann") / "labkit-release" / NOTEBOOKS[0]).exists()
