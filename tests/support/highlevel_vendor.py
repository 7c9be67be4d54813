"""HighLevel's published response schemas for Conversation AI, restated by hand as JSON Schema (issue 16), so a test
can hold every answer of the mock against what the vendor publishes rather than against our own spec.

Source: GoHighLevel/highlevel-api-docs `apps/conversation-ai.json` (OpenAPI 3.0), read through a mirror of that
file (api-evangelist/highlevel, harvested from its raw URL) and the vendor's SDK models; each schema names its
JSON pointer into the original. The vendor's semantics are kept: objects are open (no `additionalProperties`), no
field is nullable (OpenAPI 3.0 without `nullable: true`), numbers are `number`, and only the vendor's `required`
lists are required. `traceId`, which live answers carry, is allowed because the objects are open.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ACTION_ENVELOPE",
    "ACTIONS_LIST",
    "DELETE_ACTION",
    "DELETE_AGENT",
    "BAD_REQUEST",
    "COMMON",
    "EMPLOYEE_LIST_ITEM",
    "ERRORS",
    "EMPLOYEE_RESPONSE",
    "GENERATION",
    "SEARCH_PAGE",
    "SOURCE",
    "UNAUTHORIZED",
    "UNPROCESSABLE",
]

SOURCE = "https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/conversation-ai.json"

STRING: dict[str, Any] = {"type": "string"}
NUMBER: dict[str, Any] = {"type": "number"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
STRINGS: dict[str, Any] = {"type": "array", "items": STRING}
MODE: dict[str, Any] = {"type": "string", "enum": ["off", "suggestive", "auto-pilot"]}
ACTION_TYPE: dict[str, Any] = {
    "type": "string",
    "enum": [
        "triggerWorkflow",
        "updateContactField",
        "appointmentBooking",
        "stopBot",
        "humanHandOver",
        "advancedFollowup",
        "transferBot",
    ],
}
DELAY_UNIT: dict[str, Any] = {"type": "string", "enum": ["days", "hours", "minutes"]}


def _object(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


# #/components/schemas/ActionsIdDto
ACTIONS_ID = _object(["id", "type"], {"id": STRING, "type": ACTION_TYPE})

# #/components/schemas/EmployeeResponseDTO (the answer of create-agent, get-agent and update-agent)
EMPLOYEE_RESPONSE = _object(
    [
        "id",
        "name",
        "mode",
        "channels",
        "waitTime",
        "waitTimeUnit",
        "sleepEnabled",
        "actions",
        "isPrimary",
        "autoPilotMaxMessages",
    ],
    {
        "id": STRING,
        "name": STRING,
        "businessName": STRING,
        "mode": MODE,
        "channels": {
            "type": "array",
            "items": {"type": "string", "enum": ["IG", "FB", "SMS", "WebChat", "WhatsApp", "Live_Chat"]},
        },
        "waitTime": NUMBER,
        "waitTimeUnit": {"type": "string", "enum": ["minutes", "seconds"]},
        "sleepEnabled": BOOLEAN,  # deprecated: true
        "sleepTime": NUMBER,
        "sleepTimeUnit": {"type": "string", "enum": ["hours", "minutes", "seconds"]},
        "actions": {"type": "array", "items": ACTIONS_ID},
        "isPrimary": BOOLEAN,
        "autoPilotMaxMessages": NUMBER,
        "goal": STRING,
        "personality": STRING,
        "instructions": STRING,
        "knowledgeBaseIds": STRINGS,
        "sleepOnManualMessage": BOOLEAN,
        "sleepOnWorkflowMessage": BOOLEAN,
    },
)

# #/components/schemas/EmployeeListItemDTO (an item of search-agent)
EMPLOYEE_LIST_ITEM = _object(
    [
        "id",
        "name",
        "mode",
        "channels",
        "waitTime",
        "waitTimeUnit",
        "sleepEnabled",
        "actions",
        "isPrimary",
        "autoPilotMaxMessages",
        "createdAt",
        "updatedAt",
    ],
    {
        "id": STRING,
        "name": STRING,
        "businessName": STRING,
        "mode": MODE,
        "channels": STRINGS,  # no enum here (its example shows LIVE_CHAT)
        "waitTime": NUMBER,
        "waitTimeUnit": {"type": "string", "enum": ["minutes", "seconds"]},
        "sleepEnabled": BOOLEAN,  # deprecated: true
        "sleepTime": NUMBER,
        "sleepTimeUnit": {"type": "string", "enum": ["hours", "minutes", "seconds"]},
        "actions": {"type": "array", "items": {"type": "object"}},
        "isPrimary": BOOLEAN,
        "autoPilotMaxMessages": NUMBER,
        "goal": {"type": "object"},  # untyped inside; its example holds "actionId": null
        "knowledgeBaseIds": STRINGS,
        "createdAt": STRING,
        "updatedAt": STRING,
        "sleepOnManualMessage": BOOLEAN,
        "sleepOnWorkflowMessage": BOOLEAN,
    },
)

# #/components/schemas/SearchEmployeeResponseDTO
SEARCH_PAGE = _object(
    ["agents", "totalCount", "count"],
    {"agents": {"type": "array", "items": EMPLOYEE_LIST_ITEM}, "totalCount": NUMBER, "count": NUMBER},
)

# #/components/schemas/DeleteEmployeeResponseDTO
DELETE_AGENT = _object(["success", "id"], {"success": BOOLEAN, "id": STRING})

# #/components/schemas/triggerWorkflowDto
TRIGGER_WORKFLOW = _object(
    ["workflowIds", "triggerCondition"],
    {"workflowIds": STRINGS, "triggerCondition": STRING, "triggerMessage": STRING},
)

# #/components/schemas/updateContactFieldDto
UPDATE_CONTACT_FIELD = _object(
    ["contactFieldId", "description"],
    {"contactFieldId": STRING, "description": STRING, "contactUpdateExamples": STRINGS},
)

# #/components/schemas/appointmentBookingDto
APPOINTMENT_BOOKING = _object(
    [
        "calendarId",
        "onlySendLink",
        "triggerWorkflow",
        "sleepAfterBooking",
        "transferBot",
        "rescheduleEnabled",
        "cancelEnabled",
    ],
    {
        "actionId": STRING,
        "calendarId": STRING,
        "onlySendLink": BOOLEAN,
        "triggerWorkflow": BOOLEAN,
        "workflowIds": STRINGS,
        "sleepAfterBooking": BOOLEAN,
        "sleepTimeUnit": DELAY_UNIT,
        "sleepTime": NUMBER,
        "transferBot": BOOLEAN,
        "transferAgent": STRING,
        "rescheduleEnabled": BOOLEAN,
        "cancelEnabled": BOOLEAN,
    },
)

# #/components/schemas/stopBotDto
STOP_BOT = _object(
    [
        "stopBotDetectionType",
        "stopBotTriggerCondition",
        "reactivateEnabled",
        "enabled",
        "stopBotExamples",
        "finalMessage",
    ],
    {
        "stopBotDetectionType": {"type": "string", "enum": ["Goodbye", "Custom"]},
        "stopBotTriggerCondition": STRING,
        "reactivateEnabled": BOOLEAN,
        "sleepTimeUnit": DELAY_UNIT,
        "sleepTime": NUMBER,
        "enabled": BOOLEAN,
        "stopBotExamples": STRINGS,
        "finalMessage": STRING,
        "tags": STRINGS,
    },
)

# #/components/schemas/humanHandOverDto
HUMAN_HAND_OVER = _object(
    ["enabled", "triggerCondition", "reactivateEnabled", "finalMessage", "handoverType"],
    {
        "enabled": BOOLEAN,
        "handoverType": {
            "type": "string",
            "enum": ["contactRequest", "lackOfInformation", "failedToResolveIssue", "custom"],
        },
        "triggerCondition": STRING,
        "examples": STRINGS,
        "assignToUserId": STRING,
        "skipAssignToUser": BOOLEAN,
        "createTask": BOOLEAN,
        "reactivateEnabled": BOOLEAN,
        "sleepTimeUnit": DELAY_UNIT,
        "sleepTime": NUMBER,
        "finalMessage": STRING,
        "tags": STRINGS,
    },
)

# #/components/schemas/Interval
INTERVAL = _object(
    ["startHour", "startMinute", "endHour", "endMinute"],
    {"startHour": NUMBER, "startMinute": NUMBER, "endHour": NUMBER, "endMinute": NUMBER},
)

# #/components/schemas/WorkingHours
WORKING_HOURS = _object(["dayOfTheWeek"], {"dayOfTheWeek": NUMBER, "intervals": {"type": "array", "items": INTERVAL}})

# #/components/schemas/FollowupSettings
FOLLOWUP_SETTINGS = _object(
    ["dynamicChannelSwitching"],
    {
        "dynamicChannelSwitching": BOOLEAN,
        "followUpHours": BOOLEAN,
        "workingHours": {"type": "array", "items": WORKING_HOURS},
        "timezoneToUse": {"type": "string", "enum": ["contact", "business"]},
    },
)

# #/components/schemas/FollowupSequence
FOLLOWUP_SEQUENCE = _object(
    ["id", "followupTimeUnit", "followupTime"],
    {
        "id": NUMBER,
        "followupTimeUnit": DELAY_UNIT,
        "followupTime": NUMBER,
        "aiEnabledMessage": BOOLEAN,
        "triggerWorkflow": BOOLEAN,
        "customMessage": STRING,
        "workflowId": STRING,
        "contactRequested": BOOLEAN,
    },
)

# #/components/schemas/advancedFollowupDto
ADVANCED_FOLLOWUP = _object(
    ["enabled", "scenarioId", "followupSequence"],
    {
        "enabled": BOOLEAN,
        "scenarioId": {"type": "string", "enum": ["contactStoppedReplying", "contactIsBusy", "contactRequested"]},
        "followupSequence": {"type": "array", "items": FOLLOWUP_SEQUENCE},
        "followupSettings": FOLLOWUP_SETTINGS,
    },
)

# #/components/schemas/transferBotDto
TRANSFER_BOT = _object(
    ["transferBotType", "transferToBot", "enabled"],
    {
        "transferBotType": {"type": "string", "enum": ["Default", "Custom"]},
        "transferToBot": STRING,
        "enabled": BOOLEAN,
        "transferBotTriggerCondition": STRING,
        "transferBotExamples": STRINGS,
    },
)

# The seven details DTOs by action type, for the `oneOf` below and for a test to name which one matched.
DETAILS: dict[str, dict[str, Any]] = {
    "triggerWorkflow": TRIGGER_WORKFLOW,
    "updateContactField": UPDATE_CONTACT_FIELD,
    "appointmentBooking": APPOINTMENT_BOOKING,
    "stopBot": STOP_BOT,
    "humanHandOver": HUMAN_HAND_OVER,
    "advancedFollowup": ADVANCED_FOLLOWUP,
    "transferBot": TRANSFER_BOT,
}

# #/components/schemas/ActionDataDTO (`details`: #/components/schemas/ActionDataDTO/properties/details/oneOf)
ACTION_DATA = _object(
    ["id", "name", "type", "details"],
    {
        "id": STRING,
        "agentId": STRING,
        "name": STRING,
        "type": ACTION_TYPE,
        "details": {"oneOf": list(DETAILS.values())},
    },
)

# #/components/schemas/createActionResponseDTO, #/components/schemas/fetchActionDetailsResponseDTO and
# #/components/schemas/updateActionResponseDTO (also the answer of update-followup-settings): one shape
ACTION_ENVELOPE = _object(["data", "success"], {"data": ACTION_DATA, "success": BOOLEAN})

# #/components/schemas/fetchActionsForEmployeeResponseDTO
ACTIONS_LIST = _object(["data", "success"], {"data": {"type": "array", "items": ACTION_DATA}, "success": BOOLEAN})

# #/components/schemas/deleteActionResponseDTO (`data`: #/components/schemas/DeleteActionDataDTO)
DELETE_ACTION = _object(["data", "success"], {"data": _object(["id"], {"id": STRING}), "success": BOOLEAN})

# #/components/schemas/FetchAIResponseDetailsResponseDTO
GENERATION = _object(
    ["prompt", "responseMessage", "actionLogs", "history"],
    {
        "prompt": STRING,
        "responseMessage": STRING,
        "actionLogs": {"type": "array"},
        "history": {"type": "array"},
        "intent": STRING,
        "faqs": {"type": "array"},
        "website": {"type": "array"},
        "agentId": STRING,
        "input": STRING,
        "mode": STRING,
    },
)

# common/common-schemas.json (read through the fork kleegr/kleegr-api-docs): the error answers every operation
# documents. None has a `required` list; the types are what an answer may not break.
COMMON = "https://github.com/GoHighLevel/highlevel-api-docs/blob/main/common/common-schemas.json"
# #/components/schemas/BadRequestDTO
BAD_REQUEST = _object([], {"statusCode": NUMBER, "message": STRING})
# #/components/schemas/UnauthorizedDTO
UNAUTHORIZED = _object([], {"statusCode": NUMBER, "message": STRING, "error": STRING})
# #/components/schemas/UnprocessableDTO
UNPROCESSABLE = _object([], {"statusCode": NUMBER, "message": STRINGS, "error": STRING})
ERRORS = {400: BAD_REQUEST, 401: UNAUTHORIZED, 422: UNPROCESSABLE}
