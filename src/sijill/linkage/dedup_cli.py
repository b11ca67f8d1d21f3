"""`sijill dedup`, `sijill link` and `sijill linkage evaluate`: linkage of files, no database needed.

Both commands read the person schema (docs/linkage.md), train the model on the input unless given
one, and save the trained model beside their output (``--model-out``) so that a run can be
explained and repeated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.table import Table

from sijill.cli_support import console, err_console
from sijill.errors import SijillError, Text, invalid
from sijill.linkage.blocking import DEFAULT_MAX_PAIRS, DEFAULT_RULES, BlockingRule
from sijill.linkage.features import linkage_features
from sijill.linkage.person_file import PersonFile, parse_column_options, read_person_file
from sijill.linkage.splink_run import LinkageOptions, LinkageResult, deduplicate, link

linkage_app = typer.Typer(help="Linkage quality / جودة الربط / qualité du rapprochement", no_args_is_help=True)

ColumnOption = Annotated[
    list[str] | None,
    typer.Option("--column", help="map a schema column to the file's: TARGET=SOURCE (repeatable)"),
]
BlockOption = Annotated[
    list[str] | None,
    typer.Option(
        "--block-on", help="a blocking rule: feature columns joined by commas (repeatable; replaces the defaults)"
    ),
]
ThresholdOption = Annotated[float, typer.Option(help="match probability from which two records are one person")]
MaxPairsOption = Annotated[int, typer.Option(help="refuse blocking rules that would generate more pairs than this")]
ModelOption = Annotated[
    Path | None, typer.Option(exists=True, dir_okay=False, help="a model saved by an earlier run: no training")
]
ModelOutOption = Annotated[Path | None, typer.Option(help="where to save the trained model (default: OUT.model.json)")]
NamesOption = Annotated[bool, typer.Option(help="compare names through the normalisation and variant dictionary")]


def _rules(block_on: list[str] | None) -> tuple[BlockingRule, ...]:
    if not block_on:
        return DEFAULT_RULES
    rules = []
    for text in block_on:
        columns = tuple(c.strip() for c in text.split(",") if c.strip())
        if not columns:
            raise invalid(
                "--block-on",
                text,
                Text("أعمدة مفصولة بفواصل", "des colonnes séparées par des virgules", "columns separated by commas"),
                Text(
                    "مثال: --block-on given_key,birth_year",
                    "Exemple : --block-on given_key,birth_year",
                    "for example --block-on given_key,birth_year",
                ),
            )
        rules.append(BlockingRule(columns))
    return tuple(rules)


def _model(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        model = {"error": str(error)}
    if not isinstance(model, dict) or "comparisons" not in model:
        raise SijillError(
            code="linkage_model_unreadable",
            field="--model",
            value=path.name,
            status=422,
            message=Text(
                f"ملف النموذج غير صالح: {path.name}",
                f"Fichier de modèle illisible : {path.name}",
                f"not a linkage model: {path.name}",
            ),
            fix=Text(
                "استعملوا ملف model.json الذي حفظه sijill dedup أو sijill link",
                "Utilisez le model.json enregistré par sijill dedup ou sijill link",
                "use the model.json saved by sijill dedup or sijill link",
            ),
        )
    return model


def _options(threshold: float, max_pairs: int, block_on: list[str] | None, model: Path | None) -> LinkageOptions:
    if not 0 < threshold < 1:
        raise invalid(
            "--threshold",
            threshold,
            Text("احتمال بين 0 و1", "une probabilité entre 0 et 1", "a probability in (0, 1)"),
            Text("مثال: --threshold 0.98", "Exemple : --threshold 0.98", "for example --threshold 0.98"),
        )
    if max_pairs < 1:
        raise invalid(
            "--max-pairs",
            max_pairs,
            Text("عدد موجب", "un nombre positif", "a positive number"),
            Text("مثال: --max-pairs 100000000", "Exemple : --max-pairs 100000000", "for example --max-pairs 100000000"),
        )
    return LinkageOptions(
        rules=_rules(block_on), max_pairs=max_pairs, threshold=threshold, keep_from=threshold, model=_model(model)
    )


def _output(path: Path) -> Path:
    if not path.parent.exists():
        raise invalid(
            "--out",
            str(path),
            Text("مسار في مجلد موجود", "un chemin dans un dossier existant", "a path in an existing directory"),
            Text("أنشئوا المجلد أولا", "Créez d'abord le dossier", "create the directory first"),
        )
    return path


def _save_model(result: LinkageResult, out: Path, model_out: Path | None) -> Path:
    path = model_out or out.with_name(out.name + ".model.json")
    path.write_text(json.dumps(result.model, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def _warn_about(files: list[PersonFile]) -> None:
    for file in files:
        if file.unreadable_birth_dates:
            err_console.print(
                f"{file.source}: {file.unreadable_birth_dates:,} birth dates unreadable, compared as missing / "
                "تواريخ ازدياد غير مقروءة / dates de naissance illisibles",
                markup=False,
            )


def dedup_command(
    input_path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet in the person schema")
    ],
    out: Annotated[Path, typer.Option(help="clusters CSV: record_id,cluster_id,match_weight")],
    column: ColumnOption = None,
    threshold: ThresholdOption = LinkageOptions.threshold,
    max_pairs: MaxPairsOption = DEFAULT_MAX_PAIRS,
    block_on: BlockOption = None,
    model: ModelOption = None,
    model_out: ModelOutOption = None,
    names: NamesOption = True,
) -> None:
    """Find the records of one file that are one person: clusters, with each record's best match weight."""
    options = _options(threshold, max_pairs, block_on, model)
    file = read_person_file(input_path, parse_column_options(column or []))
    _warn_about([file])
    result = deduplicate(linkage_features(file.records, with_names=names), options)
    assert result.clusters is not None
    clusters = result.clusters.sort("cluster_id", "record_id")
    clusters.write_csv(_output(out))
    saved = _save_model(result, out, model_out)
    sizes = clusters.group_by("cluster_id").len()
    grouped = sizes.filter(pl.col("len") > 1)
    console.print(
        f"{file.records.height:,} records → {sizes.height:,} persons; {grouped.height:,} clusters of 2 or more "
        f"({int(grouped['len'].sum() or 0):,} records), {result.pairs.height:,} pairs at ≥ {threshold} → {out}; "
        f"model → {saved}"
    )


def link_command(
    left: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet in the person schema")],
    right: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet in the person schema")],
    out: Annotated[Path, typer.Option(help="links CSV: left_id,right_id,match_probability,match_weight")],
    column: ColumnOption = None,
    threshold: ThresholdOption = LinkageOptions.threshold,
    max_pairs: MaxPairsOption = DEFAULT_MAX_PAIRS,
    block_on: BlockOption = None,
    model: ModelOption = None,
    model_out: ModelOutOption = None,
    names: NamesOption = True,
) -> None:
    """Find which records of RIGHT are persons of LEFT, with the probability of each link."""
    options = _options(threshold, max_pairs, block_on, model)
    mapping = parse_column_options(column or [])
    files = [read_person_file(left, mapping), read_person_file(right, mapping)]
    _warn_about(files)
    features = [linkage_features(file.records, with_names=names) for file in files]
    result = link(features[0], features[1], options)
    links = result.pairs.select("left_id", "right_id", "match_probability", "match_weight").sort("left_id", "right_id")
    links.write_csv(_output(out))
    saved = _save_model(result, out, model_out)
    console.print(
        f"{files[0].records.height:,} × {files[1].records.height:,} records → {links.height:,} links at ≥ {threshold} "
        f"({links['left_id'].n_unique():,} left and {links['right_id'].n_unique():,} right records) → {out}; "
        f"model → {saved}"
    )


@linkage_app.command("evaluate")
def evaluate_command(
    synthetic: Annotated[
        list[Path] | None,
        typer.Option(exists=True, file_okay=False, help="a `sijill synth` output directory (repeatable)"),
    ] = None,
    febrl: Annotated[str | None, typer.Option(help="FEBRL data sets, e.g. 1,2,3,4")] = None,
    threshold: ThresholdOption = LinkageOptions.threshold,
    json_lines: Annotated[bool, typer.Option("--json", help="one JSON object per line and set-up")] = False,
    out: Annotated[Path | None, typer.Option(help="also write the figures to this CSV")] = None,
) -> None:
    """Precision, recall, F1, B-cubed and blocking figures of our model, the model without name
    features, and exact rules, on data sets with a ground truth."""
    from sijill.linkage.evaluate import evaluate, febrl_set, synthetic_set

    names = [n.strip() for n in (febrl or "").split(",") if n.strip()]
    if not synthetic and not names:
        raise invalid(
            "--synthetic/--febrl",
            None,
            Text("مجموعة بيانات واحدة على الأقل", "au moins un jeu de données", "at least one data set"),
            Text(
                "مثال: --synthetic /tmp/synth --febrl 1,2",
                "Exemple : --synthetic /tmp/synth --febrl 1,2",
                "for example --synthetic /tmp/synth --febrl 1,2",
            ),
        )
    options = _options(threshold, DEFAULT_MAX_PAIRS, None, None)
    sets = [synthetic_set(path) for path in synthetic or []] + [febrl_set(name) for name in names]
    results = [evaluation for dataset in sets for evaluation in evaluate(dataset, options)]
    if out is not None:
        pl.DataFrame([e.as_dict() for e in results]).write_csv(_output(out))
    if json_lines:
        for evaluation in results:
            typer.echo(json.dumps(evaluation.as_dict()))
        return
    table = Table(
        "data set",
        "set-up",
        "pairs",
        "blocking recall",
        "reduction",
        "precision",
        "recall",
        "F1",
        "B³ P",
        "B³ R",
        "B³ F1",
        "s",
    )
    for e in results:
        table.add_row(
            e.dataset,
            e.setup,
            f"{e.true_pairs:,}",
            f"{e.blocking_recall:.4f}",
            f"{e.reduction_ratio:.6f}",
            f"{e.precision:.4f}",
            f"{e.recall:.4f}",
            f"{e.f1:.4f}",
            f"{e.b_cubed_precision:.4f}",
            f"{e.b_cubed_recall:.4f}",
            f"{e.b_cubed_f1:.4f}",
            f"{e.seconds:.1f}",
        )
    console.print(table)
