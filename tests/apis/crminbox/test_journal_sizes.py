"""The journal records uploads and raw receivers' bodies as metadata, never as bytes, and a big body as a preview
(issue 17, item 2): a media upload or an inbound email's raw body used to break `GET /__mock/requests` with a 500."""

from __future__ import annotations

from typing import Any

from mock_server.engine.journal import PREVIEW_BYTES
from tests.support.crminbox import CRM_SECRET, CrmClient


def newest(crm: CrmClient, count: int = 1) -> list[dict[str, Any]]:
    response = crm.http.get("/__mock/requests", params={"limit": count})
    assert response.status_code == 200, response.text[:300]
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_an_upload_and_a_raw_inbound_email_are_journaled_as_metadata(crm: CrmClient) -> None:
    data = b"\x00\xff" * 1000
    upload = crm.post("/conversations/media", files={"file": ("a.bin", data, "application/octet-stream")})
    assert upload.status_code == 201, upload.text
    raw = b"\xff\xfe not json"
    email = crm.http.post(
        crm.url("/webhooks/inbound-email"),
        headers={"X-Iron-CRM-Secret": CRM_SECRET, "Content-Type": "application/octet-stream"},
        content=raw,
    )
    assert email.status_code == 200 and email.json()["status"] == "dead_lettered", email.text
    emailed, uploaded = newest(crm, 2)
    assert emailed["request_body"] == {"bytes": len(raw), "content_type": "application/octet-stream"}
    part = uploaded["request_body"]["file"]
    assert part == {"filename": "a.bin", "content_type": "application/octet-stream", "bytes": len(data)}


def test_a_textual_raw_body_keeps_a_preview(crm: CrmClient) -> None:
    raw = b'{"from": "maria@example.com"}'
    crm.http.post(
        crm.url("/webhooks/inbound-email"),
        headers={"X-Iron-CRM-Secret": CRM_SECRET, "Content-Type": "application/json"},
        content=raw,
    )
    kept = newest(crm)[0]["request_body"]
    assert kept == {"bytes": len(raw), "content_type": "application/json", "preview": raw.decode()}


def test_a_10_mib_upload_is_journaled_in_a_few_bytes(crm: CrmClient) -> None:
    size = 10 * 1024 * 1024
    upload = crm.post("/conversations/media", files={"file": ("big.bin", b"\0" * size, "video/mp4")})
    assert upload.status_code == 201, upload.text
    assert newest(crm)[0]["request_body"]["file"]["bytes"] == size
    journal = crm.http.get("/__mock/health").json()["journal"]
    assert journal["entries"] >= 1 and journal["bytes"] < 64 * 1024


def test_a_2_mib_json_body_is_journaled_truncated(crm: CrmClient) -> None:
    before = crm.state()
    raw = b'{"file": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = crm.post("/conversations/media", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 415, response.text[:300]  # read whole (the upload route takes 10 MiB), refused
    kept = newest(crm)[0]["request_body"]
    assert kept == {"truncated": True, "bytes": len(raw), "preview": raw[:PREVIEW_BYTES].decode()}
    assert crm.state() == before
