"""The two request examples of specs/omni-inbox.yaml that failed Swagger UI's "Try it out" (issue 16, item 4) work
as the docs page sends them, each checked by its answer and a follow-up read:

- `POST /conversation-files` (`pdf`) records the upload the default seed holds for its key (Acme Solutions' PDF
  for conversation 1001), whose URL then serves a real PDF of the announced size;
- `POST /contacts` (`vendor`), the API-key page's example with its organization 101 replaced by the seeded 456,
  creates the contact in 456 with Acme Solutions' key (the page's own 101 body is replayed verbatim, with Example
  Org's key, in test_docs_replay.py).

The bodies are read from the spec, so the test follows the examples as the page shows them. The docs page also
pre-authorises both security schemes (`apiKey` with the first key, `bearer` with the first seeded JWT) and Swagger
UI sends both on an operation that takes either: that pair works, and the bearer alone logs out.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from tests.apis.omniinbox.reads import Record, now_ms, refused
from tests.support.omniinbox import OMNI_ACME, OMNI_ADMIN, OMNI_EXAMPLE_USER, OMNI_USERS, OMNI_WA_OPEN, OmniClient
from tests.support.specs import SPECS

SEEDED_KEY = "organizations/456/conversations/1001/6633a2f0000000000000a001/invoice-4711.pdf"
BUCKET = "achieveapex-conversation-files"


def example(path: str, method: str, name: str) -> Record:
    """A request-body example of the spec, as the docs page fills it in."""
    operation = SPECS["omni-inbox"].document["paths"][path][method]
    value: Record = operation["requestBody"]["content"]["application/json"]["examples"][name]["value"]
    return dict(value)


def test_the_conversation_file_example_records_the_seeded_upload(omni: OmniClient) -> None:
    body = example("/conversation-files", "post", "pdf")
    assert (body["s3_key"], body["file_size"]) == (SEEDED_KEY, 48213)
    record = omni.ok("POST", "/conversation-files", body, 201)
    assert re.fullmatch(r"[0-9a-f]{24}", record.pop("_id"))
    url = record.pop("url")
    assert url.endswith("/__mock/omni-inbox/s3/" + quote(SEEDED_KEY, safe=""))
    at = now_ms(omni)
    assert record == {
        "conversation_id": OMNI_WA_OPEN,
        "organization_id": OMNI_ACME,
        "file_name": "invoice-4711.pdf",
        "file_type": "application/pdf",
        "file_size": 48213,
        "s3_key": SEEDED_KEY,
        "s3_path": f"s3://{BUCKET}/{SEEDED_KEY}",
        "file_category": "file",
        "created_by_user_id": OMNI_ADMIN,  # acme's key acts as its user
        "created_at": at,
        "updated_at": at,
    }
    served = omni.http.get(url)  # the seeded bytes: a PDF of the announced size
    assert (served.status_code, served.headers["content-type"], len(served.content)) == (200, "application/pdf", 48213)
    assert served.content.startswith(b"%PDF-1.4\n") and served.content.endswith(b"%%EOF\n")


def test_the_recorded_example_file_can_be_sent(omni: OmniClient) -> None:
    record = omni.ok("POST", "/conversation-files", example("/conversation-files", "post", "pdf"), 201)
    send = {"conversation_id": OMNI_WA_OPEN, "conversation_file_id": record["_id"], "message_type": "document"}
    sent = omni.ok("POST", "/conversation-messages-transform-outgoing-whatsapp", send, 201)
    assert (sent["conversation_file_id"], sent["media_url"], sent["file_name"], sent["file_size"]) == (
        record["_id"],
        record["url"],
        "invoice-4711.pdf",
        48213,
    )
    assert omni.messages(OMNI_WA_OPEN, "whatsapp")[-1] == sent


def test_the_create_contact_example_creates_in_the_seeded_organization(omni: OmniClient) -> None:
    body = example("/contacts", "post", "vendor")
    assert body == {"first_name": "Jane", "last_name": "Doe", "email": "jane@example.com", "organization_id": 456}
    before = omni.ok("GET", "/contacts", params={"organization_id": OMNI_ACME})["total"]
    created = omni.ok("POST", "/contacts", body, 201)
    assert {k: created[k] for k in body} == body
    assert (created["system_type"], created["created_by_user_id"], created["owned_by_user_id"]) == (
        "contact",
        OMNI_ADMIN,
        OMNI_ADMIN,
    )
    assert (created["deleted_at"], created["tag_ids"], created["custom_fields_by_name"]) == (None, [], {})
    assert created["created_at"] == created["updated_at"] == now_ms(omni)
    assert omni.ok("GET", f"/contacts/{created['id']}") == created
    assert omni.ok("GET", "/contacts", params={"organization_id": OMNI_ACME})["total"] == before + 1


def test_the_pages_own_organization_101_is_refused_with_acmes_key(omni: OmniClient) -> None:
    before = omni.state()
    verbatim = {**example("/contacts", "post", "vendor"), "organization_id": 101}
    refused(omni.post("/contacts", json=verbatim), 403, "You are not a member of organization 101")
    assert omni.state() == before


def preauthorised(omni: OmniClient) -> dict[str, str]:
    """docs.js: each security scheme gets the first credential whose `schemes` names it."""
    credentials: list[dict[str, Any]] = omni.http.get("/__mock/credentials").json()["omni-inbox"]
    return {
        scheme: next(c["token"] for c in credentials if scheme in c.get("schemes", []))
        for scheme in ("apiKey", "bearer")
    }


def test_the_docs_page_sends_the_key_and_the_first_seeded_jwt_together(omni: OmniClient) -> None:
    tokens = preauthorised(omni)
    both = {"x-api-key": tokens["apiKey"], "Authorization": f"Bearer {tokens['bearer']}"}
    page = omni.http.get(omni.url("/contacts"), headers=both)
    assert page.status_code == 200, page.text
    assert {c["organization_id"] for c in page.json()["data"]} == {OMNI_ACME}  # the key decides the organization
    created = omni.http.post(omni.url("/contacts"), headers=both, json=example("/contacts", "post", "vendor"))
    assert (created.status_code, created.json()["created_by_user_id"]) == (201, OMNI_ADMIN)  # and the user


def test_the_docs_page_logs_out_with_its_bearer_token(omni: OmniClient) -> None:
    token = preauthorised(omni)["bearer"]
    bearer = {"Authorization": f"Bearer {token}"}
    logout = omni.http.delete(omni.url("/authentication"), headers=bearer)
    assert logout.status_code == 200, logout.text
    result = logout.json()
    assert (result["accessToken"], result["authentication"]) == (token, {"strategy": "jwt"})
    assert (result["user"]["id"], result["user"]["email"]) == (OMNI_EXAMPLE_USER, OMNI_USERS[OMNI_EXAMPLE_USER])
    refused_again = omni.http.get(omni.url("/contacts"), headers=bearer)
    assert (refused_again.status_code, refused_again.json()["message"]) == (401, "Invalid access token")
