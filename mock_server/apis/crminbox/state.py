"""CRM inbox state: orgs (the tenants) with contacts, conversations whose messages are `crm.activities` rows,
media, per-member saved views, the SLA, and the AI setter's training pairs; every operation that changes them and
the queries the inbox answers from them. Staff members and their tokens are global (a member can belong to several
orgs); who may impersonate and what a first login creates are auth.py's. No HTTP and no wire shapes here: time comes in from the mock clock, ids from the API's seeded generator, and
every "not found" is raised by one lookup per kind.

Longer than ~450 lines on purpose: a conversation's writes and reads depend on each other (a staff send supersedes
the setter's pending draft and records a training pair; the list, the saved views and their counts share one
filter so they agree at every moment), and splitting them would spread one thread's rules over several modules.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from mock_server.apis.crminbox import errors
from mock_server.engine.ids import SeededRandom

__all__ = [
    "ANSWERABLE",
    "CALL_OUTCOMES",
    "DEFAULTS",
    "MAX_MEDIA_BYTES",
    "ORG_SENDER",
    "SETTER_MODES",
    "SYSTEM_VIEWS",
    "Activity",
    "Assignment",
    "CallDetails",
    "CarrierRefusal",
    "Contact",
    "Conversation",
    "DeadLetter",
    "IMPERSONATION",
    "Impersonation",
    "CrmStore",
    "Disposition",
    "Media",
    "Membership",
    "Org",
    "REPLY_OBJECTIVES",
    "ROLES",
    "SetterConfig",
    "business_hours",
    "ThreadSummary",
    "TrainingPair",
    "User",
    "View",
    "ViewCount",
    "VoiceConfig",
]

CALL_OUTCOMES = ("answered", "missed", "voicemail")
ANSWERABLE = ("sms", "email", "call")  # inbound activities that wait for a reply (a note does not)
ORG_SENDER = {"sms": "+15550009999", "call": "+15550009999", "email": "inbox@crm.example.com"}
SETTER_MODES = ("off", "suggestive", "autopilot")
REPLY_OBJECTIVES = ("default", "book_call", "route_to_quote")
ROLES = ("owner", "admin", "member")
MAX_MEDIA_BYTES = 10 * 1024 * 1024
SYSTEM_VIEWS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("Unread", {"unread": True, "archived": False}),
    ("Recents", {"archived": False}),
    ("Starred", {"starred": True}),
    ("All", {}),
)
IMPERSONATION = timedelta(hours=1)  # an impersonation token's life (convomock design: "time-boxed")
DEFAULTS: dict[str, Any] = {"scope": "team", "archived": False}  # the inbox hides archived threads by default
_NEVER = datetime.min.replace(tzinfo=UTC)  # sorts a thread with no activity after every other


@dataclass(frozen=True)
class Membership:
    """A `crm.org_members` row: the org, the member's role in it, the client flag (a client subaccount's user) and
    when they joined (omitting `X-Org-Id` acts in the earliest-joined org)."""

    org_id: str
    role: str  # owner, admin, member
    client: bool
    joined_at: datetime


@dataclass
class User:
    id: str
    name: str
    email: str
    token: str  # the seeded long-lived access token (a Supabase JWT, minted at seed time)
    memberships: list[Membership] = field(default_factory=list)

    @property
    def org_ids(self) -> list[str]:
        return [m.org_id for m in self.memberships]

    def membership(self, org_id: str) -> Membership | None:
        return next((m for m in self.memberships if m.org_id == org_id), None)


def business_hours(timezone: str) -> dict[str, Any]:
    """Monday to Friday, 09:00 to 17:00 in `timezone`: the setter's hours until an owner changes them (design)."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return {
        "timezone": timezone,
        "days": {d: [{"start": "09:00", "end": "17:00"}] if i < 5 else [] for i, d in enumerate(days)},
    }


@dataclass
class SetterConfig:
    """The AI setter's per-org config (Iron's setter page: response mode, business and sleep hours, reply delay,
    reply objective; autopilot gated off). Field names are convomock design."""

    response_mode: str = "suggestive"  # off, suggestive, autopilot (the documented default: suggestive)
    reply_objective: str = "default"  # default (the setting SOP), book_call, route_to_quote
    reply_delay_seconds: int = 60
    business_hours: dict[str, Any] = field(default_factory=lambda: business_hours("UTC"))
    sleep_hours: dict[str, Any] | None = field(default_factory=lambda: {"start": "21:00", "end": "08:00"})
    autopilot_available: bool = False  # read-only: autopilot is gated off unless the deployment enables it
    updated_at: datetime | None = None


@dataclass
class VoiceConfig:
    """The voice agent's per-org config (Iron's setter page names `GET/PUT /agents/voice/config`; the fields are
    convomock design). Stored, no behaviour."""

    enabled: bool = False
    voice: str = "alloy"
    greeting: str = "Thanks for calling! How can I help you today?"
    transfer_to: str | None = None
    business_hours_only: bool = True
    updated_at: datetime | None = None


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
    actor: str = "system"  # user:{uuid}, agent:{name}, api:{id} or system (Iron's operator model)
    action: dict[str, str] | None = None  # a setter draft's structured action ({"type": "book_call"})


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

    def reply_channel(self) -> str:
        """Where a reply goes: the channel the customer last wrote on (SMS until they wrote at all)."""
        inbound = [a for a in self.timeline() if a.direction == "inbound" and a.type in ("sms", "email")]
        return inbound[-1].type if inbound else "sms"

    # -- the inbox's flags: each change touches `updated_at` ------------------------------------------------------

    def set_starred(self, starred: bool, now: datetime) -> None:
        self.starred = starred
        self.updated_at = now

    def mark_read(self, now: datetime) -> None:
        self.unread_count = 0
        self.updated_at = now

    def mark_unread(self, now: datetime) -> None:
        """Unread keeps a real count; a thread read to the end shows one unread."""
        self.unread_count = max(1, self.unread_count)
        self.updated_at = now

    def set_archived(self, archived: bool, now: datetime) -> None:
        self.archived = archived
        self.updated_at = now

    def assign(self, user_id: str | None, now: datetime) -> None:
        """Unchecked: `CrmStore.assign` makes sure the assignee belongs to the org."""
        self.assigned_to = user_id
        self.updated_at = now

    def add_suggestion(
        self, body: str, rng: SeededRandom, now: datetime, action: dict[str, str] | None = None
    ) -> Activity:
        """One pending draft at a time: an older pending one is superseded by the new one."""
        pending = self.pending_suggestion()
        if pending is not None:
            pending.status = "superseded"
        draft = Activity(
            id=rng.uuid4(),
            conversation_id=self.id,
            type="suggestion",
            direction="outbound",
            body=body,
            created_at=now,
            status="pending",
            actor="agent:setter",
            action=action,
        )
        self.activities.append(draft)
        return draft


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


@dataclass(frozen=True)
class ViewCount:
    """What a saved view holds right now: the conversations its filters select, and how many of them are unread."""

    view: View
    total: int
    unread: int


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


@dataclass(frozen=True)
class Impersonation:
    """A time-boxed token an org's admin or owner took to act in that org or a direct subaccount (Iron's
    authentication page); the real admin stays the caller (audit rows keep them)."""

    token: str
    user_id: str
    org_id: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class DeadLetter:
    """An inbound email the receiver could not land (Iron's webhooks page: "failures park in a dead-letter
    table"): what came, why it failed."""

    id: str
    received_at: datetime
    org_id: str | None
    payload: str
    error: str


@dataclass
class Disposition:
    """How a member closed an assignment: the outcome, a note, who and when (convomock design names)."""

    outcome: str  # booked, quoted, not_interested, no_answer, follow_up, disqualified
    note: str | None
    by: str
    at: datetime


@dataclass
class Assignment:
    """One lead in the AI setter's work queue: a thread to work (Iron's setter page names the queue; every field is
    convomock design). Its states and their rules live in assignments.py."""

    id: str
    org_id: str
    conversation_id: str
    contact_id: str
    state: str  # queued, claimed, completed
    reason: str  # first_touch, follow_up
    due_at: datetime
    created_at: datetime
    updated_at: datetime
    last_inbound_at: datetime | None = None
    suggestion_id: str | None = None  # the thread's pending draft when the lead came in
    assigned_to: str | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    disposition: Disposition | None = None


def _refuse(message: str, value: Any = None) -> errors.ValidationFailed:
    """A saved-views rule broken: pydantic's value_error on `views`, as the vendor's validator words it."""
    return errors.ValidationFailed([errors.issue("value_error", ["body", "views"], f"Value error, {message}", value)])


@dataclass(frozen=True)
class CarrierRefusal:
    """The `carrier: refuses` scenario effect at work in an org (carrier.py): the SMS carrier refuses the org's
    outbound SMS in this conversation, or to this contact (its id, phone or email), or everywhere (both None)."""

    conversation: str | None = None
    contact: str | None = None
    key: str = ""  # the switching-on that added it (Target.key)


@dataclass
class Org:
    id: str
    name: str
    sla_minutes: int
    timezone: str
    key: str | None = None  # the fixtures' name of a top-level org (acme, globex); the control API takes it too
    setter: SetterConfig = field(default_factory=SetterConfig)
    parent_id: str | None = None  # crm.orgs.parent_org_id: an agency's client subaccount
    installation_token: str | None = None  # authenticates inbound-email webhooks that name no org (top-level orgs)
    voice: VoiceConfig = field(default_factory=VoiceConfig)
    contacts: dict[str, Contact] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)
    views: dict[str, list[View]] = field(default_factory=dict)  # by member
    training_pairs: list[TrainingPair] = field(default_factory=list)
    assignments: dict[str, Assignment] = field(default_factory=dict)  # the setter's work queue (assignments.py)
    carrier_refusals: list[CarrierRefusal] = field(default_factory=list)  # switched-on `carrier: refuses` effects

    @property
    def setter_mode(self) -> str:
        return self.setter.response_mode

    @property
    def sla(self) -> timedelta:
        return timedelta(minutes=self.sla_minutes)

    # -- lookups: the only places that raise "not found" ----------------------------------------------------------

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

    # -- writes ---------------------------------------------------------------------------------------------------

    def add_media(self, filename: str, content_type: str, size: int, rng: SeededRandom, now: datetime) -> Media:
        if size > MAX_MEDIA_BYTES:
            raise errors.TooLarge()
        media = Media(id=rng.uuid4(), filename=filename, content_type=content_type, size=size, created_at=now)
        self.media[media.id] = media
        return media

    def open_conversation(
        self, contact_id: str, rng: SeededRandom, now: datetime, subject: str | None = None, channel: str = "sms"
    ) -> tuple[Conversation, bool]:
        """One thread per contact: (the contact's thread, created). Opening again returns the existing one."""
        existing = self.conversation_of(contact_id)
        if existing is not None:
            return existing, False
        conversation = Conversation(
            id=rng.uuid4(),
            org_id=self.id,
            contact_id=contact_id,
            created_at=now,
            updated_at=now,
            subject=subject,
            opened_on=channel,
        )
        self.conversations[conversation.id] = conversation
        return conversation, True

    def receive(
        self,
        conversation: Conversation,
        channel: str,
        text: str | None,
        rng: SeededRandom,
        now: datetime,
        subject: str | None = None,
        provider_message_id: str | None = None,
        call: CallDetails | None = None,
    ) -> tuple[Activity, bool]:
        """A customer touchpoint lands on the timeline; (activity, created). A known provider id adds nothing."""
        if provider_message_id is not None:
            existing = self.find_provider_message(provider_message_id)
            if existing is not None:
                return existing, False
        contact = self.contacts[conversation.contact_id]
        note = channel == "note"  # a note has no sender or recipient: it is internal
        activity = Activity(
            id=rng.uuid4(),
            conversation_id=conversation.id,
            type=channel,
            direction="internal" if note else "inbound",
            body=text,
            created_at=now,
            status="logged" if note else "received",
            subject=subject,
            sender=None if note else (contact.email if channel == "email" else contact.phone),
            recipient=ORG_SENDER.get(channel),
            provider_message_id=provider_message_id,
            call=call,
        )
        conversation.activities.append(activity)
        conversation.updated_at = now
        if channel in ANSWERABLE:
            conversation.unread_count += 1
        return activity, True

    def send(
        self,
        conversation: Conversation,
        user: User,
        channel: str,
        text: str,
        rng: SeededRandom,
        now: datetime,
        subject: str | None = None,
        media_ids: Sequence[str] = (),
        provider_message_id: str | None = None,
        actor: str | None = None,
    ) -> tuple[Activity, bool]:
        """A staff member sends SMS or email; (activity, created). With a draft pending, the draft is superseded and
        the pair (draft, what was sent) is kept for the setter's training. `actor`: who the activity names (the
        sender by default; an `X-Actor` the caller may set)."""
        if provider_message_id is not None:
            existing = self.find_provider_message(provider_message_id)
            if existing is not None:
                return existing, False
        for media_id in media_ids:
            self.media_item(media_id)
        pending = conversation.pending_suggestion()
        activity = self._outbound(
            conversation, channel, text, user, rng, now, subject, media_ids, provider_message_id, actor=actor
        )
        if pending is not None:
            pending.status = "superseded"
            self.training_pairs.append(
                TrainingPair(
                    id=rng.uuid4(),
                    conversation_id=conversation.id,
                    suggestion_id=pending.id,
                    draft=pending.body or "",
                    sent=text,
                    label="accepted" if text.strip() == (pending.body or "").strip() else "edited",
                    author_id=user.id,
                    created_at=now,
                )
            )
        return activity, True

    def send_suggestion(
        self, conversation: Conversation, activity_id: str, user: User | None, rng: SeededRandom, now: datetime
    ) -> tuple[Activity, Activity]:
        """The setter's pending draft sent as drafted, by a member's click (or by the setter itself on autopilot,
        `user` None): (the draft, now sent; the message it became)."""
        draft = self.suggestion(conversation, activity_id)
        channel = conversation.reply_channel()
        message = self._outbound(
            conversation,
            channel,
            draft.body or "",
            user,
            rng,
            now,
            subject=conversation.subject if channel == "email" else None,
            suggestion_id=draft.id,
        )
        draft.status = "sent"
        return draft, message

    def dismiss_suggestion(self, conversation: Conversation, activity_id: str) -> Activity:
        draft = self.suggestion(conversation, activity_id)
        draft.status = "dismissed"
        return draft

    def _outbound(
        self,
        conversation: Conversation,
        channel: str,
        text: str,
        user: User | None,
        rng: SeededRandom,
        now: datetime,
        subject: str | None = None,
        media_ids: Sequence[str] = (),
        provider_message_id: str | None = None,
        suggestion_id: str | None = None,
        actor: str | None = None,
    ) -> Activity:
        contact = self.contacts[conversation.contact_id]
        to = contact.phone if channel == "sms" else contact.email
        if to is None:
            what = "phone number" if channel == "sms" else "email address"
            raise errors.ValidationFailed(
                [errors.issue("value_error", ["body", "channel"], f"Value error, the contact has no {what}", channel)]
            )
        activity = Activity(
            id=rng.uuid4(),
            conversation_id=conversation.id,
            type=channel,
            direction="outbound",
            body=text,
            created_at=now,
            status="sent",
            subject=subject,
            sender=ORG_SENDER[channel],
            recipient=to,
            provider_message_id=provider_message_id,
            media_ids=list(media_ids),
            author_id=user.id if user is not None else None,
            suggestion_id=suggestion_id,
            actor=actor or (f"user:{user.id}" if user is not None else "agent:setter"),
        )
        conversation.activities.append(activity)
        conversation.updated_at = now
        conversation.unread_count = 0  # answering reads the thread
        return activity

    def save_views(self, user_id: str, items: Sequence[Mapping[str, Any]], rng: SeededRandom) -> list[View]:
        """Replace the member's views with `items` (the request's views); the four system views must stay,
        unchanged. Everything is checked before anything is drawn or saved, so a refusal changes nothing at all."""
        current = {v.id: v for v in self.views_of(user_id)}
        system = {v.name: v for v in current.values() if v.system}
        planned: list[tuple[View | None, Mapping[str, Any], int, bool]] = []  # (existing view, item, position, system)
        names: set[str] = set()
        for index, item in enumerate(items):
            name = item["name"]
            if name.casefold() in names:
                raise _refuse(f"two views are named {name!r}", name)
            names.add(name.casefold())
            if "id" in item:
                known = current.get(str(item["id"]).lower())
                if known is None:
                    raise _refuse(f"no view with id {item['id']}", item["id"])
            else:
                known = system.get(name)  # a view sent without an id under a system view's name is that view
            if known is not None and known.system and (item["filters"] != known.filters or name != known.name):
                raise _refuse(f"system view {known.name} cannot be changed", name)
            planned.append((known, item, item.get("position", index), known is not None and known.system))
        kept = {known.name for known, _, _, is_system in planned if is_system and known is not None}
        missing = [name for name, _ in SYSTEM_VIEWS if name not in kept]
        if missing:
            raise _refuse(f"system view {missing[0]} cannot be removed", [v["name"] for v in items])
        saved = [
            View(
                known.id if known is not None else rng.uuid4(),
                known.name if is_system and known else item["name"],
                is_system,
                dict(known.filters if is_system and known else item["filters"]),
                position,
            )
            for known, item, position, is_system in planned
        ]
        self.views[user_id] = saved
        return saved

    # -- queries: one filter shared by the list, the saved views and their counts, so they always agree -----------

    def select(self, filters: Mapping[str, Any], user_id: str, now: datetime) -> list[Conversation]:
        """The conversations the list endpoint returns for these filters (defaults applied), newest activity first."""
        chosen = {**DEFAULTS, **{k: v for k, v in filters.items() if v is not None}}
        found = [c for c in self.conversations.values() if self._matches(c, chosen, user_id, now)]
        return sorted(found, key=_recency, reverse=True)

    def _matches(self, conversation: Conversation, filters: Mapping[str, Any], user_id: str, now: datetime) -> bool:
        if filters.get("scope") == "mine" and conversation.assigned_to != user_id:
            return False
        if "archived" in filters and conversation.archived != filters["archived"]:
            return False
        if "starred" in filters and conversation.starred != filters["starred"]:
            return False
        if "unread" in filters and (conversation.unread_count > 0) != filters["unread"]:
            return False
        if "overdue" in filters and conversation.overdue(now, self.sla) != filters["overdue"]:
            return False
        return "channel" not in filters or conversation.channel == filters["channel"]

    def views_of(self, user_id: str) -> list[View]:
        """The member's saved views; until they save some, the four system views (a read stores nothing)."""
        views = self.views.get(user_id) or [
            View(id=self._system_view_id(user_id, name), name=name, system=True, filters=dict(filters), position=index)
            for index, (name, filters) in enumerate(SYSTEM_VIEWS)
        ]
        return sorted(views, key=lambda v: (v.position, v.name))

    def _system_view_id(self, user_id: str, name: str) -> str:
        """System views get stable ids (no generator draw on a read), the same on every start."""
        return str(uuid.uuid5(uuid.UUID(self.id), f"{user_id}:{name}"))

    def view_counts(self, user_id: str, now: datetime) -> list[ViewCount]:
        counts = []
        for view in self.views_of(user_id):
            found = self.select(view.filters, user_id, now)
            counts.append(ViewCount(view, len(found), sum(1 for c in found if c.unread_count > 0)))
        return counts


def _recency(conversation: Conversation) -> tuple[datetime, str]:
    # To the second, as the wire shows it: threads active in the same second go by id.
    last = conversation.summary().last_second
    return (last if last is not None else _NEVER, conversation.id)


@dataclass
class CrmStore:
    users: dict[str, User] = field(default_factory=dict)
    orgs: dict[str, Org] = field(default_factory=dict)
    jwt_secret: str = ""  # the deployment's Supabase JWT secret: signs and checks every access token
    crm_secret: str = ""  # X-Iron-CRM-Secret, the shared secret of trusted seams (webhooks)
    dead_letters: list[DeadLetter] = field(default_factory=list)  # inbound emails that could not land
    impersonations: dict[str, Impersonation] = field(default_factory=dict)  # by token

    def visible(self, org: Org) -> list[Org]:
        """What the acting org sees by id (Iron's RLS: itself plus its direct children, never a grandchild, a
        sibling or its parent), itself first."""
        return [org, *(o for o in self.orgs.values() if o.parent_id == org.id)]

    def conversation(self, org: Org, conversation_id: str) -> tuple[Org, Conversation]:
        """A thread by id among what the acting org sees: (the org that holds it, the thread); else 404."""
        return self._visible_record(org, "conversations", conversation_id, "Conversation")

    def contact(self, org: Org, contact_id: str) -> tuple[Org, Contact]:
        """A contact by id among what the acting org sees: (the org that holds it, the contact); else 404."""
        return self._visible_record(org, "contacts", contact_id, "Contact")

    def _visible_record(self, org: Org, collection: str, record_id: str, what: str) -> tuple[Org, Any]:
        wanted = record_id.lower()
        for candidate in self.visible(org):
            found = getattr(candidate, collection).get(wanted)
            if found is not None:
                return candidate, found
        raise errors.NotFound(what=what)

    def members(self, org_id: str) -> list[User]:
        return [u for u in self.users.values() if org_id in u.org_ids]

    def assignee(self, org: Org, assignee: str | None) -> str | None:
        """A member of the org to assign to, as their id (None: unassigned); anyone else is pydantic's value_error
        on `assigned_to` (the conversation assign's documented 422, also the setter assignments')."""
        if assignee is None:
            return None
        user = self.users.get(assignee.lower())
        if user is None or user.membership(org.id) is None:
            raise errors.ValidationFailed(
                [
                    errors.issue(
                        "value_error",
                        ["body", "assigned_to"],
                        "Value error, user is not a member of this organization",
                        assignee,
                    )
                ]
            )
        return user.id

    def assign(self, org: Org, conversation: Conversation, assignee: str | None, now: datetime) -> None:
        conversation.assign(self.assignee(org, assignee), now)
