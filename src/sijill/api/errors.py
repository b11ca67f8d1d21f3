"""Turn domain errors and request validation errors into bilingual 4xx JSON; never a trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError

from sijill.dci import answers
from sijill.errors import SijillError, Text
from sijill.web.error_pages import error_page, is_page

log = logging.getLogger("sijill.api")

_BAD_ADDRESS = SijillError(
    code="bad_address",
    status=404,
    message=Text("هذه الصفحة غير موجودة", "Cette page n'existe pas", "malformed page address"),
    fix=Text("ارجعوا إلى الصفحة الرئيسية", "Revenez à l'accueil", "go back to the home page"),
)
_INTERNAL = SijillError(
    code="internal_error",
    status=500,
    message=Text("خطأ داخلي؛ لم يتم حفظ أي شيء", "Erreur interne ; rien n'a été enregistré", "internal error"),
)


def _is_dci(request: Request) -> bool:
    return request.url.path.startswith("/dci/")


def _dci_reply(request: Request) -> str:
    # The action a DCI answer on this path carries.
    return "txn-on-status" if request.url.path.endswith("/txn/status") else "on-search"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SijillError)
    async def _domain_error(request: Request, exc: SijillError) -> Response:
        log.info("refused: %s", exc.code)
        if _is_dci(request):
            return answers.refusal(exc.status, _dci_reply(request), answers.BAD_REQUEST, exc.message.en)
        if is_page(request):
            return error_page(request, exc)
        return JSONResponse(status_code=exc.status, content={"error": exc.as_dict()})

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        if _is_dci(request):
            named = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors())
            return answers.refusal(400, _dci_reply(request), answers.BAD_REQUEST, f"invalid fields: {named}")
        if is_page(request):
            # A page's address was edited by hand (a malformed number in the path or the query).
            return error_page(request, _BAD_ADDRESS)
        details: list[dict[str, Any]] = []
        fields: list[str] = []
        for err in exc.errors():
            location = ".".join(str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path"))
            fields.append(location)
            details.append(
                {
                    "field": location,
                    "rule": {
                        "en": err.get("msg", ""),
                        "fr": f"valeur refusée ({err.get('type', '')})",
                        "ar": f"قيمة مرفوضة ({err.get('type', '')})",
                    },
                }
            )
        field_list = ", ".join(fields)
        body = {
            "code": "invalid_request",
            "message": {
                "ar": f"بيانات غير صالحة في الحقول: {field_list}",
                "fr": f"Données invalides pour les champs : {field_list}",
                "en": f"invalid fields: {field_list}",
            },
            "details": details,
        }
        return JSONResponse(status_code=422, content={"error": body})

    @app.exception_handler(StaleDataError)
    async def _stale(_request: Request, _exc: StaleDataError) -> JSONResponse:
        # Two edits of one record raced and this one lost: the caller must reload, not retry blindly.
        body = {
            "code": "version_conflict",
            "message": {
                "ar": "عدل شخص آخر هذه البطاقة في نفس الوقت",
                "fr": "Quelqu'un d'autre a modifié cette fiche au même moment",
                "en": "record changed concurrently",
            },
            "fix": {"ar": "أعيدوا قراءة البطاقة", "fr": "Relisez la fiche", "en": "reload the record"},
        }
        return JSONResponse(status_code=409, content={"error": body})

    @app.exception_handler(DataError)
    async def _data_error(_request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the schema let through (a NUL character, a number out of
        # range): the input is at fault, and the request's transaction is rolled back.
        log.info("refused by the database: %s", type(exc.orig).__name__)
        body = {
            "code": "invalid_characters_or_range",
            "message": {
                "ar": "قيمة غير صالحة: تحتوي على رموز غير مقبولة أو خارج المجال المسموح",
                "fr": "Valeur invalide : caractères non admis ou hors des limites permises",
                "en": "invalid value: unsupported characters or out of range",
            },
            "fix": {
                "ar": "احذفوا الرموز الخاصة (مثل NUL) وتحققوا من الأعداد",
                "fr": "Retirez les caractères de contrôle (comme NUL) et vérifiez les nombres",
                "en": "remove control characters (such as NUL) and check numbers",
            },
        }
        return JSONResponse(status_code=422, content={"error": body})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Logged with its type only: exception text may carry personal data from the query.
        log.error("unexpected error: %s", type(exc).__name__)
        if _is_dci(request):
            return answers.refusal(500, _dci_reply(request), answers.UNAVAILABLE, "internal error; nothing was saved")
        if is_page(request):
            return error_page(request, _INTERNAL)
        return JSONResponse(
            status_code=500,
            content={
                "error": {
                    "code": "internal_error",
                    "message": {
                        "ar": "خطأ داخلي؛ لم يتم حفظ أي شيء",
                        "fr": "Erreur interne ; rien n'a été enregistré",
                        "en": "internal error; nothing was saved",
                    },
                }
            },
        )
