"""Other registries' extracts: checked, imported whole, linked exactly, in force by their own dates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.db import transaction
from sijill.errors import ForbiddenError, SijillError
from sijill.linkage.links import links_in_force
from sijill.linkage.models import ExternalRecord, PersonLink, RegistryImport
from sijill.linkage.registries import REGISTRIES, import_registry
from sijill.population.bulk import load_synthetic_persons
from sijill.population.life_events import merge_persons
from sijill.synth import SynthConfig, generate
from sijill.territory.service import import_territory
from tests.conftest import actor
from tests.factories import ANNEX_A, seed_territory
from tests.social_registry.support import add_person
from tests.test_cli import sijill


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("registries-synth")
    generate(SynthConfig(persons=8_000, seed=5, out_dir=folder, province_codes=("03.02",)))
    return folder


def _count(factory: sessionmaker[Session], model: type) -> int:
    with factory() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _write(tmp_path: Path, name: str, rows: Sequence[Mapping[str, str | None]]) -> Path:
    path = tmp_path / name
    pl.DataFrame([dict(row) for row in rows]).write_csv(path)
    return path


def test_synthetic_registries_link_only_to_the_right_persons(
    session_factory: sessionmaker[Session], system_actor: Actor, synth: Path
) -> None:
    with transaction(session_factory) as session:
        units = pl.read_parquet(synth / "territory.parquet").to_dicts()
        import_territory(session=session, actor=system_actor, records=units, source_name="synth")
        ids = load_synthetic_persons(session=session, actor=system_actor, persons_file=synth / "persons.parquet")
        reports = {
            name: import_registry(
                session=session,
                actor=system_actor,
                registry=name,
                path=synth / "registries" / f"{name}.parquet",
                extracted_on=date(2026, 6, 30),
            )
            for name in REGISTRIES
        }
    truth = pl.read_parquet(synth / "truth" / "registry_links.parquet").join(ids, on="record_id")
    with session_factory() as session:
        links = pl.DataFrame(
            session.execute(
                select(ExternalRecord.registry_kind, ExternalRecord.registry_record_id, PersonLink.person_id).join(
                    PersonLink, PersonLink.external_record_id == ExternalRecord.id
                )
            ).all(),
            schema={"registry": pl.String, "registry_record_id": pl.String, "person_id": pl.Int64},
            orient="row",
        )
    for name, report in reports.items():
        rows = pl.read_parquet(synth / "registries" / f"{name}.parquet")
        assert report.records == rows.height and report.invalid_rows == 0
        assert report.linked_by_idcs == 0  # the synthetic registries carry CINs, not IDCS
        found = links.filter(pl.col("registry") == name)
        assert found.height == report.linked_by_cin > 0
        expected = truth.filter(pl.col("registry") == name).select(
            pl.col("registry_record_id").cast(pl.String), "person_id"
        )
        # Exact links are never wrong; records without a CIN wait for the probabilistic linkage.
        assert found.join(expected, on=["registry_record_id", "person_id"], how="anti").height == 0
        with_cin = rows.filter(pl.col("cin").is_not_null()).height
        assert found.height >= 0.9 * with_cin
    assert _count(session_factory, RegistryImport) == len(REGISTRIES)


def test_links_count_on_the_days_their_record_is_in_force_and_follow_merges(
    session_factory: sessionmaker[Session], system_actor: Actor, tmp_path: Path
) -> None:
    with transaction(session_factory) as session:
        seed_territory(session, system_actor)
        worker = add_person(session, "1100000001", ANNEX_A, cin="AB123456").id
        left = add_person(session, "1100000002", ANNEX_A, cin="CD654321").id
        duplicate = add_person(session, "1100000003", ANNEX_A).id
    extract = _write(
        tmp_path,
        "ae.csv",
        [
            {"registry_record_id": "AE-1", "cin": "ab 123456", "idcs": None, "registered_on": "2020-01-01",
             "deregistered_on": None, "activity": "commerce"},
            {"registry_record_id": "AE-2", "cin": "CD654321", "idcs": None, "registered_on": "2019-03-01",
             "deregistered_on": "2025-12-31", "activity": "services"},
            {"registry_record_id": "AE-3", "cin": None, "idcs": "1100000003", "registered_on": "2024-01-01",
             "deregistered_on": None, "activity": "transport"},
            {"registry_record_id": "AE-4", "cin": "ZZ999999", "idcs": None, "registered_on": "2024-01-01",
             "deregistered_on": None, "activity": "commerce"},
        ],
    )  # fmt: skip
    with transaction(session_factory) as session:
        report = import_registry(session=session, actor=system_actor, registry="auto_entrepreneurs", path=extract)
    assert (report.records, report.linked_by_cin, report.linked_by_idcs) == (4, 2, 1)

    def in_force(day: date) -> set[tuple[int, str]]:
        with session_factory() as session:
            frame = links_in_force(session.connection(), day)
        return {(row["person_id"], row["registry"]) for row in frame.iter_rows(named=True)}

    assert in_force(date(2025, 6, 1)) == {(worker, "auto_entrepreneurs"), (left, "auto_entrepreneurs"),
                                          (duplicate, "auto_entrepreneurs")}  # fmt: skip
    assert in_force(date(2026, 1, 1)) == {(worker, "auto_entrepreneurs"), (duplicate, "auto_entrepreneurs")}
    assert in_force(date(2019, 6, 1)) == {(left, "auto_entrepreneurs")}
    with transaction(session_factory) as session:
        merge_persons(
            session=session, actor=system_actor, survivor_idcs="1100000001", merged_idcs="1100000003", reason="x" * 12
        )
    # The duplicate's record now counts for the person it was merged into.
    assert in_force(date(2026, 1, 1)) == {(worker, "auto_entrepreneurs")}
    with session_factory() as session:
        only_left = links_in_force(session.connection(), date(2025, 6, 1), [left])
        nobody = links_in_force(session.connection(), date(2025, 6, 1), [])
    assert only_left["person_id"].to_list() == [left] and nobody.height == 0


def test_a_new_extract_replaces_the_previous_one(
    session_factory: sessionmaker[Session], system_actor: Actor, tmp_path: Path
) -> None:
    with transaction(session_factory) as session:
        seed_territory(session, system_actor)
        add_person(session, "1100000001", ANNEX_A, cin="AB123456")
        add_person(session, "1100000002", ANNEX_A, cin="CD654321")
    pension = {"registry_record_id": "P-1", "cin": "AB123456", "pension_start": "2010-01-01"}
    first = _write(tmp_path, "p1.csv", [pension, {**pension, "registry_record_id": "P-2", "cin": "CD654321"}])
    second = _write(
        tmp_path, "p2.csv", [{"registry_record_id": "P-2", "cin": "CD654321", "pension_start": "2011-01-01"}]
    )
    with transaction(session_factory) as session:
        import_registry(session=session, actor=system_actor, registry="pensioners", path=first)
    with transaction(session_factory) as session:
        report = import_registry(session=session, actor=system_actor, registry="pensioners", path=second)
    assert (report.records, report.replaced, report.linked_by_cin) == (1, 2, 1)
    assert _count(session_factory, ExternalRecord) == 1 and _count(session_factory, PersonLink) == 1
    with session_factory() as session:
        kept = session.execute(select(ExternalRecord.registry_record_id)).scalar_one()
    assert kept == "P-2"


def test_bad_rows_are_listed_and_nothing_is_written_unless_the_valid_ones_are_accepted(
    session_factory: sessionmaker[Session], system_actor: Actor, tmp_path: Path
) -> None:
    extract = _write(
        tmp_path,
        "cover.csv",
        [
            {"registry_record_id": "C-1", "cin": "AB12X", "idcs": None, "covered_from": "2020-01-01",
             "covered_to": None},
            {"registry_record_id": "C-2", "cin": None, "idcs": "12345", "covered_from": "2020-13-01",
             "covered_to": None},
            {"registry_record_id": "C-2", "cin": None, "idcs": None, "covered_from": "2021-01-01",
             "covered_to": "2020-01-01"},
            {"registry_record_id": "C-4", "cin": "EF112233", "idcs": None, "covered_from": "2021-01-01",
             "covered_to": None},
        ],
    )  # fmt: skip
    with transaction(session_factory) as session, pytest.raises(SijillError) as caught:
        import_registry(session=session, actor=system_actor, registry="other_health_cover", path=extract)
    assert caught.value.code == "import_invalid_rows"
    problems = pl.read_csv(tmp_path / "cover.errors.csv", infer_schema=False)
    assert set(problems.select("row", "field", "rule").iter_rows()) == {
        ("1", "cin", "cin_format"),
        ("2", "registry_record_id", "repeated"),
        ("2", "idcs", "idcs_format"),
        ("2", "covered_from", "date_format"),
        ("3", "registry_record_id", "repeated"),
        ("3", "covered_to", "dates_order"),
    }
    assert problems.filter((pl.col("message_ar") == "") | (pl.col("message_fr") == "")).height == 0
    assert _count(session_factory, ExternalRecord) == 0 and _count(session_factory, RegistryImport) == 0
    with transaction(session_factory) as session:
        report = import_registry(
            session=session, actor=system_actor, registry="other_health_cover", path=extract, accept_valid=True
        )
    assert (report.records, report.invalid_rows) == (1, 3)
    with session_factory() as session:
        assert session.execute(select(ExternalRecord.registry_record_id)).scalars().all() == ["C-4"]


def test_unknown_registries_missing_columns_and_other_roles_are_refused(
    session_factory: sessionmaker[Session], system_actor: Actor, tmp_path: Path
) -> None:
    extract = _write(tmp_path, "x.csv", [{"registry_record_id": "X-1", "cin": "AB123456"}])
    no_id = _write(tmp_path, "y.csv", [{"record": "X-1", "cin": "AB123456"}])
    agent = actor(Role.ANNEX_AGENT, ANNEX_A)
    with transaction(session_factory) as session:
        with pytest.raises(SijillError) as unknown:
            import_registry(session=session, actor=system_actor, registry="tax_office", path=extract)
        with pytest.raises(SijillError) as missing:
            import_registry(session=session, actor=system_actor, registry="pensioners", path=no_id)
        with pytest.raises(ForbiddenError):
            import_registry(session=session, actor=agent, registry="pensioners", path=extract)
    assert unknown.value.code == "unknown_registry" and "pensioners" in unknown.value.fix.fr  # type: ignore[union-attr]
    assert missing.value.code == "import_columns_missing" and missing.value.value == "registry_record_id"
    assert _count(session_factory, ExternalRecord) == 0


def test_command_line_imports_and_lists(db_url: str, backend: str, engine: object, tmp_path: Path) -> None:
    if backend != "sqlite":
        pytest.skip("the command line is exercised once, on SQLite")
    extract = _write(tmp_path, "fa.csv", [{"registry_record_id": "F-1", "cin": "AB123456", "started_on": "2022-01-01"}])
    done = sijill(
        "registries", "import", "family_allowances", str(extract), "--extracted-on", "2026-05-31", db_url=db_url
    )
    assert done.returncode == 0, done.stderr
    assert "1 records" in done.stdout
    listed = sijill("registries", "list", db_url=db_url)
    assert listed.returncode == 0 and "family_allowances" in listed.stdout and "2026-05-31" in listed.stdout
    wrong = sijill("registries", "import", "tax_office", str(extract), db_url=db_url)
    assert wrong.returncode == 2 and "Registre inconnu" in wrong.stderr and "Traceback" not in wrong.stderr
    bad_day = sijill("registries", "import", "pensioners", str(extract), "--extracted-on", "31/05/2026", db_url=db_url)
    assert bad_day.returncode == 2 and "Traceback" not in bad_day.stderr
