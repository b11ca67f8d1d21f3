from __future__ import annotations

from pathlib import Path

import pytest

from sijill.synth import SynthConfig, generate


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (SynthConfig(999, 1, Path("x")), "persons must be between 1,000 and 40,000,000, got 999"),
        (SynthConfig(40_000_001, 1, Path("x")), "got 40,000,001"),
        (SynthConfig(5_000, -3, Path("x")), "seed must be a non-negative integer, got -3"),
        (SynthConfig(5_000, 1, Path("x"), ("99.99",)), "unknown province code: '99.99'"),
        (SynthConfig(5_000, 1, Path("x"), ()), "province_codes must name at least one province"),
        (SynthConfig(5_000, 1, Path("x"), ("03.05", "03.05")), "province_codes contains duplicates"),
    ],
)
def test_invalid_config_is_rejected(config: SynthConfig, message: str, tmp_path: Path) -> None:
    config = SynthConfig(config.persons, config.seed, tmp_path / "out", config.province_codes)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        generate(config)
    assert not (tmp_path / "out").exists()


def test_progress_and_summary(tmp_path: Path) -> None:
    seen: list[int] = []
    summary = generate(SynthConfig(2_000, 3, tmp_path), seen.append)
    assert seen and seen[-1] == summary.persons == 2_000
    assert seen == sorted(seen)
    for rel in summary.files.values():
        assert (tmp_path / rel).is_file(), rel
    assert summary.annexes >= 1 and summary.communes >= 1 and summary.agents >= 2 * summary.annexes
