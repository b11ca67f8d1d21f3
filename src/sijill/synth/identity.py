"""Dates, registration agents, CIN serials and phone numbers of households and persons."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill.synth.columns import day, jan_first, years_of
from sijill.synth.households import Households
from sijill.synth.persons import People
from sijill.synth.rng import BoolArray, IntArray
from sijill.synth.territory_gen import TerritoryPlan

DECLARED_FROM, DECLARED_TO = day("2022-01-01"), day("2025-12-31")
RNP_OPENED = day("2021-07-01")
# One and two-letter prefixes of the kind printed on Moroccan CINs (issuing office), illustrative.
CIN_PREFIXES = ("A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "P", "Q", "R",
                "S", "T", "U", "V", "W", "X", "Y", "Z", "AA", "AB", "AD", "AE", "BE", "BH", "BJ", "BK",
                "BL", "BB", "CB", "CD", "DA", "DJ", "EE", "FA", "GK", "GN", "HA", "IA", "JA", "JB", "JC")  # fmt: skip
_CIN_SPACE = len(CIN_PREFIXES) * 1_000_000
_CIN_MULTIPLIER = 7_368_787  # prime to 2, 3 and 5, hence a permutation of the serial space


@dataclass
class Identity:
    declared_on: IntArray  # days since 1970-01-01, per household
    household_agent: IntArray  # global agent index, per household
    birth_date: IntArray  # days, per person (meaningless where ~birth_known)
    birth_year: IntArray
    birth_known: BoolArray  # False: only the year is known
    presumed: BoolArray
    registered_on: IntArray
    registered_by: IntArray
    death_date: IntArray  # -1 when alive
    cin_serial: IntArray  # -1 without CIN
    phone: IntArray  # 9 national digits (6xxxxxxxx / 7xxxxxxxx), -1 without phone


def draw_identity(
    rng: np.random.Generator, plan: TerritoryPlan, hh: Households, people: People, nationality: IntArray,
    cin_offset: int,
) -> Identity:  # fmt: skip
    n_hh, n = len(hh), len(people)
    declared = rng.integers(DECLARED_FROM, DECLARED_TO + 1, n_hh)
    split = np.flatnonzero(hh.origin >= 0)
    # A split-off household is declared after the one it left.
    declared[split] = np.minimum(declared[hh.origin[split]] + rng.integers(30, 400, len(split)), DECLARED_TO)
    annex = hh.annex
    agent = plan.random_agent(rng, annex)

    h = people.hh
    age = people.age
    urban = hh.urban[h]
    decl = declared[h]
    birth = decl - np.round(age * 365.2425).astype(np.int64) - rng.integers(2, 363, n)
    birth_year = years_of(birth)
    # Older people, rural ones above all, often have a presumed date (1 January) or only a year.
    p_presumed = np.where(urban, np.where(age >= 60, 0.10, 0.003), np.where(age >= 50, 0.30, 0.01))
    presumed = rng.random(n) < p_presumed
    birth = np.where(presumed, jan_first(birth_year), birth)
    year_only = (age >= 65) & (rng.random(n) < np.where(urban, 0.005, 0.03))
    presumed &= ~year_only

    registered = np.maximum(decl - rng.integers(0, 400, n), np.minimum(birth + 7, decl))
    registered = np.minimum(np.maximum(registered, RNP_OPENED), decl)
    # Members are usually registered by the agent who takes the household's declaration.
    other_agent = plan.random_agent(rng, annex[h])
    registered_by = np.where(rng.random(n) < 0.85, agent[h], other_agent)

    dies = (rng.random(n) < 0.002 + 0.012 * (age >= 70)) & (decl < DECLARED_TO)
    death = np.where(dies, decl + 1 + (rng.random(n) * (DECLARED_TO - decl)).astype(np.int64), -1)

    has_cin = (nationality == 0) & (
        ((age >= 18) & (rng.random(n) < 0.965)) | ((age >= 16) & (age < 18) & (rng.random(n) < 0.3))
    )
    cin_serial = np.where(has_cin, cin_offset + np.cumsum(has_cin) - 1, -1)
    p_phone = np.select([age >= 18, age >= 15], [np.where(urban, 0.9, 0.75), 0.5], 0.0)
    has_phone = rng.random(n) < p_phone
    phone = np.where(has_phone, draw_phone_numbers(rng, n), -1)
    return Identity(
        declared_on=declared,
        household_agent=agent,
        birth_date=birth,
        birth_year=birth_year,
        birth_known=~year_only,
        presumed=presumed,
        registered_on=registered,
        registered_by=registered_by,
        death_date=death,
        cin_serial=cin_serial,
        phone=phone,
    )


# Mobile prefixes (after +212) that the numbering plan allocates, as listed by libphonenumber's
# metadata; a number drawn outside them would be refused by the register's own phone rule.
_MOBILE_PREFIXES = np.array(
    [*range(600, 683), 684, 687, 688, 689, *range(690, 729), 730, 731, *range(750, 756), *range(760, 790)],
    dtype=np.int64,
)  # fmt: skip
_MOBILE_06 = _MOBILE_PREFIXES[_MOBILE_PREFIXES < 700]
_MOBILE_07 = _MOBILE_PREFIXES[_MOBILE_PREFIXES >= 700]


def draw_phone_numbers(rng: np.random.Generator, n: int) -> IntArray:
    """The nine national digits of Moroccan mobile numbers: 80 % 06, 20 % 07, allocated prefixes only."""
    prefix = np.where(rng.random(n) < 0.8, rng.choice(_MOBILE_06, n), rng.choice(_MOBILE_07, n))
    out: IntArray = prefix * 1_000_000 + rng.integers(0, 1_000_000, n)
    return out


def cin_strings(serial: IntArray) -> pa.Array:
    """A distinct CIN per serial below the capacity (48 prefixes x 1,000,000 numbers): the serial is
    scrambled by a bijection of that space, then split into prefix and six digits."""
    if len(serial) and int(serial.max()) >= _CIN_SPACE:
        raise ValueError(f"CIN serial space exhausted at {int(serial.max()):,}")
    p = len(CIN_PREFIXES)
    scrambled = (np.maximum(serial, 0) * _CIN_MULTIPLIER + 20_011_979) % _CIN_SPACE
    digits = scrambled // p
    prefix = pc.take(pa.array(CIN_PREFIXES), pa.array(scrambled % p))
    text = pc.utf8_lpad(pc.cast(pa.array(digits), pa.string()), 6, "0")
    joined = pc.binary_join_element_wise(prefix, text, "")
    return pc.if_else(pa.array(serial < 0), pa.nulls(len(serial), pa.string()), joined)


def phone_strings(phone: IntArray) -> pa.Array:
    text = pc.binary_join_element_wise("+212", pc.cast(pa.array(np.maximum(phone, 0)), pa.string()), "")
    return pc.if_else(pa.array(phone < 0), pa.nulls(len(phone), pa.string()), text)
