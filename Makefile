# Sonatina: `make run` starts the studio, `make test` runs every test.
# Both install first: system packages (when root and missing), the Python venv, the front end.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

# Debian packages: SoundFont synthesis (FluidSynth backend + GM SoundFont), the browser for the
# end-to-end tests, the servers the PostgreSQL / Redis tests start, and librsvg (PDF scores drawn
# 5-8x faster than by cairosvg, which stands in without it).
APT_PACKAGES := fluidsynth fluid-soundfont-gm chromium postgresql redis-server librsvg2-2

.PHONY: install run test sysdeps native frontend clean bench

install: sysdeps $(VENV)/.installed native frontend

sysdeps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing system packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "Note: system packages missing ($$missing); features that need them are skipped."; \
	fi

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	# basic-pitch's wheel carries the transcription model (nmp.onnx); --no-deps skips the
	# TensorFlow it declares, which sonatina.transcribe never uses (it runs the ONNX file).
	$(BIN)/pip install -q --no-deps basic-pitch==0.4.0
	touch $@

# The LSTM step in C, compiled once per machine into ~/.cache/sonatina/native (~1 s); without a C
# compiler or AVX2, composing and converting use NumPy's step, ~3x slower.
native: $(VENV)/.installed
	@$(BIN)/python -m sonatina.model.native_stepper

frontend: $(VENV)/.installed
	@if [ -f frontend/package.json ]; then $(MAKE) -s -C frontend build; fi

run: install
	$(BIN)/sonatina serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -q

# Benchmarks read real music from DATA: a folder holding pop909/, wjazzd/ and giantmidi-eval/ as
# laid out in the team's shared datasets. The default, ../shared/datasets, exists only on the
# team's machines; elsewhere run `make bench DATA=/path/to/datasets`. Every bench line takes DATA.
DATA ?= ../shared/datasets
bench: install
	@test -d "$(DATA)/pop909" || { echo "make bench: no datasets at '$(DATA)' (want pop909/, wjazzd/, giantmidi-eval/ there); run: make bench DATA=/path/to/datasets"; exit 2; }
	$(BIN)/python bench/bench_core.py --data $(DATA)
	$(BIN)/python bench/bench_audio.py --data $(DATA)
	$(BIN)/python bench/analysis.py --data $(DATA)
	$(BIN)/python bench/sampling.py --data $(DATA)
	$(BIN)/python bench/bench_web.py
	$(BIN)/python bench/player_load.py --midi $(DATA)/pop909/001/001.mid

clean:
	rm -rf $(VENV) build dist src/*.egg-info
