"""A DCI search answered with set-based SQL: one statement for the page and the total, then the
page's details.

Every statement is confined to the partner's territories in its WHERE clause, so an expression
that would match households elsewhere, or an identifier of a person who lives elsewhere, finds
nothing there. The filter is compiled to one SQL condition (dci/search_filters.py); no household
is ever looked at in Python to decide whether it matches.

Meaning of the criteria (docs/dci.md, "Query fields"):
- A household's `poverty_score` is its current index: the latest declaration's latest score, as
  corrected by its latest correction (social_registry.scores.current_score / effective_score, here
  as correlated subqueries that the (household_id, number), (declaration_id, model) and
  (index_score_id) indexes answer).
- `group_size` counts the current members (household_member.valid_to IS NULL).
- For Group, a household matches when one of its current members satisfies the whole filter, the
  household fields being those of the member's household: `age ge 60 and sex eq female` is "a woman
  of 60 or more". A filter of household fields only never reads the members.
- For Member, the records are current members of active households; household fields are their
  household's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import KeyedColumnElement

from sijill.dci.criteria import Criteria, Filter, Found, IdLookup, Partner, Sort
from sijill.dci.mapping import (
    HouseholdFacts,
    MemberFacts,
    group_record,
    member_search_record,
)
from sijill.dci.search_filters import (
    Context,
    compile_filter,
    effective_score,
    first_declared_on,
    group_filter,
    group_lookup,
    group_size,
    latest_declaration_id,
    member_lookup,
    partner_scope,
    score_model,
)
from sijill.population.models import Person
from sijill.social_registry.models import (
    DeclarationMember,
    Household,
    HouseholdMember,
)

# --- ordering -----------------------------------------------------------------------------------


def _head_birth() -> tuple[Any, Any]:
    """The household head's birth year and date, for ordering Groups by age."""

    def of(column: Any) -> Any:
        head = aliased(HouseholdMember)
        person = aliased(Person)
        return (
            select(getattr(person, column))
            .join(head, head.person_id == person.id)
            .where(head.household_id == Household.id, head.valid_to.is_(None), head.relationship == "head")
            .order_by(head.id)
            .limit(1)
            .correlate(Household)
            .scalar_subquery()
        )

    return of("birth_year"), of("birth_date")


def _sort_columns(sort: Sequence[Sort], member: bool) -> list[Any]:
    """The partner's keys, then the household number (and the membership) for a stable order."""
    columns: list[Any] = []
    for key in sort:
        if key.attribute == "household_id":
            columns.append(Household.id.desc() if key.descending else Household.id.asc())
        elif key.attribute == "age":
            # A Member's own age; a Group's is its head's. Older first is earlier births first;
            # within a year, a person known by year only counts as born on 1 January, the
            # earliest date of it.
            year, born = (Person.birth_year, Person.birth_date) if member else _head_birth()
            if key.descending:
                columns += [year.asc().nulls_last(), born.asc().nulls_first()]
            else:
                columns += [year.desc().nulls_last(), born.desc().nulls_last()]
        else:
            column = effective_score() if key.attribute == "poverty_score" else group_size()
            # Households without an index sort last either way.
            columns.append((column.desc() if key.descending else column.asc()).nulls_last())
    # `id + 0` is the same order, but not the primary key's: otherwise PostgreSQL walks the whole
    # key to stop after one page (measured: 255,000 households read to find 20 of one province),
    # when the total on the page needs every match anyway.
    columns.append((Household.id + 0).asc())
    if member:
        columns.append(HouseholdMember.id.asc())
    return columns


# --- the search ---------------------------------------------------------------------------------


def matching_keys(query: IdLookup | Filter, partner: Partner, day: date, *, member: bool) -> Select[*tuple[Any, ...]]:
    """The keys of every record a query matches, confined to the partner's territories: Group,
    household ids; Member, (membership, household) ids. A subscription's filter is this too."""
    keys: Select[*tuple[Any, ...]]
    if member:
        keys = (
            select(HouseholdMember.id, HouseholdMember.household_id)
            .join(Household, Household.id == HouseholdMember.household_id)
            .join(Person, Person.id == HouseholdMember.person_id)
            .where(HouseholdMember.valid_to.is_(None))
        )
    else:
        keys = select(Household.id)
    if isinstance(query, IdLookup):
        condition = member_lookup(query) if member else group_lookup(query)
    elif member:
        condition = compile_filter(query, Context(Person, day))
    else:
        condition = group_filter(query, day)
    return keys.where(Household.status == "active", partner_scope(partner), condition)


def _matching(criteria: Criteria, partner: Partner, day: date) -> Select[*tuple[Any, ...]]:
    return matching_keys(criteria.query, partner, day, member=criteria.entity == "Member")


def search(session: Session, partner: Partner, criteria: Criteria, *, today: date | None = None) -> Found:
    """One page of DCI records matching `criteria` within the partner's scope, and how many match
    in all. A page past the last one is empty, with the total (the partner learns where to stop)."""
    day = today or date.today()
    member = criteria.entity == "Member"
    if session.connection().dialect.name == "postgresql":
        # The plan's estimated cost crosses the JIT threshold, and compiling took 3-50 ms of a
        # 36 ms search (measured at 1M persons): off, for this request's transaction only.
        session.connection().exec_driver_sql("SET LOCAL jit = off")
    matching = _matching(criteria, partner, day)
    offset = (criteria.page_number - 1) * criteria.page_size
    # The total rides on the page as a window count: one statement that evaluates the filter once
    # per candidate. A separate COUNT then LIMIT lets PostgreSQL walk the primary key for the page
    # (measured: 130,000 households read to find 20 of one province) on top of the count's work.
    page = (
        matching.add_columns(func.count().over().label("total"))
        .order_by(*_sort_columns(criteria.sort, member))
        .limit(criteria.page_size)
        .offset(offset)
    )
    rows = session.execute(page).all()
    if not rows:
        # Past the last page, or nothing found: the window has no row to ride on.
        total = (
            0 if offset == 0 else session.execute(select(func.count()).select_from(matching.subquery())).scalar_one()
        )
        return Found(records=[], total_count=total)
    total = rows[0][-1]
    records = build_records(
        session, [row[0] for row in rows], member=member, fields=partner.fields, locale=criteria.locale
    )
    return Found(records=records, total_count=total)


def build_records(
    session: Session, ids: Sequence[int], *, member: bool, fields: frozenset[str], locale: str
) -> list[dict[str, Any]]:
    """The records of these households (or household members), in this order, in these fields:
    a few set-based reads for the whole page, whatever its size. An id no longer found (a member
    who left since) is left out."""
    keys = list(ids)
    if member:
        by_id = dict(_members(session, keys, by_household=False))
        return [member_search_record(by_id[k], fields, locale) for k in keys if k in by_id]
    households = _households(session, keys)
    listed: dict[int, list[MemberFacts]] = defaultdict(list)
    if "member_list" in fields or "group_head_info" in fields:
        for _, facts in _members(session, keys, by_household=True):
            listed[facts.household_id].append(facts)
    return [group_record(households[k], listed[k], fields, locale) for k in keys if k in households]


@cache
def _households_statement() -> Select[*tuple[Any, ...]]:
    """Built once per process: building the correlated columns costs more than running them for
    a page (measured: 10 of the 40 ms of a search)."""
    return select(
        Household.id,
        Household.annex_code,
        Household.milieu,
        Household.address,
        effective_score(),
        score_model(),
        group_size(),
        first_declared_on(),
        Household.updated_at,
    ).where(Household.id.in_(bindparam("ids", expanding=True)))


def _households(session: Session, household_ids: list[int]) -> dict[int, HouseholdFacts]:
    rows = session.execute(_households_statement(), {"ids": household_ids}).all()
    return {row[0]: HouseholdFacts(*row) for row in rows}


# Head first, then as the household lists them.
_RELATIONSHIP_ORDER = ("head", "spouse", "child", "parent", "sibling", "other_relative", "non_relative")


@cache
def _members_statement(by_household: bool) -> Select[*tuple[Any, ...]]:
    """The current members of households (`by_household`) or the memberships given as `ids`, with
    what their household's latest declaration says of them; built once per process."""
    head = aliased(HouseholdMember)
    head_person = aliased(Person)
    head_idcs = (
        select(head_person.idcs)
        .join(head, head.person_id == head_person.id)
        .where(head.household_id == HouseholdMember.household_id, head.valid_to.is_(None), head.relationship == "head")
        .order_by(head.id)
        .limit(1)
        .correlate(HouseholdMember)
        .scalar_subquery()
    )
    declared = and_(
        DeclarationMember.person_id == Person.id,
        DeclarationMember.declaration_id == latest_declaration_id(HouseholdMember.household_id),
    )
    columns: list[KeyedColumnElement[Any] | Any] = [
        HouseholdMember.id,
        HouseholdMember.household_id,
        Person.idcs,
        Person.cin,
        Person.given_name_ar,
        Person.family_name_ar,
        Person.given_name_lat,
        Person.family_name_lat,
        Person.sex,
        Person.birth_date,
        Person.birth_year,
        Person.birth_date_precision,
        Person.phone,
        HouseholdMember.relationship,
        head_idcs,
        DeclarationMember.education,
        DeclarationMember.occupation,
        DeclarationMember.disability,
        DeclarationMember.marital_status,
        Person.created_at,
        Person.updated_at,
    ]
    key = HouseholdMember.household_id if by_household else HouseholdMember.id
    return (
        select(*columns)
        .join(Person, Person.id == HouseholdMember.person_id)
        .outerjoin(DeclarationMember, declared)
        .where(HouseholdMember.valid_to.is_(None), key.in_(bindparam("ids", expanding=True)))
    )


def _members(session: Session, ids: list[int], *, by_household: bool) -> list[tuple[int, MemberFacts]]:
    """(membership id, facts), each household's head first."""
    rank = {r: i for i, r in enumerate(_RELATIONSHIP_ORDER)}
    rows = session.execute(_members_statement(by_household), {"ids": ids}).all()
    found = [(row[0], MemberFacts(*row[1:])) for row in rows]
    found.sort(key=lambda item: (item[1].household_id, rank.get(item[1].relationship, len(rank)), item[0]))
    return found
