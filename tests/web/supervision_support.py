"""Data behind the supervisors' and the analyst's pages, built through the services: a generated
registry in province 03.02 (the supervisors' own) and 04.04 (another region's), its AMO Tadamon
eligibility and a daily quality run; and files waiting at annex A and in the other province."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.db import transaction
from sijill.enrollment.models import Application
from sijill.enrollment.service import check_received, receive
from sijill.population.bulk import load_synthetic_persons
from sijill.programmes.service import run_eligibility
from sijill.quality.run import run_quality
from sijill.scoring.model import model_in_force, shipped_models
from sijill.social_registry.bulk_load import load_synthetic_households
from sijill.social_registry.schemas import HouseholdIn
from sijill.social_registry.service import declare_household
from sijill.synth import SynthConfig, generate
from sijill.territory.service import import_territory
from tests.conftest import SYSTEM, actor
from tests.enrollment.support import application_form, declare_family, submitted, transmit_in_process
from tests.factories import ANNEX_OTHER_PROVINCE, UNITS
from tests.social_registry.support import add_person, form, member

PROVINCES = ("03.02", "04.04")
AS_OF = date(2026, 6, 1)
# The annexes the generator makes in 04.04: a province supervisor of 03.02 must see none of them.
OTHER_PROVINCE = "04.04"


def generate_registry(folder: Path) -> Path:
    generate(SynthConfig(persons=3_000, seed=9, out_dir=folder, province_codes=PROVINCES))
    return folder


def load_registry(factory: sessionmaker[Session], synth: Path, *, quality_runs: int = 1) -> None:
    """The generated registry on top of the seeded world (whose units the generator shares),
    decided for AMO Tadamon, then checked by ``quality_runs`` daily quality runs."""
    known = {unit["code"] for unit in UNITS}
    with transaction(factory) as session:
        units = [u for u in pl.read_parquet(synth / "territory.parquet").to_dicts() if u["code"] not in known]
        import_territory(session=session, actor=SYSTEM, records=units, source_name="synth")
        ids = load_synthetic_persons(session=session, actor=SYSTEM, persons_file=synth / "persons.parquet")
        model = model_in_force(shipped_models(), AS_OF)
        load_synthetic_households(session=session, actor=SYSTEM, synth_dir=synth, person_ids=ids, model=model)
    with transaction(factory) as session:
        run_eligibility(session=session, actor=SYSTEM, as_of=AS_OF, programme="amo-tadamon")
    for _ in range(quality_runs):
        with transaction(factory) as session:
            run_quality(session=session, actor=SYSTEM)


def open_files(factory: sessionmaker[Session], store: Path) -> dict[str, str]:
    """At annex A: one file past the operator's deadline, one waiting three days at the annex;
    in the other province, one file waiting at its annex."""
    with transaction(factory) as session:
        for prefix in ("71", "72"):
            declare_family(session, SYSTEM, prefix=prefix)
        _family_elsewhere(session)
    made = {"late": submitted(factory, "71")}
    assert transmit_in_process(factory, store) == 1
    made["waiting"] = submitted(factory, "72", validated=False)
    elsewhere = actor(Role.ANNEX_AGENT, ANNEX_OTHER_PROVINCE, "agent_k")
    with transaction(factory) as session:
        received = receive(session, elsewhere, workflow="amo-tadamon", form=application_form("79"), channel="annex")
        check_received(session, elsewhere, [received.application_id])
        made["elsewhere"] = received.receipt
    now = datetime.now(UTC)
    with transaction(factory) as session:
        session.execute(
            update(Application)
            .where(Application.receipt == made["late"])
            .values(due_on=now.date() - timedelta(days=4), transmitted_at=now - timedelta(days=34))
        )
        session.execute(
            update(Application)
            .where(Application.receipt == made["waiting"])
            .values(received_at=now - timedelta(days=3))
        )
    return made


def _family_elsewhere(session: Session) -> None:
    """A head, a spouse and a child in the other province, left with the index the model gives."""
    head, spouse, child = (f"790000000{n}" for n in (1, 2, 3))
    add_person(session, head, ANNEX_OTHER_PROVINCE, sex="M", born=date(1975, 1, 1)).phone = "+212612345678"
    add_person(session, spouse, ANNEX_OTHER_PROVINCE, born=date(1980, 2, 2))
    add_person(session, child, ANNEX_OTHER_PROVINCE, born=date(2015, 3, 3))
    members = [member(head, "head"), member(spouse, "spouse"), member(child, "child", in_school=True, occupation=None)]
    declare_household(
        session=session, actor=SYSTEM, data=HouseholdIn.model_validate(form(ANNEX_OTHER_PROVINCE, members))
    )


def analyst() -> Actor:
    return actor(Role.POLICY_ANALYST, None, "analyst")
