"""Reading a CSV or Parquet file of records as text columns, with errors a person can act on.

Types are checked afterwards by each import's own rules, row by row, so that one bad value is
reported with its row instead of failing the whole read.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from sijill.errors import SijillError, Text


def _unreadable(path: Path, reason: str) -> SijillError:
    return SijillError(
        code="import_file_unreadable",
        field="file",
        value=path.name,
        status=422,
        message=Text(f"تعذرت قراءة الملف: {reason}", f"Fichier illisible : {reason}", f"cannot read file: {reason}"),
        fix=Text(
            "استعملوا ملف CSV بترميز UTF-8 (نفس عدد الأعمدة في كل سطر) أو Parquet",
            "Utilisez un CSV en UTF-8 (même nombre de colonnes à chaque ligne) ou un Parquet",
            "use a UTF-8 CSV with the same number of columns on every line, or Parquet",
        ),
    )


def _short_line(path: Path) -> int | None:
    """The first data line with fewer fields than the header, if any.

    Polars fills missing trailing fields with nulls instead of refusing the line, which would turn
    a damaged file into silently wrong records; counting fields needs the CSV grammar (quoted
    commas), so this one pass uses the standard library's C reader.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        width = len(next(reader, []))
        for number, fields in enumerate(reader, start=2):
            if len(fields) != width and fields:
                return number
    return None


def read_table(path: Path) -> pl.DataFrame:
    """Every column as text, plus a 1-based ``row``; an unreadable or empty file is refused."""
    try:
        if path.suffix.lower() == ".parquet":
            frame = pl.read_parquet(path)
            frame = frame.with_columns(pl.all().cast(pl.String))
        else:
            # Polars refuses invalid UTF-8 and ragged lines here, before anything is checked or written.
            frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
            short = _short_line(path)
            if short is not None:
                raise _unreadable(path, f"line {short} does not have as many fields as the header")
    except (
        pl.exceptions.ComputeError,
        pl.exceptions.NoDataError,
        pl.exceptions.ShapeError,
        OSError,
        UnicodeDecodeError,
    ) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _unreadable(path, first_line[:200]) from None
    if frame.height == 0:
        raise _unreadable(path, "no rows")
    return frame.with_row_index("row", offset=1)


def missing_columns(wanted: Sequence[str], schema_doc: str) -> SijillError:
    names = ", ".join(wanted)
    return SijillError(
        code="import_columns_missing",
        field="columns",
        value=names,
        status=422,
        message=Text(f"أعمدة ناقصة: {names}", f"Colonnes manquantes : {names}", f"missing columns: {names}"),
        fix=Text(
            f"انظروا مخطط الأعمدة في {schema_doc}",
            f"Voir le schéma des colonnes dans {schema_doc}",
            f"see the column schema in {schema_doc}",
        ),
    )


def rows_rejected(problems: pl.DataFrame, bad_rows: int, error_path: Path) -> SijillError:
    """Nothing imported: ``problems`` (row, field, value, rule, message_fr ...) are in ``error_path``."""
    return SijillError(
        code="import_invalid_rows",
        status=422,
        field="file",
        value=str(error_path),
        message=Text(
            ar=f"{problems.height} خطأ في {bad_rows} سطر؛ لم يسجل أي شيء. التفاصيل في {error_path}",
            fr=f"{problems.height} erreur(s) sur {bad_rows} ligne(s) ; rien n'a été enregistré. "
            f"Détail dans {error_path}",
            en=f"{problems.height} problem(s) in {bad_rows} row(s); nothing written; see {error_path}",
        ),
        fix=Text(
            "صححوا الأسطر المذكورة في ملف الأخطاء وأعيدوا الاستيراد، أو استوردوا الأسطر الصالحة وحدها (--accept-valid)",
            "Corrigez les lignes du fichier d'erreurs puis relancez l'import, "
            "ou n'importez que les lignes valides (--accept-valid)",
            "fix the rows listed in the error file and import again, or import only the valid rows (--accept-valid)",
        ),
        details=problems.head(20).select("row", "field", "value", "rule", "message_fr").to_dicts(),
    )
