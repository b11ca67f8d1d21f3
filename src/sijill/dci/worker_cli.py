"""`sijill dci worker|deliveries|resend|subscriptions`: running the DCI interface's background
work outside the API process, and what an administrator sees of the messages owed to partners
and of their subscriptions."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from sijill.cli_support import cli_actor, cli_transaction, console, engine_from_settings
from sijill.config import get_settings
from sijill.db import make_sessionmaker
from sijill.dci.deliveries import resend
from sijill.dci.models import DciDelivery, DciPartner, DciSubscription
from sijill.dci.outbox import ABANDONED, DELIVERED, PENDING
from sijill.dci.worker import PurgeClock, callback_http, message_signer, run_once
from sijill.errors import SijillError, Text

STATES = (PENDING, ABANDONED, DELIVERED)


def worker(
    once: Annotated[bool, typer.Option(help="one pass, then exit (for cron or a systemd timer)")] = False,
    interval: Annotated[float, typer.Option(min=0.5, max=3600, help="seconds between passes")] = 5.0,
) -> None:
    """Run waiting async messages and deliver what partners are owed, with retries (several
    workers may run at once). With the API's own timer on, this is only needed to scale out."""
    settings = get_settings()
    factory = make_sessionmaker(engine_from_settings())
    sign = message_signer(settings)
    clock = PurgeClock()
    with callback_http() as http:
        while True:
            report = run_once(factory, http, sign, purge=clock.due())
            sent = report.delivered
            console.print(
                f"{report.run} run, {report.notified} notification(s), {sent.delivered} delivered, "
                f"{sent.retried} to retry, {sent.abandoned} abandoned"
            )
            if once:
                return
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return


def deliveries(
    state: Annotated[str, typer.Option(help=f"one of {', '.join(STATES)}")] = PENDING,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """The messages owed to partners in one state: never their content, only where they go and
    what became of them."""
    if state not in STATES:
        raise SijillError(
            code="invalid_value",
            field="state",
            value=state,
            status=422,
            message=Text("حالة غير معروفة", "état inconnu", f"state must be one of {', '.join(STATES)}"),
            fix=Text(f"اختاروا من: {', '.join(STATES)}", f"Choisissez parmi : {', '.join(STATES)}", "pick a state"),
        )
    with cli_transaction() as session:
        rows = session.execute(
            select(DciDelivery, DciPartner.client_id)
            .join(DciPartner, DciPartner.id == DciDelivery.partner_id)
            .where(DciDelivery.state == state)
            .order_by(DciDelivery.id.desc())
            .limit(limit)
        ).all()
        table = Table("id", "partner", "action", "attempts", "next attempt", "last error", "kept")
        for delivery, client_id in rows:
            table.add_row(
                str(delivery.id),
                client_id,
                delivery.action,
                str(delivery.attempts),
                delivery.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S") if state == PENDING else "",
                delivery.last_error or "",
                "yes" if delivery.body is not None else "no",
            )
        console.print(table)


def resend_command(
    delivery_id: Annotated[int, typer.Option("--id", help="the message's id (sijill dci deliveries)")],
) -> None:
    """Send an abandoned message again, with a fresh set of attempts."""
    with cli_transaction() as session:
        row = resend(session, cli_actor(), delivery_id, datetime.now(UTC))
    if row is None:
        raise SijillError(
            code="not_resendable",
            field="id",
            value=str(delivery_id),
            status=422,
            message=Text(
                "لا توجد رسالة متروكة محفوظة بهذا الرقم",
                "aucun message abandonné et conservé sous ce numéro",
                "no abandoned message with its content still kept has this id",
            ),
            fix=Text(
                "انظروا sijill dci deliveries --state abandoned",
                "Voir sijill dci deliveries --state abandoned",
                "see sijill dci deliveries --state abandoned",
            ),
        )
    console.print(f"message {delivery_id} will be sent again")


def subscriptions(
    client_id: Annotated[str | None, typer.Option("--client-id", help="one partner's only")] = None,
    ended: Annotated[bool, typer.Option("--ended", help="also those unsubscribed")] = False,
) -> None:
    """The partners' subscriptions: what they are notified of and how far the sweep has read,
    never their filters (an identifier filter names a person)."""
    with cli_transaction() as session:
        query = (
            select(DciSubscription, DciPartner.client_id)
            .join(DciPartner, DciPartner.id == DciSubscription.partner_id)
            .order_by(DciPartner.client_id, DciSubscription.id)
        )
        if client_id is not None:
            query = query.where(DciPartner.client_id == client_id)
        if not ended:
            query = query.where(DciSubscription.status == "subscribe")
        table = Table("code", "partner", "event", "filter type", "records", "status", "seen until", "ends")
        for row, partner in session.execute(query).all():
            table.add_row(
                row.code,
                partner,
                row.reg_event_type,
                row.filter_type,
                row.notify_record_type,
                row.status,
                row.seen_until.strftime("%Y-%m-%d %H:%M:%S"),
                row.ends_at.strftime("%Y-%m-%d") if row.ends_at else "",
            )
        console.print(table)


def register_worker_commands(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("subscriptions")(subscriptions)
    app.command("deliveries")(deliveries)
    app.command("resend")(resend_command)
