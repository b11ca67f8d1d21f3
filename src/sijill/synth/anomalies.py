"""Injected anomalies with their ground truth: household splitting and one careless agent."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill.synth.columns import date_array, day_numbers, null_mask, years_of
from sijill.synth.distort import NAME_COLUMNS, misspell_names, swap_day_month, swappable
from sijill.synth.households import Households
from sijill.synth.persons import HEAD, People
from sijill.synth.rng import IntArray

SPLIT_RATE = 0.35  # share of eligible households that split in a splitting annex
AGENT_DATE_SWAP, AGENT_MISSPELL, AGENT_PHONE_LOSS = 0.4, 0.3, 0.6


def split_households(rng: np.random.Generator, splitting_annexes: IntArray, hh: Households, people: People) -> None:
    """Move one adult out of some households of the splitting annexes into a one-person household.

    The new household has the same dwelling and budget as the one it left (same latent consumption):
    on paper the family becomes two households, which a flat per-household benefit rewards.
    """
    in_split = np.isin(hh.annex, splitting_annexes)[people.hh]
    eligible = np.flatnonzero(in_split & (people.rel != HEAD) & (people.age >= 18))
    if len(eligible) == 0:
        return
    shuffled = eligible[rng.permutation(len(eligible))]
    households, first = np.unique(people.hh[shuffled], return_index=True)
    movers = shuffled[first][rng.random(len(households)) < SPLIT_RATE]
    movers.sort()
    origin = people.hh[movers]
    n_hh = len(hh)
    new_ids = np.arange(n_hh, n_hh + len(movers), dtype=np.int64)
    people.hh[movers] = new_ids
    people.rel[movers] = HEAD
    np.subtract.at(hh.size, origin, 1)
    hh.annex = np.concatenate([hh.annex, hh.annex[origin]])
    hh.urban = np.concatenate([hh.urban, hh.urban[origin]])
    hh.size = np.concatenate([hh.size, np.ones(len(movers), dtype=np.int64)])
    hh.log_consumption = np.concatenate([hh.log_consumption, hh.log_consumption[origin]])
    hh.origin = np.concatenate([hh.origin, origin])
    people.reorder(np.argsort(people.hh, kind="stable"))


@dataclass
class AgentErrors:
    day_month_swapped: list[IntArray] = field(default_factory=list)
    misspelt_name: list[IntArray] = field(default_factory=list)
    missing_phone: list[IntArray] = field(default_factory=list)


def apply_agent_errors(rng: np.random.Generator, records: pa.Table, agent_code: str, log: AgentErrors) -> pa.Table:
    """Corrupt the records entered by the careless agent and log which record ids were touched."""
    mine = pc.equal(records.column("registered_by"), agent_code).to_numpy()
    if not mine.any():
        return records
    n = records.num_rows
    ids = records.column("record_id").to_numpy()
    days, known = day_numbers(records.column("birth_date"))
    presumed = records.column("birth_date_presumed").to_numpy()
    swap = mine & known & ~presumed & swappable(days) & (rng.random(n) < AGENT_DATE_SWAP)
    new_days = np.where(swap, swap_day_month(days), days)
    birth_year = np.where(swap, years_of(new_days), records.column("birth_year").to_numpy())

    misspell = mine & (rng.random(n) < AGENT_MISSPELL)
    columns = misspell_names(rng, {k: records.column(k).combine_chunks() for k in NAME_COLUMNS}, misspell)
    phone = records.column("phone").combine_chunks()
    lose = mine & ~null_mask(phone) & (rng.random(n) < AGENT_PHONE_LOSS)
    columns["phone"] = pc.if_else(pa.array(lose), pa.nulls(n, pa.string()), phone)
    columns["birth_date"] = date_array(new_days, ~known)
    columns["birth_year"] = pa.array(birth_year.astype(np.int16))
    for name, values in columns.items():
        records = records.set_column(records.schema.get_field_index(name), name, values)
    log.day_month_swapped.append(ids[swap])
    log.misspelt_name.append(ids[misspell])
    log.missing_phone.append(ids[lose])
    return records
