"""`sijill territory ...`: load the reference list, import communes and annexes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from sijill.cli_support import cli_actor, cli_transaction, console
from sijill.territory import service
from sijill.territory.importer import read_csv

territory_app = typer.Typer(help="Territory / التقطيع الترابي / territoire", no_args_is_help=True)


@territory_app.command("init")
def init() -> None:
    """Load the 12 regions and 75 prefectures/provinces shipped with Sijill (idempotent)."""
    with cli_transaction() as session:
        counts = service.load_reference(session=session, actor=cli_actor())
    console.print(f"reference territory: {counts}")


@territory_app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet file")],
) -> None:
    """Import communes and annexes/caïdats; every line is checked and nothing is written on error."""
    records = pl.read_parquet(path).to_dicts() if path.suffix == ".parquet" else read_csv(path)
    with cli_transaction() as session:
        counts = service.import_territory(session=session, actor=cli_actor(), records=records, source_name=path.name)
    console.print(f"imported {path.name}: {counts}")
