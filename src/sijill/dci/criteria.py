"""A DCI search as Sijill reads it, once the envelope is checked: what to look for, what to
answer with, in which order and which page, and on whose behalf (the partner's territories and
fields). Built by the endpoint (dci/envelope.py), answered by dci/search.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

QueryType = Literal["idtype-value", "expression", "predicate"]
ResponseEntity = Literal["Group", "Member"]
Operator = Literal["gt", "lt", "eq", "ge", "le", "in"]
Condition = Literal["and", "or", "not"]

# Identifier types a partner may look up by (`idtype-value`): the person's IDCS (also sent as
# the spec's generic UIN), the national identity card, and the household's number.
ID_TYPES = ("IDCS", "UIN", "CIN", "HOUSEHOLD_ID")

# The fields expressions and predicates may use (docs/dci.md lists their meaning).
QUERY_FIELDS = (
    "poverty_score",
    "group_size",
    "region_code",
    "province_code",
    "commune_code",
    "annex_code",
    "age",
    "sex",
    "enrolled_in",
)


@dataclass(frozen=True, slots=True)
class Comparison:
    """One `attribute operator value`; for `in`, `value` is the list of accepted values."""

    attribute: str
    operator: Operator
    value: str | float | bool | tuple[str | float, ...]


@dataclass(frozen=True, slots=True)
class Combined:
    """`left condition right` (`not`: left and not right), or a list of parts all true."""

    condition: Condition
    parts: tuple[Filter, ...]


Filter = Comparison | Combined


@dataclass(frozen=True, slots=True)
class IdLookup:
    id_type: str
    value: str


@dataclass(frozen=True, slots=True)
class Sort:
    attribute: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Partner:
    """Who asks: a registered partner client, confined to its territories (None: the whole
    country) and to the record fields it may receive."""

    client_id: str
    territories: tuple[str, ...] | None
    fields: frozenset[str]


@dataclass(frozen=True, slots=True)
class Criteria:
    query: IdLookup | Filter
    entity: ResponseEntity = "Group"
    sort: tuple[Sort, ...] = ()
    page_size: int = 20
    page_number: int = 1
    # ISO 639-3 code of the labels' language: "ara" or "fra".
    locale: str = "fra"
    # The consent object as the partner sent it, recorded with the query.
    consent: dict[str, object] | None = None
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Found:
    """One page of records in the DCI shape, and how many match in all."""

    records: list[dict[str, object]]
    total_count: int


# The spec's SearchStatusReasonCode values (social_api_v1.0.0.yaml): only these may be answered.
REASON_CODES = (
    "rjct.reference_id.invalid",
    "rjct.reference_id.duplicate",
    "rjct.timestamp.invalid",
    "rjct.search_criteria.invalid",
    "rjct.filter.invalid",
    "rjct.sort.invalid",
    "rjct.pagination.invalid",
    "rjct.search.too_many_records_found",
)


class ItemRejectedError(Exception):
    """One item of a message refused: answered in that item with `status: rjct`, its reason code
    and a message (English for the partner's logs, with the Arabic and French beside it)."""

    # The reason codes the standard allows for this kind of item.
    REASONS: tuple[str, ...] = ()

    def __init__(self, reason_code: str, message: str, *, ar: str, fr: str) -> None:
        assert reason_code in self.REASONS, reason_code
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message
        self.ar = ar
        self.fr = fr


class SearchRejectedError(ItemRejectedError):
    REASONS = REASON_CODES
