"""`sijill registries ...`: import other administrations' registries and see their extracts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sijill.cli_support import cli_actor, cli_transaction, console, date_option
from sijill.linkage.registries import REGISTRIES, import_registry, registry_imports

registries_app = typer.Typer(help="Other registries / السجلات الإدارية الأخرى / autres registres", no_args_is_help=True)


@registries_app.command("import")
def import_command(
    registry: Annotated[str, typer.Argument(help=f"one of: {', '.join(REGISTRIES)}")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet extract")],
    extracted_on: Annotated[
        str | None, typer.Option(help="the day the registry extracted it, YYYY-MM-DD (default: today)")
    ] = None,
    accept_valid: Annotated[bool, typer.Option(help="import the valid rows even if others are invalid")] = False,
) -> None:
    """Replace a registry's extract with this file, and link its records to register persons."""
    day = date_option("extracted_on", extracted_on) if extracted_on is not None else None
    with cli_transaction() as session:
        report = import_registry(
            session=session,
            actor=cli_actor(),
            registry=registry,
            path=path,
            extracted_on=day,
            accept_valid=accept_valid,
        )
    console.print(
        f"{report.registry}: {report.records:,} records ({report.replaced:,} replaced), "
        f"linked {report.linked_by_idcs:,} by IDCS and {report.linked_by_cin:,} by CIN, "
        f"{report.invalid_rows:,} invalid rows" + (f" (see {report.error_file})" if report.error_file else "")
    )
    unplaced = report.records - report.linked_by_idcs - report.linked_by_cin
    if unplaced:
        console.print(f"{unplaced:,} records without an exact link: sijill registries link {report.registry}")


@registries_app.command("link")
def link_command(
    registry: Annotated[str, typer.Argument(help=f"one of: {', '.join(REGISTRIES)}")],
) -> None:
    """Link the registry's records that no identifier placed, with the linkage model (replaces the
    registry's previous probabilistic links)."""
    from sijill.linkage.registry_linkage import link_registry

    with cli_transaction() as session:
        report = link_registry(session=session, actor=cli_actor(), registry=registry)
    console.print(
        f"{report.registry}: {report.records:,} records, {report.exactly_linked:,} linked by identifier, "
        f"{report.linked:,} linked by the model ({report.excluding:,} sure enough to count for exclusions)"
    )


@registries_app.command("list")
def list_command() -> None:
    """Each registry's current extract."""
    with cli_transaction() as session:
        imports = registry_imports(session, cli_actor())
        table = Table("registry", "extracted on", "records", "linked", "imported at", "by")
        for extract in imports:
            table.add_row(
                extract.registry_kind,
                str(extract.extracted_on),
                f"{extract.records:,}",
                f"{extract.linked:,}",
                extract.imported_at.isoformat(timespec="seconds"),
                extract.imported_by,
            )
    console.print(table)
