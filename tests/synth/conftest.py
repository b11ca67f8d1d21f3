"""Synthetic outputs generated once per test session."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.synth.support import DEMO_PROVINCE, Output, build, check_integrity


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Output:
    """The demo shape: one province, 50,000 persons."""
    return build(tmp_path_factory.mktemp("demo"), 50_000, 7, (DEMO_PROVINCE,))


@pytest.fixture(scope="session")
def national(tmp_path_factory: pytest.TempPathFactory) -> Output:
    return build(tmp_path_factory.mktemp("national"), 40_000, 11, None)


@pytest.fixture
def integrity() -> Callable[[Output], None]:
    return check_integrity
