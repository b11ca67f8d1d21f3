from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill.synth.columns import day
from sijill.synth.distort import swap_day_month, swappable, typo
from sijill.synth.registries import last_declared_month


def test_typo_always_changes_the_name_and_keeps_its_script() -> None:
    # Non-ASCII Latin letters (Saïd) once drew Arabic substitutes; doubled letters (Abdellah) and
    # same-letter substitutions once left the name unchanged although it was logged as misspelt.
    latin = ["Saïd", "Younès", "Abdellah", "Hassan", "Aït Ali", "Mohammed", "Ssi"]
    arabic = ["محمد", "عبد الله", "سعيد", "حسن"]
    strings = pa.array((latin + arabic + [None]) * 400, type=pa.string())
    out = typo(np.random.default_rng(5), strings)
    assert out.null_count == strings.null_count
    assert pc.all(pc.not_equal(out, strings)).as_py()
    is_latin = pa.array(([True] * len(latin) + [False] * len(arabic) + [False]) * 400)
    is_arabic = pa.array(([False] * len(latin) + [True] * len(arabic) + [False]) * 400)
    assert not pc.any(pc.match_substring_regex(out.filter(is_latin), r"\p{Arabic}")).as_py()
    assert not pc.any(pc.match_substring_regex(out.filter(is_arabic), "[A-Za-z]")).as_py()


def test_day_month_swap() -> None:
    days = np.array([day("2001-03-05"), day("2001-03-25"), day("2001-03-03"), day("2000-12-01")])
    assert swappable(days).tolist() == [True, False, False, True]
    expected = [day("2001-05-03"), day("2001-03-25"), day("2001-03-03"), day("2000-01-12")]
    assert swap_day_month(days).tolist() == expected


def test_cnss_last_declared_month_never_precedes_affiliation() -> None:
    # Someone affiliated in December 2025 was once shown as last declared for November 2025.
    affiliated = np.full(1_000, day("2025-12-06"))
    declared = np.full(1_000, day("2025-12-20"))
    last = last_declared_month(np.random.default_rng(0), affiliated, declared)
    assert (last == day("2025-12-01")).all()
    earlier = np.full(1_000, day("2023-04-17"))
    last = last_declared_month(np.random.default_rng(0), earlier, np.full(1_000, day("2024-02-02")))
    assert set(last.tolist()) >= {day("2025-11-01"), day("2023-04-01")}
    assert (last >= day("2023-04-01")).all()
