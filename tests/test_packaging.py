"""The set-up files agree with each other: pyproject.toml, environment.yml, Makefile, .ci/run."""

import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def requirement(spec: str) -> tuple[str, str]:
    name, version = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", spec).groups()
    return name.lower().replace("_", "-"), version.replace(" ", "")


def test_environment_yml_parses_and_lists_the_runtime_dependencies():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(requirement(d) for d in env["dependencies"] if isinstance(d, str))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    runtime = dict(requirement(d) for d in PROJECT["dependencies"])
    assert {name: conda.get(name) for name in runtime} == runtime
    assert "-e .[dev]" in pip  # the package itself and its dev tools, as `make` installs them
    python = conda["python"].lstrip("=")
    assert tuple(map(int, python.split("."))) >= (3, 10) and PROJECT["requires-python"] == ">=3.10"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test    #" in readme
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci.index("make test") == ci.index('cd "$(dirname "$0")/.."') + 1  # first thing after going to the root
