"""What the server sets up when it starts, before the first request."""

from __future__ import annotations

import gc

import anyio.to_thread
from fastapi.testclient import TestClient


def test_start_up_freezes_long_lived_objects_and_bounds_request_threads(client: TestClient) -> None:
    # The client fixture has run the application's start-up (lifespan).
    assert gc.get_freeze_count() > 0

    async def tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    assert client.portal is not None
    assert client.portal.call(tokens) == client.app.state.settings.request_threads  # type: ignore[attr-defined]
