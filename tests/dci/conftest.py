"""Fixtures of the DCI tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dci.receiver_support import Receiver, receiver


@pytest.fixture
def partner_side() -> Iterator[Receiver]:
    """The partner's callback endpoint, a real HTTP server on loopback."""
    with receiver() as found:
        yield found
