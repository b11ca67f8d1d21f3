"""The annex's day: files waiting for the agent's validation, oldest first, validated several at
once; and the files the checks sent back, with their reasons in the agent's language."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sijill.access.roles import Permission
from sijill.api.deps import SessionDep
from sijill.enrollment import queries, service
from sijill.enrollment.reasons import reason_texts
from sijill.enrollment.schemas import QueuePage
from sijill.enrollment.workflows import shipped_workflows
from sijill.web.deps import CheckedForm, PageUser, require
from sijill.web.forms import FormErrors
from sijill.web.i18n import pick, translate
from sijill.web.sessions import SignedIn
from sijill.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
PageQuery = Annotated[int, Query(ge=1, le=100_000)]
RECEIPT = re.compile(r"[A-Z]{2}[0-9]{2}-[0-9]{8}-[0-9]")


def _listing(page: QueuePage, language: str) -> dict[str, Any]:
    flows = shipped_workflows()
    return {
        "listing": page,
        "pages": max(1, math.ceil(page.total / page.page_size)),
        "workflow_names": {name: pick(language, flow.name) for name, flow in flows.items()},
    }


def _queue_page(
    request: Request,
    session: Session,
    user: SignedIn,
    page: int,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    listing = queries.list_applications(
        session, user.actor, status="awaiting_validation", page=page, page_size=PAGE_SIZE
    )
    validated = request.query_params.get("validated")
    not_moved = request.query_params.get("not_moved")
    context = {
        **_listing(listing, user.language),
        "validated": int(validated) if validated and validated.isdigit() else None,
        "not_moved": int(not_moved) if not_moved and not_moved.isdigit() else 0,
    }
    return render(request, "applications/queue.html", user, context, status_code=status_code, errors=errors)


@router.get("/queue", response_class=HTMLResponse)
def daily_queue(request: Request, session: SessionDep, user: PageUser, page: PageQuery = 1) -> HTMLResponse:
    require(user, Permission.APPLICATION_VALIDATE)
    return _queue_page(request, session, user, page)


@router.post("/queue/validations", response_class=HTMLResponse)
def validate_many(request: Request, session: SessionDep, user: PageUser, form: CheckedForm) -> Response:
    require(user, Permission.APPLICATION_VALIDATE)
    ticked = [r for r in form.getlist("receipts") if isinstance(r, str) and RECEIPT.fullmatch(r)]
    if not ticked:
        errors = FormErrors()
        errors.add(None, translate(user.language, "queue.error.none"))
        return _queue_page(request, session, user, 1, errors=errors, status_code=422)
    outcomes = service.validate(session, user.actor, ticked[:5_000])
    done = sum(1 for o in outcomes if o.done)
    return RedirectResponse(f"/queue?validated={done}&not_moved={len(outcomes) - done}", status_code=303)


@router.get("/corrections", response_class=HTMLResponse)
def files_to_correct(request: Request, session: SessionDep, user: PageUser, page: PageQuery = 1) -> HTMLResponse:
    require(user, Permission.APPLICATION_VALIDATE)
    listing = queries.list_applications(session, user.actor, status="to_correct", page=page, page_size=PAGE_SIZE)
    flows = shipped_workflows()
    reasons = {
        item.receipt: [
            pick(user.language, reason_texts(flows[item.workflow].programme, code)[0]) for code in item.reasons
        ]
        for item in listing.items
    }
    context = {**_listing(listing, user.language), "reasons": reasons}
    return render(request, "applications/corrections.html", user, context)
