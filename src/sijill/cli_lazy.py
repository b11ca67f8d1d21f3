"""Commands imported when they are run, not when `sijill` starts.

Every context's commands pull in what they need: scipy for the quality detectors, Splink for
linkage, FastAPI for the DCI worker. Importing them all took 1.6 s before any command began, which
a bulk import or a cron job paid on every run. The root group lists the command names up front and
imports a command's module only when that command is asked for (or when ``--help`` lists them).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
import typer.core
import typer.main


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """``module:attribute``: a Typer app (a group of commands), a command function, or a function
    that builds and returns a Typer app."""

    target: str
    builds_app: bool = False

    def load(self, name: str) -> Any:
        """The command as ``add_typer`` or ``command`` would have built it under the root."""
        module_name, attribute = self.target.split(":")
        found: Any = getattr(importlib.import_module(module_name), attribute)
        if self.builds_app:
            found = found()
        holder = typer.Typer()
        # A callback keeps the holder a group even with one command, so that an app of one
        # command stays a group (``sijill audit verify``), as under ``add_typer``.
        holder.callback()(lambda: None)
        if isinstance(found, typer.Typer):
            holder.add_typer(found, name=name)
        else:
            holder.command(name)(found)
        group: Any = typer.main.get_command(holder)
        return group.commands[name]


class LazyGroup(typer.core.TyperGroup):
    """A root group whose ``lazy`` commands are imported on first use."""

    lazy: dict[str, LazyCommand] = {}  # noqa: RUF012 (set per subclass by ``lazy_group``)

    # The context is Typer's click context (vendored by recent Typer releases, so not named here).
    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in self.lazy if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.lazy[cmd_name].load(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)


def lazy_group(commands: dict[str, LazyCommand]) -> type[LazyGroup]:
    """The group class for ``typer.Typer(cls=...)``, with these lazy commands."""
    return type("SijillCommands", (LazyGroup,), {"lazy": dict(commands)})
