"""`sijill demo`: one synthetic province loaded end to end, with one account per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.access import service as access_service
from sijill.access.actor import Actor
from sijill.access.models import User
from sijill.access.roles import Role
from sijill.access.schemas import UserIn
from sijill.cli_support import cli_actor, cli_transaction, console
from sijill.enrollment.household_forms import eligible_household_forms
from sijill.enrollment.service import check_received, receive
from sijill.errors import SijillError, Text
from sijill.linkage.register_dedup import run_register_dedup
from sijill.linkage.registries import REGISTRIES, import_registry
from sijill.linkage.registry_linkage import link_registry
from sijill.population.bulk import load_synthetic_persons
from sijill.population.models import Person
from sijill.programmes.service import run_eligibility
from sijill.quality.run import run_quality
from sijill.scoring.model import model_in_force, shipped_models
from sijill.social_registry.bulk_load import load_synthetic_households
from sijill.synth.runner import run_synth
from sijill.territory import service as territory_service


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    role: Role
    scope_code: str | None
    password: str


def demo_password(username: str) -> str:
    # Published on purpose: these accounts exist only in a synthetic demo database.
    return f"{username}-demo-2026"


def demo_accounts(province: str, region: str, annexes: list[str]) -> list[DemoAccount]:
    """One account per role; two annex agents so territorial isolation can be tried by hand."""

    password = demo_password
    return [
        DemoAccount("admin", Role.ADMIN, None, password("admin")),
        DemoAccount("agent", Role.ANNEX_AGENT, annexes[0], password("agent")),
        DemoAccount("agent2", Role.ANNEX_AGENT, annexes[1], password("agent2")),
        DemoAccount("reviewer", Role.REVIEWER, province, password("reviewer")),
        DemoAccount("sup_province", Role.SUPERVISOR_PROVINCE, province, password("sup_province")),
        DemoAccount("sup_region", Role.SUPERVISOR_REGION, region, password("sup_region")),
        DemoAccount("sup_national", Role.SUPERVISOR_NATIONAL, None, password("sup_national")),
        DemoAccount("operator", Role.PROGRAMME_OPERATOR, None, password("operator")),
        DemoAccount("analyst", Role.POLICY_ANALYST, None, password("analyst")),
        DemoAccount("auditor", Role.AUDITOR, None, password("auditor")),
    ]


# AMO Tadamon forms taken at the annexes, so the queues have files; one in five with an address the
# household did not declare, so there are files to correct too.
DEMO_APPLICATIONS = 60


def _take_applications(session: Session, actor: Actor) -> None:
    forms = eligible_household_forms(session.connection(), "amo-tadamon", date.today(), DEMO_APPLICATIONS)
    for number, form in enumerate(forms):
        if number % 5 == 4:
            form = {**form, "address": "adresse à vérifier"}
        receive(session, actor, workflow="amo-tadamon", form=form, channel="annex")
    while check_received(session, actor):
        pass


def load_demo(*, session: Session, actor: Actor, out: Path, province: str) -> list[DemoAccount]:
    """Load generated files into the database in the caller's single transaction."""
    territory_service.load_reference(session=session, actor=actor)
    units = pl.read_parquet(out / "territory.parquet")
    territory_service.import_territory(
        session=session, actor=actor, records=units.to_dicts(), source_name="territory.parquet"
    )
    person_ids = load_synthetic_persons(session=session, actor=actor, persons_file=out / "persons.parquet")
    load_synthetic_households(
        session=session,
        actor=actor,
        synth_dir=out,
        person_ids=person_ids,
        model=model_in_force(shipped_models(), date.today()),
    )
    for registry in REGISTRIES:
        import_registry(
            session=session, actor=actor, registry=registry, path=out / "registries" / f"{registry}.parquet"
        )
        # The records no identifier placed, linked by the model: exclusions then read them too.
        link_registry(session=session, actor=actor, registry=registry)
    # The reviewers' queue of likely duplicates, and the model the registration desk then uses.
    run_register_dedup(session=session, actor=actor)
    run_eligibility(session=session, actor=actor, as_of=date.today())
    _take_applications(session, actor)
    # The day's data-quality alerts (one-person households, deregistrations before declaring).
    run_quality(session=session, actor=actor)
    annexes = units.filter(pl.col("level") == "annex").sort("code")["code"].to_list()
    accounts = demo_accounts(province, province.split(".")[0], annexes)
    for account in accounts:
        access_service.create_user(
            session=session,
            actor=actor,
            data=UserIn(
                username=account.username,
                full_name=f"Demo {account.role.value}",
                password=account.password,
                role=account.role,
                scope_code=account.scope_code,
                language="ar",
            ),
        )
    return accounts


def _stored_demo_accounts(session: Session) -> list[DemoAccount]:
    """The demo accounts already in the database, with their well-known demo passwords."""
    names = [a.username for a in demo_accounts("", "", ["", ""])]
    users = session.execute(select(User).where(User.username.in_(names)).order_by(User.id)).scalars()
    return [DemoAccount(u.username, Role(u.role), u.scope_code, demo_password(u.username)) for u in users]


def build_demo(*, out: Path, persons: int, seed: int, province: str, skip_if_loaded: bool) -> None:
    with cli_transaction() as session:
        loaded = session.execute(select(func.count()).select_from(Person)).scalar_one()
        if loaded and skip_if_loaded:
            console.print(f"demo already loaded ({loaded:,} persons); not generating again")
            _print_accounts(_stored_demo_accounts(session))
            return
    if loaded:
        raise SijillError(
            code="demo_database_not_empty",
            message=Text(
                ar="قاعدة البيانات تحتوي على أشخاص مسجلين؛ العرض يحتاج قاعدة فارغة",
                fr="La base contient déjà des personnes ; la démo exige une base vide",
                en="database already holds persons; the demo needs an empty one",
            ),
            fix=Text(
                ar="استعملوا --skip-if-loaded أو قاعدة جديدة (SIJILL_DATABASE_URL)",
                fr="Utilisez --skip-if-loaded ou une nouvelle base (SIJILL_DATABASE_URL)",
                en="use --skip-if-loaded or a new database (SIJILL_DATABASE_URL)",
            ),
        )
    run_synth(persons=persons, seed=seed, out=out, provinces=[province], quiet=False)
    with cli_transaction() as session:
        accounts = load_demo(session=session, actor=cli_actor(), out=out, province=province)
    _print_accounts(accounts)


def _print_accounts(accounts: list[DemoAccount]) -> None:
    table = Table("user", "role", "scope", "password", title="Demo accounts / حسابات العرض / comptes de démo")
    for account in accounts:
        table.add_row(account.username, account.role.value, account.scope_code or "national", account.password)
    console.print(table)
