"""Load households in bulk (demo, benchmarks, migration of an existing registry), set-based.

The same rules as a declaration at the counter, as whole-frame expressions: members must be in the
register and alive at the declaration, the declarant an adult, the answers valid for the household's
milieu. A household that breaks a rule is left out and counted by rule; the others are written with
their first declaration and their score, in the caller's transaction.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.bulk import bulk_insert, record_stamp, table_of
from sijill.bulk_mode import rebuilt_after
from sijill.ids import reserve_ids
from sijill.scoring.answer_checks import answer_problems
from sijill.scoring.compiled import REGION, SCORE
from sijill.scoring.derive import KEY, as_model_input, derive_features
from sijill.scoring.model import IndexModel
from sijill.scoring.packed import pack
from sijill.scoring.questionnaire import MILIEUS
from sijill.scoring.survey import synth_frames
from sijill.social_registry.members import ADULT_AGE
from sijill.social_registry.models import (
    Declaration,
    DeclarationForm,
    DeclarationMember,
    Household,
    HouseholdMember,
    IndexScore,
    SyntheticTruth,
)
from sijill.social_registry.scores import compiled_models

TABLES = (
    "household",
    "household_member",
    "declaration",
    "declaration_form",
    "declaration_member",
    "index_score",
    "synthetic_truth",
)
TRUTH_FILE = Path("truth") / "households.parquet"


@dataclass
class LoadReport:
    households: int = 0
    members: int = 0
    # Households left out, by the first rule each broke.
    rejected: dict[str, int] = field(default_factory=dict)


def _json(frame: pl.DataFrame, columns_by_milieu: dict[str, list[str]]) -> pl.Expr:
    """Each row's values as a JSON object holding only its milieu's questions."""
    encoded = pl.lit(None, dtype=pl.String)
    for milieu, columns in columns_by_milieu.items():
        present = [c for c in columns if c in frame.columns]
        encoded = pl.when(pl.col("milieu") == milieu).then(pl.struct(present).struct.json_encode()).otherwise(encoded)
    return encoded


def _member_rejections(members: pl.DataFrame, households: pl.DataFrame) -> pl.DataFrame:
    """(key, rule) of households whose members break a register rule."""
    unknown = members.filter(pl.col("person_id").is_null()).select(KEY, pl.lit("person_unknown").alias("rule"))
    dead = members.filter(pl.col("death_date").is_not_null() & (pl.col("death_date") <= pl.col("declared_on")))
    minor = members.filter(pl.col("is_declarant") & (pl.col("age") < ADULT_AGE))
    no_declarant = households.join(members.filter(pl.col("is_declarant")), on=KEY, how="anti")
    return pl.concat(
        [
            unknown,
            dead.select(KEY, pl.lit("member_deceased").alias("rule")),
            minor.select(KEY, pl.lit("declarant_minor").alias("rule")),
            no_declarant.select(KEY, pl.lit("declarant_not_member").alias("rule")),
        ]
    )


def _load_truth(session: Session, truth_file: Path, household_ids: pl.DataFrame) -> None:
    """The generator's true consumption of the households loaded (`household_ids`: key → id)."""
    if not truth_file.exists():
        return
    truth = pl.read_parquet(truth_file, columns=["household_id", "consumption_per_capita_dh", "log_consumption"])
    loaded = household_ids.join(truth.rename({"household_id": KEY}), on=KEY).drop(KEY)
    bulk_insert(session, table_of(SyntheticTruth), loaded.to_arrow())


def load_synthetic_households(
    *, session: Session, actor: Actor, synth_dir: Path, person_ids: pl.DataFrame, model: IndexModel
) -> LoadReport:
    """Households of a synthetic population whose persons are loaded (`person_ids`: record_id → person_id)."""
    actor.require(Permission.HOUSEHOLD_WRITE)
    questionnaire = model.questionnaire
    answers, members = synth_frames(synth_dir)
    details = pl.read_parquet(synth_dir / "households.parquet", columns=["household_id", "address", "agent_code"])
    answers = answers.join(details.rename({"household_id": KEY}), on=KEY)
    deaths = pl.read_parquet(synth_dir / "persons.parquet", columns=["record_id", "death_date"])
    members = (
        members.join(person_ids, on="record_id", how="left")
        .join(deaths, on="record_id", how="left")
        .join(answers.select(KEY, "declared_on"), on=KEY)
    )
    features = derive_features(answers, members, questionnaire)
    rejected = pl.concat(
        [_member_rejections(members, answers), answer_problems(features, questionnaire).select(KEY, "rule")]
    ).unique(KEY, keep="first", maintain_order=True)
    report = LoadReport(rejected=dict(rejected.get_column("rule").value_counts().iter_rows()))
    features = features.join(rejected, on=KEY, how="anti").sort(KEY)
    members = members.join(features.select(KEY), on=KEY, how="semi")
    if features.height == 0:
        return report
    first_load = session.execute(select(func.count()).select_from(Household)).scalar_one() == 0
    now = datetime.now(UTC)
    with rebuilt_after(session, TABLES) if first_load else nullcontext():
        household_ids = reserve_ids(session, table_of(Household), features.height, table_locked=first_load)
        declaration_ids = reserve_ids(session, table_of(Declaration), features.height, table_locked=first_load)
        features = features.with_columns(
            pl.Series("household_id", household_ids), pl.Series("declaration_id", declaration_ids)
        )
        households = features.select(
            pl.col("household_id").alias("id"),
            "annex_code",
            "milieu",
            "address",
            pl.lit("active").alias("status"),
            *record_stamp(actor.username, now),
        )
        bulk_insert(session, table_of(Household), households.to_arrow())
        members = members.join(features.select(KEY, "household_id", "declaration_id"), on=KEY)
        member_ids = reserve_ids(session, table_of(HouseholdMember), members.height, table_locked=first_load)
        memberships = members.select(
            pl.Series("id", member_ids),
            "household_id",
            "person_id",
            "relationship",
            pl.col("declared_on").alias("valid_from"),
            pl.lit(None, dtype=pl.Date).alias("valid_to"),
        )
        bulk_insert(session, table_of(HouseholdMember), memberships.to_arrow())
        asked = {m: [q.name for q in questionnaire.answers_for(m)] for m in MILIEUS}
        variables = {m: [*asked[m], *(q.name for q in questionnaire.variables_for(m) if q.derive)] for m in MILIEUS}
        declarants = members.filter(pl.col("is_declarant")).select(KEY, pl.col("person_id").alias("declarant"))
        declarations = features.join(declarants, on=KEY).select(
            pl.col("declaration_id").alias("id"),
            "household_id",
            pl.lit(1).alias("number"),
            "declared_on",
            pl.col("declarant").alias("declarant_person_id"),
            pl.lit("bulk").alias("channel"),
            pl.lit(questionnaire.ref).alias("questionnaire"),
            pl.col("agent_code").alias("declared_by"),
            pl.lit(now).alias("recorded_at"),
        )
        bulk_insert(session, table_of(Declaration), declarations.to_arrow())
        forms = features.select(
            pl.col("declaration_id"),
            _json(features, asked).alias("answers"),
            _json(features, variables).alias("variables"),
            pack(features, questionnaire),
        )
        bulk_insert(session, table_of(DeclarationForm), forms.to_arrow())
        declared_members = members.select(
            "declaration_id",
            "person_id",
            "relationship",
            pl.col("age").cast(pl.Int16),
            "education",
            "in_school",
            "occupation",
            "disability",
            "marital_status",
        )
        bulk_insert(session, table_of(DeclarationMember), declared_members.to_arrow())
        compiled = compiled_models()[model.ref]
        typed = as_model_input(features, questionnaire).with_columns(
            pl.col("annex_code").str.slice(0, 2).cast(compiled.region_dtype).alias(REGION)
        )
        scores = features.select("declaration_id").with_columns(compiled.score(typed).round(7))
        score_ids = reserve_ids(session, table_of(IndexScore), scores.height, table_locked=first_load)
        bulk_insert(
            session,
            table_of(IndexScore),
            scores.select(
                pl.Series("id", score_ids),
                "declaration_id",
                pl.lit(model.ref).alias("model"),
                SCORE,
                pl.lit(now).alias("calculated_at"),
                pl.lit(actor.username).alias("calculated_by"),
            ).to_arrow(),
        )
        _load_truth(session, synth_dir / TRUTH_FILE, features.select(KEY, "household_id"))
    report.households = features.height
    report.members = members.height
    audit.record(
        session,
        actor,
        "household.bulk_load",
        "household",
        None,
        None,
        {"households": report.households, "members": report.members, "rejected": report.rejected},
    )
    return report
