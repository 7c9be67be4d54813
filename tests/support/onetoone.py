"""The 1TO1 AI records its tests name (fixed records of fixtures/1to1ai.yaml) and its test client."""

from __future__ import annotations

import json
from typing import Any

from mock_server.testing import ConvoMock
from tests.support.clients import VendorClient

__all__ = [
    "ACME_QA_TOKEN",
    "ACME_REVOKED_TOKEN",
    "ACME_TOKEN",
    "CLOSED_CONVERSATION",
    "DOC_CONVERSATION",
    "DOC_PHONE",
    "GLOBEX_CONVERSATION",
    "GLOBEX_TOKEN",
    "JOSE_BSUID",
    "SEEDED_FILE",
    "TESTER_CONVERSATION",
    "OneToOneClient",
]

ACME_TOKEN = "sk_1to1_acme_live_4f9c2e7b1d8a6350c2e9f7a1"
ACME_QA_TOKEN = "sk_1to1_acme_qa_93b17c5e0f2d48a6b1c9e7d3"
ACME_REVOKED_TOKEN = "sk_1to1_acme_revoked_5a2c8e1f7b3d9046"
GLOBEX_TOKEN = "sk_1to1_globex_live_7e3a9c1b5d2f8046a7c3"
DOC_CONVERSATION = "550e8400-e29b-41d4-a716-446655440000"  # window open, VIP, Sales Agent
CLOSED_CONVERSATION = "9a1b2c3d-0001-4e4f-8a5b-6c7d8e9f0a02"  # window closed two days before the start
TESTER_CONVERSATION = "9a1b2c3d-0001-4e4f-8a5b-6c7d8e9f0a03"  # tester, no AI employee
GLOBEX_CONVERSATION = "9a1b2c3d-0002-4e4f-8a5b-6c7d8e9f0a01"
DOC_PHONE = "+5215512345678"
JOSE_BSUID = "US.13491208655302741918"  # the BSUID of CLOSED_CONVERSATION's contact (phone +5215587654321)
SEEDED_FILE = "0c9b8a7d-6e5f-4d3c-8b2a-1f0e9d8c7b6a"  # acme's cotizacion.pdf, uploaded and confirmed


class OneToOneClient(VendorClient):
    """Calls one business's 1TO1 AI API the way a client does: base URL with the slug, bearer key."""

    def __init__(self, mock: ConvoMock, base_url: str, headers: dict[str, str], slug: str = "acme") -> None:
        super().__init__(mock, base_url, headers)
        self.slug = slug

    @classmethod
    def acme(cls, mock: ConvoMock) -> OneToOneClient:
        client: OneToOneClient = cls.of(mock, "1to1ai", "acme")
        return client

    def as_(self, slug: str, token: str | None) -> OneToOneClient:
        """Another slug in the base URL and another key (None: no Authorization header at all)."""
        base = self.base_path.rsplit("/", 1)[0] + "/" + slug
        return OneToOneClient(self.mock, base, {"Authorization": f"Bearer {token}"} if token else {}, slug)

    # conveniences used across tests
    def conversation(self, uuid: str = DOC_CONVERSATION) -> dict[str, Any]:
        response = self.get(f"/conversations/{uuid}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def messages(self, uuid: str = DOC_CONVERSATION, limit: int = 100) -> list[dict[str, Any]]:
        response = self.get(f"/conversations/{uuid}/messages", params={"limit": limit})
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    def activity(self, slug: str = "acme", **query: str) -> dict[str, Any]:
        response = self.http.get("/__mock/1to1ai/activity", params={"slug": slug, **query})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def stored_message(self, uuid: str, conversation: str = DOC_CONVERSATION) -> dict[str, Any]:
        """A message as the state keeps it, with what the documented message does not show (its content type and
        file): read from the snapshot, never from the public API."""
        store = json.loads(self.state())["apis"]["1to1ai"]["store"]
        messages = store["businesses"][self.slug]["conversations"][conversation]["messages"]
        return dict(next(m for m in messages if m["uuid"] == uuid))

    def request_upload(self, filename: str, mime_type: str, size: int) -> dict[str, Any]:
        """A file reserved (not uploaded yet): the ticket of POST /files/request-upload."""
        response = self.post(
            "/files/request-upload", json={"filename": filename, "mime_type": mime_type, "size_bytes": size}
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def upload_and_confirm(self, filename: str, mime_type: str, content: bytes) -> dict[str, Any]:
        """A file through the documented flow, ready to send: reserved, its bytes PUT to the upload URL as given
        (it carries the token), confirmed. Returns the ticket."""
        ticket = self.request_upload(filename, mime_type, len(content))
        put = self.http.put(ticket["upload_url"], content=content, headers={"Content-Type": mime_type})
        assert put.status_code == 200, put.text
        confirmed = self.post("/files/confirm", json={"file_uuid": ticket["file_uuid"]})
        assert confirmed.status_code == 200, confirmed.text
        return ticket

    def inbound(self, body: str, **where: str) -> dict[str, Any]:
        response = self.http.post("/__mock/1to1ai/inbound", json={"slug": self.slug, "body": body, **where})
        assert response.status_code in (200, 201), response.text
        return dict(response.json())
