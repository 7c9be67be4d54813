"""HighLevel's own tenancy, on the shared tenancy harness (tests/support/tenancy.py): token scopes on every
operation, and ids it stores unchecked feeding nothing of another location into a reply.

The other APIs have no scopes: 1TO1 keys carry none, a CRM member's only boundary is the org, and the omni inbox's
user roles are attached to no operation.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.highlevel import HL_GLOBEX, SCOPE_MESSAGE
from tests.support.tenancy import TenancyMock, TenancyMocks, operations, refused_alike, where

API = "highlevel"


@pytest.fixture(scope="module")
def mock() -> Iterator[TenancyMock]:
    started = TenancyMocks()
    yield started[API]
    started.close()


@pytest.mark.parametrize(
    ("operation_id", "credential"),
    [
        pytest.param(op.operation_id, credential, id=f"{op.operation_id}-{credential}")
        for credential in ("acme-read-only", "agency", "scope-missing")
        for _, op in operations(API)
    ],
)
def test_scopes(mock: TenancyMock, operation_id: str, credential: str) -> None:
    operation = next(op for _, op in operations(API) if op.operation_id == operation_id)
    case = mock.case(operation)
    if credential == "acme-read-only" and operation.method == "GET":  # reads need only conversation-ai.readonly
        assert operation.scopes == ("conversation-ai.readonly",), operation.scopes
        mock.fresh()
        response = mock.send(mock.callers[credential], operation, case)
        mock.dirty = True
        assert response.is_success, where(API, operation_id, credential, response)
        return
    mock.fresh()  # before switching on: restoring a snapshot sets the scenarios the snapshot names
    if credential == "scope-missing":
        assert mock.http.post("/__mock/scenarios/scope-missing").status_code == 200
    try:
        caller = mock.callers["first" if credential == "scope-missing" else credential]
        refused_alike(mock, operation, case, caller, 401, SCOPE_MESSAGE, credential)
    finally:
        if credential == "scope-missing":
            assert mock.http.delete("/__mock/scenarios/scope-missing").status_code == 200


def test_a_foreign_knowledge_base_feeds_no_reply(mock: TenancyMock) -> None:
    """HighLevel stores `knowledgeBaseIds` unchecked, so globex can point its agent at acme's `kb_1`; its AI must
    still draw nothing from acme's FAQ (the reply, the generation record and acme's state all say so)."""
    mock.fresh()
    mock.dirty = True
    globex = mock.callers["globex"].headers
    before = mock.first_part(mock.state())
    clock = mock.http.get("/__mock/clock").json()
    try:
        linked = mock.http.put(
            "/highlevel/conversation-ai/agents/agent_globex_1",
            headers=globex,
            json={"autoPilotMaxMessages": 20, "knowledgeBaseIds": ["kb_globex_1", "kb_1"]},
        )
        assert linked.status_code == 200, linked.text[:200]
        asked = mock.http.post(
            "/__mock/highlevel/inbound",
            json={
                "location": HL_GLOBEX,
                "contact": "contact_globex_1",
                "channel": "SMS",
                "body": "How much is a regular cleaning, and which insurance plans do you accept?",
            },
        )
        assert asked.status_code == 201, asked.text[:200]
        assert mock.http.post("/__mock/clock", json={"advance": "1m"}).status_code == 200
        assert mock.http.post("/__mock/settle").status_code == 200
        threads = mock.http.get("/__mock/highlevel/conversations", params={"location": HL_GLOBEX})
        replies = [m for c in threads.json()["conversations"] for m in c["messages"] if m["source"] == "ai"]
        assert replies, f"globex's agent did not answer: {threads.text[:200]}"
        generation = mock.http.get(
            "/highlevel/conversation-ai/generations",
            headers=globex,
            params={"messageId": replies[-1]["id"], "source": "conversation"},
        )
        assert generation.status_code == 200, generation.text[:200]
        for label, text in (("thread", threads.text), ("generation", generation.text)):
            assert not mock.first_strings_in(text), f"{label} shows acme's {mock.first_strings_in(text)[:5]}"
        assert mock.first_part(mock.state()) == before, "acme's state changed"
    finally:
        assert mock.http.post("/__mock/clock", json={"set": clock["now"]}).status_code == 200
