"""Synthetic communes, annexes/caïdats and registration agents under the reference provinces."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill.synth.rng import BoolArray, IntArray, Stream, chunk_rng, largest_remainder
from sijill.synth.schemas import AGENTS, TERRITORY
from sijill.territory.reference import ReferenceUnit, provinces

VALID_FROM = dt.date(2015, 9, 1)
CHUNK_PERSONS = 200_000

# APPROXIMATE population shares of the 12 regions (2024 census, rounded by hand); inside a region
# the persons are split equally between its prefectures and provinces. Good enough for synthetic data,
# not a statistic.
APPROX_REGION_SHARE: dict[str, float] = {
    "01": 10.5, "02": 6.6, "03": 12.4, "04": 14.6, "05": 6.8, "06": 20.6,
    "07": 12.4, "08": 4.4, "09": 8.1, "10": 1.2, "11": 1.2, "12": 0.6,
}  # fmt: skip
# Prefectures are mostly cities; the provinces' share is solved so the country lands on ~63% urban.
PREFECTURE_URBAN = 0.92
NATIONAL_URBAN = 0.63

_PLACE_PREFIX = (
    ("Sidi", "سيدي"), ("Oulad", "أولاد"), ("Aïn", "عين"), ("Bni", "بني"), ("Had", "حد"),
    ("Tnine", "ثنين"), ("Sebt", "سبت"), ("Khemis", "خميس"), ("Arbaa", "أربعاء"), ("Ait", "آيت"),
    ("Dar", "دار"), ("Bir", "بئر"), ("Oued", "واد"), ("Ras", "رأس"),
)  # fmt: skip
_PLACE_STEM = (
    ("Ahmed", "أحمد"), ("Bouzid", "بوزيد"), ("Moussa", "موسى"), ("Yahya", "يحيى"), ("Amar", "عمار"),
    ("Said", "سعيد"), ("Hassane", "حسان"), ("Abdallah", "عبد الله"), ("Brahim", "إبراهيم"),
    ("Lahcen", "لحسن"), ("Chaker", "شاكر"), ("Mellal", "ملال"), ("Boubker", "بوبكر"),
    ("Rahal", "رحال"), ("Ayad", "عياد"), ("Slimane", "سليمان"), ("Ghanem", "غانم"), ("Azzouz", "عزوز"),
)  # fmt: skip


@dataclass(frozen=True)
class TerritoryPlan:
    all_provinces: tuple[ReferenceUnit, ...]
    selected: IntArray  # indices into all_provinces
    annex_code: pa.Array
    annex_commune_fr: pa.Array
    annex_urban: BoolArray
    annex_province: IntArray  # index into all_provinces
    annex_target: IntArray  # persons planned in the annex
    agent_start: IntArray
    agent_count: IntArray
    agent_code: pa.Array
    agent_annex: IntArray
    splitting_annexes: IntArray
    erroneous_agent: int
    chunks: tuple[tuple[int, int], ...]  # half-open annex ranges
    territory: pa.Table
    communes: int

    @property
    def annexes(self) -> int:
        return len(self.annex_target)

    def random_agent(self, rng: np.random.Generator, annex: IntArray) -> IntArray:
        """One agent drawn uniformly among the agents of each row's annex."""
        out: IntArray = self.agent_start[annex] + (rng.random(len(annex)) * self.agent_count[annex]).astype(np.int64)
        return out

    def agents_table(self) -> pa.Table:
        return pa.table(
            {"agent_code": self.agent_code, "annex_code": self.annex_code.take(pa.array(self.agent_annex))},
            schema=AGENTS,
        )


def province_weights(units: tuple[ReferenceUnit, ...]) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    per_region: dict[str, int] = {}
    for u in units:
        per_region[u.parent_code or ""] = per_region.get(u.parent_code or "", 0) + 1
    return np.array([APPROX_REGION_SHARE[u.parent_code or ""] / per_region[u.parent_code or ""] for u in units])


def _urban_shares(units: tuple[ReferenceUnit, ...]) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    w = province_weights(units)
    pref = np.array([u.kind == "prefecture" for u in units])
    w = w / w.sum()
    province_share = (NATIONAL_URBAN - PREFECTURE_URBAN * w[pref].sum()) / w[~pref].sum()
    return np.where(pref, PREFECTURE_URBAN, province_share)


def plan_territory(persons: int, province_codes: tuple[str, ...] | None, seed: int) -> TerritoryPlan:
    rng = chunk_rng(seed, 0, Stream.TERRITORY)
    units = provinces()
    code_index = {u.code: i for i, u in enumerate(units)}
    selected = np.arange(len(units)) if province_codes is None else np.array([code_index[c] for c in province_codes])
    weights = province_weights(units)[selected]
    per_province = largest_remainder(persons, weights)
    urban_share = _urban_shares(units)[selected]

    rows: dict[str, list[object]] = {k: [] for k in TERRITORY.names}
    annex_code: list[str] = []
    annex_commune_fr: list[str] = []
    annex_urban: list[bool] = []
    annex_province: list[int] = []
    annex_target: list[int] = []
    places = [(p, s) for p in _PLACE_PREFIX for s in _PLACE_STEM]

    def add_row(code: str, parent: str, level: str, kind: str, urban: bool, fr: str, ar: str) -> None:
        for key, value in zip(
            TERRITORY.names,
            (code, parent, level, kind, "urban" if urban else "rural", fr, ar, VALID_FROM),
            strict=True,
        ):
            rows[key].append(value)

    # A loop over provinces and communes: a few thousand units at most, never over persons.
    for pos, pidx in enumerate(selected):
        unit = units[int(pidx)]
        total = int(per_province[pos])
        urban_persons = round(total * float(urban_share[pos]))
        target = min(max(total / 10, 5_000), 25_000)
        picks = rng.permutation(len(places))
        next_place = 0
        commune_no = 0
        for urban, milieu_persons in ((True, urban_persons), (False, total - urban_persons)):
            if milieu_persons <= 0:
                continue
            n_annex = max(1, round(milieu_persons / target))
            n_communes = max(1, -(-n_annex // 4)) if urban else n_annex
            sizes = largest_remainder(milieu_persons, rng.lognormal(0.0, 0.3, n_annex))
            per_commune = largest_remainder(n_annex, np.ones(n_communes))
            k = 0
            for c in range(n_communes):
                commune_no += 1
                code = f"{unit.code}.{commune_no:03d}"
                if urban and c == 0:
                    fr, ar = unit.name_fr, unit.name_ar
                else:
                    (pfr, par), (sfr, sar) = places[int(picks[next_place % len(places)])]
                    next_place += 1
                    fr, ar = f"{pfr} {sfr}", f"{par} {sar}"
                kind = "urban_commune" if urban else "rural_commune"
                add_row(code, unit.code, "commune", kind, urban, fr, ar)
                for a in range(int(per_commune[c])):
                    acode = f"{code}.{a + 1:02d}"
                    if urban:
                        afr = f"Annexe administrative {a + 1} — {fr}"
                        aar = f"الملحقة الإدارية {a + 1} — {ar}"
                    else:
                        afr, aar = f"Caïdat {fr}", f"قيادة {ar}"
                    add_row(acode, code, "annex", "annex" if urban else "caidat", urban, afr, aar)
                    annex_code.append(acode)
                    annex_commune_fr.append(fr)
                    annex_urban.append(urban)
                    annex_province.append(int(pidx))
                    annex_target.append(int(sizes[k]))
                    k += 1

    n_annexes = len(annex_code)
    agent_count = rng.integers(2, 7, n_annexes).astype(np.int64)
    agent_start = np.concatenate([[0], np.cumsum(agent_count)[:-1]]).astype(np.int64)
    agent_annex = np.repeat(np.arange(n_annexes, dtype=np.int64), agent_count)
    agent_no = pc.cast(pa.array(np.arange(len(agent_annex)) - agent_start[agent_annex] + 1), pa.string())
    annex_codes = pa.array(annex_code, type=pa.string())
    agent_code = pc.binary_join_element_wise("AG-", annex_codes.take(pa.array(agent_annex)), "-", agent_no, "")

    n_split = max(1, round(0.01 * n_annexes))
    splitting = np.sort(rng.choice(n_annexes, size=n_split, replace=False)).astype(np.int64)
    candidates = np.setdiff1d(np.arange(n_annexes), splitting) if n_annexes > n_split else np.arange(n_annexes)
    bad_annex = int(rng.choice(candidates))
    erroneous_agent = int(agent_start[bad_annex] + rng.integers(0, agent_count[bad_annex]))

    targets = np.array(annex_target, dtype=np.int64)
    chunks: list[tuple[int, int]] = []
    start, acc = 0, 0
    for i, t in enumerate(targets):
        acc += int(t)
        if acc >= CHUNK_PERSONS:
            chunks.append((start, i + 1))
            start, acc = i + 1, 0
    if start < n_annexes:
        chunks.append((start, n_annexes))

    territory = pa.table(rows, schema=TERRITORY)
    return TerritoryPlan(
        all_provinces=units,
        selected=selected.astype(np.int64),
        annex_code=annex_codes,
        annex_commune_fr=pa.array(annex_commune_fr, type=pa.string()),
        annex_urban=np.array(annex_urban, dtype=np.bool_),
        annex_province=np.array(annex_province, dtype=np.int64),
        annex_target=targets,
        agent_start=agent_start,
        agent_count=agent_count,
        agent_code=agent_code,
        agent_annex=agent_annex,
        splitting_annexes=splitting,
        erroneous_agent=erroneous_agent,
        chunks=tuple(chunks),
        territory=territory,
        communes=sum(1 for lv in rows["level"] if lv == "commune"),
    )
