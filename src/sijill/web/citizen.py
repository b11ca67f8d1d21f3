"""The citizens' pages, open without an account: where is my file and why (its receipt and the
applicant's IDCS together), and a complaint about it.

A lookup that fails says the same whether the receipt does not exist or the IDCS does not match,
so that neither number can be probed alone; failed lookups are audited too. Both forms carry the
visitor's CSRF token (web/deps.py). The answers are shown on the page the form was sent to,
rather than behind a redirect, so that neither number ever travels in an address.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from sijill.api.applications import citizen_actor
from sijill.api.deps import SessionDep, SettingsDep
from sijill.config import Settings
from sijill.enrollment import queries
from sijill.enrollment.complaints import KINDS, file_complaint
from sijill.enrollment.models import STATUSES
from sijill.enrollment.receipts import receipt_well_formed
from sijill.errors import NotFoundError, SijillError
from sijill.web.deps import CSRF_FIELD, VISITOR_CSRF_COOKIE, keep_visitor_token, new_visitor_token, visitor_token_ok
from sijill.web.forms import FormErrors, form_values, from_domain
from sijill.web.i18n import translate
from sijill.web.templating import page_language, render

router = APIRouter(include_in_schema=False)
STATUS_FIELDS = ("receipt", "idcs")
COMPLAINT_FIELDS = ("receipt", "idcs", "kind", "description")
IDCS = re.compile(r"[0-9]{10}")
DESCRIPTION_LENGTH = 2000
# Phones and keyboards in Arabic type these digits: the same numbers.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def _token(request: Request) -> str:
    # The token already in the visitor's cookie serves every open tab; a new one otherwise.
    kept = request.cookies.get(VISITOR_CSRF_COOKIE, "")
    return kept if 20 <= len(kept) <= 64 else new_visitor_token()


def _page(
    request: Request,
    settings: Settings,
    template: str,
    context: Mapping[str, object] | None = None,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    token = _token(request)
    language = page_language(request, None)
    kinds = [(kind, translate(language, f"citizen.kind.{kind}")) for kind in KINDS]
    # No user: a member of staff opening these pages sees them as a citizen does, without the menu.
    full = {"csrf_token": token, "kinds": kinds, "explain": _explain(language), **(context or {})}
    response = render(request, template, None, full, values=values, errors=errors, status_code=status_code)
    keep_visitor_token(response, token, settings)
    return response


def _explain(language: str) -> dict[str, str]:
    """What each state means for the applicant, and what happens next."""
    return {status: translate(language, f"citizen.explain.{status}") for status in STATUSES}


def _numbers(form: FormData, names: tuple[str, ...], language: str) -> tuple[dict[str, str], FormErrors]:
    """The typed fields (digits in any script read as ASCII, the receipt in capitals), and the
    errors of the receipt and the IDCS next to each."""
    values = form_values(form, names)
    for name in ("receipt", "idcs"):
        if name in values:
            values[name] = values[name].translate(_DIGITS).replace(" ", "").upper()
    errors = FormErrors()
    receipt, idcs = values.get("receipt"), values.get("idcs")
    if not receipt:
        errors.add("receipt", translate(language, "form.error.missing"))
    elif not receipt_well_formed(receipt):
        errors.add("receipt", translate(language, "citizen.error.receipt_format"))
    if not idcs:
        errors.add("idcs", translate(language, "form.error.missing"))
    elif not IDCS.fullmatch(idcs):
        errors.add("idcs", translate(language, "citizen.error.idcs_format"))
    return values, errors


def _form_expired(language: str) -> FormErrors:
    errors = FormErrors()
    errors.add(None, translate(language, "citizen.error.expired_form"))
    return errors


def _status_page(
    request: Request, settings: Settings, values: dict[str, str], errors: FormErrors, status_code: int
) -> HTMLResponse:
    context = {"found": None}
    return _page(
        request, settings, "citizen/status.html", context, values=values, errors=errors, status_code=status_code
    )


@router.get("/citizen/status", response_class=HTMLResponse)
def status_form(request: Request, settings: SettingsDep) -> HTMLResponse:
    return _page(request, settings, "citizen/status.html", {"found": None})


@router.post("/citizen/status", response_class=HTMLResponse)
async def status_lookup(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    language = page_language(request, None)
    form = await request.form()
    values, errors = _numbers(form, STATUS_FIELDS, language)
    if not visitor_token_ok(request, form.get(CSRF_FIELD)):
        return _status_page(request, settings, values, _form_expired(language), 403)
    if errors:
        return _status_page(request, settings, values, errors, 422)
    found = queries.find_citizen_file(session, citizen_actor(request), values["receipt"], values["idcs"])
    if found is None:
        # The audit line of the failed lookup is committed with the request: probes leave a trace.
        errors.add(None, translate(language, "citizen.error.not_found"))
        return _status_page(request, settings, values, errors, 404)
    return _page(request, settings, "citizen/status.html", {"found": found}, values=values)


@router.get("/citizen/complaint", response_class=HTMLResponse)
def complaint_form(request: Request, settings: SettingsDep) -> HTMLResponse:
    return _page(request, settings, "citizen/complaint.html", {"filed": None})


@router.post("/citizen/complaint", response_class=HTMLResponse)
async def complaint(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    language = page_language(request, None)
    form = await request.form()
    values, errors = _numbers(form, COMPLAINT_FIELDS, language)

    def again(found: FormErrors, status_code: int) -> HTMLResponse:
        context = {"filed": None}
        return _page(
            request, settings, "citizen/complaint.html", context, values=values, errors=found, status_code=status_code
        )

    if not visitor_token_ok(request, form.get(CSRF_FIELD)):
        return again(_form_expired(language), 403)
    kind, description = values.get("kind"), values.get("description", "")
    if kind not in KINDS:
        errors.add("kind", translate(language, "citizen.error.kind"))
    if not description:
        errors.add("description", translate(language, "form.error.missing"))
    elif len(description) > DESCRIPTION_LENGTH:
        errors.add("description", translate(language, "form.error.too_long", max_length=DESCRIPTION_LENGTH))
    if errors:
        return again(errors, 422)
    try:
        filed = file_complaint(
            session,
            citizen_actor(request),
            kind=str(kind),
            description=description,
            receipt=values["receipt"],
            applicant_idcs=values["idcs"],
        )
    except NotFoundError:
        session.rollback()
        errors.add(None, translate(language, "citizen.error.not_found"))
        return again(errors, 404)
    except SijillError as exc:
        session.rollback()
        return again(from_domain(exc, language), 422)
    return _page(request, settings, "citizen/complaint.html", {"filed": filed})
