"""`convomock serve` as a real process on a free port: the banner, the API over a socket, --api at the root,
--scenario at start, and --state saved on shutdown and loaded at the next start."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.support.onetoone import ACME_TOKEN, DOC_CONVERSATION
from tests.support.processes import serving

AUTH = {"Authorization": f"Bearer {ACME_TOKEN}"}


def test_serve_prints_base_urls_and_answers_over_a_socket() -> None:
    with serving() as (base, process):
        response = httpx.get(f"{base}/1to1ai/api/v1/public/acme/conversations/{DOC_CONVERSATION}", headers=AUTH)
        assert response.status_code == 200
        assert response.json()["uuid"] == DOC_CONVERSATION
        credentials = httpx.get(base + "/__mock/credentials").json()["1to1ai"]
        acme = next(c for c in credentials if c["tenant"] == "acme")
        assert acme["base_url"] == f"{base}/1to1ai/api/v1/public/acme"
    output = process.stdout.read() if process.stdout else ""
    assert f"{base}/1to1ai/api/v1/public/acme" in output
    assert ACME_TOKEN in output


def test_single_api_at_the_root_with_a_start_scenario() -> None:
    with serving("--api", "1to1ai", "--scenario", "vendor-down") as (base, _):
        response = httpx.get(f"{base}/api/v1/public/acme/conversations/{DOC_CONVERSATION}", headers=AUTH)
        assert response.status_code == 503
        assert response.json()["code"] == "SERVICE_UNAVAILABLE"
        assert httpx.delete(f"{base}/__mock/scenarios/vendor-down").json()["active"] is False
        assert httpx.get(f"{base}/api/v1/public/acme/conversations", headers=AUTH).status_code == 200
        assert httpx.get(f"{base}/1to1ai/api/v1/public/acme/conversations", headers=AUTH).status_code == 404


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with serving("--state", str(state)) as (base, _):
        resolved = httpx.post(
            f"{base}/1to1ai/api/v1/public/acme/conversation/resolve",
            headers=AUTH,
            json={"conversation": {"uuid": DOC_CONVERSATION}},
        )
        assert resolved.status_code == 200
    saved = json.loads(state.read_text())
    assert saved["format"] == 1
    with serving("--state", str(state), "--scenario", "window-expired") as (base, _):
        again = httpx.get(f"{base}/1to1ai/api/v1/public/acme/conversations/{DOC_CONVERSATION}", headers=AUTH)
        assert again.json()["inbox_status"] == "resolved"
        assert httpx.get(f"{base}/__mock/scenarios").json()["active"] == ["window-expired"]
        refused = httpx.post(
            f"{base}/1to1ai/api/v1/public/acme/conversation/messages/text",
            headers=AUTH,
            json={"conversation": {"uuid": DOC_CONVERSATION}, "body": "hola"},
        )
        assert refused.status_code == 422 and refused.json()["code"] == "WINDOW_CLOSED"
