from __future__ import annotations

import re
from collections import defaultdict

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sijill.linkage.names import (
    name_key,
    name_key_expr,
    name_keys,
    normalize_arabic,
    normalize_arabic_expr,
    normalize_latin,
    normalize_latin_expr,
    strip_particles,
    strip_titles,
)
from sijill.synth import names_data

GIVEN = names_data.MALE_GIVEN + names_data.FEMALE_GIVEN
FAMILY = names_data.FAMILY
ALL_ENTRIES = GIVEN + FAMILY

# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("مُحَمَّد", "محمد"),  # harakat and shadda
        ("محـــمد", "محمد"),  # tatweel
        ("أحمد", "احمد"),
        ("إبراهيم", "ابراهيم"),
        ("آدم", "ادم"),
        ("ٱلله", "الله"),
        ("فؤاد", "فواد"),
        ("عائشة", "عايشه"),
        ("زكرياء", "زكريا"),  # lone hamza dropped, so زكريا and زكرياء agree
        ("مصطفى", "مصطفي"),
        ("کریم", "كريم"),  # Persian keyboard kaf and yeh
        ("رقم ١٢٣ ۴۵", "رقم 123 45"),
        ("الرڭراڭي", "الرڭراڭي"),  # Maghrebi letters are kept
        ("ڤ ڨ", "ڤ ڨ"),
        ("ﻣﺤﻤﺪ", "محمد"),  # presentation forms
        ("  عبد   الله ", "عبد الله"),
        ("القرآن\u0670\u06d6", "القران"),  # superscript alef and a Quranic mark
    ],
)
def test_normalize_arabic(raw: str, expected: str) -> None:
    assert normalize_arabic(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Aïcha", "aicha"),
        ("Éléonore Ç", "eleonore c"),
        ("Fatima-Zahra", "fatima zahra"),
        ("M'barek", "m barek"),
        ("L'Idrissi", "el idrissi"),
        ("Al Alaoui", "el alaoui"),
        ("Elidrissi", "el idrissi"),
        ("Bin Ali", "ben ali"),
        ("Ibn Khaldoun", "ben khaldoun"),
        ("Bent Ali", "ben ali"),
        ("Aït Baha", "ait baha"),
        ("Ayt Said", "ait said"),
        ("O' Hammou", "ou hammou"),
        ("Ouled Ali", "ould ali"),
        ("Oulad-Ali", "ould ali"),
        ("Mly Ali", "moulay ali"),
        ("My Ahmed", "moulay ahmed"),
        ("Mulay Ali", "moulay ali"),
        ("Si Mohamed", "sidi mohamed"),
        ("Lala Fatma", "lalla fatma"),
        ("Med Amine", "mohamed amine"),
        ("Ennaciri", "el naciri"),
        ("En-Naciri", "el naciri"),
        ("Es-Saadi", "el saadi"),
        ("Ech-Chaoui", "el chaoui"),
        ("Echcharkaoui", "el charkaoui"),
        ("Er-Rami", "el rami"),
        ("Ed-Dahbi", "el dahbi"),
        ("Et-Tazi", "el tazi"),
        ("Ez-Zahra", "el zahra"),
        ("Lmiloud", "el miloud"),
        ("Lhoussaine", "el houssaine"),
        # Names that only look like a glued article stay whole.
        ("Essam", "essam"),
        ("Elias", "elias"),
        ("Elham", "elham"),
        ("Lahcen", "lahcen"),
        ("Alaoui", "alaoui"),
        ("Ouali", "ouali"),
    ],
)
def test_normalize_latin(raw: str, expected: str) -> None:
    assert normalize_latin(raw) == expected


def test_strip_titles_and_particles_in_both_scripts() -> None:
    assert strip_titles(normalize_latin("Moulay Ahmed")) == "ahmed"
    assert strip_titles(normalize_latin("Lalla Fatima")) == "fatima"
    assert strip_titles(normalize_arabic("مولاي علي")) == "علي"
    assert strip_titles(normalize_arabic("لالة خديجة")) == "خديجه"
    assert strip_particles(normalize_latin("Et-Tazi")) == "tazi"
    assert strip_particles(normalize_latin("Ennaciri")) == "naciri"
    assert strip_particles(normalize_latin("L'Idrissi")) == "idrissi"
    assert strip_particles(normalize_latin("Ben Ali")) == "ben ali"
    assert strip_particles(normalize_arabic("الناصري")) == "ناصري"
    assert strip_particles(normalize_arabic("عبدالقادر")) == "عبد قادر"
    # ال that belongs to the name, or that is the whole word, stays.
    assert strip_particles(normalize_arabic("إلياس")) == "الياس"
    assert strip_particles(normalize_arabic("الياس")) == "الياس"
    assert strip_particles(normalize_arabic("لحسن")) == "لحسن"


# --------------------------------------------------------------------------- the key

MEET = [
    ["محمد", "Mohamed", "Mohammed", "Muhammad", "Mhamed", "مُحَمَّد"],
    ["يوسف", "Youssef", "Youcef", "Yusuf"],
    ["خديجة", "خديجه", "Khadija", "Khadidja"],
    ["فاطمة الزهراء", "Fatima Zahra", "Fatimazahra", "Fatima-Zahra", "Fatima Ezzahra"],
    ["عبد القادر", "عبدالقادر", "Abdelkader", "Abdel Kader"],
    ["الناصري", "Ennaciri", "En-Naciri", "Naciri", "El Naciri"],
    ["بن علي", "بنعلي", "Ben Ali", "Benali"],
    ["آيت", "أيت", "Ait", "Aït", "Ayt"],
    ["ولد", "Ould", "Ouled"],
    ["القادري", "El Kadiri", "Lkadiri", "Kadiri", "Qadiri"],
    ["الحسين", "Lhoussaine", "Houssine", "El Houssine"],
    ["لحسن", "Lahcen", "Lahsen"],
    ["عبد الله", "عبدالله", "Abdellah", "Abdallah"],
    ["العلوي", "Alaoui", "El Alaoui", "Elalaoui"],
    ["طه", "Taha"],
    ["حياة", "Hayat"],
    ["الرڭراڭي", "Regragui"],
    ["مولاي أحمد", "Moulay Ahmed", "My Ahmed"],
]


@pytest.mark.parametrize("spellings", MEET, ids=lambda group: group[1])
def test_spellings_of_one_name_meet(spellings: list[str]) -> None:
    keys = {spelling: name_key(spelling) for spelling in spellings}
    assert len(set(keys.values())) == 1, keys


@pytest.mark.parametrize(
    "names",
    [
        ["Hassan", "Lahcen", "Lhoussaine"],
        ["حسن", "لحسن", "الحسين"],
        ["Fatima", "Fatiha"],
        ["Said", "Saad"],  # سعيد / سعد: the long i of Said is kept
        ["Amina", "Amine"],  # أمينة / أمين: the final long i of Amine is kept
        ["Ali", "Ouali", "Alaoui"],
        ["Haddad", "Hadda"],
        ["Mimouna", "Amina"],
    ],
)
def test_different_names_do_not_meet(names: list[str]) -> None:
    keys = [name_key(name) for name in names]
    assert len(set(keys)) == len(keys), dict(zip(names, keys, strict=True))


def test_mixed_scripts_and_empty_input() -> None:
    assert name_key("محمد Amine") == name_key("Mohamed أمين") == name_key("Mohamed Amine")
    assert name_key("") == name_key("  -' ") == name_key("١٢٣") == ""


def test_name_keys_give_tolerant_variants() -> None:
    assert name_keys("Moulay Ahmed") == (name_key("Moulay Ahmed"), name_key("Ahmed"))
    assert name_key("Ahmed") in name_keys("مولاي أحمد")
    assert name_key("Lahcen") in name_keys("Ait Lahcen")
    assert name_keys("Mohamed") == (name_key("Mohamed"),)
    assert name_keys("") == ()


# --------------------------------------------------------------------------- measure on the curated list


def _match_share(entries: tuple[tuple[str, str], ...]) -> tuple[float, list[str]]:
    total, misses = 0, []
    for arabic, latin in entries:
        for variant in latin.split("|"):
            total += 1
            if name_key(variant) != name_key(arabic):
                misses.append(variant)
    return 1 - len(misses) / total, misses


def test_latin_variants_meet_their_arabic_spelling() -> None:
    given, given_misses = _match_share(GIVEN)
    family, family_misses = _match_share(FAMILY)
    # Measured when written: given names 0.926 (390/421), family names 0.976 (370/379).
    assert given >= 0.90, given_misses
    assert family >= 0.95, family_misses


def test_collision_rate_between_distinct_names() -> None:
    by_key: dict[str, set[str]] = defaultdict(set)
    for arabic, _ in ALL_ENTRIES:
        by_key[name_key(arabic)].add(arabic)
    names = {arabic for arabic, _ in ALL_ENTRIES}
    colliding = {name for group in by_key.values() if len(group) > 1 for name in group}
    # Measured when written: 23 of 269 distinct names (8.6%) share their key with another one,
    # all listed in docs/names.md (Jamal/Jamila, Naciri/Ansari, Abdellah/Abdelilah ...).
    assert len(colliding) / len(names) <= 0.10, sorted(colliding)


# --------------------------------------------------------------------------- properties

ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئةىڭڤڨکی"
LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
ACCENTED = "éèêëàâäïîôöûüçÉÈÀÇÏ"
PUNCTUATION = " -'.’"
HARAKAT = [chr(c) for c in range(0x064B, 0x0653)] + ["\u0670"]
ALPHABET = ARABIC_LETTERS + LATIN_LETTERS + ACCENTED + PUNCTUATION + "0123456789٠١٢٣٤٥٦٧٨٩\u0640" + "".join(HARAKAT)

names_text = st.text(alphabet=ALPHABET, max_size=30)
name_words = st.lists(st.text(alphabet=ARABIC_LETTERS + LATIN_LETTERS + ACCENTED, min_size=1, max_size=10), max_size=4)
KEY = re.compile(r"[a-z]*")
ACCENT_OF = {"e": "é", "a": "à", "i": "ï", "o": "ô", "u": "ü", "c": "ç", "E": "É", "A": "Â"}
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@given(names_text)
def test_normalisation_is_idempotent(text: str) -> None:
    assert normalize_arabic(normalize_arabic(text)) == normalize_arabic(text)
    assert normalize_latin(normalize_latin(text)) == normalize_latin(text)


@given(names_text)
def test_keys_are_lower_case_ascii_letters(text: str) -> None:
    assert KEY.fullmatch(name_key(text))
    assert all(KEY.fullmatch(key) and key for key in name_keys(text))


@given(names_text)
def test_key_ignores_case_accents_tatweel_and_diacritics(text: str) -> None:
    key = name_key(text)
    assert name_key(text.upper()) == key
    assert name_key(text.lower()) == key
    assert name_key("".join(ACCENT_OF.get(ch, ch) for ch in text)) == key
    assert name_key("\u0640".join(text)) == key
    assert name_key("\u064e".join(text)) == key
    assert name_key(text.translate(ARABIC_INDIC)) == key


@given(name_words, st.lists(st.sampled_from([" ", "  ", "-", " - ", "\t"]), min_size=5, max_size=5))
def test_key_ignores_extra_spaces_and_hyphens(words: list[str], separators: list[str]) -> None:
    plain = " ".join(words)
    spaced = separators[0] + separators[1].join(words) + separators[2]
    assert name_key(spaced) == name_key(plain)


# --------------------------------------------------------------------------- batch form


def _batch(values: list[str | None]) -> pl.DataFrame:
    frame = pl.DataFrame({"name": values}, schema={"name": pl.String})
    return frame.select(
        key=name_key_expr("name"), latin=normalize_latin_expr("name"), arabic=normalize_arabic_expr(pl.col("name"))
    )


def _assert_batch_equals_scalar(values: list[str | None]) -> None:
    out = _batch(values)
    assert out["key"].to_list() == [None if v is None else name_key(v) for v in values]
    assert out["latin"].to_list() == [None if v is None else normalize_latin(v) for v in values]
    assert out["arabic"].to_list() == [None if v is None else normalize_arabic(v) for v in values]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), names_text), max_size=40))
def test_batch_equals_scalar_on_random_strings(values: list[str | None]) -> None:
    _assert_batch_equals_scalar(values)


def test_batch_equals_scalar_on_the_curated_list() -> None:
    values: list[str | None] = []
    for arabic, latin in ALL_ENTRIES:
        values += [arabic, *latin.split("|")]
    _assert_batch_equals_scalar(values + values[:50] + [None])


def test_batch_works_in_a_lazy_group_and_on_empty_frames() -> None:
    frame = pl.LazyFrame({"name": ["Mohamed", "محمد", "Mhamed", "Fatima"]})
    counts = frame.group_by(name_key_expr("name").alias("key")).len().sort("key").collect()
    assert counts.rows() == [("ftm", 1), ("mhmd", 3)]
    assert _batch([]).height == 0
