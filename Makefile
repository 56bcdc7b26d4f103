# The two commands a new user needs: `make run` and `make test` (see README.md).
# Both bootstrap first (Debian packages, .venv, vendored map assets), idempotently.
BIN := .venv/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test bootstrap lint typecheck pytest db-start db-stop

run: bootstrap
	gridcity db start
	gridcity migrate
	gridcity demo --if-empty
	gridcity serve

test: bootstrap
	gridcity db start
	$(MAKE) --no-print-directory lint typecheck pytest

bootstrap:
	@bash scripts/bootstrap.sh

lint:
	ruff check .

typecheck:
	mypy layers tiles importers gridding geoserver platform/gridcity platform/accounts platform/audit platform/webmap platform/democity platform/geocoding benchmarks

pytest:
	pytest

db-start:
	gridcity db start

db-stop:
	gridcity db stop
