"""The upload URL takes what the reservation may announce, up to the docs' 100 MiB, not the control API's usual
1 MiB (issue 17, item 2); past 100 MiB it answers 413 before the handler sees the bytes."""

from __future__ import annotations

from mock_server.apis.onetoone.control import MAX_UPLOAD_BYTES
from mock_server.engine.types import CONTROL_BODY_BYTES
from tests.support.onetoone import OneToOneClient


def test_a_5_mib_file_goes_through_the_documented_flow(api: OneToOneClient) -> None:
    size = 5 * 1024 * 1024
    ticket = api.upload_and_confirm("video.mp4", "video/mp4", b"\x03" * size)
    assert ticket["file_uuid"]


def test_the_upload_url_takes_up_to_100_mib_and_refuses_more(api: OneToOneClient) -> None:
    assert MAX_UPLOAD_BYTES == 100 * 1024 * 1024 > CONTROL_BODY_BYTES
    ticket = api.request_upload("video.mp4", "video/mp4", 1024)
    before = api.state()
    response = api.http.put(
        ticket["upload_url"], content=b"\x00" * (MAX_UPLOAD_BYTES + 1), headers={"Content-Type": "video/mp4"}
    )
    assert response.status_code == 413 and "exceeds" in response.json()["error"], response.text
    assert api.state() == before
