"""Validation of one person record (the request path): plain Python, no DataFrame overhead.

The rules, and the conventions both forms follow, are in ``validation_rules``; the batch form is
``validation_batch``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import phonenumbers

from sijill.errors import Text
from sijill.population.nationalities import nationalities
from sijill.population.validation_rules import (
    ASCII_ALNUM,
    CIN_PATTERN,
    CIN_SEPARATORS,
    CODE_MAX,
    CODE_PATTERN,
    CONTROL,
    DATE_PATTERN,
    DATED_PRECISIONS,
    FIELD_ORDER,
    FIELDS,
    ISO_ALPHA3,
    MA_COUNTRY_CODE,
    MA_NUMBER,
    MIN_DATE,
    MIN_YEAR,
    NAME_FIELDS,
    NAME_GROUPS,
    NAME_MAX,
    PHONE_CHARS,
    PHONE_REGION,
    PHONE_SEPARATORS,
    PRECISIONS,
    REQUIRED,
    RULES,
    SCRIPTS,
    SEXES,
    TRIM_CHARS,
    YEAR_PATTERN,
    rule_texts,
)

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
