"""The cross-check of files against the registries, for one file or thousands at once.

Everything a check needs is read set-based for the whole batch (persons by IDCS, their current
households and members, the declarants' phones, the programme's decisions on the households'
inputs); each file is then judged from those lookups. A workflow names the checks it runs, in
order; a check that needs what an earlier one could not find (no person, no household) is silent,
so a file is sent back with the reasons that are actionable now.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.enrollment.form import ApplicationForm, parse_form
from sijill.enrollment.workflows import Workflow
from sijill.population.models import Person
from sijill.population.validation import normalize_phone
from sijill.programmes.decide import ELIGIBLE, codes, decide
from sijill.programmes.inputs import read_inputs
from sijill.programmes.rules import rule_in_force, shipped_rules
from sijill.programmes.service import model_ref
from sijill.social_registry.models import Declaration, Household, HouseholdMember

Finding = dict[str, Any]
CHUNK = 5_000


@dataclass(frozen=True)
class FileToCheck:
    application_id: int
    workflow: Workflow
    channel: str
    annex_code: str | None
    form: dict[str, Any]


@dataclass
class Verdict:
    application_id: int
    findings: list[Finding] = field(default_factory=list)
    person_id: int | None = None
    household_id: int | None = None
    # The annex the file belongs to once the household is known (online forms may name none).
    annex_code: str | None = None


@dataclass(frozen=True)
class _PersonRow:
    id: int
    idcs: str
    status: str
    phone: str | None


@dataclass
class _Lookups:
    """What the batch's checks read, keyed for the per-file judgement."""

    day: date
    persons: dict[str, _PersonRow] = field(default_factory=dict)  # by IDCS, merges followed
    idcs_of: dict[int, str] = field(default_factory=dict)
    household_of: dict[int, tuple[int, str]] = field(default_factory=dict)  # person -> (household, relationship)
    members_of: dict[int, set[int]] = field(default_factory=dict)  # household -> current member ids
    households: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (annex, address)
    declarant_phone: dict[int, str | None] = field(default_factory=dict)  # household -> phone
    decisions: dict[tuple[str, int], tuple[str, list[str]]] = field(default_factory=dict)


@dataclass
class _File:
    given: FileToCheck
    form: ApplicationForm
    verdict: Verdict
    lookups: _Lookups

    def add(self, code: str, field_name: str | None = None, value: Any = None) -> None:
        self.verdict.findings.append({"code": code, "field": field_name, "value": value})


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _read_persons(session: Session, numbers: set[str], lookups: _Lookups) -> None:
    merged: dict[str, int] = {}
    for chunk in _chunks(sorted(numbers)):
        rows = session.execute(
            select(Person.id, Person.idcs, Person.status, Person.phone, Person.merged_into_id).where(
                Person.idcs.in_(chunk)
            )
        ).all()
        for person_id, idcs, status, phone, merged_into in rows:
            if merged_into is not None:
                merged[idcs] = merged_into
            else:
                lookups.persons[idcs] = _PersonRow(person_id, idcs, status, phone)
    # A merged record answers for the record it was merged into.
    survivors = sorted(set(merged.values()))
    for chunk in _chunks(survivors):
        survivor_rows = session.execute(
            select(Person.id, Person.idcs, Person.status, Person.phone).where(Person.id.in_(chunk))
        ).all()
        by_id = {r[0]: _PersonRow(r[0], r[1], r[2], r[3]) for r in survivor_rows}
        for idcs, survivor in merged.items():
            if survivor in by_id:
                lookups.persons[idcs] = by_id[survivor]
    lookups.idcs_of.update({p.id: p.idcs for p in lookups.persons.values()})


def _read_households(session: Session, applicants: set[int], lookups: _Lookups) -> None:
    for chunk in _chunks(sorted(applicants)):
        rows = session.execute(
            select(HouseholdMember.person_id, HouseholdMember.household_id, HouseholdMember.relationship).where(
                HouseholdMember.person_id.in_(chunk), HouseholdMember.valid_to.is_(None)
            )
        ).all()
        lookups.household_of.update({person: (household, relationship) for person, household, relationship in rows})
    household_ids = sorted({household for household, _ in lookups.household_of.values()})
    others: set[int] = set()
    for chunk in _chunks(household_ids):
        for household, person in session.execute(
            select(HouseholdMember.household_id, HouseholdMember.person_id).where(
                HouseholdMember.household_id.in_(chunk), HouseholdMember.valid_to.is_(None)
            )
        ):
            lookups.members_of.setdefault(household, set()).add(person)
            others.add(person)
        for household, annex, address in session.execute(
            select(Household.id, Household.annex_code, Household.address).where(Household.id.in_(chunk))
        ):
            lookups.households[household] = (annex, address)
        declarants: dict[int, tuple[int, int]] = {}
        for household, number, declarant in session.execute(
            select(Declaration.household_id, Declaration.number, Declaration.declarant_person_id).where(
                Declaration.household_id.in_(chunk)
            )
        ):
            if household not in declarants or number > declarants[household][0]:
                declarants[household] = (number, declarant)
        phones = dict(
            session.execute(
                select(Person.id, Person.phone).where(Person.id.in_([d for _, d in declarants.values()]))
            ).all()
        )
        lookups.declarant_phone.update({h: phones.get(d) for h, (_, d) in declarants.items()})
    missing = sorted(others - set(lookups.idcs_of))
    for chunk in _chunks(missing):
        lookups.idcs_of.update(dict(session.execute(select(Person.id, Person.idcs).where(Person.id.in_(chunk))).all()))


def _read_decisions(session: Session, programmes: set[str], households: set[int], lookups: _Lookups) -> None:
    if not households:
        return
    day = lookups.day
    inputs = read_inputs(session.connection(), as_of=day, model=model_ref(day, None), household_ids=sorted(households))
    for programme in sorted(programmes):
        rule = rule_in_force(shipped_rules(), programme, day)
        decided = decide(rule, inputs.households, inputs.members, inputs.links).decisions
        for household, status, reasons in decided.select("household_id", "status", "reasons").iter_rows():
            lookups.decisions[(programme, household)] = (status, codes(reasons))


# --- the checks, each judging one file from the batch's lookups ----------------------------------


def _person(file: _File) -> None:
    person = file.lookups.persons.get(file.form.applicant_idcs)
    if person is None:
        file.add("person_unknown", "applicant_idcs", file.form.applicant_idcs)
        return
    file.verdict.person_id = person.id
    if person.status == "deceased":
        file.add("person_deceased", "applicant_idcs", file.form.applicant_idcs)
    for index, member in enumerate(file.form.members):
        if member.idcs not in file.lookups.persons:
            file.add("member_unknown", f"members.{index}.idcs", member.idcs)


def _household(file: _File) -> None:
    person_id = file.verdict.person_id
    if person_id is None:
        return
    found = file.lookups.household_of.get(person_id)
    if found is None:
        file.add("household_missing", "applicant_idcs", file.form.applicant_idcs)
        return
    file.verdict.household_id = found[0]
    annex = file.lookups.households[found[0]][0]
    if file.given.channel == "online" or file.given.annex_code is None:
        # Sent from home (or by no annex): the file goes to the household's annex.
        file.verdict.annex_code = annex
    elif file.given.annex_code != annex:
        file.add("household_other_annex", "annex_code", file.given.annex_code)


def _applicant_head(file: _File) -> None:
    person_id = file.verdict.person_id
    found = file.lookups.household_of.get(person_id) if person_id is not None else None
    if found is not None and found[1] != "head":
        file.add("applicant_not_head", "applicant_idcs", file.form.applicant_idcs)


def _members(file: _File) -> None:
    household = file.verdict.household_id
    if household is None:
        return
    persons = file.lookups.persons
    on_form = {persons[m.idcs].id for m in file.form.members if m.idcs in persons}
    on_form.add(persons[file.form.applicant_idcs].id)
    declared = file.lookups.members_of.get(household, set())
    if on_form != declared:
        idcs = file.lookups.idcs_of
        file.add(
            "members_differ",
            "members",
            {
                "not_in_household": sorted(idcs.get(p, "?") for p in on_form - declared),
                "not_on_form": sorted(idcs.get(p, "?") for p in declared - on_form),
            },
        )


_SPACES = re.compile(r"[\s,.;:/\\'\"-]+")


def comparable_address(text: str) -> str:
    """Case, accents, punctuation and spacing aside: 'N° 12, Rue X' and 'n 12 rue x' agree."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in folded if not unicodedata.combining(c)).replace("°", "")
    return _SPACES.sub(" ", stripped).strip()


def _address(file: _File) -> None:
    household = file.verdict.household_id
    if household is None or file.form.address is None:
        return
    declared = file.lookups.households[household][1]
    if comparable_address(file.form.address) != comparable_address(declared):
        file.add("address_differs", "address", file.form.address)


def _phone(file: _File) -> None:
    household = file.verdict.household_id
    if household is None or file.form.phone is None:
        return
    given = normalize_phone(file.form.phone)
    if given is None:
        file.add("form_invalid", "phone", file.form.phone)
    elif given != file.lookups.declarant_phone.get(household):
        file.add("phone_differs", "phone", file.form.phone)


def _eligibility(file: _File) -> None:
    household = file.verdict.household_id
    if household is None:
        return
    decided = file.lookups.decisions.get((file.given.workflow.programme, household))
    if decided is None:
        # Declared after the day of the check: as if not declared yet.
        file.add("household_missing", "applicant_idcs", file.form.applicant_idcs)
        return
    status, reasons = decided
    if status != ELIGIBLE:
        for code in reasons:
            file.add(code, "programme", file.given.workflow.programme)


# `form` runs before all others (a form that cannot be read is judged on nothing else).
CHECKS: dict[str, Callable[[_File], None] | None] = {
    "form": None,
    "person": _person,
    "household": _household,
    "applicant_head": _applicant_head,
    "members": _members,
    "address": _address,
    "phone": _phone,
    "eligibility": _eligibility,
}


def check_files(session: Session, files: Sequence[FileToCheck], day: date) -> list[Verdict]:
    """One verdict per file, in the order given; reads only, writes nothing."""
    lookups = _Lookups(day=day)
    parsed: list[tuple[FileToCheck, ApplicationForm | None, Verdict]] = []
    for given in files:
        form, findings = parse_form(given.form)
        parsed.append((given, form, Verdict(given.application_id, findings, annex_code=given.annex_code)))
    forms = [form for _, form, _ in parsed if form is not None]
    _read_persons(session, {m.idcs for f in forms for m in f.members} | {f.applicant_idcs for f in forms}, lookups)
    applicants = {lookups.persons[f.applicant_idcs].id for f in forms if f.applicant_idcs in lookups.persons}
    _read_households(session, applicants, lookups)
    wanted = {
        given.workflow.programme
        for given, form, _ in parsed
        if form is not None and "eligibility" in given.workflow.checks
    }
    households = {h for h, _ in (lookups.household_of[p] for p in applicants if p in lookups.household_of)}
    _read_decisions(session, wanted, households, lookups)
    for given, form, verdict in parsed:
        if form is None:
            continue
        file = _File(given, form, verdict, lookups)
        for name in given.workflow.checks:
            check = CHECKS[name]
            if check is not None:
                check(file)
    return [verdict for _, _, verdict in parsed]
