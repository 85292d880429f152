# Two commands: `make run` (install, migrate, demo data, serve) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run stack test lint install install-dev worker beat clean

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

# Quick start: SQLite, in-process tasks, e-mails on the console, demo data (its accounts and
# shop codes printed last, every time), and the fake Paystack on the next port (devtools).
run: install
	DEBUG=$${DEBUG:-True} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-True} $(PY) manage.py seed_demo --if-empty
	DEBUG=$${DEBUG:-True} PORT=$(PORT) $(PY) -m devtools.quick_start

# The full local stack: gunicorn, Celery worker and beat, and the fake Paystack, against the
# local PostgreSQL and Redis, with demo data. Settings below; anything in .env or the
# environment wins.
STACK_ENV = DEBUG=$${DEBUG:-False} \
	SECRET_KEY=$${SECRET_KEY:-local-stack-secret-key-not-for-production-4f9c2a7e1b} \
	DB_ENGINE=$${DB_ENGINE:-postgresql} DB_NAME=$${DB_NAME:-marketplace} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/1} \
	PAYSTACK_SECRET_KEY=$${PAYSTACK_SECRET_KEY:-sk_test_local_stack} \
	PAYSTACK_BASE_URL=$${PAYSTACK_BASE_URL:-http://127.0.0.1:8001} \
	PAYSTACK_CALLBACK_URL=$${PAYSTACK_CALLBACK_URL:-http://127.0.0.1:$(PORT)/api/docs/} \
	PAYOUT_HOLD_DAYS=$${PAYOUT_HOLD_DAYS:-0} \
	WEB_PORT=$(PORT)

stack: install-dev
	@createdb -h 127.0.0.1 -U postgres marketplace 2>/dev/null || true
	$(STACK_ENV) $(PY) manage.py migrate --noinput
	$(STACK_ENV) $(PY) manage.py seed_demo --if-empty
	$(STACK_ENV) $(VENV)/bin/honcho start

# The whole suite, against the local PostgreSQL by default (DB_ENGINE=mysql for MariaDB).
test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

worker: install
	$(VENV)/bin/celery -A core worker --loglevel=INFO --without-gossip --without-mingle --without-heartbeat

beat: install
	$(VENV)/bin/celery -A core beat --loglevel=INFO

clean:
	rm -rf $(VENV) db.sqlite3* media .test-media staticfiles
