"""The data rules over time: each quality run's violations per rule in the reader's territory,
drawn as lines (counts, and shares of the records checked), with the points as a download."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sijill.access.roles import Permission
from sijill.api.deps import SessionDep
from sijill.quality.data_rules import RULES
from sijill.quality.trend import violation_trend
from sijill.web.charts import line_chart
from sijill.web.deps import PageUser, require
from sijill.web.exports import download, table
from sijill.web.forms import FormErrors
from sijill.web.i18n import pick, translate
from sijill.web.supervision_common import Format, TerritoryCode, number, percent, unit_names
from sijill.web.templating import render

router = APIRouter(include_in_schema=False)
Rule = Annotated[str | None, Query(max_length=40)]


def _rule_label(language: str, code: str) -> str:
    # The intake rules re-checked in batch are not in the data rules' catalogue: their code says it.
    return pick(language, RULES[code].message) if code in RULES else code


def _series(points: list[dict[str, Any]], runs: list[str], value: str) -> dict[str, list[Any]]:
    by_rule: dict[str, dict[str, Any]] = {}
    for point in points:
        by_rule.setdefault(point["rule"], {})[point["run"]] = point[value]
    return {rule: [values.get(run) for run in runs] for rule, values in sorted(by_rule.items())}


def _headers(language: str) -> dict[str, str]:
    t = partial(translate, language)
    return {
        "run_id": t("supervision.trends.run"),
        "day": t("supervision.trends.day"),
        "rule": t("supervision.trends.rule_code"),
        "rule_label": t("supervision.trends.rule"),
        "violations": t("supervision.trends.violations"),
        "checked": t("supervision.trends.checked"),
        "share": t("supervision.trends.share"),
    }


@router.get("/supervision/trends")
def trends_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    rule: Rule = None,
    code: TerritoryCode = None,
    format: Format = None,
) -> Response:
    require(user, Permission.REPORT_READ)
    # Outside the reader's territory, the service answers not found.
    trend = violation_trend(session, user.actor, code=code)
    known = sorted(set(trend["rule"].to_list()))
    errors = FormErrors()
    chosen = rule or None
    if chosen is not None and chosen not in known:
        errors.add("rule", translate(user.language, "supervision.trends.unknown_rule"))
        chosen = None
    points = [
        {
            **point,
            "day": point["day"].isoformat(),
            "run": f"{point['day'].isoformat()} · #{point['run_id']}",
            "rule_label": _rule_label(user.language, point["rule"]),
        }
        for point in trend.to_dicts()
        if chosen is None or point["rule"] == chosen
    ]
    if format is not None and not errors:
        return download(table(points, _headers(user.language)), format, "trends", language=user.language)
    runs = sorted({p["run"] for p in points}, key=lambda run: int(run.rsplit("#", 1)[1]))
    t = partial(translate, user.language)
    query = {k: v for k, v in (("rule", chosen), ("code", code)) if v}
    options = [("", t("supervision.trends.every_rule"))] + [
        (r, f"{_rule_label(user.language, r)} ({r})") for r in known
    ]
    where = unit_names(session, user.language, [code]).get(code or "", "") if code else ""
    return render(
        request,
        "supervision/trends.html",
        user,
        {
            "points": points,
            "runs": runs,
            "where": where,
            "code": code or "",
            "options": options,
            "count_chart": line_chart(t("supervision.trends.count_chart"), runs, _series(points, runs, "violations")),
            "share_chart": line_chart(t("supervision.trends.share_chart"), runs, _series(points, runs, "share")),
            "num": partial(number, user.language),
            "pct": partial(percent, user.language),
            "csv_href": "/supervision/trends?" + urlencode({**query, "format": "csv"}),
            "xlsx_href": "/supervision/trends?" + urlencode({**query, "format": "xlsx"}),
        },
        status_code=422 if errors else 200,
        errors=errors,
        values={"rule": rule or ""},
    )
