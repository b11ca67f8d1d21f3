from __future__ import annotations

import logging

import pytest

from sijill.api.log_redaction import RedactIdentifiers, redact


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('"GET /api/persons/1234567890 HTTP/1.1" 200', '"GET /api/persons/*** HTTP/1.1" 200'),
        ("/api/persons/AB123456/history", "/api/persons/***/history"),
        ("/api/persons?annex_code=03.02.001.01&name=Amina", "/api/persons?***"),
        ("/api/territory/units/03.02", "/api/territory/units/03.02"),
    ],
)
def test_identifiers_and_queries_are_masked(line: str, expected: str) -> None:
    assert redact(line) == expected


def test_filter_masks_uvicorn_access_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/persons/1234567890", "1.1", 200),
        None,
    )
    RedactIdentifiers().filter(record)
    assert "1234567890" not in record.getMessage()
    assert "/api/persons/***" in record.getMessage()
