"""A script-neutral phonetic skeleton of a name: محمد, Mohamed, Mohammed and Mhamed share one key.

Arabic writes consonants and long vowels; Latin transliterations write every vowel, each clerk a
little differently. The key therefore keeps the consonants, each mapped to a class that merges
the letters transliterators confuse (ت ث ط = t, س ص = s, ق ك ڭ = k ...), drops the vowels, and
keeps one trace of vocalisation that both scripts agree on: a long i (ي) in the last syllable of a
word, or at its end. That trace is what separates حسن Hassan from حسين Houssine. The definite article
is dropped in both scripts, so Alaoui, El Alaoui and العلوي meet. See ``docs/names.md``.
"""

from __future__ import annotations

import re
import unicodedata

from sijill.linkage.arabic import ARABIC_LETTERS, ARTICLE_EXCEPTIONS, strip_marks
from sijill.linkage.latin import ARTICLE, normalize_latin
from sijill.linkage.memo import per_spelling

# Consonant classes. Letters that Moroccan French transliteration renders alike share a class.
_ARABIC_CONSONANTS: dict[str, str] = {
    "ب": "b",
    "پ": "b",
    "ت": "t",
    "ث": "t",
    "ط": "t",
    "ج": "j",
    "ح": "h",
    "ه": "h",
    "خ": "k",
    "د": "d",
    "ذ": "d",
    "ض": "d",
    "ظ": "d",
    "ر": "r",
    "ز": "z",
    "ژ": "z",
    "س": "s",
    "ص": "s",
    "ش": "x",
    "غ": "g",
    "ف": "f",
    "ڤ": "f",
    "ق": "k",
    "ك": "k",
    "ک": "k",
    "ڭ": "k",
    "ڨ": "k",
    "گ": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
}
_ALEFS = "اأإآٱ"
# Letters that stand for a vowel sound in the Latin spelling: alef, alef maqsura, ta marbuta,
# hamza; ع is a consonant but Latin writes it as a vowel ("Aziz"), so the semivowel rules treat a
# و or ي before it as before a vowel.
_VOWEL_LETTERS = frozenset(_ALEFS + "ىةء")
_BEFORE_VOWEL = _VOWEL_LETTERS | {"ع"}
_LATER_VOWELS = _VOWEL_LETTERS | set("ويئ")
# Persian and Urdu keyboard letters that stand for the Arabic ones in names.
_FOLD_KEYBOARD = str.maketrans({"ی": "ي", "ے": "ي", "ک": "ك", "ھ": "ه", "ہ": "ه", "ۀ": "ه", "ۃ": "ة"})

_ARABIC_RUN = re.compile(
    r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]+(?:[^\w\u0600-\u06ff]*[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]+)*"
)
_DIGITS = re.compile(r"\d+")
_ABD = re.compile(r"^abd(?:el|al|ul|oul|ol)(?=[a-z]|$)")


# ---------------------------------------------------------------------------------------------
# Arabic script


def _arabic_semivowel(word: str, i: int) -> str:
    """The key letter for و or ي at position i: the consonant (w, y), the long-i trace, or nothing."""
    ch, last = word[i], len(word) - 1
    following = word[i + 1] if i < last else ""
    after_initial_alef = i == 1 and word[0] in _ALEFS
    if ch == "و":
        consonant = i == 0 or after_initial_alef or following in _BEFORE_VOWEL | {"ي", "ئ"}
        return "w" if consonant else ""
    if i == 0 or i == last or following in _BEFORE_VOWEL:
        return "y"
    if after_initial_alef:
        # إيمان is "Imane" (a long i after the hamza), أيت is "Ait" (a diphthong).
        return "" if word[0] == "إ" else "y"
    # A long i in the last syllable: no vowel letter follows it in the word.
    return "" if any(c in _LATER_VOWELS for c in word[i + 1 :]) else "y"


def _arabic_word_key(word: str) -> str:
    if word == "بنت":  # "daughter of", written "ben" like بن in Latin
        word = "بن"
    # A final ه is the feminine ending written without its dots (فاطمه for فاطمة), or silent as
    # in الله ("Allah"), except in two-letter names such as طه where it is a real consonant.
    if len(word) > 2 and word[-1] == "ه":
        word = word[:-1] + "ة"
    if len(word) > 3 and word.startswith("ال") and word not in ARTICLE_EXCEPTIONS:
        word = word[2:]
    out: list[str] = []
    for i, ch in enumerate(word):
        if ch in _ARABIC_CONSONANTS:
            out.append(_ARABIC_CONSONANTS[ch])
        elif ch == "ة" and i > 0 and word[i - 1] in _ALEFS:
            out.append("t")  # ـاة is read "-at" in names (حياة Hayat, نجاة Najat)
        elif ch == "ؤ":
            out.append("w")
        elif ch == "ئ":
            out.append("y")
        elif ch in "وي":
            out.append(_arabic_semivowel(word, i))
    return "".join(out)


def _arabic_keys(run: str) -> list[str]:
    spaced = re.sub(r"(?:^|(?<=\s))عبد(?=ال\S\S)", "عبد ", run.translate(_FOLD_KEYBOARD))
    return [_arabic_word_key(word) for word in ARABIC_LETTERS.findall(spaced)]


# ---------------------------------------------------------------------------------------------
# Latin script

_DIGRAPHS: dict[str, str] = {
    "ch": "x",
    "sh": "x",
    "kh": "k",
    "gh": "g",
    "th": "t",
    "dh": "d",
    "dj": "j",
    "ph": "f",
    "ck": "k",
}
_SIMPLE: dict[str, str] = {"q": "k", "v": "f", "p": "b", "x": "ks", "w": "w"}
_VOWELS = frozenset("aeiouy")
_SOFTENING = frozenset("eiy")


def _latin_units(word: str) -> list[str]:
    """Split a normalised word into key letters and vowel markers.

    Upper-case markers stand for vowels: "I" a possible long i (or the diphthong ai/ei), "A" any
    other vowel, "E" a short e, which Latin spellings add where Arabic writes nothing ("Zineb").
    """
    units: list[str] = []
    i, n = 0, len(word)
    while i < n:
        ch, pair = word[i], word[i : i + 2]
        after = word[i + 2] if i + 2 < n else ""
        nxt = word[i + 1] if i + 1 < n else ""
        if pair == "ou" or (ch == "u" and nxt in _VOWELS):
            # "ou"/"u" before a vowel is the consonant w (Oualid, Fuad); at the start of a word
            # it is the Amazigh "ou" (أو, son of) which Arabic writes with و too.
            step = 2 if pair == "ou" else 1
            following = word[i + step] if i + step < n else ""
            units.append("w" if i == 0 or following in _VOWELS else "A")
            i += step
        elif pair == "ee":
            units.append("I")
            i += 2
        elif pair in ("ai", "ay", "ei", "ey") and after not in _VOWELS:
            units.append("y" if i == 0 else "I")
            i += 2
        elif ch in "iy":
            units.append("y" if nxt in _VOWELS or (ch == "y" and i == 0) else "I")
            i += 1
        elif ch == "e" and i == n - 1 and i > 0:
            i += 1  # the silent final e of French spelling (Amine, Rachide)
        elif ch == "w" and units and units[-1].isupper() and nxt and nxt not in _VOWELS:
            units.append("A")  # "aw" before a consonant is a diphthong that Arabic writes with a vowel و (Kawtar)
            i += 1
        elif ch in "aeou":
            units.append("E" if ch == "e" else "A")
            i += 1
        else:
            i += _latin_consonant(word, i, units)
    return units


def _latin_consonant(word: str, i: int, units: list[str]) -> int:
    """Append the key letter(s) of the consonant at position i; return how many letters it used."""
    ch, pair, n = word[i], word[i : i + 2], len(word)
    nxt = word[i + 1] if i + 1 < n else ""
    if pair == "rh" and (i == 0 or (units and units[-1].islower())):
        units.append("g")  # "Rhizlane", "Amrhar": rh after a consonant is the French spelling of غ
        return 2
    if pair in _DIGRAPHS:
        units.append(_DIGRAPHS[pair])
        return 2
    if pair in ("gu", "qu") and i + 2 < n and word[i + 2] in _SOFTENING | {"a"}:
        units.append("k")  # the u only hardens the consonant (Regragui, ڭ), or follows q
        return 2
    if ch == "c":
        units.append("s" if nxt in _SOFTENING else "k")
    elif ch == "h" and i == n - 1 and units and units[-1].isupper():
        pass  # a final h after a vowel is silent (Sarah, Hamzah)
    elif ch == "g":
        units.append("k")  # plain g is ڭ (Regragui, Aznag), which the key puts with ك and ق
    elif ch in _SIMPLE:
        units.append(_SIMPLE[ch])
    elif "a" <= ch <= "z":
        units.append(ch)
    return 1


def _latin_word_key(word: str) -> str:
    units = _latin_units(word)
    out: list[str] = []
    for i, unit in enumerate(units):
        if unit == "I" and i > 0 and not any(u in "AI" for u in units[i + 1 :]):
            out.append("y")  # a long i in the last syllable, as Arabic writes it with ي
        elif unit.islower() and not (i > 0 and units[i - 1] == unit):
            # A doubled consonant is one geminated sound, which Arabic writes once (Mohammed).
            out.append(unit)
    return "".join(out)


def _latin_words(run: str) -> list[str]:
    words: list[str] = []
    for word in normalize_latin(run).split():
        if word == ARTICLE:
            continue
        match = _ABD.match(word)
        if match:
            # "Abdelkader" is عبد القادر: the article inside the compound is dropped like any other.
            words.append("abd")
            word = word[match.end() :]
        if word:
            words.append(word)
    return words


def _latin_keys(run: str) -> list[str]:
    return [_latin_word_key(word) for word in _latin_words(run)]


# ---------------------------------------------------------------------------------------------


@per_spelling
def name_key(text: str) -> str:
    """Script-neutral phonetic key of a name, in ASCII lower-case letters only ("" for no letters).

    Arabic and Latin parts of a mixed input are keyed in place; spaces are not part of the key, so
    "Fatima Zahra", "Fatimazahra" and فاطمة الزهراء all give "ftmzhr". Pass the name as entered, not
    the output of ``normalize_arabic``: that folds ى into ي and ئ into ي, which the key keeps apart.
    """
    cleaned = _DIGITS.sub("", strip_marks(text))
    cleaned = "".join(ch for ch in cleaned if unicodedata.category(ch) not in ("Mn", "Me"))
    words: list[str] = []
    position = 0
    for match in _ARABIC_RUN.finditer(cleaned):
        words += _latin_keys(cleaned[position : match.start()])
        words += _arabic_keys(match.group())
        position = match.end()
    words += _latin_keys(cleaned[position:])
    return _join(words)


def _join(words: list[str]) -> str:
    """Concatenate word keys; a consonant shared by the end of a word and the start of the next is
    kept once, because spacing is unreliable ("Ben Naciri" / "Bennaciri")."""
    key = ""
    for word in words:
        key += word[1:] if key and word and key[-1] == word[0] else word
    return key
