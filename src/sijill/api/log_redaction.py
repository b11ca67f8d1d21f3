"""Keep identifiers out of server logs: access lines show the route shape, not whose record it was."""

from __future__ import annotations

import logging
import re

# IDCS (10 digits), CIN (letters then digits), phone numbers, and any query string (filters may
# carry names or numbers).
_IDENTIFIER = re.compile(r"(?<=/)(\d{6,}|[A-Za-z]{1,2}\d{4,}|\+?\d[\d ]{7,})(?=/|\?|$|\s|\")")
_QUERY = re.compile(r"\?[^\s\"]*")


def redact(text: str) -> str:
    return _IDENTIFIER.sub("***", _QUERY.sub("?***", text))


class RedactIdentifiers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        record.msg = redact(str(record.msg))
        return True


def install() -> None:
    logging.getLogger("uvicorn.access").addFilter(RedactIdentifiers())
