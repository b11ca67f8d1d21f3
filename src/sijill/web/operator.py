"""The programme operator's desk: the files transmitted to it, oldest first with the days left,
one file, and its decision (accept with the operator's registration number, or refuse with a
reason of the programme's list). The decision is the same step as the operator's signed callbacks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sijill.access.roles import Permission
from sijill.api.deps import SessionDep
from sijill.enrollment import operator_desk
from sijill.enrollment.notifications import NotificationChannel, RecordingChannel
from sijill.enrollment.states import STATUS_LABELS
from sijill.enrollment.workflows import shipped_workflows
from sijill.errors import SijillError
from sijill.web.deps import CheckedForm, PageUser, require
from sijill.web.forms import FormErrors, form_values, from_domain
from sijill.web.i18n import translate
from sijill.web.sessions import SignedIn
from sijill.web.templating import render

router = APIRouter(include_in_schema=False)
ReceiptPath = Annotated[str, Path(pattern=r"^[A-Z]{2}[0-9]{2}-[0-9]{8}-[0-9]$")]
WorkflowFilter = Annotated[str | None, Query(max_length=40)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
DECISION_FIELDS = ("outcome", "reference", "reason", "note")
RELATIONSHIPS = ("head", "spouse", "child", "parent", "sibling", "other_relative", "non_relative")
PAGE_SIZE = 50


def _channel(request: Request) -> NotificationChannel:
    # The same channel the callbacks tell applicants through (an SMS gateway once one is set).
    channel: NotificationChannel = getattr(request.app.state, "notification_channel", RecordingChannel())
    return channel


@router.get("/operator/files", response_class=HTMLResponse)
def files(
    request: Request,
    session: SessionDep,
    user: PageUser,
    workflow: WorkflowFilter = None,
    page: PageNumber = 1,
) -> HTMLResponse:
    require(user, Permission.OPERATOR_DECIDE)
    flows = shipped_workflows()
    # An unknown workflow in a hand-edited address shows every file rather than an error page.
    chosen = workflow if workflow in flows else None
    found = operator_desk.list_files(session, user.actor, workflow=chosen, page=page, page_size=PAGE_SIZE)
    options = [("", translate(user.language, "operator.files.all_workflows"))]
    options += [(flow.id, flow.name.fr if user.language == "fr" else flow.name.ar) for flow in flows.values()]
    return render(
        request,
        "operator/files.html",
        user,
        {
            "found": found,
            "workflow_options": options,
            "chosen": chosen or "",
            "has_next": page * PAGE_SIZE < found.total,
        },
        values={"workflow": chosen or ""},
    )


def _relationship(language: str, code: Any) -> str:
    if code in RELATIONSHIPS:
        return translate(language, f"operator.relationship.{code}")
    return str(code or "—")


def _file_page(
    request: Request,
    session: SessionDep,
    user: SignedIn,
    receipt: str,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    shown = operator_desk.show_file(session, user.actor, receipt)
    workflow = shipped_workflows()[shown.workflow]
    reasons = [("", "—")] + [
        (c.code, c.text.fr if user.language == "fr" else c.text.ar) for c in operator_desk.reason_choices(workflow)
    ]
    members = shown.form.get("members")
    rows = [
        {"idcs": m.get("idcs", "—"), "relationship": _relationship(user.language, m.get("relationship"))}
        for m in (members if isinstance(members, list) else [])
        if isinstance(m, dict)
    ]
    listed = {"applicant_idcs", "members", "address", "phone", "annex_code"}
    other = {k: v for k, v in shown.form.items() if k not in listed}
    return render(
        request,
        "operator/file.html",
        user,
        {
            "file": shown,
            "reasons": reasons,
            "members": rows,
            "other_answers": other,
            "status_labels": STATUS_LABELS,
        },
        status_code=status_code,
        errors=errors,
        values=values or {},
    )


@router.get("/operator/files/{receipt}", response_class=HTMLResponse)
def show_file(request: Request, session: SessionDep, user: PageUser, receipt: ReceiptPath) -> HTMLResponse:
    require(user, Permission.OPERATOR_DECIDE)
    return _file_page(request, session, user, receipt)


@router.post("/operator/files/{receipt}", response_class=HTMLResponse)
def decide_file(
    request: Request, session: SessionDep, user: PageUser, form: CheckedForm, receipt: ReceiptPath
) -> Response:
    require(user, Permission.OPERATOR_DECIDE)
    values = form_values(form, DECISION_FIELDS)
    errors = FormErrors()
    outcome = values.get("outcome", "")
    if outcome == "accepted" and not values.get("reference"):
        errors.add("reference", translate(user.language, "operator.error.reference_missing"))
    if outcome == "refused" and not values.get("reason"):
        errors.add("reason", translate(user.language, "operator.error.reason_missing"))
    if errors:
        return _file_page(request, session, user, receipt, values=values, errors=errors, status_code=422)
    try:
        operator_desk.decide_file(
            session,
            user.actor,
            receipt,
            outcome=outcome,
            reference=values.get("reference"),
            reason=values.get("reason"),
            note=values.get("note", ""),
            channel=_channel(request),
        )
    except SijillError as exc:
        # Nothing of a refused decision is kept; the page shows the file as it now stands.
        session.rollback()
        if exc.status == 404:
            raise
        return _file_page(
            request,
            session,
            user,
            receipt,
            values=values,
            errors=from_domain(exc, user.language),
            status_code=exc.status if exc.status in (409, 422) else 422,
        )
    return RedirectResponse(f"/operator/files/{receipt}", status_code=303)
