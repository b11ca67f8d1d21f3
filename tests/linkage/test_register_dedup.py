"""The register's deduplication: runs, the review queue, decisions, scope and the memory of "different"."""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.models import AuditEntry
from sijill.access.roles import Role
from sijill.db import transaction
from sijill.errors import ForbiddenError, NotFoundError, SijillError
from sijill.linkage.models import DifferentPersons, DuplicatePair
from sijill.linkage.register_dedup import decide_pair, review_queue, run_register_dedup, show_pair
from sijill.population.candidates import Candidate, NameKeys, find_candidates
from sijill.population.checks import checked_record
from sijill.population.models import Person, RegistrationCandidate
from sijill.population.registration import register_person
from sijill.population.schemas import PersonIn
from sijill.synth import SynthConfig, generate
from tests.conftest import actor
from tests.linkage.support import load_register

pytestmark = pytest.mark.slow
PROVINCE = "03.02"


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dedup-synth")
    generate(SynthConfig(persons=6_000, seed=5, out_dir=folder, province_codes=(PROVINCE,)))
    return folder


@pytest.fixture
def register(session_factory: sessionmaker[Session], system_actor: Actor, synth: Path) -> pl.DataFrame:
    """The generated register loaded; returns true pairs as (person_a_id, person_b_id)."""
    of = load_register(session_factory, system_actor, synth)
    truth = pl.read_parquet(synth / "truth" / "duplicates.parquet")
    pairs = truth.join(of, on="record_id").join(
        of.rename({"record_id": "original_record_id", "person_id": "original"}), on="original_record_id"
    )
    return pairs.select(
        pl.min_horizontal("person_id", "original").alias("person_a_id"),
        pl.max_horizontal("person_id", "original").alias("person_b_id"),
    )


ADMIN = actor(Role.ADMIN, None, "admin")
REVIEWER = actor(Role.REVIEWER, None, "reviewer")


def _open_pairs(session: Session) -> pl.DataFrame:
    rows = session.execute(
        select(DuplicatePair.person_a_id, DuplicatePair.person_b_id).where(DuplicatePair.status == "open")
    ).all()
    return pl.DataFrame(rows, schema={"person_a_id": pl.Int64, "person_b_id": pl.Int64}, orient="row")


def test_a_run_queues_the_generated_duplicates_with_their_evidence(
    session_factory: sessionmaker[Session], register: pl.DataFrame
) -> None:
    with transaction(session_factory) as session:
        run = run_register_dedup(session=session, actor=ADMIN)
    with session_factory() as session:
        proposed = _open_pairs(session)
        found = proposed.join(register, on=["person_a_id", "person_b_id"], how="semi").height
        assert run.pairs_proposed == proposed.height > 0
        assert found / proposed.height >= 0.97  # precision of what reviewers are shown
        assert found / register.height >= 0.95  # the generated duplicates found
        # Deceased records are not deduplicated (the merged ones point to their survivor already).
        active = session.scalar(select(func.count()).select_from(Person).where(Person.status == "active"))
        assert run.records == active
        assert run.model["comparisons"] and run.blocking["rules"]
        pair = session.execute(select(DuplicatePair).limit(1)).scalar_one()
        assert {"given_name", "birth_date"} <= set(pair.evidence) and pair.match_probability >= run.threshold
        traced = session.execute(select(AuditEntry).where(AuditEntry.action == "linkage.dedup_run")).scalar_one()
        assert json.loads(traced.details)["pairs"] == run.pairs_proposed


def test_reviewers_see_only_pairs_of_their_territory(
    session_factory: sessionmaker[Session], register: pl.DataFrame
) -> None:
    with transaction(session_factory) as session:
        run_register_dedup(session=session, actor=ADMIN)
    with transaction(session_factory) as session:
        everything = review_queue(session=session, actor=REVIEWER, limit=10_000)
        commune = everything[0].person_a.annex_code.rsplit(".", 1)[0]
        local = actor(Role.REVIEWER, commune, "local")
        mine = review_queue(session=session, actor=local, limit=10_000)
        assert 0 < len(mine) < len(everything)
        for view in mine:
            assert view.person_a.annex_code.startswith(commune + ".") and view.person_b.annex_code.startswith(
                commune + "."
            )
        elsewhere = next(v for v in everything if not v.person_a.annex_code.startswith(commune + "."))
        with pytest.raises(NotFoundError):
            show_pair(session=session, actor=local, pair_id=elsewhere.pair.id)
        with pytest.raises(NotFoundError):
            decide_pair(session=session, actor=local, pair_id=elsewhere.pair.id, decision="different", reason="checked")
        assert [v.pair.match_probability for v in everything] == sorted(
            (v.pair.match_probability for v in everything), reverse=True
        )


def test_same_merges_the_records_and_different_is_never_proposed_again(
    session_factory: sessionmaker[Session], register: pl.DataFrame
) -> None:
    with transaction(session_factory) as session:
        run_register_dedup(session=session, actor=ADMIN)
    with transaction(session_factory) as session:
        first, second = review_queue(session=session, actor=REVIEWER, limit=2)
        merged = decide_pair(
            session=session,
            actor=REVIEWER,
            pair_id=first.pair.id,
            decision="same",
            reason="same CIN on the card",
            survivor_idcs=first.person_b.idcs,
        )
        different = decide_pair(
            session=session, actor=REVIEWER, pair_id=second.pair.id, decision="different", reason="twins"
        )
    with session_factory() as session:
        loser = session.get(Person, first.pair.person_a_id)
        assert loser is not None and loser.status == "merged" and loser.merged_into_id == first.pair.person_b_id
        assert merged.pair.status == "same" and merged.pair.merge_id is not None
        assert different.pair.status == "different"
        remembered = session.get(DifferentPersons, (second.pair.person_a_id, second.pair.person_b_id))
        assert remembered is not None and remembered.reason == "twins" and remembered.decided_by == "reviewer"
    # Deciding again is refused; a new run does not propose the pair said to be two persons.
    with transaction(session_factory) as session, pytest.raises(SijillError) as again:
        decide_pair(session=session, actor=REVIEWER, pair_id=second.pair.id, decision="same", reason="changed my mind")
    assert again.value.status == 409
    with transaction(session_factory) as session:
        rerun = run_register_dedup(session=session, actor=ADMIN)
    with session_factory() as session:
        proposed = _open_pairs(session)
        key = (second.pair.person_a_id, second.pair.person_b_id)
        assert key not in set(proposed.rows())
        assert rerun.pairs_known_different >= 1
        # The merged record is no longer active, so no pair of the new run involves it.
        assert first.pair.person_a_id not in set(proposed["person_a_id"]) | set(proposed["person_b_id"])
        # The first run's pairs still open were replaced by the new run's.
        statuses = dict(
            session.execute(select(DuplicatePair.status, func.count()).group_by(DuplicatePair.status)).all()
        )
        assert statuses["superseded"] > 0


@pytest.mark.parametrize(
    ("decision", "reason", "survivor", "field"),
    [
        ("maybe", "checked", None, "decision"),
        ("same", "  ", None, "reason"),
        ("same", "checked", "1234567890", "survivor_idcs"),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(
    session_factory: sessionmaker[Session],
    register: pl.DataFrame,
    decision: str,
    reason: str,
    survivor: str | None,
    field: str,
) -> None:
    with transaction(session_factory) as session:
        run_register_dedup(session=session, actor=ADMIN)
    with transaction(session_factory) as session:
        pair = review_queue(session=session, actor=REVIEWER, limit=1)[0].pair.id
    with transaction(session_factory) as session, pytest.raises(SijillError) as refused:
        decide_pair(
            session=session, actor=REVIEWER, pair_id=pair, decision=decision, reason=reason, survivor_idcs=survivor
        )
    assert refused.value.field == field and refused.value.status == 422
    with session_factory() as session:
        assert session.get(DuplicatePair, pair).status == "open"  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(Person).where(Person.status == "merged")) == 0


def test_agents_neither_run_nor_review(session_factory: sessionmaker[Session], register: pl.DataFrame) -> None:
    agent = actor(Role.ANNEX_AGENT, "03.02.001.01", "agent")
    with transaction(session_factory) as session:
        with pytest.raises(ForbiddenError):
            run_register_dedup(session=session, actor=agent)
        with pytest.raises(ForbiddenError):
            run_register_dedup(session=session, actor=REVIEWER)
        with pytest.raises(ForbiddenError):
            review_queue(session=session, actor=agent)


@pytest.mark.postgres
def test_two_reviewers_deciding_one_pair_at_once_one_wins(
    backend: str, session_factory: sessionmaker[Session], register: pl.DataFrame
) -> None:
    if backend != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    with transaction(session_factory) as session:
        run_register_dedup(session=session, actor=ADMIN)
    with transaction(session_factory) as session:
        pair = review_queue(session=session, actor=REVIEWER, limit=1)[0].pair.id
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def decide(name: str, decision: str) -> None:
        start.wait()
        try:
            with transaction(session_factory) as session:
                decide_pair(
                    session=session, actor=actor(Role.REVIEWER, None, name), pair_id=pair, decision=decision, reason="r"
                )
            outcomes.append("decided")
        except SijillError as error:
            outcomes.append(str(error.status))

    threads = [
        threading.Thread(target=decide, args=("r1", "same")),
        threading.Thread(target=decide, args=("r2", "different")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["409", "decided"]


def test_the_command_line_runs_lists_shows_and_decides(backend: str, db_url: str, register: pl.DataFrame) -> None:
    if backend != "sqlite":
        pytest.skip("the command line is tested once")
    from tests.test_cli import sijill

    ran = sijill("duplicates", "run", db_url=db_url)
    assert ran.returncode == 0, ran.stderr
    assert "pairs for review" in ran.stdout
    listed = sijill("duplicates", "queue", "--limit", "5", db_url=db_url)
    assert listed.returncode == 0
    rows = [line for line in listed.stdout.splitlines() if line.startswith("│")]
    pair_id = rows[1].split("│")[1].strip()  # the first pair (the first row is the header)
    shown = sijill("duplicates", "show", pair_id, db_url=db_url)
    body = json.loads(shown.stdout)
    assert body["id"] == int(pair_id) and body["evidence"]
    decided = sijill("duplicates", "decide", pair_id, "different", "--reason", "two sisters", db_url=db_url)
    assert decided.returncode == 0 and "different" in decided.stdout
    again = sijill("duplicates", "decide", pair_id, "same", "--reason", "no", db_url=db_url)
    assert again.returncode == 2 and "n'est plus en attente" in again.stderr and "Traceback" not in again.stderr
    bad = sijill("duplicates", "decide", pair_id, "perhaps", "--reason", "no", db_url=db_url)
    assert bad.returncode == 2
    missing = sijill("duplicates", "show", "999999", db_url=db_url)
    assert missing.returncode == 2


def checked(session: Session, agent: Actor, person: Person) -> dict[str, object]:
    return checked_record(session, agent, _second_registration(person).model_dump(), date.today())


def _second_registration(person: Person) -> PersonIn:
    """The same person registered again elsewhere: new annex, no CIN, another phone."""
    return PersonIn(
        given_name_ar=person.given_name_ar,
        family_name_ar=person.family_name_ar,
        given_name_lat=person.given_name_lat,
        family_name_lat=person.family_name_lat,
        father_given_name_ar=person.father_given_name_ar,
        father_given_name_lat=person.father_given_name_lat,
        mother_given_name_ar=person.mother_given_name_ar,
        mother_given_name_lat=person.mother_given_name_lat,
        sex=person.sex,
        birth_year=person.birth_year,
        birth_date=person.birth_date,
        birth_date_precision=person.birth_date_precision,
        birth_place_code=person.birth_place_code,
        annex_code=person.annex_code,
    )


def test_registration_is_scored_with_the_trained_model_once_a_run_has_trained_one(
    session_factory: sessionmaker[Session], register: pl.DataFrame
) -> None:
    with session_factory() as session:
        person = session.execute(
            select(Person)
            .where(Person.status == "active", Person.birth_date.is_not(None), Person.birth_year < 1990)
            .limit(1)
        ).scalar_one()
        agent = actor(Role.ANNEX_AGENT, person.annex_code, "agent")
        before = find_candidates(session, checked(session, agent, person), NameKeys.of(checked(session, agent, person)))
        assert before and all("model_probability" not in c.reasons for c in before)
    with transaction(session_factory) as session:
        run = run_register_dedup(session=session, actor=ADMIN)
    with transaction(session_factory) as session:
        person = session.get(Person, person.id)  # type: ignore[assignment]
        held = register_person(session=session, actor=agent, data=_second_registration(person))
        assert held.status == "pending_review"
        stored = session.execute(
            select(RegistrationCandidate).where(
                RegistrationCandidate.registration_id == held.registration_id,
                RegistrationCandidate.person_id == person.id,
            )
        ).scalar_one()
        reasons = json.loads(stored.reasons)
        assert reasons["model_run"] == run.id and reasons["model_probability"] >= run.threshold
        assert reasons["model_weights"]["birth_date"] > 0 and reasons["model_weights"]["given_name"] > 0


def test_a_candidate_the_model_is_sure_of_is_held_even_with_a_low_desk_score() -> None:
    low = Candidate(person=None, score=0.3, reasons={"model_probability": 0.995, "model_threshold": 0.98})  # type: ignore[arg-type]
    unsure = Candidate(person=None, score=0.3, reasons={"model_probability": 0.5, "model_threshold": 0.98})  # type: ignore[arg-type]
    without_model = Candidate(person=None, score=0.3, reasons={})  # type: ignore[arg-type]
    assert low.strong and not unsure.strong and not without_model.strong
