"""French-style Latin transliterations of Moroccan names, normalised for comparison (not display).

The same person is written "Aït El Haj", "AIT-ELHAJ" or "ait elhaj" depending on the clerk. This
module removes accents, case and punctuation, and writes the particles (article, "son of", titles)
one way each, so that later steps see a single spelling. The rules are listed in ``docs/names.md``.
"""

from __future__ import annotations

import re
import unicodedata

from sijill.linkage.memo import per_spelling

# Letters that NFKD does not decompose into a base letter plus an accent.
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ı": "i", "þ": "th"})

# Every spelling of a particle, mapped to its one canonical spelling. "l" is what remains of "l'"
# once the apostrophe is gone; "o" of "o'" (Amazigh "son of"), "my"/"mly" are clerks' abbreviations.
PARTICLES: dict[str, str] = {
    "el": "el",
    "al": "el",
    "l": "el",
    "ben": "ben",
    "bin": "ben",
    "ibn": "ben",
    "bent": "ben",
    "bint": "ben",
    "ait": "ait",
    "ayt": "ait",
    "aitt": "ait",
    "ou": "ou",
    "o": "ou",
    "ould": "ould",
    "ouled": "ould",
    "oulad": "ould",
    "moulay": "moulay",
    "mulay": "moulay",
    "moulai": "moulay",
    "mly": "moulay",
    "my": "moulay",
    "sidi": "sidi",
    "si": "sidi",
    "lalla": "lalla",
    "lala": "lalla",
    # Abbreviations of Mohamed that registers really hold ("Med Amine").
    "med": "mohamed",
    "mohd": "mohamed",
}

LATIN_TITLES = frozenset({"moulay", "sidi", "lalla"})
ARTICLE = "el"

# An assimilated article written apart: "En-Naciri", "Es Saadi", "Ech-Chaoui". The article takes
# the sound of the next (sun) consonant, so it is recognised only when the next word starts with it.
_ASSIMILATED = {"et": "t", "ed": "d", "er": "r", "ez": "z", "es": "s", "en": "n", "ech": "ch", "esh": "sh", "ell": "l"}

# The same article glued to the name: "Ennaciri", "Echcharkaoui", "Ettazi". The rest of the word
# must keep four letters or more, so that short names such as "Essam" (عصام) stay whole.
_GLUED_ASSIMILATED = re.compile(r"^e(?:(tt|dd|rr|zz|ss|nn|ll)|(chch|shsh))(?=[a-z]{3})")

# Words that start like a glued article but are names in their own right.
GLUED_EXCEPTIONS = frozenset(
    {
        "elias",
        "elyas",
        "elyass",
        "elham",
        "elhame",
        "elie",
        "elia",
        "eliane",
        "elise",
        "elisa",
        "elisabeth",
        "elizabeth",
        "elodie",
        "elena",
        "eloise",
        "elsa",
        "ella",
        "elvire",
        "ezzeddine",
        "ezzedine",
        "ezzedin",
        "ezzeddin",
    }
)

# "l" glued to a consonant ("Lmiloud", "Lhoussaine") can only be the article: Arabic-origin words
# never start with two consonants, and "Lahcen" (لحسن, a vowel after l) is left alone.
_GLUED_L = re.compile(r"^l(?=[bcdfghjkmnpqrstvxz][a-z]{2})")


def _fold_case_and_accents(text: str) -> str:
    """Lower case without accents; repeated because case folding can expose new decompositions."""
    for _ in range(3):
        before = text
        decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        if text == before:
            break
    return text


def _split_glued(word: str) -> list[str]:
    """Separate a glued article from the name: "elidrissi" -> ["el", "idrissi"]."""
    if word in GLUED_EXCEPTIONS:
        return [word]
    # After the article an Arabic name does not start with "e"; French names do (Eléonore, Elena).
    if word.startswith("el") and len(word) >= 5 and word[2] != "e":
        return ["el", *_split_glued(word[2:])]
    match = _GLUED_ASSIMILATED.match(word)
    if match:
        doubled = match.group(1) or match.group(2)
        rest = word[1 + len(doubled) // 2 :]
        return ["el", *_split_glued(rest)]
    if _GLUED_L.match(word):
        return ["el", *_split_glued(word[1:])]
    return [word]


def _canonical_words(words: list[str]) -> list[str]:
    """Canonical particle spellings, with separate assimilated articles written "el"."""
    out: list[str] = []
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        sound = _ASSIMILATED.get(word)
        if sound and following.startswith(sound):
            out.append(ARTICLE)
        else:
            out.append(PARTICLES.get(word, word))
    return out


@per_spelling
def normalize_latin(text: str) -> str:
    """Fold a Latin-script name to one comparable spelling.

    Accents removed, lower case, hyphens, apostrophes, dots and other punctuation turned into
    spaces, spaces collapsed; particles written one way (el, ben, ait, ou, ould, moulay, sidi,
    lalla) and assimilated or glued articles separated ("Ennaciri" -> "el naciri").

    >>> normalize_latin("Aït-Ben Haddou")
    'ait ben haddou'
    >>> normalize_latin("En-Naciri")
    'el naciri'
    """
    folded = _fold_case_and_accents(text)
    spaced = "".join(ch if ch.isalnum() else " " for ch in folded)
    words: list[str] = []
    for word in spaced.split():
        words.extend(_split_glued(word))
    # Twice: a canonical spelling can create the context of another rule ("l" -> "el").
    return " ".join(_canonical_words(_canonical_words(words)))


def strip_latin_titles(text: str) -> str:
    """Remove the honorifics moulay, sidi and lalla from a normalised Latin name."""
    return " ".join(word for word in text.split() if word not in LATIN_TITLES)


def strip_latin_article(text: str) -> str:
    """Remove the article (written "el" once normalised, whatever its original form)."""
    return " ".join(word for word in text.split() if word != ARTICLE)
