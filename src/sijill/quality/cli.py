"""`sijill quality ...`: the reconciliation reports from the command line (CSV or Excel out)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from sijill.cli_support import cli_actor, cli_transaction, console
from sijill.errors import Text, invalid
from sijill.quality.agents import agent_anomalies
from sijill.quality.catalogue import catalogue
from sijill.quality.deregistration import deregistered_before_declaring
from sijill.quality.funnel import GAPS, LEVELS, STAGES, funnel, gap_people
from sijill.quality.one_person import one_person_households
from sijill.quality.run import latest_alerts, run_quality
from sijill.quality.score_swings import household_score_swings
from sijill.quality.splitting import DEFAULT_MONTHS as SPLIT_MONTHS
from sijill.quality.splitting import household_splitting
from sijill.quality.trend import GROUP_COLUMNS, GROUPS, latest_violations, violation_trend
from sijill.quality.violations import evaluate

quality_app = typer.Typer(help="Data quality / جودة المعطيات / qualité des données", no_args_is_help=True)


def _write(frame: pl.DataFrame, path: Path) -> None:
    if path.suffix.lower() == ".xlsx":
        frame.write_excel(path)
    elif path.suffix.lower() == ".csv":
        frame.write_csv(path)
    else:
        raise invalid(
            "--out",
            str(path),
            Text("ملف .csv أو .xlsx", "un fichier .csv ou .xlsx", "a .csv or .xlsx file"),
            Text("مثال: --out funnel.csv", "Exemple : --out funnel.csv", "for example --out funnel.csv"),
        )


@quality_app.command("funnel")
def funnel_command(
    level: Annotated[str, typer.Option(help=f"one of: {', '.join(LEVELS)}")] = "annex",
    within: Annotated[str | None, typer.Option(help="a territory code: only what lies inside it")] = None,
    out: Annotated[Path | None, typer.Option(help="also write the report to this .csv or .xlsx")] = None,
) -> None:
    """Persons at each stage from the RNP to AMO Tadamon, ranked by the gap between RNP and RSU."""
    with cli_transaction() as session:
        report = funnel(session=session, actor=cli_actor(), level=level, code=within)
    if report.empty:
        console.print("no data for this territory / لا معطيات / aucune donnée")
        return
    if out is not None:
        _write(report.rows, out)
    table = Table("code", *STAGES, "RSU/RNP", "eligible/RSU", "enrolled/eligible", "RNP−RSU")
    for row in report.rows.iter_rows(named=True):
        ratios = [row["rsu_of_rnp"], row["eligible_of_rsu"], row["enrolled_of_eligible"]]
        table.add_row(
            row["code"],
            *(f"{row[s]:,}" for s in STAGES),
            *("" if r is None else f"{r:.1%}" for r in ratios),
            f"{row['gap_rnp_rsu']:,}",
        )
    console.print(table)
    console.print(f"eligibility run: {report.eligibility_run or 'none yet'}")


@quality_app.command("gap")
def gap_command(
    gap: Annotated[str, typer.Argument(help=f"one of: {', '.join(GAPS)}")],
    annex: Annotated[str, typer.Option(help="the annex code")],
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    out: Annotated[Path | None, typer.Option(help="also write the list to this .csv or .xlsx")] = None,
) -> None:
    """The persons behind one gap of an annex's funnel."""
    with cli_transaction() as session:
        people = gap_people(session=session, actor=cli_actor(), gap=gap, annex_code=annex, limit=limit, offset=offset)
    frame = pl.DataFrame([asdict(p) for p in people]) if people else pl.DataFrame()
    if out is not None and people:
        _write(frame, out)
    console.print(f"{GAPS[gap].fr} / {GAPS[gap].ar}: {len(people):,} (from {offset:,})")
    for person in people:
        given = person.given_name_lat or person.given_name_ar or ""
        name = f"{given} {person.family_name_lat or person.family_name_ar or ''}"
        console.print(f"{person.idcs}  {name.strip()}  {person.annex_code}  household {person.household_id or '-'}")


@quality_app.command("one-person")
def one_person_command(
    within: Annotated[str | None, typer.Option(help="a territory code: only what lies inside it")] = None,
    out: Annotated[Path | None, typer.Option(help="also write the annexes to this .csv or .xlsx")] = None,
    monthly_out: Annotated[Path | None, typer.Option(help="write the monthly trend to this .csv or .xlsx")] = None,
) -> None:
    """Annexes whose share of one-person households is above the census's, on a funnel plot."""
    with cli_transaction() as session:
        report = one_person_households(session=session, actor=cli_actor(), code=within)
    if report.annexes.is_empty():
        console.print("no data for this territory / لا معطيات / aucune donnée")
        return
    if out is not None:
        _write(report.annexes, out)
    if monthly_out is not None:
        _write(report.monthly, monthly_out)
    table = Table("annex", "households", "one-person", "share", "census", "z", "flag")
    for row in report.annexes.iter_rows(named=True):
        table.add_row(
            row["annex_code"],
            f"{row['households']:,}",
            f"{row['one_person']:,}",
            f"{row['share']:.1%}",
            f"{row['expected_share']:.1%}",
            f"{row['z']:.1f}",
            "!" if row["flagged"] else "",
        )
    console.print(table)


@quality_app.command("deregistration")
def deregistration_command(
    months: Annotated[int, typer.Option(min=1, max=36, help="declared at most this many months after")] = 6,
    within: Annotated[str | None, typer.Option(help="a territory code: only what lies inside it")] = None,
    out: Annotated[Path | None, typer.Option(help="also write the cases to this .csv or .xlsx")] = None,
) -> None:
    """Persons who left the auto-entrepreneur register shortly before their household's declaration."""
    with cli_transaction() as session:
        report = deregistered_before_declaring(session=session, actor=cli_actor(), code=within, months=months)
    if report.cases.is_empty():
        console.print("no case for this territory and period / لا حالات / aucun cas")
        return
    if out is not None:
        _write(report.cases, out)
    table = Table("annex", "month", "cases")
    for row in report.by_annex_month.iter_rows(named=True):
        table.add_row(row["annex_code"], row["month"], f"{row['cases']:,}")
    console.print(table)
    console.print(f"{report.cases.height:,} persons declared within {months} months of leaving the register")


@quality_app.command("splitting")
def splitting_command(
    months: Annotated[
        int, typer.Option(min=1, max=60, help="split off at most this many months after the origin")
    ] = SPLIT_MONTHS,
    within: Annotated[str | None, typer.Option(help="a territory code: only what lies inside it")] = None,
    out: Annotated[Path | None, typer.Option(help="also write the split-offs to this .csv or .xlsx")] = None,
    annexes_out: Annotated[Path | None, typer.Option(help="write the annexes' test to this .csv or .xlsx")] = None,
) -> None:
    """One-person households split off a family at its address or phone, clustered with a timeline."""
    with cli_transaction() as session:
        report = household_splitting(session=session, actor=cli_actor(), code=within, months=months)
    if report.empty:
        console.print("no split-off household for this territory and period / لا حالات / aucun cas")
        return
    if out is not None:
        _write(report.splits, out)
    if annexes_out is not None:
        _write(report.by_annex, annexes_out)
    table = Table("annex", "households", "split-offs", "expected", "p", "flag")
    for row in report.by_annex.filter(pl.col("splits") > 0).iter_rows(named=True):
        p_value = "" if row["p_value"] is None else f"{row['p_value']:.2g}"
        expected = "" if row["expected"] is None else f"{row['expected']:.1f}"
        flag = "!" if row["flagged"] else ""
        table.add_row(row["annex_code"], f"{row['households']:,}", f"{row['splits']:,}", expected, p_value, flag)
    console.print(table)
    for cluster in report.clusters.head(10).iter_rows(named=True):
        events = ", ".join(f"{e['day']} {e['event']} {e['household_id']}" for e in cluster["timeline"])
        console.print(f"{cluster['annex_code']} household {cluster['cluster']}: {events}")


@quality_app.command("rules")
def rules_command(
    out: Annotated[Path | None, typer.Option(help="also write the catalogue to this .csv or .xlsx")] = None,
) -> None:
    """The catalogue of data rules: code, entity, severity, where it runs, message."""
    entries = catalogue()
    if out is not None:
        rows = [
            {
                "code": e.code,
                "entity": e.entity,
                "severity": e.severity,
                "runs": ", ".join(e.runs),
                "message_ar": e.message.ar,
                "message_fr": e.message.fr,
                "message_en": e.message.en,
                "fix_ar": e.fix.ar,
                "fix_fr": e.fix.fr,
            }
            for e in entries
        ]
        _write(pl.DataFrame(rows), out)
    table = Table("code", "entity", "severity", "runs", "message")
    for e in entries:
        table.add_row(e.code, e.entity, e.severity, ", ".join(e.runs), f"{e.message.fr} / {e.message.ar}")
    console.print(table)


@quality_app.command("violations")
def violations_command(
    by: Annotated[str, typer.Option(help=f"one of: {', '.join(GROUPS)}")] = "rule",
    within: Annotated[str | None, typer.Option(help="a territory code: only what lies inside it")] = None,
    out: Annotated[Path | None, typer.Option(help="also write the report to this .csv or .xlsx")] = None,
) -> None:
    """The latest run's rule violations, by rule, annex or agent."""
    with cli_transaction() as session:
        rows = latest_violations(session, cli_actor(), by=by, code=within)
    if rows.is_empty():
        console.print("no quality run yet (sijill quality run) / لا معطيات / aucune donnée")
        return
    if out is not None:
        _write(rows, out)
    keys = GROUP_COLUMNS[by]
    table = Table(*keys, "rule", "severity", "violations", "checked", "share")
    for row in rows.iter_rows(named=True):
        checked = "" if row["checked"] is None else f"{row['checked']:,}"
        share = "" if row["share"] is None else f"{row['share']:.1%}"
        table.add_row(*(row[k] for k in keys), row["rule"], row["severity"], f"{row['violations']:,}", checked, share)
    console.print(table)
    console.print(f"quality run {rows['run_id'][0]}")


@quality_app.command("trend")
def trend_command(
    rule: Annotated[str | None, typer.Option(help="only this rule")] = None,
    within: Annotated[str | None, typer.Option(help="a territory code: only what lies inside it")] = None,
    out: Annotated[Path | None, typer.Option(help="also write the trend to this .csv or .xlsx")] = None,
) -> None:
    """Each quality run's violations per rule, oldest first."""
    with cli_transaction() as session:
        points = violation_trend(session, cli_actor(), code=within, rule=rule)
    if points.is_empty():
        console.print("no quality run yet (sijill quality run) / لا معطيات / aucune donnée")
        return
    if out is not None:
        _write(points, out)
    table = Table("run", "day", "rule", "violations", "checked", "share")
    for row in points.iter_rows(named=True):
        share = "" if row["share"] is None else f"{row['share']:.1%}"
        checked = "" if row["checked"] is None else f"{row['checked']:,}"
        table.add_row(str(row["run_id"]), str(row["day"]), row["rule"], f"{row['violations']:,}", checked, share)
    console.print(table)


@quality_app.command("agents")
def agents_command(
    within: Annotated[str | None, typer.Option(help="a territory code: only what lies inside it")] = None,
    all_agents: Annotated[bool, typer.Option("--all", help="every agent, not only those who stand out")] = False,
    out: Annotated[Path | None, typer.Option(help="also write the agents to this .csv or .xlsx")] = None,
) -> None:
    """Agents against their province's peers: registrations a day, rule breaks, one-person share."""
    with cli_transaction() as session:
        report = agent_anomalies(evaluate(session, cli_actor(), code=within))
    if report.empty:
        console.print("no data for this territory / لا معطيات / aucune donnée")
        return
    shown = report.agents if all_agents else report.agents.filter(pl.col("flagged"))
    if out is not None:
        _write(shown.with_columns(pl.col("reasons").list.join(", ")), out)
    table = Table(
        "agent", "annex", "persons", "per day (z)", "one-person (z)", "worst rule", "share / peers (z)", "flag"
    )
    for row in shown.iter_rows(named=True):
        rule = row["worst_rule"] or ""
        worst = (
            ""
            if row["worst_rule_share"] is None
            else (f"{row['worst_rule_share']:.1%} / {row['worst_rule_peer_share']:.1%} ({row['worst_rule_z']})")
        )
        table.add_row(
            row["agent"],
            row["annex_code"],
            f"{row['persons']:,}",
            f"{row['per_day']} ({row['per_day_z']})",
            f"{row['one_person_share']} ({row['one_person_z']})",
            rule,
            worst,
            ", ".join(row["reasons"]),
        )
    console.print(table)
    console.print(f"{report.agents.filter(pl.col('flagged')).height:,} of {report.agents.height:,} agents stand out")


@quality_app.command("swings")
def swings_command(
    within: Annotated[str | None, typer.Option(help="a territory code: only what lies inside it")] = None,
    out: Annotated[Path | None, typer.Option(help="also write the households to this .csv or .xlsx")] = None,
) -> None:
    """How much indexes move between declarations; households oscillating around a threshold."""
    with cli_transaction() as session:
        report = household_score_swings(session, cli_actor(), code=within)
    if report.empty:
        console.print("no household with two scored declarations / لا معطيات / aucune donnée")
        return
    if out is not None:
        _write(report.households.drop("history"), out)
    table = Table("annex", "households", "mean change", "crossing", "oscillating")
    for row in report.by_annex.iter_rows(named=True):
        table.add_row(
            row["annex_code"],
            f"{row['households']:,}",
            f"{row['mean_absolute_change']}",
            f"{row['crossing']:,}",
            f"{row['oscillating']:,}",
        )
    console.print(table)


@quality_app.command("run")
def run_command(
    months: Annotated[int, typer.Option(min=1, max=36, help="deregistration: declared within this many months")] = 6,
) -> None:
    """Run every detector and store the alerts (the daily job)."""
    with cli_transaction() as session:
        run = run_quality(session=session, actor=cli_actor(), months=months)
        console.print(
            f"quality run {run.id}: {run.alerts:,} alerts ({', '.join(f'{k} {v} s' for k, v in run.seconds.items())})"
        )


@quality_app.command("alerts")
def alerts_command(
    detector: Annotated[str | None, typer.Option(help="only this detector's alerts")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    out: Annotated[Path | None, typer.Option(help="also write the alerts to this .csv or .xlsx")] = None,
) -> None:
    """The latest run's alerts, strongest first, each with its explanation and evidence."""
    with cli_transaction() as session:
        alerts = latest_alerts(session=session, actor=cli_actor(), detector=detector, limit=limit)
    if not alerts:
        console.print("no alert (or no run yet: sijill quality run) / لا تنبيهات / aucune alerte")
        return
    if out is not None:
        rows = [
            {
                "id": a.id,
                "detector": a.detector,
                "annex": a.territory_code,
                "score": a.score,
                "explanation_fr": a.explanation["fr"],
                "explanation_ar": a.explanation["ar"],
                "link": a.evidence.get("link"),
            }
            for a in alerts
        ]
        _write(pl.DataFrame(rows), out)
    for alert in alerts:
        console.print(f"{alert.id} {alert.detector} {alert.territory_code} [{alert.score:g}] {alert.explanation['fr']}")
        console.print(f"    {alert.explanation['ar']}  →  {alert.evidence.get('link')}")
