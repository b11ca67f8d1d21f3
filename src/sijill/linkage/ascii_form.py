"""One ASCII character per letter: the form names take for edit-distance comparisons.

DuckDB's string distances (and any byte-based comparison) count bytes: an Arabic letter is two
bytes of UTF-8, so one wrong letter counts twice and Jaro-Winkler windows are halved. Mapping the
normalised Arabic spelling letter for letter onto distinct ASCII characters keeps every edit one
edit. Latin spellings are already ASCII once normalised (accents folded, particles written one way).

The Arabic mapping is a transcription, not a transliteration: it is reversible and never shown,
and it keeps apart letters that a reader would merge (ت t, ط T), because merging is the
script-neutral key's job (`name_key`), not the distance's.
"""

from __future__ import annotations

from sijill.linkage.arabic import normalize_arabic, written_in_arabic
from sijill.linkage.latin import normalize_latin
from sijill.linkage.memo import per_spelling

# Normalised Arabic has these letters (alef forms folded to ا, ة to ه, ى to ي, ؤ ئ ء gone).
_ARABIC_TO_ASCII = str.maketrans(
    {
        "ا": "A",
        "ب": "b",
        "ت": "t",
        "ث": "v",
        "ج": "j",
        "ح": "H",
        "خ": "x",
        "د": "d",
        "ذ": "V",
        "ر": "r",
        "ز": "z",
        "س": "s",
        "ش": "c",
        "ص": "S",
        "ض": "D",
        "ط": "T",
        "ظ": "Z",
        "ع": "E",
        "غ": "g",
        "ف": "f",
        "ق": "q",
        "ك": "k",
        "ل": "l",
        "م": "m",
        "ن": "n",
        "ه": "h",
        "و": "w",
        "ي": "y",
        "ڭ": "G",
        "ڤ": "F",
        "ڨ": "Q",
        "پ": "p",
        "ژ": "J",
    }
)


@per_spelling
def ascii_form(text: str) -> str:
    """The name as ASCII, one character per letter, spaces between words.

    >>> ascii_form("فاطمة الزهراء"), ascii_form("Fatima-Zahra")
    ('fATmh AlzhrA', 'fatima zahra')
    """
    if written_in_arabic(text):
        folded = normalize_arabic(text).translate(_ARABIC_TO_ASCII)
        # Anything left outside the table (a letter of another language, a digit) is dropped
        # rather than left as a multi-byte character.
        return " ".join("".join(c for c in word if c.isascii() and c.isalnum()) for word in folded.split())
    return normalize_latin(text)
