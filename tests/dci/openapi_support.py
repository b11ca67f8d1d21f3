"""The DCI standard's OpenAPI files, to check every answer against (openapi-core).

The files are the standard's, not ours: they are read from the reference folder beside the
checkout (`../shared/reference/dci`), never copied into it. Two known defects of the social
API file are patched on load: its `info.version` was swallowed into the description, and its
server's base path is the sandbox's, not our `/dci` mount.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from httpx import Response
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "dci"
SOCIAL = "openspp-spec/social_api_v1.0.0.yaml"
AUTHZ = "spdci-standards/release/yaml/authz_core_api_v1.0.0.yaml"


def _spec_path(name: str) -> Path:
    folder = Path(os.environ.get("SIJILL_TEST_DCI_REFERENCE", REFERENCE))
    path = folder / name
    if not path.exists():
        if os.environ.get("SIJILL_TEST_DCI_REFERENCE"):
            raise pytest.UsageError(f"SIJILL_TEST_DCI_REFERENCE is set but {path} is missing")
        pytest.skip(f"the DCI reference files are not beside the checkout ({path})")
    return path


@cache
def _api(name: str) -> OpenAPI:
    spec: dict[str, Any] = yaml.safe_load(_spec_path(name).read_text(encoding="utf-8"))
    spec["info"].setdefault("version", "1.0.0")
    spec["servers"] = [{"url": "/dci"}]
    return OpenAPI.from_dict(spec)


def _leaves(error: Any) -> list[str]:
    if getattr(error, "context", None):
        return [leaf for child in error.context for leaf in _leaves(child)]
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"]


def _problems(errors: Any) -> list[str]:
    problems: list[str] = []
    for error in errors:
        for schema_error in getattr(error.__cause__, "schema_errors", []) or []:
            problems += _leaves(schema_error)
        if not getattr(error.__cause__, "schema_errors", None):
            problems.append(repr(error))
    return problems


def check_answer(path: str, sent: dict[str, Any] | None, answer: Response, spec: str = SOCIAL) -> None:
    """Fail with the schema's own words when `answer` does not conform to the standard."""
    request = MockRequest(
        "http://testserver",
        "post",
        path,
        headers={"Authorization": "Bearer x"},
        data=json.dumps(sent or {}).encode(),
        content_type="application/json",
    )
    response = MockResponse(answer.content, status_code=answer.status_code, content_type="application/json")
    result = _api(spec).unmarshal_response(request, response)
    assert _problems(result.errors) == [], _problems(result.errors)


def check_callback(path: str, body: dict[str, Any], spec: str = SOCIAL) -> None:
    """Fail with the schema's own words when a message Sijill sends a partner (on-search,
    notify, ...) is not what the standard's partner endpoint at `path` accepts."""
    request = MockRequest(
        "http://testserver",
        "post",
        path,
        headers={"Authorization": "Bearer x"},
        data=json.dumps(body).encode(),
        content_type="application/json",
    )
    result = _api(spec).unmarshal_request(request)
    assert _problems(result.errors) == [], _problems(result.errors)
