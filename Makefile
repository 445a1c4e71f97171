# make run   : the whole service on SQLite with demo data (creates the venv, installs, migrates)
# make test  : the whole test suite (SCHEDULER_TEST_DATABASE_URL=postgresql://... for PostgreSQL)
# make check : ruff, mypy (strict on domain/ and services/) and the import-linter layer contracts
# make bench : the benchmarks in bench/, printing their figures
# make vendor: copy the npm packages pinned in package-lock.json into the repository (needs npm)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_WORKERS ?= 2
# The address patients and other systems use: every absolute URL the service makes (manage links
# in emails, FHIR links, calendar feeds) starts with it. Give the public one when HOST is 0.0.0.0.
PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
export FLASK_APP := wsgi

.PHONY: run test check bench lint vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

instance/secret_key:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@

# A production app refuses to start with these left unset: the demo sets them on purpose (its mail
# goes to instance/mail/, so the reserved .example domain is right for it).
run: export SCHEDULER_PUBLIC_BASE_URL ?= $(PUBLIC_BASE_URL)
run: export SCHEDULER_MAIL_DOMAIN ?= si-joint-clinic.example
run: export SCHEDULER_MAIL_FROM ?= SI Joint Clinic <no-reply@si-joint-clinic.example>
# Over plain HTTP (the demo opened from a phone on the same network, say) a Secure cookie never
# comes back, and every form would fail: the demo's cookie is Secure only when its address is https.
# Production keeps the default, Secure.
run: export SCHEDULER_SESSION_COOKIE_SECURE ?= $(if $(filter https://%,$(SCHEDULER_PUBLIC_BASE_URL)),true,false)
run: $(VENV)/.installed instance/secret_key
	SCHEDULER_SECRET_KEY=$$(cat instance/secret_key) $(BIN)/flask db upgrade
	SCHEDULER_SECRET_KEY=$$(cat instance/secret_key) $(BIN)/flask seed-demo --if-empty
	@echo ""
	@echo "  SI Joint Clinic scheduler: open $$SCHEDULER_PUBLIC_BASE_URL/ (patients) and $$SCHEDULER_PUBLIC_BASE_URL/staff/ (staff)"
	@echo "  Demo staff sign-in: demo-admin, demo-scheduler or demo-phone, password demo-password-2026"
	@echo "  API description: $$SCHEDULER_PUBLIC_BASE_URL/api/v1/openapi.json"
	@echo "  Email goes to instance/mail/ (no SMTP server configured). Ctrl+C stops web and worker."
	@if [ "$$SCHEDULER_SESSION_COOKIE_SECURE" = false ]; then echo "  Plain HTTP demo: the session cookie is not Secure here (it is in production, over https)."; fi
	@echo ""
	export SCHEDULER_SECRET_KEY=$$(cat instance/secret_key); \
	$(BIN)/flask jobs run & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WEB_WORKERS) --no-control-socket --access-logfile - wsgi:app

test: $(VENV)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(BIN)/python -m bench

vendor:
	npm ci --ignore-scripts
	$(PYTHON) tools/vendor_assets.py

lint: $(VENV)/.installed
	$(BIN)/ruff check .

check: lint
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis test-artifacts
