"""Sync DCI searches through the HTTP API with 16 concurrent clients, on PostgreSQL.

Metrics: `p50_ms`, `p99_ms`, `requests_per_s`, each for `query` = `idtype-value` (one person's
household by IDCS) and `predicate` (`poverty_score le 9.3264284`, first page of 20 Groups), the
partner confined to one province each time (a random one, as different insurers' branches ask)
and given the health insurer's fields. The registry is `--size` persons (default 1,000,000),
loaded with COPY, with its households and their index.
"""

from __future__ import annotations

import os
import random
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from itertools import count
from pathlib import Path
from typing import Any

import _support as support  # bench/ is on sys.path when `sijill bench` runs these
import httpx
from sqlalchemy import text

from sijill.access.actor import Actor
from sijill.child_process import free_port, sijill_process
from sijill.db import make_sessionmaker, transaction
from sijill.dci.mapping import FIELD_PRESETS
from sijill.dci.partners import register_partner
from sijill.scoring.model import model_in_force, shipped_models

DEFAULT_SIZE = 1_000_000
AS_OF = date(2026, 12, 1)
CLIENTS = 16
WORKERS = os.cpu_count() or 1
REQUESTS = 1_000
# Searches sent first and not measured: each server process opens its connections first.
WARMUP = 100
THRESHOLD = "9.3264284"
_ids = count(1)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _envelope(criteria: dict[str, Any]) -> dict[str, Any]:
    number = next(_ids)
    return {
        "header": {
            "version": "1.0.0",
            "message_id": f"bench-{number}",
            "message_ts": _now(),
            "action": "search",
            "sender_id": "bench",
            "total_count": 1,
        },
        "message": {
            "transaction_id": f"bench-{number}",
            "search_request": [{"reference_id": "1", "timestamp": _now(), "search_criteria": criteria}],
        },
    }


def run(size: int | None) -> list[dict[str, Any]]:
    if not support.postgres_available():
        raise RuntimeError("the dci-search benchmark needs PostgreSQL (SIJILL_TEST_POSTGRES_URL)")
    persons = size or DEFAULT_SIZE
    actor = Actor.system(source="bench")
    model = model_in_force(shipped_models(), AS_OF)
    with tempfile.TemporaryDirectory(prefix="sijill-bench-dci-") as folder:
        files = support.synthetic_households(round(persons / support.PERSONS_PER_HOUSEHOLD), Path(folder))
        with support.scratch_database("postgresql", Path(folder)) as engine:
            support.load_registry(engine, files, actor, model)
            with engine.connect() as connection:
                provinces = connection.execute(text("SELECT DISTINCT substr(annex_code, 1, 5) FROM household")).all()
                people = connection.execute(
                    text(
                        "SELECT p.idcs, substr(h.annex_code, 1, 5) FROM person p"
                        " JOIN household_member m ON m.person_id = p.id AND m.valid_to IS NULL"
                        " JOIN household h ON h.id = m.household_id ORDER BY random() LIMIT 5000"
                    )
                ).all()
            secrets = {}
            with transaction(make_sessionmaker(engine)) as session:
                for (province,) in provinces:
                    client_id = f"insurer-{province.replace('.', '-')}"
                    secrets[province] = (
                        client_id,
                        register_partner(
                            session=session,
                            actor=actor,
                            client_id=client_id,
                            name=client_id,
                            territories=[province],
                            fields=list(FIELD_PRESETS["health_insurer"]),
                        ).client_secret,
                    )
            url = engine.url.render_as_string(hide_password=False)
            figures = _measure(url, secrets, [(str(i), str(p)) for i, p in people])
    base = {"bench": "dci-search", "backend": "postgresql", "size": persons, "clients": CLIENTS, "workers": WORKERS}
    out = []
    for query, timed in figures.items():
        out += support.latency_rows({**base, "query": query}, timed)
    return out


def _measure(url: str, secrets: dict[str, tuple[str, str]], people: list[tuple[str, str]]) -> dict[str, support.Timed]:
    port = free_port()
    env = {"SIJILL_DATABASE_URL": url, "SIJILL_SECRET_KEY": "bench-secret-key-0123456789abcdef0123"}
    base = f"http://127.0.0.1:{port}"
    with sijill_process(["serve", "--port", str(port), "--workers", str(WORKERS)], env, f"{base}/health"):
        tokens = {}
        for province, (client_id, secret) in secrets.items():
            answer = httpx.post(
                f"{base}/dci/oauth2/client/token",
                data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
            )
            tokens[province] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        rng = random.Random(7)
        provinces = sorted(tokens)
        predicate = {
            "query_type": "predicate",
            "query": [
                {"expression1": {"attribute_name": "poverty_score", "operator": "le", "attribute_value": THRESHOLD}}
            ],
            "response_entity": "Group",
            "pagination": {"page_size": 20, "page_number": 1},
        }

        def by_predicate() -> tuple[dict[str, str], dict[str, Any]]:
            return tokens[rng.choice(provinces)], _envelope(predicate)

        def by_idcs() -> tuple[dict[str, str], dict[str, Any]]:
            idcs, province = rng.choice(people)
            lookup = {"query_type": "idtype-value", "query": {"type": "IDCS", "value": idcs}}
            return tokens[province], _envelope(lookup)

        return {"idtype-value": _load(base, by_idcs), "predicate": _load(base, by_predicate)}


def _load(base: str, next_request: Callable[[], tuple[dict[str, str], dict[str, Any]]]) -> support.Timed:
    def send(client: httpx.Client, request: tuple[dict[str, str], dict[str, Any]]) -> int:
        headers, body = request
        response = client.post(f"{base}/dci/registry/sync/search", json=body, headers=headers)
        if response.status_code == 200 and response.json()["message"]["search_response"][0]["status"] != "succ":
            return 299  # answered, but the item was refused: counted apart
        return response.status_code

    return support.concurrent_load([next_request() for _ in range(WARMUP + REQUESTS)], send, CLIENTS, WARMUP)
