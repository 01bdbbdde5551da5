"""The service starts over a migrated database and answers /health without a key."""

from __future__ import annotations

from typing import Any


def test_health_answers_without_a_key(service: Any) -> None:
    answer = service.client.get("/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert answer.json()["database"] in ("sqlite", "postgresql")
