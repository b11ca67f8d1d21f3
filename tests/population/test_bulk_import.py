"""Bulk import: all rules checked first, nothing written on error, idempotent, duplicates held."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.db import transaction
from sijill.errors import SijillError
from sijill.population.batch_candidates import strong_pairs
from sijill.population.bulk_import import ImportReport, import_persons
from sijill.population.check_digits import verhoeff_valid
from sijill.population.models import IssuedIdcs, Person, PersonSource, Registration, RegistrationCandidate
from sijill.synth import SynthConfig, generate
from sijill.territory.service import import_territory

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def synth_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("import")
    generate(SynthConfig(persons=3_000, seed=5, out_dir=out, province_codes=("03.02",)))
    return out


@pytest.fixture
def world(session_factory: sessionmaker[Session], system_actor: Actor, synth_files: Path) -> sessionmaker[Session]:
    units = pl.read_parquet(synth_files / "territory.parquet").to_dicts()
    with transaction(session_factory) as session:
        import_territory(session=session, actor=system_actor, records=units, source_name="t")
    return session_factory


def _count(factory: sessionmaker[Session], model: type) -> int:
    with factory() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _run(
    factory: sessionmaker[Session], actor: Actor, path: Path, tmp_path: Path, accept_valid: bool = False
) -> ImportReport:
    return import_persons(
        factory=factory,
        actor=actor,
        path=path,
        source="legacy",
        error_path=tmp_path / "errors.csv",
        today=TODAY,
        accept_valid=accept_valid,
    )


def test_synth_file_imports_and_reimport_creates_nothing(
    world: sessionmaker[Session], system_actor: Actor, synth_files: Path, tmp_path: Path
) -> None:
    path = synth_files / "persons.parquet"
    rows = pl.read_parquet(path).height
    report = _run(world, system_actor, path, tmp_path)
    assert report.rows == rows and report.invalid_rows == 0
    assert report.created + report.held_for_review == rows
    # Injected duplicate registrations are mostly caught and held, as an online registration would be.
    truth = set(pl.read_parquet(synth_files / "truth/duplicates.parquet")["record_id"].cast(pl.String))
    with world() as session:
        held = set(
            session.execute(
                select(PersonSource.source_record_id).where(PersonSource.registration_id.is_not(None))
            ).scalars()
        )
        numbers = session.execute(select(Person.idcs)).scalars().all()
        ledger = set(session.execute(select(IssuedIdcs.number)).scalars())
        candidates = session.execute(
            select(RegistrationCandidate.registration_id, Person.idcs).join(
                Person, Person.id == RegistrationCandidate.person_id
            )
        ).all()
        assert audit.verify(session).ok
    # A first load numbers every row while the duplicate check runs; the held rows' numbers go back
    # before commit, so the ledger holds exactly the register's.
    assert ledger == set(numbers)
    # Held rows point at the records they resemble (a row whose only match is another held row
    # has none to point at).
    assert len({registration for registration, _ in candidates}) >= 0.9 * report.held_for_review
    # Measured: 59-75 % of injected duplicates on small samples; Splink (issue 7) is to raise it.
    assert len(held & truth) >= 0.5 * len(truth)
    assert len(held - truth) <= 0.02 * rows
    assert _count(world, Person) == report.created
    assert len(set(numbers)) == len(numbers) and all(verhoeff_valid(n) for n in numbers)
    assert _count(world, Registration) == report.held_for_review

    again = _run(world, system_actor, path, tmp_path)
    assert (again.created, again.held_for_review, again.already_imported) == (0, 0, rows)
    assert _count(world, Person) == report.created


def test_invalid_rows_write_an_error_file_and_nothing_else(
    world: sessionmaker[Session], system_actor: Actor, synth_files: Path, tmp_path: Path
) -> None:
    frame = pl.read_parquet(synth_files / "persons.parquet").head(50).with_columns(pl.col("cin").cast(pl.String))
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("12AB")).otherwise(pl.col("cin")).alias("cin"),
        pl.when(pl.int_range(pl.len()) == 7)
        .then(pl.lit("99.99.999.99"))
        .otherwise(pl.col("annex_code"))
        .alias("annex_code"),
    )
    path = tmp_path / "bad.csv"
    frame.write_csv(path)
    with pytest.raises(SijillError) as caught:
        _run(world, system_actor, path, tmp_path)
    assert caught.value.code == "import_invalid_rows"
    assert "rien n'a été enregistré" in caught.value.message.fr
    errors = pl.read_csv(tmp_path / "errors.csv")
    assert set(zip(errors["row"], errors["field"], strict=True)) >= {(4, "cin"), (8, "annex_code")}
    assert errors["message_ar"].null_count() == 0 and errors["message_fr"].null_count() == 0
    assert _count(world, Person) == 0 and _count(world, PersonSource) == 0

    partial = _run(world, system_actor, path, tmp_path, accept_valid=True)
    assert partial.invalid_rows == 2 and partial.created + partial.held_for_review == 48


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b"record_id,sex\n1,M\n", "missing columns"),
        (b"record_id,sex,annex_code,birth_year\n1,M,03.02.001.01,1980\n2,F\n", "cannot read"),
        (b"record_id,sex,annex_code,birth_year\n1,M,\xff\xfe,1980\n", "cannot read"),
        (b"record_id,sex,annex_code,birth_year\n", "cannot read"),
    ],
)
def test_malformed_files_are_refused_before_anything_is_written(
    world: sessionmaker[Session], system_actor: Actor, tmp_path: Path, content: bytes, phrase: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(SijillError) as caught:
        _run(world, system_actor, path, tmp_path)
    assert phrase in caught.value.message.en
    assert caught.value.message.ar and caught.value.message.fr
    assert _count(world, Person) == 0


def test_chunks_see_earlier_chunks_and_a_crash_resumes(
    world: sessionmaker[Session],
    system_actor: Actor,
    synth_files: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Small chunks, each committed (the load is too small against the register to rebuild its
    indexes): duplicates are found across chunk boundaries, and a failure after some committed
    chunks is resumed by running the same import again, creating nothing twice."""
    from sijill.population import bulk_apply, bulk_import

    monkeypatch.setattr(bulk_apply, "CHUNK_ROWS", 700)
    monkeypatch.setattr(bulk_import, "REBUILD_INDEXES_FROM", float("inf"))
    path = synth_files / "persons.parquet"
    rows = pl.read_parquet(path).height
    calls = {"n": 0}
    real_apply = bulk_apply.apply_chunk

    def crash_on_third(*args: object, **kwargs: object) -> tuple[pl.DataFrame, int]:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return real_apply(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bulk_apply, "apply_chunk", crash_on_third)
    with pytest.raises(RuntimeError, match="power cut"):
        _run(world, system_actor, path, tmp_path)
    assert _count(world, PersonSource) == 1_400
    monkeypatch.setattr(bulk_apply, "apply_chunk", real_apply)
    resumed = _run(world, system_actor, path, tmp_path)
    assert resumed.already_imported == 1_400
    assert _count(world, PersonSource) == rows
    assert _count(world, Person) + _count(world, Registration) == rows
    truth = set(pl.read_parquet(synth_files / "truth/duplicates.parquet")["record_id"].cast(pl.String))
    with world() as session:
        held = set(
            session.execute(
                select(PersonSource.source_record_id).where(PersonSource.registration_id.is_not(None))
            ).scalars()
        )
    assert len(held & truth) >= 0.5 * len(truth)


def _index_names(factory: sessionmaker[Session]) -> set[str]:
    with factory() as session:
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        inspector = inspect(engine)
        tables = ("issued_idcs", "person", "person_source")
        names = {str(i["name"]) for table in tables for i in inspector.get_indexes(table)}
        for table in tables:
            names |= {f"fk:{fk['name']}" for fk in inspector.get_foreign_keys(table)}
            names |= {f"uq:{uq['name']}" for uq in inspector.get_unique_constraints(table)}
            names.add(f"pk:{inspector.get_pk_constraint(table)['name']}")
        return names


def test_a_first_load_rebuilds_every_index_and_constraint(
    world: sessionmaker[Session], system_actor: Actor, synth_files: Path, tmp_path: Path
) -> None:
    before = _index_names(world)
    assert {"ix_person_family_given_year", "fk:fk_person_idcs_issued_idcs", "pk:pk_issued_idcs"} <= before
    report = _run(world, system_actor, synth_files / "persons.parquet", tmp_path)
    assert report.created > 0
    assert _index_names(world) == before


def test_a_first_load_that_breaks_a_constraint_writes_nothing(
    world: sessionmaker[Session],
    system_actor: Actor,
    synth_files: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the duplicate check switched off, two rows with one CIN both reach the register: the
    unique index refuses them (on PostgreSQL when it is rebuilt at the end), and the whole load
    rolls back with the indexes it had dropped, the numbers it had issued and its staged rows."""
    from sijill.population import bulk_import

    monkeypatch.setattr(bulk_import, "strong_pairs", lambda rows, register: strong_pairs(rows.head(0), register))
    frame = pl.read_parquet(synth_files / "persons.parquet").head(200).with_columns(pl.col("cin").cast(pl.String))
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) >= 198).then(pl.lit("ZZ999999")).otherwise(pl.col("cin")).alias("cin")
    )
    path = tmp_path / "same-cin.parquet"
    frame.write_parquet(path)
    before = _index_names(world)
    # SQLite refuses the row as it is moved from the staging file; PostgreSQL when the index is rebuilt.
    with pytest.raises((IntegrityError, sqlite3.IntegrityError), match=r"(?i)unique"):
        _run(world, system_actor, path, tmp_path)
    assert _count(world, Person) == 0 and _count(world, PersonSource) == 0 and _count(world, IssuedIdcs) == 0
    assert _index_names(world) == before
