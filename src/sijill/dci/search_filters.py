"""DCI criteria compiled to SQL conditions (SQLAlchemy Core, the same on SQLite and PostgreSQL):
the household's current index, size, place and enrollment as subqueries correlated to the
enclosing query's household, ages as birth-date comparisons, and the partner's territories.

dci/search.py runs them; docs/dci.md ("Query fields") says what each field means.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select, true
from sqlalchemy.orm import aliased

from sijill.access.scope import within
from sijill.dci.criteria import Combined, Comparison, Filter, IdLookup, Partner
from sijill.enrollment.models import Application
from sijill.population.models import Person
from sijill.social_registry.models import (
    Declaration,
    Household,
    HouseholdMember,
    IndexScore,
    ScoreCorrection,
    household_id_of,
)

PERSON_FIELDS = frozenset({"age", "sex"})
SEX_CODES = {"male": "M", "female": "F"}
# The file status that means the operator enrolled the applicant (enrollment.models.STATUSES).
ENROLLED_STATUS = "accepted"


@cache
def workflows_of(programme: str) -> tuple[str, ...]:
    """The enrollment workflows whose files enroll in `programme` (rules/workflows)."""
    from sijill.enrollment.workflows import shipped_workflows

    return tuple(sorted(w.id for w in shipped_workflows().values() if w.programme == programme))


# --- household-level expressions, correlated to the enclosing query's household ----------------


def _of_current_score(column: Callable[[Any], Any]) -> Any:
    """`column(score)` of the household's current score: its latest declaration's latest score."""
    declaration = aliased(Declaration)
    score = aliased(IndexScore)
    return (
        select(column(score))
        .select_from(score)
        .join(declaration, declaration.id == score.declaration_id)
        .where(declaration.household_id == Household.id)
        .order_by(declaration.number.desc(), score.id.desc())
        .limit(1)
        .correlate(Household)
        .scalar_subquery()
    )


def effective_score() -> Any:
    """The household's current index: latest declaration, latest score, latest correction."""
    correction = aliased(ScoreCorrection)

    def corrected_or_calculated(score: Any) -> Any:
        corrected = (
            select(correction.corrected_score)
            .where(correction.index_score_id == score.id)
            .order_by(correction.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        return func.coalesce(corrected, score.score)

    return _of_current_score(corrected_or_calculated)


def score_model() -> Any:
    """The model (index version) that calculated the household's current index."""
    return _of_current_score(lambda score: score.model)


def group_size() -> Any:
    member = aliased(HouseholdMember)
    return (
        select(func.count())
        .select_from(member)
        .where(member.household_id == Household.id, member.valid_to.is_(None))
        .correlate(Household)
        .scalar_subquery()
    )


def latest_declaration_id(household_id: Any) -> Any:
    declaration = aliased(Declaration)
    return (
        select(declaration.id)
        .where(declaration.household_id == household_id)
        .order_by(declaration.number.desc())
        .limit(1)
        .correlate(HouseholdMember)
        .scalar_subquery()
    )


def first_declared_on() -> Any:
    declaration = aliased(Declaration)
    return (
        select(declaration.declared_on)
        .where(declaration.household_id == Household.id, declaration.number == 1)
        .correlate(Household)
        .scalar_subquery()
    )


def _enrolled(programmes: Sequence[str]) -> ColumnElement[bool]:
    """An AMO Tadamon (or other) file of the household that the operator accepted."""
    workflows = [w for p in programmes for w in workflows_of(p)]
    if not workflows:
        return false()
    return exists(
        select(Application.id)
        .where(
            Application.household_id == Household.id,
            Application.workflow.in_(workflows),
            Application.status == ENROLLED_STATUS,
        )
        .correlate(Household)
    )


# --- person-level expressions -------------------------------------------------------------------


def _years_before(day: date, years: int) -> date:
    """The same day `years` earlier; 28 February for a 29th in a year that has none."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _born_by(person: Any, cutoff: date) -> ColumnElement[bool]:
    """Born on or before `cutoff`; a person known by year only counts as born on 1 January
    (social_registry.members.age_on), so that is a test of the year."""
    return or_(
        and_(person.birth_date.is_not(None), person.birth_date <= cutoff),
        and_(person.birth_date.is_(None), person.birth_year <= cutoff.year),
    )


def _age_at_least(person: Any, years: int, day: date) -> ColumnElement[bool]:
    # Compared as birth dates rather than computed ages: no date arithmetic in SQL (it differs
    # between SQLite and PostgreSQL) and the comparison can use an index on the birth date.
    return _born_by(person, _years_before(day, years))


def _age(person: Any, operator: str, years: int, day: date) -> ColumnElement[bool]:
    at_least = _age_at_least(person, years, day)
    older = _age_at_least(person, years + 1, day)
    if operator == "ge":
        return at_least
    if operator == "gt":
        return older
    if operator == "lt":
        return not_(at_least)
    if operator == "le":
        return not_(older)
    return and_(at_least, not_(older))


# --- compiling a filter -------------------------------------------------------------------------


def _territory(column: Any, codes: Sequence[str]) -> ColumnElement[bool]:
    return or_(*(within(code, column) for code in codes))


def _ordered(column: Any, operator: str, value: Any) -> ColumnElement[bool]:
    comparisons: dict[str, ColumnElement[bool]] = {
        "gt": column > value,
        "lt": column < value,
        "ge": column >= value,
        "le": column <= value,
        "eq": column == value,
    }
    return comparisons[operator]


def _values(comparison: Comparison) -> tuple[Any, ...]:
    value = comparison.value
    return value if isinstance(value, tuple) else (value,)


@dataclass(frozen=True)
class Context:
    person: Any
    day: date


def _comparison(comparison: Comparison, context: Context) -> ColumnElement[bool]:
    field, operator = comparison.attribute, comparison.operator
    values = _values(comparison)
    if field in ("region_code", "province_code", "commune_code", "annex_code"):
        return _territory(Household.annex_code, [str(v) for v in values])
    if field == "enrolled_in":
        return _enrolled([str(v) for v in values])
    if field == "sex":
        sexes: ColumnElement[bool] = context.person.sex.in_([SEX_CODES[str(v)] for v in values])
        return sexes
    if field == "age":
        if operator == "in":
            return or_(*(_age(context.person, "eq", int(v), context.day) for v in values))
        return _age(context.person, operator, int(values[0]), context.day)
    column = effective_score() if field == "poverty_score" else group_size()
    if operator == "in":
        return column.in_(values)  # type: ignore[no-any-return]
    return _ordered(column, operator, values[0])


def compile_filter(node: Filter, context: Context) -> ColumnElement[bool]:
    if isinstance(node, Comparison):
        return _comparison(node, context)
    parts = [compile_filter(part, context) for part in node.parts]
    if node.condition == "and":
        return and_(true(), *parts)
    if node.condition == "or":
        return or_(false(), *parts)
    return and_(parts[0], not_(parts[1]))


def _fields_used(node: Filter) -> set[str]:
    if isinstance(node, Comparison):
        return {node.attribute}
    return set().union(*(_fields_used(part) for part in node.parts))


def group_filter(node: Filter, day: date) -> ColumnElement[bool]:
    """A household matches when one current member satisfies the filter. The conjuncts on
    household fields stay outside the member subquery, so the common case (index, size, place)
    never reads the members, and the rest is one EXISTS per household."""
    conjuncts = node.parts if isinstance(node, Combined) and node.condition == "and" else (node,)
    household_parts = [c for c in conjuncts if not _fields_used(c) & PERSON_FIELDS]
    person_parts = [c for c in conjuncts if _fields_used(c) & PERSON_FIELDS]
    outside = [compile_filter(c, Context(Person, day)) for c in household_parts]
    if person_parts:
        member = aliased(HouseholdMember)
        person = aliased(Person)
        inside = [compile_filter(c, Context(person, day)) for c in person_parts]
        outside.append(
            exists(
                select(member.id)
                .join(person, person.id == member.person_id)
                .where(member.household_id == Household.id, member.valid_to.is_(None), *inside)
                .correlate(Household)
            )
        )
    return and_(true(), *outside)


def _person_key(lookup: IdLookup, person: Any) -> ColumnElement[bool]:
    return person.cin == lookup.value if lookup.id_type == "CIN" else person.idcs == lookup.value  # type: ignore[no-any-return]


def group_lookup(lookup: IdLookup) -> ColumnElement[bool]:
    if lookup.id_type == "HOUSEHOLD_ID":
        return Household.id == household_id_of(lookup.value)
    member = aliased(HouseholdMember)
    person = aliased(Person)
    return Household.id.in_(
        select(member.household_id)
        .join(person, person.id == member.person_id)
        .where(member.valid_to.is_(None), _person_key(lookup, person))
    )


def member_lookup(lookup: IdLookup) -> ColumnElement[bool]:
    if lookup.id_type == "HOUSEHOLD_ID":
        return HouseholdMember.household_id == household_id_of(lookup.value)
    return _person_key(lookup, Person)


def partner_scope(partner: Partner) -> ColumnElement[bool]:
    if partner.territories is None:
        return true()
    # No territory at all: a partner registered for nowhere sees nothing, never everything.
    return or_(false(), *(within(code, Household.annex_code) for code in partner.territories))
