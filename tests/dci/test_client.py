"""The DCI client against a real registry: Sijill's own DCI server, served by uvicorn on a
loopback port in a thread, on the seeded registry of search_support. What the client sends is
checked against the standard's OpenAPI file too."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from sijill.api.app import create_app
from sijill.config import Settings
from sijill.db import transaction
from sijill.dci.client import (
    BAD_SIGNATURE,
    TOO_MANY_PAGES,
    UNAVAILABLE,
    DciClient,
    DciClientError,
    DciSearchRefusedError,
    idtype_value,
    predicate,
    wire_query,
)
from sijill.dci.keys import jwks
from sijill.dci.partners import add_partner_key, set_signature_mode
from tests.conftest import SYSTEM
from tests.dci.api_support import partner
from tests.dci.openapi_support import check_callback
from tests.dci.search_support import PROVINCE, World, build_world
from tests.test_cli import sijill

SECRET_KEY = "dci-client-test-key-0123456789abcdef0123"
SEARCH = "/dci/registry/sync/search"
TOKEN = "/dci/oauth2/client/token"
EVERYONE = [("province_code", "in", "03.02,04.04")]
ARABIC = re.compile(r"[\u0600-\u06FF]")


class PathCounter:
    """The server's own count of the calls it received, by path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.calls: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.calls[scope["path"]] += 1
        await self.app(scope, receive, send)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(app: ASGIApp, port: int) -> Iterator[str]:
    """`app` served by uvicorn on 127.0.0.1:`port` in a thread; yields its root URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", interface="asgi3"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class LiveRegistry:
    dci: str
    counter: PathCounter
    world: World
    secret: str
    provincial_secret: str
    db_url: str
    engine: Engine
    port: int

    def client(self, **options: Any) -> DciClient:
        return DciClient(self.dci, "crvs-client", self.secret, **options)


@contextmanager
def live_registry(db_url: str, engine: Engine, session_factory: sessionmaker[Session]) -> Iterator[LiveRegistry]:
    """The seeded registry of search_support served for real, with a national partner
    (`crvs-client`, every field) and one confined to the province (`provincial`)."""
    world = build_world(session_factory)
    every_field = [
        "member_list",
        "group_head_info",
        "group_size",
        "poverty_score",
        "address",
        "member_list.demographic_info.name",
        "member_list.demographic_info.sex",
        "member_list.demographic_info.birth_date",
        "member_list.additional_attributes",
    ]
    secret = partner(session_factory, "crvs-client", fields=every_field)
    provincial = partner(session_factory, "provincial", territories=[PROVINCE], fields=every_field)
    counter = PathCounter(create_app(Settings(database_url=db_url, secret_key=SECRET_KEY), engine))
    port = free_port()
    with serving(counter, port) as root:
        yield LiveRegistry(f"{root}/dci", counter, world, secret, provincial, db_url, engine, port)


@pytest.fixture
def registry(db_url: str, engine: Engine, session_factory: sessionmaker[Session]) -> Iterator[LiveRegistry]:
    with live_registry(db_url, engine, session_factory) as live:
        yield live


def _recording_http() -> tuple[httpx.Client, list[dict[str, Any]]]:
    """A real HTTP client that keeps each JSON body it sends."""
    sent: list[dict[str, Any]] = []

    def keep(request: httpx.Request) -> None:
        if request.headers.get("content-type") == "application/json":
            sent.append(json.loads(request.content))

    return httpx.Client(event_hooks={"request": [keep]}), sent


def _everyone(world: World) -> set[str]:
    return {fact.resident.idcs for fact in world.facts}


def test_an_identifier_finds_the_household_and_the_person(registry: LiveRegistry) -> None:
    http, sent = _recording_http()
    with registry.client(http=http) as client:
        group = client.search("idtype-value", idtype_value("UIN", "3100000001"))
        # A number is sent as its digits: the same person.
        member = client.search("idtype-value", idtype_value("UIN", 3100000001), entity="Member", locale="ara")
    assert group.total_count == 1 and group.reg_record_type == "Group"
    assert group.records[0]["group_identifier"][0]["identifier_value"] == registry.world.numbers["H1"]
    assert {m["member_identifier"][0]["identifier_value"] for m in group.records[0]["member_list"]} == {
        "3100000001",
        "3100000002",
        "3100000003",
    }
    assert member.total_count == 1 and member.reg_record_type == "Member"
    assert member.records[0]["member_identifier"][0]["identifier_value"] == "3100000001"
    assert member.records[0]["demographic_info"]["name"]["given_name"] == "يوسف"
    assert member.correlation_id and member.transaction_id
    assert http.is_closed is False
    # What went out is what the standard's own schema accepts (the integer went as a string).
    assert sent[1]["message"]["search_request"][0]["search_criteria"]["query"] == {
        "type": "UIN",
        "value": "3100000001",
    }
    for body in sent:
        check_callback(SEARCH, body)
        header = body["header"]
        assert header["version"] == "1.0.0" and header["action"] == "search" and header["total_count"] == 1
        assert header["is_msg_encrypted"] is False and header["sender_id"] == "sijill"
        assert header["message_ts"].endswith("Z")
    assert sent[0]["header"]["message_id"] != sent[1]["header"]["message_id"]


def test_integers_would_break_a_strict_validator_so_values_go_as_strings() -> None:
    query = [{"expression1": {"attribute_name": "age", "operator": "ge", "attribute_value": 60}}]
    envelope: dict[str, Any] = {
        "header": {
            "message_id": "m1",
            "message_ts": "2026-06-01T10:00:00Z",
            "action": "search",
            "sender_id": "sijill",
            "total_count": 1,
        },
        "message": {
            "transaction_id": "t1",
            "search_request": [
                {
                    "reference_id": "r1",
                    "timestamp": "2026-06-01T10:00:00Z",
                    "search_criteria": {"query_type": "predicate", "query": query},
                }
            ],
        },
    }
    # The trap itself: 60 is both `integer` and `number` of the spec's oneOf.
    with pytest.raises(AssertionError):
        check_callback(SEARCH, envelope)
    envelope["message"]["search_request"][0]["search_criteria"]["query"] = wire_query("predicate", query)
    check_callback(SEARCH, envelope)
    assert wire_query("predicate", query)[0]["expression1"]["attribute_value"] == "60"  # type: ignore[index]
    assert predicate(("poverty_score", "le", 9.5), ("age", "in", [60, 61.0]))[1]["expression1"] == {
        "attribute_name": "age",
        "operator": "in",
        "attribute_value": "60,61",
    }
    assert wire_query("idtype-value", {"type": "UIN", "value": 3100000001.0}) == {"type": "UIN", "value": "3100000001"}


def test_search_all_pages_through_exactly_total_count_records(registry: LiveRegistry) -> None:
    with registry.client() as client:
        pages = list(client.search_pages("predicate", predicate(*EVERYONE), entity="Member", page_size=3))
        records = list(client.search_all("predicate", predicate(*EVERYONE), entity="Member", page_size=3))
    expected = _everyone(registry.world)
    assert len(expected) == 8
    assert [len(p.records) for p in pages] == [3, 3, 2] and {p.total_count for p in pages} == {8}
    assert [p.page_number for p in pages] == [1, 2, 3]
    # One business transaction for all the pages of a search.
    assert len({p.transaction_id for p in pages}) == 1
    idcs = [r["member_identifier"][0]["identifier_value"] for r in records]
    assert len(idcs) == 8 and set(idcs) == expected
    assert registry.counter.calls[SEARCH] == 6


def test_a_server_announcing_more_pages_than_allowed_is_not_followed(registry: LiveRegistry) -> None:
    with registry.client() as client:
        pages = client.search_pages("predicate", predicate(*EVERYONE), entity="Member", page_size=2, max_pages=2)
        got = [next(pages), next(pages)]
        with pytest.raises(DciClientError) as raised:
            next(pages)
    assert raised.value.code == TOO_MANY_PAGES
    assert len(got) == 2 and registry.counter.calls[SEARCH] == 2


def test_one_token_serves_many_searches_until_it_is_about_to_expire(registry: LiveRegistry) -> None:
    now = [1_000.0]
    with registry.client(clock=lambda: now[0]) as client:
        for _ in range(3):
            client.search("idtype-value", idtype_value("UIN", "3100000001"))
        assert registry.counter.calls[TOKEN] == 1
        # The server's tokens last 3600 s: still good 3500 s later, renewed shortly before the end.
        now[0] += 3500
        client.search("idtype-value", idtype_value("UIN", "3100000001"))
        assert registry.counter.calls[TOKEN] == 1
        now[0] += 80
        client.search("idtype-value", idtype_value("UIN", "3100000001"))
    assert registry.counter.calls[TOKEN] == 2 and client.tokens_fetched == 2
    assert registry.counter.calls[SEARCH] == 5


def test_a_token_the_registry_no_longer_honours_is_fetched_again_once(
    db_url: str, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    with live_registry(db_url, engine, session_factory) as live:
        client = live.client()
        client.search("idtype-value", idtype_value("UIN", "3100000001"))
    # The registry restarts with a new signing key: the cached token is now refused (401).
    rotated = PathCounter(create_app(Settings(database_url=db_url, secret_key=SECRET_KEY[::-1]), engine))
    with serving(rotated, live.port), client:
        page = client.search("idtype-value", idtype_value("UIN", "3100000001"))
    assert page.total_count == 1
    assert rotated.calls[SEARCH] == 2 and rotated.calls[TOKEN] == 1
    assert client.tokens_fetched == 2


def test_a_wrong_secret_is_invalid_client_and_never_shown(registry: LiveRegistry) -> None:
    wrong = registry.secret[::-1]
    with DciClient(registry.dci, "crvs-client", wrong) as client, pytest.raises(DciClientError) as raised:
        client.search("idtype-value", idtype_value("UIN", "3100000001"))
    error = raised.value
    assert error.code == "invalid_client" and error.http_status == 401
    assert wrong not in str(error) and wrong not in repr(client)
    assert registry.counter.calls[SEARCH] == 0


def test_a_call_outside_the_partner_scopes_is_the_standard_error(
    registry: LiveRegistry, session_factory: sessionmaker[Session]
) -> None:
    secret = partner(session_factory, "status-only", scopes=["registry.txn-status"])
    with DciClient(registry.dci, "status-only", secret) as client, pytest.raises(DciClientError) as raised:
        client.search("idtype-value", idtype_value("UIN", "3100000001"))
    assert raised.value.code == "err.request.forbidden" and raised.value.http_status == 403
    assert not raised.value.transient


def test_a_refused_query_carries_the_registry_reason_code(registry: LiveRegistry) -> None:
    with registry.client() as client, pytest.raises(DciSearchRefusedError) as raised:
        client.search("predicate", predicate(("shoe_size", "eq", 42)), locale="fra")
    assert raised.value.reason_code == "rjct.filter.invalid"
    assert "shoe_size" in raised.value.message
    with registry.client() as client, pytest.raises(DciSearchRefusedError) as bad_id:
        client.search("idtype-value", idtype_value("UIN", "12"))
    assert bad_id.value.reason_code == "rjct.search_criteria.invalid"


def test_an_unreachable_registry_is_service_unavailable() -> None:
    port = free_port()
    client = DciClient(f"http://127.0.0.1:{port}/dci", "crvs-client", "s3cret-value", timeout_s=5)
    with client, pytest.raises(DciClientError) as raised:
        client.search("idtype-value", idtype_value("UIN", "3100000001"))
    assert raised.value.code == UNAVAILABLE and raised.value.http_status is None
    assert "ConnectError" in raised.value.message and "s3cret-value" not in str(raised.value)
    assert raised.value.transient


def test_the_signer_signs_and_the_verifier_sees_every_answer(registry: LiveRegistry) -> None:
    seen: list[tuple[str | None, str]] = []

    def sign(header: dict[str, Any], message: dict[str, Any]) -> str:
        return f"test-signature {header['message_id']} {message['transaction_id']}"

    def verify(signature: str | None, header: dict[str, Any], message: dict[str, Any]) -> None:
        seen.append((signature, header["action"]))

    http, sent = _recording_http()
    with registry.client(http=http, signer=sign, verify=verify) as client:
        client.search("idtype-value", idtype_value("UIN", "3100000001"))
    assert (
        sent[0]["signature"]
        == f"test-signature {sent[0]['header']['message_id']} {sent[0]['message']['transaction_id']}"
    )
    check_callback(SEARCH, sent[0])
    assert [action for _, action in seen] == ["on-search"]

    def refuse(signature: str | None, header: dict[str, Any], message: dict[str, Any]) -> None:
        raise ValueError("bad signature")

    with registry.client(verify=refuse) as client, pytest.raises(DciClientError) as raised:
        client.search("idtype-value", idtype_value("UIN", "3100000001"))
    assert raised.value.code == BAD_SIGNATURE


def test_txn_status_finds_an_earlier_search(registry: LiveRegistry) -> None:
    with registry.client() as client:
        page = client.search("idtype-value", idtype_value("UIN", "3100000001"))
        assert page.correlation_id is not None
        status = client.txn_status("correlation_id", page.correlation_id)
    assert status["txn_type"] == "search"
    assert status["txn_status"]["correlation_id"] == page.correlation_id
    assert [item["status"] for item in status["txn_status"]["search_response"]] == ["succ"]


# --- the CLI ------------------------------------------------------------------------------------


def _cli(*args: str, db_url: str, secret: str | None = None) -> Any:
    env = {"SIJILL_DCI_CLIENT_SECRET": secret} if secret is not None else {}
    return sijill(*args, db_url=db_url, extra_env=env)


@pytest.mark.parametrize(
    ("args", "secret", "field"),
    [
        (["--client-id", "c"], "s", "query"),
        (["--client-id", "c", "--idtype", "UIN", "--value", "1", "--predicate", "age ge 60"], "s", "query"),
        (["--client-id", "c", "--idtype", "UIN"], "s", "value"),
        (["--client-id", "c", "--predicate", "age is old"], "s", "predicate"),
        (["--client-id", "c", "--expression", "[1, 2]"], "s", "expression"),
        (["--client-id", "c", "--predicate", "age ge 60", "--entity", "Household"], "s", "entity"),
        (["--client-id", "c", "--predicate", "age ge 60", "--out", "x.csv"], "s", "out"),
        (["--client-id", "c", "--predicate", "age ge 60"], None, "secret-env"),
    ],
)
def test_search_cli_bad_input_exits_2_in_arabic_and_french(
    args: list[str], secret: str | None, field: str, tmp_path: Path
) -> None:
    result = _cli(
        "dci", "search", "http://127.0.0.1:9/dci", *args, db_url=f"sqlite:///{tmp_path / 'x.db'}", secret=secret
    )
    assert result.returncode == 2, result.stderr
    assert f"«{field}»" in result.stderr and f"« {field} »" in result.stderr
    assert ARABIC.search(result.stderr) and "Valeur invalide" in result.stderr
    assert "Traceback" not in result.stderr


def test_search_cli_refuses_a_url_that_is_not_http(tmp_path: Path) -> None:
    result = _cli(
        "dci",
        "search",
        "ftp://user:pw@crvs.example.ma/dci",
        "--client-id",
        "c",
        "--predicate",
        "age ge 60",
        db_url=f"sqlite:///{tmp_path / 'x.db'}",
        secret="s",
    )
    assert result.returncode == 2
    assert "«url»" in result.stderr and "« url »" in result.stderr and "pw" not in result.stderr


def test_search_cli_unreachable_registry_exits_1(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/dci"
    result = _cli(
        "dci",
        "search",
        url,
        "--client-id",
        "c",
        "--predicate",
        "age ge 60",
        db_url=f"sqlite:///{tmp_path / 'x.db'}",
        secret="s3cret-value",
    )
    assert result.returncode == 1, result.stderr
    assert UNAVAILABLE in result.stderr and ARABIC.search(result.stderr) and "réessayez" in result.stderr
    assert "s3cret-value" not in result.stderr + result.stdout


def test_search_cli_writes_every_page_to_jsonl(registry: LiveRegistry, tmp_path: Path) -> None:
    out = tmp_path / "members.jsonl"
    result = _cli(
        "dci",
        "search",
        registry.dci,
        "--client-id",
        "crvs-client",
        "--predicate",
        "province_code in 03.02,04.04",
        "--entity",
        "Member",
        "--page-size",
        "3",
        "--all",
        "--out",
        str(out),
        db_url=registry.db_url,
        secret=registry.secret,
    )
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 8 and all(r["@type"] == "Member" for r in records)
    assert {r["member_identifier"][0]["identifier_value"] for r in records} == _everyone(registry.world)
    assert "8 records of 8 (3 page(s))" in result.stdout
    assert registry.secret not in result.stdout + result.stderr


def test_search_cli_shows_a_summary_and_refusals_exit_2(registry: LiveRegistry) -> None:
    shown = _cli(
        "dci",
        "search",
        registry.dci,
        "--client-id",
        "crvs-client",
        "--idtype",
        "CIN",
        "--value",
        "ab-123456",
        db_url=registry.db_url,
        secret=registry.secret,
    )
    assert shown.returncode == 0, shown.stderr
    assert registry.world.numbers["H1"] in shown.stdout and "Youssef Alami" in shown.stdout
    assert "records 1-1 of 1 (Group, 1 page(s))" in shown.stdout
    refused = _cli(
        "dci",
        "search",
        registry.dci,
        "--client-id",
        "crvs-client",
        "--predicate",
        "shoe_size = 42",
        db_url=registry.db_url,
        secret=registry.secret,
    )
    assert refused.returncode == 2
    assert "rjct.filter.invalid" in refused.stderr and ARABIC.search(refused.stderr)
    assert "Le registre a refusé la recherche" in refused.stderr
    wrong = _cli(
        "dci",
        "search",
        registry.dci,
        "--client-id",
        "crvs-client",
        "--predicate",
        "age ge 60",
        db_url=registry.db_url,
        secret="not-the-secret",
    )
    assert wrong.returncode == 2 and "invalid_client" in wrong.stderr


def test_the_cli_signs_its_requests_and_checks_the_registry_signature(
    registry: LiveRegistry, session_factory: sessionmaker[Session]
) -> None:
    # The registry requires this client's requests signed with the key Sijill publishes (the
    # served registry and the command share the data folder, so the same key signs both ways).
    server_keys = jwks(Settings(database_url=registry.db_url))
    with transaction(session_factory) as session:
        add_partner_key(session=session, actor=SYSTEM, client_id="crvs-client", jwk=server_keys["keys"][0])
        set_signature_mode(session=session, actor=SYSTEM, client_id="crvs-client", mode="required")
    with registry.client() as unsigned, pytest.raises(DciClientError) as refused:
        unsigned.search("predicate", predicate(("age", "ge", "60")))
    assert refused.value.code == "err.signature.missing"
    published = registry.dci + "/.well-known/jwks.json"
    query = ["--client-id", "crvs-client", "--predicate", "age ge 60", "--jwks", published]
    signed = _cli("dci", "search", registry.dci, *query, db_url=registry.db_url, secret=registry.secret)
    assert signed.returncode == 0, signed.stderr
    not_keys = _cli(
        "dci",
        "search",
        registry.dci,
        *query[:-1],
        registry.dci + "/registry/sync/search",
        db_url=registry.db_url,
        secret=registry.secret,
    )
    assert not_keys.returncode == 1 and "no JWKS" in not_keys.stderr
