"""`sijill dedup`, `sijill link` and `sijill linkage evaluate` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from sijill.synth import SynthConfig, generate
from tests.test_cli import sijill

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth")
    generate(SynthConfig(persons=4_000, seed=3, out_dir=folder))
    return folder


def run(*args: str, tmp: Path) -> tuple[int, str, str]:
    result = sijill(*args, db_url=f"sqlite:///{tmp / 'unused.db'}")
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout, result.stderr


def test_dedup_writes_clusters_and_the_model(synth: Path, tmp_path: Path) -> None:
    out = tmp_path / "clusters.csv"
    code, stdout, _ = run("dedup", str(synth / "persons.parquet"), "--out", str(out), tmp=tmp_path)
    assert code == 0, stdout
    clusters = pl.read_csv(out, schema_overrides={"record_id": pl.String, "cluster_id": pl.String})
    assert clusters.columns == ["record_id", "cluster_id", "match_weight"]
    persons = pl.read_parquet(synth / "persons.parquet")
    assert clusters.height == persons.height
    truth = pl.read_parquet(synth / "truth" / "duplicates.parquet")
    found = clusters.join(clusters, on="cluster_id").filter(pl.col("record_id") != pl.col("record_id_right"))
    expected = {(str(a), str(b)) for a, b in truth.select("record_id", "original_record_id").rows()}
    assert len(expected & set(found.select("record_id", "record_id_right").rows())) >= 0.95 * len(expected)
    model = json.loads((tmp_path / "clusters.csv.model.json").read_text(encoding="utf-8"))
    assert model["link_type"] == "dedupe_only" and model["comparisons"]
    assert "→" in stdout and "clusters of 2 or more" in stdout

    # The saved model scores the file again without training, to the same clusters.
    again = tmp_path / "again.csv"
    code, _, _ = run(
        "dedup",
        str(synth / "persons.parquet"),
        "--out",
        str(again),
        "--model",
        str(tmp_path / "clusters.csv.model.json"),
        tmp=tmp_path,
    )
    assert code == 0
    assert pl.read_csv(again).sort("record_id").equals(pl.read_csv(out).sort("record_id"))


def test_link_writes_links_between_two_files(synth: Path, tmp_path: Path) -> None:
    persons = pl.read_parquet(synth / "persons.parquet")
    duplicates = pl.read_parquet(synth / "truth" / "duplicates.parquet")
    left, right = tmp_path / "left.csv", tmp_path / "right.csv"
    csv_ready = [pl.col(c).cast(pl.String) for c in persons.columns]
    persons.join(duplicates, on="record_id", how="anti").select(csv_ready).write_csv(left)
    persons.join(duplicates, on="record_id", how="semi").select(csv_ready).write_csv(right)
    out = tmp_path / "links.csv"
    code, stdout, _ = run("link", str(left), str(right), "--out", str(out), tmp=tmp_path)
    assert code == 0, stdout
    links = pl.read_csv(out)
    assert links.columns == ["left_id", "right_id", "match_probability", "match_weight"]
    right_ones = links.join(duplicates, left_on=["right_id", "left_id"], right_on=["record_id", "original_record_id"])
    assert right_ones.height >= 0.95 * duplicates.height
    assert links.filter(pl.col("match_probability") < 0.98).height == 0


@pytest.mark.parametrize(
    ("content", "code_text"),
    [
        ("", "Fichier illisible"),
        ("record_id,given_name_lat\n1,Ali\n", "rien à comparer"),
        ("name,given_name_lat\nx,Ali\ny,Omar\n", "Colonnes manquantes"),
        ("record_id,given_name_lat\n1,Ali\n1,Omar\n", "Identifiants répétés"),
    ],
)
def test_dedup_refuses_bad_files_without_writing(tmp_path: Path, content: str, code_text: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(content, encoding="utf-8")
    out = tmp_path / "clusters.csv"
    code, _, stderr = run("dedup", str(path), "--out", str(out), tmp=tmp_path)
    assert code == 2
    assert code_text in stderr
    assert any("\u0600" <= ch <= "\u06ff" for ch in stderr)  # the Arabic message is there too
    assert not out.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--block-on", "sex", "--max-pairs", "1000"], "générerait environ"),
        (["--block-on", "surname,birth_year"], "Colonnes inconnues dans la règle de blocage"),
        (["--threshold", "1.5"], "une probabilité entre 0 et 1"),
        (["--column", "prenom"], "Option de colonne illisible"),
    ],
)
def test_dedup_refuses_bad_options(synth: Path, tmp_path: Path, options: list[str], message: str) -> None:
    out = tmp_path / "clusters.csv"
    code, _, stderr = run("dedup", str(synth / "persons.parquet"), "--out", str(out), *options, tmp=tmp_path)
    assert code == 2
    assert message in stderr
    assert not out.exists()


def test_dedup_refuses_an_output_in_a_missing_directory_and_an_unreadable_model(synth: Path, tmp_path: Path) -> None:
    code, _, stderr = run(
        "dedup", str(synth / "persons.parquet"), "--out", str(tmp_path / "nowhere" / "c.csv"), tmp=tmp_path
    )
    assert code == 2 and "un chemin dans un dossier existant" in stderr
    bad_model = tmp_path / "model.json"
    bad_model.write_text("{not json", encoding="utf-8")
    code, _, stderr = run(
        "dedup",
        str(synth / "persons.parquet"),
        "--out",
        str(tmp_path / "c.csv"),
        "--model",
        str(bad_model),
        tmp=tmp_path,
    )
    assert code == 2 and "Fichier de modèle illisible" in stderr


def test_evaluate_compares_three_setups_on_synthetic_data_and_febrl(synth: Path, tmp_path: Path) -> None:
    out = tmp_path / "figures.csv"
    code, stdout, _ = run(
        "linkage", "evaluate", "--synthetic", str(synth), "--febrl", "1", "--json", "--out", str(out), tmp=tmp_path
    )
    assert code == 0
    figures = [json.loads(line) for line in stdout.splitlines()]
    assert [(f["dataset"].split(" ")[0], f["setup"]) for f in figures] == [
        ("synthetic", "sijill"),
        ("synthetic", "no_name_features"),
        ("synthetic", "exact_rules"),
        ("FEBRL", "sijill"),
        ("FEBRL", "no_name_features"),
        ("FEBRL", "exact_rules"),
    ]
    by_setup = {(f["dataset"].split(" ")[0], f["setup"]): f for f in figures}
    assert by_setup[("FEBRL", "sijill")]["records"] == 1000 and by_setup[("FEBRL", "sijill")]["true_pairs"] == 500
    for figure in figures:
        assert 0 <= figure["precision"] <= 1 and 0 <= figure["blocking_recall"] <= 1
    # The probabilistic model finds more than the exact rules on both.
    for dataset in ("synthetic", "FEBRL"):
        assert by_setup[(dataset, "sijill")]["f1"] > by_setup[(dataset, "exact_rules")]["f1"]
    assert pl.read_csv(out).height == 6


def test_evaluate_needs_a_data_set(tmp_path: Path) -> None:
    code, _, stderr = run("linkage", "evaluate", tmp=tmp_path)
    assert code == 2 and "au moins un jeu de données" in stderr
    code, _, stderr = run("linkage", "evaluate", "--febrl", "7", tmp=tmp_path)
    assert code == 2 and "Jeu FEBRL inconnu" in stderr
