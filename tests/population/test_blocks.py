"""Duplicate-check blocks: namesakes are not compared, misspellings are, and the online and batch
forms select exactly the same register records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.orm import Session

from sijill.bulk import table_of
from sijill.population import batch_candidates
from sijill.population.batch_candidates import register_blocks, register_size, scored_pairs
from sijill.population.blocks import BLOCKS, KEY_COLUMNS
from sijill.population.candidates import NameKeys, candidate_rows, find_candidates
from sijill.population.models import IssuedIdcs, Person
from tests.factories import ANNEX_A, seed_territory

NOW = datetime(2026, 12, 1, tzinfo=UTC)


# Mohamed Alaoui, son of Ahmed, born on 14 March 1990: the record every case below starts from.
BASE: dict[str, Any] = {
    "given_name_lat": "Mohamed",
    "family_name_lat": "Alaoui",
    "father_given_name_lat": "Ahmed",
    "sex": "M",
    "birth_year": 1990,
    "birth_date": date(1990, 3, 14),
}


def _person(number: int, **values: Any) -> Person:
    fields: dict[str, Any] = {
        **BASE,
        "birth_date_precision": "day",
        "nationality": "MAR",
        "annex_code": ANNEX_A,
        **values,
    }
    keys = NameKeys.of(fields)
    return Person(
        idcs=f"{number:010d}",
        **fields,
        given_key=keys.given,
        family_key=keys.family,
        father_key=keys.father,
        status="active",
        created_by="test",
        created_at=NOW,
        updated_by="test",
        updated_at=NOW,
    )


def _store(session: Session, people: list[Person]) -> None:
    for person in people:
        session.add(IssuedIdcs(number=person.idcs, issued_at=NOW, issued_by="test"))
    session.flush()
    session.add_all(people)
    session.flush()


def _candidates(session: Session, **values: Any) -> set[str]:
    record = {**BASE, "cin": None, "phone": None, **values}
    return {c.person.idcs for c in find_candidates(session, record, NameKeys.of(record))}


def test_namesakes_are_not_compared_but_misspellings_and_typed_dates_are(session: Session, system_actor: Any) -> None:
    seed_territory(session, system_actor)
    _store(
        session,
        [
            # A namesake: same names, born the next year, another father.
            _person(1000000001, birth_year=1991, birth_date=date(1991, 6, 2), father_given_name_lat="Driss"),
            # Same names and father, the year typed wrong.
            _person(1000000002, birth_year=1991, birth_date=date(1991, 3, 14)),
            # The given name misspelt, the rest agreeing.
            _person(1000000003, given_name_lat="Mohammad"),
            # Only the phone in common.
            _person(1000000004, given_name_lat="Youssef", family_name_lat="Tazi", phone="+212612345678",
                    birth_year=1970, birth_date=date(1970, 1, 1), father_given_name_lat="Omar"),
        ],
    )  # fmt: skip
    found = _candidates(session, given_name_lat="Mohamed", phone="+212612345678")
    assert found == {"1000000002", "1000000003", "1000000004"}
    # Without a father's name the year-window block does not apply: a typed year needs the exact date.
    assert _candidates(session, father_given_name_lat=None) == {"1000000003"}


def test_a_record_with_no_keys_belongs_to_no_block(session: Session, system_actor: Any) -> None:
    seed_territory(session, system_actor)
    _store(session, [_person(1000000001, phone="+212612345678", cin="AB123456")])
    assert candidate_rows(session, {"birth_year": 1990}) == []
    assert candidate_rows(session, {"birth_year": 1990, "cin": "", "phone": ""}) == []
    assert len(candidate_rows(session, {"birth_year": 1990, "cin": "", "phone": "+212612345678"})) == 1


# Few values per column, so that random records often share blocks.
_keys = st.fixed_dictionaries(
    {
        "cin": st.sampled_from([None, "AB1", "AB2"]),
        "phone": st.sampled_from([None, "+212600000001", "+212600000002"]),
        "family_key": st.sampled_from([None, "lwy", "tzy"]),
        "given_key": st.sampled_from([None, "mhmd", "ftm"]),
        "father_key": st.sampled_from([None, "hmd", "drs"]),
        "birth_year": st.integers(1988, 1991),
        "day": st.sampled_from([None, 1, 2]),
    }
)


def _as_record(keys: dict[str, Any]) -> dict[str, Any]:
    day = keys["day"]
    return {**keys, "birth_date": None if day is None else date(keys["birth_year"], 1, day)}


@pytest.mark.parametrize("whole_register", [True, False], ids=["register-scanned", "register-probed"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(register=st.lists(_keys, min_size=1, max_size=12), incoming=_keys)
def test_batch_blocks_select_the_same_register_records_as_the_online_check(
    session: Session,
    system_actor: Any,
    monkeypatch: pytest.MonkeyPatch,
    whole_register: bool,
    register: list[dict[str, Any]],
    incoming: dict[str, Any],
) -> None:
    monkeypatch.setattr(batch_candidates, "SCAN_WHOLE_REGISTER_RATIO", 10**9 if whole_register else 0)
    if not _has_territory(session):
        seed_territory(session, system_actor)
    people, cins = [], set()
    for number, keys in enumerate(register, start=1):
        record = _as_record(keys)
        person = _person(
            1000000000 + number,
            birth_year=record["birth_year"],
            birth_date=record["birth_date"],
            birth_date_precision="day" if record["birth_date"] else "year",
            phone=record["phone"],
            # A CIN is unique in the register: later holders of the same drawn value have none.
            cin=None if record["cin"] in cins else record["cin"],
        )
        cins.add(record["cin"])
        person.family_key, person.given_key = keys["family_key"], keys["given_key"]
        person.father_key = keys["father_key"]
        people.append(person)
    _store(session, people)
    record = _as_record(incoming)
    online = {row.id for row in candidate_rows(session, record)}
    row = pl.DataFrame([{**{name: record[name] for name in KEY_COLUMNS}, "rid": 1, "sex": "M"}])
    row = row.with_columns(pl.col("birth_date").cast(pl.Date), pl.col("birth_year").cast(pl.Int64))
    pairs = scored_pairs(row, register_blocks(session, row, register_size(session)))
    assert set(pairs["person_id"].drop_nulls().to_list()) == online
    session.execute(delete(Person))
    session.execute(delete(IssuedIdcs))
    session.flush()


def _has_territory(session: Session) -> bool:
    from sijill.territory.models import TerritoryUnit

    return session.get(TerritoryUnit, ANNEX_A) is not None


def test_every_block_has_an_index_led_by_its_columns() -> None:
    """Each block is served by an index (or a unique constraint) of ``person`` whose leading columns
    are among the block's own, so the online check never scans the register."""
    table = table_of(Person)
    leading = {tuple(c.name for c in index.columns)[:1] for index in table.indexes}
    leading |= {(c.name,) for c in table.columns if c.unique}
    for block in BLOCKS:
        assert (block.equal[0],) in leading, block.name
