"""The control API refuses cross-site use (issue 17, item 4), every API alike: a page on another site cannot drive
`/__mock` with a "simple" request, a foreign `Origin` or a foreign `Host` (DNS rebinding); JSON writes, the pages'
`X-Mock-Client` header and `--allowed-host` names pass. And slow or silent connections are closed (item 6)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mock_server.server import create_app
from tests.support.processes import serving

BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def http() -> Iterator[TestClient]:
    with TestClient(create_app(frozen=True), base_url=BASE) as client:
        yield client


def state(http: Any, **headers: str) -> Any:
    response = http.get("/__mock/state", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def assert_refused(response: Any, words: str) -> None:
    assert response.status_code == 403, response.text
    assert list(response.json()) == ["error"] and "\n" not in response.json()["error"]
    assert words in response.json()["error"]


def a_scenario(http: Any) -> str:
    return str(http.get("/__mock/scenarios").json()["scenarios"][0]["name"])


def test_a_simple_text_plain_write_is_refused_and_changes_nothing(http: TestClient) -> None:
    name = a_scenario(http)
    before = state(http)
    for method, path in (("POST", "/__mock/reset"), ("POST", f"/__mock/scenarios/{name}")):
        for content_type in ("text/plain", "text/plain; charset=json", "application/x-www-form-urlencoded"):
            sent = http.request(method, path, content=b"{}", headers={"Content-Type": content_type})
            assert_refused(sent, "Content-Type: application/json")
    assert state(http) == before
    assert name not in http.get("/__mock/health").json()["scenarios"]


def test_a_foreign_origin_is_refused_even_with_json(http: TestClient) -> None:
    name = a_scenario(http)
    before = state(http)
    for origin in ("https://evil.example", "null", "http://127.0.0.1:3000", "http://localhost:8000"):
        sent = http.post(f"/__mock/scenarios/{name}", json={}, headers={"Origin": origin})
        assert_refused(sent, "another site")
        # a bodiless POST (what a no-cors fetch sends) carries its Origin too
        assert_refused(http.post("/__mock/reset", headers={"Origin": origin}), "another site")
        assert_refused(http.get("/__mock/credentials", headers={"Origin": origin}), "another site")
    assert state(http) == before


def test_a_foreign_host_is_refused_dns_rebinding(http: TestClient) -> None:
    before = state(http)
    for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example:8000", "localhost.evil.example"):
        assert_refused(http.get("/__mock/credentials", headers={"Host": host}), "--allowed-host")
        assert_refused(http.post("/__mock/reset", json={}, headers={"Host": host}), "--allowed-host")
    assert http.get("/__mock/health", headers={"Host": "evil.example"}).status_code == 200  # no secret, no state
    assert state(http) == before


def test_own_addresses_json_and_the_pages_header_pass(http: TestClient) -> None:
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LOCALHOST", "127.0.0.1"):
        assert http.get("/__mock/credentials", headers={"Host": host}).status_code == 200, host
    name = a_scenario(http)
    on = http.post(f"/__mock/scenarios/{name}", json={})
    assert on.status_code == 200, on.text
    same_origin = http.delete(f"/__mock/scenarios/{name}", headers={"Origin": BASE, "X-Mock-Client": "dashboard"})
    assert same_origin.status_code == 200, same_origin.text
    assert http.post("/__mock/clock", content=b'{"advance": "1h"}', headers={"X-Mock-Client": "x"}).status_code == 200
    assert http.post("/__mock/reset", headers={"X-Requested-With": "XMLHttpRequest"}).status_code == 200
    assert http.post("/__mock/reset").status_code == 200  # no body, no type, no Origin: not a browser (curl -X POST)
    assert http.post("/__mock/reset", json={}).status_code == 200


def test_allowed_host_adds_a_name() -> None:
    with TestClient(create_app(frozen=True, allowed_hosts=["convomock"]), base_url=BASE) as http:
        assert http.get("/__mock/credentials", headers={"Host": "convomock:8000"}).status_code == 200
        assert_refused(http.get("/__mock/credentials", headers={"Host": "other:8000"}), "--allowed-host")


def test_in_process_clients_keep_their_own_host() -> None:
    with TestClient(create_app(frozen=True)) as http:  # http://testserver
        assert http.get("/__mock/credentials").status_code == 200
        assert http.post("/__mock/reset", json={}).status_code == 200


# -- through a served process: the Host check, --allowed-host and the connection deadlines -------------------------


def test_served_refuses_a_foreign_host_and_takes_allowed_host() -> None:
    with serving("--allowed-host", "convomock", "--freeze") as (base, _):
        assert httpx.get(f"{base}/__mock/credentials").status_code == 200
        port = base.rsplit(":", 1)[1]
        assert httpx.get(f"{base}/__mock/credentials", headers={"Host": f"localhost:{port}"}).status_code == 200
        assert httpx.get(f"{base}/__mock/credentials", headers={"Host": f"convomock:{port}"}).status_code == 200
        before = httpx.get(f"{base}/__mock/state").json()
        assert_refused(httpx.get(f"{base}/__mock/credentials", headers={"Host": f"evil.example:{port}"}), "Host")
        assert_refused(
            httpx.post(f"{base}/__mock/reset", content=b"x", headers={"Content-Type": "text/plain"}), "Content-Type"
        )
        assert httpx.get(f"{base}/__mock/state").json() == before


def _closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closes the socket (reads EOF), failing after `seconds`."""
    started = time.monotonic()
    sock.settimeout(seconds)
    while True:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            pytest.fail(f"the connection was still open after {seconds} s")
        except ConnectionResetError:
            return time.monotonic() - started
        if not data:
            return time.monotonic() - started


def test_silent_and_slow_connections_are_closed() -> None:
    with serving("--header-timeout", "1") as (base, _):
        host, port = base.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port))) as silent:
            assert 0.8 <= _closed_within(silent, 4) <= 3  # sends nothing: closed after --header-timeout
        with socket.create_connection((host, int(port))) as slow:
            slow.sendall(b"GET /__mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # a head never finished
            time.sleep(0.5)
            slow.sendall(b"X-Slow: 1\r\n")  # a byte now and then does not keep it open
            assert _closed_within(slow, 4) <= 3
        with socket.create_connection((host, int(port))) as kept:
            kept.sendall(f"GET /__mock/health HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            kept.settimeout(4)
            assert kept.recv(65536).startswith(b"HTTP/1.1 200")
            assert _closed_within(kept, 4) <= 3  # idle after an answer: the next head is due within the timeout
        with socket.create_connection((host, int(port))) as huge:
            huge.sendall(b"GET /__mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 70_000)
            huge.settimeout(4)
            assert huge.recv(65536).startswith(b"HTTP/1.1 431")
        assert httpx.get(f"{base}/__mock/health").status_code == 200  # and the server serves on


def test_a_body_that_stops_arriving_is_closed_and_nothing_of_it_applied() -> None:
    body = b'{"advance": "1h"}'
    head = (
        f"POST /__mock/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with serving("--header-timeout", "2", "--freeze") as (base, _):
        host, port = base.removeprefix("http://").rsplit(":", 1)
        before = httpx.get(f"{base}/__mock/clock").json()["now"]
        with socket.create_connection((host, int(port))) as stalled:
            stalled.sendall(head + body[:10])  # half a body, then nothing
            assert 1.8 <= _closed_within(stalled, 6) <= 5
        assert httpx.get(f"{base}/__mock/clock").json()["now"] == before  # the half body was not applied
        with socket.create_connection((host, int(port))) as steady:
            steady.sendall(head)
            for start in range(0, len(body), 4):  # 2.5 s in all, but never 2 s without a byte: it passes
                time.sleep(0.5)
                steady.sendall(body[start : start + 4])
            steady.settimeout(4)
            assert steady.recv(65536).startswith(b"HTTP/1.1 200")
        assert httpx.get(f"{base}/__mock/clock").json()["now"] != before
        health = httpx.get(f"{base}/__mock/health").json()
        assert health["internal_errors"] == 0 and health["status"] == "ok", health
