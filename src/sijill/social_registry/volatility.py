"""How much households' indexes move: between two model versions, or between two declaration rounds.

Aggregates only (counts and means), over the households in the actor's territory.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope
from sijill.scoring.evaluate import Volatility, volatility
from sijill.social_registry.models import Declaration, Household, IndexScore
from sijill.social_registry.scores import thresholds


def _pairs(session: Session, actor: Actor, query: Any, what: dict[str, str]) -> Volatility:
    """Volatility of the (before, after) score pairs the query returns, traced in the audit log."""
    rows = session.execute(query).all()
    before = pl.Series([r[0] for r in rows], dtype=pl.Float64)
    after = pl.Series([r[1] for r in rows], dtype=pl.Float64)
    result = volatility(before, after, list(thresholds()))
    details = {**what, "households": result.households}
    audit.record(session, actor, "score.volatility", "index_score", None, actor.scope_code, details)
    return result


def between_models(session: Session, actor: Actor, before: str, after: str) -> Volatility:
    """Same declarations, scored by two model versions."""
    actor.require(Permission.REPORT_READ)
    a, b = aliased(IndexScore), aliased(IndexScore)
    query = (
        select(a.score, b.score)
        .join(b, and_(b.declaration_id == a.declaration_id, b.model == after))
        .join(Declaration, Declaration.id == a.declaration_id)
        .join(Household, Household.id == Declaration.household_id)
        .where(a.model == before, in_scope(actor, Household.annex_code))
    )
    return _pairs(session, actor, query, {"before": before, "after": after})


def between_rounds(session: Session, actor: Actor, model: str) -> Volatility:
    """Each household's current declaration against its previous one, both scored by `model`."""
    actor.require(Permission.REPORT_READ)
    current, previous = aliased(Declaration), aliased(Declaration)
    now, then = aliased(IndexScore), aliased(IndexScore)
    latest = (
        select(Declaration.household_id, func.max(Declaration.number).label("number"))
        .group_by(Declaration.household_id)
        .subquery()
    )
    query = (
        select(then.score, now.score)
        .select_from(latest)
        .join(current, and_(current.household_id == latest.c.household_id, current.number == latest.c.number))
        .join(previous, and_(previous.household_id == current.household_id, previous.number == current.number - 1))
        .join(now, and_(now.declaration_id == current.id, now.model == model))
        .join(then, and_(then.declaration_id == previous.id, then.model == model))
        .join(Household, Household.id == current.household_id)
        .where(in_scope(actor, Household.annex_code))
    )
    return _pairs(session, actor, query, {"rounds_of": model})
