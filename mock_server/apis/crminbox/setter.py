"""The timeline's writes and the AI setter: customer messages in, staff messages out (deduplicated by
provider_message_id), the setter's drafts in suggestive mode, and the training pair a human send leaves behind
when a draft was pending."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mock_server.apis.crminbox import errors
from mock_server.apis.crminbox.state import Activity, CallDetails, Conversation, Org, TrainingPair, User
from mock_server.engine.ids import SeededRandom

__all__ = ["ORG_SENDER", "dismiss_suggestion", "receive", "send", "send_suggestion"]

ORG_SENDER = {"sms": "+15550009999", "call": "+15550009999", "email": "inbox@crm.example.com"}
_DRAFTS = [
    'Hi {first}, thanks for reaching out about "{topic}". I can help with that — would a quick call today work?',
    'Hello {first}! Happy to help with "{topic}". Could you share a good time to talk?',
    'Thanks {first}. About "{topic}": I\'ll send the details right away. Anything else I should know?',
]


def _topic(text: str) -> str:
    words = text.split()
    return " ".join(words[:8]) + ("…" if len(words) > 8 else "")


def _draft(org: Org, conversation: Conversation, text: str, rng: SeededRandom, now: datetime) -> Activity:
    """The setter writes one pending draft per customer message; an older pending one is superseded."""
    pending = conversation.pending_suggestion()
    if pending is not None:
        pending.status = "superseded"
    contact = org.contacts[conversation.contact_id]
    body = rng.choice(_DRAFTS).format(first=contact.name.split()[0], topic=_topic(text))
    draft = Activity(
        id=rng.uuid4(),
        conversation_id=conversation.id,
        type="suggestion",
        direction="outbound",
        body=body,
        created_at=now,
        status="pending",
    )
    conversation.activities.append(draft)
    return draft


def receive(
    org: Org,
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
        existing = org.find_provider_message(provider_message_id)
        if existing is not None:
            return existing, False
    contact = org.contacts[conversation.contact_id]
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
    if channel in ("sms", "email", "call"):
        conversation.unread_count += 1
        if org.setter_mode == "suggestive" and text:
            _draft(org, conversation, text, rng, now)
    return activity, True


def _outbound(
    org: Org,
    conversation: Conversation,
    channel: str,
    text: str,
    user: User,
    rng: SeededRandom,
    now: datetime,
    subject: str | None = None,
    media_ids: Sequence[str] = (),
    provider_message_id: str | None = None,
    suggestion_id: str | None = None,
) -> Activity:
    contact = org.contacts[conversation.contact_id]
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
        author_id=user.id,
        suggestion_id=suggestion_id,
    )
    conversation.activities.append(activity)
    conversation.updated_at = now
    conversation.unread_count = 0  # answering reads the thread
    return activity


def send(
    org: Org,
    conversation: Conversation,
    user: User,
    channel: str,
    text: str,
    rng: SeededRandom,
    now: datetime,
    subject: str | None = None,
    media_ids: Sequence[str] = (),
    provider_message_id: str | None = None,
) -> tuple[Activity, bool]:
    """A staff member sends SMS or email; (activity, created). With a draft pending, the pair is recorded."""
    if provider_message_id is not None:
        existing = org.find_provider_message(provider_message_id)
        if existing is not None:
            return existing, False
    for media_id in media_ids:
        org.media_item(media_id)
    pending = conversation.pending_suggestion()
    activity = _outbound(org, conversation, channel, text, user, rng, now, subject, media_ids, provider_message_id)
    if pending is not None:
        pending.status = "superseded"
        org.training_pairs.append(
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


def _reply_channel(conversation: Conversation) -> str:
    inbound = [a for a in conversation.timeline() if a.direction == "inbound" and a.type in ("sms", "email")]
    return inbound[-1].type if inbound else "sms"


def send_suggestion(
    org: Org, conversation: Conversation, activity_id: str, user: User, rng: SeededRandom, now: datetime
) -> tuple[Activity, Activity]:
    draft = org.suggestion(conversation, activity_id)
    message = _outbound(
        org,
        conversation,
        _reply_channel(conversation),
        draft.body or "",
        user,
        rng,
        now,
        subject=conversation.subject if _reply_channel(conversation) == "email" else None,
        suggestion_id=draft.id,
    )
    draft.status = "sent"
    return draft, message


def dismiss_suggestion(org: Org, conversation: Conversation, activity_id: str) -> Activity:
    draft = org.suggestion(conversation, activity_id)
    draft.status = "dismissed"
    return draft
