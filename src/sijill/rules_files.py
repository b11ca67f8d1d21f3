"""Rule files (`rules/*.yaml`): YAML read with the line of every value, and errors that name it.

A policy officer edits these files by hand; when one is wrong, the message must point at the line
to fix, in Arabic and French, before anything uses the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from sijill.config import get_settings
from sijill.errors import SijillError, Text

# A value's place in a document: keys and list positions from the root.
Where = tuple[str | int, ...]


class RuleFileError(SijillError):
    def __init__(self, path: Path | str, line: int | None, problem: Text) -> None:
        at = f"{path}:{line}" if line is not None else str(path)
        super().__init__(
            code="rule_file_invalid",
            message=Text(
                ar=f"ملف القواعد {at} غير صالح: {problem.ar}",
                fr=f"Fichier de règles {at} invalide : {problem.fr}",
                en=f"rule file {at} is invalid: {problem.en}",
            ),
            fix=Text(
                ar="صححوا السطر المذكور ثم أعيدوا التحميل",
                fr="Corrigez la ligne indiquée puis rechargez le fichier",
                en="fix the line named and load the file again",
            ),
            field=str(path),
            value=line,
            status=422,
        )


@dataclass(frozen=True)
class RuleDocument:
    """A parsed rule file: plain Python data and the line (1-based) of each value in it."""

    path: Path
    data: Any
    lines: dict[Where, int]

    def line(self, where: Where) -> int | None:
        """Line of the value at `where`, or of its closest ancestor that has one."""
        while where:
            if where in self.lines:
                return self.lines[where]
            where = where[:-1]
        return self.lines.get(())

    def error(self, where: Where, problem: Text) -> RuleFileError:
        return RuleFileError(self.path, self.line(where), problem)

    def mapping(self, where: Where) -> dict[str, Any]:
        value = self.at(where)
        if not isinstance(value, dict):
            raise self.error(where, _expected(where, "a mapping (key: value)", "جدولا (مفتاح: قيمة)", "un tableau"))
        return value

    def sequence(self, where: Where) -> list[Any]:
        value = self.at(where)
        if not isinstance(value, list):
            raise self.error(where, _expected(where, "a list", "قائمة", "une liste"))
        return value

    def at(self, where: Where) -> Any:
        value = self.data
        for step in where:
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                raise self.error(where[:-1], _missing(where)) from None
        return value

    def get(self, where: Where, default: Any = None) -> Any:
        try:
            return self.at(where)
        except RuleFileError:
            return default

    def string(self, where: Where) -> str:
        value = self.at(where)
        if not isinstance(value, str) or not value.strip():
            raise self.error(where, _expected(where, "a non-empty text", "نصا غير فارغ", "un texte non vide"))
        return value

    def number(self, where: Where) -> float:
        value = self.at(where)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(where, _expected(where, "a number", "عددا", "un nombre"))
        return float(value)

    def day(self, where: Where) -> date:
        value = self.at(where)
        if not isinstance(value, date):
            raise self.error(where, _expected(where, "a date YYYY-MM-DD", "تاريخا YYYY-MM-DD", "une date AAAA-MM-JJ"))
        return value

    def identifiers(self, *keys: str) -> None:
        """Ids and versions end up in batch SQL and file names: plain characters only."""
        for key in keys:
            if not re.fullmatch(r"[A-Za-z0-9._-]{1,40}", str(self.at((key,)))):
                raise self.error(
                    (key,),
                    Text(
                        ar=f"«{key}»: حروف وأرقام ونقط وشرطات فقط",
                        fr=f"« {key} » : lettres, chiffres, points et tirets seulement",
                        en=f"{key} may hold only letters, digits, dots, dashes, underscores",
                    ),
                )

    def validity(self, start: date | None = None) -> tuple[date, date | None]:
        """effective_from (or ``start`` when the file has none to give) and the optional
        effective_to, which must come after it."""
        begins = start if start is not None else self.day(("effective_from",))
        ends = self.day(("effective_to",)) if self.get(("effective_to",)) is not None else None
        if ends is not None and ends <= begins:
            raise self.error(
                ("effective_to",),
                Text(
                    ar="تاريخ النهاية قبل تاريخ البداية",
                    fr="la date de fin précède la date de début",
                    en="effective_to must be after effective_from",
                ),
            )
        return begins, ends

    def only_keys(self, where: Where, allowed: set[str]) -> None:
        """Refuse unknown keys: a misspelt key would otherwise be silently ignored."""
        for key in self.mapping(where):
            if key not in allowed:
                names = ", ".join(sorted(allowed))
                raise self.error(
                    (*where, key),
                    Text(
                        ar=f"مفتاح غير معروف «{key}»؛ المفاتيح المقبولة: {names}",
                        fr=f"clé inconnue « {key} » ; clés admises : {names}",
                        en=f"unknown key {key!r}; allowed keys: {names}",
                    ),
                )


def _label(where: Where) -> str:
    return ".".join(str(step) for step in where) or "(document)"


def _expected(where: Where, en: str, ar: str, fr: str) -> Text:
    name = _label(where)
    return Text(ar=f"«{name}» يجب أن يكون {ar}", fr=f"« {name} » doit être {fr}", en=f"{name} must be {en}")


def _missing(where: Where) -> Text:
    name = _label(where)
    return Text(ar=f"«{name}» ناقص", fr=f"« {name} » manque", en=f"{name} is missing")


def _walk(node: yaml.Node, where: Where, lines: dict[Where, int]) -> None:
    lines[where] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*where, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*where, key), lines)
            # The key's own line is the one a reader looks for, even when the value starts below.
            lines[(*where, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*where, index), lines)


def parse_rule_text(text: str, path: Path | str) -> RuleDocument:
    location = Path(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise RuleFileError(
            location, line, Text("ليس ملف YAML صالحا", "ce n'est pas du YAML valide", f"not valid YAML: {exc}")
        ) from None
    lines: dict[Where, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return RuleDocument(path=location, data=data, lines=lines)


def read_rule_file(path: Path) -> RuleDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(
            path, None, Text("تعذرت قراءة الملف", "lecture du fichier impossible", f"cannot read: {exc}")
        ) from None
    return parse_rule_text(text, path)


def rules_dir() -> Path:
    """Where the rule files are: SIJILL_RULES_DIR, or the checkout's `rules/` folder."""
    configured = get_settings().rules_dir
    return configured if configured is not None else Path(__file__).resolve().parents[2] / "rules"


def rule_files(folder: str) -> Iterator[Path]:
    yield from sorted((rules_dir() / folder).glob("*.yaml"))
