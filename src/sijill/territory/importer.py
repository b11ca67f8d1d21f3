"""Validate and apply a list of territorial units (from CSV, Parquet or the reference list).

The whole file is checked first and every problem is reported with its line; nothing is
written unless every line is valid, so a half-imported territory can never exist.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.errors import SijillError, Text
from sijill.territory.models import KINDS, LEVELS, MILIEUX, PARENT_LEVEL, TerritoryUnit, TerritoryUnitVersion

CODE_PATTERN = re.compile(r"^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$")
REQUIRED_COLUMNS = ("level", "code", "parent_code", "kind", "name_fr", "name_ar")
DEFAULT_VALID_FROM = date(2015, 9, 1)  # the 2015 regionalisation


@dataclass(frozen=True, slots=True)
class UnitRow:
    line: int
    level: str
    code: str
    parent_code: str | None
    kind: str
    milieu: str | None
    name_fr: str
    name_ar: str
    valid_from: date
    valid_to: date | None
    official_code: str | None


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    field: str
    value: str
    rule: Text

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "value": self.value, "rule": self.rule.as_dict()}


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _parse_date(raw: Any, line: int, field_name: str, problems: list[RowProblem]) -> date | None:
    if isinstance(raw, date):
        return raw
    text = _text(raw)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(
            RowProblem(
                line,
                field_name,
                text,
                Text(
                    "تاريخ غير صالح، الصيغة المطلوبة YYYY-MM-DD",
                    "date invalide, format attendu AAAA-MM-JJ",
                    "invalid date, expected YYYY-MM-DD",
                ),
            )
        )
        return None


def parse_rows(records: Iterable[Mapping[str, Any]], first_line: int = 2) -> tuple[list[UnitRow], list[RowProblem]]:
    """Check each line on its own: known level and kind, code shape, names, dates."""
    rows: list[UnitRow] = []
    problems: list[RowProblem] = []
    for offset, record in enumerate(records):
        line = first_line + offset
        before = len(problems)
        level = _text(record.get("level"))
        code = _text(record.get("code"))
        kind = _text(record.get("kind"))
        milieu = _text(record.get("milieu")) or None
        if level not in LEVELS:
            problems.append(
                RowProblem(
                    line,
                    "level",
                    level,
                    Text(
                        "المستوى يجب أن يكون region أو province أو commune أو annex",
                        "le niveau doit être region, province, commune ou annex",
                        "level must be region, province, commune or annex",
                    ),
                )
            )
        elif kind not in KINDS[level]:
            allowed = ", ".join(KINDS[level])
            problems.append(
                RowProblem(
                    line,
                    "kind",
                    kind,
                    Text(
                        f"النوع غير معروف لهذا المستوى (المسموح: {allowed})",
                        f"type inconnu pour ce niveau (permis : {allowed})",
                        f"unknown kind for this level (allowed: {allowed})",
                    ),
                )
            )
        if not CODE_PATTERN.match(code):
            problems.append(
                RowProblem(
                    line,
                    "code",
                    code,
                    Text(
                        "الرمز يتكون من أجزاء أرقام أو حروف مفصولة بنقطة",
                        "le code est fait de segments alphanumériques séparés par des points",
                        "code must be alphanumeric segments separated by dots",
                    ),
                )
            )
        if milieu is not None and milieu not in MILIEUX:
            problems.append(
                RowProblem(
                    line,
                    "milieu",
                    milieu,
                    Text(
                        "الوسط يجب أن يكون urban أو rural",
                        "le milieu doit être urban ou rural",
                        "milieu must be urban or rural",
                    ),
                )
            )
        for name_field in ("name_fr", "name_ar"):
            if not _text(record.get(name_field)):
                problems.append(
                    RowProblem(
                        line,
                        name_field,
                        "",
                        Text(
                            "الاسم إلزامي",
                            "le nom est obligatoire",
                            "name is required",
                        ),
                    )
                )
        valid_from = _parse_date(record.get("valid_from"), line, "valid_from", problems) or DEFAULT_VALID_FROM
        valid_to = _parse_date(record.get("valid_to"), line, "valid_to", problems)
        if valid_to is not None and valid_to <= valid_from:
            problems.append(
                RowProblem(
                    line,
                    "valid_to",
                    valid_to.isoformat(),
                    Text(
                        "تاريخ النهاية يجب أن يكون بعد تاريخ البداية",
                        "la date de fin doit suivre la date de début",
                        "valid_to must be after valid_from",
                    ),
                )
            )
        if len(problems) == before:
            rows.append(
                UnitRow(
                    line=line,
                    level=level,
                    code=code,
                    parent_code=_text(record.get("parent_code")) or None,
                    kind=kind,
                    milieu=milieu,
                    name_fr=_text(record.get("name_fr")),
                    name_ar=_text(record.get("name_ar")),
                    valid_from=valid_from,
                    valid_to=valid_to,
                    official_code=_text(record.get("official_code")) or None,
                )
            )
    return rows, problems


def _overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (b_to is None or a_from < b_to) and (a_to is None or b_from < a_to)


def _check_against_registry(session: Session, rows: list[UnitRow]) -> list[RowProblem]:
    """Cross-line and database checks: parents, hierarchy, duplicates, overlapping periods."""
    problems: list[RowProblem] = []
    existing_units = {u.code: u for u in session.execute(select(TerritoryUnit)).scalars()}
    existing_versions: dict[str, list[TerritoryUnitVersion]] = defaultdict(list)
    for version in session.execute(select(TerritoryUnitVersion)).scalars():
        existing_versions[version.code].append(version)

    in_file: dict[str, list[UnitRow]] = defaultdict(list)
    for row in rows:
        in_file[row.code].append(row)
    file_levels = {row.code: row.level for row in rows}

    for row in rows:
        expected_parent_level = PARENT_LEVEL[row.level]
        if expected_parent_level is None:
            if row.parent_code is not None:
                problems.append(
                    RowProblem(
                        row.line,
                        "parent_code",
                        row.parent_code,
                        Text(
                            "الجهة لا تقبل وحدة أم",
                            "une région n'a pas de parent",
                            "a region has no parent",
                        ),
                    )
                )
        else:
            parent_level = file_levels.get(row.parent_code or "") or (
                existing_units[row.parent_code].level if row.parent_code in existing_units else None
            )
            if parent_level is None:
                problems.append(
                    RowProblem(
                        row.line,
                        "parent_code",
                        row.parent_code or "",
                        Text(
                            "الوحدة الأم غير موجودة؛ أضيفوها قبل هذا السطر أو صححوا الرمز",
                            "unité parente inconnue ; importez-la d'abord ou corrigez le code",
                            "unknown parent unit; import it first or fix the code",
                        ),
                    )
                )
            elif parent_level != expected_parent_level:
                problems.append(
                    RowProblem(
                        row.line,
                        "parent_code",
                        row.parent_code or "",
                        Text(
                            f"الوحدة الأم يجب أن تكون من مستوى {expected_parent_level}",
                            f"le parent doit être de niveau {expected_parent_level}",
                            f"parent must be a {expected_parent_level}",
                        ),
                    )
                )
            elif not row.code.startswith(f"{row.parent_code}."):
                problems.append(
                    RowProblem(
                        row.line,
                        "code",
                        row.code,
                        Text(
                            f"رمز الوحدة يجب أن يبدأ برمز الوحدة الأم متبوعا بنقطة ({row.parent_code}.)",
                            f"le code doit commencer par le code du parent suivi d'un point ({row.parent_code}.)",
                            f"code must start with the parent code and a dot ({row.parent_code}.)",
                        ),
                    )
                )
        known = existing_units.get(row.code)
        if known is not None and (known.level != row.level or known.parent_code != row.parent_code):
            problems.append(
                RowProblem(
                    row.line,
                    "code",
                    row.code,
                    Text(
                        "الرمز موجود بمستوى أو وحدة أم مختلفة؛ الرمز لا يتغير، استعملوا رمزا جديدا",
                        "code déjà utilisé avec un autre niveau ou parent ; un code ne change pas, créez-en un nouveau",
                        "code exists with another level or parent; codes are stable, use a new one",
                    ),
                )
            )

    for code, same_code in in_file.items():
        ordered = sorted(same_code, key=lambda r: r.line)
        for i, first in enumerate(ordered):
            for second in ordered[i + 1 :]:
                if first.valid_from == second.valid_from:
                    problems.append(
                        RowProblem(
                            second.line,
                            "code",
                            code,
                            Text(
                                f"رمز مكرر في الملف (السطر {first.line})",
                                f"code en double dans le fichier (ligne {first.line})",
                                f"duplicate code in file (line {first.line})",
                            ),
                        )
                    )
                elif _overlaps(first.valid_from, first.valid_to, second.valid_from, second.valid_to):
                    problems.append(
                        RowProblem(
                            second.line,
                            "valid_from",
                            second.valid_from.isoformat(),
                            Text(
                                f"فترة السريان تتداخل مع السطر {first.line}",
                                f"la période de validité chevauche la ligne {first.line}",
                                f"validity period overlaps line {first.line}",
                            ),
                        )
                    )
        for row in ordered:
            for version in existing_versions.get(code, []):
                same = (
                    version.valid_from == row.valid_from
                    and version.valid_to == row.valid_to
                    and version.name_fr == row.name_fr
                    and version.name_ar == row.name_ar
                    and version.kind == row.kind
                )
                if not same and _overlaps(row.valid_from, row.valid_to, version.valid_from, version.valid_to):
                    problems.append(
                        RowProblem(
                            row.line,
                            "valid_from",
                            row.valid_from.isoformat(),
                            Text(
                                "فترة السريان تتداخل مع نسخة مسجلة من نفس الوحدة؛ أغلقوا النسخة القديمة أولا",
                                "la période chevauche une version enregistrée de cette unité ; "
                                "clôturez d'abord l'ancienne",
                                "period overlaps a stored version of this unit; close the old one first",
                            ),
                        )
                    )
    return problems


def import_units(session: Session, records: Iterable[Mapping[str, Any]], first_line: int = 2) -> dict[str, int]:
    """Validate everything, then write; raise a SijillError listing every problem otherwise."""
    rows, problems = parse_rows(records, first_line)
    problems += _check_against_registry(session, rows)
    if problems:
        problems.sort(key=lambda p: p.line)
        raise SijillError(
            code="territory_import_invalid",
            message=Text(
                ar=f"الملف يحتوي على {len(problems)} خطأ؛ لم يسجل أي سطر",
                fr=f"Le fichier contient {len(problems)} erreur(s) ; aucune ligne n'a été enregistrée",
                en=f"file has {len(problems)} problem(s); nothing was written",
            ),
            fix=Text(
                "صححوا الأسطر المذكورة ثم أعيدوا الاستيراد",
                "Corrigez les lignes indiquées puis relancez l'import",
                "fix the listed lines and import again",
            ),
            status=422,
            details=[p.as_dict() for p in problems],
        )
    existing_units = set(session.execute(select(TerritoryUnit.code)).scalars())
    existing_versions = {
        (code, start)
        for code, start in session.execute(select(TerritoryUnitVersion.code, TerritoryUnitVersion.valid_from))
    }
    # Parents before children, one flush per level, so foreign keys hold at every flush.
    ordered = sorted(rows, key=lambda r: LEVELS.index(r.level))
    created_units = created_versions = skipped = 0
    for position, row in enumerate(ordered):
        if row.code not in existing_units:
            session.add(
                TerritoryUnit(
                    code=row.code,
                    level=row.level,
                    parent_code=row.parent_code,
                    milieu=row.milieu,
                    official_code=row.official_code,
                )
            )
            existing_units.add(row.code)
            created_units += 1
        if position + 1 == len(ordered) or ordered[position + 1].level != row.level:
            session.flush()
        if (row.code, row.valid_from) in existing_versions:
            skipped += 1
            continue
        session.add(
            TerritoryUnitVersion(
                code=row.code,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
                kind=row.kind,
                name_fr=row.name_fr,
                name_ar=row.name_ar,
            )
        )
        created_versions += 1
    session.flush()
    return {
        "created_units": created_units,
        "created_versions": created_versions,
        "skipped_unchanged": skipped,
    }


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a units CSV; a missing required column is reported before any line is read."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise SijillError(
                code="territory_import_columns",
                field="columns",
                value=", ".join(missing),
                message=Text(
                    ar=f"أعمدة ناقصة في الملف: {', '.join(missing)}",
                    fr=f"Colonnes manquantes dans le fichier : {', '.join(missing)}",
                    en=f"missing columns: {', '.join(missing)}",
                ),
                fix=Text(
                    ar="الأعمدة المطلوبة: " + ", ".join(REQUIRED_COLUMNS),
                    fr="Colonnes attendues : " + ", ".join(REQUIRED_COLUMNS),
                    en="expected columns: " + ", ".join(REQUIRED_COLUMNS),
                ),
                status=422,
            )
        return list(reader)
