# CoopCTG — two commands do all set-up: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Django 6 needs Python >= 3.12: take python3.13, else python3.12 (a pyenv shim that
# cannot run counts as absent), else the same versions installed by pyenv.
PYTHON ?= $(shell for p in python3.13 python3.12 \
	$$HOME/.pyenv/versions/3.13*/bin/python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3.12 \
	/usr/local/bin/python3.13 /usr/local/bin/python3.12; do \
	  if $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo $$p; break; fi; \
	done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run test lint typecheck demo clean bench

help:
	@echo "make run    installe, migre, charge la démonstration Touraine et sert sur http://$(HOST):$(PORT)"
	@echo "           avec le service de préparation des documents (coopctg db_worker)"
	@echo "           (make run PORT=8001 HOST=0.0.0.0 pour une autre adresse)"
	@echo "make test   toute la suite (tests, ruff, mypy)"
	@echo "make install  prépare seulement .venv"
	@echo "make bench  banc de mesure des pages et opérations lourdes, base jetable"
	@echo "           (make bench ECHELLES=\"1 10\" FORMAT=json)"

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Erreur : Python 3.13 ou 3.12 est introuvable (python3.13 / python3.12). Installez-en un, puis relancez." >&2; exit 1; fi
	@echo "Python utilisé : $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/coopctg migrate --noinput
	$(BIN)/coopctg demo charger

# Absolute links (calendars, e-mails, exports) name the address actually served, unless
# COOPCTG_BASE_URL says otherwise.
# The task worker (the PDFs, README « Documents préparés en arrière-plan ») runs alongside the
# server and stops with it: Ctrl-C, or the server's end, stops the worker (and the process its
# reloader started).
run: demo
	@export COOPCTG_BASE_URL="$${COOPCTG_BASE_URL:-http://$(HOST):$(PORT)}"; \
	$(BIN)/coopctg db_worker & worker=$$!; \
	trap "pkill -TERM -P $$worker 2>/dev/null; kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null" EXIT; \
	echo "Préparation des documents : coopctg db_worker (processus $$worker), arrêté avec le serveur."; \
	$(BIN)/coopctg runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy coopctg/funding/rules coopctg/funding/caf_parameters.py coopctg/core/params.py coopctg/core/caf_params.py coopctg/territories/tilegrid.py coopctg/core/formats.py coopctg/core/themes.py coopctg/accounts/roles.py coopctg/organisations/matching.py coopctg/governance/rules.py coopctg/reports/rules.py coopctg/reports/evaluation_rules.py coopctg/dashboards/charts.py coopctg/diagnostic/rules.py coopctg/participation/rules.py coopctg/partners/rules.py


# The benchmark (README, « Banc de mesure »): a throwaway database per scale, the table on stdout.
ECHELLES ?= 1 10
FORMAT ?= texte
bench: install
	$(BIN)/python -m coopctg.bench --echelle $(ECHELLES) --format $(FORMAT)

test: install lint typecheck
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) db.sqlite3 media
