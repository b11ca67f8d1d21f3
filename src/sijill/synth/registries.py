"""Administrative registries (CNSS, auto-entrepreneurs, civil service, pensions, health cover,
family allowances) drawn from the persons' occupations, with their own spellings and gaps."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill.synth.attributes import (
    FORMAL,
    HOMEMAKER,
    INACTIVE,
    INFORMAL,
    RETIRED,
    SELF,
    UPPER_SEC,
    Attributes,
    welfare_z,
)
from sijill.synth.columns import date_array, day, month_start
from sijill.synth.distort import typo_where
from sijill.synth.households import Households
from sijill.synth.identity import Identity
from sijill.synth.names import names
from sijill.synth.persons import CHILD, HEAD, SPOUSE, People
from sijill.synth.rng import BoolArray, FloatArray, IntArray
from sijill.synth.schemas import REGISTRIES

# Share of records without a CIN, per registry: linkage must then fall back on names and dates.
CIN_MISSING = {"cnss_salaried": 0.06, "auto_entrepreneurs": 0.12, "civil_servants": 0.03,
               "pensioners": 0.08, "other_health_cover": 0.05, "family_allowances": 0.04}  # fmt: skip
NAME_TYPO_RATE = 0.02
AE_QUIT_RATE = 0.05  # poorer self-employed/informal adults who deregister just before declaring
MINISTRIES = ("Education nationale", "Santé", "Intérieur", "Justice", "Economie et Finances",
              "Collectivités territoriales", "Agriculture")  # fmt: skip
ACTIVITIES = ("commerce", "artisanat", "services", "transport", "agriculture", "bâtiment")
YEAR = 365.2425
CNSS_EXTRACT = day("2025-11-01")  # the month most CNSS records were last declared for


@dataclass
class Counters:
    next_id: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REGISTRIES, 1))


@dataclass(frozen=True)
class ChunkPersons:
    people: People
    attrs: Attributes
    ident: Identity
    hh: Households
    record_ids: IntArray
    household_ids: IntArray
    cin: pa.Array  # rendered CIN of each true person


@dataclass
class RegistryOutput:
    tables: dict[str, pa.Table]
    links: pa.Table
    ae_quitters: pa.Table  # record_id, registry_record_id, household_id, deregistered_on, declared_on


def ice_numbers(base13: IntArray) -> IntArray:
    """15-digit ICE: 13 digits then ISO 7064 MOD 97-10 check digits (whole number mod 97 == 1)."""
    out: IntArray = base13 * 100 + (98 - (base13 * 100) % 97)
    return out


def ice_strings(rng: np.random.Generator, n: int) -> pa.Array:
    base = rng.integers(1_000_000, 999_999_999, n) * 10_000 + rng.integers(1, 4, n)
    return pc.utf8_lpad(pc.cast(pa.array(ice_numbers(base)), pa.string()), 15, "0")


def _digits(rng: np.random.Generator, n: int, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 10**width, n)), pa.string()), width, "0")


def _pick(rng: np.random.Generator, labels: tuple[str, ...], n: int, p: list[float] | None = None) -> pa.Array:
    return pc.take(pa.array(labels, type=pa.string()), pa.array(rng.choice(len(labels), n, p=p)))


def _dates_between(rng: np.random.Generator, lo: IntArray, hi: IntArray) -> IntArray:
    out: IntArray = lo + (rng.random(len(lo)) * np.maximum(hi - lo, 0)).astype(np.int64)
    return out


def _monthly_dh(rng: np.random.Generator, base: float, slope: float, sd: float, z: FloatArray) -> pa.Array:
    """A monthly amount in DH that rises with the household's welfare, with individual spread."""
    return pa.array(np.round(base * np.exp(slope * z) * rng.lognormal(0, sd, len(z))).astype(np.int32))


def last_declared_month(rng: np.random.Generator, affiliated: IntArray, declared: IntArray) -> IntArray:
    """First day of the last month declared to the CNSS: the extraction month for most, an earlier one
    for those who stopped before; never before the month of affiliation."""
    current = rng.random(len(affiliated)) < 0.93
    last = np.where(current, CNSS_EXTRACT, _dates_between(rng, affiliated, declared))
    return month_start(np.maximum(last, affiliated))


class _Builder:
    def __init__(self, rng: np.random.Generator, cp: ChunkPersons, counters: Counters) -> None:
        self.rng, self.cp, self.counters = rng, cp, counters
        self.tables: dict[str, pa.Table] = {}
        self.links: list[pa.Table] = []

    def add(self, name: str, sel: IntArray, extra: dict[str, pa.Array]) -> IntArray:
        rng, cp, nm = self.rng, self.cp, names()
        n = len(sel)
        ids = np.arange(self.counters.next_id[name], self.counters.next_id[name] + n, dtype=np.int64)
        self.counters.next_id[name] += n
        cin = cp.cin.take(pa.array(sel))
        cin = pc.if_else(pa.array(rng.random(n) < CIN_MISSING[name]), pa.nulls(n, pa.string()), cin)
        given_idx, family_idx = cp.people.given[sel], cp.people.family[sel]
        # Each registry's clerks spell names their own way, independently of the RNP agents.
        given = nm.given.latin_of(given_idx, nm.given.variant_for(given_idx, rng.random(n)))
        family = nm.family.latin_of(family_idx, nm.family.variant_for(family_idx, rng.random(n)))
        given = typo_where(rng, given, rng.random(n) < NAME_TYPO_RATE)
        family = typo_where(rng, family, rng.random(n) < NAME_TYPO_RATE)
        ident = cp.ident
        columns = {
            "registry_record_id": pa.array(ids),
            "cin": cin,
            "given_name_lat": given,
            "family_name_lat": family,
            "birth_date": date_array(ident.birth_date[sel], ~ident.birth_known[sel]),
            "birth_year": pa.array(ident.birth_year[sel].astype(np.int16)),
            **extra,
        }
        self.tables[name] = pa.table(columns, schema=REGISTRIES[name])
        self.links.append(pa.table({"registry": pa.repeat(pa.scalar(name, pa.string()), n),
                                    "registry_record_id": pa.array(ids),
                                    "record_id": pa.array(cp.record_ids[sel])}))  # fmt: skip
        return ids


def build_registries(rng: np.random.Generator, cp: ChunkPersons, counters: Counters) -> RegistryOutput:
    people, attrs, ident, hh = cp.people, cp.attrs, cp.ident, cp.hh
    n = len(people)
    b = _Builder(rng, cp, counters)
    occ, age = attrs.occupation, people.age
    z = welfare_z(hh)[people.hh]
    decl = ident.declared_on[people.hh]
    adult_day = ident.birth_date + np.round(18 * YEAR).astype(np.int64)

    formal = (occ == FORMAL) & (age >= 18)
    public = formal & (rng.random(n) < 0.22 + 0.12 * (attrs.education >= UPPER_SEC))
    military = public & (rng.random(n) < 0.15)
    cnss = (formal & ~public & (rng.random(n) < 0.95)) | ((occ == INFORMAL) & (age >= 18) & (rng.random(n) < 0.03))

    sel = np.flatnonzero(cnss)
    affiliated = _dates_between(rng, np.maximum(adult_day[sel], day("1995-01-01")), decl[sel])
    b.add("cnss_salaried", sel, {
        "cnss_number": _digits(rng, len(sel), 9),
        "employer_ice": ice_strings(rng, len(sel)),
        "affiliated_on": date_array(affiliated),
        "last_declared_month": date_array(last_declared_month(rng, affiliated, decl[sel])),
        "monthly_wage_dh": _monthly_dh(rng, 3_600, 0.4, 0.35, z[sel]),
    })  # fmt: skip

    sel = np.flatnonzero(public)
    employer = pc.if_else(pa.array(military[sel]), "Forces Armées Royales", _pick(rng, MINISTRIES, len(sel)))
    b.add("civil_servants", sel, {
        "ppr": _digits(rng, len(sel), 7),
        "employer": employer,
        "hired_on": date_array(_dates_between(rng, np.maximum(adult_day[sel], day("1985-01-01")), decl[sel])),
        "monthly_salary_dh": _monthly_dh(rng, 8_000, 0.3, 0.3, z[sel]),
    })  # fmt: skip

    ae_quitters = _auto_entrepreneurs(rng, b, occ, age, z, decl, adult_day)

    # Survivors' pensions: widowed women heading their household, not working themselves.
    widow = ((~people.male) & (age >= 55) & (people.rel == HEAD) & ((occ == HOMEMAKER) | (occ == INACTIVE))
             & (rng.random(n) < 0.12))  # fmt: skip
    pensioned = ((occ == RETIRED) & (rng.random(n) < 0.92)) | widow
    sel = np.flatnonzero(pensioned)
    fund_code = rng.choice(3, len(sel), p=[0.35, 0.5, 0.15])
    start = np.minimum(ident.birth_date[sel] + np.round(rng.choice([60, 63], len(sel)) * YEAR).astype(np.int64),
                       decl[sel])  # fmt: skip
    b.add("pensioners", sel, {
        "fund": pc.take(pa.array(["CMR", "CNSS", "RCAR"]), pa.array(fund_code)),
        "pension_start": date_array(start),
        "monthly_pension_dh": _monthly_dh(rng, 2_400, 0.3, 0.4, z[sel]),
    })  # fmt: skip

    _health_cover(rng, b, len(hh), z, decl, cnss, public, military, pensioned, fund_code)
    _family_allowances(rng, b, len(hh), decl, cnss, public)
    return RegistryOutput(b.tables, pa.concat_tables(b.links), ae_quitters)


def _auto_entrepreneurs(
    rng: np.random.Generator, b: _Builder, occ: IntArray, age: IntArray, z: FloatArray, decl: IntArray,
    adult_day: IntArray,
) -> pa.Table:  # fmt: skip
    n = len(occ)
    active = (occ == SELF) & (age >= 18) & (rng.random(n) < 0.25)
    quitter = (~active & ((occ == SELF) | (occ == INFORMAL)) & (age >= 20) & (age < 65) & (z < 0.3)
               & (rng.random(n) < AE_QUIT_RATE))  # fmt: skip
    sel = np.flatnonzero(active | quitter)
    q = quitter[sel]
    # The anomaly is quitting weeks before declaring; ordinary deregistrations happened a year or more
    # before the declaration, so that nobody outside the ground truth shows the anomaly's pattern.
    old = ~q & (age[sel] >= 20) & (rng.random(len(sel)) < 0.12)
    lo = np.maximum(adult_day[sel], day("2015-06-01"))
    # Registered a year before declaring for the quitters, 18 months before (at least 6 months of activity
    # before leaving) for the ordinary deregistrations; aged 20+, both always have that room.
    registered = _dates_between(rng, lo, decl[sel] - np.select([q, old], [365, 545], 0))
    quit_day = np.where(q, decl[sel] - rng.integers(15, 121, len(sel)),
                        _dates_between(rng, registered + 180, decl[sel] - 365))  # fmt: skip
    deregistered = np.where(q | old, quit_day, -1)
    ids = b.add("auto_entrepreneurs", sel, {
        "ice": ice_strings(rng, len(sel)),
        "activity": _pick(rng, ACTIVITIES, len(sel)),
        "registered_on": date_array(registered),
        "deregistered_on": date_array(deregistered, deregistered < 0),
    })  # fmt: skip
    cp = b.cp
    qi = sel[q]
    return pa.table({
        "record_id": pa.array(cp.record_ids[qi]),
        "registry_record_id": pa.array(ids[q]),
        "household_id": pa.array(cp.household_ids[cp.people.hh[qi]]),
        "deregistered_on": date_array(quit_day[q]),
        "declared_on": date_array(decl[qi]),
    })  # fmt: skip


def _health_cover(
    rng: np.random.Generator, b: _Builder, n_hh: int, z: FloatArray, decl: IntArray, cnss: BoolArray,
    public: BoolArray, military: BoolArray, pensioned: BoolArray, fund_code: IntArray,
) -> None:  # fmt: skip
    schemes = ("CNOPS", "AMO_salaried", "private", "FAR")
    people = b.cp.people
    n = len(people)
    scheme = np.full(n, -1, dtype=np.int64)
    pension_scheme = np.where(fund_code == 1, 1, 0)  # CNSS pensions stay with AMO salaried
    scheme[np.flatnonzero(pensioned)] = pension_scheme
    scheme[cnss] = 1
    scheme[public] = 0
    scheme[military] = 3
    rich = (scheme < 0) & (z > 1.2) & (people.age >= 25) & (rng.random(n) < 0.2)
    scheme[rich] = 2
    # The spouse and children under 21 of an insured head (or the head of an insured spouse) are covered.
    hh_scheme = np.full(n_hh, -1, dtype=np.int64)
    for role in (SPOUSE, HEAD):
        holder = (people.rel == role) & (scheme >= 0)
        hh_scheme[people.hh[holder]] = scheme[holder]
    family_scheme = hh_scheme[people.hh]
    dependant = (
        (scheme < 0)
        & (family_scheme >= 0)
        & ((people.rel == HEAD) | (people.rel == SPOUSE) | ((people.rel == CHILD) & (people.age < 21)))
    )
    covered = np.where(scheme >= 0, scheme, np.where(dependant, family_scheme, -1))
    sel = np.flatnonzero(covered >= 0)
    start = _dates_between(rng, np.full(len(sel), day("2010-01-01")), decl[sel])
    ended = rng.random(len(sel)) < 0.04
    end = np.where(ended, _dates_between(rng, start, decl[sel]), -1)
    b.add("other_health_cover", sel, {
        "scheme": pc.take(pa.array(schemes), pa.array(covered[sel])),
        "beneficiary_role": pc.if_else(pa.array(dependant[sel]), "dependant", "insured"),
        "covered_from": date_array(start),
        "covered_to": date_array(end, end < 0),
    })  # fmt: skip


def _family_allowances(
    rng: np.random.Generator, b: _Builder, n_hh: int, decl: IntArray, cnss: BoolArray, public: BoolArray
) -> None:
    people = b.cp.people
    kids = np.bincount(people.hh[(people.rel == CHILD) & (people.age < 21)], minlength=n_hh)
    entitled = (cnss | public) & ((people.rel == HEAD) | (people.rel == SPOUSE)) & (kids[people.hh] > 0)
    head_entitled = np.zeros(n_hh, dtype=np.bool_)
    head_entitled[people.hh[entitled & (people.rel == HEAD)]] = True
    recipient = entitled & ((people.rel == HEAD) | ~head_entitled[people.hh])
    sel = np.flatnonzero(recipient & (rng.random(len(people)) < 0.9))
    b.add("family_allowances", sel, {
        "paying_body": pc.if_else(pa.array(public[sel]), "Etat", "CNSS"),
        "children": pa.array(np.minimum(kids[people.hh[sel]], 6).astype(np.int8)),
        "started_on": date_array(_dates_between(rng, np.full(len(sel), day("2012-01-01")), decl[sel])),
        "ended_on": date_array(np.zeros(len(sel), dtype=np.int64), np.ones(len(sel), dtype=np.bool_)),
    })  # fmt: skip
