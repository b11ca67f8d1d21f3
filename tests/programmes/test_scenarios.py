"""The scenario files policy staff read: every situation decides as they expect."""

from __future__ import annotations

from pathlib import Path

import pytest

from sijill.programmes.scenarios import run_scenarios

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenarios(path: Path) -> None:
    outcomes = run_scenarios(path)
    assert outcomes
    failed = [f"line {o.line}: {o.name}: {'; '.join(o.problems)}" for o in outcomes if not o.passed]
    assert not failed, "\n".join(failed)
