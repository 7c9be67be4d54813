"""Deterministic AchieveApex seed: fixtures/achieveapex.yaml's users, API keys and organizations with their
records (the ids and values the vendor's pages show, so their examples work verbatim), then generated
conversations per organization (Faker seeded from the API's generator, ids from `first_conversation_id` up).

Same fixtures + same seed + same start instant = byte-identical state: every time is a fixed instant of the docs or
an offset from the clock's start, every random choice comes from the generator, every id from the fixtures or from
the highest one so far.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from faker import Faker

from mock_server.apis.omniinbox.auth import issue_token
from mock_server.apis.omniinbox.state import (
    CHANNELS,
    UPLOAD_TTL,
    AchieveApexStore,
    Organization,
    Record,
    add_message,
    conversation_record,
    next_id,
    upload_record,
)
from mock_server.apis.omniinbox.wire import iso_ms
from mock_server.engine.clock import parse_duration, parse_instant
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
    "Do you have a discount for teams?",
]
_REPLIES = ["Sure, let me check.", "Thanks for reaching out!", "It ships tomorrow.", "I've updated your order."]


def _when(value: Any, start: datetime) -> datetime:
    """A fixed instant of the docs ("2023-01-01T00:00:00.000Z") or an offset from the clock's start ("-3h")."""
    text = str(value)
    return parse_instant(text) if text[:4].isdigit() and "T" in text else start + parse_duration(text)


def _times(value: Any, start: datetime) -> Record:
    at = iso_ms(_when(value, start))
    return {"created_at": at, "updated_at": at, "deleted_at": None}


def _contact(org: Organization, raw: Mapping[str, Any], start: datetime) -> Record:
    contact: Record = {"id": raw["id"]}
    for name in ("first_name", "last_name", "email", "phone", "phone_country_code", "phone_country_iso"):
        contact[name] = raw.get(name)
    contact["organization_id"] = org.id
    contact |= _times(raw.get("at", "-30d"), start)
    contact |= {name: raw.get(name) for name in ("created_by_user_id", "owned_by_user_id", "company_id")}
    contact |= {name: raw.get(name) for name in ("channel_whatsapp_wa_id", "channel_instagram_user_id")}
    contact |= {"system_type": "contact", "avatar_url": raw.get("avatar_url")}
    contact["custom_fields_by_name"] = dict(raw.get("custom_fields_by_name") or {})
    contact["tag_ids"] = list(raw.get("tag_ids") or [])
    return org.keep("contacts", contact)


def _reference(org: Organization, raw: Mapping[str, Any], start: datetime) -> None:
    """Pipelines and stages, tags, saved views, AI assistants, predefined messages, automations."""
    times = _times(raw.get("at", "-400d"), start)
    for pipeline in raw.get("pipelines", []):
        org.keep("pipelines", {"id": pipeline["id"], "organization_id": org.id, "name": pipeline["name"], **times})
        for position, stage in enumerate(pipeline["stages"]):
            record = {"id": stage["id"], "organization_id": org.id, "pipeline_id": pipeline["id"]}
            org.keep("stages", {**record, "name": stage["name"], "position": position, **times})
    for tag in raw.get("tags", []):
        org.keep(
            "tags", {"id": tag["id"], "organization_id": org.id, "name": tag["name"], "color": tag["color"], **times}
        )
    for view in raw.get("views", []):
        record = {"id": view["id"], "organization_id": org.id, "name": view["name"], "filter": dict(view["filter"])}
        org.keep("views", {**record, "created_by_user_id": view["by"], **times})
    for item in raw.get("ai_assistants", []):
        record = {"id": item["id"], "organization_id": org.id, "name": item["name"], "type": item["type"]}
        record |= {name: item[name] for name in ("ai_model_id", "timezone", "instructions")}
        org.keep("assistants", {**record, **times})
    for item in raw.get("predefined", []):
        record = {"id": item["id"], "organization_id": org.id, "title": item["title"], "content": item["content"]}
        record |= {"message_type": item["message_type"], "media_url": item.get("media_url")}
        record |= {"filename": item.get("filename"), "mime_type": item.get("mime_type")}
        owner = raw["api_keys"][0]["user"] if raw.get("api_keys") else None
        org.keep("predefined", {**record, "created_by_user_id": owner, **_times(item["at"], start)})
    for item in raw.get("automations", []):
        steps = [dict(step) for step in item["steps"]]
        org.keep(
            "automations", {"id": item["id"], "organization_id": org.id, "name": item["name"], "steps": steps, **times}
        )


def _placeholder_pdf(size: int) -> bytes:
    """A one-page blank PDF of exactly `size` bytes (338 at least; a comment line pads it), so the URL of a seeded
    file serves a real PDF. Every offset is written with 10 digits, so the padding changes no other length."""

    def document(pad: int) -> bytes:
        parts = [b"%PDF-1.4\n", b"%" + b"0" * pad + b"\n"]
        offsets = []
        for body in (
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        ):
            offsets.append(sum(map(len, parts)))
            parts.append(b"%d 0 obj\n%s\nendobj\n" % (len(offsets), body))
        xref = sum(map(len, parts))
        parts.append(b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets))
        parts.append(b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%010d\n%%%%EOF\n" % xref)
        return b"".join(parts)

    pad = size - len(document(0))
    if pad < 0:
        raise ValueError(f"a placeholder PDF takes at least {size - pad} bytes, not {size}")
    return document(pad)


def _uploads(org: Organization, raw: Mapping[str, Any], start: datetime) -> None:
    """Objects already PUT to their signed URL, so `POST /conversation-files` records them straight away (its
    example's key): each a blank PDF of the announced size, signed at `at` (the signed URL long expired)."""
    for item in raw.get("uploads", []):
        expires = int((_when(item["at"], start) + UPLOAD_TTL).timestamp())
        data = _placeholder_pdf(int(item["file_size"]))
        org.uploads[item["key"]] = upload_record(
            item["key"], item["file_type"], len(data), item["conversation"], expires, item["user"], data
        )


def _conversation(store: AchieveApexStore, org: Organization, raw: Mapping[str, Any], start: datetime) -> Record:
    stage = org.stages.get(str(raw.get("pipeline_stage")))
    conversation = conversation_record(
        raw["id"],
        org,
        raw.get("contact"),
        raw["channel"],
        _times(raw.get("created", "-30d"), start)["created_at"],
        assigned_user_id=raw.get("assigned_user"),
        assigned_ai_assistant_id=raw.get("assigned_ai_assistant"),
        pipeline_id=stage["pipeline_id"] if stage else None,
        pipeline_stage_id=stage["id"] if stage else None,
    )
    org.keep("conversations", conversation)
    for line in raw.get("messages", []):
        add_message(
            store,
            org,
            conversation,
            _when(line["at"], start),
            direction=line["direction"],
            text=line["text"],
            sender_user_id=line.get("user"),
        )
    conversation["status"] = raw.get("status", "open")  # the seed's status, whatever the messages did
    return conversation


def _generated(
    store: AchieveApexStore,
    org: Organization,
    count: int,
    first_id: int,
    fake: Faker,
    rng: SeededRandom,
    start: datetime,
) -> None:
    members = sorted(org.members(store))
    stages = sorted(org.stages.values(), key=lambda s: s["id"])
    assistants = sorted(int(a) for a in org.assistants)
    for index in range(count):
        channel = CHANNELS[index % len(CHANNELS)]
        first, last = fake.first_name(), fake.last_name()
        digits = f"{rng.randrange(10**9):09d}"
        raw_contact: Record = {"id": next_id(store, "contacts"), "first_name": first, "last_name": last, "at": "-90d"}
        if channel in ("whatsapp", "sms"):
            raw_contact |= {"phone": f"1{digits}", "phone_country_code": "+1", "phone_country_iso": "US"}
            raw_contact["channel_whatsapp_wa_id"] = f"1{digits}" if channel == "whatsapp" else None
        elif channel == "instagram":
            raw_contact["channel_instagram_user_id"] = f"1784{digits}"
        else:
            raw_contact["email"] = f"{first}.{last}{index}@example.com".lower()
        contact = _contact(org, raw_contact, start)
        if org.tags and rng.random() < 0.25:
            contact["tag_ids"] = [rng.choice(sorted(t["id"] for t in org.tags.values()))]
        lines = []
        for step in range(rng.randint(1, 4)):
            inbound = step % 2 == 0
            lines.append(
                {
                    "direction": "inbound" if inbound else "outbound",
                    "at": f"-{rng.randrange(5, 96 * 60)}m",
                    "text": rng.choice(_LINES if inbound else _REPLIES),
                    "user": None if inbound or not members else rng.choice(members),
                }
            )
        lines.sort(key=lambda line: -int(str(line["at"])[1:-1]))
        stage = rng.choice(stages) if stages and rng.random() < 0.6 else None
        _conversation(
            store,
            org,
            {
                "id": max(next_id(store, "conversations"), first_id),
                "channel": channel,
                "contact": contact["id"],
                "status": rng.choice(["open", "open", "closed"]),
                "pipeline_stage": stage["id"] if stage else None,
                "assigned_user": rng.choice(members) if members and rng.random() < 0.5 else None,
                "assigned_ai_assistant": rng.choice(assistants) if assistants and rng.random() < 0.2 else None,
                "created": "-100d",
                "messages": lines,
            },
            start,
        )


def seed(
    store: AchieveApexStore, fixtures: Mapping[str, Any], rng: SeededRandom, start: datetime, options: MockOptions
) -> None:
    settings = fixtures.get("generated", {})
    fake = Faker(settings.get("faker_locale", "en_US"), use_weighting=False)  # uniform picks: faster seeding
    fake.seed_instance(rng.getrandbits(32))
    store.jwt_secret = fixtures["jwt_secret"]
    count = (
        options.conversations
        if options.conversations is not None
        else int(settings.get("conversations_per_organization", 12))
    )
    for raw in fixtures.get("users", []):
        at = iso_ms(_when(raw["at"], start))
        store.users[str(raw["id"])] = {
            "id": raw["id"],
            "email": raw["email"],
            "name": raw["name"],
            "avatar": raw.get("avatar"),
            "password": raw["password"],
            "memberships": {str(k): v for k, v in raw["memberships"].items()},
            "created_at": at,
            "updated_at": at,
        }
    seeded = []
    for raw in fixtures["organizations"]:
        org_id = int(raw["id"])
        record = {"id": org_id, "name": raw["name"], "subscription_status": "active"}
        at = iso_ms(_when(raw["at"], start))
        org = Organization(
            id=org_id, key=raw["key"], secret=raw["secret"], record={**record, "created_at": at, "updated_at": at}
        )
        org.templates = [dict(t) for t in fixtures.get("templates", [])]
        store.organizations[str(org_id)] = org
        for key in raw.get("api_keys", []):
            store.api_keys[key["key"]] = {
                "key": key["key"],
                "organization_id": org_id,
                "user_id": key["user"],
                "revoked": bool(key.get("revoked", False)),
            }
        for contact in raw.get("contacts", []):
            _contact(org, contact, start)
        _reference(org, raw, start)
        for conversation in raw.get("conversations", []):
            _conversation(store, org, conversation, start)
        _uploads(org, raw, start)
        seeded.append(org)
    # the users' memberships list only organizations that are served (`serve --tenants` may leave some out)
    for user in store.users.values():
        user["memberships"] = {k: v for k, v in user["memberships"].items() if k in store.organizations}
    first_id = int(settings.get("first_conversation_id", 3000))
    for org in seeded:
        _generated(store, org, count, first_id, fake, rng, start)
    for user_id in sorted(store.users, key=int):
        if store.users[user_id]["memberships"]:
            store.tokens[issue_token(store, user_id, start, f"seed-{user_id}", TOKEN_LIFETIME)] = user_id
