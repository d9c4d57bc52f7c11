import subprocess
import sys
from pathlib import Path

import pytest

from labkit.tools.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert "labkit 0.1.0" in capsys.readouterr().out


@pytest.mark.slow
def test_console_script_is_installed_next_to_python():
    script = Path(sys.executable).parent / "labkit"
    out = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True)
    assert "usage: labkit" in out.stdout


def test_release_without_sources_here_says_to_give_them(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["release", "--verify", str(tmp_path)]) == 1
    assert "there is no notebooks/ folder here: give the source notebooks (with solutions) as PATH" in (
        capsys.readouterr().err)


def test_grade_outside_a_course_says_where_to_run_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["grade", "lab"]) == 1
    err = capsys.readouterr().err
    assert f"there is no nbgrader_config.py in {tmp_path}: run `labkit grade` in the course directory" in err
