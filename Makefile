# Quick start: `make demo` (install everything, run the whole loop), `make test`.
VENV := .venv
KIOSK := $(VENV)/bin/kiosk
PY := $(VENV)/bin/python

.PHONY: demo test install install-dev lint unit clean

demo: install
	$(KIOSK) demo

test: install-dev lint unit

install:
	./install.sh

install-dev:
	./install.sh --dev

lint:
	$(VENV)/bin/ruff check kiosk tests
	$(VENV)/bin/ruff format --check kiosk tests
	$(VENV)/bin/mypy kiosk

# pytest exits 5 when it collects no tests: that fails the build, as it should.
unit:
	SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(PY) -m pytest -q -ra

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
