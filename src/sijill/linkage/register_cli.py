"""`sijill duplicates ...`: deduplicate the register and review the pairs from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sijill.cli_support import cli_actor, cli_transaction, console
from sijill.linkage import register_dedup
from sijill.linkage.schemas import PairOut
from sijill.linkage.splink_run import LinkageOptions

duplicates_app = typer.Typer(help="Register duplicates / التكرار في السجل / doublons du registre", no_args_is_help=True)


@duplicates_app.command("run")
def run_command(
    threshold: Annotated[float, typer.Option(help="match probability from which a pair is proposed")] = (
        LinkageOptions.threshold
    ),
) -> None:
    """Deduplicate the register and queue the likely pairs for review (replaces the open ones)."""
    with cli_transaction() as session:
        run = register_dedup.run_register_dedup(
            session=session, actor=cli_actor(), options=LinkageOptions(threshold=threshold)
        )
        console.print(
            f"run {run.id}: {run.records:,} records, {run.pairs_proposed:,} pairs for review "
            f"({run.pairs_known_different:,} already said to be two persons), "
            f"{sum(run.blocking['seconds'].values()):.0f} s"
        )


@duplicates_app.command("queue")
def queue_command(
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """Open pairs, most likely first."""
    with cli_transaction() as session:
        views = register_dedup.review_queue(session=session, actor=cli_actor(), limit=limit, offset=offset)
        pairs = [PairOut.of(view) for view in views]
    table = Table("pair", "probability", "IDCS", "name", "birth", "IDCS", "name", "birth")
    for pair in pairs:
        a, b = pair.person_a, pair.person_b
        table.add_row(
            str(pair.id),
            f"{pair.match_probability:.4f}",
            a.idcs,
            f"{a.given_name_lat or a.given_name_ar} {a.family_name_lat or a.family_name_ar}",
            a.birth,
            b.idcs,
            f"{b.given_name_lat or b.given_name_ar} {b.family_name_lat or b.family_name_ar}",
            b.birth,
        )
    console.print(table)


@duplicates_app.command("show")
def show_command(pair_id: int) -> None:
    """One pair side by side, with each comparison's weight."""
    with cli_transaction() as session:
        pair = PairOut.of(register_dedup.show_pair(session=session, actor=cli_actor(), pair_id=pair_id))
    console.print_json(pair.model_dump_json())


@duplicates_app.command("decide")
def decide_command(
    pair_id: int,
    decision: Annotated[str, typer.Argument(help="same | different")],
    reason: Annotated[str, typer.Option(help="what was checked")],
    survivor: Annotated[
        str | None, typer.Option(help="for 'same': the IDCS that survives (default: the older)")
    ] = None,
) -> None:
    """Decide a pair: the same person (merge) or two persons (never proposed again)."""
    with cli_transaction() as session:
        view = register_dedup.decide_pair(
            session=session,
            actor=cli_actor(),
            pair_id=pair_id,
            decision=decision,
            reason=reason,
            survivor_idcs=survivor,
        )
        console.print(f"pair {pair_id}: {view.pair.status}")
