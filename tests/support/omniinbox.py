"""The omni-inbox (AchieveApex) records its tests name (fixed records of fixtures/omni-inbox.yaml, most of them the
ids of AchieveApex's own pages) and its test client."""

from __future__ import annotations

from typing import Any

from mock_server.testing import ConvoMock
from tests.support.clients import VendorClient

__all__ = [
    "OMNI_ACME",
    "OMNI_ACME_INC",
    "OMNI_ADMIN",
    "OMNI_AGENT",
    "OMNI_BROKEN",
    "OMNI_CONTACT",
    "OMNI_EXAMPLE",
    "OMNI_EXAMPLE_USER",
    "OMNI_GLOBEX",
    "OMNI_GLOBEX_THREAD",
    "OMNI_GREETING",
    "OMNI_INSTAGRAM",
    "OMNI_JANE",
    "OMNI_KEYS",
    "OMNI_MESSENGER",
    "OMNI_PASSWORDS",
    "OMNI_PIPELINE",
    "OMNI_PLAYGROUND",
    "OMNI_QUALIFY",
    "OMNI_REVOKED_KEY",
    "OMNI_SMS",
    "OMNI_USERS",
    "OMNI_WA_CLOSED",
    "OMNI_WA_OPEN",
    "OMNI_WEBCHAT",
    "OmniClient",
]

# Organizations (the tenants): 456 and 123 are the pages' own, 27 and 101 their ids with names of our own.
OMNI_ACME = 456  # Acme Solutions, the first tenant ("acme")
OMNI_GLOBEX = 27  # Globex Corporation ("globex")
OMNI_ACME_INC = 123  # Acme Inc ("acme-inc"); no conversations
OMNI_EXAMPLE = 101  # Example Org ("example"); the page's API-key create-contact example posts here
# Users: id -> (email, password); memberships in fixtures/omni-inbox.yaml.
OMNI_EXAMPLE_USER = 123  # the login page's user@example.com: member of 456, owner of 123
OMNI_ADMIN = 789  # Admin User, owner of 456 (acme's API key acts as this user)
OMNI_AGENT = 790  # Sam Agent, member of 456
OMNI_JANE = 45  # Jane Smith, owner of 27 (globex's API key)
OMNI_USERS = {
    OMNI_EXAMPLE_USER: "user@example.com",
    OMNI_ADMIN: "admin@example.com",
    OMNI_AGENT: "agent@example.com",
    OMNI_JANE: "jane.smith@example.com",
    46: "john.doe@globex.example",
    791: "dev@example.com",
}
OMNI_PASSWORDS = {OMNI_EXAMPLE_USER: "your-password"}  # every other user: "convomock"
# API keys (`x-api-key`), one per organization, each tied to a user.
OMNI_KEYS = {
    OMNI_ACME: "aa_live_4f1c2e9b7d3a4c5e8f6a1b2c3d4e5f60",
    OMNI_GLOBEX: "aa_live_7c3e1a9f5b2d4e6c8a0f1e3d5c7b9a21",
    OMNI_ACME_INC: "aa_live_2d4f6b8a0c1e3a5c7e9b1d3f5a7c9e42",
    OMNI_EXAMPLE: "aa_live_9a8b7c6d5e4f30211203f4e5d6c7b8a9",
}
OMNI_REVOKED_KEY = "aa_live_0b9e8d7c6b5a49382716f5e4d3c2b1a0"  # acme's, revoked
# Conversations of organization 456, one per channel, and Globex's.
OMNI_WA_OPEN = 1001  # WhatsApp, window open, contact 123, assigned 789, pipeline 789 stage 101
OMNI_WA_CLOSED = 1002  # WhatsApp, window closed, contact 202, assigned 790, stage 100
OMNI_INSTAGRAM = 1003  # AI assistant 55
OMNI_MESSENGER = 1004
OMNI_WEBCHAT = 1005
OMNI_SMS = 1006  # closed, stage 102
OMNI_PLAYGROUND = 1007
OMNI_GLOBEX_THREAD = 2701  # Messenger, organization 27
OMNI_CONTACT = 123  # John Doe, the contacts page's example
OMNI_PIPELINE = 789  # Main Sales Pipeline: stages 100 New lead, 101 Negotiation, 102 Won
OMNI_GREETING = 41  # predefined message "Greeting" (text)
OMNI_QUALIFY = 77  # automation: send 41, tag 12, stage 789/101, assign 790
OMNI_BROKEN = 78  # automation whose second step names a predefined message that does not exist


class OmniClient(VendorClient):
    """A client of AchieveApex: an organization's API key in `x-api-key` (the documented way), or a user's JWT from
    `POST /authentication` (a Feathers REST client's way, logged in as it is made). JSON bodies, qs-style queries."""

    @classmethod
    def acme(cls, mock: ConvoMock) -> OmniClient:
        """Acme Solutions' (456) API key, the first seeded credential."""
        client: OmniClient = cls.of(mock, "omni-inbox", "acme")
        return client

    def with_key(self, organization: int) -> OmniClient:
        """Another organization's API key."""
        return OmniClient(self.mock, self.base_path, {"x-api-key": OMNI_KEYS[organization]})

    def login(self, user: int = OMNI_EXAMPLE_USER) -> OmniClient:
        """A user logged in with the local strategy: its bearer JWT on every call."""
        response = self.http.post(
            self.url("/authentication"),
            json={"strategy": "local", "email": OMNI_USERS[user], "password": OMNI_PASSWORDS.get(user, "convomock")},
        )
        assert response.status_code == 201, response.text
        return OmniClient(self.mock, self.base_path, {"Authorization": f"Bearer {response.json()['accessToken']}"})

    def ok(self, method: str, path: str, json: Any = None, status: int = 200, **kwargs: Any) -> Any:
        """The JSON answer of a request that must succeed with `status`."""
        response = self.request(method, path, json=json, **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def find_all(self, path: str, **query: Any) -> tuple[list[dict[str, Any]], int]:
        """Every record a find selects, all pages in order (paged through with $skip), and the last page's total."""
        found: list[dict[str, Any]] = []
        while True:
            page = self.ok("GET", path, params={**query, "$limit": 50, "$skip": len(found)})
            found += page["data"]
            if not page["data"] or len(found) >= page["total"]:
                return found, int(page["total"])

    def messages(self, conversation: int, channel: str, **query: Any) -> list[dict[str, Any]]:
        """Every live message of a conversation, oldest first."""
        return self.find_all(f"/conversation-messages-{channel}", conversation_id=conversation, **query)[0]

    def inbound(self, conversation: int, text: str, organization: int = OMNI_ACME) -> dict[str, Any]:
        """The customer writes into a conversation (the control API)."""
        response = self.http.post(
            "/__mock/omni-inbox/inbound",
            json={"organization_id": organization, "conversation_id": conversation, "text": text},
        )
        assert response.status_code == 201, response.text
        return dict(response.json())
