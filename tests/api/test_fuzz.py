"""Property-based fuzzing from our own OpenAPI document: whatever the input, never a server error.

Runs every operation with generated parameters and bodies, as an admin (who reaches the most code)
and without credentials.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def test_no_input_causes_a_server_error(client: TestClient, login: Callable[[str], dict[str, str]]) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    admin = login("admin")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 8

    for operation in operations:

        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy(), authenticated=st.booleans())
        def call(case: schemathesis.Case[Any], authenticated: bool) -> None:
            response = case.call(headers=admin if authenticated else {})
            assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
            assert "Traceback" not in response.text

        call()
