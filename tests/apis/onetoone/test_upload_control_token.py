"""Under `serve --control-token`, the upload URL request-upload hands out is a vendor client's route: it answers
with its own `?token=` (issue 17, item 4), not the control token's 401."""

from __future__ import annotations

from urllib.parse import urlparse

from starlette.testclient import TestClient

from mock_server.engine.backend import client_headers
from mock_server.server import create_app

CONTROL = {"X-Control-Token": "s3cret"}


def test_the_upload_url_works_with_its_token_under_a_control_token() -> None:
    with TestClient(
        create_app(apis=["1to1ai"], control_token="s3cret", frozen=True), base_url="http://127.0.0.1:8000"
    ) as http:
        assert http.get("/__mock/credentials").status_code == 401  # the control API itself still needs the token
        credential = http.get("/__mock/credentials", headers=CONTROL).json()["1to1ai"][0]
        headers = client_headers(credential)
        root = urlparse(credential["base_url"]).path
        reserved = http.post(
            f"{root}/files/request-upload",
            json={"filename": "a.pdf", "mime_type": "application/pdf", "size_bytes": 8},
            headers=headers,
        )
        assert reserved.status_code == 201, reserved.text
        ticket = reserved.json()
        before = http.get("/__mock/state", headers=CONTROL).json()
        path = urlparse(ticket["upload_url"]).path
        wrong = http.put(
            path, params={"token": "WRONG"}, content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}
        )
        assert wrong.status_code == 403 and "token" in wrong.json()["error"], wrong.text
        assert http.get("/__mock/state", headers=CONTROL).json() == before
        # any content type, no control token, a foreign Origin: a browser app may PUT the file itself
        put = http.put(
            ticket["upload_url"],
            content=b"%PDF-1.7",
            headers={"Content-Type": "application/pdf", "Origin": "http://localhost:3000"},
        )
        assert put.status_code == 200, put.text
        assert put.json() == {"file_uuid": ticket["file_uuid"], "uploaded_bytes": 8}
