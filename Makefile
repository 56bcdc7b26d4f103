# The two commands a new user needs: `make run` and `make test` (see README.md).
# Both bootstrap first (Debian packages, .venv, vendored map assets), idempotently.
BIN := .venv/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test bootstrap lint architecture typecheck pytest db-start db-stop

run: bootstrap
	gridcity db start
	gridcity migrate
	gridcity demo --if-empty
	gridcity serve --simulate

test: bootstrap
	gridcity db start
	$(MAKE) --no-print-directory lint architecture typecheck pytest

bootstrap:
	@bash scripts/bootstrap.sh

lint:
	ruff check .

# import-linter: the contracts in pyproject.toml ([tool.importlinter]), e.g. infrastructure never imports platform/.
architecture:
	lint-imports

typecheck:
	mypy layers jobs tiles importers gridding geoserver platform/gridcity platform/accounts platform/audit platform/webmap platform/democity platform/fleet platform/geocoding benchmarks

pytest:
	pytest

db-start:
	gridcity db start

db-stop:
	gridcity db stop
