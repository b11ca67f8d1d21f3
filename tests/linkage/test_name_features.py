"""Name features for linkage: the one-character-per-letter ASCII form, and the dictionary of
Moroccan given names in both scripts."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sijill.linkage.names import ascii_form, ascii_form_expr, normalize_arabic
from sijill.linkage.variants import (
    VariantDictionaryError,
    build_lookup,
    canonical_given_name,
    canonical_given_name_expr,
    name_group,
)

ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي" + "ڭڤڨ"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("فاطمة الزهراء", "fATmh AlzhrA"),
        ("فَاطِمَة  الزَّهْرَاء", "fATmh AlzhrA"),  # marks and spacing aside
        ("محمد", "mHmd"),
        ("ﻣﺤﻤﺪ", "mHmd"),  # presentation forms
        ("ڭروج", "Grwj"),  # Maghrebi letters keep their own character
        ("Fatima-Zahra", "fatima zahra"),
        ("AÏT EL HAJ", "ait el haj"),
    ],
)
def test_the_ascii_form(written: str, expected: str) -> None:
    assert ascii_form(written) == expected


@given(st.text(alphabet=ARABIC_LETTERS, min_size=1, max_size=12), st.integers(0, 11), st.sampled_from(ARABIC_LETTERS))
def test_one_arabic_letter_is_one_ascii_character(word: str, at: int, letter: str) -> None:
    form = ascii_form(word)
    assert form.isascii() and len(form) == len(normalize_arabic(word))
    # Changing one letter changes one character: byte-based distances count one edit.
    position = at % len(word)
    changed = word[:position] + letter + word[position + 1 :]
    differing = sum(a != b for a, b in zip(form, ascii_form(changed), strict=True))
    assert differing == (0 if letter == word[position] else 1)


def test_the_batch_form_gives_the_same_answers() -> None:
    names = pl.Series("name", ["محمد", None, "Fatima-Zahra", "محمد"])
    out = pl.DataFrame({"name": names}).select(ascii_form_expr("name"), canonical_given_name_expr("name").alias("c"))
    assert out["name"].to_list() == ["mHmd", None, "fatima zahra", "mHmd"]
    assert out["c"].to_list() == ["mohamed", None, "fatima zahra", "mohamed"]


@pytest.mark.parametrize(
    ("spellings", "group"),
    [
        (
            ["Fatima Zahra", "Fatimazahra", "FATIMA-ZAHRA", "Fatima Ezzahra", "فاطمة الزهراء", "فاطمة الزهرة"],
            "fatima zahra",
        ),
        (["Lahcen", "Lahsen", "لحسن", "الحسن"], "lahcen"),
        (["Mohamed", "Mohammed", "Muhammad", "مُحَمَّد"], "mohamed"),
        (["M'hamed", "Mhamed", "امحمد"], "mhamed"),
        (["Abdelkader", "Abdul Qadir", "عبد القادر", "عبدالقادر"], "abdelkader"),
        (["Youssef", "Yusuf", "Youcef", "يوسف"], "youssef"),
        (["Aicha", "Aïcha", "Aisha", "عائشة"], "aicha"),
        (["Zakaria", "Zakariae", "زكرياء", "زكريا"], "zakaria"),
    ],
)
def test_every_spelling_of_a_name_meets_its_group(spellings: list[str], group: str) -> None:
    assert {name_group(s) for s in spellings} == {group}


@pytest.mark.parametrize(
    ("one", "other"),
    [("Mohamed", "M'hamed"), ("Hassan", "Houssine"), ("حسن", "حسين"), ("Lahcen", "Hassan"), ("Ahmed", "Hamid")],
)
def test_close_but_different_names_stay_apart(one: str, other: str) -> None:
    assert name_group(one) is not None and name_group(other) is not None
    assert name_group(one) != name_group(other)


def test_names_the_dictionary_does_not_know_stay_as_written() -> None:
    assert name_group("Yassine") is None
    assert canonical_given_name("Yassine") == "yassine"
    # Word by word when the whole name is not listed.
    assert canonical_given_name("Med Amine") == canonical_given_name("Mohammed Amine") == "mohamed amine"
    assert canonical_given_name("محمد أمين") == "mohamed امين"


def test_a_dictionary_that_contradicts_itself_is_refused() -> None:
    with pytest.raises(VariantDictionaryError, match="both"):
        build_lookup({"hassan": {"lat": ["Hassan", "Hassen"]}, "houssine": {"lat": ["Houssine", "Hassen"]}})
    with pytest.raises(VariantDictionaryError, match="no spelling"):
        build_lookup({"empty": {}})
