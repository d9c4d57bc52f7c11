import sys

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
