"""`sijill registries ...`: import other administrations' registries and see their extracts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sijill.cli_support import cli_actor, cli_transaction, console, date_option
from sijill.dci import client_cli
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


@registries_app.command("import-dci")
def import_dci_command(
    url: client_cli.UrlArgument,
    registry: Annotated[str, typer.Option("--registry", help=f"the registry it is, one of: {', '.join(REGISTRIES)}")],
    client_id: client_cli.ClientIdOption,
    secret_env: client_cli.SecretEnvOption = client_cli.DEFAULT_SECRET_ENV,
    idtype: client_cli.IdTypeOption = None,
    value: client_cli.ValueOption = None,
    expression: client_cli.ExpressionOption = None,
    predicate_text: client_cli.PredicateOption = None,
    page_size: client_cli.PageSizeOption = 100,
    locale: client_cli.LocaleOption = "fra",
    max_pages: Annotated[int, typer.Option("--max-pages", help="stop (and import nothing) past this")] = 1_000,
    extracted_on: Annotated[
        str | None, typer.Option(help="the day the registry's data stands for, YYYY-MM-DD (default: today)")
    ] = None,
    sender_id: client_cli.SenderOption = "sijill",
    timeout: client_cli.TimeoutOption = 30.0,
    jwks: client_cli.JwksOption = None,
) -> None:
    """Replace a registry's extract with the persons (DCI Members) another registry's DCI API
    finds for the query, and link them to register persons."""
    from sijill.linkage.dci_import import check_registry, fetch_members, import_members

    check_registry(registry)
    query_type, query = client_cli.query_options(idtype, value, expression, predicate_text)
    client_cli.check_paging(page_size, max_pages=max_pages)
    client_cli.check_locale(locale)
    day = date_option("extracted_on", extracted_on) if extracted_on is not None else None
    # Every page is fetched before the database transaction opens: no lock is held on the network.
    with (
        client_cli.dci_errors(),
        client_cli.dci_client(
            url, client_id, secret_env, sender_id=sender_id, timeout_s=timeout, jwks_url=jwks
        ) as client,
    ):
        fetched = fetch_members(client, query_type, query, page_size=page_size, locale=locale, max_pages=max_pages)
    with cli_transaction() as session:
        report = import_members(session=session, actor=cli_actor(), registry=registry, fetch=fetched, extracted_on=day)
    console.print(
        f"{report.registry} from {report.source}: {report.fetched:,} records fetched of {report.total_count:,} "
        f"({report.pages} page(s)), {report.imported:,} imported",
        markup=False,
    )
    for reason, count in report.skipped.items():
        console.print(f"  skipped {count:,}: {reason}", markup=False)
    if report.extract is not None:
        extract = report.extract
        console.print(
            f"{extract.replaced:,} previous records replaced; linked {extract.linked_by_idcs:,} by IDCS and "
            f"{extract.linked_by_cin:,} by CIN",
            markup=False,
        )
    else:
        console.print("nothing imported: the registry's previous extract is kept", markup=False)
