"""How long files wait: open files by annex, procedure and step in age bands, and the files past
the operator's deadline, for every reader of files in their territory (the service scopes)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sijill.access.roles import Permission
from sijill.api.deps import SessionDep
from sijill.enrollment.sla import ageing, overdue
from sijill.enrollment.workflows import shipped_workflows
from sijill.web.charts import bar_chart
from sijill.web.deps import PageUser, require
from sijill.web.exports import download, table
from sijill.web.i18n import pick, translate
from sijill.web.supervision_common import Format, number, unit_names
from sijill.web.templating import render

router = APIRouter(include_in_schema=False)
STEPS = ("intake", "validated", "transmitted", "decided")
BANDS = ("up_to_1_day", "up_to_7_days", "up_to_30_days", "over_30_days")
# Files past their deadline shown on the page; the download has them all.
OVERDUE_SHOWN = 200
OVERDUE_ALL = 100_000
Table = Annotated[Literal["ageing", "overdue"], Query()]


def _workflow_names(language: str) -> dict[str, str]:
    return {key: pick(language, flow.name) for key, flow in shipped_workflows().items()}


def _ageing_rows(session: SessionDep, user: PageUser) -> list[dict[str, Any]]:
    found = ageing(session, user.actor)
    names = unit_names(session, user.language, [r.annex_code for r in found])
    flows = _workflow_names(user.language)
    return [
        {
            **row.model_dump(),
            "annex": names.get(row.annex_code or "", "—") if row.annex_code else "—",
            "workflow_name": flows.get(row.workflow, row.workflow),
            "step_name": translate(user.language, f"supervision.step.{row.step}"),
            "oldest_day": row.oldest.date().isoformat() if row.oldest else None,
        }
        for row in found
    ]


def _overdue_rows(session: SessionDep, user: PageUser, limit: int) -> list[dict[str, Any]]:
    found = overdue(session, user.actor, limit=limit)
    names = unit_names(session, user.language, [r.annex_code for r in found])
    flows = _workflow_names(user.language)
    return [
        {
            **row.model_dump(),
            "annex": names.get(row.annex_code, "—") if row.annex_code else "—",
            "workflow_name": flows.get(row.workflow, row.workflow),
            "transmitted_day": row.transmitted_at.date().isoformat() if row.transmitted_at else None,
            "due_day": row.due_on.isoformat(),
        }
        for row in found
    ]


def _ageing_headers(language: str) -> dict[str, str]:
    t = partial(translate, language)
    return {
        "annex_code": t("supervision.unit_code"),
        "annex": t("supervision.level.annex"),
        "workflow_name": t("supervision.ageing.workflow"),
        "step_name": t("supervision.ageing.step"),
        "files": t("supervision.ageing.files"),
        **{band: t(f"supervision.band.{band}") for band in BANDS},
        "oldest_day": t("supervision.ageing.oldest"),
    }


def _overdue_headers(language: str) -> dict[str, str]:
    t = partial(translate, language)
    return {
        "receipt": t("supervision.overdue.receipt"),
        "workflow_name": t("supervision.ageing.workflow"),
        "annex_code": t("supervision.unit_code"),
        "annex": t("supervision.level.annex"),
        "transmitted_day": t("supervision.overdue.transmitted"),
        "due_day": t("supervision.overdue.due"),
        "days_late": t("supervision.overdue.days_late"),
    }


def _by_step(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    totals = {step: dict.fromkeys(("files", *BANDS), 0) for step in STEPS}
    for row in rows:
        for key in ("files", *BANDS):
            totals[row["step"]][key] += row[key]
    return totals


@router.get("/supervision/ageing")
def ageing_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    format: Format = None,
    table_name: Annotated[Table, Query(alias="table")] = "ageing",
) -> Response:
    require(user, Permission.APPLICATION_READ)
    if format is not None:
        if table_name == "overdue":
            frame = table(_overdue_rows(session, user, OVERDUE_ALL), _overdue_headers(user.language))
        else:
            frame = table(_ageing_rows(session, user), _ageing_headers(user.language))
        return download(frame, format, f"{table_name}", language=user.language)
    rows = _ageing_rows(session, user)
    late = _overdue_rows(session, user, OVERDUE_SHOWN)
    totals = _by_step(rows)
    t = partial(translate, user.language)
    chart = bar_chart(
        t("supervision.ageing.chart"),
        [t(f"supervision.step.{step}") for step in STEPS],
        {t(f"supervision.band.{band}"): [totals[step][band] for step in STEPS] for band in BANDS},
        stacked=True,
    )
    return render(
        request,
        "supervision/ageing.html",
        user,
        {
            "rows": rows,
            "late": late,
            "late_limit": OVERDUE_SHOWN,
            "bands": BANDS,
            "band_labels": {band: t(f"supervision.band.{band}") for band in BANDS},
            "step_labels": {step: t(f"supervision.step.{step}") for step in STEPS},
            "steps": STEPS,
            "totals": totals,
            "chart_spec": chart,
            "num": partial(number, user.language),
        },
    )
