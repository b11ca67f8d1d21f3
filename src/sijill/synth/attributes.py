"""Education, schooling, occupation, disability, nationality and birth place of each person.

Everything is drawn from age, sex, milieu and the household's latent consumption so that the
questionnaire and the administrative registries carry a real (noisy) signal of welfare.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sijill.synth.households import LOG_SD, RURAL_LOG_MEAN, URBAN_LOG_MEAN, Households
from sijill.synth.persons import People
from sijill.synth.rng import BoolArray, FloatArray, IntArray, categorical, sigmoid
from sijill.synth.territory_gen import TerritoryPlan, province_weights

EDUCATION = ("none", "preschool", "primary", "lower_secondary", "upper_secondary", "higher")
NONE, PRESCHOOL, PRIMARY, LOWER_SEC, UPPER_SEC, HIGHER = range(6)
OCCUPATIONS = ("employed_formal", "employed_informal", "self_employed", "farmer", "unemployed",
               "student", "homemaker", "retired", "inactive")  # fmt: skip
FORMAL, INFORMAL, SELF, FARMER, UNEMPLOYED, STUDENT, HOMEMAKER, RETIRED, INACTIVE = range(9)
NO_OCCUPATION = -1
# Foreign residents are rare (about 0.5% of households); the mix is illustrative.
NATIONALITIES = ("MAR", "SEN", "CIV", "SYR", "FRA", "DZA", "ESP", "GIN", "MLI", "CHN")
_FOREIGN_WEIGHTS = np.array([0.22, 0.16, 0.14, 0.14, 0.09, 0.08, 0.07, 0.05, 0.05])


@dataclass
class Attributes:
    education: IntArray
    in_school: BoolArray
    occupation: IntArray  # -1 under 15
    disability: BoolArray
    nationality: IntArray  # index into NATIONALITIES
    birth_province: IntArray  # index into plan.all_provinces, -1 when born abroad


def welfare_z(hh: Households) -> FloatArray:
    """Household consumption relative to its milieu, in standard deviations."""
    mean = np.where(hh.urban, URBAN_LOG_MEAN, RURAL_LOG_MEAN)
    out: FloatArray = (hh.log_consumption - mean) / LOG_SD
    return out


def draw_attributes(rng: np.random.Generator, people: People, hh: Households, plan: TerritoryPlan) -> Attributes:
    n = len(people)
    age = people.age
    female = ~people.male
    urban = hh.urban[people.hh]
    z = welfare_z(hh)[people.hh]
    u = urban.astype(np.float64)

    # Attainment of an adult: cohort, milieu, welfare, and the gender gap of older rural generations.
    cohort = np.clip((60 - age) / 25.0, -1.0, 2.0)
    gap = female * np.clip((age - 25) / 30.0, 0, 1) * (1.2 - 0.6 * u)
    latent = -0.6 + 0.9 * cohort + 0.6 * u + 0.7 * z - gap + rng.normal(0, 1, n)
    attained = np.digitize(latent, [-0.3, 0.6, 1.2, 1.9]).astype(np.int64)
    attained = np.where(attained == 0, NONE, attained + 1)  # skip "preschool" for adults
    cap = np.select([age < 6, age < 12, age < 15, age < 18, age < 20], [NONE, PRIMARY, PRIMARY, LOWER_SEC, UPPER_SEC],
                    HIGHER)  # fmt: skip
    attained = np.minimum(attained, cap)

    p_school = np.select(
        [age < 4, age < 6, age < 12, age < 15, age < 18, age < 25],
        [0.0 * u, 0.5 + 0.25 * u, 0.93 + 0.04 * u, 0.75 + 0.15 * u, 0.55 + 0.25 * u + 0.1 * z,
         sigmoid(-1.6 + 0.8 * z + 0.5 * u - 0.25 * (age - 18))],
        0.0 * u,
    )  # fmt: skip
    in_school = rng.random(n) < p_school
    current = np.select([age < 6, age < 12, age < 15, age < 18], [PRESCHOOL, PRIMARY, LOWER_SEC, UPPER_SEC], HIGHER)
    education = np.where(in_school, current, attained).astype(np.int64)

    occupation = _occupation(rng, age, female, urban, z, education, in_school)
    disability = rng.random(n) < 0.015 + 0.04 * (age >= 60) + 0.08 * (age >= 75)

    foreign = rng.random(len(hh)) < 0.005
    nat_hh = np.where(foreign, 1 + categorical(rng, np.tile(_FOREIGN_WEIGHTS, (len(hh), 1))), 0)
    # A member who left to live alone is still of the family's nationality.
    split = np.flatnonzero(hh.origin >= 0)
    nat_hh[split] = nat_hh[hh.origin[split]]
    nationality = nat_hh[people.hh].astype(np.int64)
    weights = province_weights(plan.all_provinces)
    cdf = np.cumsum(weights) / weights.sum()
    elsewhere = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)
    home = plan.annex_province[hh.annex[people.hh]]
    birth = np.where(rng.random(n) < 0.8, home, elsewhere)
    birth = np.where(nationality > 0, -1, birth).astype(np.int64)
    return Attributes(education, in_school, occupation, disability, nationality, birth)


def _occupation(
    rng: np.random.Generator,
    age: IntArray,
    female: BoolArray,
    urban: BoolArray,
    z: FloatArray,
    education: IntArray,
    in_school: BoolArray,
) -> IntArray:
    n = len(age)
    u = urban.astype(np.float64)
    r = 1.0 - u
    skill = np.exp(0.7 * z + 0.35 * (education - PRIMARY))
    w = np.zeros((n, 9), dtype=np.float32)
    working = (age >= 15) & (age < 60)
    men = working & ~female
    women = working & female
    old = age >= 60
    # Columns follow OCCUPATIONS; weights are relative within a row.
    w[men, FORMAL] = (0.10 + 0.18 * u[men]) * skill[men]
    w[men, INFORMAL] = 0.22 + 0.05 * u[men]
    w[men, SELF] = 0.12
    w[men, FARMER] = 0.40 * r[men]
    w[men, UNEMPLOYED] = 0.08 + 0.08 * u[men]
    w[men, INACTIVE] = 0.06
    w[women, FORMAL] = (0.02 + 0.07 * u[women]) * skill[women]
    w[women, INFORMAL] = 0.05
    w[women, SELF] = 0.02
    w[women, FARMER] = 0.12 * r[women]
    w[women, UNEMPLOYED] = 0.04
    w[women, HOMEMAKER] = 0.68
    w[women, INACTIVE] = 0.05
    pension = np.where(female[old], 0.25, 1.0) * sigmoid(-1.2 + 0.9 * z[old] + 0.6 * u[old])
    w[old, RETIRED] = pension
    w[old, FARMER] = 0.25 * r[old] * (~female[old])
    w[old, HOMEMAKER] = 0.45 * female[old]
    w[old, INACTIVE] = 0.5
    w[old, INFORMAL] = 0.05 * np.clip(70 - age[old], 0, 10) / 10
    occ = categorical(rng, w)
    occ[in_school & (age >= 15)] = STUDENT
    occ[age < 15] = NO_OCCUPATION
    return occ
