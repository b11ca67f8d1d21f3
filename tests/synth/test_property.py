from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sijill.territory.reference import provinces
from tests.synth.support import CONTRACT_CHECKS, build, check_integrity

PROVINCE_CODES = [u.code for u in provinces()]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**63 - 1),
    persons=st.integers(min_value=1_000, max_value=4_000),
    province=st.one_of(st.none(), st.sampled_from(PROVINCE_CODES)),
)
def test_any_seed_gives_a_consistent_population(seed: int, persons: int, province: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = build(Path(tmp), persons, seed, None if province is None else (province,))
        assert out.summary.persons == persons
        check_integrity(out)
        for check in CONTRACT_CHECKS:
            check(out)
