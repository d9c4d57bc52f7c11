import json
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# The same examples on every run and every machine, so CI never fails by chance; no example database.
settings.register_profile("labkit", derandomize=True, database=None)
settings.load_profile("labkit")


@pytest.fixture(autouse=True)
def close_figures():
    """Close every matplotlib figure a test made, so figures do not pile up over the suite."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `make mutate`, run the fastest tests first.

    mutmut hands each mutant its tests in no particular order and stops at the first
    failure (-x), so a mutant that a 10 ms test kills should not wait for a 5 s one.
    It runs in mutants/ next to mutmut-stats.json, which holds each test's duration.
    """
    stats = Path("mutmut-stats.json")
    if Path.cwd().name != "mutants" or not stats.exists():
        return
    duration = json.loads(stats.read_text()).get("duration_by_test", {})
    items.sort(key=lambda item: duration.get(item.nodeid, 0.0))
