"""Validation rules of a person record, for one record (online) and for millions (batch).

The rules are written once as data (patterns, bounds, allowed values, messages) and applied by
two small interpreters: plain Python for one record (``check_person``, no DataFrame overhead on
the request path) and polars expressions for a frame (``check_people``, no Python loop per row).
A property test checks that both give the same problems and the same normalised values.

Conventions shared by both paths, so that they agree exactly:

* every value is first turned into text (dates as ISO, numbers as digits) and trimmed of
  ``TRIM_CHARS``; empty text means "absent";
* a value containing a control character is reported once (``control_character``) and its other
  rules are skipped: the content is not what the agent meant to type;
* regular expressions avoid ``\\d``, ``\\w`` and case folding, whose meaning differs between
  Python's ``re`` and the Rust engine behind polars; Python uses ``fullmatch`` and polars ``^...$``;
* a value that cannot be normalised keeps its trimmed text (text fields) or becomes null
  (``birth_year``, ``birth_date``); a record with problems must not be written anyway.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import phonenumbers
import polars as pl

from sijill.errors import Text
from sijill.population.nationalities import nationalities

NAME_FIELDS: dict[str, str] = {
    "given_name_ar": "arabic",
    "family_name_ar": "arabic",
    "given_name_lat": "latin",
    "family_name_lat": "latin",
    "father_given_name_ar": "arabic",
    "father_given_name_lat": "latin",
    "mother_given_name_ar": "arabic",
    "mother_given_name_lat": "latin",
}
FIELDS: tuple[str, ...] = (
    *NAME_FIELDS, "sex", "birth_year", "birth_date", "birth_date_precision", "birth_place_code",
    "nationality", "cin", "phone", "annex_code",
)  # fmt: skip
NAME_GROUPS = ("given_name", "family_name")  # at least one script of each
REQUIRED = ("sex", "birth_year", "birth_date_precision", "nationality", "annex_code")
# Order of problems in both outputs: by field, then by rule.
FIELD_ORDER: tuple[str, ...] = (*NAME_GROUPS, *FIELDS)
RULES: tuple[str, ...] = (
    "control_character", "required", "given_name_required", "family_name_required", "name_too_long",
    "name_not_arabic", "name_not_latin", "sex_invalid", "birth_year_invalid", "birth_year_range",
    "birth_date_invalid", "birth_date_range", "birth_precision_invalid", "birth_date_required",
    "birth_date_unexpected", "birth_date_year_mismatch", "cin_format", "phone_invalid",
    "nationality_unknown", "code_format", "annex_unknown",
)  # fmt: skip

# Tabs and line breaks at the edges are copy-paste residue, not content; inside a value they are
# control characters and reported.
TRIM_CHARS = " \t\r\n\u00a0"
CONTROL = r"[\x00-\x1f\x7f-\x9f]"  # Unicode category Cc
NAME_MAX = 60
MIN_YEAR = 1900
MIN_DATE = date(MIN_YEAR, 1, 1)
SEXES = ("M", "F")
PRECISIONS = ("day", "year", "presumed")
DATED_PRECISIONS = ("day", "presumed")  # a full birth date is known (or presumed)
CODE_MAX = 32  # the column width of person.birth_place_code / annex_code

# Arabic letters, including the Maghrebi ڭ ڤ ڨ and the extended block, but not the Arabic-Indic
# digits (U+0660-0669, U+06F0-06F9) nor Arabic punctuation. Vowel marks, shadda and tatweel are
# accepted: agents type them, and the matching keys strip them.
ARABIC_LETTERS = r"\u0620-\u063f\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc"
ARABIC_MARKS = r"\u0640\u064b-\u065f\u0670"
# Latin letters with accents (Latin-1, Extended-A/B, Extended Additional for ḥ, ṣ ...) and
# combining accents, so that decomposed input (e + U+0301) is accepted as typed.
LATIN_LETTERS = r"A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
LATIN_MARKS = r"\u0300-\u036f"
SCRIPTS: dict[str, tuple[str, str]] = {  # script: (allowed characters, letters)
    "arabic": (rf"[{ARABIC_LETTERS}{ARABIC_MARKS} \-]+", rf"[{ARABIC_LETTERS}]"),
    "latin": (rf"[{LATIN_LETTERS}{LATIN_MARKS} \-'\u2019]+", rf"[{LATIN_LETTERS}]"),
}
CIN_PATTERN = r"[A-Z]{1,2}[0-9]{1,6}"
CIN_SEPARATORS = r"[ \u00a0\-]"  # "AB 123456", "AB-123456"
ASCII_ALNUM = r"[A-Za-z0-9]+"
ISO_ALPHA3 = r"[A-Za-z]{3}"
# Same shape as territory codes (territory.importer.CODE_PATTERN): dot-separated segments.
CODE_PATTERN = r"[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*"
# Nine digits at most: both int() and a polars Int64 cast give the same number.
YEAR_PATTERN = r"[0-9]{1,9}"
# Strict ISO; the first digit excludes year 0, which polars accepts and Python's date does not.
DATE_PATTERN = r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}"
# What a phone field may hold before phonenumbers sees it: digits (ASCII and Arabic-Indic, which
# Arabic keyboards produce) and the usual separators. Letters are refused, although phonenumbers
# would read them as keypad digits ("06FLOWERS"): in a register they are typing errors.
PHONE_CHARS = r"[0-9\u0660-\u0669\u06f0-\u06f9+\-. ()/]+"
PHONE_REGION = "MA"
MA_COUNTRY_CODE = 212
# A Moroccan number written with ASCII digits: international, 00 or national prefix, then the
# nine national digits (never starting with 0, so no trunk prefix hides in them).
MA_NUMBER = r"(?:\+212|00212|0)([1-9][0-9]{8})"
PHONE_SEPARATORS = r"[ \-.]"


def _anchored(pattern: str) -> str:
    """The polars form of ``re.fullmatch``: Rust's ``$`` is the end of the text (no newline quirk)."""
    return f"^(?:{pattern})$"


_CONTROL_RE = re.compile(CONTROL)
_SCRIPT_RE = {name: (re.compile(allowed), re.compile(letters)) for name, (allowed, letters) in SCRIPTS.items()}
_CIN_RE = re.compile(CIN_PATTERN)
_CIN_SEPARATORS_RE = re.compile(CIN_SEPARATORS)
_ASCII_ALNUM_RE = re.compile(ASCII_ALNUM)
_ISO_ALPHA3_RE = re.compile(ISO_ALPHA3)
_CODE_RE = re.compile(CODE_PATTERN)
_YEAR_RE = re.compile(YEAR_PATTERN)
_DATE_RE = re.compile(DATE_PATTERN)
_PHONE_CHARS_RE = re.compile(PHONE_CHARS)
_MA_NUMBER_RE = re.compile(MA_NUMBER)
_PHONE_SEPARATORS_RE = re.compile(PHONE_SEPARATORS)


# --------------------------------------------------------------------------------------------
# Messages


def rule_texts(today: date) -> dict[str, tuple[Text, Text]]:
    """``rule code -> (message, fix)`` of every rule; the bounds that move with time are written out."""
    year = today.year
    day = today.isoformat()
    return {
        "control_character": (
            Text("القيمة تحتوي على رموز تحكم غير مرئية", "la valeur contient des caractères de contrôle invisibles",
                 "the value contains invisible control characters"),
            Text("أعيدوا كتابة القيمة يدويا بدل نسخها من برنامج آخر",
                 "retapez la valeur au lieu de la copier depuis un autre logiciel",
                 "retype the value instead of pasting it from another program"),
        ),
        "required": (
            Text("هذا الحقل إلزامي", "ce champ est obligatoire", "this field is required"),
            Text("املؤوا هذا الحقل", "remplissez ce champ", "fill in this field"),
        ),
        "given_name_required": (
            Text("الاسم الشخصي غير موجود لا بالعربية ولا بالحروف اللاتينية",
                 "le prénom manque en arabe comme en lettres latines",
                 "the given name is missing in both Arabic and Latin script"),
            Text("اكتبوا الاسم الشخصي بالعربية أو بالحروف اللاتينية أو بهما معا",
                 "saisissez le prénom en arabe, en lettres latines ou les deux",
                 "enter the given name in Arabic script, Latin script or both"),
        ),
        "family_name_required": (
            Text("الاسم العائلي غير موجود لا بالعربية ولا بالحروف اللاتينية",
                 "le nom de famille manque en arabe comme en lettres latines",
                 "the family name is missing in both Arabic and Latin script"),
            Text("اكتبوا الاسم العائلي بالعربية أو بالحروف اللاتينية أو بهما معا",
                 "saisissez le nom de famille en arabe, en lettres latines ou les deux",
                 "enter the family name in Arabic script, Latin script or both"),
        ),
        "name_too_long": (
            Text(f"الاسم أطول من {NAME_MAX} حرفا", f"le nom dépasse {NAME_MAX} caractères",
                 f"the name is longer than {NAME_MAX} characters"),
            Text("اختصروا الاسم واكتبوا أسماء الأب والأم في حقولها الخاصة",
                 "raccourcissez le nom ; les noms du père et de la mère ont leurs propres champs",
                 "shorten the name; the father's and mother's names have their own fields"),
        ),
        "name_not_arabic": (
            Text("الاسم بالعربية يقبل الحروف العربية والمسافة والشرطة فقط",
                 "le nom en arabe n'admet que des lettres arabes, des espaces et des traits d'union",
                 "an Arabic-script name may contain only Arabic letters, spaces and hyphens"),
            Text("احذفوا الحروف اللاتينية والأرقام والرموز؛ التهجئة اللاتينية مكانها في الحقل _lat",
                 "retirez lettres latines, chiffres et symboles ; la graphie latine va dans le champ _lat",
                 "remove Latin letters, digits and symbols; the Latin spelling goes in the _lat field"),
        ),
        "name_not_latin": (
            Text("الاسم بالحروف اللاتينية يقبل الحروف اللاتينية (مع النبرات) والمسافة والشرطة والفاصلة العليا فقط",
                 "le nom en lettres latines n'admet que des lettres latines (accents permis), des espaces, "
                 "des traits d'union et des apostrophes",
                 "a Latin-script name may contain only Latin letters (accents allowed), spaces, hyphens "
                 "and apostrophes"),
            Text("احذفوا الأرقام والرموز؛ التهجئة العربية مكانها في الحقل _ar",
                 "retirez chiffres et symboles ; la graphie arabe va dans le champ _ar",
                 "remove digits and symbols; the Arabic spelling goes in the _ar field"),
        ),
        "sex_invalid": (
            Text("الجنس يجب أن يكون M أو F", "le sexe doit être M ou F", "sex must be M or F"),
            Text("اكتبوا M للذكر أو F للأنثى", "saisissez M (masculin) ou F (féminin)",
                 "enter M (male) or F (female)"),
        ),
        "birth_year_invalid": (
            Text("سنة الازدياد يجب أن تكون عددا صحيحا", "l'année de naissance doit être un nombre entier",
                 "the birth year must be a whole number"),
            Text("اكتبوا السنة بأربعة أرقام، مثلا 1985", "saisissez l'année sur quatre chiffres, par exemple 1985",
                 "enter the year as four digits, for example 1985"),
        ),
        "birth_year_range": (
            Text(f"سنة الازدياد يجب أن تكون بين {MIN_YEAR} و{year}",
                 f"l'année de naissance doit être comprise entre {MIN_YEAR} et {year}",
                 f"the birth year must be between {MIN_YEAR} and {year}"),
            Text("تحققوا من السنة في وثيقة الهوية", "vérifiez l'année sur la pièce d'identité",
                 "check the year on the identity document"),
        ),
        "birth_date_invalid": (
            Text("تاريخ الازدياد غير صالح", "date de naissance invalide", "invalid birth date"),
            Text("استعملوا الصيغة YYYY-MM-DD بتاريخ موجود في التقويم",
                 "utilisez le format AAAA-MM-JJ avec une date qui existe au calendrier",
                 "use the YYYY-MM-DD format with a date that exists in the calendar"),
        ),
        "birth_date_range": (
            Text(f"تاريخ الازدياد يجب أن يكون بين {MIN_DATE.isoformat()} و{day}",
                 f"la date de naissance doit être comprise entre le {MIN_DATE.isoformat()} et le {day}",
                 f"the birth date must be between {MIN_DATE.isoformat()} and {day}"),
            Text("تحققوا من التاريخ في وثيقة الهوية؛ لا يقبل تاريخ في المستقبل",
                 "vérifiez la date sur la pièce d'identité ; une date future n'est pas admise",
                 "check the date on the identity document; a future date is not accepted"),
        ),
        "birth_precision_invalid": (
            Text("دقة تاريخ الازدياد يجب أن تكون day أو year أو presumed",
                 "la précision de la date doit être day, year ou presumed",
                 "the birth date precision must be day, year or presumed"),
            Text("اختاروا day إذا كان التاريخ معروفا، وyear إذا عرفت السنة وحدها، وpresumed إذا كان التاريخ مفترضا",
                 "choisissez day si la date est connue, year si seule l'année l'est, presumed si la date est présumée",
                 "choose day if the date is known, year if only the year is, presumed if the date is presumed"),
        ),
        "birth_date_required": (
            Text("دقة day أو presumed تتطلب تاريخ ازدياد كاملا",
                 "la précision day ou presumed exige une date de naissance complète",
                 "precision day or presumed requires a full birth date"),
            Text("أدخلوا تاريخ الازدياد، أو اختاروا الدقة year إذا كانت السنة وحدها معروفة",
                 "saisissez la date de naissance, ou choisissez la précision year si seule l'année est connue",
                 "enter the birth date, or choose precision year if only the year is known"),
        ),
        "birth_date_unexpected": (
            Text("دقة year تعني أن التاريخ الكامل غير معروف",
                 "la précision year signifie que la date complète est inconnue",
                 "precision year means the full date is unknown"),
            Text("أفرغوا حقل تاريخ الازدياد، أو اختاروا الدقة day أو presumed",
                 "videz la date de naissance, ou choisissez la précision day ou presumed",
                 "clear the birth date, or choose precision day or presumed"),
        ),
        "birth_date_year_mismatch": (
            Text("سنة تاريخ الازدياد تختلف عن سنة الازدياد",
                 "l'année de la date de naissance diffère de l'année de naissance",
                 "the year of the birth date differs from the birth year"),
            Text("صححوا أحد الحقلين ليتطابقا", "corrigez l'un des deux champs pour qu'ils concordent",
                 "correct one of the two fields so that they agree"),
        ),
        "cin_format": (
            Text("رقم البطاقة الوطنية يتكون من حرف أو حرفين متبوعين بـ 1 إلى 6 أرقام",
                 "le numéro de CIN est formé d'une ou deux lettres suivies de 1 à 6 chiffres",
                 "a CIN is one or two letters followed by 1 to 6 digits"),
            Text("انقلوا الرقم كما هو على البطاقة، مثلا AB123456",
                 "recopiez le numéro tel qu'il figure sur la carte, par exemple AB123456",
                 "copy the number as printed on the card, for example AB123456"),
        ),
        "phone_invalid": (
            Text("رقم الهاتف غير صالح", "numéro de téléphone invalide", "invalid phone number"),
            Text("اكتبوا رقما مغربيا (مثلا 0612345678) أو رقما دوليا يبدأ بـ +",
                 "saisissez un numéro marocain (par exemple 0612345678) ou international commençant par +",
                 "enter a Moroccan number (for example 0612345678) or an international one starting with +"),
        ),
        "nationality_unknown": (
            Text("رمز الجنسية غير معروف", "code de nationalité inconnu", "unknown nationality code"),
            Text("استعملوا رمز ISO 3166-1 من ثلاثة أحرف، مثلا MAR",
                 "utilisez le code ISO 3166-1 à trois lettres, par exemple MAR",
                 "use the three-letter ISO 3166-1 code, for example MAR"),
        ),
        "code_format": (
            Text(f"الرمز يتكون من أجزاء من الأرقام أو الحروف مفصولة بنقط، في حدود {CODE_MAX} رمزا",
                 f"le code est fait de segments alphanumériques séparés par des points, {CODE_MAX} caractères "
                 "au plus",
                 f"the code is alphanumeric segments separated by dots, at most {CODE_MAX} characters"),
            Text("انقلوا الرمز من لائحة الوحدات الترابية، مثلا 01.02.031.01",
                 "recopiez le code depuis la liste des unités territoriales, par exemple 01.02.031.01",
                 "copy the code from the list of territorial units, for example 01.02.031.01"),
        ),
        "annex_unknown": (
            Text("لا توجد ملحقة إدارية بهذا الرمز في مجالكم الترابي",
                 "aucune annexe administrative de ce code dans votre territoire",
                 "no administrative annex with this code in your territory"),
            Text("اختاروا الملحقة من اللائحة", "choisissez l'annexe dans la liste", "choose the annex from the list"),
        ),
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    value: str
    rule: str
    message: Text
    fix: Text

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": self.value,
            "rule": self.rule,
            "message": self.message.as_dict(),
            "fix": self.fix.as_dict(),
        }


# --------------------------------------------------------------------------------------------
# Normalisers for one value, shared by both paths (phone through the unique values)


def _compact_cin(text: str) -> str:
    compact = _CIN_SEPARATORS_RE.sub("", text)
    # Upper-case only plain ASCII: full Unicode case mapping could turn garbage into letters.
    return compact.upper() if _ASCII_ALNUM_RE.fullmatch(compact) else compact


def normalize_cin(raw: str | None) -> str | None:
    """``" ab 123456 "`` -> ``"AB123456"``; None when empty. The format is checked separately."""
    text = _as_text(raw)
    return None if text is None else _compact_cin(text)


def normalize_phone(raw: str | None) -> str | None:
    """E.164 (``"06 12 34 56 78"`` -> ``"+212612345678"``), or None when empty or not a valid number.

    Never raises: the caller decides whether an unusable number is a problem.
    """
    text = _as_text(raw)
    if text is None or not _PHONE_CHARS_RE.fullmatch(text):
        return None
    moroccan = _MA_NUMBER_RE.fullmatch(_PHONE_SEPARATORS_RE.sub("", text))
    if moroccan:
        # The common shapes (0612345678, +212612345678, 00212 ...): parse() would only rebuild
        # this number (country 212, the nine digits), at twice the cost of validating it directly.
        # A test compares this path with parse() on every three-digit prefix, in every shape.
        digits = moroccan.group(1)
        number = phonenumbers.PhoneNumber(country_code=MA_COUNTRY_CODE, national_number=int(digits))
        return f"+{MA_COUNTRY_CODE}{digits}" if phonenumbers.is_valid_number(number) else None
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _as_text(value: Any) -> str | None:
    """The text form every rule sees; its polars twin is ``_text_expr``."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"  # as polars casts booleans
    elif isinstance(value, datetime):
        text = value.date().isoformat()
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    return text.strip(TRIM_CHARS) or None


def _shown(text: str) -> str:
    """A problem's value, with control characters made visible instead of passed on."""
    return _CONTROL_RE.sub("\ufffd", text)


def _parse_date(text: str | None) -> date | None:
    if text is None or not _DATE_RE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:  # 1985-02-30
        return None


# --------------------------------------------------------------------------------------------
# One record


Found = list[tuple[str, str]]  # (field, rule)


def _name_problems(texts: Mapping[str, str | None], usable: Mapping[str, str]) -> Found:
    found: Found = []
    for group in NAME_GROUPS:
        if texts[f"{group}_ar"] is None and texts[f"{group}_lat"] is None:
            found.append((group, f"{group}_required"))
    for name, script in NAME_FIELDS.items():
        text = usable.get(name)
        if text is None:
            continue
        if len(text) > NAME_MAX:
            found.append((name, "name_too_long"))
        allowed, letters = _SCRIPT_RE[script]
        if not allowed.fullmatch(text) or not letters.search(text):
            found.append((name, f"name_not_{script}"))
    return found


def _birth_problems(texts: Mapping[str, str | None], usable: Mapping[str, str], today: date) -> Found:
    found: Found = []
    year_text = usable.get("birth_year")
    year = int(year_text) if year_text is not None and _YEAR_RE.fullmatch(year_text) else None
    if year_text is not None and year is None:
        found.append(("birth_year", "birth_year_invalid"))
    elif year is not None and not MIN_YEAR <= year <= today.year:
        found.append(("birth_year", "birth_year_range"))
    born = _parse_date(usable.get("birth_date"))
    if usable.get("birth_date") is not None and born is None:
        found.append(("birth_date", "birth_date_invalid"))
    elif born is not None and not MIN_DATE <= born <= today:
        found.append(("birth_date", "birth_date_range"))
    precision = _lower_if_known(usable.get("birth_date_precision"), PRECISIONS)
    if precision is not None and precision not in PRECISIONS:
        found.append(("birth_date_precision", "birth_precision_invalid"))
    if precision in DATED_PRECISIONS and texts["birth_date"] is None:
        found.append(("birth_date", "birth_date_required"))
    if precision == "year" and texts["birth_date"] is not None:
        found.append(("birth_date", "birth_date_unexpected"))
    if precision in DATED_PRECISIONS and born is not None and year is not None and born.year != year:
        found.append(("birth_date", "birth_date_year_mismatch"))
    return found


def _lower_if_known(text: str | None, allowed: Collection[str]) -> str | None:
    return text.lower() if text is not None and text.lower() in allowed else text


def _upper_if_known(text: str | None, allowed: Collection[str]) -> str | None:
    return text.upper() if text is not None and text.upper() in allowed else text


def _normalised(texts: Mapping[str, str | None], usable: Mapping[str, str]) -> dict[str, Any]:
    """Normalise the values free of control characters; the others keep their trimmed text."""
    clean: dict[str, Any] = dict(texts)
    clean["sex"] = _upper_if_known(usable.get("sex"), SEXES) or texts["sex"]
    clean["birth_date_precision"] = (
        _lower_if_known(usable.get("birth_date_precision"), PRECISIONS) or texts["birth_date_precision"]
    )
    nationality = usable.get("nationality")
    if nationality is not None and _ISO_ALPHA3_RE.fullmatch(nationality):
        clean["nationality"] = nationality.upper()
    if usable.get("cin") is not None:
        clean["cin"] = _compact_cin(usable["cin"])
    if usable.get("phone") is not None:
        clean["phone"] = normalize_phone(usable["phone"]) or usable["phone"]
    year_text = usable.get("birth_year")
    clean["birth_year"] = int(year_text) if year_text is not None and _YEAR_RE.fullmatch(year_text) else None
    clean["birth_date"] = _parse_date(usable.get("birth_date"))
    return clean


def _value_problems(
    texts: Mapping[str, str | None],
    usable: Mapping[str, str],
    clean: Mapping[str, Any],
    known_annexes: Collection[str] | None,
) -> Found:
    found: Found = [(name, "required") for name in REQUIRED if texts[name] is None]
    if usable.get("sex") is not None and clean["sex"] not in SEXES:
        found.append(("sex", "sex_invalid"))
    if usable.get("cin") is not None and not _CIN_RE.fullmatch(clean["cin"]):
        found.append(("cin", "cin_format"))
    if usable.get("phone") is not None and normalize_phone(usable["phone"]) is None:
        found.append(("phone", "phone_invalid"))
    if usable.get("nationality") is not None and clean["nationality"] not in nationalities():
        found.append(("nationality", "nationality_unknown"))
    for name in ("birth_place_code", "annex_code"):
        code = usable.get(name)
        if code is not None and not (_CODE_RE.fullmatch(code) and len(code) <= CODE_MAX):
            found.append((name, "code_format"))
        elif name == "annex_code" and code is not None and known_annexes is not None and code not in known_annexes:
            found.append((name, "annex_unknown"))
    return found


def _problem_order(item: tuple[str, str]) -> tuple[int, int]:
    return FIELD_ORDER.index(item[0]), RULES.index(item[1])


def check_person(
    record: Mapping[str, Any], *, today: date, known_annexes: Collection[str] | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """The normalised record and every problem found (empty list: the record may be written).

    ``known_annexes``: the annex codes the caller accepts (existing, within the actor's scope);
    None skips that check. The nationality is not defaulted here: that is the caller's choice.
    """
    texts = {name: _as_text(record.get(name)) for name in FIELDS}
    dirty = {name for name, text in texts.items() if text is not None and _CONTROL_RE.search(text)}
    usable = {name: text for name, text in texts.items() if text is not None and name not in dirty}
    clean = _normalised(texts, usable)
    found: Found = [(name, "control_character") for name in dirty]
    found += _name_problems(texts, usable)
    found += _birth_problems(texts, usable, today)
    found += _value_problems(texts, usable, clean, known_annexes)
    messages = rule_texts(today)
    problems = [
        Problem(field, _shown(texts.get(field) or ""), rule, *messages[rule])
        for field, rule in sorted(found, key=_problem_order)
    ]
    return {**record, **clean}, problems


# --------------------------------------------------------------------------------------------
# A frame: the same rules as polars expressions


def _text_expr(frame: pl.DataFrame, name: str) -> pl.Expr:
    """Twin of ``_as_text``: text form, trimmed, empty as null."""
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.String).alias(name)
    column = pl.col(name)
    if isinstance(frame.schema[name], pl.Datetime):
        column = column.dt.date()
    text = column.cast(pl.String).str.strip_chars(TRIM_CHARS)
    return pl.when(text.str.len_bytes() > 0).then(text).alias(name)


def _matches(column: pl.Expr, pattern: str) -> pl.Expr:
    return column.str.contains(_anchored(pattern))


def _usable(name: str) -> pl.Expr:
    """The trimmed text if free of control characters (the ``usable`` dict of ``check_person``)."""
    return pl.when(~pl.col(name).str.contains(CONTROL)).then(pl.col(name))


def _phone_e164(phones: pl.Series) -> pl.Expr:
    """E.164 of each usable phone, by calling phonenumbers on the distinct values only.

    phonenumbers is pure Python (10 to 25 µs a number) and has no vectorised form; shared numbers
    (a household's phone, repeated imports) are parsed once, then mapped back in one polars step.
    """
    distinct = phones.drop_nulls().unique()
    # Mobile numbers already written +2126/+2127 and nine digits (what exports and our own files
    # hold) are valid or not by their first three national digits alone, in the numbering plan's
    # metadata: decide them by prefix, vectorised, and call phonenumbers only on the other shapes.
    canonical = distinct.filter(distinct.str.contains(r"^\+212[67][0-9]{8}$"))
    validity = _mobile_prefix_validity()
    valid = canonical.filter(canonical.str.slice(4, 3).replace_strict(validity, default=False, return_dtype=pl.Boolean))
    others = distinct.filter(~distinct.is_in(canonical.implode())).to_list()
    uniques = valid.to_list() + others
    e164 = valid.to_list() + [normalize_phone(text) for text in others]
    return pl.col("_phone").replace_strict(uniques, e164, default=None, return_dtype=pl.String)


@cache
def _mobile_prefix_validity() -> dict[str, bool]:
    """Valid three-digit mobile prefixes (600..799), read from phonenumbers' own metadata."""
    return {
        str(prefix): phonenumbers.is_valid_number(
            phonenumbers.PhoneNumber(country_code=MA_COUNTRY_CODE, national_number=prefix * 1_000_000)
        )
        for prefix in range(600, 800)
    }


def _derived(work: pl.DataFrame) -> pl.DataFrame:
    """Usable values and parsed forms, the columns the rules below read."""
    work = work.with_columns(*(_usable(name).alias(f"_ok_{name}") for name in FIELDS))
    cin = pl.col("_ok_cin").str.replace_all(CIN_SEPARATORS, "")
    year_ok = _matches(pl.col("_ok_birth_year"), YEAR_PATTERN)
    date_ok = _matches(pl.col("_ok_birth_date"), DATE_PATTERN)
    work = work.with_columns(
        pl.when(_matches(cin, ASCII_ALNUM)).then(cin.str.to_uppercase()).otherwise(cin).alias("_cin"),
        pl.when(year_ok).then(pl.col("_ok_birth_year").cast(pl.Int64, strict=False)).alias("_year"),
        pl.when(date_ok).then(pl.col("_ok_birth_date").str.to_date("%Y-%m-%d", strict=False)).alias("_date"),
        _upper_or_same("_ok_sex", SEXES).alias("_sex"),
        _lower_or_same("_ok_birth_date_precision", PRECISIONS).alias("_precision"),
        pl.when(_matches(pl.col("_ok_nationality"), ISO_ALPHA3))
        .then(pl.col("_ok_nationality").str.to_uppercase())
        .otherwise(pl.col("_ok_nationality"))
        .alias("_nationality"),
        pl.col("_ok_phone").alias("_phone"),
    )
    return work.with_columns(_phone_e164(work["_phone"]).alias("_e164"))


def _upper_or_same(name: str, allowed: Collection[str]) -> pl.Expr:
    upper = pl.col(name).str.to_uppercase()
    return pl.when(upper.is_in(list(allowed))).then(upper).otherwise(pl.col(name))


def _lower_or_same(name: str, allowed: Collection[str]) -> pl.Expr:
    lower = pl.col(name).str.to_lowercase()
    return pl.when(lower.is_in(list(allowed))).then(lower).otherwise(pl.col(name))


Check = tuple[str, str, pl.Expr]  # (field, rule, true where the row breaks the rule)


def _name_checks() -> list[Check]:
    checks: list[Check] = [
        (group, f"{group}_required", pl.col(f"{group}_ar").is_null() & pl.col(f"{group}_lat").is_null())
        for group in NAME_GROUPS
    ]
    for name, script in NAME_FIELDS.items():
        usable = pl.col(f"_ok_{name}")
        allowed, letters = SCRIPTS[script]
        checks.append((name, "name_too_long", usable.str.len_chars() > NAME_MAX))
        checks.append((name, f"name_not_{script}", ~(_matches(usable, allowed) & usable.str.contains(letters))))
    return checks


def _birth_checks(today: date) -> list[Check]:
    year, born, precision = pl.col("_year"), pl.col("_date"), pl.col("_precision")
    dated = precision.is_in(list(DATED_PRECISIONS))
    return [
        ("birth_year", "birth_year_invalid", pl.col("_ok_birth_year").is_not_null() & year.is_null()),
        ("birth_year", "birth_year_range", (year < MIN_YEAR) | (year > today.year)),
        ("birth_date", "birth_date_invalid", pl.col("_ok_birth_date").is_not_null() & born.is_null()),
        ("birth_date", "birth_date_range", (born < MIN_DATE) | (born > today)),
        ("birth_date_precision", "birth_precision_invalid", ~precision.is_in(list(PRECISIONS))),
        ("birth_date", "birth_date_required", dated & pl.col("birth_date").is_null()),
        ("birth_date", "birth_date_unexpected", (precision == "year") & pl.col("birth_date").is_not_null()),
        ("birth_date", "birth_date_year_mismatch", dated & (born.dt.year() != year)),
    ]


def _value_checks(known_annexes: Collection[str]) -> list[Check]:
    checks: list[Check] = [(name, "required", pl.col(name).is_null()) for name in REQUIRED]
    checks += [
        ("sex", "sex_invalid", ~pl.col("_sex").is_in(list(SEXES))),
        ("cin", "cin_format", ~_matches(pl.col("_cin"), CIN_PATTERN)),
        ("phone", "phone_invalid", pl.col("_phone").is_not_null() & pl.col("_e164").is_null()),
        ("nationality", "nationality_unknown", ~pl.col("_nationality").is_in(list(nationalities()))),
    ]
    for name in ("birth_place_code", "annex_code"):
        code = pl.col(f"_ok_{name}")
        checks.append((name, "code_format", ~(_matches(code, CODE_PATTERN) & (code.str.len_chars() <= CODE_MAX))))
    annex = pl.col("_ok_annex_code")
    well_formed = _matches(annex, CODE_PATTERN) & (annex.str.len_chars() <= CODE_MAX)
    checks.append(("annex_code", "annex_unknown", well_formed & ~annex.is_in(list(known_annexes))))
    return checks


def _problem_rows(work: pl.DataFrame, checks: list[Check], today: date) -> pl.DataFrame:
    """One row per broken rule; a null mask (value absent) means no problem, as in ``check_person``."""
    parts = []
    for field, rule, broken in checks:
        value = (
            pl.lit("")
            if field in NAME_GROUPS or rule == "required"
            else pl.col(field).str.replace_all(CONTROL, "\ufffd").fill_null("")  # absent, as in check_person
        )
        parts.append(
            work.lazy()
            .filter(broken.fill_null(False))
            .select(
                pl.col("_row").alias("row"),
                pl.lit(field).alias("field"),
                value.alias("value"),
                pl.lit(rule).alias("rule"),
                pl.lit(FIELD_ORDER.index(field)).alias("_field_rank"),
                pl.lit(RULES.index(rule)).alias("_rule_rank"),
            )
        )
    return (
        pl.concat(parts)
        .join(_messages_frame(today).lazy(), on="rule", how="left")
        .sort("row", "_field_rank", "_rule_rank")
        .drop("_field_rank", "_rule_rank")
        .collect()
    )


def _messages_frame(today: date) -> pl.DataFrame:
    texts = rule_texts(today)
    columns: dict[str, list[str]] = {"rule": list(texts)}
    for part, pick in (("message", 0), ("fix", 1)):
        for language in ("ar", "fr", "en"):
            columns[f"{part}_{language}"] = [getattr(pair[pick], language) for pair in texts.values()]
    return pl.DataFrame(columns)


def _control_checks() -> list[Check]:
    return [(name, "control_character", pl.col(name).str.contains(CONTROL)) for name in FIELDS]


def _normalised_columns() -> list[pl.Expr]:
    """Twin of ``_normalised``: usable values normalised, the others keep their trimmed text."""

    def keep(name: str, derived: str) -> pl.Expr:
        return pl.coalesce(pl.col(derived), pl.col(name))

    return [
        *(pl.col(name) for name in NAME_FIELDS),
        keep("sex", "_sex").alias("sex"),
        pl.col("_year").alias("birth_year"),
        pl.col("_date").alias("birth_date"),
        keep("birth_date_precision", "_precision").alias("birth_date_precision"),
        pl.col("birth_place_code"),
        keep("nationality", "_nationality").alias("nationality"),
        keep("cin", "_cin").alias("cin"),
        pl.coalesce(pl.col("_e164"), pl.col("phone")).alias("phone"),
        pl.col("annex_code"),
    ]


def check_people(
    frame: pl.DataFrame, *, today: date, known_annexes: Collection[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Batch form of ``check_person``: (normalised frame, problems frame).

    The problems frame has one row per problem: ``row`` (the frame's ``row`` column if it has
    one, else the 0-based position), ``field``, ``value``, ``rule``, ``message_ar/fr/en`` and
    ``fix_ar/fr/en``; it is sorted by row, field and rule like ``check_person``'s list.
    Columns other than the register fields pass through unchanged.
    """
    row = pl.col("row").cast(pl.Int64) if "row" in frame.columns else pl.int_range(pl.len(), dtype=pl.Int64)
    work = _derived(frame.select(row.alias("_row"), *(_text_expr(frame, name) for name in FIELDS)))
    checks = _control_checks() + _name_checks() + _birth_checks(today) + _value_checks(known_annexes)
    problems = _problem_rows(work, checks, today)
    normalised = frame.with_columns(work.select(_normalised_columns()).get_columns())
    return normalised, problems
