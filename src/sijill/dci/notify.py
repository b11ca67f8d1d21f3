"""The notification sweep: for each active subscription, the registry changes of its window that
match its event type, its filter and its partner's territories, found by one SQL statement, sent
as `notify` messages of at most 100 events through the outbox.

A subscription's window is (seen_until, now]: what changed after the last sweep looked, up to
this one (docs/dci-subscriptions.md). What marks a change, table by table:
- REGISTER: `household.created_at`.
- UPDATE: `household.updated_at` (only a new declaration sets it) or, for a change of a current
  member's person (a correction, a death, a merge), `person.updated_at`: those never touch the
  household row.
- INDEX_CHANGE: a score (`index_score.calculated_at`) or a correction (`score_correction.corrected_at`)
  written in the window, and the household's current index at the window's end differs from the
  one at its start. A correction does not touch `household.updated_at`, nor does a national
  rescoring.
- NewHouseHoldMember: a later declaration (`declaration.recorded_at`) listing a person its previous
  declaration did not, who is still a current member. `household_member` has no timestamp: its
  `valid_from` is the declared date, which may lie weeks before the declaration is recorded.
The filter and the territories are the search's own SQL (search_filters.py), so a subscription
matches what the same search would find at the sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, text, union
from sqlalchemy.orm import Session, aliased

from sijill.access import audit
from sijill.db import begin_sqlite_write, is_postgres
from sijill.dci import answers
from sijill.dci.auth import caller_for
from sijill.dci.criteria import Filter, IdLookup, Partner
from sijill.dci.exchanges import REG_TYPE
from sijill.dci.models import DciPartner, DciSubscription
from sijill.dci.outbox import enqueue
from sijill.dci.partners import callback_allowed
from sijill.dci.search import build_records, matching_keys
from sijill.dci.subscriptions import (
    INDEX_CHANGE,
    NEW_MEMBER,
    REGISTER,
    STANDARD_EVENT_TYPES,
    SUBSCRIBED,
    UPDATE,
    SubscriptionRejectedError,
    parse_filter,
)
from sijill.population.models import Person
from sijill.social_registry.models import (
    Declaration,
    DeclarationMember,
    Household,
    HouseholdMember,
    IndexScore,
    ScoreCorrection,
)
from sijill.timeutil import as_utc

log = logging.getLogger(__name__)
# Events per notify message: a partner's receiver takes a bounded body, and one failed delivery
# holds back no more than this many.
CHUNK_EVENTS = 100
SOURCE = "dci-notify"
SCOPE = "registry.subscribe"
# The timestamps are the application servers' clocks; the open transactions' starts are the
# database's. A window ends this much earlier than either, for the clocks' disagreement.
CLOCK_MARGIN = timedelta(seconds=5)
# A window held back longer than this by an open transaction is worth an operator's look.
HELD_TOO_LONG = timedelta(minutes=15)
_OLDEST_OPEN = text(
    "SELECT min(xact_start) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
    " AND backend_type = 'client backend'"
)


@dataclass(frozen=True, slots=True)
class Sweep:
    lo: datetime
    hi: datetime
    day: date


def _in(column: Any, sweep: Sweep) -> ColumnElement[bool]:
    return and_(column > sweep.lo, column <= sweep.hi)


def _existed_before(sweep: Sweep) -> ColumnElement[bool]:
    # A household registered in the window is a REGISTER event, not also an update of itself.
    return Household.created_at <= sweep.lo


# --- the households that had an event: uncorrelated id sets, each read by a time-range index ---


def _registered(sweep: Sweep) -> Select[int]:
    household = aliased(Household)
    return select(household.id).where(_in(household.created_at, sweep))


def _updated(sweep: Sweep) -> Any:
    household = aliased(Household)
    member = aliased(HouseholdMember)
    person = aliased(Person)
    return union(
        select(household.id).where(_in(household.updated_at, sweep)),
        select(member.household_id)
        .join(person, person.id == member.person_id)
        .where(member.valid_to.is_(None), _in(person.updated_at, sweep)),
    )


def _rescored(sweep: Sweep) -> Any:
    declaration = aliased(Declaration)
    score = aliased(IndexScore)
    correction = aliased(ScoreCorrection)
    return union(
        select(declaration.household_id)
        .join(score, score.declaration_id == declaration.id)
        .where(_in(score.calculated_at, sweep)),
        select(declaration.household_id)
        .join(score, score.declaration_id == declaration.id)
        .join(correction, correction.index_score_id == score.id)
        .where(_in(correction.corrected_at, sweep)),
    )


def _index_at(moment: datetime) -> Any:
    """The household's current index as it stood at `moment` (search_filters.effective_score,
    counting only the scores and corrections written by then)."""
    declaration = aliased(Declaration)
    score = aliased(IndexScore)
    correction = aliased(ScoreCorrection)
    corrected = (
        select(correction.corrected_score)
        .where(correction.index_score_id == score.id, correction.corrected_at <= moment)
        .order_by(correction.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(func.coalesce(corrected, score.score))
        .select_from(score)
        .join(declaration, declaration.id == score.declaration_id)
        .where(declaration.household_id == Household.id, score.calculated_at <= moment)
        .order_by(declaration.number.desc(), score.id.desc())
        .limit(1)
        .correlate(Household)
        .scalar_subquery()
    )


def _newcomers(sweep: Sweep) -> Select[int]:
    """Memberships still current whose person a declaration recorded in the window lists and
    the household's previous declaration did not."""
    declaration = aliased(Declaration)
    listed = aliased(DeclarationMember)
    membership = aliased(HouseholdMember)
    previous = aliased(Declaration)
    previously = aliased(DeclarationMember)
    return (
        select(membership.id)
        .select_from(declaration)
        .join(listed, listed.declaration_id == declaration.id)
        .join(
            membership,
            and_(
                membership.household_id == declaration.household_id,
                membership.person_id == listed.person_id,
                membership.valid_to.is_(None),
            ),
        )
        .where(
            _in(declaration.recorded_at, sweep),
            declaration.number > 1,
            ~exists(
                select(previously.person_id)
                .join(previous, previous.id == previously.declaration_id)
                .where(
                    previous.household_id == declaration.household_id,
                    previous.number == declaration.number - 1,
                    previously.person_id == listed.person_id,
                )
            ),
        )
    )


def _event(kind: str, sweep: Sweep, member: bool) -> ColumnElement[bool]:
    if kind == REGISTER:
        return Household.id.in_(_registered(sweep))
    if kind == UPDATE:
        return and_(_existed_before(sweep), Household.id.in_(_updated(sweep)))
    if kind == INDEX_CHANGE:
        return and_(
            _existed_before(sweep),
            Household.id.in_(_rescored(sweep)),
            _index_at(sweep.hi).is_distinct_from(_index_at(sweep.lo)),
        )
    assert kind == NEW_MEMBER, kind
    newcomers = _newcomers(sweep)
    if member:
        return HouseholdMember.id.in_(newcomers)
    joined = aliased(HouseholdMember)
    return Household.id.in_(select(joined.household_id).where(joined.id.in_(newcomers)))


def _matching(subscription: DciSubscription, query: IdLookup | Filter, partner: Partner, sweep: Sweep) -> Any:
    """The keys of every event of the window that the same search would find."""
    member = subscription.notify_record_type == "Member"
    order = (Household.id, HouseholdMember.id) if member else (Household.id,)
    return (
        matching_keys(query, partner, sweep.day, member=member)
        .where(_event(subscription.reg_event_type, sweep, member))
        .order_by(*order)
    )


# --- the messages -------------------------------------------------------------------------------


def _moment(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _records(session: Session, subscription: DciSubscription, keys: Sequence[int], partner: Partner) -> list[Any]:
    """The chunk's records in the partner's fields, by the search's own set-based readers."""
    member = subscription.notify_record_type == "Member"
    return build_records(session, keys, member=member, fields=partner.fields, locale=subscription.locale)


def _notify_body(
    subscription: DciSubscription, partner: Partner, records: list[Any], sweep: Sweep, txn: str
) -> dict[str, Any]:
    kind = subscription.reg_event_type
    events = []
    for record in records:
        data: dict[str, Any] = {"version": answers.VERSION, "reg_type": REG_TYPE}
        # The standard's enum names only two events; Sijill's own kind rides beside it.
        if kind in STANDARD_EVENT_TYPES:
            data["reg_event_type"] = kind
        data |= {
            "reg_record_type": subscription.notify_record_type,
            "reg_records": record,
            "sijill_event_type": kind,
            "sijill_subscription_code": subscription.code,
        }
        events.append(
            {
                "reference_id": answers.new_id(),
                "timestamp": _moment(sweep.hi),
                "data": data,
                "locale": subscription.locale,
            }
        )
    return {
        "header": answers.callback_header(
            "notify", "succ", receiver_id=partner.client_id, total_count=len(events), completed_count=len(events)
        ),
        "message": {"transaction_id": txn, "notify_event": events},
    }


def _due(session: Session, now: datetime) -> list[tuple[DciSubscription, DciPartner]]:
    statement = (
        select(DciSubscription, DciPartner)
        .join(DciPartner, DciPartner.id == DciSubscription.partner_id)
        .where(
            DciSubscription.status == SUBSCRIBED,
            DciPartner.is_active.is_(True),
            DciSubscription.seen_until < now,
            or_(DciSubscription.starts_at.is_(None), DciSubscription.starts_at <= now),
            or_(DciSubscription.ends_at.is_(None), DciSubscription.seen_until < DciSubscription.ends_at),
        )
        .order_by(DciSubscription.id)
    )
    if is_postgres(session):
        # Two sweeps at once split the subscriptions rather than notify the same window twice.
        statement = statement.with_for_update(skip_locked=True, of=DciSubscription)
    return [(row[0], row[1]) for row in session.execute(statement).all()]


def _sweep_one(session: Session, subscription: DciSubscription, row: DciPartner, now: datetime) -> int:
    if SCOPE not in row.scopes or not callback_allowed(row, subscription.notify_uri):
        # Held, not skipped: the window stays open until the partner may receive it again.
        log.info("DCI subscription %s held: its partner may not receive notifications there now", subscription.code)
        return 0
    try:
        query = parse_filter(subscription.filter_type, subscription.filter)
    except SubscriptionRejectedError as refusal:
        log.warning("DCI subscription %s held: its filter is refused now (%s)", subscription.code, refusal.reason_code)
        return 0
    lo = as_utc(subscription.seen_until)
    hi = min(now, as_utc(subscription.ends_at)) if subscription.ends_at is not None else now
    sweep = Sweep(lo=lo, hi=hi, day=hi.date())
    who = caller_for(row, frozenset(row.scopes), SOURCE)
    rows = session.execute(_matching(subscription, query, who.partner, sweep)).all()
    keys = [r[0] for r in rows]
    txn = answers.new_id()
    messages = 0
    sent = 0
    for start in range(0, len(keys), CHUNK_EVENTS):
        records = _records(session, subscription, keys[start : start + CHUNK_EVENTS], who.partner)
        if not records:
            continue
        body = _notify_body(subscription, who.partner, records, sweep, txn)
        enqueue(
            session, partner_id=row.id, exchange_id=subscription.exchange_id, url=subscription.notify_uri, body=body
        )
        messages += 1
        sent += len(records)
    subscription.seen_until = hi
    if messages:
        # Counts only: what was sent is in the outbox until delivered, never in the log.
        audit.record(
            session,
            who.actor,
            "dci.notify",
            "dci_subscription",
            subscription.code,
            who.actor.scope_code,
            {
                "transaction_id": txn,
                "reg_event_type": subscription.reg_event_type,
                "notify_record_type": subscription.notify_record_type,
                "events": sent,
                "messages": messages,
                "from": _moment(lo),
                "to": _moment(hi),
            },
        )
    return messages


def window_end(session: Session, now: datetime) -> datetime:
    """Where this sweep's windows end: before `now`, and on PostgreSQL before the start of the
    oldest transaction still open. A change is stamped when it is written but seen only once
    committed: a registration, or a national rescoring that runs for minutes, still open at the
    sweep would otherwise fall behind a window already closed and never be notified. SQLite has
    one writer at a time: the sweep takes the write lock first, so none is open while it reads."""
    end = as_utc(now)
    if is_postgres(session):
        oldest = session.execute(_OLDEST_OPEN).scalar_one_or_none()
        if oldest is not None and as_utc(oldest) < end:
            if end - as_utc(oldest) > HELD_TOO_LONG:
                log.warning("DCI notifications held back %s by a transaction still open", end - as_utc(oldest))
            end = as_utc(oldest)
    return end - CLOCK_MARGIN


def has_active_subscriptions(session: Session) -> bool:
    return (
        session.execute(select(DciSubscription.id).where(DciSubscription.status == SUBSCRIBED).limit(1)).first()
        is not None
    )


def queue_notifications(session: Session, now: datetime) -> int:
    """Owe every due subscription the notify messages of its window (up to `window_end`);
    returns how many messages were enqueued. Run in the caller's transaction: the messages and
    the windows' ends commit together, so a crash neither loses nor repeats a window."""
    if not is_postgres(session):
        begin_sqlite_write(session)
    moment = window_end(session, now)
    if is_postgres(session):
        # As for a search: the plans cross the JIT threshold, and compiling costs more than running.
        session.connection().exec_driver_sql("SET LOCAL jit = off")
    total = 0
    for subscription, row in _due(session, moment):
        total += _sweep_one(session, subscription, row, moment)
    session.flush()
    return total
