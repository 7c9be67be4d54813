"""The spec's request examples that need a seeded record or a seam's secret, sent as the docs page's "Try it out"
sends them (issue 16, item 4): the bodies and parameter examples read from specs/crm-inbox.yaml, each security
scheme authorised with the credential `/__mock/credentials` lists for it (`schemes`, else the first credential's
token). The seed holds what they name: the uploaded file of the email example, Alice's claim on Maria's lead (the
assignment example), Maria's pending draft (the activity example). tests/test_spec_examples.py sends every example
of every spec; these pin the answers."""

from __future__ import annotations

from typing import Any

import httpx

from mock_server import DATA_ROOT
from mock_server.engine.specs import load_yaml
from tests.support.crminbox import (
    CRM_ACME,
    CRM_ALICE,
    CRM_CAROL,
    CRM_GLOBEX,
    CRM_GLOBEX_THREAD,
    CRM_MARIA,
    CRM_SECRET,
    CRM_THREAD,
    CRM_TOKENS,
    CrmClient,
)

SPEC: dict[str, Any] = load_yaml(DATA_ROOT / "specs" / "crm-inbox.yaml")
START = "2026-01-15T15:00:00Z"  # the frozen mock clock
ACME_INSTALLATION = "inst_acme_4f2a9c1e7b3d5f8a0c2e4b6d8f1a3c5e"
MEDIA = "c7d6e5f4-3b2a-4190-8f7e-6d5c4b3a2f01"  # the seeded upload the email example attaches
ALICES = "5e1f3a7c-9b2d-4e6f-8a1b-2c3d4e5f6a01"  # Maria's lead, claimed by Alice in the seed
MARIA_DRAFT_ID = "b4e2d1c0-6a5f-4e3d-9c2b-1a0f9e8d7c04"
MARIA_DRAFT = "Hi Maria, yes — the Elm Street home is still available. Would you like a viewing this week?"


def operation(operation_id: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The path, path item and operation of an operationId."""
    for path, item in SPEC["paths"].items():
        for method in ("get", "put", "post", "delete", "patch"):
            if item.get(method, {}).get("operationId") == operation_id:
                return path, item, item[method]
    raise KeyError(operation_id)


def body_example(operation_id: str, name: str | None = None) -> Any:
    """A request-body example as the spec shows it (`name` of `examples`, or the single `example`)."""
    media = operation(operation_id)[2]["requestBody"]["content"]["application/json"]
    return media["examples"][name]["value"] if name else media["example"]


def path_of(operation_id: str) -> str:
    """The operation's path with every path parameter's example filled in, as the docs page fills it."""
    path, item, op = operation(operation_id)
    for parameter in [*item.get("parameters", []), *op.get("parameters", [])]:
        if "$ref" in parameter:
            parameter = SPEC["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", str(parameter["example"]))
    return path


def preauthorised(http: httpx.Client) -> dict[str, str]:
    """What docs.js authorises each security scheme with: the first credential naming it in `schemes`, else the
    first credential."""
    listed = http.get("/__mock/credentials").json()["crm-inbox"]
    found = {}
    for scheme in SPEC["components"]["securitySchemes"]:
        meant = [c for c in listed if scheme in c.get("schemes", [])]
        found[scheme] = (meant or listed)[0]["token"]
    return found


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_the_docs_page_authorises_each_scheme_with_a_value_it_accepts(crm: CrmClient) -> None:
    assert preauthorised(crm.http) == {
        "supabase": CRM_TOKENS[CRM_ALICE],  # Alice in Acme: the first credential
        "crmSecret": CRM_SECRET,
        "installationToken": ACME_INSTALLATION,
    }
    listed = crm.http.get("/__mock/credentials").json()["crm-inbox"]
    assert [c["schemes"] for c in listed if c["tenant"] == CRM_ACME and "schemes" in c] == [
        ["crmSecret"],
        ["installationToken"],
    ]
    assert all("schemes" not in c for c in listed if "purpose" not in c)  # a user's token: every other scheme


def test_the_email_example_attaches_the_seeded_file(crm: CrmClient) -> None:
    example = body_example("sendConversationMessage", "email_with_media")
    assert example["media_ids"] == [MEDIA]
    sent = ok(crm.post(path_of("sendConversationMessage"), json=example), 201)
    assert sent == {
        "id": sent["id"],
        "conversation_id": CRM_THREAD,
        "type": "email",
        "direction": "outbound",
        "body": example["body"],
        "subject": "Elm Street disclosures",
        "from": "inbox@crm.example.com",
        "to": "maria@example.com",
        "provider_message_id": example["provider_message_id"],
        "status": "sent",
        "media": [
            {"id": MEDIA, "filename": "elm-street-disclosures.pdf", "content_type": "application/pdf", "size": 48213}
        ],
        "call": None,
        "author_id": CRM_ALICE,
        "actor": f"user:{CRM_ALICE}",
        "action": None,
        "suggestion_id": None,
        "created_at": START,
    }
    # "idempotent by provider_message_id", as the example's summary says: the same activity, nothing sent again
    assert ok(crm.post(path_of("sendConversationMessage"), json=example)) == sent
    # the file is Acme's: Globex does not know it
    before = crm.state()
    response = crm.as_(CRM_CAROL, CRM_GLOBEX).post(
        f"/conversations/{CRM_GLOBEX_THREAD}/messages", json={"channel": "sms", "body": "x", "media_ids": [MEDIA]}
    )
    assert (response.status_code, response.json()) == (404, {"detail": "Media not found"})
    assert crm.state() == before


def test_the_assignment_example_is_alices_claim_and_the_disposition_examples_close_it(crm: CrmClient) -> None:
    path = path_of("dispositionSetterAssignment")
    assert path == f"/setter/assignments/{ALICES}/disposition"
    seeded = ok(crm.get(path_of("getSetterAssignment")))
    assert (seeded["state"], seeded["claimed_by"], seeded["claimed_at"]) == (
        "claimed",
        CRM_ALICE,
        "2026-01-15T14:00:00Z",
    )
    assert (seeded["conversation_id"], seeded["contact_id"], seeded["suggestion_id"]) == (
        CRM_THREAD,
        CRM_MARIA,
        MARIA_DRAFT_ID,
    )

    booked = ok(crm.post(path, json=body_example("dispositionSetterAssignment", "booked")))
    assert booked == {
        **seeded,
        "state": "completed",
        "disposition": {"outcome": "booked", "note": "Viewing on Saturday at 11.", "by": CRM_ALICE, "at": START},
        "updated_at": START,
    }
    assert ok(crm.get(path_of("getSetterAssignment"))) == booked


def test_the_follow_up_example_queues_the_next_lead(crm: CrmClient) -> None:
    example = body_example("dispositionSetterAssignment", "follow_up")
    done = ok(crm.post(path_of("dispositionSetterAssignment"), json=example))
    assert (done["state"], done["disposition"]) == (
        "completed",
        {"outcome": "follow_up", "note": None, "by": CRM_ALICE, "at": START},
    )
    queued = ok(crm.get("/setter/queue", params={"state": "queued"}))["items"]
    assert [(a["conversation_id"], a["reason"], a["due_at"], a["claimed_by"]) for a in queued] == [
        (CRM_THREAD, "follow_up", example["follow_up_at"], None)
    ]


def test_the_suggestion_examples_name_marias_pending_draft(crm: CrmClient) -> None:
    assert path_of("sendSuggestion") == f"/conversations/{CRM_THREAD}/suggestions/{MARIA_DRAFT_ID}/send"
    sent = ok(crm.post(path_of("sendSuggestion")))
    assert (sent["suggestion"]["id"], sent["suggestion"]["status"], sent["suggestion"]["body"]) == (
        MARIA_DRAFT_ID,
        "sent",
        MARIA_DRAFT,
    )
    assert (sent["message"]["suggestion_id"], sent["message"]["body"], sent["message"]["to"]) == (
        MARIA_DRAFT_ID,
        MARIA_DRAFT,
        "+15551230001",
    )
    crm.http.post("/__mock/reset")
    dismissed = ok(crm.post(path_of("dismissSuggestion")))["suggestion"]
    assert (dismissed["id"], dismissed["status"]) == (MARIA_DRAFT_ID, "dismissed")


def test_the_inbound_sms_example_lands_with_the_listed_secret(crm: CrmClient) -> None:
    secret = preauthorised(crm.http)["crmSecret"]
    example = body_example("receiveInboundSms")
    receipt = ok(
        crm.http.post(crm.url(path_of("receiveInboundSms")), headers={"X-Iron-CRM-Secret": secret}, json=example)
    )
    assert receipt == {
        "status": "received",
        "conversation_id": CRM_THREAD,  # Maria's number
        "activity_id": receipt["activity_id"],
        "contact_id": CRM_MARIA,
        "contact_created": False,
    }
    landed = ok(crm.get(f"/conversations/{CRM_THREAD}/messages", params={"limit": 100}))["items"]
    mine = next(a for a in landed if a["id"] == receipt["activity_id"])
    assert (mine["type"], mine["direction"], mine["body"], mine["provider_message_id"], mine["actor"]) == (
        "sms",
        "inbound",
        example["body"],
        example["provider_message_id"],
        "system",
    )


def test_the_inbound_email_example_lands_however_the_page_authorises_it(crm: CrmClient) -> None:
    """Swagger UI sends every authorised scheme of the operation (the secret and `?token=`); a client may send
    either. The example's `org_id` serves the secret; the installation's token names the same org."""
    values = preauthorised(crm.http)
    example = body_example("receiveInboundEmail")
    ways: list[tuple[dict[str, str], dict[str, str]]] = [
        ({"X-Iron-CRM-Secret": values["crmSecret"]}, {}),
        ({}, {"token": values["installationToken"]}),
        ({"X-Iron-CRM-Secret": values["crmSecret"]}, {"token": values["installationToken"]}),
    ]
    for headers, params in ways:
        crm.http.post("/__mock/reset")
        response = crm.http.post(crm.url(path_of("receiveInboundEmail")), headers=headers, params=params, json=example)
        receipt = ok(response)
        assert (receipt["status"], receipt["conversation_id"], receipt["contact_id"]) == (
            "received",
            CRM_THREAD,
            CRM_MARIA,
        ), (headers, params)
        items = ok(crm.get(f"/conversations/{CRM_THREAD}/messages", params={"limit": 100}))["items"]
        landed = next(a for a in items if a["id"] == receipt["activity_id"])  # the setter's new draft follows it
        assert (landed["direction"], landed["type"], landed["subject"], landed["body"], landed["from"]) == (
            "inbound",
            "email",
            example["subject"],
            example["text"],
            example["from"],
        )
        assert crm.http.get("/__mock/crm-inbox/dead-letters").json() == {"items": []}
