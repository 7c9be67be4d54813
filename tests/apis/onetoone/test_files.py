"""Files and media, through the public HTTP API and the upload URL it hands out: the documented flow (reserve,
PUT the bytes with the upload token, confirm, then send), the size re-validated at confirm, and every send that
names a file refusing one not confirmed yet (text, a template's header, an action group's preflight)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.support.onetoone import DOC_CONVERSATION, GLOBEX_TOKEN, SEEDED_FILE, OneToOneClient

UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"
PDF = {"Content-Type": "application/pdf"}
CATALOGO_FIELDS: dict[str, Any] = {
    "template_name": "catalogo_pdf",
    "language": "es_MX",
    "body_variables": [{"index": 1, "value": "verano"}],
}


def send_media(api: OneToOneClient, file_uuid: str, body: str | None = "Aquí está") -> Any:
    fields = {"conversation": {"uuid": DOC_CONVERSATION}, "file_uuid": file_uuid}
    return api.post("/conversation/messages/text", json={**fields, **({"body": body} if body else {})})


def template_body(header_file: str | None = None) -> dict[str, Any]:
    header = {"header": {"file_uuid": header_file}} if header_file else {}
    return {"conversation": {"uuid": DOC_CONVERSATION}, **CATALOGO_FIELDS, **header}


def confirm(api: OneToOneClient, file_uuid: str) -> Any:
    return api.post("/files/confirm", json={"file_uuid": file_uuid})


def assert_error(response: Any, status_code: int, code: str) -> str:
    assert response.status_code == status_code, response.text
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == code
    return str(body["message"])


# -- the flow -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename, mime_type, kind",
    [
        ("foto.png", "image/png", "image"),
        ("cotizacion.pdf", "application/pdf", "document"),
        ("video.mp4", "video/mp4", "video"),
    ],
)
def test_media_message_type_follows_the_mime_type(
    api: OneToOneClient, filename: str, mime_type: str, kind: str
) -> None:
    ticket = api.upload_and_confirm(filename, mime_type, b"x" * 1234)
    assert set(ticket) == {"file_uuid", "upload_url", "upload_token", "storage_path", "expires_at"}
    url = urlparse(ticket["upload_url"])
    assert url.path == f"/__mock/1to1ai/uploads/{ticket['file_uuid']}"
    assert parse_qs(url.query) == {"token": [ticket["upload_token"]]}
    assert ticket["storage_path"].endswith(f"{ticket['file_uuid']}/{filename}")
    assert ticket["expires_at"] == "2026-01-15T16:00:00Z"

    response = send_media(api, ticket["file_uuid"])
    assert response.status_code == 201, response.text
    newest = api.messages()[0]
    assert newest["uuid"] == response.json()["message_uuid"]
    assert newest["body"] == "Aquí está"
    assert api.conversation()["last_message_preview"]["content_type"] == kind
    stored = api.stored_message(newest["uuid"])
    assert stored["content_type"] == kind
    assert stored["media"] == {"file_uuid": ticket["file_uuid"], "mime_type": mime_type, "filename": filename}


def test_media_without_caption_and_unknown_file(api: OneToOneClient) -> None:
    ticket = api.upload_and_confirm("foto.jpg", "image/jpeg", b"\xff\xd8\xff\xe0JFIF")
    response = send_media(api, ticket["file_uuid"], body=None)
    assert response.status_code == 201, response.text
    assert api.messages()[0]["body"] is None
    assert api.conversation()["last_message_preview"] == {
        "body": None,
        "content_type": "image",
        "is_from_customer": False,
    }

    before = api.state()
    assert_error(send_media(api, UNKNOWN_UUID), 404, "FILE_NOT_FOUND")
    assert api.state() == before


def test_the_seeded_file_is_confirmed_and_sends(api: OneToOneClient) -> None:
    again = confirm(api, SEEDED_FILE)
    assert again.status_code == 200, again.text
    assert again.json() == {
        "file_uuid": SEEDED_FILE,
        "filename": "cotizacion.pdf",
        "mime_type": "application/pdf",
        "size_bytes": 245760,
        "confirmed_at": "2026-01-15T13:05:00Z",
    }
    response = send_media(api, SEEDED_FILE, "Aquí está tu cotización.")
    assert response.status_code == 201, response.text
    assert api.stored_message(response.json()["message_uuid"])["media"]["filename"] == "cotizacion.pdf"


# -- the upload URL and its token ---------------------------------------------------------------------------------


def test_upload_put_needs_the_token_the_url_carries(api: OneToOneClient) -> None:
    ticket = api.request_upload("cotizacion.pdf", "application/pdf", 8)
    path = urlparse(ticket["upload_url"]).path
    before = api.state()
    for query in ({}, {"token": "WRONG"}, {"token": ""}):
        refused = api.http.put(path, params=query, content=b"%PDF-1.7", headers=PDF)
        assert refused.status_code == 403, refused.text
        assert "token" in refused.json()["error"]
    assert api.state() == before

    right = api.http.put(ticket["upload_url"], content=b"%PDF-1.7", headers=PDF)
    assert right.status_code == 200, right.text
    assert right.json() == {"file_uuid": ticket["file_uuid"], "uploaded_bytes": 8}
    by_param = api.http.put(path, params={"token": ticket["upload_token"]}, content=b"%PDF-1.7", headers=PDF)
    assert by_param.status_code == 200, by_param.text
    unknown = api.http.put(f"/__mock/1to1ai/uploads/{UNKNOWN_UUID}?token=x", content=b"x", headers=PDF)
    assert unknown.status_code == 404


def test_upload_put_takes_raw_bytes_without_a_content_type(api: OneToOneClient) -> None:
    # A plain binary PUT (no Content-Type, as many HTTP clients send bytes) is an upload, not a JSON body.
    ticket = api.request_upload("foto.png", "image/png", 8)
    response = api.http.put(ticket["upload_url"], content=b"\x89PNG\r\n\x1a\n")
    assert response.status_code == 200, response.text
    assert response.json() == {"file_uuid": ticket["file_uuid"], "uploaded_bytes": 8}


def test_upload_url_expires_and_a_confirmed_file_takes_no_more_bytes(api: OneToOneClient) -> None:
    ticket = api.upload_and_confirm("a.pdf", "application/pdf", b"%PDF")
    again = api.http.put(ticket["upload_url"], content=b"%PDF-longer", headers=PDF)
    assert again.status_code == 409, again.text
    assert confirm(api, ticket["file_uuid"]).json()["size_bytes"] == 4

    late = api.request_upload("b.pdf", "application/pdf", 4)
    api.advance("61m")
    expired = api.http.put(late["upload_url"], content=b"%PDF", headers=PDF)
    assert expired.status_code == 410, expired.text


# -- confirm: the size re-validated -------------------------------------------------------------------------------


def test_confirm_before_any_upload_is_refused(api: OneToOneClient) -> None:
    ticket = api.request_upload("cotizacion.pdf", "application/pdf", 16)
    before = api.state()
    message = assert_error(confirm(api, ticket["file_uuid"]), 400, "INVALID_REQUEST")
    assert message.startswith("file_uuid:") and "upload" in message
    assert api.state() == before


def test_confirm_revalidates_the_size_and_a_new_put_fixes_it(api: OneToOneClient) -> None:
    ticket = api.request_upload("cotizacion.pdf", "application/pdf", 16)
    short = api.http.put(ticket["upload_url"], content=b"%PDF-short", headers=PDF)
    assert short.status_code == 200 and short.json()["uploaded_bytes"] == 10
    before = api.state()
    message = assert_error(confirm(api, ticket["file_uuid"]), 400, "INVALID_REQUEST")
    assert message.startswith("size_bytes:") and "16" in message and "10" in message
    assert api.state() == before
    assert_error(send_media(api, ticket["file_uuid"]), 400, "INVALID_REQUEST")  # still unconfirmed

    right = api.http.put(ticket["upload_url"], content=b"%PDF-1.7 0123456", headers=PDF)
    assert right.status_code == 200, right.text
    confirmed = confirm(api, ticket["file_uuid"])
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json() == {
        "file_uuid": ticket["file_uuid"],
        "filename": "cotizacion.pdf",
        "mime_type": "application/pdf",
        "size_bytes": 16,
        "confirmed_at": "2026-01-15T15:00:00Z",
    }
    assert send_media(api, ticket["file_uuid"]).status_code == 201


def test_confirming_twice_answers_the_same_record(api: OneToOneClient) -> None:
    ticket = api.upload_and_confirm("a.pdf", "application/pdf", b"%PDF")
    first = confirm(api, ticket["file_uuid"]).json()
    api.advance("5m")
    second = confirm(api, ticket["file_uuid"])
    assert second.status_code == 200 and second.json() == first


def test_confirm_of_another_business_file_or_an_unknown_one_is_not_found(api: OneToOneClient) -> None:
    globex = api.as_("globex", GLOBEX_TOKEN)
    ticket = api.request_upload("a.pdf", "application/pdf", 4)
    assert api.http.put(ticket["upload_url"], content=b"%PDF", headers=PDF).status_code == 200
    before = api.state()
    for file_uuid in (ticket["file_uuid"], SEEDED_FILE, UNKNOWN_UUID):
        assert file_uuid in assert_error(confirm(globex, file_uuid), 404, "FILE_NOT_FOUND")
    assert_error(confirm(api, UNKNOWN_UUID), 404, "FILE_NOT_FOUND")
    assert api.state() == before


def test_confirm_refuses_a_bad_body(api: OneToOneClient) -> None:
    before = api.state()
    for body in ({}, {"file_uuid": "not-a-uuid"}, {"file_uuid": SEEDED_FILE, "size_bytes": 4}):
        assert_error(api.post("/files/confirm", json=body), 400, "INVALID_REQUEST")
    assert api.state() == before


# -- sends refuse a file not confirmed ----------------------------------------------------------------------------


def test_text_send_refuses_an_unconfirmed_file(api: OneToOneClient) -> None:
    reserved = api.request_upload("cotizacion.pdf", "application/pdf", 8)
    uploaded = api.request_upload("foto.png", "image/png", 8)
    assert api.http.put(uploaded["upload_url"], content=b"\x89PNG\r\n\x1a\n").status_code == 200
    before = api.state()
    for ticket in (reserved, uploaded):
        message = assert_error(send_media(api, ticket["file_uuid"]), 400, "INVALID_REQUEST")
        assert message.startswith("file_uuid:") and ticket["file_uuid"] in message and "confirm" in message
    assert api.state() == before


def test_template_header_needs_a_confirmed_file(api: OneToOneClient) -> None:
    message = assert_error(api.post("/conversation/messages/template", json=template_body()), 400, "INVALID_REQUEST")
    assert "header" in message
    assert_error(api.post("/conversation/messages/template", json=template_body(UNKNOWN_UUID)), 404, "FILE_NOT_FOUND")
    reserved = api.request_upload("catalogo.pdf", "application/pdf", 4)
    before = api.state()
    message = assert_error(
        api.post("/conversation/messages/template", json=template_body(reserved["file_uuid"])), 400, "INVALID_REQUEST"
    )
    assert message.startswith("header.file_uuid:") and reserved["file_uuid"] in message
    assert api.state() == before

    ticket = api.upload_and_confirm("catalogo.pdf", "application/pdf", b"%PDF")
    response = api.post("/conversation/messages/template", json=template_body(ticket["file_uuid"]))
    assert response.status_code == 201, response.text
    newest = api.messages()[0]
    assert newest["uuid"] == response.json()["message_uuid"]
    assert newest["body"] == "Te compartimos el catálogo de verano."


def test_action_group_preflight_refuses_an_unconfirmed_file_and_runs_nothing(api: OneToOneClient) -> None:
    def group(file_uuid: str) -> dict[str, Any]:
        return {
            "conversation": {"uuid": DOC_CONVERSATION},
            "actions": [
                {"type": "assign_label", "tags": [{"name": "Cotización"}]},
                {"type": "send_message", "message": {"kind": "text", "body": "x", "file_uuid": file_uuid}},
            ],
        }

    reserved = api.request_upload("cotizacion.pdf", "application/pdf", 8)
    before = api.state()
    message = assert_error(api.post("/conversation/actions", json=group(reserved["file_uuid"])), 400, "INVALID_REQUEST")
    assert message.startswith("file_uuid:")
    api.settle()
    assert api.state() == before
    assert api.activity()["items"] == []

    ticket = api.upload_and_confirm("cotizacion.pdf", "application/pdf", b"%PDF-1.7")
    assert api.post("/conversation/actions", json=group(ticket["file_uuid"])).status_code == 202
    api.settle()
    assert [e["status"] for e in api.activity()["items"]] == ["succeeded", "succeeded"]


# -- request-upload -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"mime_type": "image/webp", "size_bytes": 100},
        {"mime_type": "application/pdf", "size_bytes": 104857601},
        {"mime_type": "application/pdf", "size_bytes": 0},
    ],
)
def test_request_upload_refuses_bad_type_and_size(api: OneToOneClient, fields: dict[str, Any]) -> None:
    before = api.state()
    assert_error(api.post("/files/request-upload", json={"filename": "f", **fields}), 400, "INVALID_REQUEST")
    assert api.state() == before


def test_request_upload_accepts_the_maximum_size(api: OneToOneClient) -> None:
    assert api.request_upload("big.pdf", "application/pdf", 104857600)["file_uuid"]
