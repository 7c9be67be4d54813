"""What Meta does with a template after 1TO1 AI accepted it: under a `template_delivery: rejected` scenario it rejects
it a moment later (REJECTION_DELAY on the mock clock), in the background, as the real service learns it from Meta.

The send itself answers as usual (201, or a succeeded action); the rejection shows where a client reads it later:
the message in the conversation (failed, with the docs' SEND_FAILED) and, for an action group's send, one more
entry of that action in the activity log. convomock design: the docs say only that a message Meta refused is
"persisted as failed", not when or how an accepted template's later rejection is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from mock_server.apis.onetoone.state import REJECTION_DELAY, WINDOW, Business, Conversation, Message
from mock_server.engine.ids import SeededRandom
from mock_server.engine.jobs import JobRunner

__all__ = ["Rejected", "send_template"]

# Told when Meta rejects an accepted template: the message and the moment (an action group records it).
Rejected = Callable[[Message, datetime], None]


def send_template(
    business: Business,
    conversation: Conversation,
    fields: Mapping[str, Any],
    rng: SeededRandom,
    now: datetime,
    author: str,
    jobs: JobRunner,
    on_rejected: Rejected | None = None,
) -> Message:
    """`Business.send_template`, then (when a scenario makes Meta reject templates in this conversation) the
    rejection queued on the conversation's own delivery queue, so it never holds up the next action group."""
    before = conversation.window_expires_at
    message = business.send_template(conversation, fields, rng, now, author)
    if business.meta_rejects_templates(conversation):  # decided now: a scenario of this request alone counts too
        reopened = now + WINDOW  # what the send set the window to
        due = now + REJECTION_DELAY

        def reject() -> None:
            rejected = business.reject_delivery(conversation, message, reopened, before)
            if rejected and on_rejected is not None:
                on_rejected(message, due)

        jobs.submit(f"1to1ai:{business.slug}:{conversation.uuid}:delivery", reject, due=due)
    return message
