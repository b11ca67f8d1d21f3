"""The RNP → RSU → AMO Tadamon funnel per annex, its roll-ups, the persons behind the gaps, scope."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import and_, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.api.app import create_app
from sijill.config import Settings
from sijill.db import transaction
from sijill.errors import NotFoundError, SijillError
from sijill.population.models import Person
from sijill.programmes.service import run_eligibility
from sijill.quality.funnel import STAGES, funnel, gap_people
from sijill.social_registry.models import Household, HouseholdMember
from sijill.synth import SynthConfig, generate
from tests.api.conftest import TEST_SECRET
from tests.conftest import actor
from tests.factories import PASSWORD, create_user
from tests.linkage.support import load_register
from tests.test_cli import sijill

pytestmark = pytest.mark.slow
PROVINCE = "03.02"
NATIONAL = actor(Role.SUPERVISOR_NATIONAL, None, "national")


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("funnel-synth")
    generate(SynthConfig(persons=4_000, seed=9, out_dir=folder, province_codes=(PROVINCE,)))
    return folder


@pytest.fixture
def loaded(session_factory: sessionmaker[Session], system_actor: Actor, synth: Path) -> sessionmaker[Session]:
    load_register(session_factory, system_actor, synth)
    with transaction(session_factory) as session:
        run_eligibility(session=session, actor=system_actor, as_of=date(2026, 6, 1), programme="amo-tadamon")
    return session_factory


def _truth(session: Session) -> pl.DataFrame:
    """RNP and RSU persons per annex, counted here from the rows themselves."""
    persons = session.execute(select(Person.id, Person.annex_code).where(Person.status == "active")).all()
    members = session.execute(
        select(HouseholdMember.person_id, Household.annex_code)
        .join(Household, and_(Household.id == HouseholdMember.household_id, HouseholdMember.valid_to.is_(None)))
        .join(Person, and_(Person.id == HouseholdMember.person_id, Person.status == "active"))
    ).all()
    rnp = pl.DataFrame(persons, schema=["id", "annex_code"], orient="row").group_by("annex_code").len("rnp")
    rsu = pl.DataFrame(members, schema=["id", "annex_code"], orient="row").group_by("annex_code").len("rsu")
    return rnp.join(rsu, on="annex_code", how="full", coalesce=True).fill_null(0)


def test_annex_counts_and_every_roll_up_agree(loaded: sessionmaker[Session]) -> None:
    with transaction(loaded) as session:
        annexes = funnel(session=session, actor=NATIONAL, level="annex")
        truth = _truth(session)
        levels = {
            level: funnel(session=session, actor=NATIONAL, level=level) for level in ("commune", "province", "nation")
        }
    got = annexes.rows.select(pl.col("code").alias("annex_code"), "rnp", "rsu").sort("annex_code")
    assert got.equals(
        truth.select("annex_code", pl.col("rnp").cast(pl.Int64), pl.col("rsu").cast(pl.Int64)).sort("annex_code")
    )
    assert annexes.eligibility_run is not None
    totals = annexes.rows.select(pl.col(s).sum() for s in STAGES).row(0)
    for report in levels.values():
        assert report.rows.select(pl.col(s).sum() for s in STAGES).row(0) == totals
    nation = levels["nation"].rows.row(0, named=True)
    assert nation["code"] == "MA" and nation["rnp"] >= nation["rsu"] >= nation["scored"] >= nation["eligible"] > 0
    assert nation["rsu_of_rnp"] == round(nation["rsu"] / nation["rnp"], 4)
    # Ranked by the gap between the RNP and the RSU, largest first.
    gaps = annexes.rows["gap_rnp_rsu"].to_list()
    assert gaps == sorted(gaps, reverse=True)


def test_the_persons_behind_a_gap(loaded: sessionmaker[Session]) -> None:
    with transaction(loaded) as session:
        row = funnel(session=session, actor=NATIONAL, level="annex").rows.row(0, named=True)
        annex = row["code"]
        outside = gap_people(session=session, actor=NATIONAL, gap="rnp_not_rsu", annex_code=annex, limit=10_000)
        waiting = gap_people(
            session=session, actor=NATIONAL, gap="eligible_not_enrolled", annex_code=annex, limit=10_000
        )
        enrolled_wrongly = gap_people(session=session, actor=NATIONAL, gap="enrolled_not_eligible", annex_code=annex)
    assert len(outside) >= row["gap_rnp_rsu"]  # persons elsewhere in a household count in another annex's RSU
    assert all(p.household_id is None and p.annex_code == annex for p in outside)
    assert len(waiting) == row["eligible"] - row["enrolled"]
    assert enrolled_wrongly == []  # nobody enrolled yet


def test_scope_bad_input_and_empty_reports(loaded: sessionmaker[Session]) -> None:
    province = actor(Role.SUPERVISOR_PROVINCE, PROVINCE, "province")
    with transaction(loaded) as session:
        own = funnel(session=session, actor=province, level="commune")
        assert own.rows.height > 0 and all(c.startswith(PROVINCE + ".") for c in own.rows["code"])
        with pytest.raises(NotFoundError):
            funnel(session=session, actor=province, code="04")
        with pytest.raises(NotFoundError):
            gap_people(session=session, actor=province, gap="rnp_not_rsu", annex_code="04.01.001.01")
        with pytest.raises(SijillError) as level:
            funnel(session=session, actor=NATIONAL, level="district")
        assert level.value.field == "level"
        with pytest.raises(SijillError) as gap:
            gap_people(session=session, actor=NATIONAL, gap="fraud", annex_code=f"{PROVINCE}.001.01")
        assert gap.value.field == "gap"
        nothing = funnel(session=session, actor=NATIONAL, code="12")  # a region with no one loaded
        assert nothing.empty and nothing.rows.height == 0
        with pytest.raises(SijillError):
            funnel(session=session, actor=actor(Role.ANNEX_AGENT, f"{PROVINCE}.001.01"))


def test_api_and_command_line(
    backend: str, db_url: str, loaded: sessionmaker[Session], system_actor: Actor, tmp_path: Path
) -> None:
    settings = Settings(database_url=db_url, secret_key=TEST_SECRET, token_minutes=5)
    with transaction(loaded) as session:
        create_user(session, system_actor, "province", Role.SUPERVISOR_PROVINCE, PROVINCE)
    with TestClient(create_app(settings, loaded.kw["bind"])) as client:
        token = client.post("/api/auth/token", data={"username": "province", "password": PASSWORD}).json()[
            "access_token"
        ]
        headers = {"Authorization": f"Bearer {token}"}
        report = client.get("/api/quality/funnel", params={"level": "province"}, headers=headers)
        assert report.status_code == 200 and report.json()["rows"][0]["code"] == PROVINCE
        assert client.get("/api/quality/funnel", params={"within": "04"}, headers=headers).status_code == 404
        assert client.get("/api/quality/funnel", params={"within": "x"}, headers=headers).status_code == 422
        annex = report.json()["rows"][0]["code"] + ".001.01"
        people = client.get("/api/quality/gaps/rnp_not_rsu", params={"annex": annex}, headers=headers)
        assert people.status_code == 200
    if backend != "sqlite":
        return
    csv, xlsx = tmp_path / "funnel.csv", tmp_path / "funnel.xlsx"
    assert sijill("quality", "funnel", "--level", "commune", "--out", str(csv), db_url=db_url).returncode == 0
    assert pl.read_csv(csv)["code"].str.starts_with(PROVINCE).all()
    assert sijill("quality", "funnel", "--out", str(xlsx), db_url=db_url).returncode == 0 and xlsx.stat().st_size > 0
    bad = sijill("quality", "funnel", "--level", "district", db_url=db_url)
    assert bad.returncode == 2 and "Niveau inconnu" in bad.stderr
    empty = sijill("quality", "funnel", "--within", "12", db_url=db_url)
    assert empty.returncode == 0 and "aucune donnée" in empty.stdout
