"""Territorial scope as a predicate inside queries, so no context can forget it.

Sijill territory codes are hierarchical: a child's code is its parent's code followed by a
dot (region ``06``, province ``06.01``, commune ``06.01.003``, annex ``06.01.003.02``). Any
column holding a territory code can therefore be filtered with an index-friendly prefix test.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, true

from sijill.access.actor import Actor


def in_scope(actor: Actor, territory_column: Any) -> ColumnElement[bool]:
    """Predicate: the row's territory code lies inside the actor's scope."""
    return within(actor.scope_code, territory_column)


def within(code: str | None, territory_column: Any) -> ColumnElement[bool]:
    """Predicate: the row's territory code is ``code`` or lies under it (None: anywhere)."""
    if code is None:
        return true()
    return or_(territory_column == code, territory_column.like(code + ".%", escape="\\"))


def code_in_scope(actor: Actor, territory_code: str | None) -> bool:
    """Same rule for a value already in hand (e.g. validating a write's target)."""
    if actor.scope_code is None:
        return True
    if territory_code is None:
        return False
    return territory_code == actor.scope_code or territory_code.startswith(actor.scope_code + ".")
