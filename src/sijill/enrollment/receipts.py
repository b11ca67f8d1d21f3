"""Receipt numbers: what the applicant keeps on paper and types to follow a file.

`AT26-48213907-3`: the workflow's prefix and the year, eight random digits, and a Verhoeff check
digit that catches a mistyped digit or two swapped ones before any lookup. Random rather than a
sequence, so that a receipt tells nothing about how many files an annex takes, and the citizen
status needs the applicant's IDCS beside it anyway.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sijill.population.check_digits import verhoeff_check_digits, verhoeff_valid

RECEIPT_PATTERN = re.compile(r"^([A-Z]{2})(\d{2})-(\d{8})-(\d)$")


def new_receipt(prefix: str, day: date) -> str:
    body = f"{day.year % 100:02d}{secrets.randbelow(10**8):08d}"
    digits = np.array([[int(c) for c in body]], dtype=np.int8)
    check = int(verhoeff_check_digits(digits)[0])
    return f"{prefix}{body[:2]}-{body[2:]}-{check}"


def receipt_well_formed(receipt: str) -> bool:
    match = RECEIPT_PATTERN.match(receipt)
    return match is not None and verhoeff_valid(match[2] + match[3] + match[4])


# Eight random digits a year and workflow: with a million files a year one new number in a
# hundred is already taken, so a few draws always find a free one.
NUMBER_ATTEMPTS = 8


def add_numbered(session: Session, row: Any, prefix: str, day: date) -> bool:
    """Insert ``row`` (with a ``number``-like unique receipt in its `receipt` or `number`
    attribute) under a fresh random number, drawing again while the number is taken. Returns
    False when the insert broke another constraint (the caller looks for what it repeats)."""
    attribute = "receipt" if hasattr(row, "receipt") else "number"
    column = getattr(type(row), attribute)
    for _ in range(NUMBER_ATTEMPTS):
        setattr(row, attribute, new_receipt(prefix, day))
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return True
        except IntegrityError:
            taken = session.execute(select(column).where(column == getattr(row, attribute))).first()
            if taken is None:
                return False
    raise RuntimeError(f"no free {attribute} after {NUMBER_ATTEMPTS} draws")
