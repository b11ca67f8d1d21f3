"""`sijill households ...` and `sijill score --all`: the social registry from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sijill.cli_support import cli_actor, cli_transaction, console
from sijill.errors import SijillError, Text
from sijill.social_registry import queries, service
from sijill.social_registry.schemas import CorrectionIn, HouseholdIn

households_app = typer.Typer(
    help="Social registry / السجل الاجتماعي الموحد / registre social unifié", no_args_is_help=True
)


@households_app.command("declare")
def declare(form: Annotated[Path, typer.Argument(help="JSON form as for POST /api/households ('-': stdin)")]) -> None:
    """Register a household; prints its number and index, or every problem of the form (exit 2)."""
    text = typer.get_text_stream("stdin").read() if str(form) == "-" else form.read_text(encoding="utf-8")
    data = HouseholdIn.model_validate_json(text)
    with cli_transaction() as session:
        household = service.declare_household(session=session, actor=cli_actor(), data=data)
        out = queries.read_household(session, cli_actor(), household.number)
    score = f"index {out.score.effective:.4f} ({out.score.model})" if out.score else "no index"
    console.print(f"household {out.number} declared: {len(out.declaration.members)} members, {score}")


@households_app.command("show")
def show(number: str) -> None:
    with cli_transaction() as session:
        household = queries.read_household(session, cli_actor(), number)
    console.print_json(household.model_dump_json())


@households_app.command("history")
def history(number: str) -> None:
    """Every declaration version, calculated score and correction."""
    with cli_transaction() as session:
        found = queries.household_history(session, cli_actor(), number)
    console.print_json(found.model_dump_json())


@households_app.command("explain")
def explain(number: str) -> None:
    """Each variable's contribution to the current index."""
    with cli_transaction() as session:
        explanation = queries.explain_score(session, cli_actor(), number)
    console.print(f"{number}: index {explanation.score:.4f} ({explanation.model})")
    console.print(f"  intercept {explanation.intercept:+.4f}, region {explanation.regional:+.4f}")
    for part in sorted(explanation.contributions, key=lambda c: -abs(c.contribution)):
        console.print(f"  {part.contribution:+.4f}  {part.label_fr} / {part.label_ar}: {part.term} = {part.value}")


@households_app.command("correct")
def correct(
    number: str,
    score: Annotated[float, typer.Option(help="the corrected index")],
    reason: Annotated[str, typer.Option(help="why (kept in the history)")],
) -> None:
    """Override the current index with a reason."""
    with cli_transaction() as session:
        service.correct_score(
            session=session, actor=cli_actor(), number=number, data=CorrectionIn(score=score, reason=reason)
        )
    console.print(f"{number}: index corrected to {score}")


def score_command(
    all_households: Annotated[bool, typer.Option("--all", help="every household's current declaration")] = False,
    model: Annotated[str | None, typer.Option(help="model version (default: the one in force today)")] = None,
) -> None:
    """Score the whole registry with one model version, set-based, with a progress bar."""
    from datetime import date

    from sijill.scoring.model import find_model, model_in_force, shipped_models
    from sijill.social_registry.batch_scoring import score_all

    if not all_households:
        raise SijillError(
            code="score_scope_missing",
            status=422,
            field="--all",
            message=Text(
                "حددوا --all لتنقيط السجل كله",
                "Précisez --all pour noter tout le registre",
                "say --all to score the whole registry",
            ),
            fix=Text(
                "sijill score --all [--model VERSION]",
                "sijill score --all [--model VERSION]",
                "sijill score --all [--model VERSION]",
            ),
        )
    models = shipped_models()
    chosen = find_model(models, model) if model else model_in_force(models, date.today())
    columns = (
        TextColumn(f"score {chosen.ref}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("households"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=not console.is_terminal) as progress:
        task = progress.add_task("score", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        with cli_transaction() as session:
            report = score_all(session=session, actor=cli_actor(), model=chosen, progress=advance)
    events = ", ".join(f"{p}: {n}" for p, n in sorted(report.events.items())) or "none"
    console.print(f"{report.scored} households scored with {report.model}; threshold crossings: {events}")


@households_app.command("volatility")
def volatility_command(
    model: Annotated[str, typer.Option(help="model version")],
    against: Annotated[str | None, typer.Option(help="an earlier model version (else: two declaration rounds)")] = None,
) -> None:
    """How much indexes move between two model versions, or between each household's last two declarations."""
    from sijill.scoring.model import find_model, shipped_models
    from sijill.social_registry.volatility import between_models, between_rounds

    models = shipped_models()
    chosen = find_model(models, model).ref
    with cli_transaction() as session:
        if against is not None:
            moved = between_models(session, cli_actor(), find_model(models, against).ref, chosen)
            label = f"from {find_model(models, against).ref} to {chosen}"
        else:
            moved = between_rounds(session, cli_actor(), chosen)
            label = f"between the last two declarations ({chosen})"
    console.print(
        f"{label}: {moved.households} households, mean |change| {moved.mean_absolute_change}, "
        f"{moved.share_changed_over_0_1:.1%} moved more than 0.1"
    )
    for programme in moved.entering:
        console.print(f"  {programme}: {moved.entering[programme]} enter, {moved.leaving[programme]} leave")
