"""Agents: take an AMO Tadamon form at the annex (a receipt first, then the cross-check), read the
file with its history and reasons, print its receipt, and act on it as its state allows:
validate, correct, withdraw. The daily queue and the files to correct are in agent_queue."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sijill.access.roles import Permission
from sijill.api.deps import SessionDep
from sijill.enrollment import queries, service
from sijill.enrollment.schemas import ApplicationOut
from sijill.enrollment.states import CORRECTABLE, STATUS_LABELS, can_move
from sijill.enrollment.workflows import shipped_workflows
from sijill.errors import NotFoundError, SijillError
from sijill.social_registry import queries as households
from sijill.social_registry.scores import model_for
from sijill.web import agent_queue
from sijill.web.agent_application_form import (
    WORKFLOW,
    input_names,
    parse_application,
    row_count,
    stored_rows,
    values_of_form,
    values_of_household,
)
from sijill.web.agent_household_form import choice_label
from sijill.web.deps import CheckedForm, PageUser, require
from sijill.web.forms import FormErrors, form_values, from_domain
from sijill.web.i18n import pick, translate
from sijill.web.sessions import SignedIn
from sijill.web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(agent_queue.router)
log = logging.getLogger(__name__)

ReceiptPath = Annotated[str, Path(pattern=r"^[A-Z]{2}[0-9]{2}-[0-9]{8}-[0-9]$")]
HouseholdQuery = Annotated[str | None, Query(pattern=r"^HH[0-9]{9}$")]
_KEY = re.compile(r"[A-Za-z0-9_-]{16,80}")
DONE_MESSAGES = {
    "validated": "application.validated",
    "withdrawn": "application.withdrawn",
    "corrected": "application.corrected",
}


def _relationships(language: str) -> list[tuple[str, str]]:
    """The questionnaire's relationships to the head, but the head's own."""
    question = model_for(date.today()).questionnaire.member_fields["relationship"]
    return [("", "—"), *((c, choice_label(language, "relationship", c)) for c in question.categories if c != "head")]


def _form_page(
    request: Request,
    user: SignedIn,
    *,
    rows: int,
    values: dict[str, str],
    errors: FormErrors | None = None,
    receipt: str | None = None,
    status_code: int | None = None,
) -> HTMLResponse:
    context = {
        "receipt": receipt,
        "action": f"/applications/{receipt}/correct" if receipt else "/applications/new",
        "rows": rows,
        "relationships": _relationships(user.language),
        "workflow_name": pick(user.language, shipped_workflows()[WORKFLOW].name),
    }
    status = status_code if status_code is not None else (422 if errors else 200)
    return render(request, "applications/form.html", user, context, status_code=status, errors=errors, values=values)


@router.get("/applications/new", response_class=HTMLResponse)
def new_application(
    request: Request, session: SessionDep, user: PageUser, household: HouseholdQuery = None
) -> HTMLResponse:
    require(user, Permission.APPLICATION_SUBMIT)
    values: dict[str, str] = {}
    if household is not None:
        values = values_of_household(households.read_household(session, user.actor, household))
    # One key per form shown: sending it twice (a double click, a reload) answers with one receipt.
    values["idempotency_key"] = secrets.token_urlsafe(24)
    return _form_page(request, user, rows=stored_rows(values), values=values)


@router.post("/applications/new", response_class=HTMLResponse)
def take_application(request: Request, session: SessionDep, user: PageUser, form: CheckedForm) -> Response:
    require(user, Permission.APPLICATION_SUBMIT)
    rows = row_count(form, form.get("action") == "more")
    values = form_values(form, [*input_names(rows), "idempotency_key"])
    if form.get("action") == "more":
        return _form_page(request, user, rows=rows, values=values)
    parsed = parse_application(rows, values, user.language)
    if parsed.form is None:
        return _form_page(request, user, rows=rows, values=values, errors=parsed.errors)
    key = values.get("idempotency_key")
    try:
        received = service.receive(
            session,
            user.actor,
            workflow=WORKFLOW,
            form=parsed.form,
            channel="annex",
            idempotency_key=key if key and _KEY.fullmatch(key) else None,
        )
    except SijillError as exc:
        session.rollback()
        return _form_page(
            request, user, rows=rows, values=values, errors=from_domain(exc, user.language), status_code=exc.status
        )
    # The receipt stands on its own: whatever the checks do next, the form is counted.
    session.commit()
    if not received.duplicate:
        _check(session, user, received.application_id)
    suffix = "?duplicate=1" if received.duplicate else ""
    return RedirectResponse(f"/applications/{received.receipt}/receipt{suffix}", status_code=303)


def _check(session: Session, user: SignedIn, application_id: int) -> None:
    try:
        service.check_received(session, user.actor, [application_id])
        session.commit()
    except Exception:
        # Logged without the form: the file waits in `received` for the next check run.
        session.rollback()
        log.exception("check failed after intake of application %s", application_id)


def _file_context(user: SignedIn, shown: ApplicationOut) -> dict[str, Any]:
    language = user.language
    flow = shipped_workflows()[shown.workflow]
    label = partial(pick, language)
    current = shown.versions[-1].form if shown.versions else {}
    return {
        "file": shown,
        "workflow_name": label(flow.name),
        "status_label": label(shown.status_label.model_dump()),
        "labels_of": {name: label(text) for name, text in STATUS_LABELS.items()},
        "reasons": [
            (label(r.text.model_dump()), label(r.fix.model_dump()) if r.fix else "", r.field) for r in shown.reasons
        ],
        "current": values_of_form(current),
        "relationship": partial(choice_label, language, "relationship"),
        "can_validate": shown.status == "awaiting_validation" and user.actor.can(Permission.APPLICATION_VALIDATE),
        "can_correct": shown.status in CORRECTABLE and user.actor.can(Permission.APPLICATION_SUBMIT),
        "can_withdraw": can_move(shown.status, "withdrawn") and user.actor.can(Permission.APPLICATION_VALIDATE),
    }


def _file_page(
    request: Request,
    session: Session,
    user: SignedIn,
    receipt: str,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    shown = queries.read_application(session, user.actor, receipt)
    done = request.query_params.get("done", "")
    context = {**_file_context(user, shown), "done": DONE_MESSAGES.get(done)}
    return render(
        request, "applications/show.html", user, context, status_code=status_code, errors=errors, values=values
    )


@router.get("/applications/{receipt}", response_class=HTMLResponse)
def show_application(request: Request, session: SessionDep, user: PageUser, receipt: ReceiptPath) -> HTMLResponse:
    return _file_page(request, session, user, receipt)


@router.get("/applications/{receipt}/receipt", response_class=HTMLResponse)
def printable_receipt(request: Request, session: SessionDep, user: PageUser, receipt: ReceiptPath) -> HTMLResponse:
    shown = queries.read_application(session, user.actor, receipt)
    context = {**_file_context(user, shown), "duplicate": request.query_params.get("duplicate") == "1"}
    return render(request, "applications/receipt.html", user, context)


@router.post("/applications/{receipt}/validation", response_class=HTMLResponse)
def validate_application(
    request: Request, session: SessionDep, user: PageUser, form: CheckedForm, receipt: ReceiptPath
) -> Response:
    require(user, Permission.APPLICATION_VALIDATE)
    outcome = service.validate(session, user.actor, [receipt])[0]
    if outcome.status is None:
        raise NotFoundError("application", receipt)
    if not outcome.done:
        errors = FormErrors()
        status = pick(user.language, STATUS_LABELS[outcome.status])
        errors.add(None, translate(user.language, "application.not_validated", status=status))
        return _file_page(request, session, user, receipt, errors=errors, status_code=409)
    return RedirectResponse(f"/applications/{receipt}?done=validated", status_code=303)


@router.post("/applications/{receipt}/withdrawal", response_class=HTMLResponse)
def withdraw_application(
    request: Request, session: SessionDep, user: PageUser, form: CheckedForm, receipt: ReceiptPath
) -> Response:
    require(user, Permission.APPLICATION_VALIDATE)
    values = form_values(form, ["reason"])
    reason = values.get("reason", "")
    if not reason or len(reason) > 400:
        errors = FormErrors()
        errors.add("reason", translate(user.language, "application.withdraw.error"))
        return _file_page(request, session, user, receipt, errors=errors, values=values, status_code=422)
    try:
        service.withdraw(session, user.actor, receipt, reason)
    except SijillError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        errors = from_domain(exc, user.language)
        return _file_page(request, session, user, receipt, errors=errors, values=values, status_code=exc.status)
    return RedirectResponse(f"/applications/{receipt}?done=withdrawn", status_code=303)


@router.get("/applications/{receipt}/correct", response_class=HTMLResponse)
def correction_form(request: Request, session: SessionDep, user: PageUser, receipt: ReceiptPath) -> HTMLResponse:
    require(user, Permission.APPLICATION_SUBMIT)
    shown = queries.read_application(session, user.actor, receipt)
    values = values_of_form(shown.versions[-1].form if shown.versions else {})
    return _form_page(request, user, rows=stored_rows(values), values=values, receipt=receipt)


@router.post("/applications/{receipt}/correct", response_class=HTMLResponse)
def correct_application(
    request: Request, session: SessionDep, user: PageUser, form: CheckedForm, receipt: ReceiptPath
) -> Response:
    require(user, Permission.APPLICATION_SUBMIT)
    rows = row_count(form, form.get("action") == "more")
    values = form_values(form, input_names(rows))
    # Out of scope is the same answer as no file at all, before anything typed is looked at.
    service.scoped_application(session, user.actor, receipt)
    if form.get("action") == "more":
        return _form_page(request, user, rows=rows, values=values, receipt=receipt)
    parsed = parse_application(rows, values, user.language)
    if parsed.form is None:
        return _form_page(request, user, rows=rows, values=values, errors=parsed.errors, receipt=receipt)
    try:
        service.correct(session, user.actor, receipt, parsed.form)
    except SijillError as exc:
        session.rollback()
        errors = from_domain(exc, user.language)
        return _form_page(
            request, user, rows=rows, values=values, errors=errors, receipt=receipt, status_code=exc.status
        )
    return RedirectResponse(f"/applications/{receipt}?done=corrected", status_code=303)
