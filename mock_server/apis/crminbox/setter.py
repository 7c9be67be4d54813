"""The AI setter: the CRM's own process, drafting a reply to each customer message while the org has it in
suggestive mode, for a member to send, edit or dismiss.

Kept apart from state.py because it is a behaviour of the vendor (when to draft and what a draft says), not a rule
of the records: it only decides, and the draft lands through `Conversation.add_suggestion` like any other write.
"""

from __future__ import annotations

from datetime import datetime

from mock_server.apis.crminbox.state import ANSWERABLE, Activity, Conversation, Org
from mock_server.engine.ids import SeededRandom

__all__ = ["draft_reply"]

_DRAFTS = [
    'Hi {first}, thanks for reaching out about "{topic}". I can help with that — would a quick call today work?',
    'Hello {first}! Happy to help with "{topic}". Could you share a good time to talk?',
    'Thanks {first}. About "{topic}": I\'ll send the details right away. Anything else I should know?',
]


def _topic(text: str) -> str:
    words = text.split()
    return " ".join(words[:8]) + ("…" if len(words) > 8 else "")


def draft_reply(
    org: Org, conversation: Conversation, message: Activity, rng: SeededRandom, now: datetime
) -> Activity | None:
    """The setter's answer to a customer message that just landed: one pending draft (superseding an older one)
    when the org is in suggestive mode and the message waits for a reply and has text; else nothing."""
    if message.type not in ANSWERABLE or org.setter_mode != "suggestive" or not message.body:
        return None
    contact = org.contacts[conversation.contact_id]
    body = rng.choice(_DRAFTS).format(first=contact.name.split()[0], topic=_topic(message.body))
    return conversation.add_suggestion(body, rng, now)
