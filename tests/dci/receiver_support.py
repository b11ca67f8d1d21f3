"""A partner's callback endpoint on loopback: a real HTTP server that keeps what it is sent and
answers with the statuses a test scripts (ACK once they run out)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    body: dict[str, Any]


@dataclass
class Receiver:
    base: str
    received: list[Received] = field(default_factory=list)
    # Statuses to answer with, first to last; 200 with an ACK once empty.
    script: list[int] = field(default_factory=list)
    # Acknowledgements to answer with (ACK, NACK, ERR); ACK once empty.
    acks: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/callback/on-search") -> str:
        return self.base + path

    def bodies(self, action: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [r.body for r in self.received if action is None or r.body["header"]["action"] == action]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            with receiver.lock:
                receiver.received.append(Received(self.path, body))
                status = receiver.script.pop(0) if receiver.script else 200
                ack = receiver.acks.pop(0) if receiver.acks else "ACK"
            answer: dict[str, Any] = {
                "message": {"ack_status": ack, "timestamp": "2026-01-01T00:00:00Z", "correlation_id": "x"}
            }
            if ack == "ERR":
                answer["message"]["error"] = {"code": "err.request.bad", "message": "refused by the test"}
            encoded = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Receiver(base="")))
    found = Receiver(base=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(found)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
