"""`sijill applications ...`: every step of a file from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sijill.cli_support import cli_actor, cli_transaction, console
from sijill.errors import SijillError, Text

applications_app = typer.Typer(help="Enrollment files / ملفات التسجيل / dossiers d'inscription", no_args_is_help=True)

ReceiptArgument = Annotated[str, typer.Argument(help="receipt number, e.g. AT26-48213907-3")]


def _form(path: Path) -> dict[str, Any]:
    try:
        form = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SijillError(
            code="form_unreadable",
            field="form",
            value=str(path),
            message=Text(
                f"تعذرت قراءة الاستمارة {path}", f"Formulaire illisible : {path}", f"cannot read form {path}: {exc}"
            ),
            fix=Text("ملف JSON بترميز UTF-8", "un fichier JSON en UTF-8", "a UTF-8 JSON file"),
        ) from None
    if not isinstance(form, dict):
        raise SijillError(
            code="form_unreadable",
            field="form",
            value=str(path),
            message=Text(
                "الاستمارة ليست كائن JSON", "Le formulaire n'est pas un objet JSON", "form is not a JSON object"
            ),
            fix=Text('مثال: {"applicant_idcs": "..."}', 'exemple : {"applicant_idcs": "..."}', "an object of fields"),
        )
    return form


def _print_json(value: Any) -> None:
    console.print_json(json.dumps(value, ensure_ascii=False, default=str))


@applications_app.command("submit")
def submit_command(
    form_file: Annotated[Path, typer.Argument(help="the form as JSON")],
    workflow: Annotated[str, typer.Option(help="amo-tadamon, asd, daam")] = "amo-tadamon",
    key: Annotated[
        str | None, typer.Option(help="idempotency key: the same key answers with the first receipt")
    ] = None,
) -> None:
    """Give a form its receipt, then cross-check it."""
    from sijill.enrollment.service import check_received, receive, status_of

    form = _form(form_file)
    actor = cli_actor()
    with cli_transaction() as session:
        received = receive(session, actor, workflow=workflow, form=form, channel="annex", idempotency_key=key)
    with cli_transaction() as session:
        if not received.duplicate:
            check_received(session, actor, [received.application_id])
        state = status_of(session, received.application_id)
    repeated = " (already received)" if received.duplicate else ""
    console.print(
        f"{received.receipt} received {received.received_at.isoformat(timespec='seconds')}: {state}{repeated}"
    )


@applications_app.command("check")
def check_command(
    loop: Annotated[bool, typer.Option(help="keep going, every --interval seconds")] = False,
    interval: Annotated[float, typer.Option(min=0.1)] = 2.0,
) -> None:
    """Cross-check every file still waiting in `received` (forms sent online or in bulk), in batches."""
    import time

    from sijill.cli_support import cli_sessionmaker
    from sijill.enrollment.service import check_all

    factory = cli_sessionmaker()
    while True:
        checked = check_all(factory, cli_actor())
        console.print(f"{checked:,} files checked")
        if not loop:
            return
        time.sleep(interval)


@applications_app.command("list")
def list_command(
    status: Annotated[str | None, typer.Option(help="e.g. awaiting_validation, to_correct")] = None,
    workflow: Annotated[str | None, typer.Option()] = None,
    annex: Annotated[str | None, typer.Option(help="territory code")] = None,
    page: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Files oldest first."""
    from sijill.enrollment.queries import list_applications

    with cli_transaction() as session:
        found = list_applications(session, cli_actor(), status=status, workflow=workflow, annex_code=annex, page=page)
    table = Table("receipt", "workflow", "annex", "status", "reasons", "days", title=f"{found.total:,} files")
    for item in found.items:
        table.add_row(
            item.receipt,
            item.workflow,
            item.annex_code or "-",
            item.status,
            ",".join(item.reasons),
            str(item.waiting_days),
        )
    console.print(table)


@applications_app.command("show")
def show_command(receipt: ReceiptArgument) -> None:
    """One file: its state, reasons, versions and history, as JSON."""
    from sijill.enrollment.queries import read_application

    with cli_transaction() as session:
        _print_json(read_application(session, cli_actor(), receipt).model_dump(mode="json"))


@applications_app.command("correct")
def correct_command(receipt: ReceiptArgument, form_file: Annotated[Path, typer.Argument()]) -> None:
    """A corrected form: a new version, checked again."""
    from sijill.enrollment.service import correct

    with cli_transaction() as session:
        file = correct(session, cli_actor(), receipt, _form(form_file))
        console.print(f"{receipt} version {file.current_version}: {file.status}")


@applications_app.command("validate")
def validate_command(receipts: Annotated[list[str], typer.Argument(help="one or more receipts")]) -> None:
    """Validate files waiting at the annex."""
    from sijill.enrollment.service import validate

    with cli_transaction() as session:
        outcomes = validate(session, cli_actor(), receipts)
    for outcome in outcomes:
        console.print(
            f"{outcome.receipt}: {'validated' if outcome.done else 'not moved'} ({outcome.status or 'not found'})"
        )


@applications_app.command("withdraw")
def withdraw_command(receipt: ReceiptArgument, reason: Annotated[str, typer.Option(help="why it is closed")]) -> None:
    from sijill.enrollment.service import withdraw

    with cli_transaction() as session:
        withdraw(session, cli_actor(), receipt, reason)
    console.print(f"{receipt}: withdrawn")


@applications_app.command("waiting")
def waiting_command() -> None:
    """The daily report: files at the annex for longer than their workflow allows."""
    from sijill.enrollment.queries import waiting_report

    with cli_transaction() as session:
        rows = waiting_report(session, cli_actor())
    table = Table("annex", "workflow", "status", "files", "oldest", title="waiting too long")
    for row in rows:
        table.add_row(
            row.annex_code or "-",
            row.workflow,
            row.status,
            f"{row.files:,}",
            row.oldest_received_at.isoformat(timespec="minutes"),
        )
    console.print(table)


@applications_app.command("status")
def status_command(receipt: ReceiptArgument, idcs: Annotated[str, typer.Option(help="the applicant's IDCS")]) -> None:
    """What the applicant sees of the file."""
    from sijill.access.actor import Actor
    from sijill.access.roles import Role
    from sijill.enrollment.queries import citizen_status

    with cli_transaction() as session:
        shown = citizen_status(session, Actor("online", Role.CITIZEN, None, cli_actor().source), receipt, idcs)
    _print_json(shown.model_dump(mode="json"))


@applications_app.command("transmit")
def transmit_command(
    operator: Annotated[list[str] | None, typer.Option(help="operator id(s); default: every one configured")] = None,
    loop: Annotated[bool, typer.Option(help="keep going, every --interval seconds")] = False,
    interval: Annotated[float, typer.Option(min=0.1)] = 5.0,
) -> None:
    """Batch validated files and send them to their operator (SIJILL_OPERATORS), with retries."""
    import time

    from sijill.cli_support import cli_sessionmaker
    from sijill.config import get_settings
    from sijill.db import transaction
    from sijill.enrollment.operators import HttpOperatorClient, OperatorClient
    from sijill.enrollment.transmit import queue_batches, send_due

    configured = get_settings().operators
    wanted = operator or sorted(configured)
    missing = [o for o in wanted if o not in configured]
    if missing or not wanted:
        raise SijillError(
            code="operator_not_configured",
            field="operator",
            value=", ".join(missing),
            message=Text(
                f"الهيئة غير مهيأة: {', '.join(missing) or '-'}",
                f"Opérateur non configuré : {', '.join(missing) or '-'}",
                f"operator not configured: {missing}",
            ),
            fix=Text(
                "عرفوا SIJILL_OPERATORS (العنوان والسر)",
                "Définissez SIJILL_OPERATORS (adresse et secret)",
                "set SIJILL_OPERATORS with its url and secret",
            ),
        )
    http = {o: HttpOperatorClient(configured[o]) for o in wanted}
    clients: dict[str, OperatorClient] = dict(http)
    actor = cli_actor()
    factory = cli_sessionmaker()
    while True:
        for name in wanted:
            with transaction(factory) as session:
                queued = queue_batches(session, actor, name)
            if queued:
                console.print(f"{name}: {queued:,} files queued")
        report = send_due(factory, actor, clients)
        console.print(f"{report.batches} batches sent ({report.files:,} files transmitted)")
        for failure in report.failures:
            console.print(f"not sent, will retry: {failure}")
        if not loop:
            break
        time.sleep(interval)
    for client in http.values():
        client.close()


@applications_app.command("ageing")
def ageing_command() -> None:
    """Open files by annex, workflow and step, by how long they have waited in it."""
    from sijill.enrollment.sla import ageing

    with cli_transaction() as session:
        rows = ageing(session, cli_actor())
    table = Table("annex", "workflow", "step", "files", "≤1 d", "≤7 d", "≤30 d", ">30 d", title="ageing")
    for r in rows:
        counts = (r.files, r.up_to_1_day, r.up_to_7_days, r.up_to_30_days, r.over_30_days)
        table.add_row(r.annex_code or "-", r.workflow, r.step, *(f"{c:,}" for c in counts))
    console.print(table)


@applications_app.command("overdue")
def overdue_command() -> None:
    """Files at the operator past their deadline."""
    from sijill.enrollment.sla import overdue

    with cli_transaction() as session:
        rows = overdue(session, cli_actor())
    table = Table("receipt", "workflow", "annex", "due on", "days late", title=f"{len(rows):,} overdue")
    for r in rows:
        table.add_row(r.receipt, r.workflow, r.annex_code or "-", r.due_on.isoformat(), str(r.days_late))
    console.print(table)


@applications_app.command("daily-report")
def daily_report_command() -> None:
    """Send today's report to the supervisors (once a day; run it from a scheduler)."""
    from sijill.enrollment.daily_report import send_daily_report

    with cli_transaction() as session:
        sent = send_daily_report(session, cli_actor())
    console.print(f"{sent} supervisors sent today's report")


@applications_app.command("messages")
def messages_command(receipt: ReceiptArgument) -> None:
    """The messages sent to the applicant about a file."""
    from sijill.enrollment.queries import notifications_of

    with cli_transaction() as session:
        for message in notifications_of(session, cli_actor(), receipt):
            sent = message.sent_at.isoformat(timespec="seconds") if message.sent_at else "not sent"
            console.print(
                f"[{message.channel} → {message.recipient or '-'} · {sent}]\n{message.text_ar}\n{message.text_fr}"
            )


@applications_app.command("complain")
def complain_command(
    kind: Annotated[str, typer.Option(help="exclusion, inclusion or data_error")],
    description: Annotated[str, typer.Option()],
    receipt: Annotated[str | None, typer.Option()] = None,
    household: Annotated[str | None, typer.Option(help="household number, e.g. HH000000042")] = None,
) -> None:
    """File a complaint about a file or a household."""
    from sijill.enrollment.complaints import file_complaint

    with cli_transaction() as session:
        filed = file_complaint(
            session,
            cli_actor(),
            kind=kind,
            description=description,
            receipt=receipt,
            household=household,
        )
    console.print(f"{filed.number} filed, to answer by {filed.due_on.isoformat()}")


@applications_app.command("decide-complaint")
def decide_complaint_command(
    number: Annotated[str, typer.Argument()],
    outcome: Annotated[str, typer.Option(help="the reason of the decision")],
    upheld: Annotated[bool, typer.Option("--upheld/--rejected")] = False,
) -> None:
    """Uphold or reject a complaint; upheld, its file goes through the flow again."""
    from sijill.enrollment.complaints import decide_complaint

    with cli_transaction() as session:
        decided = decide_complaint(session, cli_actor(), number, upheld=upheld, outcome=outcome)
    console.print(
        f"{decided.number}: {decided.status}" + (f", file {decided.file_status}" if decided.file_status else "")
    )
