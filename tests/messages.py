"""Error messages are part of the product: tests compare them whole, not by a fragment."""

import re


def exactly(message: str) -> str:
    """A ``pytest.raises(match=...)`` pattern that accepts ``message`` and nothing else."""
    return f"^{re.escape(message)}$"
