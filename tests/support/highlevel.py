"""The HighLevel records its tests name (fixed records of fixtures/highlevel.yaml) and its test client."""

from __future__ import annotations

from typing import Any

import httpx

from mock_server.testing import ConvoMock
from tests.support.clients import VendorClient

__all__ = [
    "HL_ACME",
    "HL_ACME_FULL",
    "HL_ACME_READ",
    "HL_AGENCY",
    "HL_GLOBEX",
    "HL_GLOBEX_FULL",
    "SCOPE_MESSAGE",
    "SDK_VERSION",
    "HighLevelClient",
    "assert_422",
]

HL_ACME = "yvQzG4k2Lm8RtP0aNcXs"  # location Acme Dental
HL_GLOBEX = "Bq7WnE3rTy5UiOp9AsDf"  # location Globex Realty
HL_ACME_FULL = "pit-acme-full-6f3b2a1c-9d8e-4f70-b1a2-c3d4e5f60718"
HL_ACME_READ = "pit-acme-read-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
HL_GLOBEX_FULL = "pit-globex-full-7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
HL_AGENCY = "pit-agency-2b9d7c41-5e08-4f3a-9c6b-1d2e3f4a5b6c"
SDK_VERSION = "2023-02-21"  # what the official SDK sends unless told otherwise
SCOPE_MESSAGE = "The token is not authorized for this scope."


class HighLevelClient(VendorClient):
    """Calls the HighLevel API the way the official SDK does: bearer token and a Version header."""

    @classmethod
    def acme(cls, mock: ConvoMock) -> HighLevelClient:
        """Acme Dental's full-scope token, with the Version the SDK sends."""
        client: HighLevelClient = cls.of(mock, "highlevel", "acme")
        client.sent["Version"] = SDK_VERSION
        return client

    def as_(self, token: str | None, version: str | None = SDK_VERSION) -> HighLevelClient:
        """Another token and Version (None leaves the header out)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if version:
            headers["Version"] = version
        return HighLevelClient(self.mock, self.base_path, headers)

    # simulations
    def inbound(self, contact: str, body: str, channel: str = "SMS", location: str = HL_ACME) -> dict[str, Any]:
        response = self.http.post(
            "/__mock/highlevel/inbound",
            json={"location": location, "contact": contact, "channel": channel, "body": body},
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def outbound(self, contact: str, body: str, source: str = "manual", location: str = HL_ACME) -> dict[str, Any]:
        response = self.http.post(
            "/__mock/highlevel/outbound",
            json={"location": location, "contact": contact, "body": body, "source": source},
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def thread(self, contact: str, location: str = HL_ACME) -> dict[str, Any]:
        response = self.http.get("/__mock/highlevel/conversations", params={"location": location})
        assert response.status_code == 200, response.text
        return next(c for c in response.json()["conversations"] if c["contact_id"] == contact)


def assert_422(response: httpx.Response, *messages: str) -> list[str]:
    """NestJS's 422, its `message` a list holding each of `messages`; returns the list."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["statusCode"] == 422 and body["error"] == "Unprocessable Entity"
    assert isinstance(body["message"], list)
    for message in messages:
        assert message in body["message"]
    return list(body["message"])
