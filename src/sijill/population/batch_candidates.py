"""The duplicate check in batch form: every imported row against the register and the file itself.

Pairs come from the same blocks as the online check (same CIN, same phone, both name keys within a
year of birth, or one name key and the exact birth date); they are scored with the online weights in one DuckDB
query over the whole chunk. The batch form compares the script-neutral keys, where the online form
also compares each script's spelling, so it can only be stricter about calling two rows the same.
"""

from __future__ import annotations

import duckdb
import polars as pl
from sqlalchemy import Date, Integer, String, text
from sqlalchemy.orm import Session

from sijill.bulk import bulk_insert_frame
from sijill.population.candidates import DIFFERENT_NAME, STRONG_SCORE

BLOCK_COLUMNS = ("rid", "person_id", "birth_year", "birth_date", "family_key", "given_key", "father_key", "cin",
                 "phone", "sex")  # fmt: skip

_PAIRS = """
WITH pairs AS (
    SELECT a.rid, b.rid AS other_rid, b.person_id FROM a JOIN b ON a.cin = b.cin
    UNION SELECT a.rid, b.rid, b.person_id FROM a JOIN b ON a.phone = b.phone
    UNION SELECT a.rid, b.rid, b.person_id FROM a JOIN b
        ON a.family_key = b.family_key AND a.given_key = b.given_key
        AND b.birth_year BETWEEN a.birth_year - 1 AND a.birth_year + 1
    UNION SELECT a.rid, b.rid, b.person_id FROM a JOIN b
        ON a.family_key = b.family_key AND a.birth_date = b.birth_date
    UNION SELECT a.rid, b.rid, b.person_id FROM a JOIN b
        ON a.given_key = b.given_key AND a.birth_date = b.birth_date
), scored AS (
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
    # Register records get negative ids so they can share the ``rid`` column with the file's rows.
    everyone = pl.concat(
        [rows.with_columns(pl.lit(None, dtype=pl.Int64).alias("person_id")), register], how="diagonal_relaxed"
    ).select(BLOCK_COLUMNS)
    a = rows.select(BLOCK_COLUMNS[:1] + BLOCK_COLUMNS[2:])  # noqa: F841 (DuckDB reads it by name)
    b = everyone  # noqa: F841
    relation = duckdb.sql(_PAIRS, params={"different_name": DIFFERENT_NAME})
    assert relation is not None  # a SELECT always yields a relation
    scored: pl.DataFrame = relation.pl()
    return scored.filter(
        (pl.col("same_cin") | (pl.col("score") >= STRONG_SCORE))
        & (pl.col("person_id").is_not_null() | (pl.col("other_rid") < pl.col("rid")))
    ).sort("rid", "score", descending=[False, True])


def _block_keys(rows: pl.DataFrame) -> pl.DataFrame:
    """One line per block a row belongs to, in the shape of the ``import_block`` temporary table."""
    none_text, none_date, none_year = (pl.lit(None, dtype=t) for t in (pl.String, pl.Date, pl.Int64))
    parts = [
        rows.select(pl.lit("cin").alias("kind"), pl.col("cin").alias("key"), none_text.alias("key2"),
                    none_year.alias("birth_year"), none_date.alias("birth_date")),
        rows.select(pl.lit("phone").alias("kind"), pl.col("phone").alias("key"), none_text.alias("key2"),
                    none_year.alias("birth_year"), none_date.alias("birth_date")),
        rows.select(pl.lit("names").alias("kind"), pl.col("family_key").alias("key"), pl.col("given_key")
                    .alias("key2"), "birth_year", none_date.alias("birth_date")),
        rows.select(pl.lit("family_date").alias("kind"), pl.col("family_key").alias("key"), none_text.alias("key2"),
                    "birth_year", "birth_date"),
        rows.select(pl.lit("given_date").alias("kind"), pl.col("given_key").alias("key"), none_text.alias("key2"),
                    "birth_year", "birth_date"),
    ]  # fmt: skip
    keys = pl.concat(parts, how="vertical_relaxed").drop_nulls("key")
    needs_second = pl.col("kind").is_in(["names"]) & pl.col("key2").is_null()
    needs_date = pl.col("kind").is_in(["family_date", "given_date"]) & pl.col("birth_date").is_null()
    return keys.filter(~needs_second & ~needs_date).unique()


_REGISTER_COLUMNS = (
    "p.id AS person_id, p.birth_year, p.birth_date, p.family_key, p.given_key, p.cin, p.phone, p.sex, "
    "p.father_given_name_lat, p.father_given_name_ar"
)
_BLOCK_JOINS = (
    "k.kind = 'cin' AND p.cin = k.key",
    "k.kind = 'phone' AND p.phone = k.key",
    "k.kind = 'names' AND p.family_key = k.key AND p.given_key = k.key2 "
    "AND p.birth_year BETWEEN k.birth_year - 1 AND k.birth_year + 1",
    "k.kind = 'family_date' AND p.family_key = k.key AND p.birth_year = k.birth_year AND p.birth_date = k.birth_date",
    "k.kind = 'given_date' AND p.given_key = k.key AND p.birth_year = k.birth_year AND p.birth_date = k.birth_date",
)


def register_blocks(session: Session, rows: pl.DataFrame) -> pl.DataFrame:
    """The register records sharing a block with any row, found through a temporary key table and
    the same indexes as the online check."""
    session.execute(
        text(
            "CREATE TEMPORARY TABLE IF NOT EXISTS import_block "
            "(kind VARCHAR(12), key VARCHAR(60), key2 VARCHAR(60), birth_year INTEGER, birth_date DATE)"
        )
    )
    session.execute(text("DELETE FROM import_block"))
    bulk_insert_frame(session, "import_block", _block_keys(rows))
    union = " UNION ".join(
        f"SELECT {_REGISTER_COLUMNS} FROM person p JOIN import_block k ON {join} WHERE p.status <> 'merged'"  # noqa: S608 (constant fragments)
        for join in _BLOCK_JOINS
    )
    # Typed columns, so that SQLite's text dates come back as dates, as PostgreSQL's do.
    typed = text(union).columns(
        person_id=Integer,
        birth_year=Integer,
        birth_date=Date,
        family_key=String,
        given_key=String,
        cin=String,
        phone=String,
        sex=String,
        father_given_name_lat=String,
        father_given_name_ar=String,
    )
    schema = {
        "person_id": pl.Int64,
        "birth_year": pl.Int64,
        "birth_date": pl.Date,
        "family_key": pl.String,
        "given_key": pl.String,
        "cin": pl.String,
        "phone": pl.String,
        "sex": pl.String,
        "father_given_name_lat": pl.String,
        "father_given_name_ar": pl.String,
    }
    return pl.read_database(typed, session.connection(), schema_overrides=schema)
