"""Reads the omni-inbox's behaviour tests share (test_conversations_and_messages.py and
test_bulk_files_predefined_automations.py): a whole filtered conversation list, one conversation, the mock clock's
instant as AchieveApex writes times, and a Feathers refusal checked by status, class and message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.omniinbox import OMNI_ACME, OmniClient

__all__ = ["Record", "conversation", "find_all", "ids", "now_ms", "refused"]

Record = dict[str, Any]
_CLASSES = {
    400: ("BadRequest", "bad-request"),
    403: ("Forbidden", "forbidden"),
    404: ("NotFound", "not-found"),
    422: ("Unprocessable", "unprocessable"),
}


def find_all(omni: OmniClient, **params: Any) -> list[Record]:
    """Every conversation of organization 456 a query selects, all pages in order; `total` must agree with them."""
    found, total = omni.find_all("/conversations", **{"organization_id": OMNI_ACME, **params})
    assert len(found) == total, (len(found), total)
    return found


def ids(records: list[Record]) -> list[int]:
    """The records' ids, in their order."""
    return [r["id"] for r in records]


def conversation(omni: OmniClient, conversation_id: int) -> Record:
    return dict(omni.ok("GET", f"/conversations/{conversation_id}"))


def now_ms(omni: OmniClient, later: timedelta = timedelta()) -> str:
    """The mock clock's instant (plus `later`) as AchieveApex writes times: `2026-01-15T15:00:00.000Z`."""
    now = datetime.fromisoformat(omni.http.get("/__mock/clock").json()["now_precise"]) + later
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def refused(response: httpx.Response, status: int, message: str | None = None) -> Record:
    """A Feathers error of this status, in its class (and with this message): the body, to look further."""
    assert response.status_code == status, response.text
    body: Record = response.json()
    name, class_name = _CLASSES[status]
    assert (body["name"], body["code"], body["className"]) == (name, status, class_name), body
    if message is not None:
        assert body["message"] == message, body
    return body
