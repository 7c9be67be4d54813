"""The CRM inbox records its tests name (fixed records of fixtures/crm-inbox.yaml) and its test client."""

from __future__ import annotations

from typing import Any

from mock_server import DATA_ROOT
from mock_server.apis.crminbox.seed import default_tokens
from mock_server.engine.specs import load_yaml
from mock_server.testing import ConvoMock
from tests.support.clients import VendorClient

__all__ = [
    "CRM_ACME",
    "CRM_ALICE",
    "CRM_ARCHIVED_THREAD",
    "CRM_BOB",
    "CRM_CALL_THREAD",
    "CRM_CAROL",
    "CRM_ACME_RENTALS",
    "CRM_DAVE",
    "CRM_ERIN",
    "CRM_FIXTURES",
    "CRM_JWT_SECRET",
    "CRM_LAKESIDE",
    "CRM_LAKESIDE_NORTH",
    "CRM_LAKESIDE_THREAD",
    "CRM_NORTH_THREAD",
    "CRM_SECRET",
    "CRM_EMAIL_THREAD",
    "CRM_GLOBEX",
    "CRM_GLOBEX_THREAD",
    "CRM_MARIA",
    "CRM_NINA",
    "CRM_THREAD",
    "CRM_TOKENS",
    "CRM_TOM",
    "CrmClient",
]

CRM_ACME = "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d01"  # org Acme Homes, setter in suggestive mode, SLA 60 min
CRM_GLOBEX = "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d02"  # org Globex Rentals, setter off, SLA 30 min
CRM_ALICE = "9e8d7c6b-5a49-4382-a716-5f4e3d2c1b01"  # member of Acme
CRM_BOB = "9e8d7c6b-5a49-4382-a716-5f4e3d2c1b02"  # member of Acme
CRM_CAROL = "9e8d7c6b-5a49-4382-a716-5f4e3d2c1b03"  # member of Globex
CRM_DAVE = "9e8d7c6b-5a49-4382-a716-5f4e3d2c1b04"  # Acme member, Globex admin; earliest-joined: Globex
CRM_ERIN = "9e8d7c6b-5a49-4382-a716-5f4e3d2c1b05"  # a client member of Lakeside only
CRM_LAKESIDE = "11111111-2222-3333-4444-555555555555"  # the docs' X-Org-Id example: a subaccount of Acme; Alice admin
CRM_LAKESIDE_NORTH = "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d21"  # a child of Lakeside (a grandchild of Acme)
CRM_ACME_RENTALS = "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d11"  # a second child of Acme; only Bob is a member
CRM_LAKESIDE_THREAD = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4d01"  # Grace, SMS, a pending draft
CRM_NORTH_THREAD = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4e01"
CRM_FIXTURES: dict[str, Any] = load_yaml(DATA_ROOT / "fixtures" / "crm-inbox.yaml")
CRM_JWT_SECRET: str = CRM_FIXTURES["jwt_secret"]
CRM_SECRET: str = CRM_FIXTURES["crm_secret"]  # X-Iron-CRM-Secret
# The seeded long-lived access tokens (default clock start), as /__mock/credentials publishes them.
CRM_TOKENS = dict(default_tokens())
CRM_THREAD = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4b01"  # Maria, SMS, overdue, starred, pending draft, Alice's
CRM_EMAIL_THREAD = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4b02"  # Tom, email, answered, Bob's
CRM_CALL_THREAD = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4b03"  # Priya, voicemail with AI summary, 30 min old
CRM_ARCHIVED_THREAD = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4b04"
CRM_GLOBEX_THREAD = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4c01"
CRM_MARIA = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0e01"
CRM_TOM = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0e02"  # email only, no phone
CRM_NINA = "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0e05"  # no conversation yet


class CrmClient(VendorClient):
    """Calls the CRM inbox as a staff member: their bearer token and the `X-Org-Id` of the org acted in."""

    def __init__(
        self, mock: ConvoMock, base_url: str, headers: dict[str, str], user: str = CRM_ALICE, org: str | None = CRM_ACME
    ) -> None:
        super().__init__(mock, base_url, headers)
        self.user = user
        self.org = org

    @classmethod
    def acme(cls, mock: ConvoMock) -> CrmClient:
        """Alice in Acme Homes, the first seeded credential."""
        client: CrmClient = cls.of(mock, "crm-inbox", "acme")
        return client

    def as_(self, user: str, org: str | None = CRM_ACME) -> CrmClient:
        """Another staff member (by id), acting in `org` (None: no X-Org-Id header)."""
        headers = {"Authorization": f"Bearer {CRM_TOKENS[user]}"}
        if org is not None:
            headers["X-Org-Id"] = org
        return CrmClient(self.mock, self.base_path, headers, user, org)

    def inbound(self, body: str, **where: Any) -> dict[str, Any]:
        response = self.http.post("/__mock/crm-inbox/inbound", json={"org": self.org, "body": body, **where})
        assert response.status_code in (200, 201), response.text
        return dict(response.json())
