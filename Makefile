# The two commands a newcomer needs: `make lab` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install lab test data bench execute release clean

# (Re)install when the venv is missing or pyproject.toml changed.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "labkit needs Python >= 3.10; set PYTHON=python3.11 (or newer) and try again")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Jupyter refuses to run as root unless told; containers often run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: install
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/

# MNIST, downloaded and checksummed into the user cache (~/.cache/labkit or $LABKIT_DATA) once.
data: install
	$(BIN)/labkit data mnist

test: install data
	$(BIN)/ruff check labkit tests benchmarks
	$(BIN)/python -m pytest

# Re-run every notebook in place (after a change to labkit that can change an output), without timing metadata.
execute: install
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.record_timing=False notebooks/*.ipynb

# The student version of every notebook, in release/ (git-ignored); fails if anything of a solution leaks.
release: install
	$(BIN)/labkit release --student release notebooks

# PyTorch is only a yardstick for the MNIST benchmark, never a dependency of labkit.
bench: install
	$(BIN)/python -m pip install --quiet torch==2.13.0 || echo "PyTorch unavailable: its comparison is skipped"
	$(BIN)/python -m benchmarks.bench_backprop
	$(BIN)/python -m benchmarks.bench_mnist
	$(BIN)/python -m benchmarks.xor_study

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
