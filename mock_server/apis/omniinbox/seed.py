"""Deterministic omnichannel seed: fixtures/omni-inbox.yaml's workspaces, users, AI assistants, predefined
messages, automations and threads, then generated threads on every channel (Faker, the API's generator)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from faker import Faker

from mock_server.apis.omniinbox.auth import issue_token
from mock_server.apis.omniinbox.state import CHANNELS, OmniStore, Workspace, add_message, object_id
from mock_server.engine.clock import iso, parse_duration
from mock_server.engine.ids import SeededRandom
from mock_server.engine.types import MockOptions

__all__ = ["TOKEN_LIFETIME", "seed"]

TOKEN_LIFETIME = parse_duration("3650d")  # the seeded credentials stay valid however far the clock is moved
_LINES = [
    "Hello!",
    "Is this available?",
    "What are your prices?",
    "Thanks!",
    "Can I change my order?",
    "When will it ship?",
    "I need help with my account.",
]
_STAGES = ["new", "qualified", "proposal", "won", "lost"]


def _conversation(workspace: Workspace, raw: Mapping[str, Any], rng: SeededRandom, start: datetime) -> None:
    conversation = {
        "_id": raw["_id"],
        "workspaceId": workspace.id,
        "channel": raw["channel"],
        "contact": dict(raw["contact"]),
        "status": raw.get("status", "open"),
        "assigneeId": raw.get("assigneeId"),
        "pipelineStage": raw.get("pipelineStage", "new"),
        "aiAssistantId": raw.get("aiAssistantId"),
        "tags": list(raw.get("tags", [])),
        "unreadCount": 0,
        "lastMessageAt": None,
        "lastMessagePreview": None,
        "windowExpiresAt": None,
        "createdAt": iso(start + parse_duration(raw.get("created", "-30d"))),
        "updatedAt": None,
    }
    conversation["updatedAt"] = conversation["createdAt"]
    workspace.conversations[conversation["_id"]] = conversation
    status = conversation["status"]
    for line in raw.get("messages", []):
        sender = (
            {"type": "contact", "id": conversation["contact"]["_id"]}
            if line["direction"] == "inbound"
            else {"type": "user", "id": line.get("user")}
        )
        add_message(
            workspace,
            conversation,
            rng,
            start + parse_duration(line["at"]),
            direction=line["direction"],
            text=line["text"],
            sender=sender,
        )
    conversation["status"] = status  # the seed's status, whatever the messages did


def _generated(workspace: Workspace, count: int, fake: Faker, rng: SeededRandom, start: datetime) -> None:
    users = sorted(workspace.users)
    for index in range(count):
        channel = CHANNELS[index % len(CHANNELS)]
        name = fake.name()
        contact = {
            "_id": object_id(workspace, start),
            "name": name,
            "phone": f"+1415{rng.randrange(10**7):07d}" if channel in ("whatsapp", "sms") else None,
            "email": None,
            "username": name.lower().replace(" ", ".") if channel == "instagram" else None,
        }
        messages = [
            {
                "direction": "inbound" if step % 2 == 0 else "outbound",
                "at": f"-{rng.randrange(5, 96 * 60)}m",
                "text": rng.choice(_LINES),
                "user": rng.choice(users) if users else None,
            }
            for step in range(rng.randint(1, 4))
        ]
        messages.sort(key=lambda m: -int(str(m["at"])[1:-1]))
        created = start - parse_duration("60d")
        _conversation(
            workspace,
            {
                "_id": object_id(workspace, created),
                "channel": channel,
                "contact": contact,
                "status": rng.choice(["open", "open", "pending", "closed"]),
                "pipelineStage": rng.choice(_STAGES),
                "assigneeId": rng.choice(users) if users and rng.random() < 0.5 else None,
                "tags": [t for t in ("vip", "returning", "wholesale") if rng.random() < 0.2],
                "messages": messages,
            },
            rng,
            start,
        )


def seed(
    store: OmniStore, fixtures: Mapping[str, Any], rng: SeededRandom, start: datetime, options: MockOptions
) -> None:
    settings = fixtures.get("generated", {})
    fake = Faker(settings.get("faker_locale", "en_US"), use_weighting=False)  # uniform picks: 5x faster seeding
    fake.seed_instance(rng.getrandbits(32))
    store.jwt_secret = fixtures["jwt_secret"]
    count = (
        options.conversations
        if options.conversations is not None
        else int(settings.get("conversations_per_workspace", 18))
    )
    for raw in fixtures["workspaces"]:
        workspace = Workspace(id=raw["id"], name=raw["name"], secret=raw["secret"])
        store.workspaces[workspace.id] = workspace
        workspace.users = {u["_id"]: dict(u) for u in raw.get("users", [])}
        workspace.ai_assistants = {a["_id"]: dict(a) for a in raw.get("ai_assistants", [])}
        for item in raw.get("predefined", []):
            at = iso(start + parse_duration(item["at"]))
            workspace.predefined[item["_id"]] = {
                "_id": item["_id"],
                "workspaceId": workspace.id,
                "title": item["title"],
                "text": item["text"],
                "shortcut": item.get("shortcut"),
                "tags": list(item.get("tags", [])),
                "createdAt": at,
                "updatedAt": at,
            }
        workspace.automations = {
            a["_id"]: {
                "_id": a["_id"],
                "name": a["name"],
                "steps": [dict(s, automationId=a["_id"]) for s in a["steps"]],
            }
            for a in raw.get("automations", [])
        }
        for conversation in raw.get("conversations", []):
            _conversation(workspace, conversation, rng, start)
        _generated(workspace, count, fake, rng, start)
        for user_id in sorted(workspace.users):
            store.tokens[issue_token(store, user_id, start, f"seed-{user_id}", TOKEN_LIFETIME)] = user_id
