"""One of our own commands as a child process that is ready once its health URL answers: the
server, the CNSS simulator (used by tests and benchmarks that need the real processes)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout_s} s")


@contextmanager
def sijill_process(args: list[str], env: dict[str, str], health_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """`sijill ARGS...` running until the block ends (then stopped), ready when it is yielded."""
    child = subprocess.Popen(  # noqa: S603 (our own command)
        [sys.executable, "-m", "sijill", *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(health_url)
        yield child
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
