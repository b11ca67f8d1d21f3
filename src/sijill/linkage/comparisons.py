"""The model's comparisons: for each field, the levels of agreement between two records.

Written as Splink comparison dicts over the feature columns (`features.py`); their SQL is DuckDB's.
Levels go from the strongest evidence down; a record that says nothing about a field (null) is
neither for nor against. Names get term-frequency adjustment: two records sharing a rare family
name say more than two "Alaoui". A comparison whose columns are empty throughout the input is
left out, since the EM cannot estimate anything from it (a FEBRL file has no Arabic, no parents).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Level = dict[str, Any]
Comparison = dict[str, Any]

STRONG_SIMILARITY = 0.92
SWAPPED_LABEL = "names in the other order"
SAME_KEY_LABEL = "same name (script-neutral key)"
WEAK_SIMILARITY = 0.80


def _null(columns: Sequence[str]) -> Level:
    def side(suffix: str) -> str:
        return " AND ".join(f'"{c}_{suffix}" IS NULL' for c in columns)

    return {"sql_condition": f"({side('l')}) OR ({side('r')})", "label_for_charts": "null", "is_null_level": True}


def _level(sql: str, label: str, tf_column: str | None = None) -> Level:
    level: Level = {"sql_condition": sql, "label_for_charts": label}
    if tf_column is not None:
        level["tf_adjustment_column"] = tf_column
        level["tf_adjustment_weight"] = 1.0
    return level


def _else() -> Level:
    return {"sql_condition": "ELSE", "label_for_charts": "all other"}


def _any_equal(pairs: Sequence[tuple[str, str]]) -> str:
    return "(" + " OR ".join(f'"{a}_l" = "{b}_r"' for a, b in pairs) + ")"


def _similarity(columns: Sequence[str]) -> str:
    return "greatest(" + ", ".join(f'coalesce(jaro_winkler_similarity("{c}_l", "{c}_r"), 0)' for c in columns) + ")"


def name_comparison(part: str, other: str) -> Comparison:
    """Given or family name, in either script; ``other`` is the other part (names in swapped order)."""
    keys = [f"{part}_key_lat", f"{part}_key_ar"]
    same_key = _any_equal([(a, b) for a in keys for b in keys])
    # Term frequencies are those of the key used for blocking. Its plain equality must be the first
    # agreeing level: Splink scales every adjusted level by that level's u, which must then be the
    # chance that two random records share the key at all (an earlier level would take most of it).
    tf = f"{part}_key"
    other_spelling = [same_key]
    if part == "given":
        canon = [f"given_canon_{s}" for s in ("lat", "ar")]
        other_spelling.append(_any_equal([(a, b) for a in canon for b in canon]))
    levels = [
        _null(keys),
        _level(f'"{tf}_l" = "{tf}_r"', SAME_KEY_LABEL, tf),
        # Rare on their own (a record with one script only, a variant the key does not fold):
        # one level, so that the training always has pairs to estimate it from.
        _level(" OR ".join(other_spelling), "same name in another script or spelling", tf),
    ]
    swapped = f'"{part}_key_l" = "{other}_key_r" AND "{other}_key_l" = "{part}_key_r"'
    ascii_columns = [f"{part}_ascii_lat", f"{part}_ascii_ar"]
    if part == "given":
        # No term frequencies: the crossed values are a given and a family name, not one name.
        in_other_order = _level(swapped, SWAPPED_LABEL)
    else:
        # The given name's comparison already counts the swap as agreement; counting it here
        # again would give two coincident spellings twice the evidence of one.
        in_other_order = _level(swapped, "names in the other order (counted with the given name)")
        in_other_order |= {
            "m_probability": 0.01,
            "u_probability": 0.01,
            "fix_m_probability": True,
            "fix_u_probability": True,
        }
    levels += [
        in_other_order,
        _level(f"{_similarity(ascii_columns)} >= {STRONG_SIMILARITY}", f"Jaro-Winkler >= {STRONG_SIMILARITY}"),
        _level(f"{_similarity(ascii_columns)} >= {WEAK_SIMILARITY}", f"Jaro-Winkler >= {WEAK_SIMILARITY}"),
        _else(),
    ]
    return {"output_column_name": f"{part}_name", "comparison_levels": levels}


def parent_comparison(parent: str) -> Comparison:
    key, ascii_column = f"{parent}_key", f"{parent}_ascii"
    return {
        "output_column_name": f"{parent}_name",
        "comparison_levels": [
            _null([key]),
            _level(f'"{key}_l" = "{key}_r"', "same key", key),
            _level(f"{_similarity([ascii_column])} >= {STRONG_SIMILARITY}", f"Jaro-Winkler >= {STRONG_SIMILARITY}"),
            _else(),
        ],
    }


def _date(side: str) -> str:
    return f'make_date("birth_year_{side}", "birth_month_{side}", "birth_day_{side}")'


def birth_date_comparison() -> Comparison:
    """Exact, day and month swapped, year typed wrong, year and month, year with a date not known
    to the day (presumed or year only), a year apart without a full date, anything else."""
    precise = '"birth_precise_l" AND "birth_precise_r"'
    same_year = '"birth_year_l" = "birth_year_r"'
    same_day = '"birth_month_l" = "birth_month_r" AND "birth_day_l" = "birth_day_r"'
    imprecise = 'NOT ("birth_precise_l" AND "birth_precise_r")'
    return {
        "output_column_name": "birth_date",
        "comparison_levels": [
            _null(["birth_year"]),
            _level(f"{precise} AND {same_year} AND {same_day}", "same date"),
            _level(
                f'{precise} AND {same_year} AND "birth_month_l" = "birth_day_r" AND "birth_day_l" = "birth_month_r"',
                "day and month swapped",
            ),
            # A year typed wrong moves the date by 365 days: the day shifts by one across a 29 February.
            _level(f"{precise} AND abs(abs(date_diff('day', {_date('l')}, {_date('r')})) - 365) <= 1", "a year off"),
            _level(f'{same_year} AND "birth_month_l" = "birth_month_r"', "same year and month"),
            _level(f"{same_year} AND {imprecise}", "same year, date not known to the day"),
            _level(f'abs("birth_year_l" - "birth_year_r") = 1 AND {imprecise}', "a year apart, date not known"),
            _else(),
        ],
    }


def exact_comparison(column: str, label: str, tf: bool = False) -> Comparison:
    return {
        "output_column_name": column,
        "comparison_levels": [
            _null([column]),
            _level(f'"{column}_l" = "{column}_r"', f"same {label}", column if tf else None),
            _else(),
        ],
    }


def fuzzy_comparison(column: str, label: str) -> Comparison:
    return {
        "output_column_name": column,
        "comparison_levels": [
            _null([column]),
            _level(f'"{column}_l" = "{column}_r"', f"same {label}"),
            _level(f"{_similarity([column])} >= {STRONG_SIMILARITY}", f"Jaro-Winkler >= {STRONG_SIMILARITY}"),
            _else(),
        ],
    }


def _commune(side: str) -> str:
    """The annex code's commune part: 01.01.001 of annex 01.01.001.01 (NULL for a shorter code)."""
    return f"""nullif(regexp_extract("annex_code_{side}", '^[^.]+[.][^.]+[.][^.]+'), '')"""


def annex_comparison() -> Comparison:
    """Same annex, same commune (the code's first three parts), same province, elsewhere."""
    return {
        "output_column_name": "annex_code",
        "comparison_levels": [
            _null(["annex_code"]),
            _level('"annex_code_l" = "annex_code_r"', "same annex"),
            _level(f"{_commune('l')} = {_commune('r')}", "same commune"),
            _else(),
        ],
    }


# Each comparison and the feature columns that must hold some values for it to be estimable.
def comparisons(non_empty: set[str]) -> list[Comparison]:
    candidates: list[tuple[Comparison, set[str]]] = [
        (name_comparison("given", "family"), {"given_key"}),
        (name_comparison("family", "given"), {"family_key"}),
        (parent_comparison("father"), {"father_key"}),
        (parent_comparison("mother"), {"mother_key"}),
        (birth_date_comparison(), {"birth_year"}),
        (exact_comparison("sex", "sex"), {"sex"}),
        (exact_comparison("cin", "CIN"), {"cin"}),
        (exact_comparison("phone", "phone"), {"phone"}),
        (exact_comparison("birth_place", "birth place", tf=True), {"birth_place"}),
        (fuzzy_comparison("address", "address"), {"address"}),
        (annex_comparison(), {"annex_code"}),
    ]
    return [comparison for comparison, needed in candidates if needed <= non_empty]
