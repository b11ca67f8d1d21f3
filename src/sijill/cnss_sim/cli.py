"""`sijill cnss-sim`: the CNSS simulator as its own process."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sijill.cli_support import console
from sijill.errors import SijillError, Text


def cnss_sim_command(
    secret: Annotated[str, typer.Option(envvar="SIJILL_CNSS_SIM_SECRET", help="shared secret (16+ characters)")],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8100,
    callback_url: Annotated[str, typer.Option(help="Sijill's callback endpoint")] = (
        "http://127.0.0.1:8000/api/operators/cnss/callbacks"
    ),
    store: Annotated[Path, typer.Option(help="the simulator's own SQLite file")] = Path("cnss-sim.db"),
    decide_after: Annotated[float, typer.Option(min=0.0, help="seconds before a file is decided")] = 1.0,
    refuse_percent: Annotated[int, typer.Option(min=0, max=100, help="share refused as already covered")] = 10,
) -> None:
    """Accept batches at POST /batches, decide each file later, call Sijill back (until it answers)."""
    import uvicorn

    from sijill.cnss_sim.app import create_sim_app
    from sijill.cnss_sim.worker import SimConfig

    if len(secret) < 16:
        raise SijillError(
            code="invalid_value",
            field="secret",
            message=Text("السر قصير جدا", "Secret trop court", "secret shorter than 16 characters"),
            fix=Text("16 حرفا على الأقل", "au moins 16 caractères", "use 16 characters or more"),
        )
    config = SimConfig(
        callback_url=callback_url, secret=secret, decide_after_s=decide_after, refuse_percent=refuse_percent
    )
    console.print(f"CNSS simulator on http://{host}:{port}/ calling back {callback_url}")
    uvicorn.run(create_sim_app(store, config), host=host, port=port, log_level="warning")
