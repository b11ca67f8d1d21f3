"""A table of a page as a download: CSV or Excel, with the headers the page shows.

Written by polars, as the command line's reports are (quality/cli.py): the same writer for the
same tables. The CSV starts with a byte-order mark, without which Excel reads Arabic as noise;
the Excel sheet of an Arabic page reads right to left.
"""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any, Literal

import polars as pl
import xlsxwriter
from fastapi.responses import Response

ExportFormat = Literal["csv", "xlsx"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_BOM = "\ufeff"


def table(rows: list[dict[str, Any]], headers: dict[str, str]) -> pl.DataFrame:
    """The rows' columns named in ``headers`` (key -> header shown), in that order."""
    columns = {header: [row.get(key) for row in rows] for key, header in headers.items()}
    return pl.DataFrame(columns, strict=False)


def frame_bytes(frame: pl.DataFrame, fmt: ExportFormat, *, right_to_left: bool = False) -> bytes:
    if fmt == "csv":
        return (_BOM + frame.write_csv()).encode("utf-8")
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        sheet = workbook.add_worksheet()
        if right_to_left:
            sheet.right_to_left()
        frame.write_excel(workbook=workbook, worksheet=sheet, autofit=True)
    return buffer.getvalue()


def download(frame: pl.DataFrame, fmt: ExportFormat, name: str, *, language: str) -> Response:
    """``frame`` as ``<name>-<today>.<fmt>``; never cached (the tables can hold personal data)."""
    safe = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "export"
    filename = f"{safe}-{date.today().isoformat()}.{fmt}"
    return Response(
        frame_bytes(frame, fmt, right_to_left=language == "ar"),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
