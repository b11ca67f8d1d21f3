"""A curated dictionary of Moroccan given names and their spellings in both scripts
(`name_variants.yaml`, written for Sijill): "Fatima Zahra", "Fatimazahra" and فاطمة الزهراء are
one name; "Mohamed" and "M'hamed" are two.

`name_group` answers a name's group (its canonical Latin spelling) or None for a name the
dictionary does not know; `canonical_given_name` answers the group word by word when the whole
name is not listed ("Med Amine" → "mohamed amine") and the normalised spelling otherwise, so a
comparison on it treats listed variants as equal and leaves every other name as written.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import polars as pl
import yaml

from sijill.linkage.arabic import normalize_arabic, written_in_arabic
from sijill.linkage.latin import normalize_latin
from sijill.linkage.memo import per_spelling

_SEPARATORS = re.compile(r"[\s\-'\u2019`]+")


class VariantDictionaryError(ValueError):
    """The dictionary contradicts itself: one spelling in two groups, or a group without spellings."""


def _normalised(text: str) -> str:
    return normalize_arabic(text) if written_in_arabic(text) else normalize_latin(text)


def compact(text: str) -> str:
    """The spelling the dictionary compares: normalised in its script, without spaces or hyphens."""
    return _SEPARATORS.sub("", _normalised(text))


def build_lookup(groups: dict[str, Any]) -> dict[str, str]:
    """compact spelling → group; refuses a spelling listed under two groups."""
    lookup: dict[str, str] = {}
    for group, scripts in groups.items():
        spellings = [*scripts.get("lat", []), *scripts.get("ar", [])] if isinstance(scripts, dict) else []
        if not spellings:
            raise VariantDictionaryError(f"group {group!r} lists no spelling")
        for spelling in [group, *spellings]:
            key = compact(str(spelling))
            if lookup.get(key, group) != group:
                raise VariantDictionaryError(f"{spelling!r} is in both {lookup[key]!r} and {group!r}")
            lookup[key] = group
    return lookup


@cache
def _shipped() -> dict[str, str]:
    text = resources.files("sijill.linkage").joinpath("name_variants.yaml").read_text(encoding="utf-8")
    return build_lookup(yaml.safe_load(text))


@per_spelling
def _group_or_empty(text: str) -> str:
    return _shipped().get(compact(text), "")


def name_group(text: str) -> str | None:
    """The group of a whole given name ("fatima zahra" for فاطمة الزهراء), or None."""
    return _group_or_empty(text) or None


@per_spelling
def canonical_given_name(text: str) -> str:
    """The whole name's group; else each word's group or its normalised spelling, in order."""
    whole = _group_or_empty(text)
    if whole:
        return whole
    return " ".join(_group_or_empty(word) or word for word in _normalised(text).split())


def canonical_given_name_expr(column: str | pl.Expr) -> pl.Expr:
    """Batch :func:`canonical_given_name` over a column, once per distinct spelling."""
    from sijill.linkage.names import per_distinct  # names imports this module's siblings: no cycle at load

    return per_distinct(column, canonical_given_name)
