"""Enrollment files: intake with an immediate receipt, the annex queue, corrections, validation,
withdrawal; and the two doors open to citizens (send a form, follow a file)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Permission, Role
from sijill.api.deps import CurrentActor, SessionDep, client_source
from sijill.db import transaction
from sijill.enrollment import queries, service, sla
from sijill.enrollment.daily_report import send_daily_report
from sijill.enrollment.models import STATUSES
from sijill.enrollment.operators import HttpOperatorClient, OperatorClient
from sijill.enrollment.schemas import (
    ApplicationOut,
    CitizenStatusOut,
    CorrectionIn,
    Label,
    NotificationOut,
    QueuePage,
    ReceiptOut,
    StepOutcomeOut,
    SubmissionIn,
    TransmissionOut,
    ValidationIn,
    WaitingRow,
    WithdrawalIn,
)
from sijill.enrollment.states import wrong_state
from sijill.enrollment.transmit import queue_batches, send_due
from sijill.errors import NotFoundError

router = APIRouter(prefix="/applications", tags=["applications"])
public_router = APIRouter(prefix="/public/applications", tags=["citizens"])
log = logging.getLogger(__name__)

ReceiptPath = Annotated[str, Path(pattern=r"^[A-Z]{2}[0-9]{2}-[0-9]{8}-[0-9]$")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key", min_length=1, max_length=80, description="the same key answers with the first receipt"
    ),
]
StatusFilter = Annotated[str | None, Query(pattern="^(" + "|".join(STATUSES) + ")$")]


def _intake(
    request: Request,
    response: Response,
    actor: Actor,
    data: SubmissionIn,
    channel: str,
    key: str | None,
    *,
    check_now: bool,
) -> ReceiptOut:
    """The receipt is committed on its own before the checks run: if they fail, the file is still
    counted, waiting in `received` for the next check run (`sijill applications check`)."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with transaction(factory) as session:
        received = service.receive(
            session, actor, workflow=data.workflow, form=data.form, channel=channel, idempotency_key=key
        )
    state = "received"
    try:
        with transaction(factory) as session:
            if check_now and not received.duplicate:
                service.check_received(session, actor, [received.application_id])
            state = service.status_of(session, received.application_id)
    except Exception:
        # Logged without the form: the receipt stands, the check will be run again.
        log.exception("check failed after intake of application %s", received.application_id)
    response.status_code = status.HTTP_200_OK if received.duplicate else status.HTTP_201_CREATED
    return ReceiptOut(
        receipt=received.receipt, received_at=received.received_at, duplicate=received.duplicate, status=state
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def submit(
    request: Request, response: Response, data: SubmissionIn, actor: CurrentActor, key: IdempotencyKey = None
) -> ReceiptOut:
    """Take a form at the annex: its receipt at once (201), then the cross-check; the same form
    or key again answers with the first receipt (200)."""
    return _intake(request, response, actor, data, "annex", key, check_now=True)


@router.get("")
def queue(
    actor: CurrentActor,
    session: SessionDep,
    status_: Annotated[StatusFilter, Query(alias="status")] = None,
    workflow: Annotated[str | None, Query(pattern=r"^[a-z0-9-]{1,40}$")] = None,
    annex_code: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> QueuePage:
    """Files in your territory, oldest first (status=awaiting_validation: the validation queue;
    status=to_correct: files to correct)."""
    return queries.list_applications(
        session, actor, status=status_, workflow=workflow, annex_code=annex_code, page=page, page_size=page_size
    )


@router.get("/waiting")
def waiting(actor: CurrentActor, session: SessionDep) -> list[WaitingRow]:
    """Files at the annex longer than their workflow allows, by annex, workflow and state."""
    return queries.waiting_report(session, actor)


@router.post("/validations")
def validate_many(data: ValidationIn, actor: CurrentActor, session: SessionDep) -> list[StepOutcomeOut]:
    """Validate many files at once; each receipt says whether it moved and its state now."""
    return [
        StepOutcomeOut(receipt=o.receipt, done=o.done, status=o.status)
        for o in service.validate(session, actor, data.receipts)
    ]


@router.get("/{receipt}")
def show(receipt: ReceiptPath, actor: CurrentActor, session: SessionDep) -> ApplicationOut:
    return queries.read_application(session, actor, receipt)


@router.post("/{receipt}/corrections", status_code=status.HTTP_201_CREATED)
def correct(receipt: ReceiptPath, data: CorrectionIn, actor: CurrentActor, session: SessionDep) -> ApplicationOut:
    """A corrected form: a new version of the file, checked again."""
    service.correct(session, actor, receipt, data.form)
    return queries.read_application(session, actor, receipt)


@router.post("/{receipt}/validation")
def validate_one(receipt: ReceiptPath, actor: CurrentActor, session: SessionDep) -> ApplicationOut:
    outcome = service.validate(session, actor, [receipt])[0]
    if outcome.status is None:
        raise NotFoundError("application", receipt)
    if not outcome.done:
        raise wrong_state(receipt, outcome.status, "validated")
    return queries.read_application(session, actor, receipt)


@router.post("/{receipt}/withdrawal")
def withdraw(receipt: ReceiptPath, data: WithdrawalIn, actor: CurrentActor, session: SessionDep) -> ApplicationOut:
    service.withdraw(session, actor, receipt, data.reason)
    return queries.read_application(session, actor, receipt)


def citizen_actor(request: Request) -> Actor:
    return Actor(username="online", role=Role.CITIZEN, scope_code=None, source=client_source(request))


@public_router.post("", status_code=status.HTTP_201_CREATED)
def submit_online(request: Request, response: Response, data: SubmissionIn, key: IdempotencyKey = None) -> ReceiptOut:
    """Send a form from home: a receipt at once. The checks run with the next batch (`sijill
    applications check`), which sends the file to its household's annex."""
    return _intake(request, response, citizen_actor(request), data, "online", key, check_now=False)


class StatusQuery(BaseModel):
    receipt: str = Field(max_length=24)
    idcs: str = Field(max_length=10)


@public_router.post("/status")
def citizen_status(request: Request, query: StatusQuery) -> CitizenStatusOut:
    """A file's state and reasons for whoever holds its receipt and the applicant's IDCS (sent in
    the body, so that neither lands in a URL or a log). Failed lookups are audited too."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with transaction(factory) as session:
        shown = queries.find_citizen_file(session, citizen_actor(request), query.receipt, query.idcs)
    if shown is None:
        raise NotFoundError("application", query.receipt[:24])
    return shown


@router.get("/reports/ageing")
def ageing_report(actor: CurrentActor, session: SessionDep) -> list[sla.AgeingRow]:
    """Open files by annex, workflow and step (intake, validated, transmitted, decided), by age."""
    return sla.ageing(session, actor)


@router.get("/reports/overdue")
def overdue_report(actor: CurrentActor, session: SessionDep) -> list[sla.OverdueRow]:
    """Files at the operator past their deadline, most late first."""
    return sla.overdue(session, actor)


@router.get("/{receipt}/notifications")
def notifications(receipt: ReceiptPath, actor: CurrentActor, session: SessionDep) -> list[NotificationOut]:
    return [
        NotificationOut(
            channel=n.channel,
            recipient=n.recipient,
            text=Label(ar=n.text_ar, fr=n.text_fr),
            created_at=n.created_at,
            sent_at=n.sent_at,
        )
        for n in queries.notifications_of(session, actor, receipt)
    ]


@router.post("/transmissions")
def transmit(request: Request, actor: CurrentActor) -> TransmissionOut:
    """Batch the validated files and send them to their operators now (the job `sijill
    applications transmit` runs); files an operator does not take wait for the next run."""
    actor.require(Permission.APPLICATION_TRANSMIT)
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    operators = request.app.state.settings.operators
    queued = 0
    for name in operators:
        with transaction(factory) as session:
            queued += queue_batches(session, actor, name)
    clients = {name: HttpOperatorClient(endpoint) for name, endpoint in operators.items()}
    try:
        report = send_due(factory, actor, dict[str, OperatorClient](clients))
    finally:
        for client in clients.values():
            client.close()
    return TransmissionOut(queued=queued, batches=report.batches, files=report.files, failures=report.failures)


@router.post("/reports/daily")
def daily_report(actor: CurrentActor, session: SessionDep) -> dict[str, int]:
    """Send today's report to each supervisor with files waiting too long or overdue."""
    return {"sent": send_daily_report(session, actor)}
