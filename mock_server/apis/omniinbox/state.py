"""Omnichannel inbox state: workspaces (the tenants) holding Feathers records as the services return them (plain
JSON objects with `_id`, camelCase fields and ISO times), plus users, uploads and automations. Records stay JSON
so a Feathers query runs over exactly what a client sees.

Every operation that changes them lives here too: patches, sends on each channel (with WhatsApp's 24h window),
bulk actions, upload signing and checking, files, automations and ObjectIds. Handlers call these; the control
API's inbound calls them too."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from mock_server.apis.omniinbox.errors import (
    BadRequest,
    Conflict,
    FeathersError,
    NotFound,
    Unprocessable,
    feathers_body,
)
from mock_server.engine.clock import iso
from mock_server.engine.ids import SeededRandom

__all__ = [
    "CHANNELS",
    "WINDOW_CHANNEL",
    "OmniStore",
    "Record",
    "Workspace",
    "WINDOW",
    "add_message",
    "bulk",
    "check_predefined",
    "check_signature",
    "object_id",
    "patch_conversation",
    "record_file",
    "run_automation",
    "send",
    "sign_upload",
]

Record = dict[str, Any]
CHANNELS = ("whatsapp", "instagram", "messenger", "webchat", "sms", "playground")
WINDOW_CHANNEL = "whatsapp"  # the only channel with a 24h customer-service window


@dataclass
class Workspace:
    id: str
    name: str
    secret: str  # signs upload URLs
    users: dict[str, Record] = field(default_factory=dict)  # _id -> {_id, email, name, role, password}
    ai_assistants: dict[str, Record] = field(default_factory=dict)
    contacts: dict[str, Record] = field(default_factory=dict)
    conversations: dict[str, Record] = field(default_factory=dict)
    messages: dict[str, Record] = field(default_factory=dict)
    predefined: dict[str, Record] = field(default_factory=dict)
    automations: dict[str, Record] = field(default_factory=dict)
    executions: dict[str, Record] = field(default_factory=dict)
    uploads: dict[str, Record] = field(default_factory=dict)  # key -> {key, contentType, size, uploadedSize}
    files: dict[str, Record] = field(default_factory=dict)
    object_counter: int = 0  # the ObjectId counter: ids made in the same second still sort in creation order

    @staticmethod
    def _get(records: dict[str, Record], record_id: str) -> Record:
        found = records.get(record_id)
        if found is None:
            raise NotFound(id=record_id)
        return found

    def conversation(self, record_id: str) -> Record:
        return self._get(self.conversations, record_id)

    def message(self, record_id: str, channel: str) -> Record:
        """A message lives only in its own channel's service: another channel's id is not found there."""
        found = self._get(self.messages, record_id)
        if found["channel"] != channel:
            raise NotFound(id=record_id)
        return found

    def predefined_message(self, record_id: str) -> Record:
        return self._get(self.predefined, record_id)

    def automation(self, record_id: str) -> Record:
        return self._get(self.automations, record_id)

    def remove_conversation(self, record_id: str) -> Record:
        """A conversation goes with its messages."""
        removed = self.conversations.pop(record_id)
        for message_id in [m for m, message in self.messages.items() if message["conversationId"] == record_id]:
            del self.messages[message_id]
        return removed


@dataclass
class OmniStore:
    jwt_secret: str
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # seeded access token -> user id (handy credentials)

    def user(self, user_id: str) -> tuple[Workspace, Record] | None:
        for workspace in self.workspaces.values():
            if user_id in workspace.users:
                return workspace, workspace.users[user_id]
        return None

    def user_by_email(self, email: str) -> tuple[Workspace, Record] | None:
        for workspace in self.workspaces.values():
            for user in workspace.users.values():
                if user["email"].lower() == email.lower():
                    return workspace, user
        return None


WINDOW = timedelta(hours=24)
UPLOAD_TTL = timedelta(minutes=15)
_HEX = "0123456789abcdef"


def object_id(workspace: Workspace, now: datetime) -> str:
    """MongoDB's ObjectId layout: 4 bytes of creation time, 5 bytes fixed per process (here per workspace, from its
    id), 3 bytes of an incrementing counter; so `_id` order is creation order, within one second too."""
    workspace.object_counter = (workspace.object_counter + 1) & 0xFFFFFF
    middle = hashlib.blake2b(workspace.id.encode(), digest_size=5).hexdigest()
    return f"{int(now.timestamp()) & 0xFFFFFFFF:08x}{middle}{workspace.object_counter:06x}"


def _check_member(workspace: Workspace, field: str, value: Any, pool: Mapping[str, Record]) -> None:
    if value is not None and value not in pool:
        raise BadRequest(f"{field} '{value}' is not part of this workspace", data={field: value})


def patch_conversation(workspace: Workspace, conversation: Record, patch: Mapping[str, Any], now: datetime) -> Record:
    """Check every value first (members, AI assistants), then change: a refusal changes nothing."""
    if "assigneeId" in patch:
        _check_member(workspace, "assigneeId", patch["assigneeId"], workspace.users)
    if "aiAssistantId" in patch:
        _check_member(workspace, "aiAssistantId", patch["aiAssistantId"], workspace.ai_assistants)
    for name, value in patch.items():
        conversation[name] = list(value) if isinstance(value, list) else value
    conversation["updatedAt"] = iso(now)
    return conversation


def add_message(
    workspace: Workspace,
    conversation: Record,
    rng: SeededRandom,
    now: datetime,
    *,
    direction: str,
    text: str | None,
    template: Mapping[str, Any] | None = None,
    attachments: list[Record] | None = None,
    sender: Record,
) -> Record:
    kind = "template" if template else ("media" if attachments else "text")  # text with media is its caption
    message = {
        "_id": object_id(workspace, now),
        "workspaceId": workspace.id,
        "conversationId": conversation["_id"],
        "channel": conversation["channel"],
        "direction": direction,
        "type": kind,
        "text": text,
        "template": (
            {
                "name": template["name"],
                "language": template["language"],
                "variables": list(template.get("variables", [])),
            }
            if template
            else None
        ),
        "attachments": attachments or [],
        # the playground has no carrier in between: what is sent is delivered at once
        "status": "received"
        if direction == "inbound"
        else ("delivered" if conversation["channel"] == "playground" else "sent"),
        "sender": sender,
        "createdAt": iso(now),
    }
    workspace.messages[message["_id"]] = message
    conversation["lastMessageAt"] = message["createdAt"]
    conversation["lastMessagePreview"] = (text or (f"[template {template['name']}]" if template else "[media]"))[:120]
    conversation["updatedAt"] = message["createdAt"]
    if direction == "inbound":
        conversation["unreadCount"] += 1
        if conversation["channel"] == WINDOW_CHANNEL:
            conversation["windowExpiresAt"] = iso(now + WINDOW)
        if conversation["status"] == "closed":
            conversation["status"] = "open"
    else:
        conversation["unreadCount"] = 0
    return message


def _attachments(workspace: Workspace, items: list[Mapping[str, Any]]) -> list[Record]:
    found = []
    for item in items:
        record = workspace.files.get(item["fileId"])
        if record is None:
            raise BadRequest(f"Unknown file '{item['fileId']}'; record it with POST /conversation-files first")
        found.append(
            {
                "fileId": record["_id"],
                "name": record["name"],
                "mimeType": record["mimeType"],
                "size": record["size"],
                "url": record["url"],
            }
        )
    return found


def send(
    workspace: Workspace, channel: str, body: Mapping[str, Any], user_id: str, rng: SeededRandom, now: datetime
) -> Record:
    """Customer-facing content out through one channel's service; every rule checked before anything changes."""
    conversation = workspace.conversation(body["conversationId"])
    if conversation["channel"] != channel:
        raise BadRequest(f"Conversation {conversation['_id']} is on {conversation['channel']}, not {channel}")
    template = body.get("template")
    if template and channel in ("sms", "playground"):
        raise BadRequest(f"A template cannot be sent on {channel}")
    attachments = _attachments(workspace, body.get("attachments", []))
    if channel == WINDOW_CHANNEL and not template:
        expires = conversation.get("windowExpiresAt")
        if expires is None or expires <= iso(now):
            raise Unprocessable("The 24h window is closed; send a template", data={"windowExpiresAt": expires})
    return add_message(
        workspace,
        conversation,
        rng,
        now,
        direction="outbound",
        text=body.get("text"),
        template=template,
        attachments=attachments,
        sender={"type": "user", "id": user_id},
    )


_BULK_FIELDS = {"assign": "assigneeId", "moveStage": "pipelineStage", "assignAiAssistant": "aiAssistantId"}


def _bulk_one(workspace: Workspace, conversation: Record, action: str, value: Any, now: datetime) -> None:
    if action in _BULK_FIELDS:
        if action == "moveStage" and not value:
            raise BadRequest("moveStage needs a stage as value")
        patch_conversation(workspace, conversation, {_BULK_FIELDS[action]: value}, now)
    elif action in ("addTag", "removeTag"):
        if not value:
            raise BadRequest(f"{action} needs a tag as value")
        tags = [t for t in conversation["tags"] if t != value] + ([value] if action == "addTag" else [])
        patch_conversation(workspace, conversation, {"tags": tags}, now)
    else:  # archive
        patch_conversation(workspace, conversation, {"status": "closed"}, now)


def bulk(workspace: Workspace, body: Mapping[str, Any], targets: list[str], now: datetime) -> Record:
    """One result per conversation; a failure stops the rest only with `stopOnError`."""
    if body["action"] in ("moveStage", "addTag", "removeTag") and not isinstance(body.get("value"), str):
        raise BadRequest(f"{body['action']} needs a string value")
    results: list[Record] = []
    stopped = False
    for conversation_id in targets:
        if stopped:
            results.append({"_id": conversation_id, "status": "skipped", "error": None})
            continue
        try:
            _bulk_one(workspace, workspace.conversation(conversation_id), body["action"], body.get("value"), now)
            results.append({"_id": conversation_id, "status": "ok", "error": None})
        except FeathersError as error:
            results.append(
                {"_id": conversation_id, "status": "error", "error": feathers_body(error.status, error.message)}
            )
            stopped = bool(body.get("stopOnError"))
    ok = sum(1 for r in results if r["status"] == "ok")
    return {
        "action": body["action"],
        "total": len(results),
        "succeeded": ok,
        "failed": sum(1 for r in results if r["status"] == "error"),
        "results": results,
    }


def _signature(workspace: Workspace, key: str, expires: int, content_type: str, size: int) -> str:
    message = f"{key}\n{expires}\n{content_type}\n{size}".encode()
    return hmac.new(workspace.secret.encode(), message, hashlib.sha256).hexdigest()


def sign_upload(
    workspace: Workspace, body: Mapping[str, Any], rng: SeededRandom, now: datetime, base_url: str
) -> Record:
    key = f"{workspace.id}/{object_id(workspace, now)}/{body['fileName']}"
    expires = int((now + UPLOAD_TTL).timestamp())
    signature = _signature(workspace, key, expires, body["contentType"], body["size"])
    workspace.uploads[key] = {
        "key": key,
        "contentType": body["contentType"],
        "size": body["size"],
        "expires": expires,
        "uploadedSize": None,
    }
    return {
        "url": f"{base_url}/__mock/omni-inbox/uploads/{record_key(key)}?expires={expires}&signature={signature}",
        "key": key,
        "method": "PUT",
        "headers": {"Content-Type": body["contentType"]},
        "expiresAt": iso(now + UPLOAD_TTL),
    }


def check_signature(workspace: Workspace, key: str, expires: str, signature: str, now: datetime) -> Record:
    """The PUT to a signed URL: the signature must match and the URL must not have expired (mock clock)."""
    upload = workspace.uploads.get(key)
    if upload is None or not expires.isdigit():
        raise FeathersError("The signature does not match")
    wanted = _signature(workspace, key, int(expires), upload["contentType"], upload["size"])
    if int(expires) != upload["expires"] or not hmac.compare_digest(wanted, signature):
        raise FeathersError("The signature does not match")
    if now.timestamp() > upload["expires"]:
        raise FeathersError("The signed URL has expired")
    return upload


def record_file(
    workspace: Workspace, body: Mapping[str, Any], rng: SeededRandom, now: datetime, base_url: str
) -> Record:
    upload = workspace.uploads.get(body["key"])
    if upload is None or upload["uploadedSize"] is None or upload["uploadedSize"] != upload["size"]:
        raise BadRequest(f"File {body['key']} was not uploaded")
    if "size" in body and body["size"] != upload["uploadedSize"]:
        raise BadRequest(f"File {body['key']} has {upload['uploadedSize']} bytes, not {body['size']}")
    if "conversationId" in body:
        workspace.conversation(body["conversationId"])
    record = {
        "_id": object_id(workspace, now),
        "workspaceId": workspace.id,
        "key": upload["key"],
        "name": body.get("name") or upload["key"].rsplit("/", 1)[-1],
        "mimeType": body.get("mimeType") or upload["contentType"],
        "size": upload["uploadedSize"],
        "url": f"{base_url}/__mock/omni-inbox/files/{record_key(upload['key'])}",
        "createdAt": iso(now),
    }
    workspace.files[record["_id"]] = record
    return record


def record_key(key: str) -> str:
    return quote(key, safe="")


def check_predefined(workspace: Workspace, fields: Mapping[str, Any], exclude: str | None = None) -> None:
    shortcut = fields.get("shortcut")
    if shortcut and any(p["shortcut"] == shortcut and p["_id"] != exclude for p in workspace.predefined.values()):
        raise Conflict(f"A predefined message with shortcut {shortcut} already exists")


def run_automation(workspace: Workspace, body: Mapping[str, Any], rng: SeededRandom, now: datetime) -> Record:
    """Each step in order, with the conversation as context; a failed step fails the execution, later ones skip."""
    automation = workspace.automation(body["automationId"])
    conversation = workspace.conversation(body["conversationId"])
    steps: list[Record] = []
    failed = False
    for index, step in enumerate(automation["steps"]):
        if failed:
            steps.append({"index": index, "type": step["type"], "status": "skipped", "result": None, "error": None})
            continue
        try:
            result = _step(workspace, conversation, step, rng, now)
            steps.append({"index": index, "type": step["type"], "status": "ok", "result": result, "error": None})
        except FeathersError as error:
            failed = True
            steps.append(
                {
                    "index": index,
                    "type": step["type"],
                    "status": "error",
                    "result": None,
                    "error": feathers_body(error.status, error.message),
                }
            )
    execution = {
        "_id": object_id(workspace, now),
        "workspaceId": workspace.id,
        "automationId": automation["_id"],
        "conversationId": conversation["_id"],
        "status": "failed" if failed else "completed",
        "steps": steps,
        "startedAt": iso(now),
        "finishedAt": iso(now),
    }
    workspace.executions[execution["_id"]] = execution
    return execution


def _step(
    workspace: Workspace, conversation: Record, step: Mapping[str, Any], rng: SeededRandom, now: datetime
) -> Record:
    kind = step["type"]
    if kind == "sendPredefinedMessage":
        predefined = workspace.predefined.get(step["predefinedMessageId"])
        if predefined is None:
            raise NotFound(id=step["predefinedMessageId"])
        message = send(
            workspace,
            conversation["channel"],
            {"conversationId": conversation["_id"], "text": predefined["text"]},
            "automation",
            rng,
            now,
        )
        message["sender"] = {"type": "automation", "id": step.get("automationId")}
        return dict(message)
    if kind == "addTag":
        _bulk_one(workspace, conversation, "addTag", step["tag"], now)
        return {"tags": list(conversation["tags"])}
    if kind == "moveStage":
        _bulk_one(workspace, conversation, "moveStage", step["stage"], now)
        return {"pipelineStage": conversation["pipelineStage"]}
    _bulk_one(workspace, conversation, "assign", step.get("userId"), now)
    return {"assigneeId": conversation["assigneeId"]}
