"""Sijill households and persons as DCI records: Group, Member and SRPerson (the spdci JSON-LD
classes), pruned to the fields the partner may receive.

docs/dci.md ("Mapping: Sijill to DCI, field by field") is the reference for every property; the
names in RECORD_FIELDS are what a partner's registration lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sijill.social_registry.models import household_number
from sijill.timeutil import as_utc

CONTEXT = {
    "@vocab": "https://schema.spdci.org/core/v1/",
    "spdci": "https://schema.spdci.org/extensions/social/v1/",
}
COUNTRY_CODE = "MA"

# The DCI fields a partner may be granted, by their path in a Group record. A member's fields
# are named by their path under member_list and apply wherever a member appears (the list, the
# head in group_head_info, a Member record). The identifiers are not here: group_identifier and
# member_identifier are in every record, since a partner cannot act on a record without them.
GROUP_FIELDS = (
    "group_type",
    "poverty_score",
    "poverty_score_type",
    "group_size",
    "address",
    "address.address_line_1",
    "additional_attributes",
    "registration_date",
    "last_updated",
    "member_list",
    "group_head_info",
)
MEMBER_FIELDS = (
    "member_list.demographic_info.name",
    "member_list.demographic_info.sex",
    "member_list.demographic_info.birth_date",
    "member_list.demographic_info.phone_number",
    "member_list.is_disabled",
    "member_list.marital_status",
    "member_list.education_level",
    "member_list.employment_status",
    "member_list.related_person",
    "member_list.additional_attributes",
    "member_list.registration_date",
    "member_list.last_updated",
)
FIELDS = GROUP_FIELDS + MEMBER_FIELDS
RECORD_FIELDS = frozenset(FIELDS)

# A sensible registration for a health insurer (AMO Tadamon at the CNSS): who is in the household
# and what decides their cover (the index, the size, age and sex, disability, whether a member
# works), not how to reach them or their schooling.
HEALTH_INSURER_FIELDS = frozenset(
    {
        "group_type",
        "poverty_score",
        "poverty_score_type",
        "group_size",
        "address",
        "member_list",
        "group_head_info",
        "member_list.demographic_info.name",
        "member_list.demographic_info.sex",
        "member_list.demographic_info.birth_date",
        "member_list.is_disabled",
        "member_list.employment_status",
        "member_list.related_person",
    }
)

# Named sets a partner can be registered with (`sijill dci partner-add --preset`).
FIELD_PRESETS: dict[str, tuple[str, ...]] = {
    "health_insurer": tuple(f for f in FIELDS if f in HEALTH_INSURER_FIELDS),
    "all": FIELDS,
}

# Sijill's declared marital status -> the spec's MaritalStatusEnum.
MARITAL_STATUS = {"single": "S", "married": "M", "widowed": "W", "divorced": "D"}
# The questionnaire's occupation -> employment_status (the spec gives no codes; ours are kept,
# grouped as the ILO does, and the detail stays in `occupation`).
EMPLOYMENT_STATUS = {
    "employed_formal": "employed",
    "employed_informal": "employed",
    "self_employed": "self_employed",
    "farmer": "self_employed",
    "unemployed": "unemployed",
    "student": "inactive",
    "homemaker": "inactive",
    "retired": "inactive",
    "inactive": "inactive",
}
# Relationship to the head, as the questionnaire codes it, with its label in each locale.
RELATIONSHIP_LABELS = {
    "head": ("رب الأسرة", "chef de ménage"),
    "spouse": ("الزوج(ة)", "conjoint(e)"),
    "child": ("ابن(ة)", "enfant"),
    "parent": ("الأب أو الأم", "père ou mère"),
    "sibling": ("أخ(ت)", "frère ou sœur"),
    "other_relative": ("قريب آخر", "autre parent"),
    "non_relative": ("بدون قرابة", "sans lien de parenté"),
}
MILIEU_LABELS = {"urban": ("حضري", "urbain"), "rural": ("قروي", "rural")}


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    """What a Group record says of a household: read by search.py in one query per page."""

    household_id: int
    annex_code: str
    milieu: str
    address: str
    poverty_score: float | None
    score_model: str | None
    group_size: int
    registered_on: date | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """A current member: the register's person and what the latest declaration said of them."""

    household_id: int
    idcs: str
    cin: str | None
    given_name_ar: str | None
    family_name_ar: str | None
    given_name_lat: str | None
    family_name_lat: str | None
    sex: str
    birth_date: date | None
    birth_year: int
    birth_date_precision: str
    phone: str | None
    relationship: str
    head_idcs: str | None
    # None when the latest declaration does not list the member (added to the household since).
    education: str | None
    occupation: str | None
    disability: bool | None
    marital_status: str | None
    created_at: datetime
    updated_at: datetime


def _allowed(fields: frozenset[str], name: str) -> bool:
    return name in fields


def _member_allowed(fields: frozenset[str], name: str) -> bool:
    return f"member_list.{name}" in fields


def _moment(value: datetime) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z")


def _label(labels: dict[str, tuple[str, str]], code: str, locale: str) -> str | None:
    pair = labels.get(code)
    if pair is None:
        return None
    return pair[0] if locale == "ara" else pair[1]


def _identifiers(member: MemberFacts) -> list[dict[str, object]]:
    """The IDCS as the spec's UIN (what partners look up by), then the CIN when the person has one."""
    found: list[dict[str, object]] = [
        {"@type": "Identifier", "identifier_type": "UIN", "identifier_value": member.idcs}
    ]
    if member.cin:
        found.append({"@type": "Identifier", "identifier_type": "CIN", "identifier_value": member.cin})
    return found


def _name(member: MemberFacts, locale: str) -> dict[str, object] | None:
    """Both parts from one script: the locale's (Arabic for ara, Latin otherwise), else the other."""
    arabic = (member.given_name_ar, member.family_name_ar)
    latin = (member.given_name_lat, member.family_name_lat)
    chosen = (arabic, latin) if locale == "ara" else (latin, arabic)
    given, family = next((pair for pair in chosen if any(pair)), (None, None))
    if given is None and family is None:
        return None
    name: dict[str, object] = {"@type": "Name"}
    if given:
        name["given_name"] = given
    if family:
        name["surname"] = family
    return name


def _birth_date(member: MemberFacts) -> str:
    """The date when the register knows it; a year alone (`1950`) when only the year is known."""
    if member.birth_date is not None and member.birth_date_precision != "year":
        return member.birth_date.isoformat()
    return f"{member.birth_year:04d}"


def _demographic_info(member: MemberFacts, fields: frozenset[str], locale: str) -> dict[str, object] | None:
    info: dict[str, object] = {"@type": "SRPerson", "identifier": _identifiers(member)}
    if _member_allowed(fields, "demographic_info.name"):
        name = _name(member, locale)
        if name is not None:
            info["name"] = name
    if _member_allowed(fields, "demographic_info.sex"):
        info["sex"] = "male" if member.sex == "M" else "female"
    if _member_allowed(fields, "demographic_info.birth_date"):
        info["birth_date"] = _birth_date(member)
    if _member_allowed(fields, "demographic_info.phone_number") and member.phone:
        info["phone_number"] = [member.phone]
    return info if len(info) > 2 else None


def member_record(member: MemberFacts, fields: frozenset[str], locale: str) -> dict[str, object]:
    """One Member: its identifiers always, the rest as `fields` allow."""
    record: dict[str, object] = {"@type": "Member", "member_identifier": _identifiers(member)}
    info = _demographic_info(member, fields, locale)
    if info is not None:
        record["demographic_info"] = info
    if _member_allowed(fields, "is_disabled") and member.disability is not None:
        record["is_disabled"] = member.disability
    if _member_allowed(fields, "marital_status") and member.marital_status in MARITAL_STATUS:
        record["marital_status"] = MARITAL_STATUS[member.marital_status]
    if _member_allowed(fields, "education_level") and member.education is not None:
        record["education_level"] = member.education
    if _member_allowed(fields, "employment_status") and member.occupation is not None:
        record["employment_status"] = EMPLOYMENT_STATUS.get(member.occupation, member.occupation)
        record["occupation"] = member.occupation
    if _member_allowed(fields, "related_person") and member.relationship != "head" and member.head_idcs:
        record["related_person"] = [
            {
                "@type": "RelatedPerson",
                "relationship_type": member.relationship,
                "related_person_identifier": [
                    {"@type": "Identifier", "identifier_type": "UIN", "identifier_value": member.head_idcs}
                ],
            }
        ]
    if _member_allowed(fields, "additional_attributes"):
        attributes: list[dict[str, object]] = [
            {"household_id": household_number(member.household_id)},
            # The samples' key: "self" for the head, as other DCI registries send it.
            {"relationship_head": "self" if member.relationship == "head" else member.relationship},
        ]
        label = _label(RELATIONSHIP_LABELS, member.relationship, locale)
        if label is not None:
            attributes.append({"relationship_head_label": label})
        record["additional_attributes"] = attributes
    if _member_allowed(fields, "registration_date"):
        record["registration_date"] = _moment(member.created_at)
    if _member_allowed(fields, "last_updated"):
        record["last_updated"] = _moment(member.updated_at)
    return record


def _address(household: HouseholdFacts, fields: frozenset[str]) -> list[dict[str, object]]:
    parts = household.annex_code.split(".")
    address: dict[str, object] = {"@type": "Address"}
    # The street line is granted apart: a partner may locate a household by its territory without
    # receiving a free-text address, which is as personal as a name.
    if _allowed(fields, "address.address_line_1"):
        address["address_line_1"] = household.address
    address |= {"region_code": parts[0], "country_code": COUNTRY_CODE}
    if len(parts) >= 2:
        address["sub_region_code"] = ".".join(parts[:2])
    if len(parts) >= 3:
        address["locality"] = ".".join(parts[:3])
    return [address]


def group_record(
    household: HouseholdFacts, members: Iterable[MemberFacts], fields: frozenset[str], locale: str
) -> dict[str, object]:
    """One Group: the household number always, the rest as `fields` allow."""
    record: dict[str, object] = {
        "@context": CONTEXT,
        "@type": "Group",
        "group_identifier": [
            {
                "@type": "Identifier",
                "identifier_type": "HOUSEHOLD_ID",
                "identifier_value": household_number(household.household_id),
            }
        ],
    }
    if _allowed(fields, "group_type"):
        record["group_type"] = "household"
    if _allowed(fields, "poverty_score") and household.poverty_score is not None:
        record["poverty_score"] = household.poverty_score
    if _allowed(fields, "poverty_score_type") and household.score_model is not None:
        record["poverty_score_type"] = household.score_model
    if _allowed(fields, "group_size"):
        record["group_size"] = household.group_size
    if _allowed(fields, "address"):
        record["address"] = _address(household, fields)
    if _allowed(fields, "additional_attributes"):
        attributes: list[dict[str, object]] = [{"annex_code": household.annex_code}, {"milieu": household.milieu}]
        label = _label(MILIEU_LABELS, household.milieu, locale)
        if label is not None:
            attributes.append({"milieu_label": label})
        record["additional_attributes"] = attributes
    listed = list(members)
    if _allowed(fields, "group_head_info"):
        head = next((m for m in listed if m.relationship == "head"), None)
        if head is not None:
            record["group_head_info"] = member_record(head, fields, locale)
    if _allowed(fields, "member_list"):
        record["member_list"] = [member_record(m, fields, locale) for m in listed]
    if _allowed(fields, "registration_date") and household.registered_on is not None:
        record["registration_date"] = household.registered_on.isoformat()
    if _allowed(fields, "last_updated"):
        record["last_updated"] = _moment(household.updated_at)
    return record


def member_search_record(member: MemberFacts, fields: frozenset[str], locale: str) -> dict[str, object]:
    """A Member answered on its own: with the record's @context."""
    return {"@context": CONTEXT, **member_record(member, fields, locale)}
