"""Territory reference and imports: validated line by line, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.errors import ForbiddenError, SijillError
from sijill.territory import queries
from sijill.territory.importer import read_csv
from sijill.territory.models import TerritoryUnit, TerritoryUnitVersion
from sijill.territory.service import import_territory, load_reference
from tests.conftest import actor

COMMUNE = {
    "level": "commune",
    "code": "03.02.001",
    "parent_code": "03.02",
    "kind": "urban_commune",
    "milieu": "urban",
    "name_fr": "Meknès",
    "name_ar": "مكناس",
}
ANNEX = {
    "level": "annex",
    "code": "03.02.001.01",
    "parent_code": "03.02.001",
    "kind": "annex",
    "milieu": "urban",
    "name_fr": "Annexe 1",
    "name_ar": "الملحقة 1",
}


def _count(session: Session) -> tuple[int, int]:
    units = session.execute(select(func.count()).select_from(TerritoryUnit)).scalar_one()
    versions = session.execute(select(func.count()).select_from(TerritoryUnitVersion)).scalar_one()
    return units, versions


def test_reference_has_12_regions_and_75_provinces_in_both_languages(session: Session) -> None:
    regions = queries.list_units(session, level="region")
    provinces = queries.list_units(session, level="province")
    assert len(regions) == 12 and len(provinces) == 75
    assert sum(p.kind == "prefecture" for p in provinces) == 13
    meknes = queries.get_unit(session, "03.02")
    assert (meknes.name_fr, meknes.name_ar, meknes.parent_code) == ("Meknès", "مكناس", "03")
    assert all(p.code.startswith(p.parent_code + ".") for p in provinces if p.parent_code)


def test_reference_load_is_idempotent(session: Session, system_actor: Actor) -> None:
    before = _count(session)
    assert load_reference(session=session, actor=system_actor) == {
        "created_units": 0,
        "created_versions": 0,
        "skipped_unchanged": 87,
    }
    assert _count(session) == before


def test_import_communes_and_annexes(session: Session, system_actor: Actor) -> None:
    counts = import_territory(session=session, actor=system_actor, records=[ANNEX, COMMUNE], source_name="t")
    assert counts == {"created_units": 2, "created_versions": 2, "skipped_unchanged": 0}
    annex = queries.get_unit(session, "03.02.001.01")
    assert (annex.level, annex.parent_code, annex.milieu) == ("annex", "03.02.001", "urban")
    assert [u.code for u in queries.list_units(session, within="03.02")] == ["03.02.001", "03.02.001.01"]


@pytest.mark.parametrize(
    ("records", "line", "field", "phrase"),
    [
        ([{**ANNEX, "parent_code": "03.02.999", "code": "03.02.999.01"}], 2, "parent_code", "unknown parent"),
        ([COMMUNE, {**COMMUNE, "name_fr": "Autre"}], 3, "code", "duplicate code"),
        ([COMMUNE, {**COMMUNE, "valid_from": "2020-01-01"}], 3, "valid_from", "overlaps line 2"),
        ([{**COMMUNE, "code": "04.01.001"}], 2, "code", "must start with the parent code"),
        ([{**COMMUNE, "parent_code": "03"}], 2, "parent_code", "parent must be a province"),
        ([{**COMMUNE, "kind": "annex"}], 2, "kind", "unknown kind"),
        ([{**COMMUNE, "valid_from": "2020-13-01"}], 2, "valid_from", "invalid date"),
        ([{**COMMUNE, "valid_to": "2010-01-01"}], 2, "valid_to", "after valid_from"),
        ([{**COMMUNE, "name_ar": ""}], 2, "name_ar", "required"),
        ([{**COMMUNE, "milieu": "suburban"}], 2, "milieu", "urban or rural"),
    ],
)
def test_bad_lines_are_reported_and_nothing_is_written(
    session: Session, system_actor: Actor, records: list[dict[str, str]], line: int, field: str, phrase: str
) -> None:
    before = _count(session)
    with pytest.raises(SijillError) as caught:
        import_territory(session=session, actor=system_actor, records=records, source_name="t")
    error = caught.value
    assert error.code == "territory_import_invalid" and error.status == 422
    problem = next(p for p in error.details if p["field"] == field)
    assert problem["line"] == line
    assert phrase in problem["rule"]["en"]
    assert problem["rule"]["ar"] and problem["rule"]["fr"]
    assert "aucune ligne" in error.message.fr
    session.rollback()
    assert _count(session) == before


def test_one_bad_line_blocks_the_good_ones(session: Session, system_actor: Actor) -> None:
    before = _count(session)
    with pytest.raises(SijillError):
        import_territory(
            session=session,
            actor=system_actor,
            records=[COMMUNE, ANNEX, {**ANNEX, "code": "03.02.001.02", "parent_code": "03.02.777"}],
            source_name="t",
        )
    session.rollback()
    assert _count(session) == before


def test_overlap_with_a_stored_version_is_refused_and_a_later_one_accepted(
    session: Session, system_actor: Actor
) -> None:
    import_territory(
        session=session, actor=system_actor, records=[{**COMMUNE, "valid_to": "2025-01-01"}], source_name="t"
    )
    with pytest.raises(SijillError) as caught:
        import_territory(
            session=session,
            actor=system_actor,
            records=[{**COMMUNE, "name_fr": "Meknès-ville", "valid_from": "2024-06-01"}],
            source_name="t",
        )
    assert "overlaps a stored version" in caught.value.details[0]["rule"]["en"]
    session.rollback()
    import_territory(
        session=session, actor=system_actor, records=[{**COMMUNE, "valid_to": "2025-01-01"}], source_name="t"
    )
    import_territory(
        session=session,
        actor=system_actor,
        records=[{**COMMUNE, "name_fr": "Meknès-ville", "valid_from": "2025-01-01"}],
        source_name="t",
    )
    from datetime import date

    assert queries.get_unit(session, "03.02.001", as_of=date(2024, 1, 1)).name_fr == "Meknès"
    assert queries.get_unit(session, "03.02.001", as_of=date(2026, 1, 1)).name_fr == "Meknès-ville"


def test_only_authorised_roles_import(session: Session) -> None:
    with pytest.raises(ForbiddenError):
        import_territory(
            session=session, actor=actor(Role.ANNEX_AGENT, "03.02.001.01"), records=[COMMUNE], source_name="t"
        )


def test_csv_with_missing_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("level,code,name_fr\ncommune,03.02.001,Meknès\n", encoding="utf-8")
    with pytest.raises(SijillError) as caught:
        read_csv(path)
    assert caught.value.field == "columns"
    assert "parent_code" in caught.value.value and "name_ar" in caught.value.value
