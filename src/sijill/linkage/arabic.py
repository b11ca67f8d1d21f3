"""Arabic-script name normalisation for comparison (not for display).

Civil-status clerks, agents and citizens write the same Arabic name with or without vowel marks,
with different hamza seats, with ة or ه, ى or ي, and with Persian keyboard letters. Comparing names
needs one spelling per name; this module produces it. The rules are listed in ``docs/names.md``.
"""

from __future__ import annotations

import re
import unicodedata

from sijill.linkage.memo import per_spelling

# Marks that only carry vocalisation or recitation hints: harakat and tanwin (U+064B-U+065F, which
# also holds the hamza/madda marks that NFKC has already composed into أ إ آ ؤ ئ), superscript alef
# (U+0670), Quranic annotation signs (U+0610-U+061A, U+06D6-U+06ED), tatweel (U+0640, a pure
# stretching glyph), and invisible joiners and direction marks that copy-paste leaves behind.
_MARKS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
    "\u0640\u200b-\u200f\u061c\u2066-\u2069\ufeff]"
)

# Letters that writers use interchangeably in names. The lone hamza ء is dropped: it is often left
# out at the end of names (زكرياء / زكريا, أسماء / أسما), so keeping it would split one name in two.
_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ئ": "ي",
        "ء": None,
        "ة": "ه",
        "ى": "ي",
        "ک": "ك",
        "ی": "ي",
        "ے": "ي",
        "ھ": "ه",
        "ہ": "ه",
        "ۀ": "ه",
        "ۃ": "ه",
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
    }
)

# Honorifics as they read once normalised (لالة becomes لاله).
ARABIC_TITLES = frozenset({"مولاي", "سيدي", "للا", "لاله", "لالا"})

# Words where a leading ال belongs to the name itself, not to the article. Only the forms written
# without hamza need listing: إلياس and إلهام start with إ, which is never the article.
ARTICLE_EXCEPTIONS = frozenset({"الياس", "الهام", "اليسع", "الفت", "الفة", "الفه"})


ARABIC_LETTERS = re.compile(r"[\u0621-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff]+")


def written_in_arabic(text: str) -> bool:
    """Whether the name has an Arabic letter, presentation forms (ﻣﺤﻤﺪ) included."""
    return ARABIC_LETTERS.search(unicodedata.normalize("NFKC", text)) is not None


def strip_marks(text: str) -> str:
    """NFKC (presentation forms to base letters), then drop vowel marks, tatweel and invisibles."""
    return _MARKS.sub("", unicodedata.normalize("NFKC", text))


@per_spelling
def normalize_arabic(text: str) -> str:
    """Fold an Arabic-script name to one comparable spelling.

    NFKC, diacritics and tatweel removed, alef forms folded to ا, ؤ→و, ئ→ي, lone ء dropped, ة→ه,
    ى→ي, Persian ک→ك and ی→ي, Arabic-Indic digits to ASCII, whitespace collapsed. The Maghrebi
    letters ڭ ڤ ڨ are kept: they are letters of their own (only :func:`name_key` merges them).

    >>> normalize_arabic("فَاطِمَة  الزَّهْرَاء")
    'فاطمه الزهرا'
    """
    folded = strip_marks(text).translate(_FOLD)
    # A second NFKC pass: removing a mark can leave a Latin base letter next to its accent.
    return " ".join(unicodedata.normalize("NFKC", folded).split())


def has_article(word: str) -> bool:
    """True when a normalised word starts with the article ال (and is more than the article)."""
    return len(word) > 3 and word.startswith("ال") and word not in ARTICLE_EXCEPTIONS


def strip_arabic_titles(text: str) -> str:
    """Remove the honorifics مولاي, سيدي and للا from a normalised Arabic name."""
    return " ".join(word for word in text.split() if word not in ARABIC_TITLES)


def strip_arabic_article(text: str) -> str:
    """Remove the article ال at the start of each word of a normalised Arabic name.

    Only a word-initial ال followed by at least two letters is the article; the few given names
    whose ال is part of the name (الياس, الهام) are kept whole. The glued form عبدالقادر loses its
    article too (عبدقادر is not produced: it becomes عبد قادر).
    """
    words: list[str] = []
    for word in split_abd(text).split():
        words.append(word[2:] if has_article(word) else word)
    return " ".join(words)


def split_abd(text: str) -> str:
    """Separate the glued compounds عبدالله, عبدالقادر into عبد + ال... so both spellings agree."""
    return re.sub(r"(?:^|(?<=\s))عبد(?=ال\S\S)", "عبد ", text)
