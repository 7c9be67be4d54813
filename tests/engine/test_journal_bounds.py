"""The journal is bounded in bytes as well as entries (issue 17, item 2): a big body is kept as a preview, a long
header value is cut, the whole journal stays under its byte budget (oldest first out), and health and
`GET /__mock/requests` say how much it holds. Every API alike: the routes come from each package's probes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from mock_server.apis import BINDINGS
from mock_server.engine.backend import client_headers
from mock_server.engine.journal import BODY_LIMIT, HEADER_LIMIT, PREVIEW_BYTES
from mock_server.server import create_app

JSON_TYPE = {"Content-Type": "application/json"}


class Served:
    def __init__(self, api: str, http: TestClient) -> None:
        self.http = http
        credential = http.get("/__mock/credentials").json()[api][0]
        self.headers = client_headers(credential)
        probes = BINDINGS[api].probes
        assert probes is not None, f"{api}: its package gives no probes"
        base = urlsplit(credential["base_url"]).path
        self.read, self.write = base + probes.read, base + probes.write

    def newest(self) -> dict[str, Any]:
        response = self.http.get("/__mock/requests", params={"limit": 1})
        assert response.status_code == 200, response.text[:300]
        items: list[dict[str, Any]] = response.json()["items"]
        return items[0]

    def journal_health(self) -> dict[str, int]:
        health: dict[str, int] = self.http.get("/__mock/health").json()["journal"]
        return health


@pytest.fixture(params=sorted(BINDINGS))
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    app = create_app(apis=[request.param], frozen=True, journal_bytes=2 * 1024 * 1024)
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        yield Served(request.param, http)


def _big_json(size: int) -> bytes:
    return json.dumps({"note": "x" * size}).encode()


def test_a_body_over_the_limit_is_kept_as_a_preview(served: Served) -> None:
    raw = _big_json(1000 * 1000)  # under the engine's 1 MiB: read, then refused or ignored, and journaled
    response = served.http.post(served.write, content=raw, headers={**served.headers, **JSON_TYPE})
    assert response.status_code < 500, response.text[:300]
    kept = served.newest()["request_body"]
    assert kept == {"truncated": True, "bytes": len(raw), "preview": raw[:PREVIEW_BYTES].decode()}
    assert len(json.dumps(served.newest())) < 3 * BODY_LIMIT


def test_a_body_under_the_limit_is_kept_whole(served: Served) -> None:
    raw = _big_json(3000)  # a refused body is shown parsed up to 4 KiB (app.py), an accepted one up to BODY_LIMIT
    served.http.post(served.write, content=raw, headers={**served.headers, **JSON_TYPE})
    assert served.newest()["request_body"] == json.loads(raw)


def test_a_100_kb_header_is_cut(served: Served) -> None:
    value = "v" * 100_000
    response = served.http.get(served.read, headers={**served.headers, "X-Long": value})
    assert response.status_code < 500, response.text[:300]
    kept = served.newest()["request_headers"]["x-long"]
    assert kept.startswith("v" * HEADER_LIMIT) and len(kept) < HEADER_LIMIT + 64 and "100000" in kept


def test_the_journal_stays_under_its_byte_budget_and_says_so(served: Served) -> None:
    budget = 2 * 1024 * 1024
    raw = _big_json(200 * 1000)
    long_header = "h" * 50_000
    for _ in range(120):
        served.http.post(served.write, content=raw, headers={**served.headers, **JSON_TYPE, "X-Long": long_header})
    health = served.journal_health()
    assert health["max_bytes"] == budget and 0 < health["bytes"] <= budget
    assert 0 < health["entries"] <= health["max_entries"]
    summary = served.http.get("/__mock/requests", params={"limit": 1}).json()
    assert (summary["held"], summary["held_bytes"], summary["bytes_bound"]) == (
        health["entries"],
        health["bytes"],
        budget,
    )
    # The estimate is honest: what the journal answers is of the order of what it counts.
    listed = served.http.get("/__mock/requests").content
    assert len(listed) <= health["bytes"] * 2
    assert served.http.delete("/__mock/requests").status_code == 200
    assert served.journal_health()["bytes"] == 0


def test_the_byte_budget_drops_the_oldest_first() -> None:
    api = min(BINDINGS)
    app = create_app(apis=[api], frozen=True, journal_bytes=64 * 1024)
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        served = Served(api, http)
        for index in range(40):
            served.http.get(served.read, headers={**served.headers, "X-Index": str(index), "X-Pad": "p" * 900})
        listed = served.http.get("/__mock/requests").json()
        indexes = [int(item["request_headers"]["x-index"]) for item in listed["items"]]
        assert indexes == list(range(39, 39 - len(indexes), -1))  # the newest, in order; the oldest went
        assert 1 < len(indexes) < 40 and listed["held_bytes"] <= 64 * 1024
