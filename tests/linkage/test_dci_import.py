"""Importing another registry's persons through its DCI API: Sijill's own DCI server, served for
real on loopback, plays the other registry; its records become a registry extract through the
file import, linked to register persons."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.db import transaction
from sijill.dci.client import DciClient, idtype_value, predicate
from sijill.errors import ForbiddenError, SijillError
from sijill.linkage.dci_import import (
    DciFetch,
    collect_rows,
    fetch_members,
    import_from_dci,
    import_members,
    member_row,
)
from sijill.linkage.models import ExternalRecord, PersonLink, RegistryImport
from tests.conftest import SYSTEM
from tests.dci.search_support import OTHER_PROVINCE
from tests.dci.test_client import LiveRegistry, live_registry
from tests.test_cli import sijill

EVERYONE = predicate(("province_code", "in", "03.02,04.04"))
REGISTRY = "pensioners"


@pytest.fixture
def registry(db_url: str, engine: Engine, session_factory: sessionmaker[Session]) -> Iterator[LiveRegistry]:
    with live_registry(db_url, engine, session_factory) as live:
        yield live


def _records(session_factory: sessionmaker[Session]) -> dict[str, ExternalRecord]:
    with session_factory() as session:
        rows = session.execute(select(ExternalRecord).where(ExternalRecord.registry_kind == REGISTRY)).scalars()
        return {row.registry_record_id: row for row in rows}


def _import(
    live: LiveRegistry, session_factory: sessionmaker[Session], client_id: str = "crvs-client", **options: Any
) -> Any:
    secret = live.secret if client_id == "crvs-client" else live.provincial_secret
    with DciClient(live.dci, client_id, secret) as client:
        fetched = fetch_members(client, "predicate", EVERYONE, page_size=3)
    with transaction(session_factory) as session:
        return import_members(session=session, actor=SYSTEM, registry=REGISTRY, fetch=fetched, **options)


def test_the_registry_persons_become_linked_external_records(
    registry: LiveRegistry, session_factory: sessionmaker[Session]
) -> None:
    report = _import(registry, session_factory, extracted_on=date(2026, 6, 1))
    everyone = {fact.resident.idcs for fact in registry.world.facts}
    assert (report.fetched, report.total_count, report.pages, report.imported) == (8, 8, 3, 8)
    assert report.skipped == {} and report.extract is not None
    # The "other" registry is this register: every record is linked by its IDCS.
    assert report.extract.linked_by_idcs == 8 and report.extract.replaced == 0
    records = _records(session_factory)
    assert set(records) == everyone
    youssef = records["3100000001"]
    assert (youssef.idcs, youssef.cin) == ("3100000001", "AB123456")
    assert (youssef.given_name_lat, youssef.family_name_lat) == ("Youssef", "Alami")
    assert (youssef.birth_date, youssef.birth_year) == (date(1970, 3, 3), 1970)
    assert youssef.attributes["sex"] == "male" and youssef.attributes["identifiers"] == "UIN:3100000001 CIN:AB123456"
    assert youssef.attributes["household_id"] == registry.world.numbers["H1"]
    # Known by her Arabic names only: no Latin name is made up, the Arabic ones are kept.
    fatima = records["3100000002"]
    assert fatima.given_name_lat is None and fatima.attributes["given_name_ar"] == "فاطمة"
    # Known by her birth year only.
    widow = records["3100000011"]
    assert (widow.birth_date, widow.birth_year) == (None, 1940)
    with session_factory() as session:
        extract = session.execute(select(RegistryImport)).scalar_one()
        assert extract.source_name == f"dci_127.0.0.1_{registry.port}.parquet"
        assert extract.extracted_on == date(2026, 6, 1) and extract.records == 8 and extract.linked == 8
        methods = session.execute(select(PersonLink.method, func.count()).group_by(PersonLink.method)).all()
        assert dict(methods) == {"idcs": 8}


def test_importing_again_replaces_the_extract_with_the_same_records(
    registry: LiveRegistry, session_factory: sessionmaker[Session]
) -> None:
    first = _import(registry, session_factory)
    before = {key: (r.idcs, r.cin, r.given_name_lat, r.birth_year) for key, r in _records(session_factory).items()}
    again = _import(registry, session_factory)
    after = {key: (r.idcs, r.cin, r.given_name_lat, r.birth_year) for key, r in _records(session_factory).items()}
    assert again.imported == first.imported == 8 and again.extract.replaced == 8
    assert after == before
    with session_factory() as session:
        assert session.execute(select(func.count()).select_from(ExternalRecord)).scalar_one() == 8
        assert session.execute(select(func.count()).select_from(PersonLink)).scalar_one() == 8


def test_records_outside_the_partner_territory_are_not_imported(
    registry: LiveRegistry, session_factory: sessionmaker[Session]
) -> None:
    report = _import(registry, session_factory, client_id="provincial")
    outside = {f.resident.idcs for f in registry.world.facts if f.annex.startswith(f"{OTHER_PROVINCE}.")}
    assert outside == {"3300000001"}
    assert report.total_count == 7 and report.imported == 7
    assert set(_records(session_factory)).isdisjoint(outside)


def test_import_from_dci_needs_the_import_permission_before_any_call(
    registry: LiveRegistry, session_factory: sessionmaker[Session]
) -> None:
    clerk = Actor(username="clerk", role=Role.ANNEX_AGENT, scope_code=None, source="test")
    with DciClient(registry.dci, "crvs-client", registry.secret) as client, session_factory() as session:
        with pytest.raises(ForbiddenError):
            import_from_dci(
                session=session, actor=clerk, client=client, registry=REGISTRY, query_type="predicate", query=EVERYONE
            )
        with pytest.raises(SijillError) as unknown:
            import_from_dci(
                session=session, actor=SYSTEM, client=client, registry="nope", query_type="predicate", query=EVERYONE
            )
    assert unknown.value.code == "unknown_registry"
    assert registry.counter.calls["/dci/registry/sync/search"] == 0
    with DciClient(registry.dci, "crvs-client", registry.secret) as client, transaction(session_factory) as session:
        one = import_from_dci(
            session=session,
            actor=SYSTEM,
            client=client,
            registry=REGISTRY,
            query_type="idtype-value",
            query=idtype_value("UIN", "3200000001"),
        )
    assert one.imported == 1 and set(_records(session_factory)) == {"3200000001"}


def test_other_registries_records_are_read_as_the_spdci_classes_allow() -> None:
    person = {
        "@type": "Person",
        "identifier": [
            {"identifier_type": "spdci:IdentifierType:BRN", "identifier_value": "BRN-2001-77"},
            {"identifier_type": "CIN", "identifier_value": "X12345"},
            {"identifier_type": "UIN", "identifier_value": "not-ten-digits"},
        ],
        "name": [
            {"@type": "Name", "given_name": "أمينة", "surname": "بناني"},
            {"@type": "Name", "given_name": " Amina ", "surname": "Bennani"},
        ],
        "birth_date": "2001-02-30",
        "sex": "female",
        "address": [{"@type": "Address", "region_code": "03", "postal_code": "30000"}],
    }
    row = member_row(person)
    assert row is not None
    assert row["registry_record_id"] == "BRN-2001-77" and row["idcs"] is None and row["cin"] == "X12345"
    assert (row["given_name_lat"], row["family_name_lat"]) == ("Amina", "Bennani")
    assert (row["given_name_ar"], row["family_name_ar"]) == ("أمينة", "بناني")
    # Not a day of the calendar: the year is kept, the day is not guessed.
    assert (row["birth_date"], row["birth_year"]) == (None, "2001")
    assert (row["region_code"], row["postal_code"]) == ("03", "30000")

    group = {
        "@type": "Group",
        "group_identifier": [{"identifier_type": "HOUSEHOLD_ID", "identifier_value": "HH000000009"}],
        "address": [{"region_code": "04", "sub_region_code": "04.04"}],
        "member_list": [
            {"@type": "Member", "member_identifier": [{"identifier_type": "UIN", "identifier_value": "3400000001"}]},
            {"@type": "Member", "member_identifier": []},
        ],
    }
    fetch = DciFetch(source="https://crvs.example.ma", rows=[])
    collect_rows([person, group, person, "nonsense"], fetch)  # type: ignore[list-item]
    assert fetch.fetched == 4 and [r["registry_record_id"] for r in fetch.rows] == ["BRN-2001-77", "3400000001"]
    assert fetch.rows[1]["idcs"] == "3400000001" and fetch.rows[1]["sub_region_code"] == "04.04"
    assert fetch.skipped == {"repeated": 1, "no_identifier": 1, "not_a_record": 1}


def test_the_cli_imports_and_reports_counts(registry: LiveRegistry, session_factory: sessionmaker[Session]) -> None:
    result = sijill(
        "registries",
        "import-dci",
        registry.dci,
        "--registry",
        REGISTRY,
        "--client-id",
        "provincial",
        "--secret-env",
        "PROVINCIAL_SECRET",
        "--predicate",
        "province_code in 03.02,04.04",
        "--page-size",
        "4",
        db_url=registry.db_url,
        extra_env={"PROVINCIAL_SECRET": registry.provincial_secret},
    )
    assert result.returncode == 0, result.stderr
    assert "7 records fetched of 7 (2 page(s)), 7 imported" in result.stdout
    assert "linked 7 by IDCS" in result.stdout
    assert registry.provincial_secret not in result.stdout + result.stderr
    assert len(_records(session_factory)) == 7
    unknown = sijill(
        "registries",
        "import-dci",
        registry.dci,
        "--registry",
        "nope",
        "--client-id",
        "provincial",
        "--predicate",
        "age ge 60",
        db_url=registry.db_url,
        extra_env={"SIJILL_DCI_CLIENT_SECRET": "x"},
    )
    assert unknown.returncode == 2 and "Registre inconnu" in unknown.stderr
