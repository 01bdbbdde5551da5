"""The OpenAPI schema fuzzed with schemathesis: whatever it generates for an operation, with a
planner's, a staff's and a driver's key and with no key, the service answers without a server
error (5xx) and in the shape its schema declares (403s included). One database of each kind,
with a current plan (so the plan routes get past their 404), serves all the operations, so the
cases also meet the state earlier ones left behind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from api.app import create_app
from api.jobs import plan_now
from tests.conftest import TINY, Service, database_kinds, fresh_database, write_scenario

SPEC = create_app("sqlite://").openapi()
OPERATIONS = sorted(
    (path, method.upper()) for path, item in SPEC["paths"].items() for method in item
)
# Started with a key these would launch planning processes: covered by their own tests.
NOT_WITH_A_KEY = {("/plans", "POST"), ("/plans/compare", "POST")}
KEYS = ("planner", "staff", "driver")
# Answers found not to match their declared schema, to be fixed where the model is (strict=False:
# once fixed they pass, and this entry goes).
KNOWN: dict[tuple[str, str], str] = {}  # operations failing for a known reason (none)
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(scope="module", params=database_kinds())
def fuzz_service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    service = Service(fresh_database(request.param, tmp), write_scenario(tmp / "tiny", TINY))
    plan_now(service.app.state.sessions, date(2026, 11, 30), 2, seconds=1)
    service.schema = schemathesis.openapi.from_asgi("/openapi.json", service.app)  # type: ignore[attr-defined]
    yield service
    service.close()


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_server_errors(
    fuzz_service: Service, path: str, method: str, request: pytest.FixtureRequest
) -> None:
    if (path, method) in KNOWN:
        request.applymarker(pytest.mark.xfail(reason=KNOWN[(path, method)], strict=False))
    schema = fuzz_service.schema  # type: ignore[attr-defined]
    operation = schema[path][method]
    keys: list[dict[str, str]] = [{}]
    if (path, method) not in NOT_WITH_A_KEY:
        keys += [fuzz_service.headers(who) for who in KEYS]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        for headers in keys:
            case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()
