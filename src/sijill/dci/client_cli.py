"""`sijill dci search URL` and `sijill dci txn-status URL`: query another registry's DCI API.

Exit codes (docs/dci-client.md): 2 when the command or the query is wrong, or the registry
refused it (credentials, query, message): something must change before trying again; 1 when
the registry could not be reached, failed (5xx) or answered outside the standard: trying again
later may work.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
import typer
from rich.table import Table
from rich.text import Text as RichText

from sijill.cli_support import console, err_console
from sijill.config import get_settings
from sijill.dci.client import (
    BAD_RESPONSE,
    PREDICATE_OPERATORS,
    UNAVAILABLE,
    DciClient,
    DciClientError,
    DciSearchRefusedError,
    Entity,
    QueryType,
    idtype_value,
    predicate,
    where,
)
from sijill.dci.signing import signer, verify_with_jwks
from sijill.errors import SijillError, Text, invalid

DEFAULT_SECRET_ENV = "SIJILL_DCI_CLIENT_SECRET"  # noqa: S105 (the variable's name, not a secret)
ENTITIES: tuple[Entity, ...] = ("Group", "Member")
LOCALES = ("ara", "fra")
MAX_PAGE_SIZE = 1_000
SYMBOLS = {"<=": "le", ">=": "ge", "<": "lt", ">": "gt", "=": "eq", "==": "eq"}
_PREDICATE_RE = re.compile(
    r"\s*(?P<attr>[A-Za-z_][\w.\-]*)\s*"
    r"(?:(?P<symbol><=|>=|==|=|<|>)|\s(?P<word>gt|lt|eq|ge|le|in)\s)"
    r"\s*(?P<value>\S.*?)\s*",
    re.IGNORECASE,
)
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

UrlArgument = Annotated[str, typer.Argument(help="the registry's DCI root, e.g. https://crvs.example.ma/dci")]
ClientIdOption = Annotated[str, typer.Option("--client-id", help="this system's client id at that registry")]
SecretEnvOption = Annotated[
    str, typer.Option("--secret-env", help="environment variable holding the client secret (never on the command line)")
]
IdTypeOption = Annotated[str | None, typer.Option("--idtype", help="identifier type: UIN, IDCS, CIN, HOUSEHOLD_ID ...")]
ValueOption = Annotated[str | None, typer.Option("--value", help="identifier value (with --idtype)")]
ExpressionOption = Annotated[
    str | None, typer.Option("--expression", help='a MongoDB-style query as JSON, e.g. {"age": {"$gte": 60}}')
]
PredicateOption = Annotated[
    list[str] | None,
    typer.Option("--predicate", help="'ATTR OP VALUE' (OP: gt lt eq ge le in, or < <= = >= >); repeat to AND"),
]
PageSizeOption = Annotated[int, typer.Option("--page-size", help="records per page")]
LocaleOption = Annotated[str, typer.Option("--locale", help="ara or fra: the language of names and messages")]
SenderOption = Annotated[str, typer.Option("--sender-id", help="header.sender_id, as registered at that registry")]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="seconds to wait for each answer")]
JwksOption = Annotated[
    str | None,
    typer.Option("--jwks", help="the registry's published keys (JWKS URL): its answers must be signed with them"),
]


def _wrong(field: str, value: object, rule: Text, fix: Text) -> SijillError:
    return invalid(field, value, rule, fix)


def dci_client(
    url: str, client_id: str, secret_env: str, *, sender_id: str, timeout_s: float, jwks_url: str | None = None
) -> DciClient:
    """A client for the registry at `url`, its secret read from the environment variable named.
    What it sends is signed with Sijill's key (as `sender_id`); with `jwks_url`, the registry's
    answers are checked against the keys it publishes there and refused unsigned or altered."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise _wrong(
            "url",
            where(url) if parts.scheme in ("http", "https") else url.split(":", 1)[0][:20],
            Text(
                "عنوان http أو https لجذر DCI للسجل، بدون اسم مستخدم أو كلمة سر",
                "une adresse http ou https de la racine DCI du registre, sans identifiant ni mot de passe",
                "an http or https URL of the registry's DCI root, without user or password",
            ),
            Text(
                "مثال: https://crvs.example.ma/dci",
                "exemple : https://crvs.example.ma/dci",
                "e.g. https://crvs.example.ma/dci",
            ),
        )
    if not client_id.strip():
        raise _wrong(
            "client-id",
            client_id,
            Text("معرف العميل إجباري", "l'identifiant client est obligatoire", "the client id is required"),
            Text(
                "المعرف الذي سجلكم به السجل الآخر",
                "celui que l'autre registre vous a attribué",
                "the one the registry gave you",
            ),
        )
    if not _ENV_NAME_RE.fullmatch(secret_env):
        raise _wrong(
            "secret-env",
            secret_env,
            Text("اسم متغير بيئة", "un nom de variable d'environnement", "an environment variable name"),
            Text(
                "مثال: SIJILL_DCI_CLIENT_SECRET", "exemple : SIJILL_DCI_CLIENT_SECRET", "e.g. SIJILL_DCI_CLIENT_SECRET"
            ),
        )
    secret = os.environ.get(secret_env, "")
    if not secret:
        raise _wrong(
            "secret-env",
            secret_env,
            Text(
                f"متغير البيئة {secret_env} غير معرف أو فارغ",
                f"la variable d'environnement {secret_env} est absente ou vide",
                f"the environment variable {secret_env} is not set or empty",
            ),
            Text(
                f"ضعوا فيه السر الذي سلمه السجل: export {secret_env}=...",
                f"mettez-y le secret remis par le registre : export {secret_env}=...",
                f"put the registry's client secret in it: export {secret_env}=...",
            ),
        )
    if parts.scheme == "http" and not _loopback(parts.hostname):
        err_console.print(
            "warning: the client secret and the records travel unencrypted over http; use https\n"
            "تنبيه: السر والسجلات تمر بدون تشفير عبر http؛ استعملوا https\n"
            "attention : le secret et les enregistrements circulent en clair sur http ; utilisez https",
            markup=False,
        )
    verify = _answer_verifier(jwks_url, timeout_s) if jwks_url else None
    return DciClient(
        url,
        client_id.strip(),
        secret,
        sender_id=sender_id,
        timeout_s=timeout_s,
        signer=signer(get_settings(), sender_id),
        verify=verify,
    )


def _answer_verifier(jwks_url: str, timeout_s: float) -> Callable[[str | None, dict[str, Any], dict[str, Any]], None]:
    if urlsplit(jwks_url).scheme not in ("http", "https"):
        raise _wrong(
            "jwks",
            jwks_url.split(":", 1)[0][:20],
            Text("عنوان http أو https", "une adresse http ou https", "an http or https URL"),
            Text(
                "مثال: https://crvs.example.ma/dci/.well-known/jwks.json",
                "exemple : https://crvs.example.ma/dci/.well-known/jwks.json",
                "e.g. https://crvs.example.ma/dci/.well-known/jwks.json",
            ),
        )
    try:
        answer = httpx.get(jwks_url, timeout=timeout_s, follow_redirects=False)
        published = answer.json() if answer.is_success else None
    except (httpx.HTTPError, ValueError) as exc:
        raise DciClientError(UNAVAILABLE, f"the registry's JWKS could not be read ({type(exc).__name__})") from None
    if not isinstance(published, dict) or not isinstance(published.get("keys"), list):
        status = answer.status_code
        raise DciClientError(BAD_RESPONSE, f"no JWKS at {where(jwks_url)} (HTTP {status})", status)

    def verify(signature: str | None, header: dict[str, Any], message: dict[str, Any]) -> None:
        verify_with_jwks(signature, header, message, published)

    return verify


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_predicate(text: str) -> tuple[str, str, str]:
    """`'age >= 60'`, `'sex eq female'`, `'province_code in 03.02,04.04'` → (attribute, operator, value)."""
    found = _PREDICATE_RE.fullmatch(text)
    if found is None:
        raise _wrong(
            "predicate",
            text,
            Text(
                "صيغة «الحقل العامل القيمة»، والعامل أحد gt lt eq ge le in أو < <= = >= >",
                "la forme « CHAMP OPÉRATEUR VALEUR », l'opérateur parmi gt lt eq ge le in ou < <= = >= >",
                "the form 'ATTR OP VALUE', OP one of gt lt eq ge le in or < <= = >= >",
            ),
            Text(
                "مثال: --predicate 'age ge 60' --predicate 'sex eq female'",
                "exemple : --predicate 'age ge 60' --predicate 'sex eq female'",
                "e.g. --predicate 'age ge 60' --predicate 'sex eq female'",
            ),
        )
    operator = SYMBOLS[found["symbol"]] if found["symbol"] else found["word"].lower()
    assert operator in PREDICATE_OPERATORS
    return found["attr"], operator, found["value"]


def query_options(
    idtype: str | None, value: str | None, expression: str | None, predicates: list[str] | None
) -> tuple[QueryType, object]:
    """The one query the options give: an identifier, an expression or predicates."""
    kinds = [
        kind
        for kind, given in (("idtype", idtype or value), ("expression", expression), ("predicate", predicates))
        if given
    ]
    if len(kinds) != 1:
        raise _wrong(
            "query",
            ", ".join(f"--{k}" for k in kinds) or "-",
            Text(
                "يلزم نوع واحد من الاستعلام بالضبط",
                "il faut exactement une sorte de requête",
                "exactly one kind of query is needed",
            ),
            Text(
                "إما --idtype و--value، أو --expression، أو --predicate (قابل للتكرار)",
                "soit --idtype et --value, soit --expression, soit --predicate (répétable)",
                "either --idtype with --value, or --expression, or --predicate (repeatable)",
            ),
        )
    if kinds[0] == "idtype":
        if not idtype or not value or not value.strip():
            raise _wrong(
                "idtype" if not idtype else "value",
                idtype or value,
                Text(
                    "--idtype و--value تعطيان معا",
                    "--idtype et --value vont ensemble",
                    "--idtype and --value go together",
                ),
                Text(
                    "مثال: --idtype UIN --value 3100000001",
                    "exemple : --idtype UIN --value 3100000001",
                    "e.g. --idtype UIN --value 3100000001",
                ),
            )
        return "idtype-value", idtype_value(idtype.strip(), value.strip())
    if kinds[0] == "expression":
        assert expression is not None
        return "expression", _expression(expression)
    assert predicates is not None
    return "predicate", predicate(*(parse_predicate(p) for p in predicates))


def _expression(raw: str) -> dict[str, Any]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not parsed:
        raise _wrong(
            "expression",
            raw[:60],
            Text("كائن JSON غير فارغ", "un objet JSON non vide", "a non-empty JSON object"),
            Text(
                'مثال: --expression \'{"age": {"$gte": 60}}\'',
                'exemple : --expression \'{"age": {"$gte": 60}}\'',
                'e.g. --expression \'{"age": {"$gte": 60}}\'',
            ),
        )
    # The whole standard form is sent as given; a bare MongoDB query is wrapped in it.
    if "value" in parsed and "type" in parsed:
        return parsed
    return {"type": "ns:org:QueryType:expression", "value": {"expression": {"query": parsed}}}


def check_paging(page_size: int, page: int = 1, *, max_pages: int = 1) -> None:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise _wrong(
            "page-size",
            page_size,
            Text(
                f"عدد من 1 إلى {MAX_PAGE_SIZE}",
                f"un nombre de 1 à {MAX_PAGE_SIZE}",
                f"a number from 1 to {MAX_PAGE_SIZE}",
            ),
            Text("مثال: --page-size 100", "exemple : --page-size 100", "e.g. --page-size 100"),
        )
    if page < 1 or max_pages < 1:
        raise _wrong(
            "page" if page < 1 else "max-pages",
            page if page < 1 else max_pages,
            Text(
                "عدد من 1 فما فوق: الصفحات مرقمة من 1",
                "un nombre d'au moins 1 : les pages comptent à partir de 1",
                "a number of at least 1: pages count from 1",
            ),
            Text("مثال: 2", "exemple : 2", "e.g. 2"),
        )


def check_locale(locale: str) -> None:
    if locale not in LOCALES:
        raise _wrong(
            "locale",
            locale,
            Text("ara أو fra", "ara ou fra", "ara or fra"),
            Text("مثال: --locale ara", "exemple : --locale ara", "e.g. --locale ara"),
        )


def _entity(entity: str) -> Entity:
    for known in ENTITIES:
        if entity.lower() == known.lower():
            return known
    raise _wrong(
        "entity",
        entity,
        Text("Group أو Member", "Group ou Member", "Group or Member"),
        Text("مثال: --entity Member", "exemple : --entity Member", "e.g. --entity Member"),
    )


@contextmanager
def dci_errors() -> Iterator[None]:
    """The client's errors as a person reads them: a refusal exits 2, an unreachable or failing
    registry exits 1 (nothing to change in the command; try again later)."""
    try:
        yield
    except DciSearchRefusedError as refused:
        raise SijillError(
            code="dci_search_refused",
            status=422,
            field="query",
            value=refused.reason_code,
            message=Text(
                f"رفض السجل البحث ({refused.reason_code}): {refused.message}",
                f"Le registre a refusé la recherche ({refused.reason_code}) : {refused.message}",
                f"the registry refused the search ({refused.reason_code}): {refused.message}",
            ),
            fix=Text("صححوا الاستعلام", "Corrigez la requête", "correct the query"),
        ) from None
    except DciClientError as failed:
        code = failed.code + (
            f", {failed.reason_code}" if failed.reason_code and failed.reason_code != failed.code else ""
        )
        if failed.transient:
            err_console.print(
                f"تعذر الحصول على جواب السجل ({code}): {failed.message}\n"
                f"Le registre n'a pas pu répondre ({code}) : {failed.message}\n"
                f"the registry could not answer ({code}): {failed.message}\n"
                "أعيدوا المحاولة لاحقا / réessayez plus tard / try again later",
                markup=False,
            )
            raise typer.Exit(1) from None
        raise SijillError(
            code="dci_refused",
            status=422,
            field="registry",
            value=failed.code,
            message=Text(
                f"رفض السجل الطلب ({code}): {failed.message}",
                f"Le registre a refusé la demande ({code}) : {failed.message}",
                f"the registry refused the request ({code}): {failed.message}",
            ),
            fix=Text(
                "تحققوا من معرف العميل والسر والاستعلام",
                "Vérifiez l'identifiant client, le secret et la requête",
                "check the client id, the secret and the query",
            ),
        ) from None


# --- output -------------------------------------------------------------------------------------


def _identifiers(record: dict[str, Any]) -> str:
    found = record.get("group_identifier") or record.get("member_identifier") or record.get("identifier") or []
    if not isinstance(found, list):
        return ""
    return " ".join(f"{i.get('identifier_type')}:{i.get('identifier_value')}" for i in found if isinstance(i, dict))


def _person(record: dict[str, Any]) -> dict[str, Any]:
    """Whose name a row shows: the member's, or a household's head."""
    for candidate in (record.get("demographic_info"), _dict(record.get("group_head_info")).get("demographic_info")):
        if isinstance(candidate, dict):
            return candidate
    return record


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _name(person: dict[str, Any]) -> str:
    names = person.get("name")
    for name in names if isinstance(names, list) else [names]:
        if isinstance(name, dict):
            return " ".join(str(name[k]) for k in ("given_name", "second_name", "surname") if name.get(k))
        if isinstance(name, str):
            return name
    return ""


def _details(record: dict[str, Any]) -> str:
    parts = []
    if "group_size" in record:
        parts.append(f"size {record['group_size']}")
    if "poverty_score" in record:
        parts.append(f"score {record['poverty_score']}")
    if isinstance(record.get("member_list"), list):
        parts.append(f"{len(record['member_list'])} members")
    for attribute in record.get("additional_attributes") or []:
        if isinstance(attribute, dict) and "household_id" in attribute:
            parts.append(str(attribute["household_id"]))
    return ", ".join(parts)


def _table(records: list[dict[str, Any]], first: int) -> Table:
    table = Table("#", "type", "identifiers", "name", "sex", "birth", "details")
    for number, record in enumerate(records, start=first):
        person = _person(record)
        # Records come from another system: shown as plain text, never read as console markup.
        cells = [
            str(record.get("@type", "")),
            _identifiers(record),
            _name(person),
            str(person.get("sex", "")),
            str(person.get("birth_date", "")),
            _details(record),
        ]
        table.add_row(str(number), *(RichText(cell) for cell in cells))
    return table


def _writer(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix not in (".jsonl", ".json"):
        raise _wrong(
            "out",
            out.name,
            Text("ملف ‎.jsonl أو ‎.json", "un fichier .jsonl ou .json", "a .jsonl or .json file"),
            Text("مثال: --out records.jsonl", "exemple : --out records.jsonl", "e.g. --out records.jsonl"),
        )
    if not out.parent.is_dir():
        raise _wrong(
            "out",
            str(out.parent),
            Text("مجلد موجود", "un dossier existant", "an existing folder"),
            Text("أنشئوا المجلد أولا", "créez d'abord le dossier", "create the folder first"),
        )
    return suffix


def search_command(
    url: UrlArgument,
    client_id: ClientIdOption,
    secret_env: SecretEnvOption = DEFAULT_SECRET_ENV,
    idtype: IdTypeOption = None,
    value: ValueOption = None,
    expression: ExpressionOption = None,
    predicate_text: PredicateOption = None,
    entity: Annotated[str, typer.Option("--entity", help="Group (households) or Member (persons)")] = "Group",
    page_size: PageSizeOption = 20,
    page: Annotated[int, typer.Option("--page", help="the page to fetch, from 1")] = 1,
    all_pages: Annotated[bool, typer.Option("--all", help="every page, from the first")] = False,
    locale: LocaleOption = "fra",
    out: Annotated[Path | None, typer.Option("--out", help="write the records to a .jsonl or .json file")] = None,
    sender_id: SenderOption = "sijill",
    timeout: TimeoutOption = 30.0,
    jwks: JwksOption = None,
) -> None:
    """Search another registry through its DCI API and show (or write) the records."""
    query_type, query = query_options(idtype, value, expression, predicate_text)
    wanted = _entity(entity)
    check_paging(page_size, page)
    check_locale(locale)
    suffix = _writer(out) if out is not None else None
    records: list[dict[str, Any]] = []
    total = 0
    pages = 0
    with (
        dci_errors(),
        dci_client(url, client_id, secret_env, sender_id=sender_id, timeout_s=timeout, jwks_url=jwks) as client,
    ):
        if all_pages:
            for answered in client.search_pages(query_type, query, entity=wanted, page_size=page_size, locale=locale):
                records += answered.records
                total, pages = answered.total_count, pages + 1
        else:
            answered = client.search(
                query_type, query, entity=wanted, page_size=page_size, page_number=page, locale=locale
            )
            records, total, pages = answered.records, answered.total_count, 1
    first = 1 if all_pages else (page - 1) * page_size + 1
    if out is not None:
        with out.open("w", encoding="utf-8") as handle:
            if suffix == ".jsonl":
                for record in records:
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                json.dump(records, handle, ensure_ascii=False, indent=1)
        console.print(f"{len(records):,} records of {total:,} ({pages} page(s)) → {out}", markup=False)
        return
    if records:
        console.print(_table(records, first))
    shown = f"records {first:,}-{first + len(records) - 1:,}" if records else "no record"
    console.print(f"{shown} of {total:,} ({wanted}, {pages} page(s))", markup=False)


def txn_status_command(
    url: UrlArgument,
    client_id: ClientIdOption,
    secret_env: SecretEnvOption = DEFAULT_SECRET_ENV,
    transaction_id: Annotated[str | None, typer.Option("--transaction-id", help="the transaction asked about")] = None,
    correlation_id: Annotated[
        str | None, typer.Option("--correlation-id", help="or the registry's correlation id")
    ] = None,
    sender_id: SenderOption = "sijill",
    timeout: TimeoutOption = 30.0,
    jwks: JwksOption = None,
) -> None:
    """The state of an earlier search of this client at that registry (printed as JSON)."""
    if (transaction_id is None) == (correlation_id is None):
        raise _wrong(
            "transaction-id",
            "-",
            Text(
                "يلزم --transaction-id أو --correlation-id (واحد فقط)",
                "il faut --transaction-id ou --correlation-id (un seul)",
                "one of --transaction-id or --correlation-id is needed",
            ),
            Text(
                "مثال: --correlation-id 9f2c...", "exemple : --correlation-id 9f2c...", "e.g. --correlation-id 9f2c..."
            ),
        )
    with (
        dci_errors(),
        dci_client(url, client_id, secret_env, sender_id=sender_id, timeout_s=timeout, jwks_url=jwks) as client,
    ):
        if transaction_id is not None:
            answer = client.txn_status("transaction_id", transaction_id)
        else:
            assert correlation_id is not None
            answer = client.txn_status("correlation_id", correlation_id)
    console.print_json(json.dumps(answer, ensure_ascii=False))


def register_client_commands(app: typer.Typer) -> None:
    """Add `search` and `txn-status` to the `sijill dci` commands."""
    app.command("search")(search_command)
    app.command("txn-status")(txn_status_command)
