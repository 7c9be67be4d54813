"""HighLevel's validation messages, as NestJS's ValidationPipe (class-validator) words them.

The spec's schemas decide *whether* a body is valid (the engine validates first, the same for every API); this
module decides *what the 422 says*: every broken rule of the DTO, in class-validator's words ("name should not
be empty", "property llm should not exist", "sleepTime should not be provided when sleepEnabled is false").
Rules a schema cannot see (a stored unit, another agent) are checked by the handlers with the same wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

from mock_server.engine.errors import RequestInvalid

__all__ = [
    "ACTION_TYPES",
    "CHANNELS",
    "MODES",
    "VERSIONS",
    "action_messages",
    "agent_messages",
    "followup_settings_messages",
    "header_message",
    "messages_for",
    "wait_time_message",
]

MODES = ("off", "suggestive", "auto-pilot")
CHANNELS = ("IG", "FB", "SMS", "WebChat", "WhatsApp", "Live_Chat")
ACTION_TYPES = (
    "triggerWorkflow",
    "updateContactField",
    "appointmentBooking",
    "stopBot",
    "humanHandOver",
    "advancedFollowup",
    "transferBot",
)
VERSIONS = ("2021-04-15", "2021-07-28", "v3", "2023-02-21")
WAIT_MAX = {"minutes": 5, "seconds": 300}
SLEEP_MAX = {"minutes": 2880, "seconds": 172800, "hours": 48}
FOLLOWUP_MAX = {"minutes": 60, "hours": 24, "days": 180}
DELAY_UNITS = ("days", "hours", "minutes")

Field = tuple[str, bool]  # (kind, required)
Messages = list[str]


def _key(value: Any) -> str | None:
    """A value usable as a lookup key (a JSON object or array is not)."""
    return value if isinstance(value, str) else None


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check(body: Mapping[str, Any], fields: Mapping[str, Field], prefix: str = "") -> Messages:
    """Type, presence and unknown-property messages for one DTO."""
    out: Messages = []
    for name, (kind, required) in fields.items():
        label = prefix + name
        if name not in body or body[name] is None or body[name] == "":
            if required:
                out.append(f"{label} should not be empty")
            continue
        value = body[name]
        if kind == "string" and not isinstance(value, str):
            out.append(f"{label} must be a string")
        elif kind == "number" and not _is_number(value):
            out.append(f"{label} must be a number conforming to the specified constraints")
        elif kind == "boolean" and not isinstance(value, bool):
            out.append(f"{label} must be a boolean value")
        elif kind == "strings" and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            out.append(f"each value in {label} must be a string")
        elif kind.startswith("enum:") and _key(value) not in kind[5:].split("|"):
            out.append(f"{label} must be one of the following values: {', '.join(kind[5:].split('|'))}")
        elif kind == "object" and not isinstance(value, Mapping):
            out.append(f"{label} must be an object")
        elif kind == "array" and not isinstance(value, list):
            out.append(f"{label} must be an array")
    out += [f"property {prefix}{name} should not exist" for name in body if name not in fields]
    return out


def _at_least_two(body: Mapping[str, Any], name: str, prefix: str, why: str | None = None) -> Messages:
    value = body.get(name)
    if value is None and why is not None:
        return [f"{prefix}{name} is required when {why}", f"{prefix}{name} must contain at least 2 elements"]
    if not isinstance(value, list) or len(value) < 2:
        return [f"{prefix}{name} must contain at least 2 elements"]
    return []


def _delay(body: Mapping[str, Any], prefix: str, why: str) -> Messages:
    out = []
    if body.get("sleepTime") is None:
        out.append(f"{prefix}sleepTime is required when {why}")
    if body.get("sleepTimeUnit") is None:
        out.append(f"{prefix}sleepTimeUnit is required when {why}")
    return out


# -- agents ------------------------------------------------------------------------------------------------------

_AGENT_FIELDS: dict[str, Field] = {
    "name": ("string", True),
    "businessName": ("string", False),
    "mode": ("enum:" + "|".join(MODES), False),
    "channels": ("array", False),
    "isPrimary": ("boolean", False),
    "waitTime": ("number", False),
    "waitTimeUnit": ("enum:minutes|seconds", False),
    "sleepEnabled": ("boolean", False),
    "sleepTime": ("number", False),
    "sleepTimeUnit": ("enum:hours|minutes|seconds", False),
    "personality": ("string", True),
    "goal": ("string", True),
    "instructions": ("string", True),
    "autoPilotMaxMessages": ("number", False),
    "knowledgeBaseIds": ("strings", False),
    "respondToImages": ("boolean", False),
    "respondToAudio": ("boolean", False),
    "sleepOnManualMessage": ("boolean", False),
    "sleepOnWorkflowMessage": ("boolean", False),
}


def wait_time_message(wait_time: Any, unit: str) -> str | None:
    maximum = WAIT_MAX.get(unit, 300)
    if _is_number(wait_time) and wait_time > maximum:
        return f"waitTime must not be greater than {maximum} when waitTimeUnit is {unit}"
    return None


def agent_messages(body: Mapping[str, Any], update: bool) -> Messages:
    fields = dict(_AGENT_FIELDS)
    if update:
        fields = {name: (kind, False) for name, (kind, _) in fields.items()}
        fields["autoPilotMaxMessages"] = ("number", True)
    out = _check(body, fields)
    channels = body.get("channels")
    if isinstance(channels, list) and any(_key(c) not in CHANNELS for c in channels):
        out.append(f"each value in channels must be one of the following values: {', '.join(CHANNELS)}")
    if _is_number(body.get("waitTime")) and body["waitTime"] < 0:
        out.append("waitTime must not be less than 0")
    unit = str(body["waitTimeUnit"]) if _key(body.get("waitTimeUnit")) in WAIT_MAX else "seconds"
    message = wait_time_message(body.get("waitTime"), unit)
    if message:
        out.append(message)
    limit = body.get("autoPilotMaxMessages")
    if _is_number(limit) and limit < 1:
        out.append("autoPilotMaxMessages must not be less than 1")
    if _is_number(limit) and limit > 100:
        out.append("autoPilotMaxMessages must not be greater than 100")
    if body.get("sleepEnabled") is True:
        if "sleepTime" not in body:
            out.append("sleepTime is required when sleepEnabled is true")
        if "sleepTimeUnit" not in body:
            out.append("sleepTimeUnit is required when sleepEnabled is true")
        sleep_unit = _key(body.get("sleepTimeUnit"))
        sleep = body.get("sleepTime")
        if sleep_unit in SLEEP_MAX and _is_number(sleep) and sleep > SLEEP_MAX[sleep_unit]:
            out.append(f"sleepTime must not be greater than {SLEEP_MAX[sleep_unit]} when sleepTimeUnit is {sleep_unit}")
        if _is_number(sleep) and sleep < 0:
            out.append("sleepTime must not be less than 0")
    else:
        for name in ("sleepTime", "sleepTimeUnit"):
            if name in body:
                out.append(f"{name} should not be provided when sleepEnabled is false")
    if update and body.get("isPrimary") is True and "mode" not in body:
        out.append("mode is required when isPrimary is true")
    return out


# -- actions -----------------------------------------------------------------------------------------------------

_DETAIL_FIELDS: dict[str, dict[str, Field]] = {
    "triggerWorkflow": {
        "workflowIds": ("strings", True),
        "triggerCondition": ("string", True),
        "triggerMessage": ("string", False),
    },
    "updateContactField": {
        "contactFieldId": ("string", True),
        "description": ("string", True),
        "contactUpdateExamples": ("strings", False),
    },
    "appointmentBooking": {
        "calendarId": ("string", True),
        "onlySendLink": ("boolean", True),
        "triggerWorkflow": ("boolean", True),
        "sleepAfterBooking": ("boolean", True),
        "transferBot": ("boolean", True),
        "rescheduleEnabled": ("boolean", True),
        "cancelEnabled": ("boolean", True),
        "actionId": ("string", False),
        "workflowIds": ("strings", False),
        "sleepTimeUnit": ("enum:days|hours|minutes", False),
        "sleepTime": ("number", False),
        "transferAgent": ("string", False),
    },
    "stopBot": {
        "stopBotDetectionType": ("enum:Goodbye|Custom", True),
        "stopBotTriggerCondition": ("string", True),
        "reactivateEnabled": ("boolean", True),
        "enabled": ("boolean", True),
        "stopBotExamples": ("strings", True),
        "finalMessage": ("string", True),
        "sleepTimeUnit": ("enum:days|hours|minutes", False),
        "sleepTime": ("number", False),
        "tags": ("strings", False),
    },
    "humanHandOver": {
        "enabled": ("boolean", True),
        "triggerCondition": ("string", True),
        "reactivateEnabled": ("boolean", True),
        "finalMessage": ("string", True),
        "handoverType": ("enum:contactRequest|lackOfInformation|failedToResolveIssue|custom", True),
        "examples": ("strings", False),
        "assignToUserId": ("string", False),
        "skipAssignToUser": ("boolean", False),
        "createTask": ("boolean", False),
        "sleepTimeUnit": ("enum:days|hours|minutes", False),
        "sleepTime": ("number", False),
        "tags": ("strings", False),
    },
    "advancedFollowup": {
        "enabled": ("boolean", True),
        "scenarioId": ("enum:contactStoppedReplying|contactIsBusy|contactRequested", True),
        "followupSequence": ("array", True),
        "followupSettings": ("object", False),
    },
    "transferBot": {
        "transferBotType": ("enum:Default|Custom", True),
        "transferToBot": ("string", True),
        "enabled": ("boolean", True),
        "transferBotTriggerCondition": ("string", False),
        "transferBotExamples": ("strings", False),
    },
}
_SEQUENCE_FIELDS: dict[str, Field] = {
    "id": ("number", True),
    "followupTimeUnit": ("enum:days|hours|minutes", True),
    "followupTime": ("number", True),
    "aiEnabledMessage": ("boolean", False),
    "triggerWorkflow": ("boolean", False),
    "customMessage": ("string", False),
    "workflowId": ("string", False),
    "contactRequested": ("boolean", False),
}
_SETTINGS_FIELDS: dict[str, Field] = {
    "dynamicChannelSwitching": ("boolean", True),
    "followUpHours": ("boolean", False),
    "workingHours": ("array", False),
    "timezoneToUse": ("enum:contact|business", False),
}


def followup_settings_messages(settings: Any, prefix: str) -> Messages:
    if not isinstance(settings, Mapping):
        return [f"{prefix.rstrip('.')} must be an object"]
    out = _check(settings, _SETTINGS_FIELDS, prefix)
    for i, day in enumerate(
        settings.get("workingHours") or [] if isinstance(settings.get("workingHours"), list) else []
    ):
        where = f"{prefix}workingHours.{i}."
        if not isinstance(day, Mapping):
            out.append(f"{where.rstrip('.')} must be an object")
            continue
        out += _check(day, {"dayOfTheWeek": ("number", True), "intervals": ("array", False)}, where)
        if _is_number(day.get("dayOfTheWeek")) and not 0 <= day["dayOfTheWeek"] <= 6:
            out.append(f"{where}dayOfTheWeek must be between 0 (Sunday) and 6")
        for j, interval in enumerate(day.get("intervals") or [] if isinstance(day.get("intervals"), list) else []):
            at = f"{where}intervals.{j}."
            if not isinstance(interval, Mapping):
                out.append(f"{at.rstrip('.')} must be an object")
                continue
            out += _check(
                interval, {k: ("number", True) for k in ("startHour", "startMinute", "endHour", "endMinute")}, at
            )
            for key, top in (("startHour", 23), ("endHour", 23), ("startMinute", 59), ("endMinute", 59)):
                if _is_number(interval.get(key)) and not 0 <= interval[key] <= top:
                    out.append(f"{at}{key} must be between 0 and {top}")
    return out


def _followup_sequence(steps: Any) -> Messages:
    out: Messages = []
    for i, step in enumerate(steps if isinstance(steps, list) else []):
        at = f"details.followupSequence.{i}."
        if not isinstance(step, Mapping):
            out.append(f"{at.rstrip('.')} must be an object")
            continue
        out += _check(step, _SEQUENCE_FIELDS, at)
        unit, time = _key(step.get("followupTimeUnit")), step.get("followupTime")
        if unit in FOLLOWUP_MAX and _is_number(time) and time > FOLLOWUP_MAX[unit]:
            out.append(
                f"{at}followupTime must not be greater than {FOLLOWUP_MAX[unit]} when followupTimeUnit is {unit}"
            )
        if _is_number(time) and time < 1:
            out.append(f"{at}followupTime must not be less than 1")
        if step.get("aiEnabledMessage") is False and not step.get("customMessage"):
            out.append(f"{at}customMessage is required when aiEnabledMessage is false")
        if step.get("triggerWorkflow") is True and not step.get("workflowId"):
            out.append(f"{at}workflowId is required when triggerWorkflow is true")
    return out


def _detail_rules(kind: str, details: Mapping[str, Any]) -> Messages:
    p = "details."
    out = _check(details, _DETAIL_FIELDS[kind], p)
    if kind == "appointmentBooking":
        if details.get("onlySendLink") is True:
            out += [
                f"{p}{name} must be false when onlySendLink is true"
                for name in (
                    "triggerWorkflow",
                    "sleepAfterBooking",
                    "transferBot",
                    "rescheduleEnabled",
                    "cancelEnabled",
                )
                if details.get(name) is True
            ]
        if details.get("triggerWorkflow") is True and not details.get("workflowIds"):
            out.append(f"{p}workflowIds is required when triggerWorkflow is true")
        if details.get("sleepAfterBooking") is True:
            out += _delay(details, p, "sleepAfterBooking is true")
        if details.get("transferBot") is True and not details.get("transferAgent"):
            out.append(f"{p}transferAgent is required when transferBot is true")
    elif kind == "stopBot":
        out += _at_least_two(details, "stopBotExamples", p)
        if details.get("reactivateEnabled") is True:
            out += _delay(details, p, "reactivateEnabled is true")
    elif kind == "humanHandOver":
        if _key(details.get("handoverType")) in ("custom", "contactRequest"):
            out += _at_least_two(details, "examples", p, "handoverType is custom or contactRequest")
        if details.get("reactivateEnabled") is True:
            out += _delay(details, p, "reactivateEnabled is true")
    elif kind == "advancedFollowup":
        out += _followup_sequence(details.get("followupSequence"))
        if "followupSettings" in details:
            out += followup_settings_messages(details["followupSettings"], p + "followupSettings.")
    elif kind == "transferBot" and details.get("transferBotType") == "Custom":
        if not details.get("transferBotTriggerCondition"):
            out.append(f"{p}transferBotTriggerCondition is required when transferBotType is Custom")
        out += _at_least_two(details, "transferBotExamples", p, "transferBotType is Custom")
    return list(dict.fromkeys(out))


def action_messages(body: Mapping[str, Any]) -> Messages:
    out = _check(
        body, {"type": ("enum:" + "|".join(ACTION_TYPES), True), "name": ("string", True), "details": ("object", True)}
    )
    if _key(body.get("type")) in ACTION_TYPES and isinstance(body.get("details"), Mapping):
        out += _detail_rules(body["type"], body["details"])
    return out


def _followup_request(body: Mapping[str, Any]) -> Messages:
    out = _check(body, {"actionIds": ("strings", True), "followupSettings": ("object", True)})
    if isinstance(body.get("actionIds"), list) and not body["actionIds"]:
        out.append("actionIds should not be empty")
    if isinstance(body.get("followupSettings"), Mapping):
        out += followup_settings_messages(body["followupSettings"], "followupSettings.")
    return out


# -- from a schema refusal to the vendor's words -----------------------------------------------------------------

_BODY_RULES: dict[str, Callable[[Mapping[str, Any]], Messages]] = {
    "create-agent": lambda body: agent_messages(body, update=False),
    "update-agent": lambda body: agent_messages(body, update=True),
    "create-action": action_messages,
    "update-action": action_messages,
    "update-followup-settings": _followup_request,
}


def _field(pointer: Any) -> str:
    return ".".join(str(part) for part in pointer) or "body"


def _translate(pointer: Any, message: str, keyword: str) -> str:
    """One JSON Schema error in class-validator's words, as near as the error allows."""
    field = _field(pointer)
    quoted = re.findall(r'"([^"]*)"', message)
    number = re.search(r"(-?\d+(?:\.\d+)?)\D*$", message)
    if keyword == "required" and quoted:
        return f"{'.'.join([field, quoted[0]]) if pointer else quoted[0]} should not be empty"
    if keyword == "additionalProperties":
        extra = re.findall(r"'([^']*)'", message) or quoted
        return f"property {extra[0] if extra else field} should not exist"
    if keyword == "type" and quoted:
        return f"{field} must be a {quoted[-1]}"
    if keyword == "enum":
        return f"{field} must be one of the following values: {message.split(' is not one of ')[-1]}"
    if keyword in ("maximum", "exclusiveMaximum") and number:
        return f"{field} must not be greater than {number.group(1)}"
    if keyword in ("minimum", "exclusiveMinimum") and number:
        return f"{field} must not be less than {number.group(1)}"
    if keyword == "minItems" and number:
        return f"{field} must contain at least {number.group(1)} elements"
    if keyword == "minLength":
        return f"{field} should not be empty"
    return f"{field}: {message}"


def messages_for(error: RequestInvalid) -> Messages:
    """The 422's `message` list for a refused body, query or path."""
    rule = _BODY_RULES.get(error.operation_id or "")
    if error.location == "body" and rule is not None and isinstance(error.instance, Mapping):
        found = rule(error.instance)
        if found:
            return found
    if error.location == "body" and not isinstance(error.instance, Mapping) and error.keyword == "type":
        return ["body must be an object"]
    problems = error.problems or [(error.pointer, error.message, error.keyword or "")]
    return list(dict.fromkeys(_translate(p, m, k) for p, m, k in problems)) or [error.describe()]


def header_message(error: RequestInvalid) -> str:
    """Missing or unsupported `Version` (the spec documents one message for both)."""
    return f"Version header must be one of the following values: {', '.join(VERSIONS)}"
