"""`PUT /__mock/state` takes a snapshot far past the control API's usual 1 MiB (issue 17, item 2: at least
256 MiB; the default seed's is ~0.5 MB, 150 conversations a tenant make ~3.5 MB), and refuses a larger one with 413,
changing nothing."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

import mock_server.engine.control as control_module
from mock_server.engine.types import CONTROL_BODY_BYTES
from mock_server.server import create_app

JSON_TYPE = {"Content-Type": "application/json"}


def test_a_3_mb_snapshot_restores() -> None:
    big = create_app(frozen=True, conversations=150)
    with TestClient(big, base_url="http://127.0.0.1:8000") as http:
        snapshot = http.get("/__mock/state").content
    assert len(snapshot) > 3 * CONTROL_BODY_BYTES
    assert control_module.STATE_BODY_BYTES >= 256 * 1024 * 1024
    with TestClient(create_app(frozen=True), base_url="http://127.0.0.1:8000") as http:
        assert http.get("/__mock/state").content != snapshot
        restored = http.put("/__mock/state", content=snapshot, headers=JSON_TYPE)
        assert restored.status_code == 200, restored.text[:300]
        assert restored.json() == {"restored": True}
        assert json.loads(http.get("/__mock/state").content) == json.loads(snapshot)


def test_a_snapshot_past_the_limit_is_413_and_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(control_module, "STATE_BODY_BYTES", 64 * 1024)
    app = create_app(frozen=True)
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        before = http.get("/__mock/state").content
        assert len(before) > 64 * 1024
        response = http.put("/__mock/state", content=before, headers=JSON_TYPE)
        assert response.status_code == 413, response.text[:300]
        assert response.json() == {"error": f"request body exceeds {64 * 1024} bytes"}
        assert http.get("/__mock/state").content == before


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b'{"format": 1, "apis": {}, "\\udfff": 1}', "surrogate"),
        (b"not json", "not valid JSON"),
        (b'{"format": 1, "apis": {}, "n": NaN}', "not valid JSON"),
        (b"[" * 2000 + b"]" * 2000, "not valid JSON"),
    ],
)
def test_a_malformed_snapshot_is_400_and_changes_nothing(raw: bytes, said: str) -> None:
    with TestClient(create_app(frozen=True), base_url="http://127.0.0.1:8000") as http:
        before = http.get("/__mock/state").content
        response = http.put("/__mock/state", content=raw, headers=JSON_TYPE)
        assert response.status_code == 400 and said in response.json()["error"], response.text[:300]
        assert http.get("/__mock/state").content == before


def test_a_snapshot_with_an_integer_past_64_bits_restores() -> None:
    with TestClient(create_app(frozen=True), base_url="http://127.0.0.1:8000") as http:
        snapshot = http.get("/__mock/state").json()
        snapshot["unused"] = 9 * 10**29 + 7  # an unknown top-level key: kept by nothing, read whole
        response = http.put("/__mock/state", json=snapshot)
        assert response.status_code == 200, response.text[:300]
