"""Regression tests for the data contract of docs/synthetic-data.md, on both session outputs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.synth.support import CONTRACT_CHECKS, Output


@pytest.mark.parametrize("name", ["demo", "national"])
@pytest.mark.parametrize("check", CONTRACT_CHECKS, ids=[c.__name__ for c in CONTRACT_CHECKS])
def test_contract(check: Callable[[Output], None], name: str, request: pytest.FixtureRequest) -> None:
    check(request.getfixturevalue(name))
