"""Probabilistic links from other registries' records to register persons, against the truth."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.db import transaction
from sijill.errors import ForbiddenError, SijillError
from sijill.linkage.links import links_in_force
from sijill.linkage.models import ExternalRecord, PersonLink
from sijill.linkage.registries import import_registry
from sijill.linkage.registry_linkage import link_registry, unlinked_records
from sijill.synth import SynthConfig, generate
from tests.conftest import actor
from tests.linkage.support import load_register
from tests.test_cli import sijill

pytestmark = pytest.mark.slow
REGISTRY = "other_health_cover"


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("registry-synth")
    generate(SynthConfig(persons=6_000, seed=11, out_dir=folder, province_codes=("03.02",)))
    return folder


@pytest.fixture
def loaded(session_factory: sessionmaker[Session], system_actor: Actor, synth: Path) -> pl.DataFrame:
    ids = load_register(session_factory, system_actor, synth)
    with transaction(session_factory) as session:
        import_registry(
            session=session, actor=system_actor, registry=REGISTRY, path=synth / "registries" / f"{REGISTRY}.parquet"
        )
    return ids


def _links(session: Session, method: str) -> pl.DataFrame:
    rows = session.execute(
        select(ExternalRecord.registry_record_id, PersonLink.person_id, PersonLink.match_probability)
        .join(ExternalRecord, ExternalRecord.id == PersonLink.external_record_id)
        .where(PersonLink.method == method)
    ).all()
    return pl.DataFrame(
        rows, schema={"registry_record_id": pl.String, "person_id": pl.Int64, "p": pl.Float64}, orient="row"
    )


def test_records_without_identifier_are_linked_by_the_model(
    session_factory: sessionmaker[Session], system_actor: Actor, synth: Path, loaded: pl.DataFrame
) -> None:
    with session_factory() as session:
        before = unlinked_records(session, REGISTRY)
    with transaction(session_factory) as session:
        report = link_registry(session=session, actor=system_actor, registry=REGISTRY)
    assert report.linked > 0 and report.exactly_linked > 0
    truth = (
        pl.read_parquet(synth / "truth" / "registry_links.parquet")
        .filter(pl.col("registry") == REGISTRY)
        .join(loaded, on="record_id")
        .select(pl.col("registry_record_id").cast(pl.String), "person_id")
    )
    with session_factory() as session:
        found = _links(session, "probabilistic")
        after = unlinked_records(session, REGISTRY)
        exact = _links(session, "cin")
    assert after == before - report.linked
    # Never a second link for a record the CIN placed, one person per record.
    assert found.join(exact, on="registry_record_id", how="semi").height == 0
    assert found["registry_record_id"].n_unique() == found.height
    sure = found.filter(pl.col("p") >= 0.9)
    right = sure.join(truth, on=["registry_record_id", "person_id"], how="semi").height
    assert right / sure.height >= 0.97
    # Of the records the truth places but no identifier did, most are found.
    reachable = truth.join(exact, on="registry_record_id", how="anti")
    assert right / reachable.height >= 0.8
    with session_factory() as session:
        evidence = session.execute(
            select(PersonLink.evidence).where(PersonLink.method == "probabilistic").limit(1)
        ).scalar_one()
        assert evidence is not None and "given_name" in evidence


def test_linking_again_replaces_the_links_and_exclusions_read_the_sure_ones(
    session_factory: sessionmaker[Session], system_actor: Actor, loaded: pl.DataFrame
) -> None:
    from datetime import date

    with transaction(session_factory) as session:
        first = link_registry(session=session, actor=system_actor, registry=REGISTRY)
    with transaction(session_factory) as session:
        second = link_registry(session=session, actor=system_actor, registry=REGISTRY)
    with session_factory() as session:
        assert _links(session, "probabilistic").height == second.linked == first.linked
        in_force = links_in_force(session.connection(), date(2026, 6, 1))
        assert in_force.filter(pl.col("match_probability") < 0.9).height == 0


def test_bad_registry_and_permissions(session_factory: sessionmaker[Session], loaded: pl.DataFrame) -> None:
    with transaction(session_factory) as session:
        with pytest.raises(SijillError) as unknown:
            link_registry(session=session, actor=actor(Role.ADMIN, None), registry="tax_office")
        assert unknown.value.code == "unknown_registry"
        with pytest.raises(ForbiddenError):
            link_registry(session=session, actor=actor(Role.REVIEWER, None), registry=REGISTRY)


def test_the_command_links(backend: str, db_url: str, loaded: pl.DataFrame) -> None:
    if backend != "sqlite":
        pytest.skip("the command line is tested once")
    done = sijill("registries", "link", REGISTRY, db_url=db_url)
    assert done.returncode == 0, done.stderr
    assert "linked by the model" in done.stdout
    bad = sijill("registries", "link", "tax_office", db_url=db_url)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
