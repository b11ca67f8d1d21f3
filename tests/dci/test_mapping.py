"""Sijill households and persons as DCI Group and Member records, pruned to a partner's fields."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sijill.dci.mapping import (
    FIELD_PRESETS,
    HEALTH_INSURER_FIELDS,
    RECORD_FIELDS,
    HouseholdFacts,
    MemberFacts,
    group_record,
    member_search_record,
)

MOMENT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
HOUSEHOLD = HouseholdFacts(
    household_id=123,
    annex_code="03.02.001.01",
    milieu="urban",
    address="N° 4, Rue Al Massira",
    poverty_score=8.1234567,
    score_model="rsu-index@2026.1",
    group_size=2,
    registered_on=date(2026, 3, 1),
    updated_at=MOMENT,
)
HEAD = MemberFacts(
    household_id=123,
    idcs="1000000011",
    cin="AB123456",
    given_name_ar="يوسف",
    family_name_ar="العلمي",
    given_name_lat="Youssef",
    family_name_lat="Alami",
    sex="M",
    birth_date=date(1970, 3, 3),
    birth_year=1970,
    birth_date_precision="day",
    phone="+212612345678",
    relationship="head",
    head_idcs="1000000011",
    education="primary",
    occupation="employed_informal",
    disability=False,
    marital_status="married",
    created_at=MOMENT,
    updated_at=MOMENT,
)
WIFE = replace(
    HEAD,
    idcs="1000000012",
    cin=None,
    given_name_ar="فاطمة",
    given_name_lat=None,
    family_name_lat=None,
    sex="F",
    birth_date=None,
    birth_year=1975,
    birth_date_precision="year",
    phone=None,
    relationship="spouse",
    occupation=None,
    disability=None,
    marital_status="widowed",
)


def test_a_group_with_every_field() -> None:
    record: Any = group_record(HOUSEHOLD, [HEAD, WIFE], RECORD_FIELDS, "fra")
    assert record["@type"] == "Group" and "@context" in record
    assert record["group_identifier"] == [
        {"@type": "Identifier", "identifier_type": "HOUSEHOLD_ID", "identifier_value": "HH000000123"}
    ]
    assert record["group_type"] == "household"
    assert record["poverty_score"] == 8.1234567 and record["poverty_score_type"] == "rsu-index@2026.1"
    assert record["group_size"] == 2
    assert record["address"] == [
        {
            "@type": "Address",
            "address_line_1": "N° 4, Rue Al Massira",
            "region_code": "03",
            "country_code": "MA",
            "sub_region_code": "03.02",
            "locality": "03.02.001",
        }
    ]
    assert {"annex_code": "03.02.001.01"} in record["additional_attributes"]
    assert {"milieu_label": "urbain"} in record["additional_attributes"]
    assert record["registration_date"] == "2026-03-01"
    assert record["last_updated"] == "2026-03-01T09:30:00Z"
    head, wife = record["member_list"]
    assert record["group_head_info"] == head
    assert "@context" not in head
    assert head["member_identifier"] == [
        {"@type": "Identifier", "identifier_type": "UIN", "identifier_value": "1000000011"},
        {"@type": "Identifier", "identifier_type": "CIN", "identifier_value": "AB123456"},
    ]
    info = head["demographic_info"]
    assert info["@type"] == "SRPerson"
    assert info["name"] == {"@type": "Name", "given_name": "Youssef", "surname": "Alami"}
    assert info["sex"] == "male" and info["birth_date"] == "1970-03-03" and info["phone_number"] == ["+212612345678"]
    assert head["marital_status"] == "M" and head["is_disabled"] is False
    assert head["education_level"] == "primary" and head["employment_status"] == "employed"
    assert "related_person" not in head
    assert {"relationship_head": "self"} in head["additional_attributes"]
    # A year-only birth, Arabic names only, no occupation or disability declared.
    assert wife["demographic_info"]["birth_date"] == "1975"
    assert wife["demographic_info"]["name"]["given_name"] == "فاطمة"
    assert wife["marital_status"] == "W"
    assert "is_disabled" not in wife and "employment_status" not in wife
    assert wife["related_person"][0]["relationship_type"] == "spouse"
    assert wife["related_person"][0]["related_person_identifier"][0]["identifier_value"] == "1000000011"
    assert {"relationship_head_label": "conjoint(e)"} in wife["additional_attributes"]


def test_labels_and_names_follow_the_locale() -> None:
    record: Any = group_record(HOUSEHOLD, [HEAD, WIFE], RECORD_FIELDS, "ara")
    head, wife = record["member_list"]
    assert head["demographic_info"]["name"]["given_name"] == "يوسف"
    assert {"relationship_head_label": "الزوج(ة)"} in wife["additional_attributes"]
    assert {"milieu_label": "حضري"} in record["additional_attributes"]


def test_fields_not_granted_are_left_out_identifiers_stay() -> None:
    record: Any = group_record(HOUSEHOLD, [HEAD, WIFE], HEALTH_INSURER_FIELDS, "fra")
    assert "additional_attributes" not in record
    assert "address_line_1" not in record["address"][0]
    head = record["member_list"][0]
    assert "phone_number" not in head["demographic_info"]
    assert "education_level" not in head and "marital_status" not in head
    assert head["member_identifier"][0]["identifier_value"] == "1000000011"
    bare: Any = group_record(HOUSEHOLD, [HEAD], frozenset(), "fra")
    assert set(bare) == {"@context", "@type", "group_identifier"}


def test_a_member_record_alone() -> None:
    record: Any = member_search_record(WIFE, frozenset({"member_list.demographic_info.sex"}), "fra")
    assert record["@type"] == "Member" and "@context" in record
    assert record["demographic_info"] == {
        "@type": "SRPerson",
        "identifier": [{"@type": "Identifier", "identifier_type": "UIN", "identifier_value": "1000000012"}],
        "sex": "female",
    }
    assert set(record) == {"@context", "@type", "member_identifier", "demographic_info"}


def test_presets_name_only_known_fields() -> None:
    for fields in FIELD_PRESETS.values():
        assert set(fields) <= RECORD_FIELDS
    assert set(FIELD_PRESETS["health_insurer"]) == HEALTH_INSURER_FIELDS
