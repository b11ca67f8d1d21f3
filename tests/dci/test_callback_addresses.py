"""Which addresses a partner's answers may be POSTed to: under a registered prefix, read the one
way the sender's HTTP client will send it (no dot segments, encodings or userinfo to escape by)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sijill.dci.partners import callback_allowed
from sijill.dci.partners import check_callback_prefix as check_prefix
from sijill.errors import SijillError

PARTNER: Any = SimpleNamespace(callback_prefixes=["https://gw.example.ma/cnss/", "http://127.0.0.1:8080/callback"])


@pytest.mark.parametrize(
    ("uri", "allowed"),
    [
        ("https://gw.example.ma/cnss/on-search", True),
        ("https://GW.example.ma:443/cnss/on-search", True),
        ("https://gw.example.ma/cnss/on-search?tenant=2", True),
        ("http://127.0.0.1:8080/callback", True),
        ("http://127.0.0.1:8080/callback/on-search", True),
        # Another partner's path on a shared gateway, by every road.
        ("https://gw.example.ma/cndp/on-search", False),
        ("https://gw.example.ma/cnss/../cndp/on-search", False),
        ("https://gw.example.ma/cnss/%2e%2e/cndp/on-search", False),
        ("https://gw.example.ma/cnss/%2F..%2Fcndp", False),
        ("https://gw.example.ma/cnss\\..\\cndp", False),
        ("https://gw.example.ma/cnss-other/on-search", False),
        ("http://127.0.0.1:8080/callbacks/x", False),
        # Another host, port or scheme.
        ("https://gw.example.ma.evil.org/cnss/on-search", False),
        ("https://gw.example.ma:8443/cnss/on-search", False),
        ("http://gw.example.ma/cnss/on-search", False),
        ("http://127.0.0.1:8081/callback/on-search", False),
        ("https://cnss@gw.example.ma/cnss/on-search", False),
        ("http://169.254.169.254/latest/meta-data/", False),
        # What an HTTP client cannot send, or sends otherwise.
        ("https://gw.example.ma/cnss/\x7f", False),
        ("https://gw.example.ma/cnss/on search", False),
        ("https://gw.example.ma/cnss/x\r\nHost: evil", False),
        ("https://gw.example.ma:99999/cnss/x", False),
        ("ftp://gw.example.ma/cnss/x", False),
        ("", False),
    ],
)
def test_an_answer_goes_only_under_a_registered_prefix(uri: str, allowed: bool) -> None:
    assert callback_allowed(PARTNER, uri) is allowed


@given(st.text(max_size=60))
def test_no_suffix_leaves_the_prefix(suffix: str) -> None:
    """Whatever is allowed, the HTTP client that sends it reads it under the prefix too."""
    uri = "https://gw.example.ma/cnss/" + suffix
    if callback_allowed(PARTNER, uri):
        sent = httpx.URL(uri)
        assert (sent.scheme, sent.host, sent.port) == ("https", "gw.example.ma", None)
        assert sent.path.startswith("/cnss/")


@pytest.mark.parametrize(
    "prefix",
    ["http://partner.example.ma/", "https://u:p@partner.example.ma/", "https://partner.example.ma/a/../b/", "a.ma/x"],
)
def test_a_prefix_that_could_leak_is_refused_at_registration(prefix: str) -> None:
    with pytest.raises(SijillError) as refused:
        check_prefix(prefix)
    assert refused.value.field == "callback"


def test_a_bare_origin_is_closed_with_a_slash() -> None:
    assert check_prefix("https://partner.example.ma") == "https://partner.example.ma/"
