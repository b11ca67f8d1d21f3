"""Turn the chunk's column arrays into the persons and households Arrow tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill.synth.attributes import EDUCATION, NATIONALITIES, OCCUPATIONS, Attributes
from sijill.synth.columns import date_array, labels
from sijill.synth.households import Households
from sijill.synth.identity import Identity, cin_strings, phone_strings
from sijill.synth.marital import MARITAL_STATUSES
from sijill.synth.names import names
from sijill.synth.persons import RELATIONSHIPS, People
from sijill.synth.rng import IntArray
from sijill.synth.schemas import HOUSEHOLDS, PERSONS
from sijill.synth.territory_gen import TerritoryPlan

# Salts keep an agent's habit for given names independent of its habit for family names.
SALT_GIVEN, SALT_FAMILY, SALT_FATHER, SALT_MOTHER = 101, 102, 103, 104

_STREETS = pa.array(["Al Massira", "Hassan II", "Mohammed V", "Al Qods", "Al Wahda", "Ibn Sina", "Al Farabi",
                     "Oued Sebou", "Al Andalous", "Moulay Ismail", "Al Amal", "Annasr", "Al Fath", "Zerktouni",
                     "Ibn Khaldoun", "Al Moukawama", "Abdelkrim El Khattabi", "Al Houria"])  # fmt: skip
_QUARTERS = pa.array(["Hay Salam", "Hay Mohammadi", "Hay Nahda", "Hay Al Qods", "Hay Riad", "Hay Karima",
                      "Hay Al Wifaq", "Douar Jdid", "Hay Saada", "Hay Al Amal"])  # fmt: skip
_DOUARS = pa.array(["Oulad Ali", "Oulad Said", "Ait Brahim", "Ait Hammou", "Lmrabtine", "Laaouina",
                    "Tighza", "Imi n'Tlit", "Ouled Moussa", "Lahrech", "Tagadirt", "Bni Ayat"])  # fmt: skip


@dataclass(frozen=True)
class Rendered:
    table: pa.Table
    given_variant: IntArray
    family_variant: IntArray


def render_persons(
    rng: np.random.Generator, plan: TerritoryPlan, hh: Households, people: People, attrs: Attributes,
    ident: Identity, record_ids: IntArray, household_ids: IntArray, marital: IntArray,
) -> Rendered:  # fmt: skip
    nm = names()
    style = ident.registered_by
    gv = nm.given.spelling(people.given, style, SALT_GIVEN, rng)
    fv = nm.family.spelling(people.family, style, SALT_FAMILY, rng)
    fav = nm.given.spelling(people.father, style, SALT_FATHER, rng)
    mov = nm.given.spelling(people.mother, style, SALT_MOTHER, rng)

    def latin(table_given: bool, idx: IntArray, variant: IntArray) -> pa.Array:
        t = nm.given if table_given else nm.family
        return t.latin_of(np.where(people.no_latin, -1, idx), variant)

    def arabic(table_given: bool, idx: IntArray) -> pa.Array:
        t = nm.given if table_given else nm.family
        return t.arabic_of(np.where(people.no_arabic, -1, idx))

    province_codes = pa.array([u.code for u in plan.all_provinces], type=pa.string())
    annex = hh.annex[people.hh]
    columns = {
        "record_id": pa.array(record_ids),
        "household_id": pa.array(household_ids[people.hh]),
        "relationship": labels(RELATIONSHIPS, people.rel),
        "sex": pc.if_else(pa.array(people.male), "M", "F"),
        "birth_year": pa.array(ident.birth_year.astype(np.int16)),
        "birth_date": date_array(ident.birth_date, ~ident.birth_known),
        "birth_date_presumed": pa.array(ident.presumed),
        "given_name_ar": arabic(True, people.given),
        "family_name_ar": arabic(False, people.family),
        "given_name_lat": latin(True, people.given, gv),
        "family_name_lat": latin(False, people.family, fv),
        "father_given_name_ar": arabic(True, people.father),
        "father_given_name_lat": latin(True, people.father, fav),
        "mother_given_name_ar": arabic(True, people.mother),
        "mother_given_name_lat": latin(True, people.mother, mov),
        "birth_place_code": pc.take(province_codes, pa.array(attrs.birth_province, mask=attrs.birth_province < 0)),
        "nationality": labels(NATIONALITIES, attrs.nationality),
        "cin": cin_strings(ident.cin_serial),
        "phone": phone_strings(ident.phone),
        "annex_code": plan.annex_code.take(pa.array(annex)),
        "registered_by": plan.agent_code.take(pa.array(ident.registered_by)),
        "registered_on": date_array(ident.registered_on),
        "death_date": date_array(ident.death_date, ident.death_date < 0),
        "education": labels(EDUCATION, attrs.education),
        "in_school": pa.array(attrs.in_school),
        "occupation": labels(OCCUPATIONS, attrs.occupation),
        "disability": pa.array(attrs.disability),
        "marital_status": labels(MARITAL_STATUSES, marital),
    }
    return Rendered(pa.table(columns, schema=PERSONS), gv, fv)


def render_households(
    rng: np.random.Generator, plan: TerritoryPlan, hh: Households, ident: Identity, household_ids: IntArray,
    declarant_ids: IntArray, phones: pa.Array,
) -> pa.Table:  # fmt: skip
    n = len(hh)
    commune = plan.annex_commune_fr.take(pa.array(hh.annex))
    number = pc.cast(pa.array(rng.integers(1, 400, n)), pa.string())
    street = pc.take(_STREETS, pa.array(rng.integers(0, len(_STREETS), n)))
    quarter = pc.take(_QUARTERS, pa.array(rng.integers(0, len(_QUARTERS), n)))
    douar = pc.take(_DOUARS, pa.array(rng.integers(0, len(_DOUARS), n)))
    urban_address = pc.binary_join_element_wise("N° ", number, ", Rue ", street, ", ", quarter, ", ", commune, "")
    rural_address = pc.binary_join_element_wise("Douar ", douar, ", ", commune, "")
    urban = pa.array(hh.urban)
    address = pc.if_else(urban, urban_address, rural_address)
    # A split-off household lives where it did: same dwelling, same address.
    dwelling = np.where(hh.origin >= 0, hh.origin, np.arange(n))
    return pa.table(
        {
            "household_id": pa.array(household_ids),
            "annex_code": plan.annex_code.take(pa.array(hh.annex)),
            "milieu": pc.if_else(urban, "urban", "rural"),
            "address": address.take(pa.array(dwelling)),
            "phone": phones,
            "declarant_record_id": pa.array(declarant_ids),
            "declared_on": date_array(ident.declared_on),
            "size": pa.array(hh.size.astype(np.int16)),
            "agent_code": plan.agent_code.take(pa.array(ident.household_agent)),
        },
        schema=HOUSEHOLDS,
    )
