"""Arrow schemas of every synthetic output table (documented column by column in docs/synthetic-data.md)."""

from __future__ import annotations

import pyarrow as pa

S = pa.string()
D = pa.date32()

TERRITORY = pa.schema(
    [("code", S), ("parent_code", S), ("level", S), ("kind", S), ("milieu", S),
     ("name_fr", S), ("name_ar", S), ("valid_from", D)]
)  # fmt: skip

AGENTS = pa.schema([("agent_code", S), ("annex_code", S)])

HOUSEHOLDS = pa.schema(
    [("household_id", pa.int64()), ("annex_code", S), ("milieu", S), ("address", S), ("phone", S),
     ("declarant_record_id", pa.int64()), ("declared_on", D), ("size", pa.int16()), ("agent_code", S)]
)  # fmt: skip

PERSONS = pa.schema(
    [("record_id", pa.int64()), ("household_id", pa.int64()), ("relationship", S), ("sex", S),
     ("birth_year", pa.int16()), ("birth_date", D), ("birth_date_presumed", pa.bool_()),
     ("given_name_ar", S), ("family_name_ar", S), ("given_name_lat", S), ("family_name_lat", S),
     ("father_given_name_ar", S), ("father_given_name_lat", S),
     ("mother_given_name_ar", S), ("mother_given_name_lat", S),
     ("birth_place_code", S), ("nationality", S), ("cin", S), ("phone", S), ("annex_code", S),
     ("registered_by", S), ("registered_on", D), ("death_date", D), ("education", S),
     ("in_school", pa.bool_()), ("occupation", S), ("disability", pa.bool_()), ("marital_status", S)]
)  # fmt: skip

GOODS = ("fridge", "tv", "satellite_dish", "washing_machine", "computer", "internet", "mobile_phone",
         "car", "motorcycle", "oven", "air_conditioner")  # fmt: skip

ANSWERS = pa.schema(
    [("household_id", pa.int64()), ("milieu", S), ("dwelling_type", S), ("rooms", pa.int8()),
     ("occupancy", S), ("water", S), ("electricity", S), ("sanitation", S),
     ("spend_water", pa.int32()), ("spend_electricity", pa.int32()), ("spend_phone", pa.int32()),
     ("spend_butane", pa.int32())]
    + [(g, pa.bool_()) for g in GOODS]
    + [("land_ha", pa.float32()), ("cattle", pa.int16()), ("sheep_goats", pa.int16()), ("tractor", pa.bool_())]
)  # fmt: skip

_PERSON_KEYS = [("registry_record_id", pa.int64()), ("cin", S), ("given_name_lat", S),
                ("family_name_lat", S), ("birth_date", D), ("birth_year", pa.int16())]  # fmt: skip

CNSS_SALARIED = pa.schema(
    [*_PERSON_KEYS, ("cnss_number", S), ("employer_ice", S), ("affiliated_on", D),
     ("last_declared_month", D), ("monthly_wage_dh", pa.int32())]
)  # fmt: skip
AUTO_ENTREPRENEURS = pa.schema(
    [*_PERSON_KEYS, ("ice", S), ("activity", S), ("registered_on", D), ("deregistered_on", D)]
)
CIVIL_SERVANTS = pa.schema(
    [*_PERSON_KEYS, ("ppr", S), ("employer", S), ("hired_on", D), ("monthly_salary_dh", pa.int32())]
)
PENSIONERS = pa.schema([*_PERSON_KEYS, ("fund", S), ("pension_start", D), ("monthly_pension_dh", pa.int32())])
OTHER_HEALTH_COVER = pa.schema(
    [*_PERSON_KEYS, ("scheme", S), ("beneficiary_role", S), ("covered_from", D), ("covered_to", D)]
)
FAMILY_ALLOWANCES = pa.schema(
    [*_PERSON_KEYS, ("paying_body", S), ("children", pa.int8()), ("started_on", D), ("ended_on", D)]
)

REGISTRIES: dict[str, pa.Schema] = {
    "cnss_salaried": CNSS_SALARIED,
    "auto_entrepreneurs": AUTO_ENTREPRENEURS,
    "civil_servants": CIVIL_SERVANTS,
    "pensioners": PENSIONERS,
    "other_health_cover": OTHER_HEALTH_COVER,
    "family_allowances": FAMILY_ALLOWANCES,
}

TRUTH_HOUSEHOLDS = pa.schema(
    [("household_id", pa.int64()), ("consumption_per_capita_dh", pa.float64()), ("log_consumption", pa.float64())]
)
TRUTH_DUPLICATES = pa.schema([("record_id", pa.int64()), ("original_record_id", pa.int64()), ("distortion", S)])
TRUTH_REGISTRY_LINKS = pa.schema([("registry", S), ("registry_record_id", pa.int64()), ("record_id", pa.int64())])

# logical name -> (relative path, schema)
TABLES: dict[str, tuple[str, pa.Schema]] = {
    "territory": ("territory.parquet", TERRITORY),
    "agents": ("agents.parquet", AGENTS),
    "households": ("households.parquet", HOUSEHOLDS),
    "persons": ("persons.parquet", PERSONS),
    "answers": ("answers.parquet", ANSWERS),
    **{f"registry_{k}": (f"registries/{k}.parquet", v) for k, v in REGISTRIES.items()},
    "truth_households": ("truth/households.parquet", TRUTH_HOUSEHOLDS),
    "truth_duplicates": ("truth/duplicates.parquet", TRUTH_DUPLICATES),
    "truth_registry_links": ("truth/registry_links.parquet", TRUTH_REGISTRY_LINKS),
}
