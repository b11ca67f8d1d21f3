"""The simulator's clerk: decides the files waiting long enough, then calls Sijill back, again
and again with backoff until Sijill has answered each callback."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass

import httpx

from sijill.cnss_sim.store import Store
from sijill.enrollment.operators import SIGNATURE_HEADER, sign

log = logging.getLogger("sijill.cnss_sim")
# Answers that will not change by asking again: taken as delivered.
FINAL_ANSWERS = {404, 409, 422}


@dataclass(frozen=True)
class SimConfig:
    callback_url: str
    secret: str
    decide_after_s: float = 1.0
    # Share of files refused as already covered by another scheme (chosen by the IDCS, so the
    # same person is always decided alike).
    refuse_percent: int = 10
    poll_s: float = 0.2


def decision(file_id: str, idcs: str | None, refuse_percent: int) -> tuple[str, str | None, str | None]:
    draw = int(hashlib.sha256((idcs or file_id).encode()).hexdigest()[:8], 16) % 100
    if draw < refuse_percent:
        return "refused", None, "already_covered"
    number = int(hashlib.sha256(file_id.encode()).hexdigest()[:12], 16) % 10**10
    return "accepted", f"CNSS{number:010d}", None


class Clerk:
    def __init__(self, store: Store, config: SimConfig) -> None:
        self._store = store
        self._config = config
        self._stop = threading.Event()
        self._http = httpx.Client(timeout=10.0)
        self._thread = threading.Thread(target=self._run, name="cnss-sim-clerk", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._http.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.decide_due() + self.deliver_due()
            except Exception:  # keep the clerk alive; the next round tries again
                log.exception("clerk round failed")
                busy = 0
            if not busy:
                self._stop.wait(self._config.poll_s)

    def decide_due(self) -> int:
        now = time.time()
        waiting = self._store.undecided(now - self._config.decide_after_s)
        self._store.decide(
            [(file_id, *decision(file_id, idcs, self._config.refuse_percent)) for file_id, idcs in waiting], now
        )
        return len(waiting)

    def deliver_due(self) -> int:
        due = self._store.to_deliver(time.time())
        for item in due:
            body = json.dumps(
                {
                    "message_id": f"{item['file_id']}:decision",
                    "file_id": item["file_id"],
                    "outcome": item["outcome"],
                    "reference": item["reference"],
                    "reason": item["reason"],
                },
                separators=(",", ":"),
            ).encode()
            headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self._config.secret, body)}
            try:
                status = self._http.post(self._config.callback_url, content=body, headers=headers).status_code
            except httpx.HTTPError:
                status = 0
            if 200 <= status < 300 or status in FINAL_ANSWERS:
                self._store.delivered(item["file_id"], status, time.time())
            else:
                attempts = item["attempts"] + 1
                self._store.retry_later(item["file_id"], attempts, time.time() + min(60.0, 0.5 * 2**attempts))
        return len(due)
