"""Questionnaire answers of each household, drawn from its latent consumption.

Each answer is a noisy function of welfare (consumption relative to the milieu), so that a proxy-means
test fitted on them recovers the latent only in part, as with a real questionnaire.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill.synth.attributes import welfare_z
from sijill.synth.columns import labels
from sijill.synth.households import Households
from sijill.synth.rng import BoolArray, FloatArray, IntArray, categorical, sigmoid
from sijill.synth.schemas import ANSWERS, GOODS

DWELLINGS = ("villa", "apartment", "traditional_moroccan_house", "modern_moroccan_house", "shanty",
             "rural_dwelling", "other")  # fmt: skip
VILLA, APARTMENT, TRADITIONAL, MODERN, SHANTY, RURAL_DWELLING, OTHER = range(7)
OCCUPANCY = ("owner", "tenant", "free_housing", "other")
WATER = ("network_in_dwelling", "public_fountain", "well", "other")
ELECTRICITY = ("network", "solar", "none")
SANITATION = ("public_sewer", "septic_tank", "none")
# (urban intercept, rural intercept, slope on welfare) of the probability of owning each good.
_GOODS_MODEL: dict[str, tuple[float, float, float]] = {
    "fridge": (2.5, 0.5, 1.2), "tv": (3.0, 2.0, 1.0), "satellite_dish": (1.8, 1.5, 0.8),
    "washing_machine": (0.3, -1.5, 1.3), "computer": (-0.6, -2.5, 1.5), "internet": (0.6, -1.0, 1.3),
    "mobile_phone": (4.0, 3.0, 1.0), "car": (-1.6, -2.6, 1.6), "motorcycle": (-1.8, -1.2, 0.5),
    "oven": (1.0, -0.5, 1.2), "air_conditioner": (-2.2, -3.5, 1.5),
}  # fmt: skip
_NEEDS_POWER = frozenset({"fridge", "tv", "washing_machine", "computer", "internet", "air_conditioner"})


def _choose(rng: np.random.Generator, urban: BoolArray, w_urban: FloatArray, w_rural: FloatArray) -> IntArray:
    return categorical(rng, np.where(urban[:, None], w_urban, w_rural))


def draw_answers(rng: np.random.Generator, hh: Households, household_ids: IntArray) -> pa.Table:
    n = len(hh)
    urban = hh.urban
    z = welfare_z(hh)

    def noisy(sd: float = 0.7) -> FloatArray:
        out: FloatArray = z + rng.normal(0, sd, n)
        return out

    w = noisy()
    dwelling = np.where(
        urban,
        np.select([w < -1.7, w < -1.0, w < 0.9, w < 2.2], [SHANTY, TRADITIONAL, MODERN, APARTMENT], VILLA),
        np.select([w < 0.6, w < 2.4], [RURAL_DWELLING, MODERN], VILLA),
    )
    dwelling = np.where(rng.random(n) < 0.015, OTHER, dwelling).astype(np.int64)
    rooms = np.clip(np.round(1 + 0.35 * hh.size + 0.6 * noisy() + rng.normal(0, 0.8, n)), 1, 12)
    # A shanty has at most 4 rooms: the questionnaire refuses more (rules/questionnaires, rooms_plausible_for_shanty).
    rooms = np.where(dwelling == SHANTY, np.minimum(rooms, 4), rooms)

    one = np.ones(n)
    occupancy = _choose(rng, urban, np.stack([0.6 * np.exp(0.3 * z), 0.28 * one, 0.1 * one, 0.02 * one], 1),
                        np.stack([0.85 * one, 0.04 * one, 0.09 * one, 0.02 * one], 1))  # fmt: skip
    water = _choose(rng, urban, np.stack([np.exp(1.5 + noisy()), 0.08 * one, 0.02 * one, 0.02 * one], 1),
                    np.stack([np.exp(-0.2 + 0.8 * noisy()), 0.3 * one, 0.35 * one, 0.1 * one], 1))  # fmt: skip
    electricity = _choose(rng, urban, np.stack([99 * one, 0.3 * one, 0.7 * one], 1),
                          np.stack([8 * np.exp(0.5 * noisy()), 0.3 * one, 0.2 * one], 1))  # fmt: skip
    sanitation = _choose(rng, urban, np.stack([np.exp(1.8 + noisy()), 0.15 * one, 0.03 * one], 1),
                         np.stack([0.05 * np.exp(noisy()), 0.9 * np.exp(0.7 * noisy()), 0.6 * one], 1))  # fmt: skip

    monthly = np.exp(hh.log_consumption) * hh.size / 12.0

    def spend(share: float, active: BoolArray) -> IntArray:
        out: IntArray = np.where(active, np.round(share * monthly * rng.lognormal(0, 0.35, n)), 0).astype(np.int64)
        return out

    powered = electricity == 0
    columns: dict[str, pa.Array] = {
        "household_id": pa.array(household_ids),
        "milieu": pc.if_else(pa.array(urban), "urban", "rural"),
        "dwelling_type": labels(DWELLINGS, dwelling),
        "rooms": pa.array(rooms.astype(np.int8)),
        "occupancy": labels(OCCUPANCY, occupancy),
        "water": labels(WATER, water),
        "electricity": labels(ELECTRICITY, electricity),
        "sanitation": labels(SANITATION, sanitation),
        "spend_water": pa.array(spend(0.018, water == 0).astype(np.int32)),
        "spend_electricity": pa.array(spend(0.035, powered).astype(np.int32)),
        "spend_phone": pa.array(spend(0.03, rng.random(n) < 0.97).astype(np.int32)),
        "spend_butane": pa.array(
            (50 * np.maximum(1, np.round(0.6 * hh.size * rng.lognormal(0.1 * z, 0.3)))).astype(np.int32)
        ),
    }
    for good in GOODS:
        a_urban, a_rural, slope = _GOODS_MODEL[good]
        has = rng.random(n) < sigmoid(np.where(urban, a_urban, a_rural) + slope * noisy(0.8))
        if good in _NEEDS_POWER:
            has &= electricity != 2
        columns[good] = pa.array(has)
    landless = rng.random(n) < 0.35
    land = np.where(landless, 0.0, np.round(rng.lognormal(np.log(1.5) + 0.4 * z, 1.0), 1))
    cattle = np.where(rng.random(n) < 0.5, 0, rng.poisson(np.maximum(0.2, 1.0 + 0.6 * z)))
    sheep = np.where(rng.random(n) < 0.45, 0, rng.poisson(np.exp(1.5 + 0.4 * np.minimum(z, 3))))
    tractor = rng.random(n) < sigmoid(-3.5 + 1.2 * z)
    columns["land_ha"] = pa.array(land.astype(np.float32), mask=urban)
    columns["cattle"] = pa.array(np.minimum(cattle, 500).astype(np.int16), mask=urban)
    columns["sheep_goats"] = pa.array(np.minimum(sheep, 2000).astype(np.int16), mask=urban)
    columns["tractor"] = pa.array(tractor, mask=urban)
    return pa.table(columns, schema=ANSWERS)
