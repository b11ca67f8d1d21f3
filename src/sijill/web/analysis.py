"""The policy analyst's what-if: a programme's rule in force against the same rule with another
threshold, another schedule of amounts or another index model, on the whole registry: who comes
in, who goes out, what it costs, by region and milieu. Aggregates only; nothing is decided."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from sijill.access.roles import Permission
from sijill.api.deps import SessionDep
from sijill.errors import SijillError
from sijill.programmes.rules import programme_ids, shipped_rules
from sijill.programmes.simulate import SimulationReport, TargetingErrors, simulate
from sijill.scoring.model import shipped_models
from sijill.web.charts import bar_chart
from sijill.web.deps import CheckedForm, PageUser, require
from sijill.web.forms import FormErrors, form_values, from_domain, from_validation
from sijill.web.i18n import pick, translate
from sijill.web.supervision_common import number, percent, unit_names
from sijill.web.templating import render

router = APIRouter(include_in_schema=False)
Identifier = r"^[A-Za-z0-9._@-]{1,82}$"


class SimulationForm(BaseModel):
    """What the analyst asks; the service checks the rest (a programme it knows, a schedule year
    that exists, an index value on its scale) and says which field is wrong."""

    model_config = ConfigDict(extra="forbid")

    programme: str = Field(pattern=Identifier)
    as_of: date
    threshold: float | None = Field(default=None, gt=0, lt=20)
    schedule: int | None = Field(default=None, ge=2000, le=2100)
    model: str | None = Field(default=None, pattern=Identifier)
    poverty_line: float | None = Field(default=None, gt=0, lt=20)


FIELDS = tuple(SimulationForm.model_fields)
# Decimals typed the French way (9,8) are the same number.
DECIMALS = ("threshold", "poverty_line")
MEASURES = ("households", "persons", "amount")


def _change(language: str, before: float, after: float) -> str:
    difference = after - before
    sign = "+" if difference > 0 else ""
    return sign + number(language, difference)


def _errors(language: str, errors: TargetingErrors) -> dict[str, str]:
    return {
        "eligible": number(language, errors.eligible),
        "inclusion": number(language, errors.inclusion_errors),
        "inclusion_rate": percent(language, errors.inclusion_error_rate),
        "exclusion": number(language, errors.exclusion_errors),
        "exclusion_rate": percent(language, errors.exclusion_error_rate),
    }


def result_context(session: Session, language: str, report: SimulationReport) -> dict[str, Any]:
    t = partial(translate, language)
    num = partial(number, language)
    regions = unit_names(session, language, [row["region"] for row in report.rows])
    rows = [
        {
            **row,
            "region_name": regions.get(row["region"], row["region"]),
            "milieu_name": t(f"analysis.milieu.{row['milieu']}") if row["milieu"] else "—",
        }
        for row in report.rows
    ]
    totals = report.totals
    summary = [
        {
            "measure": t(f"analysis.measure.{measure}"),
            "before": num(totals[f"{measure}_before"]),
            "after": num(totals[f"{measure}_after"]),
            "change": _change(language, totals[f"{measure}_before"], totals[f"{measure}_after"]),
            "in": num(totals[f"{measure}_in"]) if f"{measure}_in" in totals else "",
            "out": num(totals[f"{measure}_out"]) if f"{measure}_out" in totals else "",
        }
        for measure in MEASURES
    ]
    categories = [f"{r['region_name']} — {r['milieu_name']}" for r in rows]
    before, after = t("analysis.before"), t("analysis.after")
    households_chart = bar_chart(
        t("analysis.chart.households"),
        categories,
        {before: [r["households_before"] for r in rows], after: [r["households_after"] for r in rows]},
    )
    amounts_chart = bar_chart(
        t("analysis.chart.amount"),
        categories,
        {before: [r["amount_before"] for r in rows], after: [r["amount_after"] for r in rows]},
    )
    rules = shipped_rules()
    truth = report.truth
    return {
        "programme_name": pick(language, rules[report.rule].name) if report.rule in rules else report.programme,
        "report": report,
        "period": t(f"analysis.period.{report.period}") if report.period else t("analysis.period.none"),
        "has_amounts": bool(totals["amount_before"] or totals["amount_after"]),
        "summary": summary,
        "rows": rows,
        "num": num,
        "households_chart": households_chart,
        "amounts_chart": amounts_chart,
        "truth": (
            {
                "poverty_line": str(truth.poverty_line),
                "households": num(truth.households),
                "poor": num(truth.poor),
                "before": _errors(language, truth.before),
                "after": _errors(language, truth.after),
            }
            if truth is not None
            else None
        ),
    }


def _choices(language: str) -> dict[str, Any]:
    rules = shipped_rules()
    names = {rule.id: pick(language, rule.name) for rule in rules.values()}
    years: dict[str, list[int]] = {}
    for rule in rules.values():
        years.setdefault(rule.id, []).append(rule.effective_from.year)
    programmes = [(p, f"{names[p]} ({p})") for p in programme_ids(rules)]
    models = [("", translate(language, "analysis.model.in_force"))] + [
        (m.version, f"{m.id} {m.version}") for m in shipped_models().values()
    ]
    # By the programme's id (shown beside its name in the list above): the names are long.
    schedules = " · ".join(f"{p}: {', '.join(map(str, sorted(set(y))))}" for p, y in sorted(years.items()))
    return {"programmes": programmes, "models": models, "schedules": schedules}


def _page(
    request: Request,
    user: PageUser,
    values: dict[str, str],
    *,
    errors: FormErrors | None = None,
    report: SimulationReport | None = None,
    session: SessionDep | None = None,
) -> HTMLResponse:
    context: dict[str, Any] = {**_choices(user.language), "result": None}
    if report is not None and session is not None:
        context["result"] = result_context(session, user.language, report)
    return render(
        request,
        "analysis/simulation.html",
        user,
        context,
        status_code=422 if errors else 200,
        errors=errors,
        values=values,
    )


@router.get("/analysis/simulation", response_class=HTMLResponse)
def simulation_form(request: Request, user: PageUser) -> HTMLResponse:
    require(user, Permission.SIMULATE)
    return _page(request, user, {"programme": "amo-tadamon", "as_of": date.today().isoformat()})


@router.post("/analysis/simulation", response_class=HTMLResponse)
def run_simulation(request: Request, session: SessionDep, user: PageUser, form: CheckedForm) -> HTMLResponse:
    require(user, Permission.SIMULATE)
    values = form_values(form, FIELDS)
    typed = {k: v.replace(",", ".") if k in DECIMALS else v for k, v in values.items()}
    try:
        asked = SimulationForm.model_validate(typed)
    except ValidationError as exc:
        return _page(request, user, values, errors=from_validation(exc, user.language))
    try:
        report = simulate(session=session, actor=user.actor, **asked.model_dump())
    except SijillError as exc:
        # Not even the audit of a refused simulation is kept.
        session.rollback()
        return _page(request, user, values, errors=from_domain(exc, user.language))
    return _page(request, user, values, report=report, session=session)
