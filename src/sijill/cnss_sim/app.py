"""The simulator's HTTP side: `POST /batches` (signed like Sijill's real exchange), `GET /files/{id}`."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request

from sijill.cnss_sim.store import Store
from sijill.cnss_sim.worker import Clerk, SimConfig
from sijill.enrollment.operators import SIGNATURE_HEADER, signature_valid


def create_sim_app(store_path: Path, config: SimConfig) -> FastAPI:
    store = Store(store_path)
    clerk = Clerk(store, config)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        clerk.start()
        yield
        clerk.stop()

    app = FastAPI(title="CNSS simulator", lifespan=lifespan)

    @app.post("/batches", status_code=202)
    async def take_batch(request: Request) -> dict[str, Any]:
        body = await request.body()
        if not signature_valid(config.secret, body, request.headers.get(SIGNATURE_HEADER)):
            raise HTTPException(status_code=401, detail="bad signature")
        try:
            batch = json.loads(body)
            files = batch["files"]
            key = str(batch["batch_key"])
        except (ValueError, KeyError, TypeError):
            raise HTTPException(status_code=400, detail="malformed batch") from None
        if not isinstance(files, list) or not all(isinstance(f, dict) and "file_id" in f for f in files):
            raise HTTPException(status_code=400, detail="malformed files")
        new = store.take_batch(key, files, time.time())
        return {"batch_key": key, "files": len(files), "new": new}

    @app.get("/files/{file_id:path}")
    def show_file(file_id: str) -> dict[str, Any]:
        found = store.file(file_id)
        if found is None:
            raise HTTPException(status_code=404, detail="unknown file")
        return found

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", **store.counts()}

    return app
