"""Bad input on every API: each malformed request gets the vendor's own 4xx envelope with a message, never a 5xx,
and the state snapshot is byte-identical before and after (a first slice of the robustness issue)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from mock_server.apis import BINDINGS
from mock_server.engine.backend import client_headers
from mock_server.server import create_app
from tests.support.specs import error_envelope

DEEP = b"[" * 10_000 + b"]" * 10_000
BAD_BODIES: dict[str, tuple[bytes, str]] = {
    "not-json": (b"{this is not json", "application/json"),
    "top-level-array": (b"[1, 2, 3]", "application/json"),
    "top-level-string": (b'"hello"', "application/json"),
    "wrong-content-type": (b'{"a": 1}', "text/plain"),
    "no-content-type": (b'{"a": 1}', ""),
    "too-large": (b'{"a": "' + b"x" * (11 * 1024 * 1024) + b'"}', "application/json"),
    "nested-10000-deep": (DEEP, "application/json"),
    "invalid-utf8": (b'{"a": "\xff\xfe"}', "application/json"),
    "nul-byte": (b'{"a": "x\x00y"}', "application/json"),
    "duplicate-keys": (b'{"a": 1, "a": 2}', "application/json"),
    "nan": (b'{"a": NaN}', "application/json"),
    "huge-number": (b'{"a": 1e999999}', "application/json"),
    # A lone UTF-16 surrogate escape (JavaScript's JSON.stringify of a string cut inside an emoji): valid JSON text,
    # but no UTF-8 string; stored, it used to make every later read of the state a bare 500.
    "lone-surrogate": (b'{"body": "hi \\ud800"}', "application/json"),
    "lone-surrogate-low": (b'{"body": "\\udfff cut"}', "application/json"),
    "lone-surrogate-key": (b'{"\\ud83d": "x"}', "application/json"),
    "lone-surrogate-deep": (b'{"a": [1, {"b": {"c": ["ok", "\\uDBFFx"]}}]}', "application/json"),
}
SURROGATE_CASES = sorted(case for case in BAD_BODIES if case.startswith("lone-surrogate"))


def _targets(api: str, credential: dict[str, Any]) -> tuple[str, str]:
    """(a write that takes a JSON body, a read of one seeded object by id), as the API's package names them, under
    the first credential's base URL."""
    probes = BINDINGS[api].probes
    assert probes is not None, f"{api}: its package gives no probes"
    base = urlsplit(credential["base_url"]).path
    return base + probes.write, base + probes.read


@pytest.fixture(params=sorted(BINDINGS))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, TestClient, dict[str, str], Any, tuple[str, str]]]:
    api = request.param
    app = create_app(apis=[api], frozen=True)
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        credential = http.get("/__mock/credentials").json()[api][0]
        yield api, http, client_headers(credential), error_envelope(api), _targets(api, credential)
    assert app.backend.internal_errors == [] and app.backend.strict_violations == []


def _refused(response: Any, envelope: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    body = response.json()
    assert envelope.is_valid(body), body
    assert json.dumps(body) and any(isinstance(v, (str, list)) and v for v in body.values()), body


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_a_bad_body_is_the_vendors_4xx_and_changes_nothing(served: Any, case: str) -> None:
    _api, http, headers, envelope, (write, _read) = served
    raw, content_type = BAD_BODIES[case]
    before = http.get("/__mock/state").text
    sent = {**headers, **({"Content-Type": content_type} if content_type else {})}
    response = http.post(write, content=raw, headers=sent)
    _refused(response, envelope)
    if case == "too-large":
        assert response.status_code == 413
    if (
        case in SURROGATE_CASES and response.status_code != 405
    ):  # an API without a write (a scaffold) refuses the method first
        assert "surrogate" in response.text, response.text
    if case == "huge-number" and response.status_code != 405:  # json reads 1e999999 as infinity: refused as it parses
        assert "too large for a double" in response.text, response.text
    after = http.get("/__mock/state")
    assert after.status_code == 200 and after.text == before
    assert http.get("/__mock/requests").status_code == 200


def test_a_cut_surrogate_pair_is_refused_but_a_whole_one_is_not_confused_with_it(served: Any) -> None:
    """The refusal is about a lone half: the escaped pair of an emoji (or an escaped backslash before `ud800`)
    reaches the operation's own validation, whatever it says of the rest of the body."""
    _api, http, headers, _envelope, (write, _read) = served
    sent = {**headers, "Content-Type": "application/json"}
    for raw in (b'{"body": "hi \\ud83d\\ude00"}', b'{"body": "hi \\\\ud800"}'):
        response = http.post(write, content=raw, headers=sent)
        assert response.status_code < 500 and "surrogate" not in response.text, (raw, response.text[:300])


@pytest.mark.parametrize("query", ["q=%ED%A0%80", "%ED%B0%80=1", "q=hi%20%F0%9F"])
def test_a_cut_surrogate_in_the_query_never_reaches_the_state(served: Any, query: str) -> None:
    """A query string is percent-escaped UTF-8, which cannot hold a surrogate: its bytes decode to U+FFFD."""
    _api, http, headers, envelope, (_write, read) = served
    before = http.get("/__mock/state").text
    response = http.get(f"{read}?{query}", headers=headers)
    assert response.status_code < 500, response.text[:300]
    after = http.get("/__mock/state")
    assert after.status_code == 200
    if response.status_code >= 400:  # refused: then nothing may have changed (a read may draw a trace id)
        _refused(response, envelope)
        assert after.text == before
    assert http.get("/__mock/requests").status_code == 200


# (A literal `/../` never reaches a server: HTTP clients resolve dot segments before sending.)
@pytest.mark.parametrize(
    "suffix",
    ["/..%2F..%2Fetc%2Fpasswd", "%2F..%2F", "/%2E%2E%2F%2E%2E%2F__mock%2Fstate", "/" + "9" * 400, "/%00", "/%ff%fe"],
)
def test_hostile_ids_are_refused_in_the_vendors_shape(served: Any, suffix: str) -> None:
    _api, http, headers, envelope, (_write, read) = served
    base = read.rsplit("/", 1)[0]
    before = http.get("/__mock/state").text
    response = http.get(base + suffix, headers=headers)
    _refused(response, envelope)
    assert http.get("/__mock/state").text == before


def test_very_long_query_strings_and_headers_are_answered(served: Any) -> None:
    _api, http, headers, envelope, (_write, read) = served
    before = http.get("/__mock/state").text
    response = http.get(
        read + "?" + "&".join(f"k{i}={'v' * 50}" for i in range(900)),  # ~50 KiB
        headers={**headers, "X-Long": "y" * 60_000},
    )
    assert response.status_code < 500
    if response.status_code >= 400:  # refused: then nothing may have changed (a read may draw a trace id)
        _refused(response, envelope)
        assert http.get("/__mock/state").text == before
    else:
        assert response.json()
