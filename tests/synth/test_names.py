from __future__ import annotations

import numpy as np

from sijill.synth.names import names
from sijill.synth.names_data import FAMILY, FEMALE_GIVEN, MALE_GIVEN


def _spellings(table: tuple[tuple[str, str], ...], arabic: str) -> list[str]:
    return next(v.split("|") for a, v in table if a == arabic)


def test_name_lists_are_rich_enough() -> None:
    assert len(MALE_GIVEN) >= 60 and len(FEMALE_GIVEN) >= 60 and len(FAMILY) >= 120
    for table in (MALE_GIVEN, FEMALE_GIVEN, FAMILY):
        assert len({a for a, _ in table}) == len(table)
    assert {"Mohamed", "Mohammed", "Mhamed", "Muhammad"} <= set(_spellings(MALE_GIVEN, "محمد"))
    assert {"Fatima Zahra", "Fatimazahra", "Fatima-Zahra"} <= set(_spellings(FEMALE_GIVEN, "فاطمة الزهراء"))
    # Lahcen and Hassan are different names, never spellings of each other.
    assert "Hassan" not in _spellings(MALE_GIVEN, "لحسن")
    assert "Lahcen" not in _spellings(MALE_GIVEN, "حسن")
    latin = [v for _, vs in FAMILY for v in vs.split("|")]
    for particle in ("Ait ", "Ou", "El ", "Ben", "Ould "):
        assert any(v.startswith(particle) for v in latin), particle
    given = [v for _, vs in MALE_GIVEN + FEMALE_GIVEN for v in vs.split("|")]
    for title in ("Moulay ", "Sidi ", "Lalla "):
        assert any(v.startswith(title) for v in given), title


def test_agents_have_spelling_habits() -> None:
    nm = names()
    rng = np.random.default_rng(0)
    mohamed = np.zeros(20_000, dtype=np.int64)
    agents = np.repeat(np.arange(200, dtype=np.int64), 100)
    variants = nm.given.spelling(mohamed, agents, 1, rng)
    # Most of an agent's records share one spelling, yet agents differ between themselves.
    per_agent = variants.reshape(200, 100)
    modal_share = np.array([np.bincount(row).max() / 100 for row in per_agent])
    assert modal_share.mean() > 0.8
    assert len(set(np.argmax([np.bincount(r, minlength=5) for r in per_agent], axis=1))) > 1


def test_draws_respect_sex() -> None:
    nm = names()
    male = np.array([True, False] * 500)
    given = nm.draw_given(np.random.default_rng(1), male)
    assert (given[male] < nm.male_count).all() and (given[~male] >= nm.male_count).all()
