"""One chunk of the population: a run of consecutive annexes, generated from its own random streams."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from sijill.synth.anomalies import AgentErrors, apply_agent_errors, split_households
from sijill.synth.answers import draw_answers
from sijill.synth.attributes import draw_attributes
from sijill.synth.duplicates import make_duplicates
from sijill.synth.households import draw_households
from sijill.synth.identity import draw_identity
from sijill.synth.marital import draw_marital_status
from sijill.synth.persons import HEAD, build_people
from sijill.synth.registries import ChunkPersons, Counters, build_registries
from sijill.synth.render import render_households, render_persons
from sijill.synth.rng import Stream, chunk_rng
from sijill.synth.schemas import TRUTH_HOUSEHOLDS
from sijill.synth.territory_gen import TerritoryPlan


@dataclass
class RunState:
    """Identifiers continue from chunk to chunk; everything random is per chunk."""

    next_household_id: int = 1
    next_record_id: int = 1
    next_cin_serial: int = 0
    registries: Counters = field(default_factory=Counters)
    agent_errors: AgentErrors = field(default_factory=AgentErrors)
    splits: list[pa.Table] = field(default_factory=list)
    ae_quitters: list[pa.Table] = field(default_factory=list)


@dataclass(frozen=True)
class ChunkOutput:
    tables: dict[str, pa.Table]  # logical table name -> rows of this chunk
    persons: int  # true persons; the persons table also holds the duplicate registrations

    @property
    def households(self) -> int:
        return int(self.tables["households"].num_rows)

    @property
    def records(self) -> int:
        return int(self.tables["persons"].num_rows)


def build_chunk(seed: int, index: int, plan: TerritoryPlan, state: RunState) -> ChunkOutput:
    lo, hi = plan.chunks[index]

    def rng(stream: Stream) -> np.random.Generator:
        return chunk_rng(seed, index, stream)

    hh = draw_households(rng(Stream.HOUSEHOLDS), plan, lo, hi)
    people = build_people(rng(Stream.MEMBERS), hh)
    split_households(rng(Stream.SPLITTING), plan.splitting_annexes, hh, people)
    attrs = draw_attributes(rng(Stream.ATTRIBUTES), people, hh, plan)
    ident = draw_identity(rng(Stream.DATES), plan, hh, people, attrs.nationality, state.next_cin_serial)
    state.next_cin_serial += int((ident.cin_serial >= 0).sum())

    n_hh, n = len(hh), len(people)
    household_ids = np.arange(state.next_household_id, state.next_household_id + n_hh, dtype=np.int64)
    record_ids = np.arange(state.next_record_id, state.next_record_id + n, dtype=np.int64)
    state.next_household_id += n_hh
    state.next_record_id += n

    marital = draw_marital_status(rng(Stream.MARITAL), people)
    rendered = render_persons(rng(Stream.NAMES), plan, hh, people, attrs, ident, record_ids, household_ids, marital)
    cp = ChunkPersons(people, attrs, ident, hh, record_ids, household_ids, rendered.table.column("cin")
                      .combine_chunks())  # fmt: skip
    regs = build_registries(rng(Stream.REGISTRIES), cp, state.registries)
    state.ae_quitters.append(regs.ae_quitters)

    dups = make_duplicates(rng(Stream.DUPLICATES), plan, people, hh.annex[people.hh], rendered, lo, hi,
                           state.next_record_id)  # fmt: skip
    state.next_record_id += dups.records.num_rows
    records = pa.concat_tables([rendered.table, dups.records])
    bad = plan.erroneous_agent
    if lo <= int(plan.agent_annex[bad]) < hi:
        code = plan.agent_code[bad].as_py()
        records = apply_agent_errors(rng(Stream.AGENT_ERRORS), records, code, state.agent_errors)

    # Every household has exactly one head (split-off members head their new household); the head
    # declares it, and the household's phone is the declarant's.
    head_pos = np.flatnonzero(people.rel == HEAD)
    phones = records.column("phone").take(pa.array(head_pos)).combine_chunks()
    households = render_households(rng(Stream.ADDRESSES), plan, hh, ident, household_ids, record_ids[head_pos],
                                   phones)  # fmt: skip
    answers = draw_answers(rng(Stream.ANSWERS), hh, household_ids)
    truth = pa.table({
        "household_id": pa.array(household_ids),
        "consumption_per_capita_dh": pa.array(np.round(np.exp(hh.log_consumption), 2)),
        "log_consumption": pa.array(hh.log_consumption),
    }, schema=TRUTH_HOUSEHOLDS)  # fmt: skip

    split = np.flatnonzero(hh.origin >= 0)
    if len(split):
        movers = head_pos[split]
        state.splits.append(pa.table({
            "household_id": pa.array(household_ids[split]),
            "origin_household_id": pa.array(household_ids[hh.origin[split]]),
            "annex_code": plan.annex_code.take(pa.array(hh.annex[split])),
            "record_id": pa.array(record_ids[movers]),
        }))  # fmt: skip

    tables = {
        "households": households,
        "persons": records,
        "answers": answers,
        **{f"registry_{k}": v for k, v in regs.tables.items()},
        "truth_households": truth,
        "truth_duplicates": dups.truth,
        "truth_registry_links": regs.links,
    }
    return ChunkOutput(tables, persons=n)
