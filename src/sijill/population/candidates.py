"""The duplicate check before an IDCS is issued: likely existing records of the same person.

Candidates are looked up nationally (a person may have registered in another annex), through the
indexed blocks of ``population.blocks`` only. Each candidate gets an explainable score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, Row, bindparam, text
from sqlalchemy.orm import Session

from sijill.linkage.desk_scorer import CompiledModel, current_model
from sijill.linkage.desk_scorer import score as desk_score
from sijill.linkage.features import linkage_features
from sijill.linkage.names import name_key, normalize_arabic, normalize_latin
from sijill.linkage.register_records import REGISTER_COLUMNS, register_records
from sijill.linkage.similarity import jaro_winkler
from sijill.population.blocks import online_condition, online_parameters
from sijill.population.models import Person

# Above this score a registration is held for a reviewer. With the weights below a same-name record
# reaches it with the same birth date, or with day and month swapped (a common typing error); with
# only the same month of birth it needs the father's name to agree too, so that the many namesakes
# born in the same month (Fatima, Mohamed) do not flood the review queue.
STRONG_SCORE = 0.85
# Below this similarity a given or family name counts as a different name, not a misspelling.
DIFFERENT_NAME = 0.75
MAX_CANDIDATES = 200


@dataclass(frozen=True, slots=True)
class NameKeys:
    given: str | None
    family: str | None
    father: str | None

    @classmethod
    def of(cls, record: dict[str, Any]) -> NameKeys:
        def key(*fields: str) -> str | None:
            for name in fields:
                value = record.get(name)
                if value:
                    return name_key(str(value)) or None
            return None

        return cls(
            given=key("given_name_lat", "given_name_ar"),
            family=key("family_name_lat", "family_name_ar"),
            father=key("father_given_name_lat", "father_given_name_ar"),
        )


# A register record as the score reads it: a whole ``Person``, or a row of the scored columns.
Scored = Person | Row[Any]


@dataclass(frozen=True, slots=True)
class Candidate:
    person: Scored
    score: float
    reasons: dict[str, Any] = field(default_factory=dict)

    @property
    def strong(self) -> bool:
        """Held for a reviewer when the desk's score, the same CIN, or the trained linkage model
        (once a register run has trained one) says so: either is enough."""
        by_model = self.reasons.get("model_probability", 0.0) >= self.reasons.get("model_threshold", 2.0)
        return self.score >= STRONG_SCORE or bool(self.reasons.get("same_cin")) or by_model


def _name_similarity(record: dict[str, Any], person: Scored, part: str) -> float:
    """Best agreement across the two scripts and the script-neutral key, 0..1."""
    scores = [0.0]
    lat, ar = record.get(f"{part}_name_lat"), record.get(f"{part}_name_ar")
    their_lat, their_ar = getattr(person, f"{part}_name_lat"), getattr(person, f"{part}_name_ar")
    if lat and their_lat:
        scores.append(jaro_winkler(normalize_latin(lat), normalize_latin(their_lat)))
    if ar and their_ar:
        scores.append(jaro_winkler(normalize_arabic(ar), normalize_arabic(their_ar)))
    mine = name_key(lat or ar or "")
    theirs = name_key(their_lat or their_ar or "")
    if mine and theirs:
        scores.append(1.0 if mine == theirs else jaro_winkler(mine, theirs))
    return max(scores)


def _date_agreement(record: dict[str, Any], person: Scored) -> tuple[float, str]:
    mine: date | None = record.get("birth_date")
    theirs = person.birth_date
    year: int = record["birth_year"]
    if mine is not None and theirs is not None:
        if mine == theirs:
            return 1.0, "same_birth_date"
        if (mine.year, mine.day, mine.month) == (theirs.year, theirs.month, theirs.day):
            return 0.8, "day_month_swapped"
        if (mine.year, mine.month) == (theirs.year, theirs.month):
            return 0.7, "same_birth_month"
    if year == person.birth_year:
        return 0.5, "same_birth_year"
    if abs(year - person.birth_year) == 1:
        return 0.3, "birth_year_off_by_one"
    return 0.0, "different_birth_year"


def score(record: dict[str, Any], keys: NameKeys, person: Scored) -> Candidate:
    given = _name_similarity(record, person, "given")
    family = _name_similarity(record, person, "family")
    date_score, date_reason = _date_agreement(record, person)
    father_theirs = person.father_given_name_lat or person.father_given_name_ar
    father = 0.5
    if keys.father and father_theirs:
        their_key = person.father_key or name_key(father_theirs)
        father = 1.0 if keys.father == their_key else jaro_winkler(keys.father, their_key)
    total = 0.55 * (given + family) / 2 + 0.35 * date_score + 0.10 * father
    reasons: dict[str, Any] = {
        "given_name": round(given, 3),
        "family_name": round(family, 3),
        "birth": date_reason,
        "father_name": round(father, 3),
    }
    if record.get("phone") and record.get("phone") == person.phone:
        total += 0.10
        reasons["same_phone"] = True
    if min(given, family) < DIFFERENT_NAME:
        # One of the two names clearly differs: siblings, twins and namesakes share the rest.
        total *= 0.8
        reasons["one_name_differs"] = True
    if keys.father and father_theirs and father < DIFFERENT_NAME:
        total *= 0.85
        reasons["father_differs"] = True
    if record.get("cin") and person.cin and record.get("cin") != person.cin:
        # Each person holds one CIN: two different ones are strong evidence of two people (a typo
        # in a CIN is still possible, so it lowers the score rather than ruling the pair out).
        total *= 0.6
        reasons["different_cin"] = True
    if record.get("sex") != person.sex:
        # Sex is rarely mistyped; a mismatch makes the same person much less likely.
        total *= 0.5
        reasons["different_sex"] = True
    if record.get("cin") and record.get("cin") == person.cin:
        reasons["same_cin"] = True
        total = 1.0
    return Candidate(person=person, score=round(min(total, 1.0), 3), reasons=reasons)


_SCORED_COLUMNS = (
    "id", "idcs", "given_name_lat", "given_name_ar", "family_name_lat", "family_name_ar", "father_given_name_lat",
    "father_given_name_ar", "father_key", "sex", "birth_year", "birth_date", "cin", "phone",
    "mother_given_name_lat", "mother_given_name_ar", "birth_date_precision", "birth_place_code", "annex_code",
)  # fmt: skip
_CANDIDATES = (
    text(
        f"SELECT {', '.join('p.' + c for c in _SCORED_COLUMNS)} FROM person p "  # noqa: S608 (constant fragments)
        f"WHERE p.status <> 'merged' AND ({online_condition()}) LIMIT {MAX_CANDIDATES}"
    )
    .bindparams(bindparam("born", type_=Date), bindparam("year", type_=Integer))
    .columns(birth_date=Date)
)


def candidate_rows(session: Session, record: dict[str, Any]) -> list[Row[Any]]:
    """Register records sharing a block with ``record`` (which holds KEY_COLUMNS), the columns the
    score reads only: loading whole records for the hundreds of namesakes a common name can bring
    would cost more than the search."""
    return list(session.execute(_CANDIDATES, online_parameters(record)))


def find_candidates(session: Session, record: dict[str, Any], keys: NameKeys) -> list[Candidate]:
    """Existing records that may be this person, best first (national: not limited by scope)."""
    rows = candidate_rows(
        session, {**record, "given_key": keys.given, "family_key": keys.family, "father_key": keys.father}
    )
    scored = [score(record, keys, row) for row in rows]
    model = current_model(session)
    if model is not None and rows:
        scored = _with_model(model, record, rows, scored)
    return sorted(scored, key=lambda c: c.score, reverse=True)


def _with_model(
    model: CompiledModel, record: dict[str, Any], rows: list[Row[Any]], scored: list[Candidate]
) -> list[Candidate]:
    """The trained model's probability for each candidate, and the weights behind it."""
    new = register_records([{**{c: record.get(c) for c in REGISTER_COLUMNS}, "id": 0, "household_id": None}])
    existing = register_records([{**row._mapping, "household_id": None} for row in rows])
    weights = desk_score(model, linkage_features(new), linkage_features(existing))
    by_id = {row["unique_id"]: row for row in weights.iter_rows(named=True)}
    out = []
    for candidate in scored:
        found = by_id[str(candidate.person.id)]
        reasons = {
            **candidate.reasons,
            "model_probability": round(float(found["match_probability"]), 4),
            "model_threshold": model.threshold,
            "model_run": model.run_id,
            "model_weights": {name: round(float(found[f"w_{name}"]), 2) for name in model.comparisons},
        }
        out.append(Candidate(person=candidate.person, score=candidate.score, reasons=reasons))
    return out
