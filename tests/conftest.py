"""Shared fixtures: a fresh mock per test (frozen clock, strict mode) and a client for the 1TO1 AI API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpcore  # noqa: F401 - see below
import httpx
import pytest
from starlette.testclient import TestClient

from mock_server.engine.app import MockApp
from mock_server.server import create_app

# httpcore is imported here, before any pytester session: an in-process pytester run drops the modules first
# imported during it, and httpx caches httpcore's exception classes on first use, so a fresh httpcore imported
# later would raise errors httpx no longer maps (httpcore.ConnectError escaping `except httpx.TransportError`).

ACME_TOKEN = "sk_1to1_acme_live_4f9c2e7b1d8a6350c2e9f7a1"
ACME_QA_TOKEN = "sk_1to1_acme_qa_93b17c5e0f2d48a6b1c9e7d3"
ACME_REVOKED_TOKEN = "sk_1to1_acme_revoked_5a2c8e1f7b3d9046"
GLOBEX_TOKEN = "sk_1to1_globex_live_7e3a9c1b5d2f8046a7c3"
DOC_CONVERSATION = "550e8400-e29b-41d4-a716-446655440000"  # window open, VIP, Sales Agent
CLOSED_CONVERSATION = "9a1b2c3d-0001-4e4f-8a5b-6c7d8e9f0a02"  # window closed two days before the start
TESTER_CONVERSATION = "9a1b2c3d-0001-4e4f-8a5b-6c7d8e9f0a03"  # tester, no AI employee
GLOBEX_CONVERSATION = "9a1b2c3d-0002-4e4f-8a5b-6c7d8e9f0a01"
DOC_PHONE = "+5215512345678"


class VendorClient:
    """What every API's test client shares: its base path and credentials on each call, and the control API."""

    def __init__(self, http: TestClient) -> None:
        self.http = http

    def url(self, path: str) -> str:
        raise NotImplementedError

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        raise NotImplementedError

    def request(
        self, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        return self.http.request(method, self.url(path), json=json, headers=self.headers(headers), **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def settle(self) -> dict[str, Any]:
        response = self.http.post("/__mock/settle")
        assert response.status_code == 200
        return dict(response.json())

    def advance(self, duration: str) -> None:
        assert self.http.post("/__mock/clock", json={"advance": duration}).status_code == 200

    def state(self) -> str:
        """The whole snapshot as canonical text, to prove that a refused request changed nothing."""
        response = self.http.get("/__mock/state")
        assert response.status_code == 200
        return response.text


class OneToOneClient(VendorClient):
    """Calls one business's 1TO1 AI API the way a client does: base URL with the slug, bearer key."""

    def __init__(self, http: TestClient, slug: str = "acme", token: str | None = ACME_TOKEN) -> None:
        super().__init__(http)
        self.slug = slug
        self.token = token

    def url(self, path: str) -> str:
        return f"/1to1ai/api/v1/public/{self.slug}{path}"

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def as_(self, slug: str, token: str | None) -> OneToOneClient:
        return OneToOneClient(self.http, slug, token)

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

    def inbound(self, body: str, **where: str) -> dict[str, Any]:
        response = self.http.post("/__mock/1to1ai/inbound", json={"slug": self.slug, "body": body, **where})
        assert response.status_code in (200, 201), response.text
        return dict(response.json())


@pytest.fixture
def app() -> MockApp:
    return create_app(apis=["1to1ai"], frozen=True)


@pytest.fixture
def http(app: MockApp) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client
    assert app.backend.strict_violations == [], "the mock answered outside its own spec"
    assert app.backend.internal_errors == [], "a handler crashed"


@pytest.fixture
def api(http: TestClient) -> OneToOneClient:
    return OneToOneClient(http)


# -- HighLevel -----------------------------------------------------------------------------------------------------

HL_ACME = "yvQzG4k2Lm8RtP0aNcXs"  # location Acme Dental
HL_GLOBEX = "Bq7WnE3rTy5UiOp9AsDf"  # location Globex Realty
HL_ACME_FULL = "pit-acme-full-6f3b2a1c-9d8e-4f70-b1a2-c3d4e5f60718"
HL_ACME_READ = "pit-acme-read-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
HL_GLOBEX_FULL = "pit-globex-full-7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
HL_AGENCY = "pit-agency-2b9d7c41-5e08-4f3a-9c6b-1d2e3f4a5b6c"
SDK_VERSION = "2023-02-21"  # what the official SDK sends unless told otherwise


class HighLevelClient(VendorClient):
    """Calls the HighLevel API the way the official SDK does: bearer token and a Version header."""

    def __init__(self, http: TestClient, token: str | None = HL_ACME_FULL, version: str | None = SDK_VERSION) -> None:
        super().__init__(http)
        self.token = token
        self.version = version

    def url(self, path: str) -> str:
        return f"/highlevel{path}"

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.version:
            headers["Version"] = self.version
        return {**headers, **(extra or {})}

    def as_(self, token: str | None, version: str | None = SDK_VERSION) -> HighLevelClient:
        return HighLevelClient(self.http, token, version)

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


@pytest.fixture
def hl_app() -> MockApp:
    return create_app(apis=["highlevel"], frozen=True)


@pytest.fixture
def hl(hl_app: MockApp) -> Iterator[HighLevelClient]:
    with TestClient(hl_app, base_url="http://127.0.0.1:8000") as client:
        yield HighLevelClient(client)
    assert hl_app.backend.strict_violations == [], "the mock answered outside its own spec"
    assert hl_app.backend.internal_errors == [], "a handler crashed"


# -- CRM inbox -----------------------------------------------------------------------------------------------------

CRM_ACME = "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d01"  # org Acme Homes, setter in suggestive mode, SLA 60 min
CRM_GLOBEX = "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d02"  # org Globex Rentals, setter off, SLA 30 min
CRM_ALICE = "9e8d7c6b-5a49-4382-a716-5f4e3d2c1b01"  # member of Acme
CRM_BOB = "9e8d7c6b-5a49-4382-a716-5f4e3d2c1b02"  # member of Acme
CRM_CAROL = "9e8d7c6b-5a49-4382-a716-5f4e3d2c1b03"  # member of Globex
CRM_DAVE = "9e8d7c6b-5a49-4382-a716-5f4e3d2c1b04"  # member of both
CRM_TOKENS = {
    CRM_ALICE: "crm_alice_5b1f3e7a9c2d4e6f8a0b",
    CRM_BOB: "crm_bob_8d2c6a4e1f3b5d7c9e0a",
    CRM_CAROL: "crm_carol_3e7f1a9b5c2d8e4f6a0b",
    CRM_DAVE: "crm_dave_6c4a2e8f0b1d3f5a7c9e",
}
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

    def __init__(self, http: TestClient, user: str = CRM_ALICE, org: str | None = CRM_ACME) -> None:
        super().__init__(http)
        self.user = user
        self.org = org

    def url(self, path: str) -> str:
        return f"/crm-inbox{path}"

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {CRM_TOKENS[self.user]}"}
        if self.org is not None:
            headers["X-Org-Id"] = self.org
        return {**headers, **(extra or {})}

    def as_(self, user: str, org: str | None = CRM_ACME) -> CrmClient:
        return CrmClient(self.http, user, org)

    def inbound(self, body: str, **where: Any) -> dict[str, Any]:
        response = self.http.post("/__mock/crm-inbox/inbound", json={"org": self.org, "body": body, **where})
        assert response.status_code in (200, 201), response.text
        return dict(response.json())


@pytest.fixture
def crm_app() -> MockApp:
    return create_app(apis=["crm-inbox"], frozen=True)


@pytest.fixture
def crm(crm_app: MockApp) -> Iterator[CrmClient]:
    with TestClient(crm_app, base_url="http://127.0.0.1:8000") as client:
        yield CrmClient(client)
    assert crm_app.backend.strict_violations == [], "the mock answered outside its own spec"
    assert crm_app.backend.internal_errors == [], "a handler crashed"


# -- Feathers-style omnichannel inbox --------------------------------------------------------------------------------

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
    """A Feathers REST client's requests: a JWT from POST /authentication, JSON bodies, qs-style queries."""

    def __init__(self, http: TestClient, user: str = OMNI_ANA) -> None:
        super().__init__(http)
        self.user = user
        self.token = self._login(OMNI_EMAILS[user])

    def _login(self, email: str) -> str:
        response = self.http.post(
            "/omni-inbox/authentication", json={"strategy": "local", "email": email, "password": "convomock"}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["accessToken"])

    def url(self, path: str) -> str:
        return f"/omni-inbox{path}"

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def as_(self, user: str) -> OmniClient:
        return OmniClient(self.http, user)

    def inbound(self, conversation: str, text: str, workspace: str = OMNI_ACME) -> dict[str, Any]:
        response = self.http.post(
            "/__mock/omni-inbox/inbound", json={"workspace": workspace, "conversation": conversation, "text": text}
        )
        assert response.status_code == 201, response.text
        return dict(response.json())


@pytest.fixture
def omni_app() -> MockApp:
    return create_app(apis=["omni-inbox"], frozen=True)


@pytest.fixture
def omni(omni_app: MockApp) -> Iterator[OmniClient]:
    with TestClient(omni_app, base_url="http://127.0.0.1:8000") as client:
        yield OmniClient(client)
    assert omni_app.backend.strict_violations == [], "the mock answered outside its own spec"
    assert omni_app.backend.internal_errors == [], "a handler crashed"
