"""The AI setter (Iron's setter page): the CRM's own process answering customer messages in the org's response mode
(`off`, `suggestive`: a draft a human sends, `autopilot`: it sends itself, after the reply delay, inside business
hours and outside sleep hours), and its config endpoints (`/agents/setter/config`, `/agents/voice/config`).

Kept apart from state.py because it is a behaviour of the vendor (when to draft, what a draft says, when autopilot
sends), not a rule of the records: it only decides, and every write lands through the state's operations.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mock_server.apis.crminbox import assignments, carrier, errors, wire
from mock_server.apis.crminbox.calls import acting_org, manages
from mock_server.apis.crminbox.state import ANSWERABLE, Activity, Conversation, Org
from mock_server.engine.ids import SeededRandom
from mock_server.engine.jobs import JobRunner
from mock_server.engine.types import Call, Handler

__all__ = ["HANDLERS", "on_customer_message"]

_DRAFTS = {
    "default": [
        'Hi {first}, thanks for reaching out about "{topic}". I can help with that — would a quick call today work?',
        'Hello {first}! Happy to help with "{topic}". Could you share a good time to talk?',
        'Thanks {first}. About "{topic}": I\'ll send the details right away. Anything else I should know?',
    ],
    "book_call": [
        'Hi {first}, thanks for your message about "{topic}". Could we book a 15-minute call? Tomorrow at 10:00 works.',
        'Hello {first}! The quickest way to sort out "{topic}" is a short call. Does this afternoon at 3 suit you?',
    ],
    "route_to_quote": [
        'Hi {first}, about "{topic}": I can get you a quote. What is the address and the size of the job?',
        'Thanks {first}! To quote "{topic}", could you send a few photos and your preferred dates?',
    ],
}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SETTER_FIELDS = ("response_mode", "reply_objective", "reply_delay_seconds", "business_hours", "sleep_hours")
_VOICE_FIELDS = ("enabled", "voice", "greeting", "transfer_to", "business_hours_only")  # the writable ones


def _topic(text: str) -> str:
    words = text.split()
    return " ".join(words[:8]) + ("…" if len(words) > 8 else "")


def draft_reply(
    org: Org, conversation: Conversation, message: Activity, rng: SeededRandom, now: datetime
) -> Activity | None:
    """The setter's answer to a customer message that just landed: one pending draft (superseding an older one)
    when the org's mode is not off and the message waits for a reply and has text; else nothing. The reply
    objective picks the wording and the structured action the draft carries."""
    if message.type not in ANSWERABLE or org.setter_mode == "off" or not message.body:
        return None
    objective = org.setter.reply_objective
    contact = org.contacts[conversation.contact_id]
    first = (contact.name.split() or ["there"])[0]
    body = rng.choice(_DRAFTS[objective]).format(first=first, topic=_topic(message.body))
    action = {"type": objective} if objective != "default" else None
    return conversation.add_suggestion(body, rng, now, action=action)


def on_customer_message(
    org: Org, conversation: Conversation, message: Activity, rng: SeededRandom, now: datetime, jobs: JobRunner | None
) -> Activity | None:
    """What the setter does when a customer message lands: a draft (suggestive, autopilot), and on autopilot the
    draft's sending, due after the reply delay at the next time the setter may send (none within a week: the draft
    waits for a human)."""
    draft = draft_reply(org, conversation, message, rng, now)
    assignments.on_customer_message(org, conversation, message, rng, now)  # the lead joins the work queue
    if draft is None or org.setter_mode != "autopilot" or jobs is None:
        return draft
    due = _next_opening(org, now + timedelta(seconds=org.setter.reply_delay_seconds))
    if due is None:
        return draft

    def send() -> None:
        # still pending (no human answered, dismissed or sent it, no newer draft) and still on autopilot
        if draft.status == "pending" and org.setter_mode == "autopilot":
            _, message = org.send_suggestion(conversation, draft.id, None, rng, max(due, now))
            carrier.after_send(org, conversation, message, jobs)

    jobs.submit(f"crm-inbox:{org.id}:{conversation.id}", send, due)
    return draft


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown, malformed, a folder such as "America"
        return False
    return True


def _zone(org: Org) -> ZoneInfo:
    try:
        return ZoneInfo(str(org.setter.business_hours.get("timezone") or org.timezone))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown, malformed, a folder such as "America"
        return ZoneInfo("UTC")


def _next_opening(org: Org, after: datetime) -> datetime | None:
    """The first instant from `after` inside business hours and outside sleep hours: `after` itself, or the next
    opening (a business-hours start, or the end of sleep hours) within eight days; None if there is none."""
    zone = _zone(org)
    local = after.astimezone(zone)
    if _may_send(org, local):
        return after
    sleep = org.setter.sleep_hours
    days = org.setter.business_hours.get("days") or {}
    for offset in range(9):
        day = (local + timedelta(days=offset)).date()
        starts = [r["start"] for r in days.get(_DAYS[day.weekday()], [])]
        if sleep:
            starts.append(sleep["end"])
        for start in sorted(starts):
            hour, minute = (int(part) for part in start.split(":"))
            candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
            if candidate > local and _may_send(org, candidate):
                return candidate.astimezone(after.tzinfo)
    return None


def _may_send(org: Org, local: datetime) -> bool:
    """Inside one of the day's business-hours ranges and outside sleep hours (which may wrap midnight)."""
    clock = local.strftime("%H:%M")
    sleep = org.setter.sleep_hours
    if sleep:
        start, end = sleep["start"], sleep["end"]
        asleep = start <= clock < end if start <= end else (clock >= start or clock < end)
        if asleep:
            return False
    ranges = (org.setter.business_hours.get("days") or {}).get(_DAYS[local.weekday()], [])
    return any(r["start"] <= clock < r["end"] for r in ranges)


# -- the config endpoints -------------------------------------------------------------------------------------------


def _manager(call: Call, what: str) -> None:
    if not manages(call):
        raise errors.Forbidden(why=f"Only an owner or admin can change the {what} config")


def get_setter_config(call: Call) -> Any:
    return wire.setter_config_json(acting_org(call).setter)


def save_setter_config(call: Call) -> Any:
    """Sets the fields sent (the read-only ones ignored); autopilot only where it is available. Checked first,
    then saved at once, so a refusal changes nothing."""
    _manager(call, "setter")
    org, body = acting_org(call), call.body
    config = org.setter
    if body.get("response_mode") == "autopilot" and not config.autopilot_available:
        raise errors.ValidationFailed(
            [
                errors.issue(
                    "value_error",
                    ["body", "response_mode"],
                    "Value error, autopilot is gated off for this organization",
                    "autopilot",
                )
            ]
        )
    zone = (body.get("business_hours") or {}).get("timezone")
    if zone is not None and not _known_zone(zone):
        raise errors.ValidationFailed(
            [
                errors.issue(
                    "value_error", ["body", "business_hours", "timezone"], "Value error, unknown IANA time zone", zone
                )
            ]
        )
    changed = [n for n in _SETTER_FIELDS if n in body]
    for name in changed:
        setattr(config, name, body[name])
    if changed:
        config.updated_at = call.now
    return wire.setter_config_json(config)


def get_voice_config(call: Call) -> Any:
    return wire.voice_config_json(acting_org(call).voice)


def save_voice_config(call: Call) -> Any:
    _manager(call, "voice agent")
    voice = acting_org(call).voice
    body: Mapping[str, Any] = call.body
    changed = [n for n in _VOICE_FIELDS if n in body]
    for name in changed:
        setattr(voice, name, body[name])
    if changed:
        voice.updated_at = call.now
    return wire.voice_config_json(voice)


HANDLERS: Mapping[str, Handler] = {
    "getSetterConfig": get_setter_config,
    "saveSetterConfig": save_setter_config,
    "getVoiceAgentConfig": get_voice_config,
    "saveVoiceAgentConfig": save_voice_config,
}
