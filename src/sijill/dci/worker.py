"""The DCI interface's background work, run by the API process on a timer and by
`sijill dci worker`: async messages a lost background task left waiting, notifications of
subscribed changes, and the delivery of everything owed to partners."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

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
# Callbacks wait on partners' networks: a couple of threads of their own is enough for them.
CALLBACK_THREADS = 2


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


def _limiter(app_state: Any) -> anyio.CapacityLimiter:
    """The threads the DCI's own work may take, apart from the requests' (made in the running
    loop, as anyio wants): a partner whose endpoint is slow holds these, never the API's."""
    found = getattr(app_state, "dci_limiter", None)
    if found is None:
        found = app_state.dci_limiter = anyio.CapacityLimiter(CALLBACK_THREADS)
    return found


async def run_now_in_background(app_state: Any, exchange_id: int) -> None:
    await anyio.to_thread.run_sync(
        partial(run_now, app_state.sessionmaker, app_state.dci_http, app_state.dci_signer, exchange_id),
        limiter=_limiter(app_state),
        abandon_on_cancel=True,
    )


T = TypeVar("T")


def _guarded(stage: str, default: T, work: Callable[[], T]) -> T:
    """One stage of a pass: its failure is logged (its class only: a database error quotes
    the rows) and the pass goes on with the next stage."""
    try:
        return work()
    except Exception as exc:
        log.error("DCI worker: %s failed (%s); tried again next pass", stage, type(exc).__name__)
        return default


def _run_lost(factory: sessionmaker[Session], moment: datetime) -> int:
    with transaction(factory) as session:
        lost = waiting(session, LOST_AFTER, BATCH, moment)
    for exchange_id in lost:
        _guarded("an async message", None, partial(run_exchange, factory, exchange_id))
    return len(lost)


def _notify(factory: sessionmaker[Session], moment: datetime) -> int:
    with transaction(factory) as session:
        # Read first: the sweep takes SQLite's write lock, which an idle registry need not.
        return queue_notifications(session, moment) if has_active_subscriptions(session) else 0


def _purge(factory: sessionmaker[Session], moment: datetime) -> int:
    with transaction(factory) as session:
        return forget_abandoned(session, moment)


def run_once(
    factory: sessionmaker[Session],
    http: httpx.Client,
    sign: Signer | None,
    now: datetime | None = None,
    *,
    purge: bool = False,
) -> WorkerReport:
    """One pass, each stage on its own (a failing one does not keep the others from their work);
    `purge` also erases the bodies of long-abandoned messages (a write: asked for hourly)."""
    moment = now or datetime.now(UTC)
    ran = _guarded("waiting messages", 0, partial(_run_lost, factory, moment))
    notified = _guarded("the notification sweep", 0, partial(_notify, factory, moment))
    report = _guarded(
        "deliveries", DeliveryReport(), partial(deliver_due, factory, http, sign=sign, limit=BATCH, now=now)
    )
    if purge:
        _guarded("forgetting abandoned messages", 0, partial(_purge, factory, moment))
    if ran or notified or report.delivered or report.retried or report.abandoned:
        log.info(
            "DCI worker: %d waiting message(s) run, %d notification(s), %d delivered, %d to retry, %d abandoned",
            ran,
            notified,
            report.delivered,
            report.retried,
            report.abandoned,
        )
    return WorkerReport(run=ran, notified=notified, delivered=report)


class PurgeClock:
    """Says when a pass should also purge: at the first pass, then once every PURGE_EVERY."""

    def __init__(self) -> None:
        self._last: float | None = None

    def due(self) -> bool:
        now = time.monotonic()
        if self._last is None or now - self._last >= PURGE_EVERY:
            self._last = now
            return True
        return False


async def run_forever(app_state: Any, interval_s: float) -> None:
    """The API process's timer: a pass every `interval_s` on the DCI's own threads, so that
    answers owed go out and retries happen without a separate process; several processes may
    run it (claims keep them apart)."""
    clock = PurgeClock()
    while True:
        await anyio.sleep(interval_s)
        work = partial(run_once, app_state.sessionmaker, app_state.dci_http, app_state.dci_signer, purge=clock.due())
        try:
            await anyio.to_thread.run_sync(work, limiter=_limiter(app_state), abandon_on_cancel=True)
        except Exception as exc:
            # The next pass tries again; the loop must outlive a database that went away.
            log.error("DCI worker pass failed (%s)", type(exc).__name__)
