"""What the supervisors' pages share: the names of territorial units, the levels a reader drills
through, figures written the way each language writes them, and the `?format=` of a download."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy.orm import Session

from sijill.territory import queries as territory
from sijill.web.exports import ExportFormat

# A territory code as the API accepts it: region, province, commune or annex.
TerritoryCode = Annotated[str | None, Query(pattern=r"^\d{2}(\.\d{2}(\.\d{3}(\.\d{2})?)?)?$", max_length=32)]
Format = Annotated[ExportFormat | None, Query()]

# From the nation down; a code's depth (its dot-separated parts) is its level's index.
LEVELS = ("nation", "region", "province", "commune", "annex")
NATION = "MA"
# Units listed at most on one page's name look-up (the country has about 1,700 annexes).
MAX_UNITS = 100_000


def depth(code: str | None) -> int:
    return 0 if code in (None, NATION) else len(str(code).split("."))


def level_of(code: str | None) -> str:
    return LEVELS[depth(code)]


def child_level(level: str) -> str | None:
    index = LEVELS.index(level)
    return LEVELS[index + 1] if index + 1 < len(LEVELS) else None


def ancestors(code: str | None) -> list[str | None]:
    """The nation (None), then each unit above ``code``, then ``code`` itself."""
    if code is None:
        return [None]
    parts = code.split(".")
    return [None, *(".".join(parts[: n + 1]) for n in range(len(parts)))]


def unit_names(session: Session, language: str, codes: Iterable[str | None]) -> dict[str, str]:
    """Each code's name in ``language`` (territory is reference data: names are not scoped);
    a code the reference does not hold is shown as itself."""
    wanted = {c for c in codes if c and c != NATION}
    names: dict[str, str] = {}
    for level in {level_of(c) for c in wanted}:
        for unit in territory.list_units(session, level=level, limit=MAX_UNITS):
            if unit.code in wanted:
                names[unit.code] = unit.name_ar if language == "ar" else unit.name_fr
    return {code: names.get(code, code) for code in wanted}


def number(language: str, value: Any) -> str:
    """Thousands apart (a narrow space in French, a comma in Arabic), decimals as each writes them."""
    if value is None:
        return "—"
    text = f"{value:,.2f}" if isinstance(value, float) and not value.is_integer() else f"{int(value):,}"
    if language == "fr":
        return text.replace(",", "\u202f").replace(".", ",")
    return text


def decimal(language: str, value: float) -> str:
    """A measured figure (a z-score, a probability) to four significant digits."""
    text = f"{value:.4g}"
    return text.replace(".", ",") if language == "fr" else text


def percent(language: str, ratio: float | None) -> str:
    if ratio is None:
        return "—"
    text = f"{ratio * 100:.1f}"
    return f"{text.replace('.', ',')}\u00a0%" if language == "fr" else f"{text}%"
