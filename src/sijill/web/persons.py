"""Agents: register a person. Issued at once, or held for a reviewer when the register already
holds someone alike (the agent is told it is held, not whom it resembles)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from sijill.access.roles import Permission
from sijill.api.deps import SessionDep
from sijill.errors import SijillError
from sijill.population import registration
from sijill.population.schemas import PersonIn
from sijill.web.deps import CheckedForm, PageUser, require
from sijill.web.forms import FormErrors, form_values, from_domain, from_validation
from sijill.web.i18n import translate
from sijill.web.templating import render

router = APIRouter(include_in_schema=False)
PERSON_FIELDS = tuple(PersonIn.model_fields)
RegistrationId = Annotated[int, Path(ge=1, le=2_000_000_000)]


def _form_page(request: Request, user: PageUser, values: dict[str, str], errors: FormErrors | None) -> HTMLResponse:
    return render(
        request,
        "persons/new.html",
        user,
        status_code=422 if errors else 200,
        errors=errors,
        values=values,
    )


@router.get("/persons/new", response_class=HTMLResponse)
def new_person(request: Request, user: PageUser) -> HTMLResponse:
    require(user, Permission.PERSON_WRITE)
    defaults = {"nationality": "MAR", "annex_code": user.actor.scope_code or "", "birth_date_precision": "day"}
    return _form_page(request, user, defaults, None)


@router.post("/persons/new", response_class=HTMLResponse)
def register_person(request: Request, session: SessionDep, user: PageUser, form: CheckedForm) -> Response:
    require(user, Permission.PERSON_WRITE)
    values = form_values(form, PERSON_FIELDS)
    try:
        data = PersonIn.model_validate(values)
    except ValidationError as exc:
        return _form_page(request, user, values, from_validation(exc, user.language))
    try:
        result = registration.register_person(session=session, actor=user.actor, data=data)
    except SijillError as exc:
        # Nothing of a refused form is kept.
        session.rollback()
        return _form_page(request, user, values, from_domain(exc, user.language))
    return RedirectResponse(f"/registrations/{result.registration_id}", status_code=303)


@router.get("/registrations/{registration_id}", response_class=HTMLResponse)
def show_registration(
    request: Request, session: SessionDep, user: PageUser, registration_id: RegistrationId
) -> HTMLResponse:
    shown = registration.show_registration(session=session, actor=user.actor, registration_id=registration_id)
    status_label = translate(user.language, f"registration.status.{shown.status}")
    return render(request, "persons/registration.html", user, {"registration": shown, "status_label": status_label})
