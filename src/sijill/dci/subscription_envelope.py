"""The DCI subscribe and unsubscribe envelopes as Sijill reads them, in the manner of envelope.py.

The item timestamps (and the frequency window's) are read as text here and checked by
subscriptions.py: a bad one refuses that item (`rjct.timestamp.invalid`), which a pydantic error
would have turned into a 400 for the whole message.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from sijill.dci.envelope import ID_LENGTH, Lenient, RequestHeader

TIMESTAMP_LENGTH = 64


class Frequency(Lenient):
    # The standard requires all three; a window with one end only is still a clear request.
    start_time: str | None = Field(default=None, max_length=TIMESTAMP_LENGTH)
    end_time: str | None = Field(default=None, max_length=TIMESTAMP_LENGTH)
    frequency: str | None = Field(default=None, max_length=200)


class SubscribeCriteria(Lenient):
    version: str = "1.0.0"
    reg_type: str | None = Field(default=None, max_length=200)
    reg_event_type: str = Field(max_length=99)
    frequency: Frequency | None = None
    filter_type: str | None = Field(default=None, max_length=20)
    filter: Any
    notify_record_type: str = Field(max_length=99)
    authorize: dict[str, Any] | None = None


class SubscribeItem(Lenient):
    reference_id: str = Field(min_length=1, max_length=ID_LENGTH)
    timestamp: str = Field(max_length=TIMESTAMP_LENGTH)
    subscribe_criteria: SubscribeCriteria
    locale: str | None = Field(default=None, pattern=r"^[a-z]{3}$")


class SubscribeMessage(Lenient):
    transaction_id: str = Field(min_length=1, max_length=ID_LENGTH)
    # Each item is a standing query the sweep runs: a message is bounded as a search's is.
    subscribe_request: list[SubscribeItem] = Field(min_length=1, max_length=20)


class SubscribeEnvelope(Lenient):
    signature: str | None = None
    header: RequestHeader
    message: SubscribeMessage


class UnsubscribeMessage(Lenient):
    transaction_id: str = Field(min_length=1, max_length=ID_LENGTH)
    timestamp: str = Field(max_length=TIMESTAMP_LENGTH)
    subscription_codes: list[Annotated[str, Field(min_length=1, max_length=ID_LENGTH)]] = Field(
        min_length=1, max_length=100
    )


class UnsubscribeEnvelope(Lenient):
    signature: str | None = None
    header: RequestHeader
    message: UnsubscribeMessage
