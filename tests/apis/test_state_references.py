"""A snapshot (`PUT /__mock/state`) or state file (`serve --state FILE`) whose records refer to records that do not
exist (a conversation's contact, a message's conversation, an agent's action), or that holds a wrong-typed field
deep in a store, is refused before it is served: before, such a file started, answered 500 on every list and was
saved back over itself. Each API's package lists its own references (`ApiBinding.check_state`); here each kind is
planted in one API's seeded snapshot, and refused through HTTP (400, the state unchanged) and through the CLI (one
line, exit 2, the file's bytes unchanged)."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mock_server.cli import main
from mock_server.server import create_app
from tests.support.highlevel import HL_ACME

Store = dict[str, Any]


def _first(records: dict[str, Any]) -> Any:
    return next(iter(records.values()))


def _onetoone_conversation(store: Store) -> Any:
    return _first(_first(store["businesses"])["conversations"])


def _highlevel_location(store: Store) -> Any:
    return _first(store["locations"])


def _crm_org(store: Store) -> Any:
    return _first(store["orgs"])


def _omni_org(store: Store) -> Any:
    return _first(store["organizations"])


def _set(find: Callable[[Store], Store], field: str, value: Any) -> Callable[[Store], None]:
    def plant(store: Store) -> None:
        find(store)[field] = value

    return plant


def _append(find: Callable[[Store], Store], field: str, value: Any) -> Callable[[Store], None]:
    def plant(store: Store) -> None:
        find(store)[field].append(value)

    return plant


# (api, what is planted) -> (how, a word the refusal names)
PLANTED: dict[tuple[str, str], tuple[Callable[[Store], None], str]] = {
    ("1to1ai", "conversation's contact missing"): (
        _set(_onetoone_conversation, "contact_uuid", "00000000-0000-4000-8000-000000000000"),
        "contact",
    ),
    ("1to1ai", "conversation's mailbox missing"): (_set(_onetoone_conversation, "mailbox_uuid", "nowhere"), "mailbox"),
    ("1to1ai", "message's conversation missing"): (
        _set(lambda s: _onetoone_conversation(s)["messages"][0], "conversation_uuid", "elsewhere"),
        "conversation",
    ),
    ("1to1ai", "unread count as text"): (_set(_onetoone_conversation, "unread_count", "7"), "unread_count"),
    ("highlevel", "agent's action missing"): (
        _append(lambda s: _first(_highlevel_location(s)["agents"]), "action_ids", "noSuchAction"),
        "action",
    ),
    ("highlevel", "conversation's contact missing"): (
        _set(lambda s: _first(_highlevel_location(s)["conversations"]), "contact_id", "noSuchContact"),
        "contact",
    ),
    ("highlevel", "agent's wait time as text"): (
        _set(lambda s: _first(_highlevel_location(s)["agents"]), "wait_time", "2"),
        "wait_time",
    ),
    ("crm-inbox", "conversation's contact missing"): (
        _set(lambda s: _first(_crm_org(s)["conversations"]), "contact_id", "no-such-contact"),
        "contact",
    ),
    ("crm-inbox", "assignment's conversation missing"): (
        _set(lambda s: _first(_crm_org(s)["assignments"]), "conversation_id", "no-such-conversation"),
        "conversation",
    ),
    ("crm-inbox", "member of an org that does not exist"): (
        _set(lambda s: _first(s["users"])["memberships"][0], "org_id", "no-such-org"),
        "org",
    ),
    ("omni-inbox", "conversation's contact missing"): (
        _set(lambda s: _first(_omni_org(s)["conversations"]), "contact_id", 987654321),
        "contact",
    ),
    ("omni-inbox", "message's conversation missing"): (
        _set(lambda s: _first(_omni_org(s)["messages"]["whatsapp"]), "conversation_id", 987654321),
        "conversation",
    ),
}
APIS = sorted({api for api, _ in PLANTED})


@functools.cache
def _seeded(api: str) -> dict[str, Any]:
    """The API's seeded snapshot, as `GET /__mock/state` gives it."""
    snapshot: dict[str, Any] = json.loads(json.dumps(create_app(apis=[api], frozen=True).backend.snapshot()))
    return snapshot


def _planted(api: str, kind: str) -> dict[str, Any]:
    broken = copy.deepcopy(_seeded(api))
    PLANTED[(api, kind)][0](broken["apis"][api]["store"])
    return broken


@pytest.fixture(scope="module", params=APIS)
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, TestClient]]:
    api = request.param
    with TestClient(create_app(apis=[api], frozen=True)) as client:
        yield api, client


def _kinds(api: str) -> list[str]:
    return [kind for name, kind in PLANTED if name == api]


def test_the_seed_itself_holds_together(served: tuple[str, TestClient]) -> None:
    api, client = served
    assert client.get("/__mock/state").json() == _seeded(api)
    assert client.put("/__mock/state", json=_seeded(api)).status_code == 200


def test_a_snapshot_with_a_dangling_reference_is_refused_and_changes_nothing(
    served: tuple[str, TestClient],
) -> None:
    api, client = served
    assert client.post("/__mock/clock", json={"advance": "1h"}).status_code == 200
    before = client.get("/__mock/state").json()
    assert before != _seeded(api)
    for kind in _kinds(api):
        response = client.put("/__mock/state", json=_planted(api, kind))
        assert response.status_code == 400, (kind, response.text)
        assert list(response.json()) == ["error"]
        assert response.json()["error"].startswith(f"{api}: "), kind
        assert PLANTED[(api, kind)][1] in response.json()["error"], (kind, response.text)
        assert client.get("/__mock/state").json() == before, kind


@pytest.mark.parametrize(("api", "kind"), sorted(PLANTED))
def test_a_state_file_with_a_dangling_reference_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, api: str, kind: str
) -> None:
    state = tmp_path / "state.json"
    content = json.dumps(_planted(api, kind)).encode()
    state.write_bytes(content)

    code = main(["serve", "--api", api, "--port", "0", "--state", str(state)])

    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"convomock: {state}: {api}: ")
    assert PLANTED[(api, kind)][1] in lines[0]
    assert state.read_bytes() == content
    # nothing else written beside it (the lock file a start takes while it reads is not the state's)
    assert [path.name for path in tmp_path.iterdir() if path.name != ".state.json.lock"] == ["state.json"]


def test_a_refused_snapshot_leaves_queued_work_queued() -> None:
    """An agent's reply due after its wait time is a background job: a refused restore must not cancel it."""
    with TestClient(create_app(apis=["highlevel"], frozen=True)) as client:
        sent = client.post(
            "/__mock/highlevel/inbound",
            json={"location": HL_ACME, "contact": "contact_seed_2", "body": "How much is a cleaning?"},
        )
        assert sent.status_code == 201, sent.text
        assert client.get("/__mock/health").json()["jobs_pending"] == 1
        before = client.get("/__mock/state").json()

        refused = client.put("/__mock/state", json=_planted("highlevel", "agent's action missing"))

        assert refused.status_code == 400
        assert client.get("/__mock/health").json()["jobs_pending"] == 1
        assert client.get("/__mock/state").json() == before
        assert client.post("/__mock/settle").json()["jobs_run"] == 1
