"""AchieveApex's state: organizations (the tenants), each holding its records as the services return them (plain
JSON objects, snake_case, numeric `id` or Mongo-style `_id`, ISO times with milliseconds), beside the users, API
keys and seeded tokens, which belong to no one organization. Records stay JSON so a Feathers query runs over exactly
what a client sees.

Every change a record can undergo is an operation here: patching and removing a conversation (soft), bulk actions,
messages in and out on each channel (WhatsApp's 24h window, notes), upload signing and checking, file records,
predefined messages, contacts and their tags, log-outs. Every lookup that raises the vendor's 404 is here too.
Handlers, the control routes and the automation runner (`automations.py`) call these. The module is long (~600
lines) because the sends and the upload flow check everything before they change anything, and those checks are
the rules a reader looks for next to the change.

Whatever a tenant's request changes lives in its organization: a new numeric id is the highest id of the service
across organizations plus one, each organization keeping its own highest; a log-out is kept with the user's first
organization. So one tenant's writes never touch another's part of the state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import mimetypes
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from mock_server.apis.omniinbox.errors import BadRequest, Forbidden, NotFound, Unprocessable
from mock_server.apis.omniinbox.wire import CHANNELS, iso_ms
from mock_server.engine.clock import parse_instant

__all__ = [
    "BUCKET",
    "CHANNELS",
    "MAX_UPLOAD_BYTES",
    "OBJECT_ID_CHANNELS",
    "UPLOAD_TTL",
    "WINDOW",
    "AchieveApexStore",
    "Organization",
    "Record",
    "add_contact_tag",
    "add_message",
    "bulk_update",
    "check_conversation_patch",
    "contact_ids",
    "contact_names",
    "conversation_record",
    "create_contact",
    "customer_conversation",
    "fail_delivery",
    "find_customer",
    "create_predefined",
    "file_url",
    "log_out",
    "next_id",
    "object_id",
    "patch_conversation",
    "patch_predefined",
    "public_url",
    "receive_upload",
    "record_file",
    "remove_conversation",
    "send",
    "send_playground",
    "send_predefined",
    "send_sms",
    "sign_upload",
    "soft_remove",
    "start_conversation",
    "upload_record",
]

Record = dict[str, Any]
OBJECT_ID_CHANNELS = ("whatsapp", "instagram", "messenger", "webchat")  # their messages have a Mongo `_id`
WINDOW = timedelta(hours=24)
WINDOW_CLOSED = "The 24-hour customer service window is closed: send an approved template or a note"
UPLOAD_TTL = timedelta(minutes=15)
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
BUCKET = "achieveapex-conversation-files"
PATCHABLE = frozenset(
    {
        "status",
        "assigned_user_id",
        "assigned_ai_assistant_id",
        "pipeline_id",
        "pipeline_stage_id",
        "ai_context_cut",
        "unread_count",
        "ai_auto_assignment_disabled",
        "ai_auto_assignment_disabled_reason",
        "blocked",
    }
)


@dataclass
class Organization:
    id: int
    key: str  # the fixtures' name of the tenant (acme, globex)
    secret: str  # signs its upload URLs
    record: Record  # as /organizations shows it
    templates: list[Record] = field(default_factory=list)  # approved WhatsApp templates: {name, language}
    contacts: dict[str, Record] = field(default_factory=dict)
    pipelines: dict[str, Record] = field(default_factory=dict)
    stages: dict[str, Record] = field(default_factory=dict)
    tags: dict[str, Record] = field(default_factory=dict)
    views: dict[str, Record] = field(default_factory=dict)
    assistants: dict[str, Record] = field(default_factory=dict)
    automations: dict[str, Record] = field(default_factory=dict)
    predefined: dict[str, Record] = field(default_factory=dict)
    conversations: dict[str, Record] = field(default_factory=dict)
    messages: dict[str, dict[str, Record]] = field(default_factory=lambda: {c: {} for c in CHANNELS})
    files: dict[str, Record] = field(default_factory=dict)
    uploads: dict[str, Record] = field(default_factory=dict)  # s3 key -> the signed upload and, once put, its bytes
    executions: dict[str, Record] = field(default_factory=dict)
    revoked: list[str] = field(default_factory=list)  # jti of logged-out tokens of users whose first org this is
    # `whatsapp_delivery: failed` (a scenario's state): where outbound WhatsApp messages fail after acceptance, each
    # entry {conversation, contact} as the scenario's scope names them (None: any)
    failing_whatsapp: list[Record] = field(default_factory=list)
    highest: dict[str, int] = field(default_factory=dict)  # collection -> the highest numeric id held here
    object_counter: int = 0

    def get(self, collection: str, record_id: Any) -> Record:
        """A live record of this organization, or Feathers' 404 (a soft-deleted one is gone too)."""
        records: dict[str, Record] = getattr(self, collection)
        found = records.get(str(record_id))
        if found is None or found.get("deleted_at") is not None:
            raise NotFound(id=record_id)
        return found

    def message(self, channel: str, record_id: Any) -> Record:
        found = self.messages[channel].get(str(record_id))
        if found is None or found.get("deleted_at") is not None:
            raise NotFound(id=record_id)
        return found

    def keep(self, collection: str, record: Record, key: str | None = None) -> Record:
        """Hold a new record; a numeric id raises the organization's highest id of the collection."""
        if key is None:
            key = str(record["id"])
            self.highest[collection] = max(self.highest.get(collection, 0), int(record["id"]))
        getattr(self, collection)[key] = record
        return record

    def members(self, store: AchieveApexStore) -> dict[int, str]:
        """user id -> role in this organization"""
        return {
            u["id"]: u["memberships"][str(self.id)] for u in store.users.values() if str(self.id) in u["memberships"]
        }


@dataclass
class AchieveApexStore:
    jwt_secret: str = ""
    organizations: dict[str, Organization] = field(default_factory=dict)
    users: dict[str, Record] = field(default_factory=dict)  # id -> {..., password, memberships: {org id: role}}
    api_keys: dict[str, Record] = field(default_factory=dict)  # key -> {key, organization_id, user_id, revoked}
    tokens: dict[str, str] = field(default_factory=dict)  # seeded access token -> user id (handy credentials)

    def organization(self, organization_id: int | str) -> Organization:
        return self.organizations[str(organization_id)]

    def user(self, user_id: int | str) -> Record | None:
        return self.users.get(str(user_id))

    def home(self, user: Record) -> Organization | None:
        """Where a user's log-outs are kept: the first organization they belong to."""
        return next((self.organizations[o] for o in user["memberships"] if o in self.organizations), None)

    def locate(self, organizations: Iterable[int], collection: str, record_id: Any) -> tuple[Organization, Record]:
        """The record among these organizations' (the caller's), or 404 as if it did not exist at all."""
        for organization_id in organizations:
            org = self.organizations.get(str(organization_id))
            if org is not None and str(record_id) in getattr(org, collection):
                return org, org.get(collection, record_id)
        raise NotFound(id=record_id)


def next_id(store: AchieveApexStore, collection: str) -> int:
    """The service's highest id + 1, across organizations: deterministic, and kept per organization."""
    return max((org.highest.get(collection, 0) for org in store.organizations.values()), default=0) + 1


def object_id(org: Organization, now: datetime) -> str:
    """MongoDB's ObjectId layout: 4 bytes of creation time, 5 bytes fixed per process (here per organization),
    3 bytes of a counter; so `_id` order is creation order, within one second too."""
    org.object_counter = (org.object_counter + 1) & 0xFFFFFF
    middle = hashlib.blake2b(str(org.id).encode(), digest_size=5).hexdigest()
    return f"{int(now.timestamp()) & 0xFFFFFFFF:08x}{middle}{org.object_counter:06x}"


def soft_remove(record: Record, now: datetime) -> Record:
    record["deleted_at"] = record["updated_at"] = iso_ms(now)
    return record


def log_out(store: AchieveApexStore, user: Record, jti: str) -> None:
    home = store.home(user)
    if home is not None and jti not in home.revoked:
        home.revoked.append(jti)


# -- conversations -------------------------------------------------------------------------------------------------


def _same_id(a: Any, b: Any) -> bool:
    return a is not None and b is not None and str(a) == str(b)


def check_conversation_patch(
    store: AchieveApexStore, org: Organization, conversation: Record, patch: Mapping[str, Any]
) -> Record:
    """The conversation as the patch would leave it, or a BadRequest: users must be members, the AI assistant and
    the pipeline and stage the organization's, the stage in the pipeline (convomock design). Nothing changes."""
    unknown = sorted(set(patch) - PATCHABLE)
    if unknown:
        raise BadRequest("validation failed", data=[_additional(name) for name in unknown])
    changed = {**conversation, **patch}
    user = patch.get("assigned_user_id")
    if user is not None and user not in org.members(store):
        raise BadRequest(f"User {user} is not a member of organization {org.id}")
    assistant = patch.get("assigned_ai_assistant_id")
    if assistant is not None:
        found = next((a for a in _live(org.assistants) if _same_id(a["id"], assistant)), None)
        if found is None:
            raise BadRequest(f"Unknown AI assistant {assistant}")
        # the patch page allows the id as text ("55"); kept as the assistant's number, so the list filter finds it
        changed["assigned_ai_assistant_id"] = found["id"]
    if "pipeline_id" in patch and patch["pipeline_id"] is None:
        changed["pipeline_stage_id"] = patch.get("pipeline_stage_id")
    pipeline = org.pipelines.get(str(changed["pipeline_id"]))
    if changed["pipeline_id"] is not None and (pipeline is None or pipeline["deleted_at"] is not None):
        raise BadRequest(f"Unknown pipeline {changed['pipeline_id']}")
    stage_id = changed["pipeline_stage_id"]
    if stage_id is not None:
        stage = org.stages.get(str(stage_id))
        if stage is None or stage["deleted_at"] is not None:
            raise BadRequest(f"Unknown pipeline stage {stage_id}")
        if "pipeline_stage_id" in patch and "pipeline_id" not in patch:
            changed["pipeline_id"] = stage["pipeline_id"]
        elif changed["pipeline_id"] != stage["pipeline_id"]:
            if "pipeline_stage_id" in patch:
                raise BadRequest(f"Pipeline stage {stage_id} does not belong to pipeline {changed['pipeline_id']}")
            changed["pipeline_stage_id"] = None  # moved to another pipeline: the old stage goes
    if patch.get("ai_context_cut") is not None:
        try:
            changed["ai_context_cut"] = iso_ms(parse_instant(str(patch["ai_context_cut"])))
        except ValueError:
            raise BadRequest("ai_context_cut must be an ISO 8601 date") from None
    return changed


def _additional(name: str) -> Record:
    return {
        "instancePath": "",
        "keyword": "additionalProperties",
        "params": {"additionalProperty": name},
        "message": "must NOT have additional properties",
    }


def _live(records: Mapping[str, Record]) -> list[Record]:
    return [r for r in records.values() if r.get("deleted_at") is None]


def patch_conversation(
    store: AchieveApexStore, org: Organization, conversation: Record, patch: Mapping[str, Any], now: datetime
) -> Record:
    changed = check_conversation_patch(store, org, conversation, patch)
    conversation.update(changed)
    conversation["updated_at"] = iso_ms(now)
    return conversation


def remove_conversation(org: Organization, conversation: Record, role: str | None, now: datetime) -> Record:
    """Soft delete, for an owner or admin of the organization only [doc: the app's rule]."""
    if role not in ("owner", "admin"):
        raise Forbidden("Only an organization owner or admin can delete a conversation")
    return soft_remove(conversation, now)


def bulk_update(
    store: AchieveApexStore, targets: list[tuple[Organization, Record]], patch: Mapping[str, Any], now: datetime
) -> list[int]:
    """One patch on many conversations: every one checked first (a refusal changes none), then changed."""
    for org, conversation in targets:
        check_conversation_patch(store, org, conversation, patch)
    return [patch_conversation(store, org, c, patch, now)["id"] for org, c in targets]


def conversation_record(
    conversation_id: int, org: Organization, contact_id: int | None, channel: str, at: str, **fields: Any
) -> Record:
    """A new conversation as the services return it (the [doc] fields, then convomock's), `fields` set over it."""
    record: Record = {
        "id": conversation_id,
        "organization_id": org.id,
        "contact_id": contact_id,
        "channel": channel,
        "status": "open",
        "assigned_user_id": None,
        "assigned_ai_assistant_id": None,
        "pipeline_id": None,
        "pipeline_stage_id": None,
        "unread_count": 0,
        "ai_context_cut": None,
        "ai_auto_assignment_disabled": False,
        "ai_auto_assignment_disabled_reason": None,
        "blocked": False,
        "last_interaction_at": None,
        "created_at": at,
        "updated_at": at,
        "deleted_at": None,
        "whatsapp_window_expires_at": None,
        "waiting_response": False,
        "last_message_text": None,
    }
    record.update(fields)
    return record


def start_conversation(
    store: AchieveApexStore, org: Organization, channel: str, contact: Record, now: datetime
) -> Record:
    """A conversation a customer opens (the control API's inbound on a new phone or email)."""
    conversation = conversation_record(next_id(store, "conversations"), org, contact["id"], channel, iso_ms(now))
    return org.keep("conversations", conversation)


# -- contacts ------------------------------------------------------------------------------------------------------

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "phone_country_code",
    "phone_country_iso",
    "owned_by_user_id",
    "company_id",
    "channel_whatsapp_wa_id",
    "channel_instagram_user_id",
    "avatar_url",
)


def create_contact(
    store: AchieveApexStore, org: Organization, body: Mapping[str, Any], user_id: int | None, now: datetime
) -> Record:
    owner = body.get("owned_by_user_id", user_id)
    if owner is not None and owner not in org.members(store):
        raise BadRequest(f"User {owner} is not a member of organization {org.id}")
    tags = list(dict.fromkeys(body.get("tag_ids") or []))
    for tag in tags:
        if str(tag) not in org.tags or org.tags[str(tag)]["deleted_at"] is not None:
            raise BadRequest(f"Unknown tag {tag}")
    at = iso_ms(now)
    contact: Record = {"id": next_id(store, "contacts")}
    contact |= {name: body.get(name) for name in CONTACT_FIELDS[:6]}
    contact |= {"organization_id": org.id, "created_at": at, "updated_at": at, "deleted_at": None}
    contact |= {"created_by_user_id": user_id, "owned_by_user_id": owner, "company_id": body.get("company_id")}
    contact |= {name: body.get(name) for name in CONTACT_FIELDS[8:10]}
    contact |= {"system_type": "contact", "avatar_url": body.get("avatar_url")}
    contact |= {"custom_fields_by_name": dict(body.get("custom_fields_by_name") or {}), "tag_ids": tags}
    return org.keep("contacts", contact)


def _digits(text: Any) -> str:
    return "".join(ch for ch in str(text) if ch.isdigit()) if text else ""


def contact_names(contact: Record) -> tuple[Any, ...]:
    """What a customer is known by: the contact's id, phone (alone, and after its country code), WhatsApp id and
    email."""
    phone = contact.get("phone")
    full = f"{contact.get('phone_country_code') or ''}{phone}" if phone else None
    return (contact["id"], full, phone, contact.get("channel_whatsapp_wa_id"), contact.get("email"))


def contact_ids(org: Organization, conversation: Record) -> tuple[Any, ...]:
    """What a scope may name a conversation's customer by (its contact's `contact_names`)."""
    contact = org.contacts.get(str(conversation["contact_id"]))
    return (conversation["contact_id"],) if contact is None else contact_names(contact)


def find_customer(org: Organization, phone: str | None, email: str | None) -> Record | None:
    """The live contact a customer writing in from this phone (its digits, with or without the country code, or
    the WhatsApp id) or email (any case) is; the phone decides when both are given and name different contacts."""
    digits = _digits(phone)
    folded = email.casefold() if email else None
    by_email = None
    for contact in _live(org.contacts):
        if digits and digits in {_digits(name) for name in contact_names(contact)[1:4]}:
            return contact
        if folded and by_email is None and (contact.get("email") or "").casefold() == folded:
            by_email = contact
    return by_email


def customer_conversation(org: Organization, contact: Record, channel: str) -> Record | None:
    """The contact's live conversation on `channel` where a new message of theirs lands: the latest active one, as
    the inbox sorts them (convomock design)."""
    held = [c for c in _live(org.conversations) if c["channel"] == channel and _same_id(c["contact_id"], contact["id"])]
    return max(held, key=lambda c: (c["last_interaction_at"] or c["created_at"], c["id"]), default=None)


def add_contact_tag(org: Organization, contact: Record, tag_id: Any, now: datetime) -> Record:
    tag = org.get("tags", tag_id)
    if tag["id"] not in contact["tag_ids"]:
        contact["tag_ids"] = [*contact["tag_ids"], tag["id"]]
        contact["updated_at"] = iso_ms(now)
    return contact


# -- messages ------------------------------------------------------------------------------------------------------


def _window_open(conversation: Record, now: datetime) -> bool:
    expires = conversation.get("whatsapp_window_expires_at")
    return expires is not None and expires > iso_ms(now)


def add_message(
    store: AchieveApexStore,
    org: Organization,
    conversation: Record,
    now: datetime,
    *,
    direction: str,
    text: str | None,
    message_type: str = "text",
    sender_user_id: int | None = None,
    media: Mapping[str, Any] | None = None,
    template: Mapping[str, Any] | None = None,
) -> Record:
    """A message in its channel's service, and what it does to the conversation: the customer's reopens it, opens
    WhatsApp's 24h window and waits for a response; a customer-facing reply answers it; a note changes nothing."""
    channel = conversation["channel"]
    at = iso_ms(now)
    media = media or {}
    if channel in OBJECT_ID_CHANNELS:
        key = object_id(org, now)
        message: Record = {"_id": key}
    else:
        message = {"id": next_id(store, f"messages:{channel}")}
        key = str(message["id"])
        org.highest[f"messages:{channel}"] = message["id"]
    status = "received" if direction == "inbound" else ("delivered" if channel == "playground" else "sent")
    message |= {
        "conversation_id": conversation["id"],
        "organization_id": org.id,
        "message_type": message_type,
        "message_text": text,
        "direction": direction,
        "sender_user_id": sender_user_id,
        "media_url": media.get("media_url"),
        "file_name": media.get("file_name"),
        "file_type": media.get("file_type"),
        "file_size": media.get("file_size"),
        "conversation_file_id": media.get("conversation_file_id"),
        "template": dict(template) if template else None,
        "status": status,
        "created_at": at,
        "updated_at": at,
        "deleted_at": None,
    }
    org.messages[channel][key] = message
    if message_type == "note":
        return message
    preview = text or (f"[template {template['name']}]" if template else f"[{message_type}]")
    conversation.update(last_interaction_at=at, updated_at=at, last_message_text=preview[:200])
    if direction == "inbound":
        conversation["unread_count"] += 1
        conversation["waiting_response"] = True
        conversation["status"] = "open"
        if channel == "whatsapp":
            conversation["whatsapp_window_expires_at"] = iso_ms(now + WINDOW)
    else:
        conversation.update(unread_count=0, waiting_response=False)
    return message


def fail_delivery(message: Record, now: datetime) -> bool:
    """An accepted outbound message WhatsApp could not deliver: `status` becomes `failed` (the spec's value), if it
    is still only `sent` and not deleted; False when nothing changed."""
    if message["status"] != "sent" or message["deleted_at"] is not None:
        return False
    message["status"] = "failed"
    message["updated_at"] = iso_ms(now)
    return True


_CATEGORY_TYPES = {"image": "image", "video": "video", "audio": "audio", "file": "document"}


def _category(file_type: str | None) -> str:
    kind = (file_type or "").split("/", 1)[0]
    return kind if kind in ("image", "audio", "video") else "file"


def public_url(key: str) -> str:
    """Where SMS media is fetched from: the bucket's public URL [doc]."""
    return f"https://{BUCKET}.s3.amazonaws.com/{key}"


def _file_media(org: Organization, conversation: Record, file_id: Any) -> Record:
    found = org.files.get(str(file_id))
    if found is None or found["conversation_id"] != conversation["id"]:
        raise BadRequest(f"Unknown conversation file {file_id}")
    return {
        "media_url": found["url"],
        "file_name": found["file_name"],
        "file_type": found["file_type"],
        "file_size": found["file_size"],
        "conversation_file_id": found["_id"],
        "category": found["file_category"],
    }


def _key_media(org: Organization, key: str, body: Mapping[str, Any]) -> Record:
    upload = org.uploads.get(key, {})
    file_type = body.get("file_type") or upload.get("file_type") or mimetypes.guess_type(key)[0]
    return {
        "media_url": public_url(key),
        "file_name": body.get("file_name") or upload.get("file_name") or key.rsplit("/", 1)[-1],
        "file_type": file_type,
        "file_size": body.get("file_size", upload.get("file_size")),
        "conversation_file_id": None,
        "category": _category(file_type),
    }


def _media(org: Organization, conversation: Record, body: Mapping[str, Any]) -> Record | None:
    if body.get("conversation_file_id") is not None:
        return _file_media(org, conversation, body["conversation_file_id"])
    key = body.get("s3_key") or _key_of(body.get("s3_path"))
    return _key_media(org, key, body) if key else None


def _key_of(s3_path: Any) -> str | None:
    prefix = f"s3://{BUCKET}/"
    if not isinstance(s3_path, str) or not s3_path:
        return None
    if not s3_path.startswith(prefix):
        raise BadRequest(f"s3_path must start with {prefix}")
    return s3_path[len(prefix) :]


def _key_of_url(url: Any) -> str | None:
    """The key of the public URL the app builds for SMS media [doc: bucket URL + `s3_key`] and sends."""
    prefix = public_url("")
    if not isinstance(url, str) or not url:
        return None
    if not url.startswith(prefix) or url == prefix:
        raise BadRequest(f"media_url must start with {prefix}")
    return url[len(prefix) :]


def _on_channel(conversation: Record, channel: str) -> None:
    if conversation["channel"] != channel:
        raise BadRequest(f"Conversation {conversation['id']} is not a conversation of the {channel} channel")


def send(
    store: AchieveApexStore,
    org: Organization,
    conversation: Record,
    channel: str,
    body: Mapping[str, Any],
    user_id: int | None,
    now: datetime,
) -> Record:
    """A transform-outgoing send (WhatsApp, Instagram, Messenger, webchat); every rule checked before anything
    changes: the channel, the template, the file, the text, WhatsApp's 24h window (notes always pass)."""
    _on_channel(conversation, channel)
    template = body.get("template")
    if template is not None:
        if channel != "whatsapp":
            raise BadRequest(f"A template cannot be sent on {channel}")
        languages = [t["language"] for t in org.templates if t["name"] == template.get("name")]
        if not languages:
            raise BadRequest(f"Unknown template {template.get('name')}")
        if template.get("language") not in languages:
            raise BadRequest(
                f"Template {template.get('name')} has no language {template.get('language')}"
                f" (approved: {', '.join(languages)})"
            )
    media = _media(org, conversation, body)
    kind = "template" if template else body.get("message_type") or "text"
    if kind == "text" and media is not None and "message_type" not in body:
        kind = _CATEGORY_TYPES[media["category"]]
    _check_content(kind, body.get("message_text"), media)
    if channel == "whatsapp" and kind not in ("note", "template") and not _window_open(conversation, now):
        raise Unprocessable(
            WINDOW_CLOSED,
            data={"whatsapp_window_expires_at": conversation.get("whatsapp_window_expires_at")},
        )
    return add_message(
        store,
        org,
        conversation,
        now,
        direction="outbound",
        text=body.get("message_text"),
        message_type=kind,
        sender_user_id=user_id,
        media=media,
        template={"name": template["name"], "language": template["language"]} if template else None,
    )


def _check_content(kind: str, text: Any, media: Record | None) -> None:
    if kind in ("text", "note") and not text and media is None:
        raise BadRequest(f"message_text is required for a {kind} message")
    if kind in ("image", "video", "audio", "document") and media is None:
        raise BadRequest(f"A {kind} message needs conversation_file_id, s3_path or s3_key")


def send_sms(
    store: AchieveApexStore,
    org: Organization,
    conversation: Record,
    body: Mapping[str, Any],
    user_id: int | None,
    now: datetime,
) -> Record:
    _on_channel(conversation, "sms")
    key = body.get("s3_key") or _key_of_url(body.get("media_url"))
    media = _key_media(org, key, body) if key else None
    return _send_text_or_file(store, org, conversation, body, media, user_id, now)


def _send_text_or_file(
    store: AchieveApexStore,
    org: Organization,
    conversation: Record,
    body: Mapping[str, Any],
    media: Record | None,
    user_id: int | None,
    now: datetime,
) -> Record:
    """An SMS or playground send: its text, or a file message of the file's kind when it has no text."""
    kind = _CATEGORY_TYPES[media["category"]] if media and not body.get("message_text") else "text"
    _check_content(kind, body.get("message_text"), media)
    return add_message(
        store,
        org,
        conversation,
        now,
        direction="outbound",
        text=body.get("message_text"),
        message_type=kind,
        sender_user_id=user_id,
        media=media,
    )


def send_playground(
    store: AchieveApexStore,
    org: Organization,
    conversation: Record,
    body: Mapping[str, Any],
    user_id: int | None,
    now: datetime,
) -> Record:
    """The playground reads `organization_id` and `contact_id` from the conversation first [doc]: both must be its."""
    _on_channel(conversation, "playground")
    if "contact_id" in body and not _same_id(body["contact_id"], conversation["contact_id"]):
        raise BadRequest(f"Contact {body['contact_id']} is not the contact of conversation {conversation['id']}")
    media = _media(org, conversation, body)
    return _send_text_or_file(store, org, conversation, body, media, user_id, now)


def send_predefined(
    store: AchieveApexStore, org: Organization, conversation: Record, predefined: Record, now: datetime
) -> Record:
    """An automation sends a predefined message on the conversation's channel, as no user (the window applies)."""
    if conversation["channel"] == "whatsapp" and not _window_open(conversation, now):
        raise Unprocessable(WINDOW_CLOSED)
    media = None
    if predefined.get("media_url"):
        media = {"media_url": predefined["media_url"], "file_name": predefined.get("filename")}
        media["file_type"] = predefined.get("mime_type")
    kind = predefined.get("message_type") or "text"
    return add_message(
        store,
        org,
        conversation,
        now,
        direction="outbound",
        text=predefined.get("content"),
        message_type=kind,
        media=media,
    )


# -- uploads and files ---------------------------------------------------------------------------------------------


def _signature(org: Organization, key: str, expires: int, file_type: str, size: int) -> str:
    message = f"{key}\n{expires}\n{file_type}\n{size}".encode()
    return hmac.new(org.secret.encode(), message, hashlib.sha256).hexdigest()


def file_url(base_url: str, key: str) -> str:
    """Where the mock serves an uploaded key (and takes its PUT): one path segment, `/` escaped."""
    return f"{base_url}/__mock/omni-inbox/s3/{quote(key, safe='')}"


def upload_record(
    key: str,
    file_type: str,
    size: int,
    conversation_id: int | None,
    expires: int,
    user_id: int | None,
    data: bytes | None = None,
) -> Record:
    """An entry of `Organization.uploads`: what step 1 signed (the key ends in the file's name) and, once put (or
    seeded with `data`), the bytes in base64 and the size received."""
    upload: Record = {
        "key": key,
        "file_name": key.rsplit("/", 1)[-1],
        "file_type": file_type,
        "file_size": size,
        "conversation_id": conversation_id,
        "expires": expires,
        "created_by_user_id": user_id,
        "uploaded_size": None,
        "data": None,
    }
    if data is not None:
        _keep_bytes(upload, data)
    return upload


def _keep_bytes(upload: Record, raw: bytes) -> None:
    upload["uploaded_size"] = len(raw)
    upload["data"] = base64.b64encode(raw).decode("ascii")


def sign_upload(
    org: Organization,
    body: Mapping[str, Any],
    conversation: Record | None,
    user_id: int | None,
    now: datetime,
    base_url: str,
) -> Record:
    size = body["file_size"]
    if size > MAX_UPLOAD_BYTES:
        raise BadRequest(f"file_size must be at most {MAX_UPLOAD_BYTES} bytes (25 MiB)")
    name = str(body["file_name"]).strip()
    if not name or name in (".", ".."):
        raise BadRequest("file_name must name a file")
    place = conversation["id"] if conversation is not None else "unsorted"
    key = f"organizations/{org.id}/conversations/{place}/{object_id(org, now)}/{name}"
    expires = int((now + UPLOAD_TTL).timestamp())
    signature = _signature(org, key, expires, body["file_type"], size)
    conversation_id = None if conversation is None else conversation["id"]
    org.uploads[key] = upload_record(key, body["file_type"], size, conversation_id, expires, user_id)
    return {
        "url": f"{file_url(base_url, key)}?expires={expires}&signature={signature}",
        "s3PathWithoutBucket": key,
        "s3Path": f"s3://{BUCKET}/{key}",
        "bucket": BUCKET,
        "expires_at": iso_ms(now + UPLOAD_TTL),
    }


def receive_upload(org: Organization, key: str, expires: str, signature: str, raw: bytes, now: datetime) -> Record:
    """The PUT to a signed URL: signature, expiry on the mock clock, and the announced size, then the bytes kept.
    Refuses in S3's words: PermissionError (the control route's 403) or ValueError (its 400)."""
    upload = org.uploads[key]
    if not expires.isdigit() or int(expires) != upload["expires"]:
        raise PermissionError("SignatureDoesNotMatch: the signature does not match")
    wanted = _signature(org, key, int(expires), upload["file_type"], upload["file_size"])
    if not hmac.compare_digest(wanted, signature):
        raise PermissionError("SignatureDoesNotMatch: the signature does not match")
    if now.timestamp() > upload["expires"]:
        raise PermissionError("AccessDenied: Request has expired")
    if len(raw) != upload["file_size"]:
        raise ValueError(f"IncompleteBody: announced {upload['file_size']} bytes, received {len(raw)}")
    _keep_bytes(upload, raw)
    return upload


def record_file(
    org: Organization,
    body: Mapping[str, Any],
    user_id: int | None,
    now: datetime,
    base_url: str,
) -> Record:
    """A conversation file for an uploaded key of this organization (checked before the conversation, so a key of
    another organization reads as never uploaded); its `url` serves the bytes."""
    key = body["s3_key"]
    upload = org.uploads.get(key)
    if upload is None or upload["data"] is None:
        raise BadRequest(f"File {key} was not uploaded")
    if body.get("s3_path") and body["s3_path"] != f"s3://{BUCKET}/{key}":
        raise BadRequest(f"s3_path {body['s3_path']} does not match s3_key {key}")
    if body.get("file_size") is not None and body["file_size"] != upload["uploaded_size"]:
        raise BadRequest(f"File {key} has {upload['uploaded_size']} bytes, not {body['file_size']}")
    conversation = org.get("conversations", body["conversation_id"])
    at = iso_ms(now)
    file_type = body.get("file_type") or upload["file_type"]
    record = {
        "_id": object_id(org, now),
        "conversation_id": conversation["id"],
        "organization_id": org.id,
        "file_name": body.get("file_name") or upload["file_name"],
        "file_type": file_type,
        "file_size": upload["uploaded_size"],
        "s3_key": key,
        "s3_path": f"s3://{BUCKET}/{key}",
        "file_category": body.get("file_category") or _category(file_type),
        "url": file_url(base_url, key),
        "created_by_user_id": user_id,
        "created_at": at,
        "updated_at": at,
    }
    return org.keep("files", record, key=record["_id"])


# -- predefined messages -------------------------------------------------------------------------------------------

PREDEFINED_FIELDS = ("title", "content", "message_type", "media_url", "filename", "mime_type")


def _check_predefined(fields: Mapping[str, Any]) -> None:
    if fields.get("message_type") == "text" and not fields.get("content"):
        raise BadRequest("content is required for a text predefined message")


def create_predefined(
    store: AchieveApexStore, org: Organization, body: Mapping[str, Any], user_id: int | None, now: datetime
) -> Record:
    _check_predefined(body)
    at = iso_ms(now)
    record: Record = {"id": next_id(store, "predefined"), "organization_id": org.id}
    record |= {name: body.get(name) for name in PREDEFINED_FIELDS}
    record |= {"created_by_user_id": user_id, "created_at": at, "updated_at": at, "deleted_at": None}
    return org.keep("predefined", record)


def patch_predefined(record: Record, patch: Mapping[str, Any], now: datetime) -> Record:
    _check_predefined({**record, **patch})
    record.update({k: v for k, v in patch.items() if k in PREDEFINED_FIELDS})
    record["updated_at"] = iso_ms(now)
    return record
