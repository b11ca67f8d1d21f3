"""`sijill programmes ...` (the rule files) and `sijill eligibility ...` (decisions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sijill.cli_support import cli_actor, cli_transaction, console, date_option

if TYPE_CHECKING:
    from sijill.programmes.simulate import TruthComparison

programmes_app = typer.Typer(help="Programme rules / قواعد البرامج / règles des programmes", no_args_is_help=True)
eligibility_app = typer.Typer(help="Eligibility / الاستحقاق / éligibilité", no_args_is_help=True)

ProgrammeOption = Annotated[str | None, typer.Option(help="one programme id (default: every programme in force)")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="decision day YYYY-MM-DD (default: today)")]
ModelOption = Annotated[str | None, typer.Option(help="index model version (default: the one in force that day)")]


@programmes_app.command("list")
def list_rules() -> None:
    """Every rule version, with its dates and status."""
    from sijill.programmes.rules import shipped_rules

    table = Table("rule", "from", "to", "status", "kind", "name")
    for rule in sorted(shipped_rules().values(), key=lambda r: (r.id, r.effective_from)):
        table.add_row(
            rule.ref, str(rule.effective_from), str(rule.effective_to or ""), rule.status, rule.kind, rule.name.fr
        )
    console.print(table)


@programmes_app.command("check")
def check(
    paths: Annotated[list[Path] | None, typer.Argument(help="rule files (default: rules/programmes)")] = None,
) -> None:
    """Read and check rule files: any problem is reported with its file and line (exit 2)."""
    from sijill.programmes.rules import load_rules
    from sijill.rules_files import rule_files

    rules = load_rules(list(paths) if paths else list(rule_files("programmes")))
    console.print(f"{len(rules)} rule file(s) checked: {', '.join(sorted(rules))}")


@programmes_app.command("scenarios")
def scenarios(paths: Annotated[list[Path], typer.Argument(help="scenario files (YAML)")]) -> None:
    """Decide each situation of the scenario files and compare with what they expect (exit 1 on a mismatch)."""
    from sijill.programmes.scenarios import run_scenarios

    failed = 0
    for path in paths:
        for outcome in run_scenarios(path):
            mark = "ok  " if outcome.passed else "FAIL"
            console.print(f"{mark} {path.name}:{outcome.line} {outcome.name}")
            for problem in outcome.problems:
                console.print(f"      {problem}")
            failed += not outcome.passed
    if failed:
        raise typer.Exit(1)


@eligibility_app.command("show")
def show(
    number: Annotated[str, typer.Argument(help="household number (HH…)")],
    programme: ProgrammeOption = None,
    as_of: AsOfOption = None,
    model: ModelOption = None,
) -> None:
    """One household's decisions: status, reasons, amount line by line (JSON)."""
    from sijill.programmes.queries import household_eligibility

    day = date_option("as_of", as_of) if as_of else None
    with cli_transaction() as session:
        decisions = household_eligibility(session, cli_actor(), number, as_of=day, programme=programme, model=model)
    console.print_json(json.dumps([d.model_dump(mode="json") for d in decisions], ensure_ascii=False))


@eligibility_app.command("run")
def run(programme: ProgrammeOption = None, as_of: AsOfOption = None, model: ModelOption = None) -> None:
    """Decide every household of the registry and store the decisions, with a summary by region."""
    from datetime import date

    from sijill.programmes.service import run_eligibility

    day = date_option("as_of", as_of) if as_of else date.today()
    with cli_transaction() as session:
        reports = run_eligibility(
            session=session,
            actor=cli_actor(),
            as_of=day,
            programme=programme,
            model=model,
            progress=lambda rule: console.print(f"deciding {rule} …"),
        )
    for report in reports:
        table = Table(
            "region",
            "milieu",
            "households",
            "eligible",
            "not eligible",
            "not decidable",
            "amount",
            title=f"{report.rule} as of {report.as_of} (model {report.model}), run {report.run_id}",
        )
        for row in report.summary:
            table.add_row(
                row["region"],
                row["milieu"],
                f"{row['households']:,}",
                f"{row['eligible']:,}",
                f"{row['not_eligible']:,}",
                f"{row['not_decidable']:,}",
                f"{row['amount']:,.0f}",
            )
        table.add_row(
            "all",
            "",
            f"{report.households:,}",
            f"{report.eligible:,}",
            f"{report.not_eligible:,}",
            f"{report.not_decidable:,}",
            f"{report.amount:,.0f}",
        )
        console.print(table)


def simulate_command(
    programme: Annotated[str, typer.Option(help="programme id, e.g. asd")],
    threshold: Annotated[float | None, typer.Option(help="another index threshold")] = None,
    schedule: Annotated[int | None, typer.Option(help="the amounts of the version starting that year")] = None,
    model: ModelOption = None,
    as_of: AsOfOption = None,
    poverty_line: Annotated[
        float | None,
        typer.Option(help="on generated data: the true-consumption line errors are measured against (index scale)"),
    ] = None,
) -> None:
    """What-if: households and persons newly in and out, and the amount, by region and milieu; on
    generated data, each rule's inclusion and exclusion errors against the true consumption."""
    from datetime import date

    from sijill.programmes.simulate import simulate

    day = date_option("as_of", as_of) if as_of else date.today()
    with cli_transaction() as session:
        report = simulate(
            session=session,
            actor=cli_actor(),
            programme=programme,
            as_of=day,
            threshold=threshold,
            schedule=schedule,
            model=model,
            poverty_line=poverty_line,
        )
    title = f"{report.rule} → {report.scenario} as of {report.as_of} (model {report.model} → {report.scenario_model})"
    columns = (
        "households_before",
        "households_after",
        "households_in",
        "households_out",
        "persons_in",
        "persons_out",
        "amount_before",
        "amount_after",
    )
    table = Table("region", "milieu", *columns, title=title)
    for row in [*report.rows, {"region": "all", "milieu": "", **report.totals}]:
        table.add_row(row["region"], row["milieu"], *(f"{row[c]:,.0f}" for c in columns))
    console.print(table)
    if report.truth is not None:
        console.print(_truth_table(report.truth))


def _truth_table(truth: TruthComparison) -> Table:
    table = Table(
        "rule",
        "eligible",
        "inclusion errors",
        "inclusion rate",
        "exclusion errors",
        "exclusion rate",
        title=(
            f"Against the true consumption, poverty line {truth.poverty_line}: "
            f"{truth.poor:,} poor of {truth.households:,} households"
        ),
    )
    for side, errors in (("before", truth.before), ("after", truth.after)):
        rates = [
            f"{r:.1%}" if r is not None else "-" for r in (errors.inclusion_error_rate, errors.exclusion_error_rate)
        ]
        table.add_row(
            side,
            f"{errors.eligible:,}",
            f"{errors.inclusion_errors:,}",
            rates[0],
            f"{errors.exclusion_errors:,}",
            rates[1],
        )
    return table
