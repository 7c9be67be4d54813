"""Under `serve --control-token`, the signed S3 URL of `POST /s3-url-signing` and the file URL it leads to are a
vendor client's routes: they answer by their signature (issue 17, item 4), not the control token's 401."""

from __future__ import annotations

from urllib.parse import urlparse

from starlette.testclient import TestClient

from mock_server.engine.backend import client_headers
from mock_server.server import create_app
from tests.support.omniinbox import OMNI_ACME, OMNI_WA_OPEN

CONTROL = {"X-Control-Token": "s3cret"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))


def test_the_signed_url_works_with_its_signature_under_a_control_token() -> None:
    app = create_app(apis=["omni-inbox"], control_token="s3cret", frozen=True)
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        credential = http.get("/__mock/credentials", headers=CONTROL).json()["omni-inbox"][0]
        root = urlparse(credential["base_url"]).path
        body = {
            "file_name": "photo.png",
            "file_type": "image/png",
            "file_size": len(PNG),
            "organization_id": OMNI_ACME,
            "conversation_id": OMNI_WA_OPEN,
        }
        signed = http.post(f"{root}/s3-url-signing", json=body, headers=client_headers(credential))
        assert signed.status_code == 201, signed.text
        url = urlparse(signed.json()["url"])
        before = http.get("/__mock/state", headers=CONTROL).json()
        forged = http.put(f"{url.path}?{url.query.replace('signature=', 'signature=x')}", content=PNG)
        assert forged.status_code == 403, forged.text
        assert http.get("/__mock/state", headers=CONTROL).json() == before
        put = http.put(signed.json()["url"], content=PNG, headers={"Content-Type": "image/png"})
        assert put.status_code == 200, put.text
        assert http.get(url.path).content == PNG  # the file URL, without the control token
