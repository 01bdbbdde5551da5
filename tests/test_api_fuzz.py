"""The OpenAPI schema fuzzed with schemathesis: whatever it generates for an operation, with a
planner's key and with no key, the service answers without a server error (5xx) and in the
shape its schema declares. One database of each kind serves all the operations, so the cases
also meet the state earlier ones left behind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from api.app import create_app
from tests.conftest import TINY, Service, database_kinds, fresh_database, write_scenario

SPEC = create_app("sqlite://").openapi()
OPERATIONS = sorted(
    (path, method.upper()) for path, item in SPEC["paths"].items() for method in item
)
# Started with a key these would launch planning processes: covered by their own tests.
NOT_WITH_A_KEY = {("/plans", "POST")}
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(scope="module", params=database_kinds())
def fuzz_service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    service = Service(fresh_database(request.param, tmp), write_scenario(tmp / "tiny", TINY))
    yield service
    service.close()


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_server_errors(fuzz_service: Service, path: str, method: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_service.app)
    operation = schema[path][method]
    keys = [{}] if (path, method) in NOT_WITH_A_KEY else [fuzz_service.headers("planner"), {}]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=20,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        for headers in keys:
            case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()
