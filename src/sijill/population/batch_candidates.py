"""The duplicate check in batch form: every imported row against the register and the file itself.

Pairs come from the blocks of ``population.blocks``, the same as the online check's; they are
scored with the online weights in one DuckDB query over the whole file. The batch form compares
the script-neutral keys, where the online form also compares each script's spelling, so it can
only be stricter about calling two rows the same.
"""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl
from sqlalchemy import Date, Integer, String, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from sijill.bulk import fill_temporary_table
from sijill.population.blocks import BLOCKS, KEY_COLUMNS
from sijill.population.candidates import DIFFERENT_NAME, STRONG_SCORE
from sijill.population.models import Person

# File rows have positive ids (their row number), register records negative ones (-person id), so
# "b.rid < a.rid" pairs a row with the register and with the earlier rows of the file only.
PAIR_COLUMNS = ("rid", "person_id", *KEY_COLUMNS, "sex")
# Below this ratio of register records to file rows the whole register's keys are read and joined
# in DuckDB; above it, only the records sharing a block, through the register's indexes.
SCAN_WHOLE_REGISTER_RATIO = 4


def _pairs_sql() -> str:
    found = " UNION ".join(
        f"SELECT a.rid, b.rid AS other_rid, b.person_id FROM a JOIN b ON {block.batch_join('a', 'b')} AND b.rid < a.rid"  # noqa: S608 (constant fragments)
        for block in BLOCKS
    )
    return "WITH pairs AS (" + found + _SCORED


_SCORED = """), scored AS (
    SELECT p.rid, p.other_rid, p.person_id,
        coalesce(a.cin = b.cin, false) AS same_cin,
        CASE WHEN a.given_key = b.given_key THEN 1.0
             ELSE coalesce(jaro_winkler_similarity(a.given_key, b.given_key), 0) END AS given_score,
        CASE WHEN a.family_key = b.family_key THEN 1.0
             ELSE coalesce(jaro_winkler_similarity(a.family_key, b.family_key), 0) END AS family_score,
        CASE WHEN a.birth_date = b.birth_date THEN 1.0
             WHEN year(a.birth_date) = year(b.birth_date) AND day(a.birth_date) = month(b.birth_date)
                  AND month(a.birth_date) = day(b.birth_date) THEN 0.8
             WHEN year(a.birth_date) = year(b.birth_date) AND month(a.birth_date) = month(b.birth_date) THEN 0.7
             WHEN a.birth_year = b.birth_year THEN 0.5
             WHEN abs(a.birth_year - b.birth_year) = 1 THEN 0.3 ELSE 0.0 END AS date_score,
        CASE WHEN a.father_key IS NULL OR b.father_key IS NULL THEN 0.5
             WHEN a.father_key = b.father_key THEN 1.0
             ELSE jaro_winkler_similarity(a.father_key, b.father_key) END AS father_score,
        coalesce(a.phone = b.phone, false) AS same_phone,
        coalesce(a.cin <> b.cin, false) AS different_cin,
        a.father_key IS NOT NULL AND b.father_key IS NOT NULL AS father_known,
        coalesce(a.sex <> b.sex, false) AS different_sex
    FROM pairs p JOIN a ON a.rid = p.rid JOIN b ON b.rid = p.other_rid
    WHERE p.rid <> p.other_rid
)
SELECT rid, other_rid, person_id, same_cin,
    CASE WHEN same_cin THEN 1.0 ELSE least(1.0,
        (0.55 * (given_score + family_score) / 2 + 0.35 * date_score + 0.10 * father_score
         + CASE WHEN same_phone THEN 0.10 ELSE 0 END)
        * CASE WHEN least(given_score, family_score) < $different_name THEN 0.8 ELSE 1 END
        * CASE WHEN father_known AND father_score < $different_name THEN 0.85 ELSE 1 END
        * CASE WHEN different_cin THEN 0.6 ELSE 1 END
        * CASE WHEN different_sex THEN 0.5 ELSE 1 END) END AS score
FROM scored
"""


def strong_pairs(rows: pl.DataFrame, register: pl.DataFrame) -> pl.DataFrame:
    """Strong (rid, candidate) pairs: ``person_id`` set for a register record, else ``other_rid``, an
    earlier row of the same file (the later of two rows is the one held)."""
    # Kept in DuckDB: of a million rows' 1.4M pairs, 3 % are strong, and handing all of them over
    # to polars first cost 0.4 s.
    return scored_pairs(rows, register, at_least=STRONG_SCORE)


def scored_pairs(rows: pl.DataFrame, register: pl.DataFrame, *, at_least: float | None = None) -> pl.DataFrame:
    """Every pair sharing a block, with its score, best candidate of each row first; with
    ``at_least``, only the pairs scoring that much or sharing a CIN."""
    sql = _pairs_sql()
    if at_least is not None:
        sql = f"SELECT * FROM ({sql}) WHERE same_cin OR score >= {float(at_least)!r}"  # noqa: S608 (a number)
    connection = duckdb.connect()
    try:
        file_rows = rows.with_columns(pl.lit(None, dtype=pl.Int64).alias("person_id")).select(PAIR_COLUMNS)
        everyone = pl.concat([file_rows, register.select(PAIR_COLUMNS)], how="vertical_relaxed")
        # Materialised once: the blocks read these tables six times each.
        connection.register("file_rows", file_rows)
        connection.register("everyone", everyone)
        connection.execute("CREATE TEMPORARY TABLE a AS SELECT * FROM file_rows")
        connection.execute("CREATE TEMPORARY TABLE b AS SELECT * FROM everyone")
        relation = connection.sql(sql, params={"different_name": DIFFERENT_NAME})
        assert relation is not None  # a SELECT always yields a relation
        scored: pl.DataFrame = relation.pl()
    finally:
        connection.close()
    return scored.sort("rid", "score", descending=[False, True])


_REGISTER_SCHEMA = {
    "person_id": pl.Int64,
    "birth_year": pl.Int64,
    "birth_date": pl.Date,
    "family_key": pl.String,
    "given_key": pl.String,
    "father_key": pl.String,
    "cin": pl.String,
    "phone": pl.String,
    "sex": pl.String,
}
_REGISTER_COLUMNS = ", ".join(f"p.{name}" if name != "person_id" else "p.id AS person_id" for name in _REGISTER_SCHEMA)


def register_size(session: Session) -> int:
    """Records in the register (merged ones included): what the batch check and a load compare with."""
    size: int = session.execute(select(func.count()).select_from(Person)).scalar_one()
    return size


def register_blocks(session: Session, rows: pl.DataFrame, register_records: int) -> pl.DataFrame:
    """The register records that share a block with any row, as ``strong_pairs`` reads them
    (``rid`` = -person id)."""
    if register_records == 0:
        found = pl.DataFrame(schema=_REGISTER_SCHEMA)
    elif register_records < SCAN_WHOLE_REGISTER_RATIO * rows.height:
        found = _read(session, f"SELECT {_REGISTER_COLUMNS} FROM person p WHERE p.status <> 'merged'")  # noqa: S608
    else:
        fill_temporary_table(
            session,
            "import_keys",
            "cin VARCHAR(10), phone VARCHAR(16), family_key VARCHAR(60), given_key VARCHAR(60), "
            "father_key VARCHAR(60), birth_date DATE, birth_year INTEGER",
            rows.select(KEY_COLUMNS),
        )
        union = " UNION ".join(
            f"SELECT {_REGISTER_COLUMNS} FROM import_keys k JOIN person p ON {block.batch_join('k', 'p')} "  # noqa: S608 (constant fragments)
            "WHERE p.status <> 'merged'"
            for block in BLOCKS
        )
        found = _read(session, union)
    return found.with_columns((-pl.col("person_id")).alias("rid"))


def _read(session: Session, sql: str) -> pl.DataFrame:
    # Typed columns, so that SQLite's text dates come back as dates, as PostgreSQL's do.
    types: dict[str, type[TypeEngine[Any]]] = {"person_id": Integer, "birth_year": Integer, "birth_date": Date}
    typed = text(sql).columns(**{name: types.get(name, String) for name in _REGISTER_SCHEMA})
    return pl.read_database(typed, session.connection(), schema_overrides=_REGISTER_SCHEMA)
