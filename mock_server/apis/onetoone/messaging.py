"""Sending to a customer, shared by the message endpoints and the action group's send actions.

Each send is split into `check_*` (every lookup and rule that can refuse, changing nothing) and `send_*` (the
change), so a direct endpoint, an action group's preflight and its background run apply the very same rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mock_server.apis.onetoone import errors
from mock_server.apis.onetoone.state import WINDOW, Business, Conversation, Media, Message, QuickReply, Template
from mock_server.apis.onetoone.views import media_kind
from mock_server.engine.ids import SeededRandom

__all__ = [
    "TemplateSend",
    "check_quick_reply",
    "check_template",
    "check_text",
    "resolve",
    "send_quick_reply",
    "send_template",
    "send_text",
]


def resolve(business: Business, identifier: Mapping[str, str]) -> Conversation:
    return business.conversation(identifier.get("uuid"), identifier.get("whatsapp_user_id"), identifier.get("phone"))


# -- text and media ----------------------------------------------------------------------------------------------


def check_text(business: Business, conversation: Conversation, fields: Mapping[str, Any]) -> None:
    """Lookups only: the file and the message replied to exist. The window is checked when sending."""
    if fields.get("file_uuid") is not None:
        business.file(fields["file_uuid"])
    if fields.get("reply_to_uuid") is not None:
        wanted = fields["reply_to_uuid"].lower()
        if not any(m.uuid == wanted and m.event_type is None for m in conversation.messages):
            raise errors.MessageNotFound(uuid=fields["reply_to_uuid"])


def send_text(
    business: Business,
    conversation: Conversation,
    fields: Mapping[str, Any],
    rng: SeededRandom,
    now: datetime,
    author: str,
) -> Message:
    check_text(business, conversation, fields)
    if not conversation.window_open(now):
        raise errors.WindowClosed()
    media = None
    content_type = "text"
    if fields.get("file_uuid") is not None:
        upload = business.file(fields["file_uuid"])
        media = Media(file_uuid=upload.uuid, mime_type=upload.mime_type, filename=upload.filename)
        content_type = media_kind(upload.mime_type)
    return business.add_outbound(
        conversation, rng, now, body=fields.get("body"), author=author, content_type=content_type, media=media
    )


# -- quick replies -----------------------------------------------------------------------------------------------


def check_quick_reply(business: Business, fields: Mapping[str, Any]) -> QuickReply:
    return business.quick_reply(fields.get("quick_reply_uuid"), (fields.get("quick_reply") or {}).get("name"))


def send_quick_reply(
    business: Business,
    conversation: Conversation,
    fields: Mapping[str, Any],
    rng: SeededRandom,
    now: datetime,
    author: str,
) -> list[Message]:
    """One quick reply may be several messages (text, then a catalogue PDF, ...), sent in order."""
    quick_reply = check_quick_reply(business, fields)
    if not conversation.window_open(now):
        raise errors.WindowClosed()
    sent = []
    for part in quick_reply.parts:
        media = None
        if part.subtype != "text":
            media = Media(
                file_uuid=rng.uuid4(), mime_type=part.mime_type or "application/pdf", filename=part.filename or "file"
            )
        sent.append(
            business.add_outbound(
                conversation, rng, now, body=part.body, author=author, content_type=part.subtype, media=media
            )
        )
    return sent


# -- templates ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateSend:
    template: Template
    variables: dict[int, str]


def check_template(business: Business, fields: Mapping[str, Any]) -> TemplateSend:
    """The template exists, is APPROVED, and gets exactly the variables and header it declares."""
    template = business.template(fields["template_name"], fields.get("language"))
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
        business.file(header["file_uuid"])
    elif header is not None and template.header_type is None:
        raise errors.InvalidRequest(f"header: template {template.name} has no header")
    for button in fields.get("button_parameters") or []:
        if int(button["index"]) >= len(template.buttons):
            raise errors.InvalidRequest(
                f"button_parameters: template {template.name} has "
                f"{len(template.buttons)} button(s); index {button['index']} does not exist"
            )
    return TemplateSend(template, given)


def send_template(
    business: Business,
    conversation: Conversation,
    fields: Mapping[str, Any],
    rng: SeededRandom,
    now: datetime,
    author: str,
) -> Message:
    """Allowed with the window closed; per the docs, sending a template reopens the 24h window."""
    checked = check_template(business, fields)
    message = business.add_outbound(
        conversation, rng, now, body=checked.template.render(checked.variables), author=author, content_type="template"
    )
    conversation.window_expires_at = now + WINDOW
    return message
