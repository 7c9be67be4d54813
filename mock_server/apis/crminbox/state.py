"""CRM inbox state: orgs (the tenants) with contacts, conversations whose messages are `crm.activities` rows,
media, per-member saved views, the SLA, and the AI setter's training pairs. Staff members and their tokens are
global (a member can belong to several orgs). No HTTP here; every "not found" is raised by one lookup."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from mock_server.apis.crminbox import errors

__all__ = [
    "ANSWERABLE",
    "SYSTEM_VIEWS",
    "Activity",
    "CallDetails",
    "Contact",
    "Conversation",
    "CrmStore",
    "Media",
    "Org",
    "TrainingPair",
    "User",
    "View",
]

ANSWERABLE = ("sms", "email", "call")  # inbound activities that wait for a reply (a note does not)
SYSTEM_VIEWS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("Unread", {"unread": True, "archived": False}),
    ("Recents", {"archived": False}),
    ("Starred", {"starred": True}),
    ("All", {}),
)


@dataclass
class User:
    id: str
    name: str
    email: str
    token: str
    org_ids: list[str] = field(default_factory=list)


@dataclass
class Contact:
    id: str
    name: str
    phone: str | None
    email: str | None


@dataclass
class Media:
    id: str
    filename: str
    content_type: str
    size: int
    created_at: datetime


@dataclass
class CallDetails:
    duration_seconds: int
    recording_url: str | None
    summary: str
    outcome: str


@dataclass
class Activity:
    id: str
    conversation_id: str
    type: str  # sms, email, call, note, suggestion
    direction: str  # inbound, outbound, internal
    body: str | None
    created_at: datetime
    status: str  # received, sent, delivered, failed, logged, pending, dismissed, superseded
    subject: str | None = None
    sender: str | None = None
    recipient: str | None = None
    provider_message_id: str | None = None
    media_ids: list[str] = field(default_factory=list)
    call: CallDetails | None = None
    author_id: str | None = None
    suggestion_id: str | None = None


@dataclass
class Conversation:
    id: str
    org_id: str
    contact_id: str
    created_at: datetime
    updated_at: datetime
    subject: str | None = None
    starred: bool = False
    archived: bool = False
    assigned_to: str | None = None
    unread_count: int = 0
    activities: list[Activity] = field(default_factory=list)
    opened_on: str = "sms"  # the channel a thread opened through the API starts on, until something happens

    def timeline(self) -> list[Activity]:
        """What happened with the customer: everything but the setter's drafts."""
        return self.summary().timeline

    def summary(self) -> ThreadSummary:
        """The timeline and what the inbox derives from it, worked out once per new activity: activities are only
        ever appended, and what the summary reads of them (type, direction, subject, time) never changes. Kept
        outside the dataclass fields, so snapshots never carry it."""
        cached = self.__dict__.get("_summary")
        if cached is not None and cached[0] == len(self.activities):
            return cast(ThreadSummary, cached[1])
        timeline = [a for a in self.activities if a.type != "suggestion"]
        last = timeline[-1] if timeline else None
        summary = ThreadSummary(
            timeline,
            last,
            self._awaiting(timeline),
            self._subject(timeline),
            last.created_at.replace(microsecond=0) if last else None,
        )
        self.__dict__["_summary"] = (len(self.activities), summary)
        return summary

    @property
    def last(self) -> Activity | None:
        return self.summary().last

    def _subject(self, timeline: list[Activity]) -> str | None:
        """An email thread's subject is its latest email's; before any email, the one it was opened with."""
        for activity in reversed(timeline):
            if activity.type == "email" and activity.subject:
                return activity.subject
        return self.subject

    @property
    def channel(self) -> str:
        last = self.last
        return last.type if last is not None else self.opened_on

    def awaiting_reply_since(self) -> datetime | None:
        """The oldest inbound message after the business last answered (None: nothing is waiting)."""
        return self.summary().awaiting_since

    @staticmethod
    def _awaiting(timeline: list[Activity]) -> datetime | None:
        waiting: datetime | None = None
        for activity in timeline:
            if activity.direction == "outbound" and activity.type in ("sms", "email", "call"):
                waiting = None
            elif activity.direction == "inbound" and activity.type in ANSWERABLE and waiting is None:
                waiting = activity.created_at
        return waiting

    def overdue(self, now: datetime, sla: timedelta) -> bool:
        since = self.awaiting_reply_since()
        return since is not None and now - since > sla

    def pending_suggestion(self) -> Activity | None:
        return next((a for a in reversed(self.activities) if a.type == "suggestion" and a.status == "pending"), None)


@dataclass(frozen=True)
class ThreadSummary:
    timeline: list[Activity]
    last: Activity | None
    awaiting_since: datetime | None
    subject: str | None
    last_second: datetime | None  # the last activity's time to the second, as the wire shows it (list order)


@dataclass
class View:
    id: str
    name: str
    system: bool
    filters: dict[str, Any]
    position: int


@dataclass
class TrainingPair:
    """A human answered while the setter's draft waited: the draft and what was really sent, labelled."""

    id: str
    conversation_id: str
    suggestion_id: str
    draft: str
    sent: str
    label: str  # accepted (sent as drafted) or edited
    author_id: str | None
    created_at: datetime


@dataclass
class Org:
    id: str
    name: str
    sla_minutes: int
    timezone: str
    setter_mode: str  # off or suggestive
    contacts: dict[str, Contact] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)
    views: dict[str, list[View]] = field(default_factory=dict)  # by member
    training_pairs: list[TrainingPair] = field(default_factory=list)

    @property
    def sla(self) -> timedelta:
        return timedelta(minutes=self.sla_minutes)

    def conversation(self, conversation_id: str) -> Conversation:
        found = self.conversations.get(conversation_id.lower())
        if found is None:
            raise errors.NotFound(what="Conversation")
        return found

    def contact(self, contact_id: str) -> Contact:
        found = self.contacts.get(contact_id.lower())
        if found is None:
            raise errors.NotFound(what="Contact")
        return found

    def media_item(self, media_id: str) -> Media:
        found = self.media.get(media_id.lower())
        if found is None:
            raise errors.NotFound(what="Media")
        return found

    def suggestion(self, conversation: Conversation, activity_id: str) -> Activity:
        found = next(
            (a for a in conversation.activities if a.id == activity_id.lower() and a.type == "suggestion"), None
        )
        if found is None:
            raise errors.NotFound(what="Suggestion")
        if found.status != "pending":
            raise errors.Conflict(state=found.status)
        return found

    def conversation_of(self, contact_id: str) -> Conversation | None:
        return next((c for c in self.conversations.values() if c.contact_id == contact_id), None)

    def find_provider_message(self, provider_message_id: str) -> Activity | None:
        for conversation in self.conversations.values():
            for activity in conversation.activities:
                if activity.provider_message_id == provider_message_id:
                    return activity
        return None


@dataclass
class CrmStore:
    users: dict[str, User] = field(default_factory=dict)
    orgs: dict[str, Org] = field(default_factory=dict)

    def user_by_token(self, token: str) -> User | None:
        return next((u for u in self.users.values() if u.token == token), None)

    def members(self, org_id: str) -> list[User]:
        return [u for u in self.users.values() if org_id in u.org_ids]
