"""`sijill`: the command line. Errors end with a bilingual message and exit code 2."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from sijill.cli_lazy import LazyCommand, lazy_group
from sijill.cli_support import console, engine_from_settings, err_console
from sijill.config import SettingsError, get_settings
from sijill.db import DatabaseNotMigratedError
from sijill.errors import SijillError

# Each context's commands, imported only when run (sijill.cli_lazy), in the order --help lists them.
COMMANDS = {
    "users": LazyCommand("sijill.access.cli:users_app"),
    "audit": LazyCommand("sijill.access.cli:audit_app"),
    "territory": LazyCommand("sijill.territory.cli:territory_app"),
    "persons": LazyCommand("sijill.population.cli:persons_app"),
    "model": LazyCommand("sijill.scoring.cli:model_app"),
    "households": LazyCommand("sijill.social_registry.cli:households_app"),
    "registries": LazyCommand("sijill.linkage.cli:registries_app"),
    "programmes": LazyCommand("sijill.programmes.cli:programmes_app"),
    "eligibility": LazyCommand("sijill.programmes.cli:eligibility_app"),
    "applications": LazyCommand("sijill.enrollment.cli:applications_app"),
    "simulate": LazyCommand("sijill.programmes.cli:simulate_command"),
    "score": LazyCommand("sijill.social_registry.cli:score_command"),
    "cnss-sim": LazyCommand("sijill.cnss_sim.cli:cnss_sim_command"),
    "dedup": LazyCommand("sijill.linkage.dedup_cli:dedup_command"),
    "link": LazyCommand("sijill.linkage.dedup_cli:link_command"),
    "linkage": LazyCommand("sijill.linkage.dedup_cli:linkage_app"),
    "duplicates": LazyCommand("sijill.linkage.register_cli:duplicates_app"),
    "quality": LazyCommand("sijill.quality.cli:quality_app"),
    "dci": LazyCommand("sijill.cli:dci_commands", builds_app=True),
}

app = typer.Typer(
    help="Sijill — سجل — social-protection targeting platform",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=lazy_group(COMMANDS),
)
db_app = typer.Typer(help="Database schema / قاعدة البيانات / base de données", no_args_is_help=True)
app.add_typer(db_app, name="db")


def dci_commands() -> typer.Typer:
    """The DCI partner commands with the client's and the worker's (``sijill dci ...``)."""
    from sijill.dci.cli import dci_app
    from sijill.dci.client_cli import register_client_commands
    from sijill.dci.worker_cli import register_worker_commands

    register_client_commands(dci_app)
    register_worker_commands(dci_app)
    return dci_app


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration, then load the reference territory."""
    from sijill.cli_support import cli_actor, cli_transaction
    from sijill.migrations_runner import current_revision, upgrade
    from sijill.territory.service import load_reference

    engine = engine_from_settings(check_migrated=False)
    try:
        upgrade(engine)
        console.print(f"database at revision {current_revision(engine)} ({engine.dialect.name})")
    finally:
        engine.dispose()
    with cli_transaction() as session:
        counts = load_reference(session=session, actor=cli_actor())
    if counts["created_versions"]:
        console.print(f"reference territory loaded: {counts}")


@db_app.command("current")
def db_current() -> None:
    from sijill.migrations_runner import current_revision, head_revision

    engine = engine_from_settings(check_migrated=False)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    state = "up to date" if current == head_revision() else f"behind (head is {head_revision()})"
    console.print(f"{current or 'empty database'}: {state}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="default SIJILL_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default SIJILL_PORT")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="server processes (default 1)")] = 1,
) -> None:
    """Serve the API (/api, docs at /api/docs) and the pages (/)."""
    import uvicorn

    from sijill.api import log_redaction
    from sijill.api.app import create_app

    settings = get_settings()
    engine = engine_from_settings()
    if settings.uses_default_secret:
        err_console.print("warning: SIJILL_SECRET_KEY is the development default; set it in production")
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(f"Sijill on http://{bind_host}:{bind_port}/  (API docs: http://{bind_host}:{bind_port}/api/docs)")
    if workers > 1:
        # Several processes share the load (the API is CPU-bound Python); each builds its own app.
        engine.dispose()
        uvicorn.run(
            "sijill.api.app:app_from_environment",
            factory=True,
            host=bind_host,
            port=bind_port,
            workers=workers,
            log_level="info",
        )
        return
    config = uvicorn.Config(create_app(settings, engine), host=bind_host, port=bind_port, log_level="info")
    server = uvicorn.Server(config)
    # uvicorn sets its loggers up when the config is built; the filter goes on after that.
    log_redaction.install()
    server.run()


@app.command()
def synth(
    persons: Annotated[int, typer.Option(help="persons in households (1,000 to 37,000,000)")],
    out: Annotated[Path, typer.Option(help="output folder for Parquet files")],
    seed: Annotated[int, typer.Option(help="same seed, same population")] = 1,
    province: Annotated[list[str] | None, typer.Option(help="province code(s); default whole country")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
) -> None:
    """Generate a synthetic population with its ground truth."""
    from sijill.synth.runner import run_synth

    summary = run_synth(persons=persons, seed=seed, out=out, provinces=province, quiet=quiet)
    console.print(
        f"{summary.persons:,} persons, {summary.households:,} households, {summary.records:,} register records "
        f"in {summary.seconds:.1f} s → {out}"
    )


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="folder for the generated files")] = Path("data/demo"),
    persons: Annotated[int, typer.Option(help="persons in the demo province")] = 50_000,
    seed: Annotated[int, typer.Option()] = 2026,
    province: Annotated[str, typer.Option(help="province code")] = "03.02",
    skip_if_loaded: Annotated[bool, typer.Option(help="do nothing when a demo is already loaded")] = False,
) -> None:
    """Generate one province, load it, create one demo account per role."""
    from sijill.demo import build_demo

    build_demo(out=out, persons=persons, seed=seed, province=province, skip_if_loaded=skip_if_loaded)


@app.command()
def bench(
    name: Annotated[str, typer.Argument(help="benchmark name, or 'all'")],
    size: Annotated[int | None, typer.Option(help="problem size (persons); default per benchmark")] = None,
    json_lines: Annotated[bool, typer.Option("--json", help="one JSON object per line and figure")] = False,
) -> None:
    """Run a benchmark and print its figures with the command that reproduces them."""
    from sijill.benchmarks import run_benchmarks

    run_benchmarks(name, size=size, as_json=json_lines)


def main() -> None:
    """Entry point: turn every expected failure into a clear message and exit code 2."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        # Without standalone mode Typer returns an Exit's code instead of exiting, and raises its
        # usage errors here, where they get their Arabic and French lines.
        result = app(standalone_mode=False)
        if isinstance(result, int) and result:
            sys.exit(result)
    except SettingsError as exc:
        err_console.print(f"invalid setting: {exc}\nإعداد غير صالح / paramètre invalide", markup=False)
        sys.exit(2)
    except DatabaseNotMigratedError as exc:
        err_console.print(
            f"{exc}\nقاعدة البيانات غير محينة: نفذوا sijill db upgrade\n"
            "Base de données non migrée : lancez sijill db upgrade\nrun: sijill db upgrade",
            markup=False,
        )
        sys.exit(2)
    except SijillError as exc:
        err_console.print(exc.bilingual(), markup=False)
        for detail in exc.details[:50]:
            err_console.print(f"  {detail}", markup=False)
        sys.exit(2)
    except typer.Abort:
        err_console.print("aborted / أُلغي / annulé")
        sys.exit(1)
    except typer.TyperException as exc:
        # Typer's own refusals (unknown command, bad or missing option), whose click it vendors:
        # its English message with the usage line, then what to do in Arabic and French.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err_console.print(exc.format_message(), markup=False)
        err_console.print(
            "أمر أو خيار غير صالح: انظروا sijill --help\nCommande ou option invalide : voir sijill --help",
            markup=False,
        )
        sys.exit(exc.exit_code)
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            err_console.print(
                f"قيمة غير صالحة في الحقل {field} / valeur invalide pour {field}: {err['msg']}", markup=False
            )
        sys.exit(2)


if __name__ == "__main__":
    main()
