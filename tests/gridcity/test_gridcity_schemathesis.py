"""schemathesis over the platform's own OpenAPI schema (``/api/schema/``), through the real WSGI stack
(``gridcity.wsgi.application``, the tile fast path included) on the test database.

Every operation gets a bounded number of generated requests, valid and invalid, as a logged-in
admin (every layer readable and editable) of the test city; each answer must be no 5xx and must
conform to the schema: a documented status code, content type and headers, and a body matching
the documented shape (the ``Error`` body on every 4xx).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gridcity.wsgi import application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES = 6  # per operation: the whole run stays within a minute or two on the shared machine


@pytest.fixture
def logged_in(city) -> dict[str, str]:
    """The admin API client's credentials (tests/conftest.py ``api_client``) as request headers."""
    credentials = city.clients["admin"]._credentials  # WSGI environ keys, e.g. HTTP_AUTHORIZATION
    return {key.removeprefix("HTTP_").replace("_", "-").title(): value for key, value in credentials.items()}


@pytest.fixture
def api_schema(city, logged_in) -> Iterator[schemathesis.BaseSchema]:
    """The schema as a logged-in client reads it from /api/schema/. Like Django's test client, the
    requests keep the test's database connection (its transaction) instead of closing it."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=logged_in)
    finally:
        for signal in signals:
            signal.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_answers_as_its_schema_says(case, logged_in) -> None:
    case.call_and_validate(headers=logged_in, checks=CHECKS)
