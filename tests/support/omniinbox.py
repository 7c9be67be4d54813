"""The omnichannel inbox records its tests name (fixed records of fixtures/omni-inbox.yaml) and its test client."""

from __future__ import annotations

from typing import Any

from mock_server.testing import ConvoMock
from tests.support.clients import VendorClient

__all__ = [
    "OMNI_ACME",
    "OMNI_ANA",
    "OMNI_BEN",
    "OMNI_BROKEN",
    "OMNI_EMAILS",
    "OMNI_GINA",
    "OMNI_GLOBEX",
    "OMNI_GLOBEX_THREAD",
    "OMNI_GREETING",
    "OMNI_INSTAGRAM",
    "OMNI_PLAYGROUND",
    "OMNI_QUALIFY",
    "OMNI_SMS",
    "OMNI_WA_CLOSED",
    "OMNI_WA_OPEN",
    "OmniClient",
]

OMNI_ACME = "665f00000000000000000001"  # workspace Acme Support
OMNI_GLOBEX = "665f00000000000000000002"
OMNI_ANA = "665f5d000000000000000001"  # owner, agent@acme.example / convomock
OMNI_BEN = "665f5d000000000000000002"
OMNI_GINA = "665f5d000000000000000003"  # Globex, gina@globex.example / convomock
OMNI_EMAILS = {OMNI_ANA: "agent@acme.example", OMNI_BEN: "ben@acme.example", OMNI_GINA: "gina@globex.example"}
OMNI_WA_OPEN = "665f1c2e9b1d4a0012a3b401"  # WhatsApp, window open
OMNI_WA_CLOSED = "665f1c2e9b1d4a0012a3b402"  # WhatsApp, window closed, Ben's, pending
OMNI_INSTAGRAM = "665f1c2e9b1d4a0012a3b403"
OMNI_SMS = "665f1c2e9b1d4a0012a3b404"  # closed
OMNI_PLAYGROUND = "665f1c2e9b1d4a0012a3b405"
OMNI_GLOBEX_THREAD = "665f1c2e9b1d4a0012a3b501"  # messenger
OMNI_GREETING = "665f3b000000000000000001"  # predefined message /hi
OMNI_QUALIFY = "665f4c000000000000000001"  # automation: send /hi, tag qualified, stage qualified, assign Ben
OMNI_BROKEN = "665f4c000000000000000002"  # automation whose second step fails


class OmniClient(VendorClient):
    """A Feathers REST client's requests: a JWT from POST /authentication (logged in as it is made), JSON bodies,
    qs-style queries."""

    def __init__(self, mock: ConvoMock, base_url: str, user: str = OMNI_ANA) -> None:
        super().__init__(mock, base_url, {})
        self.user = user
        self.token = self._login(OMNI_EMAILS[user])
        self.sent = {"Authorization": f"Bearer {self.token}"}

    @classmethod
    def acme(cls, mock: ConvoMock) -> OmniClient:
        """Ana of Acme Support, logged in with her password as a Feathers client does."""
        return cls(mock, mock.url("omni-inbox", "acme"))

    def _login(self, email: str) -> str:
        response = self.http.post(
            self.url("/authentication"), json={"strategy": "local", "email": email, "password": "convomock"}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["accessToken"])

    def as_(self, user: str) -> OmniClient:
        return OmniClient(self.mock, self.base_path, user)

    def inbound(self, conversation: str, text: str, workspace: str = OMNI_ACME) -> dict[str, Any]:
        response = self.http.post(
            "/__mock/omni-inbox/inbound", json={"workspace": workspace, "conversation": conversation, "text": text}
        )
        assert response.status_code == 201, response.text
        return dict(response.json())
