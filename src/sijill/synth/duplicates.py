"""Duplicate registrations of true persons, distorted the way a second registration would be."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill.synth.distort import swap_day_month, swappable, typo_where
from sijill.synth.identity import DECLARED_TO, date_array, phone_strings
from sijill.synth.names import names
from sijill.synth.persons import People
from sijill.synth.render import Rendered
from sijill.synth.rng import BoolArray, IntArray
from sijill.synth.territory_gen import TerritoryPlan

DUPLICATE_RATE = 0.025
DISTORTIONS = ("typo", "transliteration", "swapped_name_order", "date_error", "combination")
_DISTORTION_P = [0.3, 0.25, 0.15, 0.15, 0.15]


@dataclass(frozen=True)
class Duplicates:
    records: pa.Table  # same schema as persons
    truth: pa.Table  # record_id, original_record_id, distortion


def _null_mask(array: pa.Array | pa.ChunkedArray) -> BoolArray:
    return np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)


def make_duplicates(
    rng: np.random.Generator, plan: TerritoryPlan, people: People, person_annex: IntArray, rendered: Rendered,
    annex_lo: int, annex_hi: int, first_record_id: int,
) -> Duplicates:  # fmt: skip
    nm = names()
    base = rendered.table
    n_true = base.num_rows
    src = np.flatnonzero(rng.random(n_true) < DUPLICATE_RATE)
    n = len(src)
    ids = np.arange(first_record_id, first_record_id + n, dtype=np.int64)
    t = base.take(pa.array(src))
    kind = rng.choice(len(DISTORTIONS), n, p=_DISTORTION_P)
    flags = np.zeros((n, 4), dtype=np.bool_)
    flags[np.arange(n), np.minimum(kind, 3)] = kind < 4
    # A combination is two different distortions among the four simple ones.
    combo = np.flatnonzero(kind == 4)
    first = rng.integers(0, 4, len(combo))
    second = (first + rng.integers(1, 4, len(combo))) % 4
    flags[combo, first] = True
    flags[combo, second] = True
    do_typo, do_translit, do_swap, do_date = flags.T

    cols: dict[str, pa.Array] = {name: t.column(name).combine_chunks() for name in t.column_names}
    # A second agent writes the Latin name again, usually with another spelling.
    g, f = people.given[src], people.family[src]
    gv = rendered.given_variant[src]
    fv = rendered.family_variant[src]
    new_gv = (gv + rng.integers(1, nm.given.counts[g])) % nm.given.counts[g]
    new_fv = (fv + rng.integers(1, nm.family.counts[f])) % nm.family.counts[f]
    change_family = rng.random(n) < 0.6
    for key, table, idx, variant, mask in (
        ("given_name_lat", nm.given, g, new_gv, do_translit & (~change_family | (rng.random(n) < 0.5))),
        ("family_name_lat", nm.family, f, new_fv, do_translit & change_family),
    ):
        respelt = table.latin_of(idx, variant)
        cols[key] = pc.if_else(pa.array(mask), respelt, cols[key])

    on_given = rng.random(n) < 0.5
    lat_null = _null_mask(cols["given_name_lat"])
    for script, target in (("lat", do_typo & ~lat_null), ("ar", do_typo & lat_null)):
        cols[f"given_name_{script}"] = typo_where(rng, cols[f"given_name_{script}"], target & on_given)
        cols[f"family_name_{script}"] = typo_where(rng, cols[f"family_name_{script}"], target & ~on_given)

    swap = pa.array(do_swap)
    for script in ("lat", "ar"):
        given, family = cols[f"given_name_{script}"], cols[f"family_name_{script}"]
        cols[f"given_name_{script}"] = pc.if_else(swap, family, given)
        cols[f"family_name_{script}"] = pc.if_else(swap, given, family)

    birth = cols["birth_date"]
    known = ~_null_mask(birth)
    days = pc.fill_null(birth.cast(pa.int32()), 0).to_numpy().astype(np.int64)
    shift_year = np.where(rng.random(n) < 0.5, -1, 1)
    wrong_day = np.where(swappable(days) & (rng.random(n) < 0.6), swap_day_month(days),
                         days + shift_year * np.round(365.2425).astype(np.int64))  # fmt: skip
    new_days = np.where(do_date, wrong_day, days)
    cols["birth_date"] = date_array(new_days, ~known)
    year = cols["birth_year"].to_numpy().astype(np.int64)
    new_year = np.where(known, new_days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970,
                        year + shift_year)  # fmt: skip
    cols["birth_year"] = pa.array(np.where(do_date, new_year, year).astype(np.int16))
    cols["birth_date_presumed"] = pa.array(np.where(do_date, False, cols["birth_date_presumed"].to_numpy(
        zero_copy_only=False)))  # fmt: skip

    # The second registration happens later, often in another annex of the same area.
    moved = rng.random(n) < 0.4
    annex_idx = np.where(moved, rng.integers(annex_lo, annex_hi, n), person_annex[src])
    agent = plan.agent_start[annex_idx] + (rng.random(n) * plan.agent_count[annex_idx]).astype(np.int64)
    registered = cols["registered_on"].cast(pa.int32()).to_numpy().astype(np.int64)
    cols["annex_code"] = plan.annex_code.take(pa.array(annex_idx))
    cols["registered_by"] = plan.agent_code.take(pa.array(agent))
    cols["registered_on"] = date_array(np.minimum(registered + rng.integers(30, 700, n), DECLARED_TO))
    keep_cin = rng.random(n) < 0.25
    cols["cin"] = pc.if_else(pa.array(keep_cin), cols["cin"], pa.nulls(n, pa.string()))
    phone_roll = rng.random(n)
    fresh = phone_strings(np.where(rng.random(n) < 0.8, 6, 7) * 100_000_000 + rng.integers(0, 100_000_000, n))
    cols["phone"] = pc.if_else(pa.array(phone_roll < 0.5), cols["phone"],
                               pc.if_else(pa.array(phone_roll < 0.8), pa.nulls(n, pa.string()), fresh))  # fmt: skip
    cols["record_id"] = pa.array(ids)
    cols["household_id"] = pa.nulls(n, pa.int64())
    cols["relationship"] = pa.nulls(n, pa.string())
    cols["death_date"] = pa.nulls(n, pa.date32())
    records = pa.table({name: cols[name] for name in base.column_names}, schema=base.schema)
    truth = pa.table({
        "record_id": pa.array(ids),
        "original_record_id": t.column("record_id").combine_chunks(),
        "distortion": pc.take(pa.array(DISTORTIONS), pa.array(kind)),
    })  # fmt: skip
    return Duplicates(records, truth)
