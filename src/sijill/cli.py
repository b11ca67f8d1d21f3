"""`sijill`: the command line. Errors end with a bilingual message and exit code 2."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from sijill.access.cli import audit_app, users_app
from sijill.cli_support import console, engine_from_settings, err_console
from sijill.cnss_sim.cli import cnss_sim_command
from sijill.config import SettingsError, get_settings
from sijill.db import DatabaseNotMigratedError
from sijill.dci.cli import dci_app
from sijill.dci.client_cli import register_client_commands
from sijill.dci.worker_cli import register_worker_commands
from sijill.enrollment.cli import applications_app
from sijill.errors import SijillError
from sijill.linkage.cli import registries_app
from sijill.linkage.dedup_cli import dedup_command, link_command, linkage_app
from sijill.linkage.register_cli import duplicates_app
from sijill.population.cli import persons_app
from sijill.programmes.cli import eligibility_app, programmes_app, simulate_command
from sijill.quality.cli import quality_app
from sijill.scoring.cli import model_app
from sijill.social_registry.cli import households_app, score_command
from sijill.territory.cli import territory_app

app = typer.Typer(
    help="Sijill — سجل — social-protection targeting platform",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema / قاعدة البيانات / base de données", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(territory_app, name="territory")
app.add_typer(persons_app, name="persons")
app.add_typer(model_app, name="model")
app.add_typer(households_app, name="households")
app.add_typer(registries_app, name="registries")
app.add_typer(programmes_app, name="programmes")
app.add_typer(eligibility_app, name="eligibility")
app.add_typer(applications_app, name="applications")
app.command("simulate")(simulate_command)
app.command("score")(score_command)
app.command("cnss-sim")(cnss_sim_command)
app.command("dedup")(dedup_command)
app.command("link")(link_command)
app.add_typer(linkage_app, name="linkage")
app.add_typer(duplicates_app, name="duplicates")
app.add_typer(quality_app, name="quality")
register_client_commands(dci_app)
register_worker_commands(dci_app)
app.add_typer(dci_app, name="dci")


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
        # Without standalone mode click returns an Exit's code instead of exiting.
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
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            err_console.print(
                f"قيمة غير صالحة في الحقل {field} / valeur invalide pour {field}: {err['msg']}", markup=False
            )
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted / أُلغي / annulé")
        sys.exit(1)
    except Exception as exc:  # click usage errors have their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(2)
        raise


if __name__ == "__main__":
    main()
