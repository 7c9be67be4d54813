"""1TO1 AI state: plain dataclasses per business, and the operations that read and change them.

Every write the API makes happens here: sends (text, media, quick replies, templates, AI replies and drafts), the
customer writing in, labels, mailboxes, AI employees, inbox status, schedules firing, uploads reserved, received
and confirmed, AI tokens spent and the activity log. So a direct endpoint, an action group's preflight and its
background run apply the very same rules: each send is split into `check_*` (every lookup and rule that can
refuse, changing nothing) and `send_*` (the change). The file is longer than the usual ~450 lines because it is
one vendor's whole model and all its operations; splitting it would scatter the rules that must stay the same for
every caller.

Nothing here sees HTTP. Time is passed in (from the mock clock), ids come from the seeded generator, and every
"not found" is raised by one lookup per kind of thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mock_server.apis.onetoone import errors
from mock_server.engine.ids import SeededRandom
from mock_server.engine.scenarios import WHOLE, Target

__all__ = [
    "ACTIVITY_KEPT",
    "UPLOAD_TTL",
    "WINDOW",
    "REJECTION_DELAY",
    "ActivityEntry",
    "AiEmployee",
    "AiRunOut",
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
    "RuleScope",
    "Schedule",
    "Template",
    "TemplateSend",
    "UploadedFile",
    "digits",
    "media_kind",
    "normalise_language",
    "wamid",
]

WINDOW = timedelta(hours=24)  # WhatsApp's customer-service window: free text only within it
UPLOAD_TTL = timedelta(hours=1)  # how long a reserved upload URL takes bytes
ACTIVITY_KEPT = 10_000  # entries per business in the activity log (/__mock/1to1ai/activity): the newest are kept
# How long after an accepted template send Meta's rejection arrives (`template_delivery: rejected`; convomock design)
REJECTION_DELAY = timedelta(seconds=5)
SEND_FAILED = "SEND_FAILED"  # the docs' code for a send Meta refused, kept on the failed message


def digits(value: str) -> str:
    """Phone numbers and WhatsApp ids are compared as digits: '+52 1 55-1234-5678' -> '5215512345678'."""
    return re.sub(r"\D", "", value)


def media_kind(mime_type: str) -> str:
    """The content type WhatsApp gives a file: image, video, audio, or document for the rest."""
    head = mime_type.split("/")[0]
    return head if head in ("image", "video", "audio") else "document"


def wamid(rng: SeededRandom) -> str:
    return "wamid.HBgN" + rng.token(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def normalise_language(language: str) -> str:
    """'es_mx' -> 'es_MX', 'EN' -> 'en' (the docs' lower_UPPER form)."""
    head, _, tail = language.partition("_")
    return head.lower() + ("_" + tail.upper() if tail else "")


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


@dataclass(frozen=True)
class TemplateSend:
    """A template send that passed every check: the template and the variables to fill it with."""

    template: Template
    variables: dict[int, str]


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
    # Meta's business-scoped user id (BSUID, "US.1349..."), once the contact has one; None: the same value as
    # `phone`, which the docs say both identifiers hold today.
    whatsapp_user_id: str | None = None

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
    # Set when Meta refused the message (the docs: "persisted as failed"): at once (502 SEND_FAILED), or after
    # accepting it (a template rejected later). None: sent, or received.
    failure_reason: str | None = None


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
        """Messages the customer saw or sent (notes and drafts are internal; a message Meta refused never arrived)."""
        return [m for m in self.messages if m.event_type is None and m.failure_reason is None]

    @property
    def last_message(self) -> Message | None:
        for message in reversed(self.messages):
            if message.event_type is None and message.failure_reason is None:
                return message
        return None

    def window_open(self, now: datetime) -> bool:
        return self.window_expires_at is not None and now < self.window_expires_at

    def require_open_window(self, now: datetime) -> None:
        """Free text (and the AI's reply) needs the 24h window; only a template may go out with it closed."""
        if not self.window_open(now):
            raise errors.WindowClosed()

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
    message_kind: str  # message (the docs' word) or template (convomock design: no template schedule is documented)
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

    def __post_init__(self) -> None:
        if self.message_kind == "text":  # a state file saved before the docs' word was adopted (issue 16)
            self.message_kind = "message"


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
    confirmed_at: datetime | None = None  # set by /files/confirm; only a confirmed file can be sent


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
class RuleScope:
    """Where a switched-on scenario's send rule acts inside one business (convomock design): every conversation
    (both None), or the one conversation / the one contact's (by uuid, phone or BSUID) its scope names. Kept in the
    state, so a conversation that starts later (a new number writing in) is covered as well."""

    conversation: str | None = None
    contact: str | None = None
    key: str = ""  # the switching-on that added it (Target.key)

    @classmethod
    def of(cls, target: Target) -> RuleScope:
        return cls(conversation=target.conversation, contact=target.contact, key=target.key)


@dataclass
class AiRunOut:
    """A scenario's `ai_tokens_run_out_after` in one business (convomock design): `left` more AI actions spend
    tokens as usual; the one after them finds the balance gone (`drained`: what was taken, given back on switch-off
    while the balance is still 0)."""

    left: int
    drained: int = 0
    key: str = ""  # the switching-on that added it (Target.key)


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
    # Switched-on scenarios' rules (control.py): sends Meta refuses, templates it rejects after accepting them, and
    # the AI's tokens running out part-way.
    send_failures: list[RuleScope] = field(default_factory=list)
    template_rejections: list[RuleScope] = field(default_factory=list)
    ai_run_outs: list[AiRunOut] = field(default_factory=list)

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
        if whatsapp_user_id is not None:
            for conversation in self.conversations.values():
                if self._is_whatsapp_user(self.contacts[conversation.contact_uuid], whatsapp_user_id):
                    return conversation
            raise errors.ConversationNotFound(what=f"whatsapp_user_id {whatsapp_user_id}")
        if phone is None:
            raise errors.InvalidRequest("conversation: give uuid, whatsapp_user_id or phone")
        wanted = digits(phone)
        for conversation in self.conversations.values():
            if self.contacts[conversation.contact_uuid].phone == wanted:
                return conversation
        raise errors.ConversationNotFound(what=f"phone {phone}")

    @staticmethod
    def _is_whatsapp_user(contact: Contact, whatsapp_user_id: str) -> bool:
        """A BSUID ("US.1349...") matches only the contact's own, as given (no digits() that could turn it into a
        phone); the digits form matches the contact's phone too: the id the docs say it holds today, which a client
        that stored it before the contact got a BSUID keeps using (convomock design)."""
        if whatsapp_user_id == contact.whatsapp_user_id:
            return True
        return whatsapp_user_id.isdigit() and whatsapp_user_id == contact.phone

    def conversation_by(self, identifier: Mapping[str, str]) -> Conversation:
        """The conversation a request's `{uuid | whatsapp_user_id | phone}` object names."""
        return self.conversation(identifier.get("uuid"), identifier.get("whatsapp_user_id"), identifier.get("phone"))

    def contact(self, uuid: str) -> Contact:
        found = self.contacts.get(uuid.lower())
        if found is None:
            raise errors.ContactNotFound(uuid=uuid)
        return found

    def _by_ref(self, items: list[Any], ref: Mapping[str, str], error: type[errors.OneToOneError]) -> Any:
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

    def label(self, ref: Mapping[str, str]) -> Label:
        return self._by_ref(self.labels, ref, errors.LabelNotFound)  # type: ignore[no-any-return]

    def mailbox(self, ref: Mapping[str, str]) -> Mailbox:
        return self._by_ref(self.mailboxes, ref, errors.MailboxNotFound)  # type: ignore[no-any-return]

    def ai_employee(self, ref: Mapping[str, str]) -> AiEmployee:
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

    def confirmed_file(self, uuid: str, field: str = "file_uuid") -> UploadedFile:
        """A file that may be sent: the docs' "already uploaded and confirmed, from the same business"."""
        found = self.file(uuid)
        if found.confirmed_at is None:
            raise errors.FileNotConfirmed(uuid=found.uuid, field=field)
        return found

    def label_by_uuid(self, uuid: str) -> Label | None:
        return next((label for label in self.labels if label.uuid == uuid), None)

    def mailbox_by_uuid(self, uuid: str) -> Mailbox:
        return next(m for m in self.mailboxes if m.uuid == uuid)

    def ai_employee_by_uuid(self, uuid: str | None) -> AiEmployee | None:
        return next((e for e in self.ai_employees if e.uuid == uuid), None)

    def key_named(self, token: str) -> ApiKey | None:
        return next((key for key in self.keys if key.token == token), None)

    def pending_schedule(self, conversation: Conversation) -> Schedule | None:
        pending = [s for s in self.schedules if s.conversation_uuid == conversation.uuid and s.status == "pending"]
        return min(pending, key=lambda s: s.schedule_at) if pending else None

    # -- where a scenario acts ------------------------------------------------------------------------------------

    def covers(self, target: Target, conversation: Conversation) -> bool:
        """The conversation is inside the target's conversation and contact (a contact named by its uuid, phone or
        BSUID); the tenant is the caller's to check."""
        contact = self.contacts.get(conversation.contact_uuid)
        contact_ids = (conversation.contact_uuid, contact.phone, contact.whatsapp_user_id) if contact else ()
        return target.has_conversation(conversation.uuid) and target.has_contact(*contact_ids)

    def _ruled(self, rules: Sequence[RuleScope], conversation: Conversation) -> bool:
        return any(self.covers(Target(conversation=r.conversation, contact=r.contact), conversation) for r in rules)

    def meta_refuses(self, conversation: Conversation) -> bool:
        """A `send_outcome: failed` scenario covers the conversation: Meta refuses the send (502 SEND_FAILED)."""
        return self._ruled(self.send_failures, conversation)

    def meta_rejects_templates(self, conversation: Conversation) -> bool:
        """A `template_delivery: rejected` scenario covers it: Meta accepts a template, then rejects it."""
        return self._ruled(self.template_rejections, conversation)

    # -- the rules a send must pass: they refuse, and change nothing ----------------------------------------------

    def check_text(self, conversation: Conversation, fields: Mapping[str, Any]) -> None:
        """Lookups only: the file exists and is confirmed, the message replied to exists. The window is checked when
        sending."""
        if fields.get("file_uuid") is not None:
            self.confirmed_file(fields["file_uuid"])
        if fields.get("reply_to_uuid") is not None:
            wanted = fields["reply_to_uuid"].lower()
            if not any(m.uuid == wanted and m.event_type is None for m in conversation.messages):
                raise errors.MessageNotFound(uuid=fields["reply_to_uuid"])

    def check_quick_reply(self, fields: Mapping[str, Any]) -> QuickReply:
        return self.quick_reply(fields.get("quick_reply_uuid"), (fields.get("quick_reply") or {}).get("name"))

    def check_template(self, fields: Mapping[str, Any]) -> TemplateSend:
        """The template exists, is APPROVED, and gets exactly the variables and header it declares."""
        template = self.template(fields["template_name"], fields.get("language"))
        if template.status != "APPROVED":
            raise errors.TemplateNotApproved(name=template.name, language=template.language, status=template.status)
        expected = sorted({int(n) for n in re.findall(r"\{\{(\d+)\}\}", template.body_text)})
        given = {int(v["index"]): v["value"] for v in fields.get("body_variables") or []}
        if sorted(given) != expected:
            raise errors.InvalidRequest(
                f"body_variables: template {template.name} ({template.language}) takes variables "
                f"{expected or 'none'}, got {sorted(given) or 'none'}"
            )
        header = fields.get("header")
        if template.header_type in ("image", "video", "document"):
            if not isinstance(header, Mapping):
                raise errors.InvalidRequest(
                    f'header: template {template.name} needs a {template.header_type} header given as {{"file_uuid": ...}}'
                )
            self.confirmed_file(header["file_uuid"], field="header.file_uuid")
        elif header is not None and template.header_type is None:
            raise errors.InvalidRequest(f"header: template {template.name} has no header")
        for button in fields.get("button_parameters") or []:
            if int(button["index"]) >= len(template.buttons):
                raise errors.InvalidRequest(
                    f"button_parameters: template {template.name} has "
                    f"{len(template.buttons)} button(s); index {button['index']} does not exist"
                )
        return TemplateSend(template, given)

    def check_ai_tokens(self) -> None:
        """The AI runs only while the business has tokens (an action may still spend more than is left)."""
        if self.ai_token_balance <= 0:
            raise errors.InsufficientAiTokens()

    # -- sending to the customer ----------------------------------------------------------------------------------

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
        refused: bool = False,
    ) -> Message:
        """A message from the business (or an internal note/draft when event_type is set). `refused`: Meta refused
        it, so it has no wamid and was never sent, and is kept as failed (the docs' SEND_FAILED)."""
        internal = event_type is not None
        message = Message(
            uuid=rng.uuid4(),
            conversation_uuid=conversation.uuid,
            is_from_customer=False,
            body=body,
            author_name=author,
            external_id=None if internal or refused else wamid(rng),
            created_at=now,
            sent_at=None if internal or refused else now,
            event_type=event_type,
            content_type=content_type,
            media=media,
            tokens_spent=tokens_spent,
            failure_reason=SEND_FAILED if refused else None,
        )
        conversation.messages.append(message)
        if not internal:
            conversation.unread_count = 0  # answering the customer (even if Meta refuses it) reads the thread
        return message

    @staticmethod
    def _meta_accepts(message: Message) -> Message:
        """The send's last step: Meta takes it, or (a `send_outcome: failed` scenario) refused it, and the message
        stored as failed is answered with 502 SEND_FAILED."""
        if message.failure_reason is not None:
            raise errors.SendFailed()
        return message

    def send_text(
        self, conversation: Conversation, fields: Mapping[str, Any], rng: SeededRandom, now: datetime, author: str
    ) -> Message:
        self.check_text(conversation, fields)
        conversation.require_open_window(now)
        media = None
        content_type = "text"
        if fields.get("file_uuid") is not None:
            upload = self.confirmed_file(fields["file_uuid"])
            media = Media(file_uuid=upload.uuid, mime_type=upload.mime_type, filename=upload.filename)
            content_type = media_kind(upload.mime_type)
        message = self.add_outbound(
            conversation,
            rng,
            now,
            body=fields.get("body"),
            author=author,
            content_type=content_type,
            media=media,
            refused=self.meta_refuses(conversation),
        )
        return self._meta_accepts(message)

    def send_quick_reply(
        self, conversation: Conversation, fields: Mapping[str, Any], rng: SeededRandom, now: datetime, author: str
    ) -> list[Message]:
        """One quick reply may be several messages (text, then a catalogue PDF, ...), sent in order; if Meta refuses
        the first, it is kept as failed and the rest are not sent."""
        quick_reply = self.check_quick_reply(fields)
        conversation.require_open_window(now)
        refused = self.meta_refuses(conversation)
        sent = []
        for part in quick_reply.parts:
            media = None
            if part.subtype != "text":
                media = Media(
                    file_uuid=rng.uuid4(),
                    mime_type=part.mime_type or "application/pdf",
                    filename=part.filename or "file",
                )
            message = self.add_outbound(
                conversation,
                rng,
                now,
                body=part.body,
                author=author,
                content_type=part.subtype,
                media=media,
                refused=refused,
            )
            sent.append(self._meta_accepts(message))
        return sent

    def send_template(
        self, conversation: Conversation, fields: Mapping[str, Any], rng: SeededRandom, now: datetime, author: str
    ) -> Message:
        """Allowed with the window closed; per the docs, sending a template reopens the 24h window (one Meta refused
        does not)."""
        checked = self.check_template(fields)
        message = self.add_outbound(
            conversation,
            rng,
            now,
            body=checked.template.render(checked.variables),
            author=author,
            content_type="template",
            refused=self.meta_refuses(conversation),
        )
        self._meta_accepts(message)
        conversation.window_expires_at = now + WINDOW
        return message

    def reject_delivery(
        self, conversation: Conversation, message: Message, reopened: datetime, before: datetime | None
    ) -> bool:
        """Meta rejects a template it had accepted (`template_delivery: rejected`): the message is failed from now
        on, and the window its send reopened (to `reopened`) is back to `before` unless something moved it since
        (the customer wrote). False if the message had already failed."""
        if message.failure_reason is not None:
            return False
        message.failure_reason = SEND_FAILED
        if conversation.window_expires_at == reopened:
            conversation.window_expires_at = before
        return True

    def spend_ai_tokens(self, tokens: int) -> int:
        """The AI's cost, as far as the balance goes (it never goes below zero); returns what was spent. An
        `ai_tokens_run_out_after` scenario counts the AI action."""
        spent = min(tokens, self.ai_token_balance)
        self.ai_token_balance -= spent
        for run_out in self.ai_run_outs:
            run_out.left = max(0, run_out.left - 1)
        return spent

    def start_ai_action(self) -> None:
        """An AI action is about to run (in the background, after its group's preflight passed): once a scenario's
        `ai_tokens_run_out_after` count is used up the balance is gone, then the tokens are checked as at preflight
        (402 INSUFFICIENT_AI_TOKENS, recorded against the action)."""
        for run_out in self.ai_run_outs:
            if run_out.left == 0 and self.ai_token_balance > 0:
                run_out.drained += self.ai_token_balance
                self.ai_token_balance = 0
        self.check_ai_tokens()

    def add_ai_message(
        self,
        conversation: Conversation,
        rng: SeededRandom,
        now: datetime,
        *,
        employee: AiEmployee,
        text: str,
        tokens: int,
        draft: bool,
    ) -> Message:
        """The AI's words: a reply the customer gets, or a draft for a human (internal); the business pays first."""
        spent = self.spend_ai_tokens(tokens)
        return self.add_outbound(
            conversation,
            rng,
            now,
            body=text,
            author=employee.name,
            event_type="ai_draft" if draft else None,
            tokens_spent=spent,
        )

    # -- what else happens to a conversation ----------------------------------------------------------------------

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

    def open_conversation(self, rng: SeededRandom, now: datetime, phone: str, profile_name: str | None) -> Conversation:
        """A number the business has never heard from writes in: a new contact and its conversation (first mailbox)."""
        contact = Contact(
            uuid=rng.uuid4(),
            first_name=profile_name,
            middle_name=None,
            last_name=None,
            second_last_name=None,
            profile_name=profile_name,
            phone=phone,
            acquisition_source="whatsapp",
            is_tester=False,
            created_at=now,
            updated_at=now,
        )
        self.contacts[contact.uuid] = contact
        conversation = Conversation(
            uuid=rng.uuid4(), contact_uuid=contact.uuid, is_tester=False, mailbox_uuid=self.mailboxes[0].uuid
        )
        self.conversations[conversation.uuid] = conversation
        return conversation

    def set_inbox_status(self, conversation: Conversation, status: str) -> None:
        conversation.inbox_status = status  # resolved or pending

    def move_to_mailbox(self, conversation: Conversation, ref: Mapping[str, str]) -> Mailbox:
        mailbox = self.mailbox(ref)
        conversation.mailbox_uuid = mailbox.uuid
        return mailbox

    def assign_ai_employee(self, conversation: Conversation, ref: Mapping[str, str]) -> AiEmployee:
        employee = self.ai_employee(ref)
        conversation.ai_employee_uuid = employee.uuid
        return employee

    def assign_labels(self, conversation: Conversation, refs: Sequence[Mapping[str, str]]) -> list[str]:
        """Adds each label once; returns the conversation's labels afterwards."""
        for ref in refs:
            label = self.label(ref)
            if label.uuid not in conversation.label_uuids:
                conversation.label_uuids.append(label.uuid)
        return list(conversation.label_uuids)

    def remove_labels(self, conversation: Conversation, refs: Sequence[Mapping[str, str]]) -> list[str]:
        """Removing a label the conversation does not have is no error; returns its labels afterwards."""
        for ref in refs:
            label = self.label(ref)
            if label.uuid in conversation.label_uuids:
                conversation.label_uuids.remove(label.uuid)
        return list(conversation.label_uuids)

    def fire_due_schedules(self, rng: SeededRandom, now: datetime) -> None:
        """A pending schedule whose time has come is sent (or fails, if the window forbids free text)."""
        for schedule in self.schedules:
            if schedule.status != "pending" or schedule.schedule_at > now:
                continue
            conversation = self.conversations[schedule.conversation_uuid]
            schedule.updated_at = schedule.schedule_at
            if schedule.message_kind == "message" and not conversation.window_open(schedule.schedule_at):
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

    # -- uploads and the activity log -----------------------------------------------------------------------------

    def reserve_upload(
        self, rng: SeededRandom, now: datetime, filename: str, mime_type: str, size_bytes: int
    ) -> UploadedFile:
        """A file the client announced; its bytes arrive later at the upload URL, within UPLOAD_TTL."""
        uuid = rng.uuid4()
        upload = UploadedFile(
            uuid=uuid,
            filename=filename,
            mime_type=mime_type,
            size_bytes=size_bytes,
            upload_token=rng.token(32),
            storage_path=f"businesses/{self.uuid}/uploads/{uuid}/{filename}",
            expires_at=now + UPLOAD_TTL,
        )
        self.files[uuid] = upload
        return upload

    def confirm_upload(self, uuid: str, now: datetime) -> UploadedFile:
        """The bytes arrived and match the declared size ("se re-valida en /confirm"); confirming again is a no-op.
        A refusal leaves the file unconfirmed: the client may PUT again while the upload URL lasts."""
        upload = self.file(uuid)
        if upload.confirmed_at is not None:
            return upload
        if upload.uploaded_bytes is None:
            raise errors.InvalidRequest(f"file_uuid: no bytes were uploaded to the upload_url of {upload.uuid} yet")
        if upload.uploaded_bytes != upload.size_bytes:
            raise errors.InvalidRequest(
                f"size_bytes: declared {upload.size_bytes}, uploaded {upload.uploaded_bytes}; "
                "PUT the whole file again, then confirm"
            )
        upload.confirmed_at = now
        return upload

    def record_activity(
        self,
        rng: SeededRandom,
        now: datetime,
        *,
        group_uuid: str,
        conversation_uuid: str,
        index: int,
        kind: str,
        status: str,
        error: errors.OneToOneError | None = None,
        detail: dict[str, Any] | None = None,
    ) -> ActivityEntry:
        entry = ActivityEntry(
            uuid=rng.uuid4(),
            at=now,
            group_uuid=group_uuid,
            conversation_uuid=conversation_uuid,
            index=index,
            type=kind,
            status=status,
            code=error.code if error else None,
            message=error.message if error else None,
            detail=detail or {},
        )
        log = self.activity
        log.append(entry)
        if len(log) > ACTIVITY_KEPT + ACTIVITY_KEPT // 4:  # trimmed in batches, so appending stays O(1) on average
            del log[: len(log) - ACTIVITY_KEPT]
        return entry


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

    def upload(self, file_uuid: str) -> UploadedFile | None:
        """A reserved upload of any business (the upload URL names no business)."""
        for business in self.businesses.values():
            found = business.files.get(file_uuid.lower())
            if found is not None:
                return found
        return None

    def receive_upload(self, upload: UploadedFile, size_bytes: int) -> None:
        upload.uploaded_bytes = size_bytes

    # -- scenario effects: each returns what it replaced, so the scenario can put it back --------------------------

    def businesses_in(self, target: Target) -> list[Business]:
        return [b for b in self.businesses.values() if target.has_tenant(b.slug, b.uuid)]

    def add_rules(self, rules_of: Callable[[Business], list[RuleScope]], target: Target) -> list[list[RuleScope]]:
        """One rule of the target's conversation and contact in each business it covers (`rules_of` says which list);
        returns the lists each was added to (the rule is the last of each)."""
        added = []
        for business in self.businesses_in(target):
            rules_of(business).append(RuleScope.of(target))
            added.append(rules_of(business))
        return added

    @staticmethod
    def remove_rules(added: Sequence[list[RuleScope]], rule: RuleScope) -> None:
        """The rule `add_rules` added to each list, once (another scenario's equal rule stays)."""
        for rules in added:
            if rule in rules:
                rules.remove(rule)

    def drop_rules(self, key: str) -> None:
        """Every send, template and AI run-out rule the switching-on `key` added (after a restore)."""
        for business in self.businesses.values():
            business.send_failures = [rule for rule in business.send_failures if rule.key != key]
            business.template_rejections = [rule for rule in business.template_rejections if rule.key != key]
            business.ai_run_outs = [rule for rule in business.ai_run_outs if rule.key != key]

    def add_ai_run_outs(self, after: int, target: Target) -> list[tuple[Business, AiRunOut]]:
        added = []
        for business in self.businesses_in(target):
            run_out = AiRunOut(left=after, key=target.key)
            business.ai_run_outs.append(run_out)
            added.append((business, run_out))
        return added

    @staticmethod
    def remove_ai_run_outs(added: Sequence[tuple[Business, AiRunOut]]) -> None:
        """Each run-out goes; the balance it drained comes back where it is still 0 (nothing was added since)."""
        for business, run_out in added:
            business.ai_run_outs = [r for r in business.ai_run_outs if r is not run_out]
            if run_out.drained and business.ai_token_balance == 0:
                business.ai_token_balance = run_out.drained

    def set_ai_token_balances(self, balance: int, target: Target = WHOLE) -> dict[str, int]:
        """The balance of every business the target covers; returns each changed one's balance before."""
        before = {slug: b.ai_token_balance for slug, b in self.businesses.items() if target.has_tenant(slug, b.uuid)}
        for slug in before:
            self.businesses[slug].ai_token_balance = balance
        return before

    def restore_ai_token_balances(self, before: Mapping[str, int], balance: int) -> None:
        """Only where the balance is still the scenario's: whatever changed it since (spending) is kept."""
        for slug, previous in before.items():
            business = self.businesses.get(slug)
            if business is not None and business.ai_token_balance == balance:
                business.ai_token_balance = previous

    def close_windows(
        self, now: datetime, closed_at: datetime, target: Target = WHOLE
    ) -> list[tuple[Conversation, datetime | None]]:
        """Every window the target covers that is open at `now` ends at `closed_at`; returns each changed
        conversation with its old expiry."""
        changed: list[tuple[Conversation, datetime | None]] = []
        for business in self.businesses_in(target):
            for conversation in business.conversations.values():
                if business.covers(target, conversation) and conversation.window_open(now):
                    changed.append((conversation, conversation.window_expires_at))
                    conversation.window_expires_at = closed_at
        return changed

    def reopen_windows(self, changed: Sequence[tuple[Conversation, datetime | None]], closed_at: datetime) -> None:
        """Only where the window is still the one closed: a customer who wrote since keeps the window it opened."""
        for conversation, expires in changed:
            if conversation.window_expires_at == closed_at:
                conversation.window_expires_at = expires
