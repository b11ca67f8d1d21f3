"""The national run: every household decided by the same rule as at the counter, stored with its
breakdown and inputs, summarised by region, and the same again on unchanged inputs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.db import transaction
from sijill.errors import ForbiddenError, SijillError
from sijill.linkage.registries import REGISTRIES, import_registry
from sijill.population.bulk import load_synthetic_persons
from sijill.programmes.models import EligibilityDecision, EligibilityRun, EligibilitySnapshot, SnapshotHousehold
from sijill.programmes.queries import household_eligibility
from sijill.programmes.service import RunReport, run_eligibility
from sijill.programmes.simulate import SimulationReport, simulate
from sijill.scoring.model import model_in_force, shipped_models
from sijill.social_registry.bulk_load import load_synthetic_households
from sijill.social_registry.models import Household, SyntheticTruth, household_number
from sijill.synth import SynthConfig, generate
from sijill.territory.service import import_territory
from tests.conftest import actor
from tests.test_cli import sijill

DAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("eligibility-synth")
    generate(SynthConfig(persons=5_000, seed=21, out_dir=folder, province_codes=("03.02",)))
    return folder


@pytest.fixture
def registry(session_factory: sessionmaker[Session], system_actor: Actor, synth: Path) -> sessionmaker[Session]:
    with transaction(session_factory) as session:
        units = pl.read_parquet(synth / "territory.parquet").to_dicts()
        import_territory(session=session, actor=system_actor, records=units, source_name="synth")
        ids = load_synthetic_persons(session=session, actor=system_actor, persons_file=synth / "persons.parquet")
        model = model_in_force(shipped_models(), DAY)
        load_synthetic_households(session=session, actor=system_actor, synth_dir=synth, person_ids=ids, model=model)
        for name in REGISTRIES:
            import_registry(
                session=session, actor=system_actor, registry=name, path=synth / "registries" / f"{name}.parquet"
            )
    return session_factory


def _stored(factory: sessionmaker[Session], run_id: int) -> pl.DataFrame:
    with factory() as session:
        rows = session.execute(
            select(
                EligibilityDecision.household_id,
                EligibilityDecision.status,
                EligibilityDecision.reasons,
                EligibilityDecision.amount,
                EligibilityDecision.amount_once,
                EligibilityDecision.breakdown,
                SnapshotHousehold.inputs,
            )
            .join(EligibilityRun, EligibilityRun.id == EligibilityDecision.run_id)
            .join(
                SnapshotHousehold,
                (SnapshotHousehold.snapshot_id == EligibilityRun.snapshot_id)
                & (SnapshotHousehold.household_id == EligibilityDecision.household_id),
            )
            .where(EligibilityDecision.run_id == run_id)
        ).all()
    frame = pl.DataFrame(
        [(h, s, r, a, o, json.dumps(b, sort_keys=True), json.dumps(i, sort_keys=True)) for h, s, r, a, o, b, i in rows],
        schema=["household_id", "status", "reasons", "amount", "amount_once", "breakdown", "inputs"],
        orient="row",
    )
    return frame.sort("household_id")


def test_every_household_is_decided_as_at_the_counter_and_again_alike(
    registry: sessionmaker[Session], system_actor: Actor
) -> None:
    with transaction(registry) as session:
        reports = run_eligibility(session=session, actor=system_actor, as_of=DAY)
    with registry() as session:
        households = int(session.execute(select(func.count()).select_from(Household)).scalar_one())
    by_programme = {r.programme: r for r in reports}
    assert set(by_programme) == {"amo-tadamon", "amo-achamil", "asd", "daam", "vocational-grant", "university-grant"}
    for report in reports:
        assert report.households == households
        assert report.eligible + report.not_eligible + report.not_decidable == households
        assert sum(row["households"] for row in report.summary) == households
        assert sum(row["eligible"] for row in report.summary) == report.eligible
        assert report.model == "rsu-index@2026.1" and report.not_decidable == 0
    asd, tadamon = by_programme["asd"], by_programme["amo-tadamon"]
    assert 0 < tadamon.eligible < asd.eligible < households
    stored = _stored(registry, asd.run_id)
    assert stored.height == households
    with registry() as session:
        # One snapshot of the inputs for the six programmes decided on them.
        assert session.execute(select(func.count()).select_from(EligibilitySnapshot)).scalar_one() == 1
        snapshot = session.execute(select(SnapshotHousehold.inputs).limit(1)).scalar_one()
    assert {"person_id", "relationship", "age", "in_school"} <= set(snapshot["members"][0])
    eligible = stored.filter(pl.col("status") == "eligible")
    assert eligible["amount"].min() >= 500  # type: ignore[operator]
    assert round(eligible["amount"].sum(), 2) == round(asd.amount, 2)
    # Exclusions come from the imported registries, with the record behind each.
    tadamon_rows = _stored(registry, tadamon.run_id)
    covered = tadamon_rows.filter(pl.col("reasons").str.contains("already_covered"))
    assert covered.height > 0
    assert all('"registry":"other_health_cover"' in b.replace(" ", "") for b in covered["breakdown"])

    # The counter's answer for a sample of households is the stored one.
    sample = stored.sample(25, seed=3).sort("household_id")
    with transaction(registry) as session:
        for row in sample.iter_rows(named=True):
            online = household_eligibility(
                session, system_actor, household_number(row["household_id"]), as_of=DAY, programme="asd"
            )[0]
            assert online.status == row["status"]
            assert ",".join(r.code for r in online.reasons) == row["reasons"]
            assert online.amount == row["amount"] and online.amount_once == row["amount_once"]

    # Unchanged inputs, same decisions.
    with transaction(registry) as session:
        again = run_eligibility(session=session, actor=system_actor, as_of=DAY, programme="asd")
    assert again[0].run_id != asd.run_id
    assert _stored(registry, again[0].run_id).equals(stored)


def test_runs_are_for_administrators_and_refuse_unknown_programmes_and_days(
    registry: sessionmaker[Session], system_actor: Actor
) -> None:
    with transaction(registry) as session:
        with pytest.raises(ForbiddenError):
            run_eligibility(session=session, actor=actor(Role.SUPERVISOR_NATIONAL, None), as_of=DAY)
        with pytest.raises(SijillError) as unknown:
            run_eligibility(session=session, actor=system_actor, as_of=DAY, programme="ramed")
        with pytest.raises(SijillError) as too_early:
            run_eligibility(session=session, actor=system_actor, as_of=date(2023, 1, 1), programme="asd")
    assert unknown.value.code == "unknown_programme" and too_early.value.code == "no_rule_in_force"
    with registry() as session:
        assert session.execute(select(func.count()).select_from(EligibilityRun)).scalar_one() == 0


def test_command_line_runs_shows_and_checks(
    registry: sessionmaker[Session], db_url: str, backend: str, tmp_path: Path
) -> None:
    if backend != "sqlite":
        pytest.skip("the command line is exercised once, on SQLite")
    done = sijill("eligibility", "run", "--programme", "asd", "--as-of", "2026-06-01", db_url=db_url)
    assert done.returncode == 0, done.stderr
    assert "asd@2026-01 as of 2026-06-01" in done.stdout and "all" in done.stdout
    with registry() as session:
        first = session.execute(select(Household.id).order_by(Household.id).limit(1)).scalar_one()
    shown = sijill("eligibility", "show", household_number(first), "--as-of", "2026-06-01", db_url=db_url)
    assert shown.returncode == 0, shown.stderr
    assert {d["programme"] for d in json.loads(shown.stdout)} >= {"asd", "amo-tadamon"}
    unknown = sijill("eligibility", "run", "--programme", "ramed", db_url=db_url)
    assert unknown.returncode == 2 and "Programme inconnu" in unknown.stderr and "Traceback" not in unknown.stderr
    bad_day = sijill("eligibility", "show", household_number(first), "--as-of", "June", db_url=db_url)
    assert bad_day.returncode == 2 and "AAAA-MM-JJ" in bad_day.stderr
    simulated = sijill("simulate", "--programme", "asd", "--threshold", "9.9", "--as-of", "2026-06-01", db_url=db_url)
    assert simulated.returncode == 0, simulated.stderr
    assert "asd@2026-01 → asd@2026-01+threshold-9.9" in simulated.stdout
    assert "Against the true consumption, poverty line 9.743001" in simulated.stdout
    bad_line = sijill("simulate", "--programme", "asd", "--poverty-line", "40", db_url=db_url)
    assert bad_line.returncode == 2 and "poverty_line" in bad_line.stderr and "Traceback" not in bad_line.stderr
    no_threshold = sijill("simulate", "--programme", "amo-achamil", "--threshold", "9.9", db_url=db_url)
    assert no_threshold.returncode == 2 and "seuil" in no_threshold.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: x\nversion: '1'\neffective_from: 2026-01-01\nsource: s\nname: {ar: a, fr: b}\nkind: cover\n"
        "eligible_when:\n  all:\n    - index: {at_most: 9}\n      reason: r\nreasons: {}\n",
        encoding="utf-8",
    )
    checked = sijill("programmes", "check", str(broken), db_url=db_url)
    assert checked.returncode == 2 and "broken.yaml:10" in checked.stderr


def _asd_at_9_9(registry: sessionmaker[Session], system_actor: Actor) -> tuple[SimulationReport, RunReport]:
    """ASD simulated at a threshold of 9.9, and the rule in force run and stored."""
    analyst = actor(Role.POLICY_ANALYST, None, "analyst")
    with transaction(registry) as session:
        report = simulate(session=session, actor=analyst, programme="asd", as_of=DAY, threshold=9.9)
        base = run_eligibility(session=session, actor=system_actor, as_of=DAY, programme="asd")[0]
    return report, base


def test_a_higher_threshold_brings_in_those_just_above_and_costs_their_amounts(
    registry: sessionmaker[Session], system_actor: Actor
) -> None:
    report, base = _asd_at_9_9(registry, system_actor)
    decisions = _stored(registry, base.run_id)
    with registry() as session:
        indexes = dict(session.execute(select(EligibilityDecision.household_id, EligibilityDecision.index)).all())
    # Refused for their index alone, and at most 9.9: exactly those come in.
    just_above = decisions.filter(
        (pl.col("reasons") == "index_above_threshold")
        & pl.col("household_id").replace_strict(indexes, return_dtype=pl.Float64).le(9.9)
    )
    totals = report.totals
    assert (report.rule, report.scenario) == ("asd@2026-01", "asd@2026-01+threshold-9.9")
    assert totals["households_in"] == just_above.height > 0 and totals["households_out"] == 0
    assert totals["households_before"] == base.eligible
    assert totals["households_after"] == base.eligible + just_above.height
    assert totals["amount_before"] == round(base.amount, 2) and totals["amount_after"] > totals["amount_before"]
    assert sum(row["households_in"] for row in report.rows) == totals["households_in"]
    analyst = actor(Role.POLICY_ANALYST, None, "analyst")
    with transaction(registry) as session:
        lower = simulate(session=session, actor=analyst, programme="asd", as_of=DAY, threshold=9.3)
        older = simulate(session=session, actor=analyst, programme="asd", as_of=DAY, schedule=2025)
    assert lower.totals["households_in"] == 0 and lower.totals["households_out"] > 0
    # The 2025 amounts on today's registry: same households, less money.
    assert older.totals["households_in"] == older.totals["households_out"] == 0
    assert older.totals["amount_after"] < older.totals["amount_before"]


def test_simulation_refuses_agents_and_bad_scenarios(registry: sessionmaker[Session]) -> None:
    analyst = actor(Role.POLICY_ANALYST, None, "analyst")
    with transaction(registry) as session:
        with pytest.raises(ForbiddenError):
            simulate(session=session, actor=actor(Role.ANNEX_AGENT, "03.02.001.01"), programme="asd", as_of=DAY)
        for changes, code in (
            ({"threshold": -1.0}, "invalid"),
            ({"schedule": 2031}, "unknown_schedule"),
            ({"threshold": 9.0, "programme": "amo-achamil"}, "invalid"),
        ):
            arguments: dict[str, Any] = {"programme": "asd", **changes}
            with pytest.raises(SijillError) as caught:
                simulate(session=session, actor=analyst, as_of=DAY, **arguments)
            assert caught.value.code.startswith(code) and caught.value.message.fr


def _truth(factory: sessionmaker[Session]) -> dict[int, float]:
    with factory() as session:
        return dict(session.execute(select(SyntheticTruth.household_id, SyntheticTruth.log_consumption)).all())


def test_every_generated_household_keeps_its_true_consumption(registry: sessionmaker[Session], synth: Path) -> None:
    truth = _truth(registry)
    with registry() as session:
        households = set(session.execute(select(Household.id)).scalars())
    generated = pl.read_parquet(synth / "truth" / "households.parquet")
    # Households the load refused (a member unknown, a declarant minor...) have no truth either.
    assert set(truth) == households and 0 < len(truth) <= generated.height
    assert set(truth.values()) <= set(generated["log_consumption"])


def test_errors_against_the_true_consumption_are_those_of_the_stored_decisions(
    registry: sessionmaker[Session], system_actor: Actor
) -> None:
    report, base = _asd_at_9_9(registry, system_actor)
    truth = _truth(registry)
    line = 9.743001  # the line is the threshold of the rule in force
    decisions = _stored(registry, base.run_id).with_columns(
        pl.col("household_id").replace_strict(truth, return_dtype=pl.Float64).alias("log_consumption")
    )
    poor = pl.col("log_consumption") <= line
    eligible = pl.col("status") == "eligible"
    assert report.truth is not None
    assert (report.truth.poverty_line, report.truth.households) == (line, len(truth))
    assert report.truth.poor == decisions.filter(poor).height > 0
    before = report.truth.before
    assert before.eligible == base.eligible
    assert before.inclusion_errors == decisions.filter(eligible & ~poor).height
    assert before.exclusion_errors == decisions.filter(poor & ~eligible).height
    assert before.inclusion_error_rate == round(before.inclusion_errors / base.eligible, 4)
    assert before.exclusion_error_rate == round(before.exclusion_errors / report.truth.poor, 4)
    # A proxy-means test misses some poor and reaches some who are not: both errors exist.
    assert 0 < before.inclusion_error_rate < 1 and 0 < before.exclusion_error_rate < 1
    # Raising the threshold against the same line reaches more of the poor and more of the others.
    after = report.truth.after
    assert after.eligible == report.totals["households_after"]
    assert after.exclusion_errors < before.exclusion_errors and after.inclusion_errors > before.inclusion_errors
    assert sum(r["poor"] for r in report.rows) == report.truth.poor
    assert sum(r["exclusion_errors_after"] for r in report.rows) == after.exclusion_errors


def test_the_poverty_line_can_be_chosen_and_programmes_without_a_threshold_need_one(
    registry: sessionmaker[Session],
) -> None:
    analyst = actor(Role.POLICY_ANALYST, None, "analyst")
    truth = _truth(registry)
    with transaction(registry) as session:
        higher = simulate(session=session, actor=analyst, programme="asd", as_of=DAY, poverty_line=10.5)
        achamil = simulate(session=session, actor=analyst, programme="amo-achamil", as_of=DAY)
        achamil_line = simulate(session=session, actor=analyst, programme="amo-achamil", as_of=DAY, poverty_line=9.3)
        with pytest.raises(SijillError) as caught:
            simulate(session=session, actor=analyst, programme="asd", as_of=DAY, poverty_line=0.0)
    assert higher.truth is not None and higher.truth.poverty_line == 10.5
    assert higher.truth.poor == sum(1 for v in truth.values() if v <= 10.5)
    # Unchanged rule: both sides alike.
    assert higher.truth.before == higher.truth.after
    assert caught.value.field == "poverty_line" and caught.value.message.ar
    # AMO Achamil has no ceiling to read a line from: no errors unless one is given.
    assert achamil.truth is None and "poor" not in achamil.totals
    assert achamil_line.truth is not None and achamil_line.truth.poverty_line == 9.3
