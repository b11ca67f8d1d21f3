"""The notification sweep, on both backends, with households registered, updated and rescored
through the social registry's own services: what each event notifies, what it does not (another
territory, another filter, another event, no change), the partner's fields, the chunks; every
notify message validated against the standard."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.db import transaction
from sijill.dci.mapping import FIELD_PRESETS
from sijill.dci.models import DciDelivery, DciPartner, DciSubscription
from sijill.dci.notify import CHUNK_EVENTS, CLOCK_MARGIN, queue_notifications, window_end
from sijill.dci.partners import deactivate_partner
from sijill.population.life_events import record_death
from sijill.population.models import Person
from sijill.scoring.model import model_in_force, shipped_models
from sijill.social_registry import service
from sijill.social_registry.batch_scoring import score_all
from sijill.social_registry.models import Household, household_id_of
from sijill.social_registry.schemas import CorrectionIn, DeclarationUpdateIn, HouseholdIn
from tests.conftest import SYSTEM
from tests.dci.openapi_support import check_callback
from tests.dci.test_subscriptions import (
    CALLBACKS,
    PROVINCE,
    audit_lines,
    predicate,
    register,
    stamp,
    subscribed_code,
    unsubscribe,
)
from tests.factories import ANNEX_A, ANNEX_B, ANNEX_OTHER_PROVINCE, seed_territory
from tests.social_registry.support import add_person, form, member

TODAY = date(2026, 6, 1)
PHONE = "+212612345678"
_idcs = count(4_100_000_000)
EVERYONE = predicate("group_size", "ge", 1)


@pytest.fixture
def registry(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(session_factory) as session:
        seed_territory(session, SYSTEM)
    # A health insurer of one province (no phones, no street address), and a national partner
    # that receives every field.
    register(session_factory, "cnss-amo", [PROVINCE])
    register(session_factory, "national", None, FIELD_PRESETS["all"])
    return session_factory


def declare(
    factory: sessionmaker[Session], annex: str = ANNEX_A, size: int = 1, sexes: str = "F"
) -> tuple[str, list[str]]:
    """A household registered at the counter: its number and its members' IDCS."""
    with transaction(factory) as session:
        numbers = [str(next(_idcs)) for _ in range(size)]
        for i, idcs in enumerate(numbers):
            add_person(session, idcs, annex, sex=sexes[i % len(sexes)]).phone = PHONE
        members = [member(numbers[0], "head"), *(member(n, "sibling") for n in numbers[1:])]
        household = service.declare_household(
            session=session, actor=SYSTEM, data=HouseholdIn(**form(annex, members)), today=TODAY
        )
        return household.number, numbers


def update(factory: sessionmaker[Session], number: str, annex: str, keep: list[str], add: int = 0) -> list[str]:
    """A later declaration of the household with `keep` and `add` newcomers; the newcomers' IDCS."""
    with transaction(factory) as session:
        household = session.get(Household, household_id_of(number))
        assert household is not None
        added = [str(next(_idcs)) for _ in range(add)]
        for idcs in added:
            add_person(session, idcs, annex)
        members = [member(keep[0], "head"), *(member(n, "sibling") for n in keep[1:] + added)]
        data = {**form(annex, members), "declared_on": "2026-04-01", "version": household.version}
        data.pop("annex_code")
        service.update_declaration(
            session=session, actor=SYSTEM, number=number, data=DeclarationUpdateIn(**data), today=TODAY
        )
        return added


def correct(factory: sessionmaker[Session], number: str, score: float) -> None:
    with transaction(factory) as session:
        service.correct_score(
            session=session, actor=SYSTEM, number=number, data=CorrectionIn(score=score, reason="enquête sur place")
        )


def sweep(factory: sessionmaker[Session], now: datetime | None = None) -> list[DciDelivery]:
    """One sweep; the notify messages it owes, each checked against the standard."""
    with transaction(factory) as session:
        last = session.execute(select(func.max(DciDelivery.id))).scalar_one() or 0
        # A window ends CLOCK_MARGIN before the sweep's time: the test's sweep runs that much later.
        enqueued = queue_notifications(session, (now or datetime.now(UTC)) + CLOCK_MARGIN)
        owed = list(
            session.execute(select(DciDelivery).where(DciDelivery.id > last).order_by(DciDelivery.id)).scalars()
        )
    assert enqueued == len(owed)
    for delivery in owed:
        assert delivery.body is not None and delivery.action == "notify" and delivery.state == "pending"
        check_callback("/dci/registry/notify", delivery.body)
    return owed


def sent(factory: sessionmaker[Session], now: datetime | None = None) -> list[dict[str, Any]]:
    return [d.body for d in sweep(factory, now) if d.body is not None]


def to(factory: sessionmaker[Session], owed: list[DciDelivery], client_id: str) -> list[dict[str, Any]]:
    with factory() as session:
        partner_id = session.execute(select(DciPartner.id).where(DciPartner.client_id == client_id)).scalar_one()
    return [d.body for d in owed if d.partner_id == partner_id and d.body is not None]


def events(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event for body in bodies for event in body["message"]["notify_event"]]


def households(bodies: list[dict[str, Any]]) -> list[str]:
    return [e["data"]["reg_records"]["group_identifier"][0]["identifier_value"] for e in events(bodies)]


def persons(bodies: list[dict[str, Any]]) -> list[str]:
    return [e["data"]["reg_records"]["member_identifier"][0]["identifier_value"] for e in events(bodies)]


def kinds(bodies: list[dict[str, Any]]) -> list[str]:
    return [e["data"]["sijill_event_type"] for e in events(bodies)]


# --- REGISTER -----------------------------------------------------------------------------------


def test_a_household_registered_after_subscribing_is_notified_once(registry: sessionmaker[Session]) -> None:
    before, _ = declare(registry)
    code = subscribed_code(registry, "cnss-amo", query=EVERYONE)
    national = subscribed_code(registry, "national", query=EVERYONE)
    mine, residents = declare(registry, ANNEX_A, size=2)
    elsewhere, others = declare(registry, ANNEX_OTHER_PROVINCE)
    owed = sweep(registry)
    [body] = to(registry, owed, "cnss-amo")
    assert body["header"]["action"] == "notify" and body["header"]["total_count"] == 1
    [event] = events([body])
    data = event["data"]
    assert data["reg_event_type"] == "REGISTER" and data["sijill_event_type"] == "REGISTER"
    assert data["sijill_subscription_code"] == code and data["reg_record_type"] == "Group"
    record = data["reg_records"]
    assert isinstance(record, dict) and record["@type"] == "Group"
    assert households([body]) == [mine]
    assert [m["member_identifier"][0]["identifier_value"] for m in record["member_list"]] == residents
    # Within the health insurer's fields: names and the territory, never the phone nor the street.
    assert record["member_list"][0]["demographic_info"]["name"]["given_name"] == "Test"
    assert "phone_number" not in record["member_list"][0]["demographic_info"]
    assert "address_line_1" not in record["address"][0] and "additional_attributes" not in record
    text = json.dumps(body)
    assert PHONE not in text and elsewhere not in text and others[0] not in text and before not in text
    # The national partner sees both, with every field.
    national_bodies = to(registry, owed, "national")
    assert sorted(households(national_bodies)) == sorted([mine, elsewhere])
    assert PHONE in json.dumps(national_bodies)
    assert {e["data"]["sijill_subscription_code"] for e in events(national_bodies)} == {national}
    with registry() as session:
        delivery = session.execute(
            select(DciDelivery).where(DciDelivery.message_id == body["header"]["message_id"])
        ).scalar_one()
        assert delivery.url == f"{CALLBACKS}subscribe"
    # Nothing changed since: nothing more.
    assert sweep(registry) == []


def test_the_sweep_is_audited_with_counts_only(registry: sessionmaker[Session]) -> None:
    code = subscribed_code(registry, "cnss-amo", query=EVERYONE)
    number, residents = declare(registry)
    sweep(registry)
    sweep(registry)
    [line] = audit_lines(registry, "dci.notify")
    assert line.actor == "dci:cnss-amo" and line.entity == "dci_subscription" and line.entity_id == code
    details = json.loads(line.details)
    assert details["events"] == 1 and details["messages"] == 1 and details["reg_event_type"] == "REGISTER"
    assert number not in line.details and residents[0] not in line.details


def test_a_household_outside_the_filter_is_not_notified(registry: sessionmaker[Session]) -> None:
    subscribed_code(registry, "cnss-amo", query=predicate("group_size", "ge", 2))
    declare(registry, ANNEX_A, size=1)
    assert sweep(registry) == []
    pair, _ = declare(registry, ANNEX_B, size=2)
    assert households(to(registry, sweep(registry), "cnss-amo")) == [pair]


def test_a_filter_asking_for_another_territory_finds_nothing_there(registry: sessionmaker[Session]) -> None:
    # The partner's territories bound the filter: asking for another province is not a way in.
    subscribed_code(registry, "cnss-amo", query=predicate("province_code", "eq", "04.04"))
    declare(registry, ANNEX_OTHER_PROVINCE)
    assert sweep(registry) == []


def test_member_records_are_the_matching_members(registry: sessionmaker[Session]) -> None:
    subscribed_code(registry, "cnss-amo", query=predicate("sex", "eq", "female"), record="Member")
    _, residents = declare(registry, size=3, sexes="FMF")
    bodies = to(registry, sweep(registry), "cnss-amo")
    assert persons(bodies) == [residents[0], residents[2]]
    assert all(e["data"]["reg_records"]["@type"] == "Member" for e in events(bodies))
    assert all(e["data"]["reg_record_type"] == "Member" for e in events(bodies))


# --- UPDATE -------------------------------------------------------------------------------------


def test_an_update_is_notified_as_update_and_only_to_update(registry: sessionmaker[Session]) -> None:
    subscribed_code(registry, "cnss-amo", query=EVERYONE)
    subscribed_code(registry, "cnss-amo", event="UPDATE", query=EVERYONE)
    number, residents = declare(registry, size=2)
    # Registered: a REGISTER, not an UPDATE of itself.
    assert kinds(sent(registry)) == ["REGISTER"]
    update(registry, number, ANNEX_A, residents[:1])
    bodies = sent(registry)
    assert kinds(bodies) == ["UPDATE"] and households(bodies) == [number]
    data = events(bodies)[0]["data"]
    # UPDATE is Sijill's own: the standard's reg_event_type enum has no value for it.
    assert "reg_event_type" not in data
    assert len(data["reg_records"]["member_list"]) == 1
    assert sweep(registry) == []


def test_a_members_death_is_an_update_though_the_household_row_is_untouched(registry: sessionmaker[Session]) -> None:
    subscribed_code(registry, "cnss-amo", event="UPDATE", query=EVERYONE)
    number, residents = declare(registry, size=2)
    assert sweep(registry) == []
    with registry() as session:
        updated_at = session.get(Household, household_id_of(number)).updated_at  # type: ignore[union-attr]
    with transaction(registry) as session:
        person = session.execute(select(Person).where(Person.idcs == residents[1])).scalar_one()
        record_death(
            session=session, actor=SYSTEM, idcs=residents[1], death_date=TODAY, version=person.version, today=TODAY
        )
    with registry() as session:
        assert session.get(Household, household_id_of(number)).updated_at == updated_at  # type: ignore[union-attr]
    assert households(sent(registry)) == [number]


# --- INDEX_CHANGE -------------------------------------------------------------------------------


def test_a_correction_is_an_index_change_and_not_an_update(registry: sessionmaker[Session]) -> None:
    subscribed_code(registry, "cnss-amo", event="INDEX_CHANGE", query=predicate("poverty_score", "le", 15))
    subscribed_code(registry, "cnss-amo", event="UPDATE", query=EVERYONE)
    number, _ = declare(registry)
    assert sweep(registry) == []
    correct(registry, number, 4.5)
    bodies = sent(registry)
    assert kinds(bodies) == ["INDEX_CHANGE"] and households(bodies) == [number]
    assert events(bodies)[0]["data"]["reg_records"]["poverty_score"] == 4.5
    # The same figure again is no change of the index.
    correct(registry, number, 4.5)
    assert sweep(registry) == []
    # Out of the filter now: not notified (the filter is the search's, at the sweep).
    correct(registry, number, 18.0)
    assert sweep(registry) == []


def test_a_rescoring_is_an_index_change_only_where_the_index_moves(registry: sessionmaker[Session]) -> None:
    subscribed_code(registry, "cnss-amo", event="INDEX_CHANGE", query=EVERYONE)
    first, _ = declare(registry, ANNEX_A)
    second, _ = declare(registry, ANNEX_B)
    declare(registry, ANNEX_OTHER_PROVINCE)
    assert sweep(registry) == []
    model = model_in_force(shipped_models(), TODAY)
    with transaction(registry) as session:
        score_all(session=session, actor=SYSTEM, model=replace(model, version="2027.1"))
    # Every household was scored again, to the same figures.
    assert sweep(registry) == []
    shifted = {milieu: replace(sub, intercept=sub.intercept + 0.5) for milieu, sub in model.submodels.items()}
    with transaction(registry) as session:
        score_all(session=session, actor=SYSTEM, model=replace(model, version="2027.2", submodels=shifted))
    bodies = sent(registry)
    assert sorted(households(bodies)) == sorted([first, second])
    assert {e["data"]["reg_records"]["poverty_score_type"] for e in events(bodies)} == {"rsu-index@2027.2"}


# --- NewHouseHoldMember -------------------------------------------------------------------------


def test_a_newcomer_is_a_new_household_member(registry: sessionmaker[Session]) -> None:
    subscribed_code(registry, "cnss-amo", event="NewHouseHoldMember", query=EVERYONE, record="Member")
    # Another filter: the same event and filter is one subscription, whatever the record type.
    anyone = predicate("group_size", "ge", 0)
    subscribed_code(registry, "cnss-amo", event="NewHouseHoldMember", query=anyone, record="Group")
    number, residents = declare(registry, size=2)
    assert sweep(registry) == []
    # A member leaving is no newcomer.
    update(registry, number, ANNEX_A, residents[:1])
    assert sweep(registry) == []
    [newcomer] = update(registry, number, ANNEX_A, residents[:1], add=1)
    bodies = sent(registry)
    member_bodies = [b for b in bodies if events([b])[0]["data"]["reg_record_type"] == "Member"]
    group_bodies = [b for b in bodies if events([b])[0]["data"]["reg_record_type"] == "Group"]
    assert persons(member_bodies) == [newcomer]
    assert households(group_bodies) == [number]
    assert {e["data"]["reg_event_type"] for e in events(bodies)} == {"NewHouseHoldMember"}


# --- what stops notifications -------------------------------------------------------------------


def test_an_unsubscribed_or_disabled_partner_is_not_notified(registry: sessionmaker[Session]) -> None:
    code = subscribed_code(registry, "cnss-amo", query=EVERYONE)
    subscribed_code(registry, "national", query=EVERYONE)
    unsubscribe(registry, "cnss-amo", code)
    with transaction(registry) as session:
        deactivate_partner(session=session, actor=SYSTEM, client_id="national")
    declare(registry)
    assert sweep(registry) == []


def test_the_window_bounds_what_is_notified(registry: sessionmaker[Session]) -> None:
    now = datetime.now(UTC)
    ends = now + timedelta(hours=1)
    frequency = {"end_time": stamp(ends)}
    subscribed_code(registry, "cnss-amo", query=EVERYONE, criteria={"frequency": frequency})
    later = now + timedelta(hours=2)
    subscribed_code(
        registry, "cnss-amo", event="UPDATE", query=EVERYONE, criteria={"frequency": {"start_time": stamp(later)}}
    )
    number, residents = declare(registry)
    update(registry, number, ANNEX_A, residents)
    # The UPDATE subscription has not started: its window opens at its start.
    assert kinds(sent(registry, now + timedelta(hours=3))) == ["REGISTER"]
    with registry() as session:
        ended = session.execute(
            select(DciSubscription).where(DciSubscription.reg_event_type == "REGISTER")
        ).scalar_one()
        assert ended.seen_until.replace(tzinfo=UTC) == ends.replace(microsecond=0)
    declare(registry)
    assert sweep(registry, now + timedelta(hours=4)) == []


def test_more_than_a_hundred_events_are_sent_in_chunks(registry: sessionmaker[Session]) -> None:
    subscribed_code(registry, "cnss-amo", query=EVERYONE, record="Member")
    everyone = [idcs for _ in range(11) for idcs in declare(registry, size=10)[1]]
    bodies = to(registry, sweep(registry), "cnss-amo")
    assert [len(b["message"]["notify_event"]) for b in bodies] == [CHUNK_EVENTS, 10]
    assert [b["header"]["total_count"] for b in bodies] == [CHUNK_EVENTS, 10]
    assert sorted(persons(bodies)) == sorted(everyone)
    # One transaction across the chunks; one reference per event.
    assert len({b["message"]["transaction_id"] for b in bodies}) == 1
    assert len({e["reference_id"] for e in events(bodies)}) == 110
    [line] = audit_lines(registry, "dci.notify")
    assert json.loads(line.details)["events"] == 110 and json.loads(line.details)["messages"] == 2
    assert sweep(registry) == []


def test_a_registration_still_open_at_the_sweep_is_notified_at_the_next(
    registry: sessionmaker[Session], backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: the sweep waits for it (BEGIN IMMEDIATE)")
    subscribed_code(registry, "cnss-amo", query=EVERYONE)
    with registry() as slow:
        # Stamped now, committed after the sweep: the sweep's window must end before it began.
        add_person(slow, "4199999999", ANNEX_A)
        household = service.declare_household(
            session=slow,
            actor=SYSTEM,
            data=HouseholdIn(**form(ANNEX_A, [member("4199999999", "head")])),
            today=TODAY,
        )
        with registry() as session:
            assert window_end(session, datetime.now(UTC)) < household.created_at
        assert sweep(registry) == []
        slow.commit()
    assert households(sent(registry)) == [household.number]
