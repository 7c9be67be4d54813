"""1TO1 AI state: plain dataclasses per business, and the store whose methods are the API's operations.

Nothing here sees HTTP. Time is passed in (from the mock clock), ids come from the seeded generator, and every
"not found" is raised by one lookup per kind of thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mock_server.apis.onetoone import errors
from mock_server.engine.ids import SeededRandom

__all__ = [
    "WINDOW",
    "ActivityEntry",
    "AiEmployee",
    "ApiKey",
    "Business",
    "Contact",
    "Conversation",
    "Label",
    "Mailbox",
    "Media",
    "Message",
    "OneToOneStore",
    "QuickReply",
    "QuickReplyPart",
    "Schedule",
    "Template",
    "UploadedFile",
    "digits",
]

WINDOW = timedelta(hours=24)


def digits(value: str) -> str:
    """Phone numbers and WhatsApp ids are compared as digits: '+52 1 55-1234-5678' -> '5215512345678'."""
    return re.sub(r"\D", "", value)


@dataclass
class ApiKey:
    token: str
    name: str
    uuid: str
    revoked: bool = False


@dataclass
class Label:
    uuid: str
    name: str
    color: str


@dataclass
class Mailbox:
    uuid: str
    name: str


@dataclass
class AiEmployee:
    uuid: str
    name: str
    role: str  # how its replies sound: sales, support, ...
    knowledge: list[str] = field(default_factory=list)


@dataclass
class QuickReplyPart:
    subtype: str  # text, image, video, audio, document
    body: str | None = None
    filename: str | None = None
    mime_type: str | None = None


@dataclass
class QuickReply:
    uuid: str
    name: str
    parts: list[QuickReplyPart]


@dataclass
class Template:
    uuid: str
    name: str
    language: str
    status: str
    category: str
    body_text: str
    body_examples: list[str] = field(default_factory=list)
    header_type: str | None = None
    header_example: str | None = None
    buttons: list[str] = field(default_factory=list)

    def render(self, variables: dict[int, str]) -> str:
        return re.sub(r"\{\{(\d+)\}\}", lambda m: variables.get(int(m.group(1)), m.group(0)), self.body_text)


@dataclass
class Contact:
    uuid: str
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    second_last_name: str | None
    profile_name: str | None
    phone: str  # digits, as WhatsApp reports it
    acquisition_source: str
    is_tester: bool
    created_at: datetime
    updated_at: datetime

    @property
    def full_name(self) -> str | None:
        parts = [p for p in (self.first_name, self.middle_name, self.last_name, self.second_last_name) if p]
        return " ".join(parts) or None


@dataclass
class Media:
    file_uuid: str
    mime_type: str
    filename: str


@dataclass
class Message:
    uuid: str
    conversation_uuid: str
    is_from_customer: bool
    body: str | None
    author_name: str | None
    external_id: str | None
    created_at: datetime
    sent_at: datetime | None
    event_type: str | None = None  # None, "context_note", "ai_draft"
    content_type: str = "text"
    media: Media | None = None
    tokens_spent: int = 0


@dataclass
class Conversation:
    uuid: str
    contact_uuid: str
    is_tester: bool
    mailbox_uuid: str
    inbox_status: str = "pending"
    unread_count: int = 0
    ai_employee_uuid: str | None = None
    label_uuids: list[str] = field(default_factory=list)
    window_expires_at: datetime | None = None
    messages: list[Message] = field(default_factory=list)

    def visible(self) -> list[Message]:
        """Messages the customer saw or sent (notes and drafts are internal)."""
        return [m for m in self.messages if m.event_type is None]

    @property
    def last_message(self) -> Message | None:
        for message in reversed(self.messages):
            if message.event_type is None:
                return message
        return None

    def window_open(self, now: datetime) -> bool:
        return self.window_expires_at is not None and now < self.window_expires_at

    @property
    def response_status(self) -> str:
        last = self.last_message
        if last is None or not last.is_from_customer:
            return "responded"
        return "unread" if self.unread_count > 0 else "pending"


@dataclass
class Schedule:
    uuid: str
    conversation_uuid: str
    schedule_at: datetime
    author_uuid: str
    author_name: str
    message_kind: str  # text or template
    text: str | None
    template_name: str | None
    template_language: str | None
    created_at: datetime
    updated_at: datetime
    status: str = "pending"
    fired_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    failure_reason: str | None = None


@dataclass
class UploadedFile:
    uuid: str
    filename: str
    mime_type: str
    size_bytes: int
    upload_token: str
    storage_path: str
    expires_at: datetime
    uploaded_bytes: int | None = None


@dataclass
class ActivityEntry:
    """One action's outcome in the business's activity log (what the docs say to read after a 202)."""

    uuid: str
    at: datetime
    group_uuid: str
    conversation_uuid: str
    index: int
    type: str
    status: str  # succeeded, failed, skipped
    code: str | None = None
    message: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Business:
    uuid: str
    slug: str
    name: str
    ai_token_balance: int
    keys: list[ApiKey] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    mailboxes: list[Mailbox] = field(default_factory=list)
    ai_employees: list[AiEmployee] = field(default_factory=list)
    quick_replies: list[QuickReply] = field(default_factory=list)
    templates: list[Template] = field(default_factory=list)
    contacts: dict[str, Contact] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    schedules: list[Schedule] = field(default_factory=list)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    activity: list[ActivityEntry] = field(default_factory=list)

    # -- lookups: each is the only place its "not found" is raised ------------------------------------------------

    def conversation(
        self, uuid: str | None = None, whatsapp_user_id: str | None = None, phone: str | None = None
    ) -> Conversation:
        """Resolve by the first identifier given (uuid, then whatsapp_user_id, then phone); no fallback."""
        if uuid is not None:
            found = self.conversations.get(uuid.lower())
            if found is None:
                raise errors.ConversationNotFound(what=f"uuid {uuid}")
            return found
        key = whatsapp_user_id if whatsapp_user_id is not None else phone
        if key is None:
            raise errors.InvalidRequest("conversation: give uuid, whatsapp_user_id or phone")
        wanted = digits(key)
        for conversation in self.conversations.values():
            if self.contacts[conversation.contact_uuid].phone == wanted:
                return conversation
        label = "whatsapp_user_id" if whatsapp_user_id is not None else "phone"
        raise errors.ConversationNotFound(what=f"{label} {key}")

    def contact(self, uuid: str) -> Contact:
        found = self.contacts.get(uuid.lower())
        if found is None:
            raise errors.ContactNotFound(uuid=uuid)
        return found

    def _by_ref(self, items: list[Any], ref: dict[str, str], error: type[errors.OneToOneError]) -> Any:
        if "uuid" in ref:
            for item in items:
                if item.uuid == ref["uuid"].lower():
                    return item
            raise error(what=f"with uuid {ref['uuid']}")
        wanted = ref.get("name", "").casefold()
        for item in items:
            if item.name.casefold() == wanted:
                return item
        raise error(what=f"named {ref.get('name')!r}")

    def label(self, ref: dict[str, str]) -> Label:
        return self._by_ref(self.labels, ref, errors.LabelNotFound)  # type: ignore[no-any-return]

    def mailbox(self, ref: dict[str, str]) -> Mailbox:
        return self._by_ref(self.mailboxes, ref, errors.MailboxNotFound)  # type: ignore[no-any-return]

    def ai_employee(self, ref: dict[str, str]) -> AiEmployee:
        return self._by_ref(self.ai_employees, ref, errors.AiEmployeeNotFound)  # type: ignore[no-any-return]

    def quick_reply(self, uuid: str | None, name: str | None) -> QuickReply:
        ref = {"uuid": uuid} if uuid is not None else {"name": name or ""}
        return self._by_ref(self.quick_replies, ref, errors.QuickReplyNotFound)  # type: ignore[no-any-return]

    def template(self, name: str, language: str | None) -> Template:
        """By lower-cased name; the language is needed only when the name exists in several."""
        name = name.lower()
        candidates = [t for t in self.templates if t.name == name]
        if language is not None:
            language = normalise_language(language)
            candidates = [t for t in candidates if t.language == language]
            if not candidates:
                raise errors.TemplateNotFound(what=f"{name} in {language}")
            return candidates[0]
        if not candidates:
            raise errors.TemplateNotFound(what=name)
        if len(candidates) > 1:
            raise errors.TemplateLanguageRequired(name=name, languages=", ".join(t.language for t in candidates))
        return candidates[0]

    def file(self, uuid: str) -> UploadedFile:
        found = self.files.get(uuid.lower())
        if found is None:
            raise errors.FileNotFound(uuid=uuid)
        return found

    def label_by_uuid(self, uuid: str) -> Label | None:
        return next((label for label in self.labels if label.uuid == uuid), None)

    def mailbox_by_uuid(self, uuid: str) -> Mailbox:
        return next(m for m in self.mailboxes if m.uuid == uuid)

    def ai_employee_by_uuid(self, uuid: str | None) -> AiEmployee | None:
        return next((e for e in self.ai_employees if e.uuid == uuid), None)

    def key_named(self, token: str) -> ApiKey | None:
        return next((key for key in self.keys if key.token == token), None)

    # -- what happens to a conversation ---------------------------------------------------------------------------

    def add_outbound(
        self,
        conversation: Conversation,
        rng: SeededRandom,
        now: datetime,
        *,
        body: str | None,
        author: str,
        content_type: str = "text",
        media: Media | None = None,
        event_type: str | None = None,
        tokens_spent: int = 0,
    ) -> Message:
        """A message from the business (or an internal note/draft when event_type is set)."""
        internal = event_type is not None
        message = Message(
            uuid=rng.uuid4(),
            conversation_uuid=conversation.uuid,
            is_from_customer=False,
            body=body,
            author_name=author,
            external_id=None if internal else wamid(rng),
            created_at=now,
            sent_at=None if internal else now,
            event_type=event_type,
            content_type=content_type,
            media=media,
            tokens_spent=tokens_spent,
        )
        conversation.messages.append(message)
        if not internal:
            conversation.unread_count = 0  # answering the customer reads the thread
        return message

    def add_inbound(
        self, conversation: Conversation, rng: SeededRandom, now: datetime, body: str, content_type: str = "text"
    ) -> Message:
        """The customer writes: the 24h window (re)opens and a resolved thread is pending again."""
        message = Message(
            uuid=rng.uuid4(),
            conversation_uuid=conversation.uuid,
            is_from_customer=True,
            body=body,
            author_name=None,
            external_id=wamid(rng),
            created_at=now,
            sent_at=now,
            content_type=content_type,
        )
        conversation.messages.append(message)
        conversation.unread_count += 1
        conversation.window_expires_at = now + WINDOW
        conversation.inbox_status = "pending"
        return message

    def fire_due_schedules(self, rng: SeededRandom, now: datetime) -> None:
        """A pending schedule whose time has come is sent (or fails, if the window forbids free text)."""
        for schedule in self.schedules:
            if schedule.status != "pending" or schedule.schedule_at > now:
                continue
            conversation = self.conversations[schedule.conversation_uuid]
            schedule.updated_at = schedule.schedule_at
            if schedule.message_kind == "text" and not conversation.window_open(schedule.schedule_at):
                schedule.status, schedule.failure_reason = "failed", "WINDOW_CLOSED"
                continue
            body = schedule.text
            if schedule.message_kind == "template":
                template = self.template(schedule.template_name or "", schedule.template_language)
                body = template.body_text
                conversation.window_expires_at = schedule.schedule_at + WINDOW
            self.add_outbound(
                conversation,
                rng,
                schedule.schedule_at,
                body=body,
                author=schedule.author_name,
                content_type="template" if schedule.message_kind == "template" else "text",
            )
            schedule.status, schedule.fired_at = "fired", schedule.schedule_at

    def pending_schedule(self, conversation: Conversation) -> Schedule | None:
        pending = [s for s in self.schedules if s.conversation_uuid == conversation.uuid and s.status == "pending"]
        return min(pending, key=lambda s: s.schedule_at) if pending else None


def wamid(rng: SeededRandom) -> str:
    return "wamid.HBgN" + rng.token(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def normalise_language(language: str) -> str:
    """'es_mx' -> 'es_MX', 'EN' -> 'en' (the docs' lower_UPPER form)."""
    head, _, tail = language.partition("_")
    return head.lower() + ("_" + tail.upper() if tail else "")


@dataclass
class OneToOneStore:
    businesses: dict[str, Business] = field(default_factory=dict)  # by lower-case slug

    def business(self, slug: str) -> Business:
        return self.businesses[slug.lower()]

    def key_owner(self, token: str) -> tuple[Business, ApiKey] | None:
        for business in self.businesses.values():
            key = business.key_named(token)
            if key is not None:
                return business, key
        return None
