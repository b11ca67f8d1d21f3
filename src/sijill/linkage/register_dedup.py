"""Deduplication of the register itself: a run proposes pairs, reviewers decide them.

A run reads the active records of the actor's territory, trains and applies the linkage model
(`splink_run`), and stores each pair above the threshold with its evidence (each comparison's
weight) for review. A reviewer then says "same person" (the register's merge: one IDCS survives,
the other points to it, reversible by an administrator) or "two persons" (remembered: that pair is
never proposed again). A new run replaces the pairs still open from earlier ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope
from sijill.errors import NotFoundError, SijillError, Text, invalid
from sijill.linkage.features import linkage_features
from sijill.linkage.models import DedupRun, DifferentPersons, DuplicatePair
from sijill.linkage.register_records import REGISTER_COLUMNS, register_records
from sijill.linkage.splink_run import LinkageOptions, deduplicate
from sijill.population.life_events import merge_persons
from sijill.population.models import Person
from sijill.social_registry.models import HouseholdMember

DECISIONS = ("same", "different")


def _register_frame(session: Session, actor: Actor) -> pl.DataFrame:
    """The actor's active register records in the typed person schema."""
    member = aliased(HouseholdMember)
    columns = [getattr(Person, c) for c in REGISTER_COLUMNS if c != "household_id"]
    rows = session.execute(
        select(*columns, member.household_id)
        .outerjoin(member, and_(member.person_id == Person.id, member.valid_to.is_(None)))
        .where(Person.status == "active", in_scope(actor, Person.annex_code))
    ).all()
    return register_records(tuple(row) for row in rows)


def _known_different(session: Session, pairs: pl.DataFrame) -> pl.DataFrame:
    if pairs.is_empty():
        return pairs
    known = session.execute(
        select(DifferentPersons.person_a_id, DifferentPersons.person_b_id).where(
            DifferentPersons.person_a_id.in_(pairs["person_a_id"].unique().to_list())
        )
    ).all()
    frame = pl.DataFrame(known, schema={"person_a_id": pl.Int64, "person_b_id": pl.Int64}, orient="row")
    return pairs.join(frame, on=["person_a_id", "person_b_id"], how="anti")


def _pair_scope(actor: Actor) -> Any:
    """A pair is the actor's when both its records are in the actor's territory."""
    return and_(in_scope(actor, DuplicatePair.annex_a), in_scope(actor, DuplicatePair.annex_b))


def run_register_dedup(*, session: Session, actor: Actor, options: LinkageOptions | None = None) -> DedupRun:
    """Deduplicate the actor's territory of the register and queue the likely pairs for review."""
    actor.require(Permission.DEDUP_RUN)
    options = options or LinkageOptions()
    started = datetime.now(UTC)
    records = _register_frame(session, actor)
    result = deduplicate(linkage_features(records), replace(options, keep_from=options.threshold))
    assert result.clusters is not None
    annex = records.select(pl.col("record_id"), pl.col("annex_code"))
    weights = [c for c in result.pairs.columns if c.startswith("w_")]
    pairs = (
        result.pairs.with_columns(
            pl.min_horizontal(pl.col("record_id_l").cast(pl.Int64), pl.col("record_id_r").cast(pl.Int64)).alias(
                "person_a_id"
            ),
            pl.max_horizontal(pl.col("record_id_l").cast(pl.Int64), pl.col("record_id_r").cast(pl.Int64)).alias(
                "person_b_id"
            ),
        )
        .join(
            annex.select(
                pl.col("record_id").cast(pl.Int64).alias("person_a_id"), pl.col("annex_code").alias("annex_a")
            ),
            on="person_a_id",
        )
        .join(
            annex.select(
                pl.col("record_id").cast(pl.Int64).alias("person_b_id"), pl.col("annex_code").alias("annex_b")
            ),
            on="person_b_id",
        )
        .join(
            result.clusters.select(pl.col("record_id").cast(pl.Int64).alias("person_a_id"), "cluster_id"),
            on="person_a_id",
        )
    )
    proposed = _known_different(session, pairs)
    # Earlier runs' open pairs in this territory are replaced by this run's.
    session.execute(
        update(DuplicatePair).where(DuplicatePair.status == "open", _pair_scope(actor)).values(status="superseded")
    )
    run = DedupRun(
        scope_code=actor.scope_code,
        started_by=actor.username,
        started_at=started,
        finished_at=datetime.now(UTC),
        records=records.height,
        threshold=options.threshold,
        pairs_proposed=proposed.height,
        pairs_known_different=pairs.height - proposed.height,
        model=result.model,
        blocking={
            "rules": [{"rule": c.rule, "pairs": c.pairs, "largest_block": c.largest_block} for c in result.rule_counts],
            "seconds": {step: round(s, 2) for step, s in result.seconds.items()},
        },
    )
    session.add(run)
    session.flush()
    rows = [
        {
            "run_id": run.id,
            "person_a_id": row["person_a_id"],
            "person_b_id": row["person_b_id"],
            "annex_a": row["annex_a"],
            "annex_b": row["annex_b"],
            "cluster": str(row["cluster_id"]),
            "match_probability": row["match_probability"],
            "match_weight": row["match_weight"],
            "evidence": {w[2:]: round(row[w], 2) for w in weights if row[w] is not None},
            "status": "open",
        }
        for row in proposed.iter_rows(named=True)
    ]
    if rows:
        session.execute(insert(DuplicatePair), rows)
    audit.record(
        session,
        actor,
        "linkage.dedup_run",
        "dedup_run",
        str(run.id),
        actor.scope_code,
        {"records": run.records, "pairs": run.pairs_proposed, "known_different": run.pairs_known_different},
    )
    return run


@dataclass(frozen=True)
class PairView:
    pair: DuplicatePair
    person_a: Person
    person_b: Person


def _views(session: Session, pairs: list[DuplicatePair]) -> list[PairView]:
    ids = {p.person_a_id for p in pairs} | {p.person_b_id for p in pairs}
    persons = {p.id: p for p in session.execute(select(Person).where(Person.id.in_(ids))).scalars()}
    return [PairView(p, persons[p.person_a_id], persons[p.person_b_id]) for p in pairs]


def review_queue(*, session: Session, actor: Actor, limit: int = 50, offset: int = 0) -> list[PairView]:
    """Open pairs in the actor's territory, most likely first."""
    actor.require(Permission.DUPLICATE_REVIEW)
    pairs = list(
        session.execute(
            select(DuplicatePair)
            .where(DuplicatePair.status == "open", _pair_scope(actor))
            .order_by(DuplicatePair.match_probability.desc(), DuplicatePair.id)
            .limit(limit)
            .offset(offset)
        ).scalars()
    )
    audit.record(
        session, actor, "linkage.review_queue", "duplicate_pair", None, actor.scope_code, {"pairs": len(pairs)}
    )
    return _views(session, pairs)


def _scoped_pair(session: Session, actor: Actor, pair_id: int, lock: bool = False) -> DuplicatePair:
    statement = select(DuplicatePair).where(DuplicatePair.id == pair_id, _pair_scope(actor))
    pair = session.execute(statement.with_for_update() if lock else statement).scalar_one_or_none()
    if pair is None:
        raise NotFoundError("duplicate_pair", str(pair_id))
    return pair


def show_pair(*, session: Session, actor: Actor, pair_id: int) -> PairView:
    actor.require(Permission.DUPLICATE_REVIEW)
    pair = _scoped_pair(session, actor, pair_id)
    audit.record(session, actor, "linkage.pair_read", "duplicate_pair", str(pair_id), pair.annex_a)
    return _views(session, [pair])[0]


def _already_decided(pair: DuplicatePair) -> SijillError:
    return SijillError(
        code="duplicate_pair_decided",
        field="pair",
        value=pair.id,
        status=409,
        message=Text(
            f"هذا الزوج لم يعد في الانتظار (الحالة: {pair.status})",
            f"Cette paire n'est plus en attente (état : {pair.status})",
            f"pair no longer open (status {pair.status})",
        ),
        fix=Text("حدثوا قائمة الانتظار", "Rafraîchissez la file d'attente", "refresh the queue"),
    )


def decide_pair(
    *, session: Session, actor: Actor, pair_id: int, decision: str, reason: str, survivor_idcs: str | None = None
) -> PairView:
    """ "same": merge the two records (the older survives unless told); "different": remember it."""
    actor.require(Permission.DUPLICATE_REVIEW)
    if decision not in DECISIONS:
        raise invalid(
            "decision",
            decision,
            Text("same أو different", "same ou different", "same or different"),
            Text("اختاروا same أو different", "Choisissez same ou different", "choose same or different"),
        )
    if not reason.strip():
        raise invalid(
            "reason",
            reason,
            Text("سبب القرار إلزامي", "le motif est obligatoire", "a reason is required"),
            Text("اكتبوا ما تحققتم منه", "Écrivez ce que vous avez vérifié", "write what you checked"),
        )
    pair = _scoped_pair(session, actor, pair_id, lock=True)
    if pair.status != "open":
        raise _already_decided(pair)
    view = _views(session, [pair])[0]
    now = datetime.now(UTC)
    if decision == "same":
        idcs = (view.person_a.idcs, view.person_b.idcs)
        survivor = survivor_idcs or idcs[0]
        if survivor not in idcs:
            raise invalid(
                "survivor_idcs",
                survivor,
                Text("أحد رقمي الزوج", "l'un des deux IDCS de la paire", "one of the pair's two IDCS"),
                Text(
                    f"اختاروا {idcs[0]} أو {idcs[1]}",
                    f"Choisissez {idcs[0]} ou {idcs[1]}",
                    f"choose {idcs[0]} or {idcs[1]}",
                ),
            )
        merged = idcs[1] if survivor == idcs[0] else idcs[0]
        merge = merge_persons(session=session, actor=actor, survivor_idcs=survivor, merged_idcs=merged, reason=reason)
        pair.merge_id = merge.id
        # The merged record's other open pairs now concern a record that points elsewhere.
        session.execute(
            update(DuplicatePair)
            .where(
                DuplicatePair.status == "open",
                DuplicatePair.id != pair.id,
                or_(DuplicatePair.person_a_id == merge.merged_id, DuplicatePair.person_b_id == merge.merged_id),
            )
            .values(status="superseded")
        )
    else:
        session.merge(
            DifferentPersons(
                person_a_id=pair.person_a_id,
                person_b_id=pair.person_b_id,
                decided_by=actor.username,
                decided_at=now,
                reason=reason,
                pair_id=pair.id,
            )
        )
    pair.status = decision
    pair.decided_by, pair.decided_at, pair.reason = actor.username, now, reason
    session.flush()
    audit.record(
        session, actor, "linkage.pair_decide", "duplicate_pair", str(pair.id), pair.annex_a, {"decision": decision}
    )
    return _views(session, [pair])[0]


def birth_text(person: Person) -> str:
    """The birth date as the register knows it: the day, or the year with its precision."""
    if person.birth_date is not None and person.birth_date_precision in ("day", "presumed"):
        return date.isoformat(person.birth_date) + (" (presumed)" if person.birth_date_precision == "presumed" else "")
    return str(person.birth_year)
