"""The RNP -> RSU -> AMO Tadamon funnel of the supervisor's territory, one row per unit, each
unit opening its children (region -> province -> commune -> annex); the table as a download."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sijill.access.roles import Permission
from sijill.access.scope import code_in_scope
from sijill.api.deps import SessionDep
from sijill.errors import Text, invalid
from sijill.quality.funnel import STAGES, funnel
from sijill.web.charts import bar_chart
from sijill.web.deps import PageUser, require
from sijill.web.exports import download, table
from sijill.web.i18n import translate
from sijill.web.supervision_common import (
    LEVELS,
    NATION,
    Format,
    TerritoryCode,
    ancestors,
    child_level,
    depth,
    level_of,
    number,
    percent,
    unit_names,
)
from sijill.web.templating import render

router = APIRouter(include_in_schema=False)
RATIOS = ("rsu_of_rnp", "eligible_of_rsu", "enrolled_of_eligible")
GAPS = ("gap_rnp_rsu", "gap_eligible_enrolled")
Level = Annotated[str | None, Query(max_length=10)]


def funnel_link(level: str, code: str | None) -> str:
    query = {"level": level, **({"code": code} if code and code != NATION else {})}
    return "/supervision/funnel?" + urlencode(query)


def _checked(level: str, code: str | None) -> None:
    # A unit is shown at its own level or split into a level below, never rolled up above itself.
    if LEVELS.index(level) < depth(code):
        raise invalid(
            "level",
            level,
            Text(
                "مستوى أدنى من مستوى الوحدة المختارة أو مساو له",
                "un niveau égal ou inférieur à celui de l'unité choisie",
                "a level at or below the chosen unit's",
            ),
            Text(f"مثال: level={level_of(code)}", f"exemple : level={level_of(code)}", f"e.g. level={level_of(code)}"),
        )


def _headers(language: str) -> dict[str, str]:
    t = partial(translate, language)
    return {
        "code": t("supervision.unit_code"),
        "name": t("supervision.unit"),
        **{stage: t(f"supervision.stage.{stage}") for stage in STAGES},
        **{ratio: t(f"supervision.ratio.{ratio}") for ratio in (*RATIOS, *GAPS)},
    }


def _trail(user: PageUser, names: dict[str, str], code: str | None) -> list[dict[str, str]]:
    """The units above the one shown, inside the reader's territory, each opening its children."""
    trail = []
    for above in ancestors(code):
        if not code_in_scope(user.actor, above or NATION):
            continue
        below = child_level(level_of(above))
        name = translate(user.language, "supervision.nation") if above is None else names[above]
        if below is not None:
            trail.append({"name": name, "href": funnel_link(below, above)})
    return trail


@router.get("/supervision/funnel")
def funnel_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    level: Level = None,
    code: TerritoryCode = None,
    format: Format = None,
) -> Response:
    require(user, Permission.REPORT_READ)
    scope = user.actor.scope_code
    shown_code = code or scope
    shown_level = level or level_of(shown_code)
    if shown_level in LEVELS:
        _checked(shown_level, shown_code)
    # The service refuses an unknown level and a territory outside the reader's (as not found).
    report = funnel(session=session, actor=user.actor, level=shown_level, code=shown_code)
    codes = report.rows["code"].to_list() if not report.empty else []
    names = unit_names(session, user.language, [*codes, *ancestors(shown_code)])
    nation = translate(user.language, "supervision.nation")
    below = child_level(shown_level)
    rows: list[dict[str, Any]] = []
    for row in report.rows.iter_rows(named=True) if not report.empty else []:
        name = nation if row["code"] == NATION else names[row["code"]]
        rows.append({**row, "name": name, "href": funnel_link(below, row["code"]) if below else None})
    if format is not None:
        return download(table(rows, _headers(user.language)), format, "funnel", language=user.language)
    num, pct = partial(number, user.language), partial(percent, user.language)
    chart = bar_chart(
        translate(user.language, "supervision.funnel.chart"),
        [r["name"] for r in rows],
        {translate(user.language, f"supervision.stage.{s}"): [r[s] for r in rows] for s in STAGES},
    )
    heading = nation if shown_code is None else names[shown_code]
    export_query = {"level": shown_level, **({"code": shown_code} if shown_code else {})}
    return render(
        request,
        "supervision/funnel.html",
        user,
        {
            "rows": rows,
            "stages": STAGES,
            "ratios": RATIOS,
            "level_label": translate(user.language, f"supervision.level.{shown_level}"),
            "headers": _headers(user.language),
            "heading": heading,
            "trail": _trail(user, names, shown_code),
            "chart_spec": chart,
            "eligibility_run": report.eligibility_run,
            "generated_at": report.generated_at,
            "num": num,
            "pct": pct,
            "csv_href": "/supervision/funnel?" + urlencode({**export_query, "format": "csv"}),
            "xlsx_href": "/supervision/funnel?" + urlencode({**export_query, "format": "xlsx"}),
        },
    )
