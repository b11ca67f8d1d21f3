"""Agents: declare a household, read it with its index and why, declare an update. The form is the
questionnaire's; "compute the index" scores the typed answers without writing anything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from sijill.access.roles import Permission
from sijill.access.scope import code_in_scope
from sijill.api.deps import SessionDep
from sijill.errors import NotFoundError, SijillError
from sijill.scoring.questionnaire import MILIEUS, Questionnaire
from sijill.social_registry import queries, service
from sijill.social_registry.schemas import DeclarationIn, DeclarationUpdateIn, HouseholdIn
from sijill.social_registry.scores import model_for, thresholds
from sijill.territory.queries import get_unit
from sijill.web.agent_household_form import (
    MEMBER_ROWS,
    answer_inputs,
    choice_label,
    input_names,
    member_inputs,
    parse_household,
    placed,
    row_count,
    values_of_declaration,
)
from sijill.web.agent_preview import ExplainedIndex, explained_out, preview_index
from sijill.web.deps import CheckedForm, PageUser, require
from sijill.web.forms import FormErrors, form_values, from_domain, from_validation
from sijill.web.i18n import pick, translate
from sijill.web.sessions import SignedIn
from sijill.web.templating import render

router = APIRouter(include_in_schema=False)
NumberPath = Annotated[str, Path(pattern=r"^HH[0-9]{9}$")]
# Re-renders the form being handled, with what it was given (errors, a preview, a status).
PageMaker = Callable[..., HTMLResponse]


def _add(errors: FormErrors, more: FormErrors) -> None:
    for name, messages in more.by_field.items():
        for message in messages:
            errors.add(name, message)
    errors.general.extend(more.general)


def _questionnaire() -> Questionnaire:
    return model_for(date.today()).questionnaire


def _milieu(session: Session, user: SignedIn, code: str | None) -> str | None:
    """The milieu of an annex the user may declare in; None for any other code."""
    if not code or not code_in_scope(user.actor, code):
        return None
    try:
        unit = get_unit(session, code)
    except NotFoundError:
        return None
    return unit.milieu if unit.level == "annex" and unit.milieu in MILIEUS else None


def _form_page(
    request: Request,
    user: SignedIn,
    *,
    milieu: str,
    rows: int,
    values: dict[str, str],
    errors: FormErrors | None = None,
    number: str | None = None,
    preview: ExplainedIndex | None = None,
    status_code: int | None = None,
    conflict: bool = False,
) -> HTMLResponse:
    questionnaire = _questionnaire()
    answers = answer_inputs(questionnaire, milieu, user.language)
    context: dict[str, Any] = {
        "number": number,
        "action": f"/households/{number}/update" if number else "/households/new",
        "milieu": milieu,
        "rows": rows,
        "member_rows": [(row, member_inputs(questionnaire, row, user.language)) for row in range(rows)],
        "answer_fields": [i for i in answers if i.kind != "check"],
        "goods": [i for i in answers if i.kind == "check"],
        "questionnaire": questionnaire.ref,
        "preview": preview,
        "conflict": conflict,
    }
    status = status_code if status_code is not None else (422 if errors else 200)
    return render(request, "households/form.html", user, context, status_code=status, errors=errors, values=values)


def _read_form(form: FormData, questionnaire: Questionnaire, milieu: str) -> tuple[int, dict[str, str]]:
    rows = row_count(form, form.get("action") == "more")
    names = [*input_names(questionnaire, milieu, rows), "version"]
    return rows, form_values(form, names)


@router.get("/households/new", response_class=HTMLResponse)
def new_household(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    require(user, Permission.HOUSEHOLD_WRITE)
    annex = user.actor.scope_code or ""
    milieu = _milieu(session, user, annex) or MILIEUS[0]
    return _form_page(request, user, milieu=milieu, rows=MEMBER_ROWS, values={"annex_code": annex})


@router.post("/households/new", response_class=HTMLResponse)
def declare_household(request: Request, session: SessionDep, user: PageUser, form: CheckedForm) -> Response:
    require(user, Permission.HOUSEHOLD_WRITE)
    questionnaire = _questionnaire()
    typed_annex = form.get("annex_code")
    annex = typed_annex.strip() if isinstance(typed_annex, str) else ""
    known_milieu = _milieu(session, user, annex)
    milieu = known_milieu or MILIEUS[0]
    rows, values = _read_form(form, questionnaire, milieu)
    shown = set(input_names(questionnaire, milieu, rows))

    def page(**kwargs: Any) -> HTMLResponse:
        return _form_page(request, user, milieu=milieu, rows=rows, values=values, **kwargs)

    if form.get("action") == "more":
        return page()
    parsed = parse_household(questionnaire, milieu, rows, values, user.language)
    errors = parsed.errors
    try:
        data = HouseholdIn.model_validate({**parsed.payload, "annex_code": annex})
    except ValidationError as exc:
        _add(errors, from_validation(exc, user.language))
        return page(errors=placed(errors, parsed.rows_of, shown))
    if errors:
        return page(errors=placed(errors, parsed.rows_of, shown))
    if form.get("action") == "preview":
        if known_milieu is None:
            errors.add("annex_code", translate(user.language, "household.error.annex"))
            return page(errors=errors)
        return _preview(session, user, data, milieu, annex, None, page, parsed.rows_of, shown)
    try:
        household = service.declare_household(session=session, actor=user.actor, data=data)
    except SijillError as exc:
        # Nothing of a refused form is kept.
        session.rollback()
        status = 409 if exc.status == 409 else 422
        return page(errors=placed(from_domain(exc, user.language), parsed.rows_of, shown), status_code=status)
    return RedirectResponse(f"/households/{household.number}?saved=1", status_code=303)


def _preview(
    session: Session,
    user: SignedIn,
    data: DeclarationIn,
    milieu: str,
    annex: str,
    household_id: int | None,
    page: PageMaker,
    rows_of: list[int],
    shown: set[str],
) -> HTMLResponse:
    try:
        preview = preview_index(
            session,
            user.actor,
            data,
            milieu=milieu,
            annex_code=annex,
            household_id=household_id,
            language=user.language,
        )
    except SijillError as exc:
        session.rollback()
        return page(errors=placed(from_domain(exc, user.language), rows_of, shown))
    return page(preview=preview)


@router.get("/households/{number}", response_class=HTMLResponse)
def show_household(request: Request, session: SessionDep, user: PageUser, number: NumberPath) -> HTMLResponse:
    household = queries.read_household(session, user.actor, number)
    explanation = None
    if household.score is not None:
        out = queries.explain_score(session, user.actor, number)
        explanation = explained_out(user.language, out, household.score.effective)
    events = queries.household_events(session, user.actor, number)
    context = {
        "household": household,
        "explanation": explanation,
        "events": events,
        "saved": request.query_params.get("saved") == "1",
        "can_write": user.actor.can(Permission.HOUSEHOLD_WRITE),
        "can_apply": user.actor.can(Permission.APPLICATION_SUBMIT),
        "questionnaire": _questionnaire(),
        "choice": partial(choice_label, user.language),
        "programme_names": {t.programme: pick(user.language, t.name) for t in thresholds()},
    }
    return render(request, "households/show.html", user, context)


@router.get("/households/{number}/update", response_class=HTMLResponse)
def update_form(request: Request, session: SessionDep, user: PageUser, number: NumberPath) -> HTMLResponse:
    require(user, Permission.HOUSEHOLD_WRITE)
    household = queries.read_household(session, user.actor, number)
    values = values_of_declaration(household.declaration, household.address)
    values["version"] = str(household.version)
    rows = max(MEMBER_ROWS, len(household.declaration.members) + 2)
    return _form_page(request, user, milieu=household.milieu, rows=rows, values=values, number=number)


@router.post("/households/{number}/update", response_class=HTMLResponse)
def update_household(
    request: Request, session: SessionDep, user: PageUser, form: CheckedForm, number: NumberPath
) -> Response:
    require(user, Permission.HOUSEHOLD_WRITE)
    household = service.scoped_household(session, user.actor, number)
    milieu, annex, household_id = household.milieu, household.annex_code, household.id
    questionnaire = _questionnaire()
    rows, values = _read_form(form, questionnaire, milieu)
    shown = set(input_names(questionnaire, milieu, rows))

    def page(**kwargs: Any) -> HTMLResponse:
        return _form_page(request, user, milieu=milieu, rows=rows, values=values, number=number, **kwargs)

    if form.get("action") == "more":
        return page()
    parsed = parse_household(questionnaire, milieu, rows, values, user.language)
    errors = parsed.errors
    try:
        data = DeclarationUpdateIn.model_validate({**parsed.payload, "version": values.get("version", "")})
    except ValidationError as exc:
        _add(errors, from_validation(exc, user.language))
        return page(errors=placed(errors, parsed.rows_of, shown))
    if errors:
        return page(errors=placed(errors, parsed.rows_of, shown))
    if form.get("action") == "preview":
        return _preview(session, user, data, milieu, annex, household_id, page, parsed.rows_of, shown)
    try:
        service.update_declaration(session=session, actor=user.actor, number=number, data=data)
    except SijillError as exc:
        session.rollback()
        if exc.code == "version_conflict":
            return page(status_code=409, conflict=True)
        status = 409 if exc.status == 409 else 422
        return page(errors=placed(from_domain(exc, user.language), parsed.rows_of, shown), status_code=status)
    return RedirectResponse(f"/households/{number}?saved=1", status_code=303)
