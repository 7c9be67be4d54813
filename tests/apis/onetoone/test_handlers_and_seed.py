"""The 1TO1 AI package's handlers (one per operation, named after it) and its seed (fixed records whatever the
seed, the generated conversations the option asks for)."""

from __future__ import annotations

import json
import re
from typing import Any

from mock_server.apis import onetoone
from mock_server.apis.onetoone.handlers import HANDLERS
from mock_server.engine.snapshot import dumps
from mock_server.engine.specs import load_spec
from mock_server.server import create_app


def _snake(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def test_every_handler_is_named_after_its_operation() -> None:
    operation_ids = load_spec(onetoone.API.spec_path).operation_ids()
    assert set(HANDLERS) == set(operation_ids)
    assert len(HANDLERS) == 17  # the 16 documented operations and the designed /files/confirm
    for operation_id, handler in HANDLERS.items():
        assert handler.__name__ == _snake(operation_id), operation_id


def _snapshot_text(**options: Any) -> str:
    return dumps(create_app(apis=["1to1ai"], frozen=True, **options).backend.snapshot())


def test_seeding_is_deterministic() -> None:
    first, second = _snapshot_text(), _snapshot_text()
    assert first == second
    assert len(first) > 10_000


def test_another_seed_gives_another_state() -> None:
    default, other = json.loads(_snapshot_text()), json.loads(_snapshot_text(seed=1))
    assert other["seed"] == 1
    assert default["apis"]["1to1ai"]["store"] != other["apis"]["1to1ai"]["store"]
    # the fixed records are the same whatever the seed
    for data in (default, other):
        conversations = data["apis"]["1to1ai"]["store"]["businesses"]["acme"]["conversations"]
        assert "550e8400-e29b-41d4-a716-446655440000" in conversations


def test_conversation_count_option() -> None:
    app = create_app(apis=["1to1ai"], frozen=True, conversations=500)
    businesses = app.backend.runtimes["1to1ai"].store.businesses
    fixed = {"acme": 3, "globex": 1}
    assert {slug: len(b.conversations) for slug, b in businesses.items()} == {
        slug: 500 + n for slug, n in fixed.items()
    }
    assert all(len(b.contacts) == len(b.conversations) for b in businesses.values())
    assert any(c.is_tester for c in businesses["acme"].conversations.values())


def test_zero_generated_conversations_leaves_the_fixed_ones() -> None:
    app = create_app(apis=["1to1ai"], frozen=True, conversations=0)
    businesses = app.backend.runtimes["1to1ai"].store.businesses
    assert sorted(businesses["acme"].conversations) == [
        "550e8400-e29b-41d4-a716-446655440000",
        "9a1b2c3d-0001-4e4f-8a5b-6c7d8e9f0a02",
        "9a1b2c3d-0001-4e4f-8a5b-6c7d8e9f0a03",
    ]
    assert list(businesses["globex"].conversations) == ["9a1b2c3d-0002-4e4f-8a5b-6c7d8e9f0a01"]


def test_seeded_contacts_hold_both_forms_of_whatsapp_user_id() -> None:
    acme = create_app(apis=["1to1ai"], frozen=True, conversations=0).backend.runtimes["1to1ai"].store.businesses["acme"]
    by_phone = {c.phone: c.whatsapp_user_id for c in acme.contacts.values()}
    # José has a BSUID (Meta's example value); the others only the digits the docs say both identifiers hold today
    assert by_phone == {"5215512345678": None, "5215587654321": "US.13491208655302741918", "5215500000001": None}
    assert all(f.confirmed_at is not None for f in acme.files.values())
    assert list(acme.files) == ["0c9b8a7d-6e5f-4d3c-8b2a-1f0e9d8c7b6a"]
