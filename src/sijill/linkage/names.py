"""Name normalisation in Arabic and Latin script, and a script-neutral key for linkage.

Public façade: the rules live in :mod:`sijill.linkage.arabic`, :mod:`sijill.linkage.latin` and
:mod:`sijill.linkage.name_key`; ``docs/names.md`` explains them for policy staff and engineers.

Scalar functions serve the registration desk (one record at a time). The ``*_expr`` functions are
the batch form for national runs: they call the same scalar functions once per *distinct* value of
a column and map the results back, so they give exactly the same output while the Python work
grows with the number of distinct names (tens of thousands nationally), not with the rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from sijill.linkage.arabic import ARABIC_TITLES, normalize_arabic, strip_arabic_article, strip_arabic_titles
from sijill.linkage.ascii_form import ascii_form
from sijill.linkage.latin import LATIN_TITLES, normalize_latin, strip_latin_article, strip_latin_titles
from sijill.linkage.name_key import name_key

__all__ = [
    "ascii_form",
    "ascii_form_expr",
    "name_key",
    "name_key_expr",
    "name_keys",
    "normalize_arabic",
    "normalize_arabic_expr",
    "normalize_latin",
    "normalize_latin_expr",
    "per_distinct",
    "strip_particles",
    "strip_titles",
]

# Kinship particles ("son of", "of the tribe of") that a tolerant search may ignore, as they read
# once normalised.
_KINSHIP = frozenset({"ben", "ait", "ou", "ould", "بن", "ابن", "بنت", "ايت", "ولد", "اولاد"})
_TITLES = LATIN_TITLES | ARABIC_TITLES
_WORD_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_.,'\u2019`]+")


def strip_titles(text: str) -> str:
    """Remove the honorifics (moulay, sidi, lalla; مولاي, سيدي, للا) from a normalised name.

    Works on the output of :func:`normalize_latin` or :func:`normalize_arabic` (or a mix of both).
    """
    return strip_arabic_titles(strip_latin_titles(text))


def strip_particles(text: str) -> str:
    """Remove the definite article from a normalised name: "el" words and the Arabic prefix ال.

    "el naciri" (from "En-Naciri" or "Ennaciri") becomes "naciri"; "الناصري" becomes "ناصري".
    Kinship particles (ben, ait, ou, ould) are part of the family name and are kept.
    """
    return strip_arabic_article(strip_latin_article(text))


def _drop_words(text: str, banned: frozenset[str]) -> str:
    """Remove from a raw name the words whose normalised form (either script) is in ``banned``."""
    words = _WORD_SEPARATORS.split(text)
    return " ".join(w for w in words if normalize_latin(w) not in banned and normalize_arabic(w) not in banned)


def name_keys(text: str) -> tuple[str, ...]:
    """The key, then tolerant variants for candidate search, without repeats or empty keys.

    Variants: without titles ("Moulay Ahmed" ~ "Ahmed"), then also without the kinship particles
    ben, ait, ou, ould ("Ait Lahcen" ~ "Lahcen"). The article is already absent from every key.
    """
    untitled = _drop_words(text, _TITLES)
    candidates = (name_key(text), name_key(untitled), name_key(_drop_words(untitled, _KINSHIP)))
    return tuple(dict.fromkeys(key for key in candidates if key))


def per_distinct(column: str | pl.Expr, function: Callable[[str], str]) -> pl.Expr:
    """Apply a scalar function once per distinct non-null value of a string column."""

    def apply(series: pl.Series) -> pl.Series:
        distinct = series.drop_nulls().unique()
        results = pl.Series([function(value) for value in distinct.to_list()], dtype=pl.String)
        return series.replace_strict(distinct, results, default=None, return_dtype=pl.String)

    expr = pl.col(column) if isinstance(column, str) else column
    return expr.cast(pl.String).map_batches(apply, return_dtype=pl.String, is_elementwise=True)


def name_key_expr(column: str | pl.Expr) -> pl.Expr:
    """Batch :func:`name_key` over a string column (nulls stay null)."""
    return per_distinct(column, name_key)


def normalize_latin_expr(column: str | pl.Expr) -> pl.Expr:
    """Batch :func:`normalize_latin` over a string column (nulls stay null)."""
    return per_distinct(column, normalize_latin)


def normalize_arabic_expr(column: str | pl.Expr) -> pl.Expr:
    """Batch :func:`normalize_arabic` over a string column (nulls stay null)."""
    return per_distinct(column, normalize_arabic)


def ascii_form_expr(column: str | pl.Expr) -> pl.Expr:
    """Batch :func:`ascii_form` over a string column (nulls stay null)."""
    return per_distinct(column, ascii_form)
