"""Another registry's persons, read through its DCI API, imported as that registry's extract.

The records are paged in with the DCI client, mapped to the columns of a registry extract
(docs/registries.md) and handed to the file import (`registries.import_registry`) as a Parquet
file: the same checks, the same replacement of the registry's previous extract, the same exact
links by IDCS then CIN. Nothing of the import is done here a second time.

Member records are read as Sijill's own DCI server writes them (dci/mapping.py) and as the
spdci classes allow others to: identifiers in `member_identifier` (or a person's `identifier`),
the person in `demographic_info` (or the record itself), a name as one `Name` or a list of them
in several scripts, a birth date as a day or a year. A Group record's members are read too, with
the household's address.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.dci.client import DEFAULT_MAX_PAGES, DciClient, QueryType, where
from sijill.linkage.registries import REGISTRIES, RegistryImportReport, import_registry, unknown_registry

# The columns of a registry extract this import fills (registries.IDENTITY_COLUMNS and the id);
# the others are the record's own attributes, kept as received.
COLUMNS = (
    "registry_record_id",
    "idcs",
    "cin",
    "given_name_lat",
    "family_name_lat",
    "birth_date",
    "birth_year",
    "sex",
    "given_name_ar",
    "family_name_ar",
    "identifiers",
    "household_id",
    "region_code",
    "sub_region_code",
    "locality",
    "postal_code",
    "country_code",
)
NAME_LENGTH = 100
RECORD_ID_LENGTH = 64
_ARABIC_RE = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF]")
_IDCS_RE = re.compile(r"[0-9]{10}")
_DAY_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_YEAR_RE = re.compile(r"([0-9]{4})(?:-[0-9]{2})?")
# Identifier types read as the register's IDCS: Sijill's own servers send the IDCS as the
# standard's generic UIN.
IDCS_TYPES = frozenset({"IDCS", "UIN"})
ADDRESS_PARTS = ("region_code", "sub_region_code", "locality", "postal_code", "country_code")


@dataclass
class DciFetch:
    """What came from the registry: the extract's rows, and the records left out, by reason."""

    source: str
    rows: list[dict[str, str | None]]
    fetched: int = 0
    total_count: int = 0
    pages: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class DciImportReport:
    registry: str
    source: str
    fetched: int
    total_count: int
    pages: int
    imported: int
    # reason → records: no identifier, the same record twice, a row the import refused ...
    skipped: dict[str, int]
    # None when nothing was imported (no record: the registry's previous extract stays).
    extract: RegistryImportReport | None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object, limit: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = " ".join(str(value).split())
    return text[:limit] or None


def _id_type(raw: object) -> str:
    # Namespaced types (`spdci:IdentifierType:UIN`) are read by their last part.
    return str(raw).rsplit(":", 1)[-1].strip().upper() if raw is not None else ""


def _identifiers(record: dict[str, Any], person: dict[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for listed in (record.get("member_identifier"), record.get("identifier"), person.get("identifier")):
        for item in listed if isinstance(listed, list) else [listed] if isinstance(listed, dict) else []:
            item = _dict(item)
            value = _text(item.get("identifier_value", item.get("value")), 200)
            kind = _id_type(item.get("identifier_type", item.get("type")))
            if value and (kind, value) not in found:
                found.append((kind, value))
    return found


def _names(person: dict[str, Any]) -> tuple[tuple[str | None, str | None], tuple[str | None, str | None]]:
    """((given, family) in Latin script, the same in Arabic script), each the first one given."""
    latin: tuple[str | None, str | None] = (None, None)
    arabic: tuple[str | None, str | None] = (None, None)
    names = person.get("name")
    for name in names if isinstance(names, list) else [names]:
        name = _dict(name)
        given = _text(name.get("given_name"), NAME_LENGTH)
        family = _text(name.get("surname", name.get("family_name")), NAME_LENGTH)
        if not given and not family:
            continue
        if _ARABIC_RE.search(f"{given or ''}{family or ''}"):
            arabic = arabic if any(arabic) else (given, family)
        else:
            latin = latin if any(latin) else (given, family)
    return latin, arabic


def _birth(raw: object) -> tuple[str | None, str | None]:
    """(day, year) as the extract's columns take them; a year alone, or nothing, when that is all."""
    text = raw.strip()[:10] if isinstance(raw, str) else ""
    day = _DAY_RE.fullmatch(text)
    if day is not None:
        try:
            return date(int(day[1]), int(day[2]), int(day[3])).isoformat(), day[1]
        except ValueError:
            return None, day[1]
    year = _YEAR_RE.fullmatch(text)
    return (None, year[1]) if year is not None else (None, None)


def _address(*holders: dict[str, Any]) -> dict[str, str | None]:
    for holder in holders:
        address = holder.get("address")
        first = _dict(address[0] if isinstance(address, list) and address else address)
        if first:
            return {part: _text(first.get(part), 40) for part in ADDRESS_PARTS}
    return {}


def _household(record: dict[str, Any]) -> str | None:
    for attribute in record.get("additional_attributes") or []:
        if isinstance(attribute, dict) and "household_id" in attribute:
            return _text(attribute["household_id"], 40)
    return None


def _members(record: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(member, where its address is) for a Member or Person record, or each member of a Group."""
    if record.get("@type") == "Group" or "group_identifier" in record:
        for member in record.get("member_list") or []:
            if isinstance(member, dict):
                yield member, record
        return
    yield record, record


def member_row(record: dict[str, Any], holder: dict[str, Any] | None = None) -> dict[str, str | None] | None:
    """One extract row from a DCI Member (or Person) record; None when it names nobody."""
    person = _dict(record.get("demographic_info")) or record
    identifiers = _identifiers(record, person)
    if not identifiers:
        return None
    (given_lat, family_lat), (given_ar, family_ar) = _names(person)
    birth_date, birth_year = _birth(person.get("birth_date"))
    idcs = next((v for k, v in identifiers if k in IDCS_TYPES and _IDCS_RE.fullmatch(v)), None)
    cin = next((v for k, v in identifiers if k == "CIN"), None)
    sex = person.get("sex", person.get("gender"))
    row: dict[str, str | None] = {
        # The registry's own id for its record: its first identifier, as the registry orders them.
        "registry_record_id": identifiers[0][1][:RECORD_ID_LENGTH],
        "idcs": idcs,
        "cin": cin,
        "given_name_lat": given_lat,
        "family_name_lat": family_lat,
        "birth_date": birth_date,
        "birth_year": birth_year,
        "sex": _text(sex, 20),
        "given_name_ar": given_ar,
        "family_name_ar": family_ar,
        "identifiers": " ".join(f"{k}:{v}" for k, v in identifiers),
        "household_id": _household(record),
    }
    row |= _address(record, person, holder or {})
    return {column: row.get(column) for column in COLUMNS}


def collect_rows(records: Iterable[dict[str, Any]], fetch: DciFetch) -> None:
    """Map records into `fetch`, counting those left out (a record is kept once per id)."""
    seen = {row["registry_record_id"] for row in fetch.rows}
    for record in records:
        fetch.fetched += 1
        if not isinstance(record, dict):
            fetch.skipped["not_a_record"] += 1
            continue
        members = list(_members(record))
        if not members:
            fetch.skipped["no_member"] += 1
        for member, holder in members:
            row = member_row(member, holder)
            if row is None:
                fetch.skipped["no_identifier"] += 1
            elif row["registry_record_id"] in seen:
                fetch.skipped["repeated"] += 1
            else:
                seen.add(row["registry_record_id"])
                fetch.rows.append(row)


def fetch_members(
    client: DciClient,
    query_type: QueryType,
    query: object,
    *,
    page_size: int = 100,
    locale: str = "fra",
    max_pages: int = DEFAULT_MAX_PAGES,
) -> DciFetch:
    """Every Member the query finds at the registry, as extract rows. No database is touched:
    the network is done with before a transaction opens."""
    fetch = DciFetch(source=where(client.base_url), rows=[])
    for page in client.search_pages(
        query_type, query, entity="Member", page_size=page_size, locale=locale, max_pages=max_pages
    ):
        fetch.pages += 1
        fetch.total_count = page.total_count
        collect_rows(page.records, fetch)
    return fetch


def check_registry(registry: str) -> None:
    if registry not in REGISTRIES:
        raise unknown_registry(registry)


def _refused_rows(error_file: str | None) -> Counter[str]:
    """The import's refusals by field and rule (no value: the error file's values are personal)."""
    if error_file is None or not Path(error_file).exists():
        return Counter()
    problems = pl.read_csv(error_file, infer_schema=False)
    first = problems.unique("row", keep="first", maintain_order=True)
    return Counter(f"invalid_{field}_{rule}" for field, rule in first.select("field", "rule").iter_rows())


def import_members(
    *, session: Session, actor: Actor, registry: str, fetch: DciFetch, extracted_on: date | None = None
) -> DciImportReport:
    """Make the fetched records `registry`'s current extract, through the file import."""
    actor.require(Permission.REGISTRY_IMPORT)
    check_registry(registry)
    skipped = Counter(fetch.skipped)
    extract: RegistryImportReport | None = None
    if fetch.rows:
        frame = pl.DataFrame(fetch.rows, schema=dict.fromkeys(COLUMNS, pl.String), orient="row")
        safe_source = re.sub(r"[^\w.\-]", "_", fetch.source.split("://", 1)[-1])
        with tempfile.TemporaryDirectory(prefix="sijill-dci-") as folder:
            path = Path(folder) / f"dci_{safe_source}.parquet"
            frame.write_parquet(path)
            # Rows the import's own checks refuse are left out and counted; the rest goes in.
            extract = import_registry(
                session=session, actor=actor, registry=registry, path=path, extracted_on=extracted_on, accept_valid=True
            )
            skipped += _refused_rows(extract.error_file)
        # The error file went with the temporary folder; its counts are in `skipped`.
        extract = dataclasses.replace(extract, error_file=None)
    return DciImportReport(
        registry=registry,
        source=fetch.source,
        fetched=fetch.fetched,
        total_count=fetch.total_count,
        pages=fetch.pages,
        imported=extract.records if extract else 0,
        skipped=dict(sorted(skipped.items())),
        extract=extract,
    )


def import_from_dci(
    *,
    session: Session,
    actor: Actor,
    client: DciClient,
    registry: str,
    query_type: QueryType,
    query: object,
    page_size: int = 100,
    locale: str = "fra",
    max_pages: int = DEFAULT_MAX_PAGES,
    extracted_on: date | None = None,
) -> DciImportReport:
    """Fetch then import, in one call (the CLI fetches first, then opens its transaction)."""
    actor.require(Permission.REGISTRY_IMPORT)
    check_registry(registry)
    fetch = fetch_members(client, query_type, query, page_size=page_size, locale=locale, max_pages=max_pages)
    return import_members(session=session, actor=actor, registry=registry, fetch=fetch, extracted_on=extracted_on)
