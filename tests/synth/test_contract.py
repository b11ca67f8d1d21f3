"""Regression tests for the data contract of docs/synthetic-data.md, on both session outputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from sijill.population.validation import normalize_phone
from sijill.synth import SynthConfig, generate
from tests.synth.support import CONTRACT_CHECKS, Output


@pytest.mark.parametrize("name", ["demo", "national"])
@pytest.mark.parametrize("check", CONTRACT_CHECKS, ids=[c.__name__ for c in CONTRACT_CHECKS])
def test_contract(check: Callable[[Output], None], name: str, request: pytest.FixtureRequest) -> None:
    check(request.getfixturevalue(name))


def test_every_phone_is_a_valid_number_for_the_register(tmp_path: Path) -> None:
    """The register refuses unallocated numbers; the generator must never produce one."""
    generate(SynthConfig(persons=5_000, seed=21, out_dir=tmp_path, province_codes=("03.02",)))
    phones = pl.read_parquet(tmp_path / "persons.parquet")["phone"].drop_nulls().unique().to_list()
    assert phones
    assert [p for p in phones if normalize_phone(p) != p] == []
