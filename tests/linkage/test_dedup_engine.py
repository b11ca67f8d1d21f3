"""The Splink deduplication and linkage on generated data with its ground truth."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from sijill.errors import SijillError
from sijill.linkage.blocking import block_on
from sijill.linkage.evaluate import TruthSet, synthetic_set
from sijill.linkage.features import linkage_features
from sijill.linkage.metrics import pairwise
from sijill.linkage.splink_run import LinkageOptions, LinkageResult, deduplicate, link
from sijill.synth import SynthConfig, generate

pytestmark = pytest.mark.slow


def clusters_of(result: LinkageResult) -> pl.DataFrame:
    assert result.clusters is not None
    return result.clusters


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> TruthSet:
    folder = tmp_path_factory.mktemp("synth")
    generate(SynthConfig(persons=20_000, seed=7, out_dir=folder))
    return synthetic_set(folder)


@pytest.fixture(scope="module")
def features(population: TruthSet) -> pl.DataFrame:
    return linkage_features(population.records)


@pytest.fixture(scope="module")
def result(features: pl.DataFrame) -> LinkageResult:
    # Every blocked pair kept (not only the likely ones): the tests look at the candidates too.
    return deduplicate(features, LinkageOptions(keep_from=None))


def test_duplicates_are_found_precisely(population: TruthSet, result: LinkageResult) -> None:
    scores = pairwise(clusters_of(result), population.truth)
    assert scores.precision >= 0.99
    assert scores.recall >= 0.98
    # Every record is in exactly one cluster; the clustered ones carry their best link's weight.
    assert clusters_of(result)["record_id"].n_unique() == population.records.height == clusters_of(result).height
    grouped = clusters_of(result).filter(pl.len().over("cluster_id") > 1)
    assert grouped["match_weight"].null_count() == 0
    assert clusters_of(result).filter(pl.len().over("cluster_id") == 1)["match_weight"].null_count() == (
        clusters_of(result).height - grouped.height
    )


def test_members_of_one_household_are_never_paired(population: TruthSet, result: LinkageResult) -> None:
    households = population.records.select("record_id", "household_id").filter(pl.col("household_id").is_not_null())
    pairs = result.pairs.join(households, left_on="record_id_l", right_on="record_id").join(
        households, left_on="record_id_r", right_on="record_id", suffix="_r"
    )
    assert pairs.height > 0
    assert pairs.filter(pl.col("household_id") == pl.col("household_id_r")).height == 0


def test_the_trained_model_is_returned_and_scores_again_without_training(
    features: pl.DataFrame, result: LinkageResult
) -> None:
    model = result.model
    names = [c["output_column_name"] for c in model["comparisons"]]
    assert {"given_name", "family_name", "birth_date", "cin", "father_name"} <= set(names)
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                assert 0 < level["m_probability"] <= 1 and 0 < level["u_probability"] <= 1
    again = deduplicate(features, LinkageOptions(model=model))
    assert "train" not in again.seconds
    same = clusters_of(again).join(clusters_of(result), on="record_id", suffix="_before")
    pairs_now = pairwise(clusters_of(again), clusters_of(result).rename({"cluster_id": "true_id"}))
    assert same.height == clusters_of(result).height
    assert (pairs_now.precision, pairs_now.recall) == (1.0, 1.0)


def test_the_pairs_carry_each_comparisons_weight(result: LinkageResult) -> None:
    pairs = result.pairs
    weights = [c for c in pairs.columns if c.startswith("w_")]
    assert {"w_given_name", "w_birth_date", "w_cin"} <= set(weights)
    # The parts add up to the total, less the prior (the same for every pair).
    parts = pairs.select(pl.sum_horizontal(weights)).to_series()
    prior = (pairs["match_weight"] - parts).round(6).unique()
    assert prior.len() == 1 and prior[0] < -10


def test_two_files_are_linked(population: TruthSet) -> None:
    duplicates = population.truth.filter(pl.col("true_id") != pl.col("record_id"))["record_id"].to_list()
    records = population.records
    left = linkage_features(records.filter(~pl.col("record_id").is_in(duplicates)))
    right = linkage_features(records.filter(pl.col("record_id").is_in(duplicates)))
    linked = link(left, right)
    truth = population.truth.filter(pl.col("record_id").is_in(duplicates))
    right_links = linked.pairs.join(
        truth, left_on=["right_id", "left_id"], right_on=["record_id", "true_id"], how="semi"
    )
    assert right_links.height / linked.pairs.height >= 0.97
    assert right_links.height / truth.height >= 0.98
    assert set(linked.pairs["left_id"].to_list()) <= set(left["unique_id"].to_list())


def test_without_identifiers_the_em_trains_the_model(population: TruthSet, features: pl.DataFrame) -> None:
    anonymous = features.with_columns(pl.lit(None, pl.String).alias("cin"), pl.lit(None, pl.String).alias("phone"))
    found = deduplicate(anonymous)
    scores = pairwise(clusters_of(found), population.truth)
    assert scores.precision >= 0.95 and scores.recall >= 0.9
    assert "cin" not in [c["output_column_name"] for c in found.model["comparisons"]]


def test_a_blocking_rule_with_too_many_pairs_is_refused_before_anything_runs(features: pl.DataFrame) -> None:
    options = replace(LinkageOptions(), rules=(block_on("sex"),), max_pairs=1_000_000)
    with pytest.raises(SijillError) as refused:
        deduplicate(features, options)
    assert refused.value.code == "linkage_blocking_too_many_pairs" and refused.value.value == "sex"
    assert refused.value.details[0]["pairs"] > 1_000_000


def test_a_rule_on_an_unknown_column_is_refused(features: pl.DataFrame) -> None:
    with pytest.raises(SijillError) as refused:
        deduplicate(features, replace(LinkageOptions(), rules=(block_on("surname"),)))
    assert refused.value.code == "linkage_blocking_unknown_column"


def test_the_synthetic_truth_needs_its_files(tmp_path: Path) -> None:
    with pytest.raises(SijillError) as refused:
        synthetic_set(tmp_path)
    assert refused.value.code == "linkage_truth_missing"
