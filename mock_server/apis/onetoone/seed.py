"""Deterministic 1TO1 AI seed: the fixed records of fixtures/1to1ai.yaml, then generated ones from Faker.

Same fixtures + same seed + same start instant = byte-identical state: Faker is seeded from the API's generator,
every id comes from that generator, and every time is an offset from the clock's start.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from faker import Faker

from mock_server.apis.onetoone.state import (
    UPLOAD_TTL,
    WINDOW,
    AiEmployee,
    ApiKey,
    Business,
    Contact,
    Conversation,
    Label,
    Mailbox,
    Message,
    OneToOneStore,
    QuickReply,
    QuickReplyPart,
    Schedule,
    Template,
    UploadedFile,
    digits,
    wamid,
)
from mock_server.engine.clock import parse_duration
from mock_server.engine.ids import SeededRandom
from mock_server.engine.types import MockOptions

__all__ = ["MAX_CONVERSATIONS", "seed"]

MAX_CONVERSATIONS = 10_000
_CUSTOMER_LINES = [
    "Hola, ¿tienen disponibilidad?",
    "¿Cuál es el precio del paquete básico?",
    "Necesito factura, por favor.",
    "¿A qué hora abren mañana?",
    "Mi pedido no ha llegado.",
    "Gracias, quedo atento.",
    "¿Aceptan tarjeta?",
    "Quiero cambiar mi dirección de envío.",
    "¿Tienen envío a Guadalajara?",
    "Perfecto, lo espero.",
    "¿Me pueden llamar?",
    "El producto llegó dañado.",
    "¿Hay promociones este mes?",
    "Ok 👍",
]
_BUSINESS_LINES = [
    "¡Hola! Con gusto te ayudamos.",
    "Te comparto la información en un momento.",
    "Ya revisamos tu pedido.",
    "Claro, aceptamos todas las tarjetas.",
    "Tu factura se envió a tu correo.",
    "Gracias por tu paciencia.",
    "Abrimos a las 9:00 h.",
    "Sí, enviamos a todo el país.",
]


def _at(start: datetime, offset: str) -> datetime:
    return start + parse_duration(offset)


def _business(raw: Mapping[str, Any]) -> Business:
    return Business(
        uuid=raw["uuid"],
        slug=raw["slug"].lower(),
        name=raw["name"],
        ai_token_balance=int(raw["ai_token_balance"]),
        keys=[
            ApiKey(token=k["token"], name=k["name"], uuid=k["uuid"], revoked=bool(k.get("revoked")))
            for k in raw.get("keys", [])
        ],
        labels=[Label(**label) for label in raw.get("labels", [])],
        mailboxes=[Mailbox(**m) for m in raw["mailboxes"]],
        ai_employees=[
            AiEmployee(
                uuid=e["uuid"], name=e["name"], role=e.get("role", "sales"), knowledge=list(e.get("knowledge", []))
            )
            for e in raw.get("ai_employees", [])
        ],
        quick_replies=[
            QuickReply(uuid=q["uuid"], name=q["name"], parts=[QuickReplyPart(**p) for p in q["parts"]])
            for q in raw.get("quick_replies", [])
        ],
        templates=[Template(**t) for t in raw.get("templates", [])],
    )


def _fixed_conversation(business: Business, raw: Mapping[str, Any], rng: SeededRandom, start: datetime) -> None:
    person = raw["contact"]
    created = _at(start, person.get("created", "-1d"))
    contact = Contact(
        uuid=person["uuid"],
        first_name=person.get("first_name"),
        middle_name=person.get("middle_name"),
        last_name=person.get("last_name"),
        second_last_name=person.get("second_last_name"),
        profile_name=person.get("profile_name"),
        phone=digits(person["phone"]),
        acquisition_source=person.get("acquisition_source", "whatsapp"),
        is_tester=bool(raw.get("tester")),
        created_at=created,
        updated_at=created,
        whatsapp_user_id=person.get("whatsapp_user_id"),
    )
    business.contacts[contact.uuid] = contact
    conversation = Conversation(
        uuid=raw["uuid"],
        contact_uuid=contact.uuid,
        is_tester=bool(raw.get("tester")),
        mailbox_uuid=business.mailbox({"name": raw["mailbox"]}).uuid,
        inbox_status=raw.get("inbox_status", "pending"),
        ai_employee_uuid=business.ai_employee({"name": raw["ai_employee"]}).uuid if raw.get("ai_employee") else None,
        label_uuids=[business.label({"name": name}).uuid for name in raw.get("labels", [])],
    )
    business.conversations[conversation.uuid] = conversation
    for line in raw.get("messages", []):
        _append(
            business,
            conversation,
            rng,
            _at(start, line["at"]),
            line["from"] == "customer",
            line["body"],
            line.get("author"),
        )


def _append(
    business: Business,
    conversation: Conversation,
    rng: SeededRandom,
    at: datetime,
    from_customer: bool,
    body: str,
    author: str | None,
) -> None:
    conversation.messages.append(
        Message(
            uuid=rng.uuid4(),
            conversation_uuid=conversation.uuid,
            is_from_customer=from_customer,
            body=body,
            author_name=None if from_customer else (author or business.keys[0].name),
            external_id=wamid(rng),
            created_at=at,
            sent_at=at,
        )
    )
    if from_customer:
        conversation.unread_count += 1
        conversation.window_expires_at = at + WINDOW
    else:
        conversation.unread_count = 0


def _uploaded_file(business: Business, raw: Mapping[str, Any], start: datetime) -> None:
    """A file uploaded and confirmed before the start, with the token the fixture names (no draw from the generator,
    so the generated records stay what they were)."""
    reserved = _at(start, raw["reserved"])
    business.files[raw["uuid"]] = UploadedFile(
        uuid=raw["uuid"],
        filename=raw["filename"],
        mime_type=raw["mime_type"],
        size_bytes=int(raw["size_bytes"]),
        upload_token=raw["upload_token"],
        storage_path=f"businesses/{business.uuid}/uploads/{raw['uuid']}/{raw['filename']}",
        expires_at=reserved + UPLOAD_TTL,
        uploaded_bytes=int(raw["size_bytes"]),
        confirmed_at=_at(start, raw["confirmed"]),
    )


def _generated(business: Business, settings: Mapping[str, Any], count: int, rng: SeededRandom, start: datetime) -> None:
    fake = Faker(settings.get("faker_locale", "es_MX"), use_weighting=False)  # uniform picks: 5x faster seeding
    fake.seed_instance(rng.getrandbits(32))
    low, high = settings.get("messages", [2, 9])
    taken = {c.phone for c in business.contacts.values()}
    for _ in range(count):
        tester = rng.random() < float(settings.get("tester_share", 0.1))
        phone = "521" + "".join(str(rng.randrange(10)) for _ in range(10))
        while phone in taken:
            phone = "521" + "".join(str(rng.randrange(10)) for _ in range(10))
        taken.add(phone)
        created = start - parse_duration(f"{rng.randrange(2, 400)}d")
        first, last = fake.first_name(), fake.last_name()
        contact = Contact(
            uuid=rng.uuid4(),
            first_name=first,
            middle_name=None,
            last_name=last,
            second_last_name=fake.last_name() if rng.random() < 0.6 else None,
            profile_name=first if rng.random() < 0.7 else None,
            phone=phone,
            acquisition_source="tester" if tester else rng.choice(["whatsapp", "whatsapp", "ads", "website"]),
            is_tester=tester,
            created_at=created,
            updated_at=created,
        )
        business.contacts[contact.uuid] = contact
        conversation = Conversation(
            uuid=rng.uuid4(),
            contact_uuid=contact.uuid,
            is_tester=tester,
            mailbox_uuid=rng.choice(business.mailboxes).uuid,
            inbox_status="resolved" if rng.random() < 0.3 else "pending",
            ai_employee_uuid=rng.choice(business.ai_employees).uuid
            if business.ai_employees and rng.random() < 0.7
            else None,
            label_uuids=[label.uuid for label in business.labels if rng.random() < 0.15],
        )
        business.conversations[conversation.uuid] = conversation
        at = start - parse_duration(f"{rng.randrange(10 * 60, 96 * 3600)}s")
        from_customer = True
        for _ in range(rng.randint(low, high)):
            body = rng.choice(_CUSTOMER_LINES if from_customer else _BUSINESS_LINES)
            _append(business, conversation, rng, at, from_customer, body, None)
            at += parse_duration(f"{rng.randrange(30, 3 * 3600)}s")
            if at >= start:
                break
            from_customer = rng.random() < 0.55


def seed(
    store: OneToOneStore, fixtures: Mapping[str, Any], rng: SeededRandom, start: datetime, options: MockOptions
) -> None:
    settings = fixtures.get("generated", {})
    count = options.conversations
    if count is None:
        count = int(settings.get("conversations_per_business", 50))
    if not 0 <= count <= MAX_CONVERSATIONS:
        raise ValueError(f"conversations per business must be 0..{MAX_CONVERSATIONS}")
    for raw in fixtures["businesses"]:
        business = _business(raw)
        store.businesses[business.slug] = business
        for conversation in raw.get("conversations", []):
            _fixed_conversation(business, conversation, rng, start)
        for raw_schedule in raw.get("schedules", []):
            author = next(k for k in business.keys if k.name == raw_schedule["author_key"])
            created = _at(start, raw_schedule.get("created", "-1h"))
            business.schedules.append(
                Schedule(
                    uuid=raw_schedule["uuid"],
                    conversation_uuid=raw_schedule["conversation"],
                    schedule_at=_at(start, raw_schedule["at"]),
                    author_uuid=author.uuid,
                    author_name=author.name,
                    message_kind=raw_schedule["kind"],
                    text=raw_schedule.get("text"),
                    template_name=raw_schedule.get("template_name"),
                    template_language=raw_schedule.get("language"),
                    created_at=created,
                    updated_at=created,
                )
            )
        for raw_file in raw.get("files", []):
            _uploaded_file(business, raw_file, start)
        _generated(business, settings, count, rng, start)
