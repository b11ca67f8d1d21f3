"""API shapes of the register's duplicate review: two records side by side, and the evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from sijill.linkage.register_dedup import PairView, birth_text
from sijill.population.models import Person


class PersonSide(BaseModel):
    idcs: str
    given_name_ar: str | None
    family_name_ar: str | None
    given_name_lat: str | None
    family_name_lat: str | None
    father_given_name: str | None
    mother_given_name: str | None
    sex: str
    birth: str
    cin: str | None
    phone: str | None
    birth_place_code: str | None
    annex_code: str
    status: str

    @classmethod
    def of(cls, person: Person) -> PersonSide:
        return cls(
            idcs=person.idcs,
            given_name_ar=person.given_name_ar,
            family_name_ar=person.family_name_ar,
            given_name_lat=person.given_name_lat,
            family_name_lat=person.family_name_lat,
            father_given_name=" / ".join(n for n in (person.father_given_name_lat, person.father_given_name_ar) if n)
            or None,
            mother_given_name=" / ".join(n for n in (person.mother_given_name_lat, person.mother_given_name_ar) if n)
            or None,
            sex=person.sex,
            birth=birth_text(person),
            cin=person.cin,
            phone=person.phone,
            birth_place_code=person.birth_place_code,
            annex_code=person.annex_code,
            status=person.status,
        )


class Evidence(BaseModel):
    comparison: str
    # Bits for (positive) or against (negative) the two records being one person.
    weight: float


class PairOut(BaseModel):
    id: int
    run_id: int
    match_probability: float
    match_weight: float
    status: str
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    evidence: list[Evidence]
    person_a: PersonSide
    person_b: PersonSide

    @classmethod
    def of(cls, view: PairView) -> PairOut:
        pair = view.pair
        evidence = sorted(pair.evidence.items(), key=lambda item: -abs(float(item[1])))
        return cls(
            id=pair.id,
            run_id=pair.run_id,
            match_probability=pair.match_probability,
            match_weight=pair.match_weight,
            status=pair.status,
            decided_by=pair.decided_by,
            decided_at=pair.decided_at,
            reason=pair.reason,
            evidence=[Evidence(comparison=name, weight=float(weight)) for name, weight in evidence],
            person_a=PersonSide.of(view.person_a),
            person_b=PersonSide.of(view.person_b),
        )


class PairDecisionIn(BaseModel):
    decision: Literal["same", "different"]
    reason: str = Field(min_length=1, max_length=500)
    # For "same": which record survives (default: the older one).
    survivor_idcs: str | None = Field(default=None, pattern=r"^\d{10}$")
