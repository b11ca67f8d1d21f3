"""Marital status of each person aged 15 or more, consistent with the household's make-up.

A head living with a spouse is married, and so is the spouse; a head without one is widowed,
divorced or single with odds that move with age and sex (widows heading a household are what
DAAM looks for). Children, siblings and others are mostly single; parents living with their
grown children are mostly widowed.
"""

from __future__ import annotations

import numpy as np

from sijill.synth.persons import CHILD, HEAD, PARENT, SPOUSE, People
from sijill.synth.rng import IntArray, categorical

MARITAL_STATUSES = ("single", "married", "widowed", "divorced")
SINGLE, MARRIED, WIDOWED, DIVORCED = range(4)
ASKED_FROM_AGE = 15


def draw_marital_status(rng: np.random.Generator, people: People) -> IntArray:
    """An index into MARITAL_STATUSES per person; -1 under 15 (not asked)."""
    n = len(people)
    with_spouse = np.zeros(int(people.hh.max()) + 1 if n else 0, dtype=bool)
    with_spouse[people.hh[people.rel == SPOUSE]] = True
    age, female = people.age, ~people.male
    lone_head = (people.rel == HEAD) & ~with_spouse[people.hh]
    # Odds of single, married, widowed, divorced; the default is for children, siblings, others.
    probabilities = np.tile(np.array([0.9, 0.07, 0.0, 0.03]), (n, 1))
    rules = [
        (((people.rel == HEAD) & with_spouse[people.hh]) | (people.rel == SPOUSE), (0.0, 1.0, 0.0, 0.0)),
        (lone_head & female & (age >= 50), (0.08, 0.0, 0.72, 0.20)),
        (lone_head & female & (age >= 30) & (age < 50), (0.25, 0.0, 0.35, 0.40)),
        (lone_head & female & (age < 30), (0.60, 0.0, 0.10, 0.30)),
        (lone_head & ~female & (age >= 60), (0.10, 0.0, 0.60, 0.30)),
        (lone_head & ~female & (age < 60), (0.55, 0.0, 0.10, 0.35)),
        (people.rel == PARENT, (0.02, 0.25, 0.68, 0.05)),
        ((people.rel == CHILD) & (age >= 30), (0.75, 0.05, 0.02, 0.18)),
    ]
    for rows, weights in rules:
        probabilities[rows] = weights
    status = categorical(rng, probabilities)
    return np.where(age >= ASKED_FROM_AGE, status, -1).astype(np.int64)
