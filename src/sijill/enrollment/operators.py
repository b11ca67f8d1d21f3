"""The exchange with an operator (CNSS for AMO Tadamon): an interface, and its HTTP implementation.

The wire format (docs/operators.md): Sijill POSTs a batch to `{url}/batches` and the operator
answers 2xx once it has stored it; later the operator POSTs one callback per decided file to
`/api/operators/{operator}/callbacks`. Both sides sign the raw body with HMAC-SHA256 under the
operator's shared secret (`X-Signature: sha256=<hex>`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from sijill.config import OperatorEndpoint

SIGNATURE_HEADER = "X-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(sign(secret, body), given)


@dataclass(frozen=True)
class OutgoingBatch:
    operator: str
    batch_key: str
    files: list[dict[str, Any]]

    def body(self) -> bytes:
        payload = {"batch_key": self.batch_key, "operator": self.operator, "files": self.files}
        return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class OperatorUnavailableError(Exception):
    """The operator did not take the batch; the message says why without any personal data."""


class OperatorClient(Protocol):
    def send(self, batch: OutgoingBatch) -> None:
        """Return once the operator has stored the batch; raise OperatorUnavailableError otherwise."""


class HttpOperatorClient:
    def __init__(self, endpoint: OperatorEndpoint, timeout_s: float = 10.0, http: httpx.Client | None = None) -> None:
        self._endpoint = endpoint
        # Any httpx client will do (tests pass one bound to the simulator's application).
        self._http = http or httpx.Client(timeout=timeout_s)

    def send(self, batch: OutgoingBatch) -> None:
        body = batch.body()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self._endpoint.secret, body)}
        try:
            response = self._http.post(self._endpoint.url.rstrip("/") + "/batches", content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise OperatorUnavailableError(type(exc).__name__) from None
        if not response.is_success:
            raise OperatorUnavailableError(f"HTTP {response.status_code}")

    def close(self) -> None:
        self._http.close()
