"""A client of another registry's DCI Social Registry API (a civil-registration or beneficiary
registry, or another Sijill): the OAuth2 token, the sync search page by page, the sync
transaction status.

What goes on the wire follows the standard (`social_api_v1.0.0.yaml`) strictly, even where a
lenient server would accept more: the standard's identifier and predicate values are
`oneOf` string / integer / number, and a JSON integer is both an integer and a number, so a
strict validator refuses it. Identifier and predicate values therefore always leave as strings;
pagination numbers, typed `number`/`int32` without a `oneOf`, leave as integers.

Nothing here logs a query's values, a record or a secret: a query may carry a person's identifier.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

log = logging.getLogger(__name__)

VERSION = "1.0.0"
TOKEN_PATH = "/oauth2/client/token"  # noqa: S105 (a path, not a password)
SEARCH_PATH = "/registry/sync/search"
TXN_STATUS_PATH = "/registry/sync/txn/status"
REG_TYPE = "ns:org:RegistryType:Social"
DEFAULT_PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 1_000
# A token is renewed this long before the registry said it expires (or at a tenth of its life,
# when that is shorter), so that it never expires between being read and reaching the registry.
TOKEN_MARGIN_S = 30.0
# A token answer without `expires_in` (it is only RECOMMENDED by RFC 6749) is kept this long.
TOKEN_DEFAULT_LIFETIME_S = 60.0

# The standard's `Error.code` for a registry that cannot be reached, reused for transport failures.
UNAVAILABLE = "err.service.unavailable"
# Not standard codes: the answer arrived but is not what the standard says it should be.
BAD_RESPONSE = "err.response.invalid"
TOO_MANY_PAGES = "err.response.too_many_pages"
BAD_SIGNATURE = "err.signature.invalid"

QueryType = Literal["idtype-value", "expression", "predicate"]
Entity = Literal["Group", "Member"]
Signer = Callable[[dict[str, Any], dict[str, Any]], str]
Verifier = Callable[[str | None, dict[str, Any], dict[str, Any]], None]
PREDICATE_OPERATORS = ("gt", "lt", "eq", "ge", "le", "in")


class DciError(Exception):
    """Base of what this client raises."""


class DciClientError(DciError):
    """The exchange failed: the registry could not be reached, refused the credentials or the
    message, or answered outside the standard. `code` is the standard's `errors[0].code` (or the
    OAuth2 `error`, or one of this module's codes), `reason_code` the header's
    `status_reason_code` when the registry sent one."""

    def __init__(
        self, code: str, message: str, http_status: int | None = None, *, reason_code: str | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.reason_code = reason_code

    @property
    def transient(self) -> bool:
        """Worth trying again later (nothing in the request itself is wrong)."""
        if self.code in (TOO_MANY_PAGES, BAD_SIGNATURE):
            return False
        return self.http_status is None or self.http_status >= 500 or self.code == BAD_RESPONSE


class DciSearchRefusedError(DciError):
    """The registry answered, but refused the search item (`status: rjct`)."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(f"{reason_code}: {message}")
        self.reason_code = reason_code
        self.message = message


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of a search's answer."""

    records: list[dict[str, Any]]
    total_count: int
    page_size: int
    page_number: int
    reg_record_type: str | None
    correlation_id: str | None
    transaction_id: str


def new_id() -> str:
    return uuid.uuid4().hex


def now_ts() -> str:
    """ISO 8601 with its timezone, as the standard requires of every timestamp."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def wire_value(value: object) -> object:
    """A query value as it must travel: a string, never a JSON number (see the module's note).
    A whole float is sent as its digits (`3100000001.0` → `"3100000001"`); a list (for `in`) as
    the comma-separated string servers accept, the standard's value not being an array."""
    if isinstance(value, bool) or value is None or isinstance(value, dict):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return ",".join(str(wire_value(v)) for v in value)
    return value


def idtype_value(id_type: str, value: str | int) -> dict[str, Any]:
    """An `idtype-value` query, its value always a string."""
    return {"type": id_type, "value": wire_value(value)}


def predicate(*expressions: tuple[str, str, object]) -> list[dict[str, Any]]:
    """A `predicate` query: each `(attribute, operator, value)` an item, all of them ANDed (items
    are ANDed by the standard's reading; `seq_num` keeps the order)."""
    items: list[dict[str, Any]] = []
    for seq, (attribute, operator, value) in enumerate(expressions, start=1):
        if operator not in PREDICATE_OPERATORS:
            raise ValueError(f"operator {operator!r} is not one of {', '.join(PREDICATE_OPERATORS)}")
        items.append(
            {
                "seq_num": seq,
                "expression1": {"attribute_name": attribute, "operator": operator, "attribute_value": value},
            }
        )
    wired = _wire_predicate(items)
    assert isinstance(wired, list)
    return wired


def _wire_predicate(items: object) -> object:
    if not isinstance(items, list):
        return items
    wired: list[object] = []
    for item in items:
        if isinstance(item, Mapping):
            item = dict(item)
            for key in ("expression1", "expression2"):
                part = item.get(key)
                if isinstance(part, Mapping) and "attribute_value" in part:
                    item[key] = {**part, "attribute_value": wire_value(part["attribute_value"])}
        wired.append(item)
    return wired


def wire_query(query_type: str, query: object) -> object:
    """The query with every identifier and predicate value a string."""
    if query_type == "idtype-value" and isinstance(query, Mapping) and "value" in query:
        return {**query, "value": wire_value(query["value"])}
    if query_type == "predicate":
        return _wire_predicate(query)
    return query


def where(url: str) -> str:
    """scheme://host[:port] of a URL: what a message may name, without credentials, path or query."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def _json(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _lifetime(expires_in: object) -> float:
    """`expires_in` in seconds: a string in the standard's authorization API, a number in RFC 6749."""
    try:
        seconds = float(expires_in) if isinstance(expires_in, str | int | float) else TOKEN_DEFAULT_LIFETIME_S
    except ValueError:
        seconds = TOKEN_DEFAULT_LIFETIME_S
    return seconds if seconds > 0 else 0.0


class DciClient:
    """Calls to one registry's DCI root (`https://host/dci`), with its partner credentials.

    The client is thread-unsafe (one token cache); use one per thread. Close it, or use it as a
    context manager, when it opened its own HTTP client.
    """

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        sender_id: str = "sijill",
        signer: Signer | None = None,
        verify: Verifier | None = None,
        http: httpx.Client | None = None,
        timeout_s: float = 30,
        scope: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.sender_id = sender_id
        self.scope = scope
        self._signer = signer
        self._verify = verify
        self._own_http = http is None
        # Redirects are not followed: a bearer token must not be sent wherever a 3xx points.
        self._http = http if http is not None else httpx.Client(timeout=timeout_s, follow_redirects=False)
        self._timeout = timeout_s
        self._clock = clock
        self._token: str | None = None
        self._token_until = 0.0
        self.tokens_fetched = 0

    def __repr__(self) -> str:
        # Never the secret, never the token.
        return f"DciClient({where(self.base_url)!r}, client_id={self.client_id!r})"

    def __enter__(self) -> DciClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    # --- transport ------------------------------------------------------------------------------

    def _post(self, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.post(self.base_url + path, timeout=self._timeout, **kwargs)
        except httpx.HTTPError as exc:
            # The class name says what failed (ConnectError, ReadTimeout ...); the exception's own
            # text may quote the URL, so it is left out.
            raise DciClientError(
                UNAVAILABLE, f"the registry at {where(self.base_url)} did not answer ({type(exc).__name__})"
            ) from None

    # --- token ----------------------------------------------------------------------------------

    def _fetch_token(self) -> str:
        form = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._secret}
        if self.scope:
            form["scope"] = self.scope
        answer = self._post(TOKEN_PATH, data=form)
        body = _json(answer)
        if answer.status_code != 200:
            if isinstance(body, dict) and isinstance(body.get("error"), str):
                description = body.get("error_description")
                message = description if isinstance(description, str) else "the registry refused the credentials"
                raise DciClientError(body["error"], message[:500], answer.status_code)
            raise self._http_error(answer, body)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise DciClientError(BAD_RESPONSE, "the token answer holds no access_token", answer.status_code)
        lifetime = _lifetime(body.get("expires_in"))
        margin = min(TOKEN_MARGIN_S, lifetime / 10)
        self._token, self._token_until = token, self._clock() + lifetime - margin
        self.tokens_fetched += 1
        log.info("dci client: token fetched from %s (valid %.0f s)", where(self.base_url), lifetime)
        return token

    def token(self) -> str:
        """The bearer token: the cached one while it is valid, else a new one."""
        if self._token is not None and self._clock() < self._token_until:
            return self._token
        return self._fetch_token()

    def forget_token(self) -> None:
        self._token, self._token_until = None, 0.0

    def _authorized_post(self, path: str, envelope: dict[str, Any]) -> httpx.Response:
        answer = self._post(path, json=envelope, headers={"Authorization": f"Bearer {self.token()}"})
        if answer.status_code == 401:
            # Revoked, or the registry rotated its key: one new token, one more try.
            self.forget_token()
            answer = self._post(path, json=envelope, headers={"Authorization": f"Bearer {self.token()}"})
        return answer

    # --- answers --------------------------------------------------------------------------------

    def _http_error(self, answer: httpx.Response, body: object) -> DciClientError:
        code, message, reason = f"http.{answer.status_code}", f"the registry answered HTTP {answer.status_code}", None
        if isinstance(body, dict):
            errors = body.get("errors")
            first = _dict(errors[0]) if isinstance(errors, list) and errors else {}
            header = _dict(body.get("header"))
            reason = header.get("status_reason_code") if isinstance(header.get("status_reason_code"), str) else None
            if isinstance(first.get("code"), str):
                code = first["code"]
            elif reason is not None:
                code = reason
            text = first.get("message") or header.get("status_reason_message")
            if isinstance(text, str) and text:
                message = text[:999]
        return DciClientError(code, message, answer.status_code, reason_code=reason)

    def _message(self, answer: httpx.Response) -> dict[str, Any]:
        """The answer's `message`, once its status, shape and (when asked) signature are checked."""
        body = _json(answer)
        if answer.status_code >= 400:
            raise self._http_error(answer, body)
        if not isinstance(body, dict) or not isinstance(body.get("header"), dict):
            raise DciClientError(BAD_RESPONSE, "the answer is not a DCI envelope", answer.status_code)
        header: dict[str, Any] = body["header"]
        if header.get("status") == "rjct":
            raise self._http_error(answer, body)
        message = body.get("message")
        if not isinstance(message, dict):
            raise DciClientError(BAD_RESPONSE, "the answer holds no message", answer.status_code)
        if self._verify is not None:
            signature = body.get("signature")
            try:
                self._verify(signature if isinstance(signature, str) else None, header, message)
            except Exception as exc:  # whatever the verifier raises, the answer is not trusted
                raise DciClientError(
                    BAD_SIGNATURE, f"the answer's signature was not accepted ({type(exc).__name__})"
                ) from exc
        return message

    def _envelope(self, action: str, message: dict[str, Any], total_count: int) -> dict[str, Any]:
        header: dict[str, Any] = {
            "version": VERSION,
            "message_id": new_id(),
            "message_ts": now_ts(),
            "action": action,
            "sender_id": self.sender_id,
            "total_count": total_count,
            "is_msg_encrypted": False,
        }
        envelope: dict[str, Any] = {"header": header, "message": message}
        if self._signer is not None:
            envelope = {"signature": self._signer(header, message), **envelope}
        return envelope

    # --- search ---------------------------------------------------------------------------------

    def search(
        self,
        query_type: QueryType,
        query: object,
        *,
        entity: Entity = "Group",
        page_size: int = DEFAULT_PAGE_SIZE,
        page_number: int = 1,
        sort: Sequence[tuple[str, Literal["asc", "desc"]]] | None = None,
        locale: str = "fra",
        reg_type: str = REG_TYPE,
        consent: dict[str, Any] | None = None,
        transaction_id: str | None = None,
    ) -> SearchPage:
        """One page of a sync search. Raises DciSearchRefusedError when the registry refuses the
        query, DciClientError when the exchange itself fails."""
        transaction = transaction_id or new_id()
        reference_id = new_id()
        criteria: dict[str, Any] = {
            "version": VERSION,
            "reg_type": reg_type,
            "query_type": query_type,
            "query": wire_query(query_type, query),
            "response_entity": entity,
            "sort": [{"attribute_name": name, "sort_order": order} for name, order in sort or ()],
            "pagination": {"page_size": int(page_size), "page_number": int(page_number)},
        }
        if consent is not None:
            criteria["consent"] = consent
        message = {
            "transaction_id": transaction,
            "search_request": [
                {"reference_id": reference_id, "timestamp": now_ts(), "search_criteria": criteria, "locale": locale}
            ],
        }
        answer = self._authorized_post(SEARCH_PATH, self._envelope("search", message, 1))
        answered = self._message(answer)
        item = self._item(answered, reference_id, answer.status_code)
        data = _dict(item.get("data"))
        records = data.get("reg_records", [])
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise DciClientError(BAD_RESPONSE, "data.reg_records is not a list of records", answer.status_code)
        pagination = _dict(item.get("pagination"))
        total = _count(pagination.get("total_count"), len(records))
        page = SearchPage(
            records=records,
            total_count=total,
            page_size=_count(pagination.get("page_size"), page_size),
            page_number=_count(pagination.get("page_number"), page_number),
            reg_record_type=data.get("reg_record_type") if isinstance(data.get("reg_record_type"), str) else None,
            correlation_id=answered.get("correlation_id") if isinstance(answered.get("correlation_id"), str) else None,
            transaction_id=transaction,
        )
        log.info(
            "dci client: %s search on %s, %s page %d: %d record(s) of %d",
            query_type,
            where(self.base_url),
            entity,
            page.page_number,
            len(records),
            total,
        )
        return page

    @staticmethod
    def _item(message: dict[str, Any], reference_id: str, status: int) -> dict[str, Any]:
        items = message.get("search_response")
        if not isinstance(items, list) or not items:
            raise DciClientError(BAD_RESPONSE, "the answer holds no search_response", status)
        item = next((i for i in items if isinstance(i, dict) and i.get("reference_id") == reference_id), None)
        # A registry that does not echo the reference still answered the only item asked.
        if item is None and len(items) == 1 and isinstance(items[0], dict):
            item = items[0]
        if item is None:
            raise DciClientError(BAD_RESPONSE, "the answer does not answer the search item", status)
        if item.get("status") == "rjct":
            reason = item.get("status_reason_code")
            text = item.get("status_reason_message")
            raise DciSearchRefusedError(
                reason if isinstance(reason, str) else "rjct",
                text[:999] if isinstance(text, str) else "the registry refused the search",
            )
        if item.get("status") != "succ":
            raise DciClientError(BAD_RESPONSE, f"the search item's status is {item.get('status')!r}", status)
        return item

    def search_pages(
        self,
        query_type: QueryType,
        query: object,
        *,
        entity: Entity = "Group",
        page_size: int = DEFAULT_PAGE_SIZE,
        sort: Sequence[tuple[str, Literal["asc", "desc"]]] | None = None,
        locale: str = "fra",
        reg_type: str = REG_TYPE,
        consent: dict[str, Any] | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[SearchPage]:
        """Every page of a search, from the first, in one transaction: stops once `total_count`
        records came (or a page came empty). A registry still announcing more after `max_pages`
        pages raises DciClientError rather than being followed forever."""
        transaction = new_id()
        received = 0
        for number in range(1, max_pages + 1):
            page = self.search(
                query_type,
                query,
                entity=entity,
                page_size=page_size,
                page_number=number,
                sort=sort,
                locale=locale,
                reg_type=reg_type,
                consent=consent,
                transaction_id=transaction,
            )
            received += len(page.records)
            yield page
            if not page.records or received >= page.total_count:
                return
        raise DciClientError(
            TOO_MANY_PAGES, f"the registry still announces more records after {max_pages} pages; narrow the query"
        )

    def search_all(
        self,
        query_type: QueryType,
        query: object,
        *,
        entity: Entity = "Group",
        page_size: int = DEFAULT_PAGE_SIZE,
        sort: Sequence[tuple[str, Literal["asc", "desc"]]] | None = None,
        locale: str = "fra",
        reg_type: str = REG_TYPE,
        consent: dict[str, Any] | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[dict[str, Any]]:
        """Every record of a search, across its pages (see search_pages)."""
        for page in self.search_pages(
            query_type,
            query,
            entity=entity,
            page_size=page_size,
            sort=sort,
            locale=locale,
            reg_type=reg_type,
            consent=consent,
            max_pages=max_pages,
        ):
            yield from page.records

    # --- transaction status ---------------------------------------------------------------------

    def txn_status(
        self,
        attribute_type: Literal["transaction_id", "correlation_id", "reference_id_list"],
        attribute_value: str | list[str],
        *,
        txn_type: Literal["search", "subscribe"] = "search",
        locale: str = "fra",
    ) -> dict[str, Any]:
        """The registry's `txnstatus_response` for an earlier transaction of this client."""
        message = {
            "transaction_id": new_id(),
            "txnstatus_request": {
                "reference_id": new_id(),
                "txn_type": txn_type,
                "attribute_type": attribute_type,
                "attribute_value": attribute_value,
                "locale": locale,
            },
        }
        answer = self._authorized_post(TXN_STATUS_PATH, self._envelope("txn-status", message, 1))
        response = self._message(answer).get("txnstatus_response")
        if not isinstance(response, dict):
            raise DciClientError(BAD_RESPONSE, "the answer holds no txnstatus_response", answer.status_code)
        return response


def _count(value: object, default: int) -> int:
    """A count the registry sent, maybe as a string or a float; its absence or nonsense: `default`."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return default
