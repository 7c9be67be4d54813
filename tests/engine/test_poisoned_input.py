"""One request must not poison the state (issue 17): a string UTF-8 cannot encode is refused by the control API
too, a stored one cannot break an answer or a save, an exception anywhere in a request answers the API's own 500
envelope and is counted in health, and the `--state` saver outlives a failed save. Every API alike: what an API
is comes from its package's probes, never named here."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

import mock_server.engine.control as control_module
import mock_server.server as server_module
from mock_server.apis import BINDINGS
from mock_server.engine.app import MockApp
from mock_server.engine.asgi import encode_json
from mock_server.engine.backend import client_headers
from mock_server.engine.validation import find_unencodable, parse_form_body
from mock_server.server import StateFile, create_app, load_state, save_state
from tests.support.processes import until
from tests.support.specs import error_envelope

LONE = "\ud800"
JSON_TYPE = {"Content-Type": "application/json"}


class Served:
    def __init__(self, api: str, app: MockApp, http: TestClient) -> None:
        self.api, self.app, self.http = api, app, http
        credential = http.get("/__mock/credentials").json()[api][0]
        self.headers = client_headers(credential)
        probes = BINDINGS[api].probes
        assert probes is not None, f"{api}: its package gives no probes"
        self.read = urlsplit(credential["base_url"]).path + probes.read

    def state(self) -> str:
        response = self.http.get("/__mock/state")
        assert response.status_code == 200, response.text[:300]
        return response.text

    def health(self) -> dict[str, Any]:
        body: dict[str, Any] = self.http.get("/__mock/health").json()
        return body


@pytest.fixture(params=sorted(BINDINGS))
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    app = create_app(apis=[request.param], frozen=True)
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        yield Served(request.param, app, http)


# -- refused at parse time: the control API (each API's own envelope: tests/test_bad_input.py) --------------------


@pytest.mark.parametrize(
    ("method", "path", "raw"),
    [
        ("POST", "/__mock/clock", b'{"advance": "1m\\ud800"}'),
        ("PUT", "/__mock/state", b'{"format": 1, "apis": {}, "\\udfff": 1}'),
    ],
)
def test_the_control_api_refuses_a_lone_surrogate_in_its_own_shape(
    served: Served, method: str, path: str, raw: bytes
) -> None:
    before = served.state()
    response = served.http.request(method, path, content=raw, headers=JSON_TYPE)
    assert response.status_code == 400, response.text[:300]
    assert "surrogate" in response.json()["error"]
    assert served.state() == before
    assert served.health()["internal_errors"] == 0


def test_a_form_whose_charset_decodes_to_a_lone_surrogate_is_refused() -> None:
    """utf-7 decodes `+2AA-` to a lone surrogate: the form parser refuses it as the JSON parser does."""
    body = b'--b\r\nContent-Disposition: form-data; name="text"\r\n\r\n+2AA-\r\n--b--\r\n'
    with pytest.raises(Exception, match="surrogate") as caught:
        parse_form_body(body, "multipart/form-data; boundary=b; charset=utf-7")
    assert type(caught.value).__name__ == "RequestInvalid"


def test_the_walk_finds_a_lone_surrogate_in_a_key_or_a_value_at_any_depth() -> None:
    assert find_unencodable({"a": [1, {"b": "ok \U0001f600"}]}) is None
    assert find_unencodable({"a": [1, {"b": f"x{LONE}"}]}) == (("a", 1, "b"), f"x{LONE}", False)
    assert find_unencodable({"a": {LONE: 1}}) == (("a",), LONE, True)
    deep: Any = LONE
    for _ in range(5000):  # a restored state is not bounded as a body is: no recursion
        deep = [deep]
    assert find_unencodable(deep) is not None


# -- nothing stored can break an answer or a save ---------------------------------------------------------------


def test_the_answer_encoder_escapes_what_utf8_cannot_hold() -> None:
    payload = {"text": f"hi {LONE}", f"k{LONE}": [2**70, "é"]}
    encoded = encode_json(payload)
    assert b"\\ud800" in encoded
    assert json.loads(encoded) == payload  # a JSON client reads back exactly what is stored


def _poison(served: Served) -> tuple[str, str]:
    """A string of the probe's record found once in the state, as JSON, and the same with a lone surrogate after
    it: what a state file can bring in (the one way in left: the APIs refuse it)."""
    record = served.http.get(served.read, headers=served.headers)
    assert record.status_code == 200, record.text[:300]
    state = served.state()
    texts: list[str] = []
    stack: list[Any] = [record.json()]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and len(item) >= 6 and not item.isdigit():
            texts.append(item)
    quoted = next(
        (q for q in (json.dumps(t, ensure_ascii=False) for t in sorted(texts)) if state.count(q) == 1),
        None,
    )
    assert quoted is not None, f"{served.api}: no string of {served.read} is found once in the state"
    return quoted, quoted[:-1] + '\\ud800"'


def test_a_lone_surrogate_restored_from_a_state_file_breaks_no_answer_and_no_save(
    served: Served, tmp_path: Path
) -> None:
    original, poisoned = _poison(served)
    path = tmp_path / "state.json"
    path.write_text(served.state().replace(original, poisoned), encoding="utf-8")
    load_state(served.app, path)
    value = json.loads(poisoned)

    for url, headers in ((served.read, served.headers), ("/__mock/state", {}), ("/__mock/requests", {})):
        response = served.http.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text[:300])
        assert response.headers["content-type"].startswith("application/json")
    assert value in json.dumps(served.http.get(served.read, headers=served.headers).json(), ensure_ascii=False)
    assert value in json.dumps(served.http.get("/__mock/state").json(), ensure_ascii=False)
    assert served.health()["internal_errors"] == 0

    saved = tmp_path / "saved.json"
    save_state(served.app, saved)  # the escape, not a failed save
    again = create_app(apis=[served.api], frozen=True)
    load_state(again, saved)
    assert again.backend.snapshot() == served.app.backend.snapshot()


# -- an exception anywhere answers the API's 500 envelope, counted in health -------------------------------------


def _boom(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("boom")


def _assert_vendor_500(served: Served, response: Any, count: int) -> None:
    assert response.status_code == 500, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert error_envelope(served.api).is_valid(body), body
    assert "boom" not in response.text  # the bug's details are in the log and health, not in the vendor's answer
    health = served.health()
    assert health["internal_errors"] == count and health["server_errors"] >= count
    assert health["status"] == "degraded"


def test_a_handler_that_raises_answers_the_apis_500_envelope(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = served.app.backend.runtimes[served.api]
    operation = runtime.routes.match("GET", served.read).target
    monkeypatch.setitem(runtime.binding.handlers, operation.operation_id, _boom)
    before = served.state()
    _assert_vendor_500(served, served.http.get(served.read, headers=served.headers), 1)
    assert served.state() == before


def test_an_exception_outside_the_handler_answers_the_apis_500_envelope(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the handler (checking or encoding the answer): the app's last resort, not the server's text/plain."""
    monkeypatch.setattr(served.app.dispatcher, "_check_response", _boom)
    _assert_vendor_500(served, served.http.get(served.read, headers=served.headers), 1)
    assert served.state()


def test_an_exception_on_the_control_api_answers_its_own_500(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(served.app.backend.clock, "describe", _boom)  # in the endpoint
    response = served.http.get("/__mock/clock")
    assert response.status_code == 500 and response.json() == {"error": "boom"}
    monkeypatch.setattr(control_module, "send_json", _async(_boom))  # answering it
    response = served.http.get("/__mock/scenarios")
    assert response.status_code == 500 and "internal error" in response.json()["error"]
    monkeypatch.undo()
    assert served.health()["internal_errors"] == 2


def _async(function: Callable[..., Any]) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return wrapper


# -- the --state saver outlives a failed save --------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["OSError", "RuntimeError"])
def test_the_saver_survives_a_failed_save_keeps_the_old_file_and_saves_the_next_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, failure: str
) -> None:
    api = min(BINDINGS)
    app = create_app(apis=[api], frozen=True)
    path = tmp_path / "state.json"
    state = StateFile(app, path, interval=0.01)
    state.attach()
    written = server_module.write_atomically
    fail_once = tmp_path / "fail-once"  # a file, not a variable: the save runs in a forked child
    fail_once.touch()

    def write_once_failing(target: Path, data: bytes) -> None:
        if fail_once.exists():
            fail_once.unlink()
            raise OSError("No space left on device") if failure == "OSError" else RuntimeError("a bug in the save")
        written(target, data)

    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        until(path.exists)
        until(lambda: state.saved_version == app.backend.version)
        old = path.read_bytes()
        monkeypatch.setattr(server_module, "write_atomically", write_once_failing)
        with caplog.at_level(logging.ERROR, logger="convomock"):
            assert http.post("/__mock/clock", json={"advance": "1h"}).status_code == 200
            until(lambda: state.failed_version == app.backend.version)
        assert path.read_bytes() == old  # the old file stays
        expected = "No space left on device" if failure == "OSError" else "RuntimeError: a bug in the save"
        assert any("could not save state" in r.getMessage() and expected in r.getMessage() for r in caplog.records)
        assert http.post("/__mock/clock", json={"advance": "1h"}).status_code == 200  # the next change
        until(lambda: state.saved_version == app.backend.version)
        assert path.read_bytes() != old
        assert state._task is not None and not state._task.done()
    restored = create_app(apis=[api], frozen=True)
    load_state(restored, path)
    assert restored.backend.snapshot() == app.backend.snapshot()
