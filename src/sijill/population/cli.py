"""`sijill persons ...`: the population register from the command line (run as the system admin)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sijill.cli_support import cli_actor, cli_transaction, console
from sijill.population import life_events, queries, registration
from sijill.population.schemas import PersonIn, PersonOut

persons_app = typer.Typer(
    help="Population register / السجل الوطني للسكان / registre de la population", no_args_is_help=True
)


def _print_people(people: list[PersonOut]) -> None:
    table = Table("IDCS", "name (lat)", "name (ar)", "sex", "birth", "CIN", "annex", "status")
    for p in people:
        table.add_row(
            p.idcs,
            f"{p.given_name_lat or ''} {p.family_name_lat or ''}".strip(),
            f"{p.given_name_ar or ''} {p.family_name_ar or ''}".strip(),
            p.sex,
            str(p.birth_date or p.birth_year),
            p.cin or "",
            p.annex_code,
            p.status,
        )
    console.print(table)


@persons_app.command("register")
def register(
    record: Annotated[Path, typer.Argument(help="JSON file with the person's fields ('-' for standard input)")],
) -> None:
    """Register one person; prints the new IDCS, or the registration held for review."""
    text = typer.get_text_stream("stdin").read() if str(record) == "-" else record.read_text(encoding="utf-8")
    data = PersonIn.model_validate_json(text)
    with cli_transaction() as session:
        result = registration.register_person(session=session, actor=cli_actor(), data=data)
    if result.person is not None:
        console.print(f"issued IDCS {result.person.idcs} (registration {result.registration_id})")
    else:
        console.print(f"held for review: registration {result.registration_id} (likely duplicate)")


@persons_app.command("show")
def show(idcs: str) -> None:
    with cli_transaction() as session:
        person = queries.read_person(session, cli_actor(), idcs)
    console.print_json(person.model_dump_json())


@persons_app.command("search")
def search(
    name: Annotated[str | None, typer.Option(help="given or family name, either script")] = None,
    cin: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    birth_year: Annotated[int | None, typer.Option()] = None,
    birth_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    with cli_transaction() as session:
        people = queries.search_persons(
            session,
            cli_actor(),
            name=name,
            cin=cin,
            phone=phone,
            birth_year=birth_year,
            birth_date=date.fromisoformat(birth_date) if birth_date else None,
            limit=limit,
        )
    _print_people(people)


@persons_app.command("correct")
def correct(
    idcs: str,
    changes: Annotated[str, typer.Option(help='JSON object of field: new value, e.g. \'{"cin": "AB123456"}\'')],
    reason: Annotated[str, typer.Option()],
    version: Annotated[int, typer.Option(help="the version you read (see `persons show`)")],
) -> None:
    with cli_transaction() as session:
        person = life_events.correct_person(
            session=session, actor=cli_actor(), idcs=idcs, changes=json.loads(changes), reason=reason, version=version
        )
        console.print(f"corrected {idcs}: now version {person.version}")


@persons_app.command("death")
def death(
    idcs: str,
    date_of_death: Annotated[str, typer.Option("--date", help="YYYY-MM-DD")],
    version: Annotated[int, typer.Option()],
) -> None:
    with cli_transaction() as session:
        life_events.record_death(
            session=session, actor=cli_actor(), idcs=idcs, death_date=date.fromisoformat(date_of_death), version=version
        )
    console.print(f"death recorded for {idcs}")


@persons_app.command("merge")
def merge(survivor: str, merged: str, reason: Annotated[str, typer.Option()]) -> None:
    """Merge MERGED into SURVIVOR (two records of one person)."""
    with cli_transaction() as session:
        result = life_events.merge_persons(
            session=session, actor=cli_actor(), survivor_idcs=survivor, merged_idcs=merged, reason=reason
        )
        console.print(f"merged {merged} into {survivor} (merge {result.id}; revert with --revert {result.id})")


@persons_app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV (UTF-8) or Parquet file")],
    source: Annotated[str | None, typer.Option(help="name of the source; default the file name")] = None,
    errors: Annotated[Path | None, typer.Option(help="where to write the per-row error file")] = None,
    accept_valid: Annotated[bool, typer.Option(help="import the valid rows even if others are invalid")] = False,
) -> None:
    """Import register records; every row is checked first, and re-importing creates nothing new."""
    from rich.progress import Progress

    from sijill.cli_support import engine_from_settings
    from sijill.db import make_sessionmaker
    from sijill.population.bulk_import import import_persons

    engine = engine_from_settings()
    error_path = errors or path.with_name(path.stem + ".errors.csv")
    try:
        with Progress() as bar:
            task = bar.add_task("import", total=None)
            report = import_persons(
                factory=make_sessionmaker(engine),
                actor=cli_actor(),
                path=path,
                source=source or path.name,
                error_path=error_path,
                accept_valid=accept_valid,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    finally:
        engine.dispose()
    console.print(
        f"{report.rows:,} rows: {report.created:,} registered, {report.held_for_review:,} held for review "
        f"(likely duplicates), {report.already_imported:,} already imported, {report.invalid_rows:,} invalid "
        f"in {report.seconds:.1f} s" + (f"; errors in {report.error_file}" if report.error_file else "")
    )


@persons_app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="file to write: .parquet or .csv")],
    annex: Annotated[str | None, typer.Option(help="one annex code")] = None,
) -> None:
    """Write the register (or one annex) in the import schema; the export is audited."""
    with cli_transaction() as session:
        frame = queries.export_frame(session, cli_actor(), annex_code=annex)
    if out.suffix == ".csv":
        frame.write_csv(out)
    else:
        frame.write_parquet(out)
    console.print(f"exported {frame.height:,} persons to {out}")
