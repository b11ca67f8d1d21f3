"""Train and run the Splink model on DuckDB: deduplicate one set of records, or link two.

The steps are those of a probabilistic linkage with no labelled pairs: estimate how likely two
random records are the same person, estimate each level's u (how often unrelated people agree)
on random pairs, then each level's m (how often one person agrees with themself) by EM on pairs
from training blocks. The trained model is returned with the results, to be saved with each run
and reused (``model`` option) to score new records without training again.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import polars as pl
from splink import DuckDBAPI, Linker, SettingsCreator
from splink.internals.splink_dataframe import SplinkDataFrame

from sijill.linkage.blocking import (
    DEFAULT_MAX_PAIRS,
    DEFAULT_RULES,
    BlockingRule,
    RuleCount,
    check_pairs,
    count_pairs,
    unknown_rule_columns,
)
from sijill.linkage.comparisons import comparisons
from sijill.linkage.features import FEATURE_COLUMNS
from sijill.linkage.training import train

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkageOptions:
    rules: tuple[BlockingRule, ...] = DEFAULT_RULES
    max_pairs: int = DEFAULT_MAX_PAIRS
    # A pair at or above this probability joins two records in one cluster.
    threshold: float = 0.98
    # Pairs below this are not kept at all (None: every blocked pair, as the evaluation needs).
    keep_from: float | None = 0.3
    model: dict[str, Any] | None = None
    u_pairs: int = 3_000_000
    memory_limit: str = "6GB"
    threads: int | None = None


@dataclass
class LinkageResult:
    # dedupe: record_id, cluster_id, match_weight (the record's best link inside its cluster)
    clusters: pl.DataFrame | None
    # record_id_l, record_id_r (left_id, right_id when linking), match_weight, match_probability
    # and the per-comparison gamma_* levels: the evidence shown to reviewers.
    pairs: pl.DataFrame
    model: dict[str, Any]
    rule_counts: list[RuleCount]
    seconds: dict[str, float] = field(default_factory=dict)


@contextmanager
def _connection(options: LinkageOptions) -> Iterator[duckdb.DuckDBPyConnection]:
    with tempfile.TemporaryDirectory(prefix="sijill-linkage-") as spill:
        connection = duckdb.connect()
        connection.execute(f"SET memory_limit = '{options.memory_limit}'").fetchall()
        connection.execute(f"SET temp_directory = '{spill}'").fetchall()
        if options.threads is not None:
            connection.execute(f"SET threads = {int(options.threads)}").fetchall()
        try:
            yield connection
        finally:
            connection.close()


def _non_empty(connection: duckdb.DuckDBPyConnection, tables: list[str]) -> set[str]:
    present: set[str] = set()
    for table in tables:
        counts = ", ".join(f'count("{c}")' for c in FEATURE_COLUMNS)
        row = connection.execute(f"SELECT {counts} FROM {table}").fetchall()[0]  # noqa: S608
        present |= {column for column, count in zip(FEATURE_COLUMNS, row, strict=True) if count}
    return present


def _usable_rules(rules: tuple[BlockingRule, ...], present: set[str]) -> list[BlockingRule]:
    for rule in rules:
        error = unknown_rule_columns(rule, FEATURE_COLUMNS)
        if error is not None:
            raise error
    return [rule for rule in rules if rule.columns <= present]


def _settings(link_type: str, present: set[str], rules: list[BlockingRule]) -> SettingsCreator:
    return SettingsCreator(
        link_type=link_type,  # type: ignore[arg-type]
        comparisons=comparisons(present),  # type: ignore[arg-type]
        blocking_rules_to_generate_predictions=[
            {"blocking_rule": rule.sql("household_id" in present)} for rule in rules
        ],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
    )


def _linker(
    connection: duckdb.DuckDBPyConnection, tables: list[str], settings: SettingsCreator | dict[str, Any]
) -> Linker:
    # A fresh API per linker: one API registers each table name once, and training and scoring
    # are two linkers over the same tables.
    db_api = DuckDBAPI(connection=connection)
    frames = [db_api.register(table, dataset_display_name=table) for table in tables]
    return Linker(frames[0] if len(frames) == 1 else frames, settings, log_level=logging.WARNING)


def _prepare(
    connection: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame], options: LinkageOptions
) -> tuple[set[str], list[BlockingRule], list[RuleCount]]:
    for name, frame in frames.items():
        connection.register(f"{name}_arrow", frame.to_arrow())
        connection.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow").fetchall()  # noqa: S608
        connection.unregister(f"{name}_arrow")
    tables = list(frames)
    present = _non_empty(connection, tables)
    rules = _usable_rules(options.rules, present)
    counts = count_pairs(connection, rules, tables[0], tables[1] if len(tables) > 1 else None)
    check_pairs(counts, options.max_pairs)
    return present, rules, counts


def _scored(
    connection: duckdb.DuckDBPyConnection,
    frames: dict[str, pl.DataFrame],
    link_type: str,
    options: LinkageOptions,
    seconds: dict[str, float],
) -> tuple[Linker, SplinkDataFrame, dict[str, Any], list[RuleCount]]:
    """Load, check the blocking, train (unless given a model), predict."""
    started = time.perf_counter()
    tables = list(frames)
    present, rules, counts = _prepare(connection, frames, options)
    seconds["prepare"] = time.perf_counter() - started
    if options.model is None:
        started = time.perf_counter()
        model = train(
            lambda settings: _linker(connection, tables, settings),
            _settings(link_type, present, rules).create_settings_dict("duckdb"),
            connection,
            present,
            tables,
            options.u_pairs,
        )
        seconds["train"] = time.perf_counter() - started
    else:
        model = json.loads(json.dumps(options.model))
    # The rules checked above are the ones that run, whatever the model was trained with.
    model["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": rule.sql("household_id" in present)} for rule in rules
    ]
    started = time.perf_counter()
    linker = _linker(connection, tables, model)
    predictions = linker.inference.predict(threshold_match_probability=options.keep_from)
    seconds["predict"] = time.perf_counter() - started
    return linker, predictions, model, counts


def deduplicate(features: pl.DataFrame, options: LinkageOptions | None = None) -> LinkageResult:
    """Clusters of records that are one person, from feature rows (`features.linkage_features`)."""
    options = options or LinkageOptions()
    seconds: dict[str, float] = {}
    with _connection(options) as connection:
        linker, predictions, model, counts = _scored(connection, {"records": features}, "dedupe_only", options, seconds)
        started = time.perf_counter()
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=options.threshold
        )
        # Each record's best link inside its cluster: one pass over the links, from both ends.
        best = connection.sql(
            f"""WITH links AS (
                    SELECT unique_id_l AS id, match_weight FROM {predictions.physical_name}
                    WHERE match_probability >= {float(options.threshold)}
                    UNION ALL
                    SELECT unique_id_r, match_weight FROM {predictions.physical_name}
                    WHERE match_probability >= {float(options.threshold)}),
                best AS (SELECT id, max(match_weight) AS match_weight FROM links GROUP BY id)
                SELECT c.unique_id AS record_id, c.cluster_id, best.match_weight
                FROM {clusters.physical_name} c LEFT JOIN best ON best.id = c.unique_id"""  # noqa: S608
        )
        cluster_frame = pl.from_arrow(best.to_arrow_table())
        pairs = _pairs(connection, predictions.physical_name, ("record_id_l", "record_id_r"))
        seconds["cluster"] = time.perf_counter() - started
    assert isinstance(cluster_frame, pl.DataFrame)
    return LinkageResult(cluster_frame, pairs, model, counts, seconds)


def _pairs(connection: duckdb.DuckDBPyConnection, table: str, names: tuple[str, str]) -> pl.DataFrame:
    """The scored pairs with each comparison's weight (its level's, plus the term-frequency
    adjustment): the evidence a reviewer reads, in bits for or against."""
    columns = [row[0] for row in connection.execute(f"SELECT * FROM {table} LIMIT 0").description or []]  # noqa: S608
    weights = [c[3:] for c in columns if c.startswith("mw_") and not c.startswith("mw_tf_adj_")]
    parts = [
        f'"mw_{w}" + coalesce("mw_tf_adj_{w}", 0) AS "w_{w}"' if f"mw_tf_adj_{w}" in columns else f'"mw_{w}" AS "w_{w}"'
        for w in weights
    ]
    select = ", ".join(
        [f"unique_id_l AS {names[0]}", f"unique_id_r AS {names[1]}", "match_weight", "match_probability", *parts]
    )
    frame = pl.from_arrow(connection.sql(f"SELECT {select} FROM {table}").to_arrow_table())  # noqa: S608
    assert isinstance(frame, pl.DataFrame)
    return frame


def link(left: pl.DataFrame, right: pl.DataFrame, options: LinkageOptions | None = None) -> LinkageResult:
    """Pairs (left record, right record) that are one person, with their probability."""
    options = options or LinkageOptions()
    seconds: dict[str, float] = {}
    with _connection(options) as connection:
        frames = {"left_records": left, "right_records": right}
        _, predictions, model, counts = _scored(connection, frames, "link_only", options, seconds)
        started = time.perf_counter()
        # Splink puts either input on either side; turn each pair to (left file, right file).
        connection.execute(
            f"""CREATE TABLE oriented_pairs AS
                SELECT CASE WHEN source_dataset_l = 'left_records' THEN unique_id_l ELSE unique_id_r END AS unique_id_l,
                       CASE WHEN source_dataset_l = 'left_records' THEN unique_id_r ELSE unique_id_l END AS unique_id_r,
                       * EXCLUDE (unique_id_l, unique_id_r) FROM {predictions.physical_name}"""  # noqa: S608
        ).fetchall()
        pairs = _pairs(connection, "oriented_pairs", ("left_id", "right_id"))
        seconds["orient"] = time.perf_counter() - started
    return LinkageResult(None, pairs, model, counts, seconds)


# The baseline a registry without probabilistic linkage uses: same CIN, or the same names (as
# written, case aside) and the same full birth date. Run on features without name processing.
EXACT_RULES: tuple[BlockingRule, ...] = (
    BlockingRule(("cin",)),
    BlockingRule(("given_lat", "family_lat", "birth_year", "birth_month", "birth_day")),
    BlockingRule(("given_ar", "family_ar", "birth_year", "birth_month", "birth_day")),
)


def exact_rules_clusters(features: pl.DataFrame, options: LinkageOptions | None = None) -> LinkageResult:
    """Clusters joined by the exact rules alone, for comparison with the probabilistic model."""
    options = options or LinkageOptions()
    seconds: dict[str, float] = {}
    with _connection(options) as connection:
        started = time.perf_counter()
        present, rules, counts = _prepare(connection, {"records": features}, replace(options, rules=EXACT_RULES))
        households = "household_id" in present
        settings = SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[{"blocking_rule": rule.sql(households)} for rule in rules],
        )
        linker = _linker(connection, ["records"], settings)
        links = linker.inference.deterministic_link()
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(links, None)
        frame = pl.from_arrow(
            connection.sql(
                "SELECT unique_id AS record_id, cluster_id, CAST(NULL AS DOUBLE) AS match_weight "  # noqa: S608
                f"FROM {clusters.physical_name}"
            ).to_arrow_table()
        )
        pairs = pl.from_arrow(
            connection.sql(
                f"SELECT unique_id_l AS record_id_l, unique_id_r AS record_id_r FROM {links.physical_name}"  # noqa: S608
            ).to_arrow_table()
        )
        seconds["link"] = time.perf_counter() - started
    assert isinstance(frame, pl.DataFrame) and isinstance(pairs, pl.DataFrame)
    return LinkageResult(frame, pairs, {}, counts, seconds)
