"""`sijill synth` and the demo: run the generator with a progress bar and bilingual errors."""

from __future__ import annotations

from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sijill.errors import SijillError, Text
from sijill.synth.generator import SynthConfig, SynthSummary, generate, validate


def run_synth(*, persons: int, seed: int, out: Path, provinces: list[str] | None, quiet: bool) -> SynthSummary:
    config = SynthConfig(
        persons=persons, seed=seed, out_dir=out, province_codes=tuple(provinces) if provinces else None
    )
    _check(config)
    if quiet:
        return generate(config)
    columns = (TextColumn("synth"), BarColumn(), MofNCompleteColumn(), TextColumn("persons"), TimeRemainingColumn())
    with Progress(*columns) as progress:
        task = progress.add_task("synth", total=persons)
        return generate(config, progress=lambda done: progress.update(task, completed=done))


def _check(config: SynthConfig) -> None:
    """Validate before anything is written or shown; only configuration errors become user errors."""
    try:
        validate(config)
    except ValueError as exc:
        # The generator explains the problem in English (field and value); say it in both languages.
        raise SijillError(
            code="synth_invalid_config",
            message=Text(
                ar=f"إعداد التوليد غير صالح: {exc}",
                fr=f"Paramètres de génération invalides : {exc}",
                en=f"invalid synth configuration: {exc}",
            ),
            fix=Text(
                ar="عدد الأشخاص بين 1000 و40 مليون، ورموز الأقاليم من لائحة التقطيع الترابي",
                fr="Nombre de personnes entre 1 000 et 40 millions, codes de province de la liste territoriale",
                en="persons between 1,000 and 40,000,000; province codes from the territory list",
            ),
            status=422,
        ) from None
