"""The demo: generated, loaded on both backends, served; what `make run` does, on a small province."""

from __future__ import annotations

from pathlib import Path

import httpx
import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.models import User
from sijill.access.roles import ACCOUNT_ROLES, Role
from sijill.child_process import free_port, sijill_process
from sijill.db import transaction
from sijill.demo import load_demo
from sijill.enrollment.models import Application
from sijill.linkage.models import PersonLink
from sijill.population.check_digits import verhoeff_valid
from sijill.population.models import Person
from sijill.programmes.models import EligibilityRun
from sijill.social_registry.models import Household
from sijill.synth.generator import SynthConfig, generate
from sijill.territory.models import TerritoryUnit
from tests.test_cli import sijill

SMALL = 3000


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate(SynthConfig(persons=SMALL, seed=11, out_dir=out, province_codes=("03.02",)))
    return out


def test_demo_loads_every_record_in_one_transaction(
    demo_files: Path, session_factory: sessionmaker[Session], system_actor: Actor
) -> None:
    with transaction(session_factory) as session:
        accounts = load_demo(session=session, actor=system_actor, out=demo_files, province="03.02")
    records = pl.read_parquet(demo_files / "persons.parquet")
    units = pl.read_parquet(demo_files / "territory.parquet")
    with session_factory() as session:
        assert session.execute(select(func.count()).select_from(Person)).scalar_one() == records.height
        annexes = set(session.execute(select(TerritoryUnit.code).where(TerritoryUnit.level == "annex")).scalars())
        assert annexes == set(units.filter(pl.col("level") == "annex")["code"])
        people_annexes = set(session.execute(select(Person.annex_code).distinct()).scalars())
        assert people_annexes <= annexes
        numbers = session.execute(select(Person.idcs)).scalars().all()
        assert len(set(numbers)) == len(numbers)
        assert all(len(n) == 10 and verhoeff_valid(n) for n in numbers)
        roles = {Role(r) for r in session.execute(select(User.role)).scalars()}
        assert roles == ACCOUNT_ROLES
        # The pipeline ran: other registries linked, every programme in force decided.
        assert session.execute(select(func.count()).select_from(PersonLink)).scalar_one() > 0
        runs = session.execute(select(EligibilityRun.programme, EligibilityRun.households)).all()
        households = session.execute(select(func.count()).select_from(Household)).scalar_one()
        assert {p for p, _ in runs} >= {"amo-tadamon", "asd"} and all(n == households for _, n in runs)
        # AMO Tadamon files in the annexes' queues, checked: most wait for validation, some to correct.
        files = dict(session.execute(select(Application.status, func.count()).group_by(Application.status)).all())
        assert (
            set(files) == {"awaiting_validation", "to_correct"} and files["awaiting_validation"] > files["to_correct"]
        )
        assert audit.verify(session).ok
    assert {a.role for a in accounts} == ACCOUNT_ROLES


def test_demo_load_failure_writes_nothing(
    demo_files: Path, session_factory: sessionmaker[Session], system_actor: Actor, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("territory.parquet",):
        (broken / name).write_bytes((demo_files / name).read_bytes())
    # persons.parquet is missing: the territory imported first must be rolled back with it.
    with pytest.raises(FileNotFoundError), transaction(session_factory) as session:
        load_demo(session=session, actor=system_actor, out=broken, province="03.02")
    with session_factory() as session:
        communes = session.execute(
            select(func.count()).select_from(TerritoryUnit).where(TerritoryUnit.level == "commune")
        ).scalar_one()
    assert communes == 0


def test_make_run_path_builds_and_serves_the_demo(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert sijill("db", "upgrade", db_url=db_url).returncode == 0
    built = sijill("demo", "--persons", str(SMALL), "--out", str(tmp_path / "files"), db_url=db_url)
    assert built.returncode == 0, built.stderr
    assert "agent-demo-2026" in built.stdout and "auditor" in built.stdout
    again = sijill("demo", "--persons", str(SMALL), "--out", str(tmp_path / "files"), "--skip-if-loaded", db_url=db_url)
    assert again.returncode == 0 and "already loaded" in again.stdout and "agent-demo-2026" in again.stdout
    refused = sijill("demo", "--persons", str(SMALL), "--out", str(tmp_path / "files"), db_url=db_url)
    assert refused.returncode == 2 and "vide" in refused.stderr

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with sijill_process(["serve", "--port", str(port)], {"SIJILL_DATABASE_URL": db_url}, f"{base}/health"):
        home = httpx.get(f"{base}/?lang=fr")
        assert home.status_code == 200 and 'dir="ltr"' in home.text
        assert 'dir="rtl"' in httpx.get(f"{base}/").text
        docs = httpx.get(f"{base}/api/docs").text
        assert "/api/docs-assets/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
        assert httpx.get(f"{base}/api/docs-assets/swagger-ui-bundle.js").status_code == 200
        token = httpx.post(f"{base}/api/auth/token", data={"username": "agent", "password": "agent-demo-2026"}).json()[
            "access_token"
        ]
        page = httpx.get(f"{base}/api/persons", headers={"Authorization": f"Bearer {token}"}).json()
        me = httpx.get(f"{base}/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert page["items"] and {p["annex_code"] for p in page["items"]} == {me["scope_code"]}
