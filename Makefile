# The two commands a newcomer needs: `make lab` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install lab test test-fast test-grading mutate data bench execute release site clean chromium axe test-browser test-newcomer \
        bubblewrap hub-env test-hub bench-grading

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

# Everything: lint, types, unit and property tests, every notebook under nbval, the real student release.
test: install data
	$(BIN)/ruff check labkit tests benchmarks system_tests notebooks
	$(BIN)/mypy
	$(BIN)/python -m pytest

# While developing: the unit and property tests only (no notebooks, kernels or subprocesses), about a minute.
test-fast: install
	$(BIN)/python -m pytest tests -m "not slow"

# Mutation testing of the core (see [tool.mutmut] in pyproject.toml); prints the score of each module.
mutate: install
	$(BIN)/mutmut run --max-children 2
	$(BIN)/python -m tests.mutation_report

# Re-run every notebook in place (after a change to labkit that can change an output), without timing metadata
# and without saved widget state (nbgrader would hand the instructor's widget pictures out to the class).
NOTEBOOK_METADATA := "[('kernelspec'), ('language_info')]"
execute: install
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.record_timing=False \
	  --ExecutePreprocessor.store_widget_state=False --ClearMetadataPreprocessor.enabled=True \
	  --ClearMetadataPreprocessor.clear_cell_metadata=False \
	  --ClearMetadataPreprocessor.preserve_nb_metadata_mask=$(NOTEBOOK_METADATA) $(or $(NOTEBOOKS),notebooks/*.ipynb)

# The browser test needs Debian's Chromium (installed here if missing; root or sudo) and Playwright.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

chromium:
	@test -x $(CHROMIUM) || { echo "Installing Debian's chromium for the browser test..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# axe-core, which the browser test injects into every page of the site, at the version system_tests/package-lock.json
# pins (npm ci installs exactly that, into system_tests/node_modules/); Node.js and npm from Debian when missing.
AXE := system_tests/node_modules/axe-core/axe.min.js

axe: $(AXE)

$(AXE): system_tests/package.json system_tests/package-lock.json
	@command -v npm >/dev/null || { echo "Installing Debian's npm for axe-core..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; }
	cd system_tests && npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

# JupyterLab in headless Chromium: run notebook 02, use the explorer, hide/show, a student release;
# the backprop step-through, a whole training step click by click; axe-core on every notebook run in JupyterLab, the
# pictures' descriptions, and the explorer and the step-through driven by the keyboard alone;
# then the static site (labkit export html) from file://: maths, pictures, folded solutions, leak scan, and axe-core's
# WCAG 2.1 AA and best-practice rules on every page, at a desktop's and a phone's width.
test-browser: install data chromium axe
	$(BIN)/python -m pip install --quiet -e '.[dev,browser]'
	LABKIT_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest system_tests/test_jupyterlab.py system_tests/test_stepthrough.py \
	  system_tests/test_lab_accessibility.py system_tests/test_site.py -s -p no:cacheprovider

# labkit grade runs students' kernels in bubblewrap (Debian's package; installed here if missing, root or sudo).
bubblewrap:
	@command -v bwrap >/dev/null || { echo "Installing Debian's bubblewrap for sandboxed grading..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; }

# The notebooks as an nbgrader 0.9.6 course: generate_assignment, autograde of simulated submissions, feedback;
# the sandbox; labkit grade with honest and hostile submissions, killed and resumed; feedback without hidden tests.
test-grading: install data bubblewrap
	$(BIN)/python -m pip install --quiet -e '.[dev,grading]'
	$(BIN)/python -m pytest system_tests/test_grading.py system_tests/test_sandbox.py system_tests/test_grade.py \
	  system_tests/test_feedback.py -p no:cacheprovider

# A shared server's Python: a venv of Debian's /usr/bin/python3 outside /root (every Unix user must be able to run it)
# with labkit, nbgrader, JupyterHub 6 and nbgitpuller, and configurable-http-proxy from npm.
HUB_PREFIX ?= /opt/labkit-hub
HUB_STAMP  := $(HUB_PREFIX)/.installed-labkit
$(HUB_STAMP): pyproject.toml $(wildcard labkit/*.py labkit/tools/*.py)
	test -x $(HUB_PREFIX)/bin/python || /usr/bin/python3 -m venv $(HUB_PREFIX)
	$(HUB_PREFIX)/bin/python -m pip install --quiet --upgrade pip
	$(HUB_PREFIX)/bin/python -m pip install --quiet '.[grading,hub]'
	npm install --prefix $(HUB_PREFIX)/proxy --silent --no-fund --no-audit configurable-http-proxy@5
	chmod -R a+rX $(HUB_PREFIX)
	touch $@

hub-env: $(HUB_STAMP)

# JupyterHub on loopback with Unix users made for the test (and removed after it): log in, run a release notebook on
# a student's server, fetch, submit, collect, labkit grade, feedback, fetch_feedback, permissions, nbgitpuller.
test-hub: install data bubblewrap hub-env
	LABKIT_HUB_PREFIX=$(HUB_PREFIX) $(BIN)/python -m pytest system_tests/test_hub.py -p no:cacheprovider

# A fresh clone of this repository, set up and tested with the README's two commands only.
test-newcomer: install
	$(BIN)/python -m pytest system_tests/test_newcomer.py -p no:cacheprovider

# The student version of every notebook, in release/ (git-ignored); fails if anything of a solution leaks.
release: install
	$(BIN)/labkit release --student release notebooks

# The notebooks as a static web site in site/ (git-ignored): student and instructor pages, MathJax included.
site: install
	$(BIN)/labkit export html site notebooks

# PyTorch is only a yardstick for the MNIST benchmark, never a dependency of labkit.
bench: install
	$(BIN)/python -m pip install --quiet torch==2.13.0 || echo "PyTorch unavailable: its comparison is skipped"
	$(BIN)/python -m benchmarks.bench_backprop
	$(BIN)/python -m benchmarks.bench_mnist
	$(BIN)/python -m benchmarks.bench_devices
	$(BIN)/python -m benchmarks.bench_sweep
	$(BIN)/python -m benchmarks.bench_contention
	$(BIN)/python -m benchmarks.bench_stepthrough
	$(BIN)/python -m benchmarks.xor_study
	$(BIN)/python -m benchmarks.notebook_times

# labkit grade --jobs 2 against serial nbgrader autograde on the same submissions (minutes; keep the machine quiet).
bench-grading: install data bubblewrap
	$(BIN)/python -m pip install --quiet -e '.[dev,grading]'
	$(BIN)/python -m benchmarks.bench_grading

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache mutants build release site *.egg-info system_tests/node_modules
