"""Households loaded in bulk and the registry scored in batch: same rules, same scores as online."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.db import transaction
from sijill.population.bulk import load_synthetic_persons
from sijill.scoring.model import IndexModel, load_model_text, model_in_force, shipped_models
from sijill.social_registry import queries
from sijill.social_registry.batch_scoring import score_all
from sijill.social_registry.bulk_load import LoadReport, load_synthetic_households
from sijill.social_registry.models import Declaration, Household, HouseholdMember, IndexScore, ScoreEvent
from sijill.social_registry.volatility import between_models
from sijill.synth import SynthConfig, generate
from sijill.territory.service import import_territory

MODEL_FILE = Path(__file__).resolve().parents[2] / "rules" / "index-models" / "rsu-index-2026.1.yaml"


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rsu-synth")
    generate(SynthConfig(persons=6_000, seed=9, out_dir=folder, province_codes=("03.02",)))
    return folder


def _model() -> IndexModel:
    return model_in_force(shipped_models(), date(2026, 6, 1))


def _load(factory: sessionmaker[Session], actor: Actor, synth: Path) -> LoadReport:
    with transaction(factory) as session:
        units = pl.read_parquet(synth / "territory.parquet").to_dicts()
        import_territory(session=session, actor=actor, records=units, source_name="synth")
        ids = load_synthetic_persons(session=session, actor=actor, persons_file=synth / "persons.parquet")
        return load_synthetic_households(session=session, actor=actor, synth_dir=synth, person_ids=ids, model=_model())


def _count(factory: sessionmaker[Session], model: type) -> int:
    with factory() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_bulk_load_writes_households_members_declarations_and_scores(
    session_factory: sessionmaker[Session], system_actor: Actor, synth: Path
) -> None:
    report = _load(session_factory, system_actor, synth)
    assert isinstance(report, LoadReport)
    households = pl.read_parquet(synth / "households.parquet")
    assert report.households + sum(report.rejected.values()) == households.height
    assert _count(session_factory, Household) == report.households
    assert _count(session_factory, Declaration) == report.households
    assert _count(session_factory, IndexScore) == report.households
    assert _count(session_factory, HouseholdMember) == report.members
    # The score stored by the batch is the one the online explanation recomputes.
    with transaction(session_factory) as session:
        first = session.execute(select(Household.id).order_by(Household.id).limit(3)).scalars().all()
        for household_id in first:
            number = f"HH{household_id:09d}"
            read = queries.read_household(session, system_actor, number)
            explanation = queries.explain_score(session, system_actor, number)
            assert read.score is not None
            assert read.score.calculated == pytest.approx(explanation.score, abs=1e-6)
            assert read.declaration.variables["household_size"] == len(read.declaration.members)


def test_batch_scoring_scores_what_is_new_and_emits_crossings(
    session_factory: sessionmaker[Session], system_actor: Actor, synth: Path
) -> None:
    _load(session_factory, system_actor, synth)
    with transaction(session_factory) as session:
        again = score_all(session=session, actor=system_actor, model=_model())
    assert again.scored == 0 and again.events == {}
    # A new version of the model, one point of log consumption lower for everybody.
    text = MODEL_FILE.read_text(encoding="utf-8").replace("version: '2026.1'", "version: 2027.1")
    shifted = load_model_text(_shift_intercepts(text, -1.0), "m.yaml")
    assert shifted.ref == "rsu-index@2027.1"
    progress: list[tuple[int, int]] = []
    with transaction(session_factory) as session:
        report = score_all(
            session=session,
            actor=system_actor,
            model=shifted,
            chunk_declarations=500,
            progress=lambda done, total: progress.append((done, total)),
        )
    households = _count(session_factory, Household)
    assert report.scored == households
    assert progress[-1][0] == progress[-1][1] and len(progress) > 1
    with session_factory() as session:
        pairs = session.execute(
            select(Declaration.household_id, IndexScore.model, IndexScore.score)
            .join(Declaration, Declaration.id == IndexScore.declaration_id)
            .order_by(Declaration.household_id)
        ).all()
        events = session.execute(select(ScoreEvent.programme, ScoreEvent.direction, ScoreEvent.cause)).all()
    by_model: dict[str, dict[int, float]] = {}
    for household_id, model, score in pairs:
        by_model.setdefault(model, {})[household_id] = score
    old, new = by_model["rsu-index@2026.1"], by_model["rsu-index@2027.1"]
    assert all(new[h] == pytest.approx(old[h] - 1.0, abs=1e-6) for h in old)
    for programme, limit in (("amo-tadamon", 9.3264284), ("asd", 9.743001)):
        entering = sum(1 for h in old if old[h] > limit >= new[h])
        assert sum(1 for e in events if e == (programme, "entered", "model")) == entering
        assert report.events.get(programme, 0) == entering
    assert not any(direction == "left" for _, direction, _ in events)
    with transaction(session_factory) as session:
        moved = between_models(session, system_actor, "rsu-index@2026.1", "rsu-index@2027.1")
    assert moved.households == households and moved.mean_absolute_change == pytest.approx(1.0, abs=1e-4)
    assert moved.entering == report.events | {p: 0 for p in ("amo-tadamon", "asd") if p not in report.events}


def _shift_intercepts(text: str, by: float) -> str:
    lines = []
    for line in text.splitlines():
        if line.strip().startswith("intercept:"):
            value = float(line.split(":", 1)[1])
            line = line.split(":", 1)[0] + f": {value + by}"
        lines.append(line)
    return "\n".join(lines)


def _forget_some_vectors(factory: sessionmaker[Session]) -> None:
    """Forms as written before vectors existed (no vector) or damaged (a vector of another width):
    the form row is immutable, so the test lifts the guard for this one change."""
    with transaction(factory) as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            session.execute(text("ALTER TABLE declaration_form DISABLE TRIGGER declaration_form_immutable"))
        else:
            session.execute(text("DROP TRIGGER declaration_form_no_update"))
        session.execute(text("UPDATE declaration_form SET packed_variables = NULL WHERE declaration_id % 3 = 0"))
        session.execute(
            text(
                "UPDATE declaration_form SET packed_variables = substr(packed_variables, 1, 8) "
                "WHERE declaration_id % 3 = 1"
            )
        )
        if postgres:
            session.execute(text("ALTER TABLE declaration_form ENABLE TRIGGER declaration_form_immutable"))


def _scores_by_declaration(factory: sessionmaker[Session], model_ref: str) -> dict[int, float]:
    with factory() as session:
        rows = session.execute(select(IndexScore.declaration_id, IndexScore.score).where(IndexScore.model == model_ref))
        return {declaration_id: score for declaration_id, score in rows}


@pytest.mark.parametrize("change", ["forms without a vector", "another questionnaire version"])
def test_forms_read_by_name_score_as_the_packed_ones_did(
    session_factory: sessionmaker[Session], system_actor: Actor, synth: Path, change: str
) -> None:
    _load(session_factory, system_actor, synth)
    loaded = _model()
    if change == "forms without a vector":
        _forget_some_vectors(session_factory)
        again = replace(loaded, version="2027.1")
    else:
        # The registry's declarations were written under 2026.1; a model reading a later version of
        # the questionnaire finds no vector in its layout and reads every form by name.
        again = replace(loaded, version="2027.1", questionnaire=replace(loaded.questionnaire, version="2027.1"))
    with transaction(session_factory) as session:
        report = score_all(session=session, actor=system_actor, model=again, chunk_declarations=700)
    before = _scores_by_declaration(session_factory, loaded.ref)
    after = _scores_by_declaration(session_factory, again.ref)
    assert report.scored == len(before) == len(after) and report.events == {}
    assert all(after[d] == pytest.approx(before[d], abs=1e-6) for d in before)
