"""The anomaly alerts of the latest quality run over the reader's territory: the list (by kind,
strongest first, as a download too) and one alert with its evidence: the figures, the test that
raised it, the annex and, for an agent's alert, the agent."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from sijill.access.roles import Permission
from sijill.api.deps import SessionDep
from sijill.quality.alerts import AGENT_REASONS
from sijill.quality.data_rules import RULES
from sijill.quality.run import AlertView, latest_alerts, read_alert
from sijill.web.deps import PageUser, require
from sijill.web.exports import download, table
from sijill.web.forms import FormErrors
from sijill.web.i18n import pick, translate
from sijill.web.supervision_common import Format, decimal, number, percent, unit_names
from sijill.web.supervision_funnel import funnel_link
from sijill.web.templating import render

router = APIRouter(include_in_schema=False)
DETECTORS = (
    "one_person_households",
    "household_splitting",
    "deregistration_before_declaring",
    "score_swings",
    "data_rules",
    "agent_anomalies",
)
# A run's alerts in one territory: every one, for the detail page to find its own among them.
SHOWN = 500
AlertId = Annotated[int, Path(ge=1, le=2_000_000_000)]
Detector = Annotated[str | None, Query(max_length=40)]
# How each figure of an alert's evidence is written: a share, a count, or as it is.
SHARES = frozenset({"share", "expected_share", "one_person_share", "worst_rule_share", "worst_rule_peer_share"})
TEXTS = frozenset({"agent", "area", "link", "reasons", "rule", "fix", "worst_rule"})


def _figure(language: str, key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key in SHARES:
        return percent(language, float(value))
    if isinstance(value, float):
        return decimal(language, value)
    if isinstance(value, int) and not isinstance(value, bool):
        return number(language, value)
    return str(value)


def _reason(language: str, code: str) -> str:
    text = RULES[code].message if code in RULES else AGENT_REASONS.get(code)
    return pick(language, text) if text is not None else code


def evidence_facts(language: str, alert: AlertView) -> list[tuple[str, str]]:
    """The alert's figures, each under its name in ``language``, in the order the detector gave them."""
    facts = []
    for key, value in alert.evidence.items():
        if key in TEXTS:
            continue
        facts.append((translate(language, f"supervision.evidence.{key}"), _figure(language, key, value)))
    return facts


def _rows(user: PageUser, alerts: list[AlertView], names: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": alert.id,
            "detector": alert.detector,
            "kind": translate(user.language, f"supervision.detector.{alert.detector}"),
            "territory_code": alert.territory_code,
            "territory": names.get(alert.territory_code, alert.territory_code),
            "score": alert.score,
            "score_shown": decimal(user.language, alert.score),
            "explanation": pick(user.language, alert.explanation),
            "agent": alert.evidence.get("agent"),
            "href": f"/supervision/alerts/{alert.id}",
        }
        for alert in alerts
    ]


def _headers(language: str) -> dict[str, str]:
    t = partial(translate, language)
    return {
        "id": t("supervision.alert.number"),
        "kind": t("supervision.alert.kind"),
        "territory_code": t("supervision.unit_code"),
        "territory": t("supervision.unit"),
        "agent": t("supervision.evidence.agent"),
        "score": t("supervision.alert.score"),
        "explanation": t("supervision.alert.explanation"),
    }


@router.get("/supervision/alerts")
def alerts_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    detector: Detector = None,
    format: Format = None,
) -> Response:
    require(user, Permission.REPORT_READ)
    errors = FormErrors()
    chosen = detector or None
    if chosen is not None and chosen not in DETECTORS:
        errors.add("detector", translate(user.language, "form.error.choice"))
        chosen = None
    alerts = [] if errors else latest_alerts(session=session, actor=user.actor, detector=chosen, limit=SHOWN)
    names = unit_names(session, user.language, [a.territory_code for a in alerts])
    rows = _rows(user, alerts, names)
    if format is not None and not errors:
        return download(table(rows, _headers(user.language)), format, "alerts", language=user.language)
    query = {"detector": chosen} if chosen else {}
    options = [("", translate(user.language, "supervision.alerts.every_kind"))] + [
        (d, translate(user.language, f"supervision.detector.{d}")) for d in DETECTORS
    ]
    return render(
        request,
        "supervision/alerts.html",
        user,
        {
            "rows": rows,
            "options": options,
            "run": alerts[0] if alerts else None,
            "shown_limit": SHOWN,
            "csv_href": "/supervision/alerts?" + urlencode({**query, "format": "csv"}),
            "xlsx_href": "/supervision/alerts?" + urlencode({**query, "format": "xlsx"}),
        },
        status_code=422 if errors else 200,
        errors=errors,
        values={"detector": detector or ""},
    )


@router.get("/supervision/alerts/{alert_id}")
def alert_page(request: Request, session: SessionDep, user: PageUser, alert_id: AlertId) -> Response:
    require(user, Permission.REPORT_READ)
    alert = read_alert(session=session, actor=user.actor, alert_id=alert_id)
    annex = alert.territory_code
    names = unit_names(session, user.language, [annex])
    evidence = alert.evidence
    reasons = [_reason(user.language, code) for code in evidence.get("reasons", [])]
    rule = evidence.get("rule") or evidence.get("worst_rule")
    commune = ".".join(annex.split(".")[:3])
    return render(
        request,
        "supervision/alert.html",
        user,
        {
            "alert": alert,
            "kind": translate(user.language, f"supervision.detector.{alert.detector}"),
            "test": translate(user.language, f"supervision.test.{alert.detector}"),
            "explanation": pick(user.language, alert.explanation),
            "annex": annex,
            "annex_name": names.get(annex, annex),
            "agent": evidence.get("agent"),
            "reasons": reasons,
            "rule_code": rule,
            "rule_text": _reason(user.language, rule) if rule else None,
            "fix": pick(user.language, evidence["fix"]) if isinstance(evidence.get("fix"), dict) else None,
            "facts": evidence_facts(user.language, alert),
            "score": decimal(user.language, alert.score),
            "funnel_href": funnel_link("annex", commune),
        },
    )
