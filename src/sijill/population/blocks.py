"""The blocks of the duplicate check, declared once and compiled for the online and batch forms.

A block says which records are compared at all: two records meet when they agree on every column
of one block (and, for a block with a year window, their birth years are that close). Blocks never
rest on one common name alone: in a national register thousands of Mohameds are born each year and
one family name can cover 5% of a province, so a name block also needs the birth date or the
father's name. Measured on a synthetic country of 1M records (docs/benchmarks.md) these blocks keep
every duplicate the earlier, wider blocks found while comparing 1.4M pairs instead of 31M.

The same declarations give the SQLAlchemy conditions of the online check (one registration
against the register, through the indexes of ``models.py``) and the DuckDB joins of the batch check
(a whole file against itself and against the register records it shares a block with).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from sijill.linkage.names import name_key_expr

# The columns a block may use, as ``person`` columns and as batch frame columns.
KEY_COLUMNS = ("cin", "phone", "family_key", "given_key", "father_key", "birth_date", "birth_year")


@dataclass(frozen=True, slots=True)
class Block:
    name: str
    equal: tuple[str, ...]
    # Birth years may differ by up to this much (a year typed wrong, a presumed date).
    year_window: int = 0

    def online_sql(self) -> str:
        """This block as a condition on ``person p`` with named parameters (``:cin``, ``:born`` ...).

        A record lacking one of the block's values passes NULL, and ``p.x = NULL`` is never true,
        so the record then belongs to no such block, with no change to the statement's text: one
        statement, prepared once, serves every registration."""
        terms = [f"p.{name} = :{_PARAMETER[name]}" for name in self.equal]
        if self.year_window:
            terms.append(f"p.birth_year BETWEEN :year - {self.year_window} AND :year + {self.year_window}")
        elif "birth_date" in self.equal:
            # Redundant with the date, but lets the (family, given, year) index serve this block.
            terms.append("p.birth_year = :year")
        return "(" + " AND ".join(terms) + ")"

    def batch_join(self, left: str, right: str) -> str:
        """The join condition of this block between two DuckDB relations holding KEY_COLUMNS."""
        terms = [f"{left}.{name} = {right}.{name}" for name in self.equal]
        if self.year_window:
            terms.append(
                f"{right}.birth_year BETWEEN {left}.birth_year - {self.year_window} "
                f"AND {left}.birth_year + {self.year_window}"
            )
        return " AND ".join(terms)


BLOCKS = (
    Block("same_cin", ("cin",)),
    Block("same_phone", ("phone",)),
    Block("names_and_birth_date", ("family_key", "given_key", "birth_date")),
    # A birth date typed wrong (day and month swapped, a year off) but the same names and father.
    Block("names_and_father", ("family_key", "given_key", "father_key"), year_window=1),
    # A misspelt given name, or a misspelt family name, with the rest agreeing.
    Block("family_father_birth_date", ("family_key", "father_key", "birth_date")),
    Block("given_father_birth_date", ("given_key", "father_key", "birth_date")),
)


# Parameter names of the online statement, per block column.
_PARAMETER = {
    "cin": "cin",
    "phone": "phone",
    "family_key": "family",
    "given_key": "given",
    "father_key": "father",
    "birth_date": "born",
    "birth_year": "year",
}


def online_condition() -> str:
    """Any block: the WHERE condition of the online candidate search."""
    return " OR ".join(block.online_sql() for block in BLOCKS)


def online_parameters(record: dict[str, Any]) -> dict[str, Any]:
    """The statement's parameters for a record holding KEY_COLUMNS (empty text counts as absent)."""
    return {_PARAMETER[name]: record.get(name) or None for name in KEY_COLUMNS}


def name_key_column(latin: str, arabic: str) -> pl.Expr:
    """The script-neutral key of a name, batch form: Latin spelling first, else Arabic, as
    ``candidates.NameKeys`` does online; no key rather than an empty one."""
    key = name_key_expr(pl.coalesce(latin, arabic))
    return pl.when(key == "").then(None).otherwise(key)


def with_name_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the three name keys the blocks and the score use."""
    return frame.with_columns(
        name_key_column("given_name_lat", "given_name_ar").alias("given_key"),
        name_key_column("family_name_lat", "family_name_ar").alias("family_key"),
        name_key_column("father_given_name_lat", "father_given_name_ar").alias("father_key"),
    )
