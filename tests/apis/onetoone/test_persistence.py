"""`serve --state FILE` as real processes: the file follows every change while the server runs (not only at
shutdown), a `kill -9` at any moment leaves a file that loads (the old state or the new, never half of one), and
the control token and tenant sharding work over a socket."""

from __future__ import annotations

import json
import random
import signal
import threading
import time
from pathlib import Path

import httpx

from tests.support.onetoone import ACME_TOKEN, DOC_CONVERSATION, GLOBEX_TOKEN
from tests.support.processes import serving

AUTH = {"Authorization": f"Bearer {ACME_TOKEN}"}
TEXT = "/1to1ai/api/v1/public/acme/conversation/messages/text"
MESSAGES = f"/1to1ai/api/v1/public/acme/conversations/{DOC_CONVERSATION}/messages"
KILLS = 4  # kill -9 this many times, at seeded random moments


def _send(base: str, body: str) -> httpx.Response:
    return httpx.post(base + TEXT, headers=AUTH, json={"conversation": {"uuid": DOC_CONVERSATION}, "body": body})


def _bodies_in_file(state: Path) -> set[str]:
    """The outbound message texts the state file holds (any JSON string that looks like one of ours)."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and value.startswith("persist-"):
            found.add(value)

    walk(json.loads(state.read_text(encoding="utf-8")))
    return found


def _temporaries(folder: Path) -> list[Path]:
    """Leftover save files (the lock file `.state.json.lock` stays by design: removing it would race)."""
    return [p for p in folder.glob(".state.json.*") if p.name != ".state.json.lock"]


def _settled(state: Path, quiet: float = 0.5) -> bool:
    """No save for `quiet` seconds."""
    before = state.stat().st_mtime_ns
    time.sleep(quiet)
    return state.stat().st_mtime_ns == before


def _wait_for(condition: object, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the state file did not catch up"
        time.sleep(0.05)


def test_the_state_file_follows_each_change_while_the_server_runs(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with serving("--state", str(state)) as (base, _):
        assert _send(base, "persist-one").status_code == 201
        _wait_for(lambda: state.exists() and "persist-one" in _bodies_in_file(state))
        _wait_for(lambda: _settled(state))  # the send's background work (its delivery status) saved too
        first = state.stat().st_mtime_ns
        time.sleep(0.6)  # nothing changed: no new save
        assert state.stat().st_mtime_ns == first
        assert httpx.post(base + "/__mock/clock", json={"advance": "1h"}).status_code == 200
        assert _send(base, "persist-two").status_code == 201
        _wait_for(lambda: "persist-two" in _bodies_in_file(state))
        saved = json.loads(state.read_text(encoding="utf-8"))
        assert saved["clock"]["now"].startswith("2026-01-15T16:00")  # the clock travels with the state
    assert _temporaries(tmp_path) == [], "a temporary file was left behind"


def test_kill_9_at_any_moment_leaves_a_file_that_loads(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    chance = random.Random(7)
    acknowledged: dict[str, float] = {}  # body -> when its 201 arrived
    for round_ in range(KILLS):
        with serving("--state", str(state)) as (base, process):
            stop = threading.Event()

            def writer(prefix: str, base: str, stop: threading.Event) -> None:
                with httpx.Client(base_url=base, headers=AUTH, timeout=5) as client:
                    n = 0
                    while not stop.is_set():
                        body = f"persist-{prefix}-{n:05d}"
                        try:
                            response = client.post(
                                TEXT, json={"conversation": {"uuid": DOC_CONVERSATION}, "body": body}
                            )
                        except httpx.TransportError:
                            return
                        if response.status_code == 201:
                            acknowledged[body] = time.monotonic()
                        n += 1

            writers = [f"r{round_}w{i}" for i in range(3)]
            threads = [threading.Thread(target=writer, args=(w, base, stop)) for w in writers]
            for thread in threads:
                thread.start()
            if round_ == 0:  # a busy machine saves slowly: make sure one save of a write has landed before the kills
                _wait_for(
                    lambda: state.exists() and any(b.startswith("persist-r0") for b in _bodies_in_file(state)), 60
                )
            time.sleep(0.5 + chance.random() * 1.5)  # the kill lands anywhere: mid-request, mid-save, idle
            process.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            process.wait(timeout=10)
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
            if process.stdout:
                process.stdout.close()
        saved = _bodies_in_file(state)  # whole JSON, never half a file (json.loads would fail)
        for w in writers:
            mine = sorted(b for b in acknowledged if b.startswith(f"persist-{w}-"))
            kept = [b for b in mine if b in saved]
            # A save is one consistent snapshot: a writer's messages survive as a prefix of what it sent.
            assert mine[: len(kept)] == kept, f"{w}: a later message survived an earlier one"
            stale = [b for b in mine if b not in saved and acknowledged[b] < killed_at - 3.0]
            assert not stale, f"{w}: acknowledged over 3 s before the kill and never saved: {stale[:3]}"
    # The last process was killed too: one more start loads what it left, and tidies any temporary file.
    with serving("--state", str(state)) as (base, _):
        assert httpx.get(base + "/__mock/health").json()["status"] == "ok"
        listed = httpx.get(base + MESSAGES, headers=AUTH, params={"limit": 100}).json()["items"]
        assert any(str(m.get("body", "")).startswith("persist-r") for m in listed), "nothing was ever saved"
    assert _temporaries(tmp_path) == []
    assert len(acknowledged) > 20, "the writers hardly ran; the kills proved nothing"


def test_the_control_token_guards_the_control_api_but_not_health() -> None:
    with serving("--control-token", "s3cret") as (base, _):
        refused = httpx.post(base + "/__mock/reset")
        assert refused.status_code == 401 and "X-Control-Token" in refused.json()["error"]
        assert httpx.get(base + "/__mock/state", headers={"X-Control-Token": "wrong"}).status_code == 401
        assert httpx.get(base + "/__mock/health").status_code == 200
        allowed = httpx.post(base + "/__mock/reset", headers={"X-Control-Token": "s3cret"})
        assert allowed.status_code == 200 and allowed.json()["reset"] is True
        # The vendor APIs do not need it (clients under test know nothing of it).
        assert httpx.get(base + MESSAGES, headers=AUTH).status_code == 200


def test_a_non_loopback_host_without_a_control_token_warns_at_start() -> None:
    with serving("--host", "0.0.0.0") as (_base, process):
        pass
    output = process.stdout.read() if process.stdout else ""
    assert "WARNING" in output and "--control-token" in output, output
    with serving() as (_base, process):
        pass
    assert "WARNING" not in (process.stdout.read() if process.stdout else "")


def test_tenants_keeps_only_the_named_tenants_for_sharding() -> None:
    with serving("--tenants", "globex") as (base, _):
        credentials = httpx.get(base + "/__mock/credentials").json()
        assert [c["tenant"] for c in credentials["1to1ai"]] == ["globex"]
        assert all(len({c["tenant"] for c in found}) == 1 for found in credentials.values())
        mine = httpx.get(
            base + "/1to1ai/api/v1/public/globex/conversations", headers={"Authorization": f"Bearer {GLOBEX_TOKEN}"}
        )
        assert mine.status_code == 200 and mine.json()["items"]
        gone = httpx.get(base + MESSAGES, headers=AUTH)
        assert gone.status_code == 401, gone.text  # acme's key is not known in globex's shard
