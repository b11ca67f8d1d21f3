"""The DCI request envelope (`signature`, `header`, `message`) as Sijill reads it: strict where
the standard is (a timezone on every timestamp, integer counts, the action the path expects),
lenient where partners differ (unknown keys are kept, numbers may come as strings)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ID_LENGTH = 99


class Lenient(BaseModel):
    # The standard forbids nothing extra; rejecting an unknown key would break a partner for a
    # field it is free to send.
    model_config = ConfigDict(extra="allow")


class RequestHeader(Lenient):
    version: str = "1.0.0"
    message_id: str = Field(min_length=1, max_length=ID_LENGTH)
    message_ts: AwareDatetime
    action: str
    sender_id: str = Field(min_length=1, max_length=200)
    sender_uri: str | None = Field(default=None, max_length=500)
    receiver_id: str | None = Field(default=None, max_length=200)
    total_count: int = Field(ge=0, le=100)
    is_msg_encrypted: bool = False
    meta: dict[str, Any] | None = None


class Pagination(Lenient):
    page_size: int | float | str
    page_number: int | float | str = 1


class SortItem(Lenient):
    attribute_name: str = Field(max_length=100)
    sort_order: Literal["asc", "desc"] = "asc"


class SearchCriteria(Lenient):
    version: str = "1.0.0"
    reg_type: str | None = None
    reg_record_type: str | None = None
    query_type: str
    response_entity: str | None = None
    query: Any
    sort: list[SortItem] = Field(default_factory=list, max_length=5)
    pagination: Pagination | None = None
    consent: dict[str, Any] | None = None
    authorize: dict[str, Any] | None = None


class SearchItem(Lenient):
    reference_id: str = Field(min_length=1, max_length=ID_LENGTH)
    timestamp: AwareDatetime
    search_criteria: SearchCriteria
    locale: str | None = Field(default=None, pattern=r"^[a-z]{3}$")


class SearchMessage(Lenient):
    transaction_id: str = Field(min_length=1, max_length=ID_LENGTH)
    # A batch is bounded: each item is one query on the registry.
    search_request: list[SearchItem] = Field(min_length=1, max_length=20)


class SearchEnvelope(Lenient):
    signature: str | None = None
    header: RequestHeader
    message: SearchMessage


class TxnStatusQuery(Lenient):
    reference_id: str = Field(min_length=1, max_length=ID_LENGTH)
    txn_type: Literal["search", "subscribe", "receipt"]
    attribute_type: Literal["transaction_id", "reference_id_list", "correlation_id"]
    attribute_value: str | list[str]
    locale: str | None = Field(default=None, pattern=r"^[a-z]{3}$")


class TxnStatusMessage(Lenient):
    transaction_id: str = Field(min_length=1, max_length=ID_LENGTH)
    txnstatus_request: TxnStatusQuery


class TxnStatusEnvelope(Lenient):
    signature: str | None = None
    header: RequestHeader
    message: TxnStatusMessage
