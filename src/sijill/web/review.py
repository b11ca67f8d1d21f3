"""Reviewers: registrations held as likely duplicates (what was typed beside each candidate, then
"same person" or "different"), and the register's duplicate pairs found by the batch
deduplication (both records beside each other with the evidence, then "same" or "different").

The services decide who may decide: a registering agent cannot decide their own registration,
and a record outside the reviewer's territory answers as a missing one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from sijill.access.roles import Permission
from sijill.api.deps import SessionDep
from sijill.errors import SijillError
from sijill.linkage import register_dedup
from sijill.linkage.schemas import PairDecisionIn, PairOut
from sijill.population import registration
from sijill.population.schemas import DecisionIn, PersonOut
from sijill.web.deps import CheckedForm, PageUser, require
from sijill.web.forms import FormErrors, form_values, from_domain, from_validation
from sijill.web.i18n import labels, translate
from sijill.web.sessions import SignedIn
from sijill.web.templating import render

router = APIRouter(include_in_schema=False)
RecordId = Annotated[int, Path(ge=1, le=2_000_000_000)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
PAGE_SIZE = 50
REGISTRATION_FIELDS = ("decision", "person_idcs", "note")
PAIR_FIELDS = ("decision", "survivor_idcs", "reason")
_SIMILARITIES = ("given_name", "family_name", "father_name")
_FLAGS = ("same_phone", "same_cin", "one_name_differs", "father_differs", "different_cin", "different_sex")


def _label_or(language: str, key: str, fallback: str) -> str:
    return translate(language, key) if key in labels() else fallback


def candidate_reasons(language: str, reasons: dict[str, Any]) -> list[str]:
    """Why the desk's check found a candidate, in words: each name's similarity, the birth
    dates' agreement, what is shared or differs, and the trained model's probability."""
    said = [
        translate(language, f"review.reason.{name}", percent=round(float(reasons[name]) * 100))
        for name in _SIMILARITIES
        if isinstance(reasons.get(name), int | float)
    ]
    birth = reasons.get("birth")
    if isinstance(birth, str):
        said.append(_label_or(language, f"review.birth.{birth}", birth))
    said += [translate(language, f"review.reason.{flag}") for flag in _FLAGS if reasons.get(flag)]
    if isinstance(reasons.get("model_probability"), int | float):
        percent = round(float(reasons["model_probability"]) * 100, 1)
        said.append(translate(language, "review.reason.model_probability", percent=percent))
    return said


@router.get("/review/registrations", response_class=HTMLResponse)
def registrations(request: Request, session: SessionDep, user: PageUser, page: PageNumber = 1) -> HTMLResponse:
    require(user, Permission.DUPLICATE_REVIEW)
    # One more than a page tells whether a next page exists without counting the whole queue.
    held = registration.review_queue(
        session=session, actor=user.actor, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    return render(
        request,
        "review/registrations.html",
        user,
        {"held": held[:PAGE_SIZE], "page": page, "has_next": len(held) > PAGE_SIZE},
    )


def _registration_page(
    request: Request,
    session: Session,
    user: SignedIn,
    registration_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    shown = registration.show_registration(session=session, actor=user.actor, registration_id=registration_id)
    candidates = [
        {
            "person": c.person.model_dump(mode="json"),
            "score": round(c.score * 100),
            "reasons": candidate_reasons(user.language, c.reasons),
        }
        for c in shown.candidates
    ]
    options = [("", "—")] + [
        (
            c.person.idcs,
            f"{c.person.idcs} — {c.person.given_name_lat or c.person.given_name_ar or ''} "
            f"{c.person.family_name_lat or c.person.family_name_ar or ''}".strip(),
        )
        for c in shown.candidates
    ]
    return render(
        request,
        "review/registration.html",
        user,
        {
            "registration": shown,
            "status_label": translate(user.language, f"registration.status.{shown.status}"),
            "submitted": shown.submitted or {},
            "candidates": candidates,
            "candidate_options": options,
            "decided_person": shown.person.model_dump(mode="json") if shown.person else None,
        },
        status_code=status_code,
        errors=errors,
        values=values if values is not None else {"decision": ""},
    )


@router.get("/review/registrations/{registration_id}", response_class=HTMLResponse)
def show_registration(request: Request, session: SessionDep, user: PageUser, registration_id: RecordId) -> HTMLResponse:
    require(user, Permission.DUPLICATE_REVIEW)
    return _registration_page(request, session, user, registration_id)


@router.post("/review/registrations/{registration_id}", response_class=HTMLResponse)
def decide_registration(
    request: Request, session: SessionDep, user: PageUser, form: CheckedForm, registration_id: RecordId
) -> Response:
    require(user, Permission.DUPLICATE_REVIEW)
    values = form_values(form, REGISTRATION_FIELDS)
    if values.get("decision") == "different":
        # The candidate list is for "same person" only: a choice left there means nothing.
        values.pop("person_idcs", None)
    errors = FormErrors()
    if values.get("decision") == "same_person" and not values.get("person_idcs"):
        errors.add("person_idcs", translate(user.language, "review.error.choose_candidate"))
    try:
        data = DecisionIn.model_validate(values)
    except ValidationError as exc:
        found = from_validation(exc, user.language)
        for name, messages in found.by_field.items():
            for message in messages:
                errors.add(name, message)
    if errors:
        return _registration_page(
            request, session, user, registration_id, values=values, errors=errors, status_code=422
        )
    try:
        registration.decide(session=session, actor=user.actor, registration_id=registration_id, data=data)
    except SijillError as exc:
        # Nothing of a refused decision is kept (the registering agent's own, one already decided ...).
        session.rollback()
        if exc.status == 404:
            raise
        return _registration_page(
            request,
            session,
            user,
            registration_id,
            values=values,
            errors=from_domain(exc, user.language),
            status_code=exc.status,
        )
    return RedirectResponse(f"/review/registrations/{registration_id}", status_code=303)


@router.get("/review/duplicates", response_class=HTMLResponse)
def duplicates(request: Request, session: SessionDep, user: PageUser, page: PageNumber = 1) -> HTMLResponse:
    require(user, Permission.DUPLICATE_REVIEW)
    views = register_dedup.review_queue(
        session=session, actor=user.actor, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    pairs = [PairOut.of(view) for view in views[:PAGE_SIZE]]
    return render(
        request, "review/duplicates.html", user, {"pairs": pairs, "page": page, "has_next": len(views) > PAGE_SIZE}
    )


def _pair_page(
    request: Request,
    session: Session,
    user: SignedIn,
    pair_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = register_dedup.show_pair(session=session, actor=user.actor, pair_id=pair_id)
    pair = PairOut.of(view)
    person_a = PersonOut.model_validate(view.person_a).model_dump(mode="json")
    person_b = PersonOut.model_validate(view.person_b).model_dump(mode="json")
    evidence = [
        {"name": _label_or(user.language, f"review.comparison.{e.comparison}", e.comparison), "weight": e.weight}
        for e in pair.evidence
    ]
    survivors = [(person_a["idcs"], person_a["idcs"]), (person_b["idcs"], person_b["idcs"])]
    return render(
        request,
        "review/pair.html",
        user,
        {
            "pair": pair,
            "person_a": person_a,
            "person_b": person_b,
            "evidence": evidence,
            "survivor_options": survivors,
            "probability": round(pair.match_probability * 100, 1),
            "pair_status": _label_or(user.language, f"review.pair.status.{pair.status}", pair.status),
        },
        status_code=status_code,
        errors=errors,
        values=values if values is not None else {"survivor_idcs": person_a["idcs"]},
    )


@router.get("/review/duplicates/{pair_id}", response_class=HTMLResponse)
def show_pair(request: Request, session: SessionDep, user: PageUser, pair_id: RecordId) -> HTMLResponse:
    require(user, Permission.DUPLICATE_REVIEW)
    return _pair_page(request, session, user, pair_id)


@router.post("/review/duplicates/{pair_id}", response_class=HTMLResponse)
def decide_pair(
    request: Request, session: SessionDep, user: PageUser, form: CheckedForm, pair_id: RecordId
) -> Response:
    require(user, Permission.DUPLICATE_REVIEW)
    values = form_values(form, PAIR_FIELDS)
    try:
        data = PairDecisionIn.model_validate(values)
    except ValidationError as exc:
        return _pair_page(
            request, session, user, pair_id, values=values, errors=from_validation(exc, user.language), status_code=422
        )
    try:
        register_dedup.decide_pair(
            session=session,
            actor=user.actor,
            pair_id=pair_id,
            decision=data.decision,
            reason=data.reason,
            survivor_idcs=data.survivor_idcs if data.decision == "same" else None,
        )
    except SijillError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        return _pair_page(
            request,
            session,
            user,
            pair_id,
            values=values,
            errors=from_domain(exc, user.language),
            status_code=exc.status,
        )
    return RedirectResponse(f"/review/duplicates/{pair_id}", status_code=303)
