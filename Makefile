# Two commands: `make run` (install, migrate, demo data, serve) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint install install-dev migrate seed worker beat fake-paystack clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Quick start: SQLite, in-process tasks, e-mails on the console, demo data.
run: install
	DEBUG=$${DEBUG:-True} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-True} $(PY) manage.py seed_demo --if-empty
	DEBUG=$${DEBUG:-True} $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The whole suite, against the local PostgreSQL by default (DB_ENGINE=mysql for MariaDB).
test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

worker: install
	$(VENV)/bin/celery -A core worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A core beat --loglevel=INFO

clean:
	rm -rf $(VENV) db.sqlite3* media .test-media staticfiles
