"""Omnichannel inbox state: workspaces (the tenants) holding Feathers records as the services return them (plain
JSON objects with `_id`, camelCase fields and ISO times), plus users, uploads and automations. Records stay JSON
so a Feathers query runs over exactly what a client sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mock_server.apis.omniinbox.errors import NotFound

__all__ = ["CHANNELS", "WINDOW_CHANNEL", "OmniStore", "Record", "Workspace"]

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
