"""Validation rules of a person record, as data: fields, patterns, bounds, allowed values, messages.

They are applied by two small interpreters: plain Python for one record (``validation.check_person``,
no DataFrame overhead on the request path) and polars expressions for a frame
(``validation_batch.check_people``, no Python loop per row).
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

from datetime import date

from sijill.errors import Text

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
