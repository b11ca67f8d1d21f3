"""The DCI interface's background work, run by the API process on a timer and by
`sijill dci worker`: async messages a lost background task left waiting, notifications of
subscribed changes, and the delivery of everything owed to partners."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
import httpx
from sqlalchemy.orm import Session, sessionmaker

from sijill.config import Settings
from sijill.db import transaction
from sijill.dci import answers
from sijill.dci.async_calls import run_exchange, waiting
from sijill.dci.deliveries import DeliveryReport, Signer, deliver_due, forget_abandoned
from sijill.dci.notify import has_active_subscriptions, queue_notifications
from sijill.dci.signing import signer

log = logging.getLogger(__name__)
# A message's own background task runs it within moments; one still waiting after this was lost.
LOST_AFTER = timedelta(seconds=30)
BATCH = 200
CALLBACK_TIMEOUT_S = 10.0
PURGE_EVERY = 3600.0


def callback_http() -> httpx.Client:
    # Redirects are not followed: a partner's registered address must not be able to send its
    # records on to another host.
    return httpx.Client(
        timeout=CALLBACK_TIMEOUT_S, follow_redirects=False, headers={"User-Agent": "sijill-dci/1.0"}, trust_env=False
    )


def message_signer(settings: Settings) -> Signer:
    return signer(settings, answers.SENDER_ID)


@dataclass(slots=True)
class WorkerReport:
    run: int
    notified: int
    delivered: DeliveryReport


def run_now(factory: sessionmaker[Session], http: httpx.Client, sign: Signer | None, exchange_id: int) -> None:
    """An async message's own background task: run it, then try its answer at once."""
    delivery = run_exchange(factory, exchange_id)
    if delivery is not None:
        deliver_due(factory, http, sign=sign, only=[delivery])


def run_once(
    factory: sessionmaker[Session],
    http: httpx.Client,
    sign: Signer | None,
    now: datetime | None = None,
    *,
    purge: bool = False,
) -> WorkerReport:
    """One pass; `purge` also erases the bodies of long-abandoned messages (a write, so the
    timer asks for it hourly rather than on every pass)."""
    moment = now or datetime.now(UTC)
    with transaction(factory) as session:
        lost = waiting(session, LOST_AFTER, BATCH, moment)
    for exchange_id in lost:
        run_exchange(factory, exchange_id)
    notified = 0
    with transaction(factory) as session:
        # Read first: the sweep takes SQLite's write lock, which an idle registry need not.
        if has_active_subscriptions(session):
            notified = queue_notifications(session, moment)
    report = deliver_due(factory, http, sign=sign, limit=BATCH, now=now)
    if purge:
        with transaction(factory) as session:
            forget_abandoned(session, moment)
    if lost or notified or report.delivered or report.retried or report.abandoned:
        log.info(
            "DCI worker: %d waiting message(s) run, %d notification(s), %d delivered, %d to retry, %d abandoned",
            len(lost),
            notified,
            report.delivered,
            report.retried,
            report.abandoned,
        )
    return WorkerReport(run=len(lost), notified=notified, delivered=report)


async def run_forever(app_state: Any, interval_s: float) -> None:
    """The API process's timer: a pass every `interval_s` on a worker thread, so that answers
    owed go out and retries happen without a separate process; several processes may run it."""
    passes = 0
    while True:
        await anyio.sleep(interval_s)
        passes += 1
        purge = passes % max(1, int(PURGE_EVERY / interval_s)) == 0
        try:
            await anyio.to_thread.run_sync(
                partial(run_once, app_state.sessionmaker, app_state.dci_http, app_state.dci_signer, purge=purge)
            )
        except Exception:
            # The next pass tries again; the loop must outlive a database that went away.
            log.exception("DCI worker pass failed")
