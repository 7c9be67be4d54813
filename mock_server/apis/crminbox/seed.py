"""Deterministic CRM inbox seed: fixtures/crm-inbox.yaml's members, orgs, contacts and threads, then generated
threads across every channel (some overdue, starred, archived, assigned) from Faker and the API's generator."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from faker import Faker

from mock_server import DATA_ROOT
from mock_server.apis.crminbox import tokens
from mock_server.apis.crminbox.state import (
    CALL_OUTCOMES,
    ORG_SENDER,
    Activity,
    Assignment,
    CallDetails,
    Contact,
    Conversation,
    CrmStore,
    Disposition,
    Media,
    Membership,
    Org,
    SetterConfig,
    User,
    business_hours,
)
from mock_server.engine.clock import DEFAULT_START, parse_duration
from mock_server.engine.ids import SeededRandom
from mock_server.engine.specs import load_yaml
from mock_server.engine.types import MockOptions

__all__ = ["default_tokens", "seed", "seeded_token"]

_INBOUND = [
    "Is this still available?",
    "Can we move the viewing to Friday?",
    "What are the HOA fees?",
    "Please call me back.",
    "Do you allow pets?",
    "Thanks for the info!",
    "Can I see it this weekend?",
]
_OUTBOUND = [
    "Yes, it is! Want to see it?",
    "Friday works, see you at 4.",
    "The HOA fee is $250 a month.",
    "Calling you in 10 minutes.",
    "Small pets are welcome.",
]
_SUMMARIES = [
    "Caller asked about parking and the lease length; wants a call back tomorrow.",
    "Discussed the asking price; the buyer will send a pre-approval letter.",
    "Missed call; the voicemail asks whether the unit is furnished.",
]


def _activity(
    org: Org, conversation: Conversation, raw: Mapping[str, Any], rng: SeededRandom, start: datetime
) -> Activity:
    at = start + parse_duration(raw["at"])
    kind = raw["type"]
    contact = org.contacts[conversation.contact_id]
    direction = raw.get("direction", "outbound" if kind == "suggestion" else "inbound")
    customer = contact.email if kind == "email" else contact.phone
    call = CallDetails(**raw["call"]) if raw.get("call") else None
    status = {"suggestion": "pending", "note": "logged"}.get(kind, "received" if direction == "inbound" else "sent")
    sender, recipient = (customer, ORG_SENDER.get(kind)) if direction == "inbound" else (ORG_SENDER.get(kind), customer)
    if kind in ("note", "suggestion"):  # internal: nobody sent or received them
        sender = recipient = None
    drawn = rng.uuid4()  # drawn even for a fixed id, so fixing one never shifts the generated ids after it
    return Activity(
        id=raw.get("id") or drawn,
        conversation_id=conversation.id,
        type=kind,
        direction=direction,
        body=raw.get("body"),
        created_at=at,
        status=status,
        subject=raw.get("subject"),
        sender=sender,
        recipient=recipient,
        provider_message_id=raw.get("provider_message_id"),
        call=call,
        author_id=raw.get("author"),
        actor=f"user:{raw['author']}" if raw.get("author") else ("agent:setter" if kind == "suggestion" else "system"),
    )


def _conversation(org: Org, raw: Mapping[str, Any], rng: SeededRandom, start: datetime) -> None:
    activities = raw.get("activities", [])
    first = start + parse_duration(activities[0]["at"]) if activities else start
    conversation = Conversation(
        id=raw["id"],
        org_id=org.id,
        contact_id=raw["contact"],
        created_at=first,
        updated_at=first,
        subject=raw.get("subject"),
        starred=bool(raw.get("starred")),
        archived=bool(raw.get("archived")),
        assigned_to=raw.get("assigned_to"),
    )
    org.conversations[conversation.id] = conversation
    for line in activities:
        activity = _activity(org, conversation, line, rng, start)
        conversation.activities.append(activity)
        conversation.updated_at = activity.created_at
        if activity.direction == "inbound" and activity.type in ("sms", "email", "call"):
            conversation.unread_count += 1
        elif activity.direction == "outbound" and activity.type != "suggestion":
            conversation.unread_count = 0


def _assignment(org: Org, raw: Mapping[str, Any], start: datetime) -> None:
    """A lead of the setter's work queue on a fixed thread: in at `at` (and due then), last changed by its latest
    claim or disposition; an open one points at the thread's pending draft."""
    conversation = org.conversations[raw["conversation"]]
    at = start + parse_duration(raw["at"])
    claimed_at = start + parse_duration(raw["claimed_at"]) if raw.get("claimed_at") else None
    done = raw.get("disposition")
    disposition = (
        Disposition(done["outcome"], done.get("note"), done["by"], start + parse_duration(done["at"])) if done else None
    )
    inbound = [a.created_at for a in conversation.activities if a.direction == "inbound"]
    draft = conversation.pending_suggestion() if raw["state"] != "completed" else None
    org.assignments[raw["id"]] = Assignment(
        id=raw["id"],
        org_id=org.id,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        state=raw["state"],
        reason=raw.get("reason", "first_touch"),
        due_at=at,
        created_at=at,
        updated_at=max(t for t in (at, claimed_at, disposition.at if disposition else None) if t is not None),
        last_inbound_at=max(inbound) if inbound else None,
        suggestion_id=draft.id if draft is not None else None,
        assigned_to=raw.get("assigned_to"),
        claimed_by=raw.get("claimed_by"),
        claimed_at=claimed_at,
        disposition=disposition,
    )


def _generated(org: Org, members: list[str], count: int, fake: Faker, rng: SeededRandom, start: datetime) -> None:
    for _ in range(count):
        contact = Contact(
            id=rng.uuid4(),
            name=fake.name(),
            phone=f"+1555{rng.randrange(10**7):07d}",
            email=fake.email() if rng.random() < 0.7 else None,
        )
        org.contacts[contact.id] = contact
        channel = rng.choice(["sms", "sms", "email", "call"] if contact.email else ["sms", "sms", "call"])
        lines: list[dict[str, Any]] = []
        minutes = rng.randrange(20, 7 * 24 * 60)
        for step in range(rng.randint(1, 5)):
            inbound = step % 2 == 0
            entry: dict[str, Any] = {
                "type": channel,
                "direction": "inbound" if inbound else "outbound",
                "at": f"-{minutes}m",
                "body": rng.choice(_INBOUND if inbound else _OUTBOUND),
            }
            if channel == "call":
                entry["body"] = None
                entry["call"] = {
                    "duration_seconds": rng.randrange(0, 900),
                    "recording_url": None,
                    "outcome": rng.choice(list(CALL_OUTCOMES)),
                    "summary": rng.choice(_SUMMARIES),
                }
            if channel == "email":
                entry["subject"] = "Question about a listing"
            if not inbound:
                entry["author"] = rng.choice(members)
            lines.append(entry)
            minutes = max(1, minutes - rng.randrange(5, 600))
        if rng.random() < 0.2:
            lines.append(
                {
                    "type": "note",
                    "direction": "internal",
                    "at": f"-{minutes}m",
                    "author": rng.choice(members),
                    "body": "Follow up next week.",
                }
            )
        _conversation(
            org,
            {
                "id": rng.uuid4(),
                "contact": contact.id,
                "activities": lines,
                "subject": "Question about a listing" if channel == "email" else None,
                "starred": rng.random() < 0.2,
                "archived": rng.random() < 0.15,
                "assigned_to": rng.choice(members) if rng.random() < 0.5 else None,
            },
            rng,
            start,
        )


def seed(
    store: CrmStore, fixtures: Mapping[str, Any], rng: SeededRandom, start: datetime, options: MockOptions
) -> None:
    settings = fixtures.get("generated", {})
    fake = Faker(settings.get("faker_locale", "en_US"), use_weighting=False)  # uniform picks: 5x faster seeding
    fake.seed_instance(rng.getrandbits(32))
    store.jwt_secret = str(fixtures["jwt_secret"])
    store.crm_secret = str(fixtures["crm_secret"])
    for raw in fixtures["users"]:
        store.users[raw["id"]] = _user(store, raw, start)
    count = (
        options.conversations if options.conversations is not None else int(settings.get("conversations_per_org", 20))
    )
    for raw in fixtures["orgs"]:
        _org(store, raw, None, count, fake, rng, start)


def _user(store: CrmStore, raw: Mapping[str, Any], start: datetime) -> User:
    """A staff member, their memberships, and their seeded token."""
    memberships = [
        Membership(
            org_id=m["org"],
            role=m["role"],
            client=bool(m.get("client")),
            joined_at=start + parse_duration(m["joined_at"]),
        )
        for m in raw["memberships"]
    ]
    token = seeded_token(store.jwt_secret, raw, start)
    return User(id=raw["id"], name=raw["name"], email=raw["email"], token=token, memberships=memberships)


def seeded_token(secret: str, raw: Mapping[str, Any], start: datetime) -> str:
    """A fixture user's seeded token: issued at the clock's start, valid ten years, its session id fixed by the user
    id, so its text is the same on every start with the same clock (what the docs, tests and nginx map quote)."""
    session = str(uuid.uuid5(uuid.UUID(raw["id"]), "seeded-session"))
    return tokens.mint(secret, raw["id"], raw["email"], raw["name"], start, tokens.SEEDED_LIFETIME, session)


def _setter(raw: Mapping[str, Any], timezone: str) -> SetterConfig:
    return SetterConfig(
        response_mode=raw.get("response_mode", "suggestive"),
        reply_objective=raw.get("reply_objective", "default"),
        reply_delay_seconds=int(raw.get("reply_delay_seconds", 60)),
        business_hours=raw.get("business_hours") or business_hours(timezone),
        sleep_hours=raw.get("sleep_hours", {"start": "21:00", "end": "08:00"}),
        autopilot_available=bool(raw.get("autopilot_available")),
    )


def _org(
    store: CrmStore,
    raw: Mapping[str, Any],
    parent: str | None,
    count: int,
    fake: Faker,
    rng: SeededRandom,
    start: datetime,
) -> None:
    """An org, its fixed and generated threads, then its subaccounts (children after their parent)."""
    org = Org(
        id=raw["id"],
        name=raw["name"],
        sla_minutes=int(raw["sla_minutes"]),
        timezone=raw["timezone"],
        key=raw.get("key"),
        setter=_setter(raw.get("setter") or {}, raw["timezone"]),
        parent_id=parent,
        installation_token=raw.get("installation_token"),
    )
    store.orgs[org.id] = org
    for contact in raw.get("contacts", []):
        org.contacts[contact["id"]] = Contact(
            id=contact["id"], name=contact["name"], phone=contact.get("phone"), email=contact.get("email")
        )
    for file in raw.get("media", []):  # uploads a message can attach (the spec's email example names one)
        org.media[file["id"]] = Media(
            id=file["id"],
            filename=file["filename"],
            content_type=file["content_type"],
            size=int(file["size"]),
            created_at=start + parse_duration(file["at"]),
        )
    for conversation in raw.get("conversations", []):
        _conversation(org, conversation, rng, start)
    for line in raw.get("assignments", []):  # fixed records only: no draw from the generator
        _assignment(org, line, start)
    members = sorted(u.id for u in store.users.values() if org.id in u.org_ids)
    if members:
        _generated(org, members, count, fake, rng, start)
    for child in raw.get("subaccounts", []):
        _org(store, child, org.id, count, fake, rng, start)


@functools.cache
def default_tokens() -> Mapping[str, str]:
    """Every fixture user's seeded token on the default clock start, by user id: what the drifts, probes and tests
    send as a user would (the same text `/__mock/credentials` lists for a mock started at the default)."""
    fixtures = load_yaml(DATA_ROOT / "fixtures" / "crm-inbox.yaml")
    return {u["id"]: seeded_token(fixtures["jwt_secret"], u, DEFAULT_START) for u in fixtures["users"]}
