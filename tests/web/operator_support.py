"""Files at the operator for the desk's and the citizens' pages: a declared family's AMO Tadamon
form taken at annex A, checked, validated and transmitted (the operator takes every batch)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from sijill.db import transaction
from sijill.enrollment.operators import OutgoingBatch
from sijill.enrollment.transmit import queue_batches, send_due
from tests.conftest import SYSTEM
from tests.enrollment.support import declare_family, submitted


class TakingOperator:
    """An operator that stores every batch it is sent, and decides later (on the desk)."""

    def __init__(self) -> None:
        self.batches: list[OutgoingBatch] = []

    def send(self, batch: OutgoingBatch) -> None:
        self.batches.append(batch)


def applicant_of(prefix: str) -> str:
    """The IDCS of the family's head, who applies (tests/enrollment/support.py)."""
    return f"{prefix}00000001"


def transmitted_files(factory: sessionmaker[Session], *prefixes: str) -> dict[str, str]:
    """One transmitted file per family prefix ("71", "72", ...), by prefix."""
    with transaction(factory) as session:
        for prefix in prefixes:
            declare_family(session, SYSTEM, prefix=prefix)
    receipts = {prefix: submitted(factory, prefix) for prefix in prefixes}
    with transaction(factory) as session:
        queue_batches(session, SYSTEM, "cnss")
    sent = send_due(factory, SYSTEM, {"cnss": TakingOperator()})
    assert sent.files == len(prefixes)
    return receipts
