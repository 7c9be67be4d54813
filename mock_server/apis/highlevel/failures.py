"""What makes the mock answer each non-2xx response `specs/highlevel.yaml` documents (`ApiBinding.failure_sources`):
"<operationId> <status>", or "* <status>" for one every operation answers the same way, to one sentence naming
the scenario, fault rule or input that produces it. Every error body is NestJS's `{statusCode, message, error}`."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["FAILURE_SOURCES"]

_HEADER = '`Version` header ("Version header must be one of the following values: …")'
_VERSION = f"or a missing or unsupported {_HEADER}"
_VERSION_ONLY = f"A missing or unsupported {_HEADER}: no other input."
_NO_AGENT = f'An `agentId` that is no agent of the token\'s location ("No Agent found for the id: …"), {_VERSION}.'
_NO_ACTION = (
    'An `agentId` or `actionId` the location does not have ("No Agent found for the id: …" or "No Action found '
    f'for the id: …"), {_VERSION}.'
)
_TOO_LARGE = 'A request body over 1 MiB ("request entity too large").'
_NOT_JSON = 'A request body whose Content-Type is not application/json ("Content-Type must be application/json").'
_BAD_BODY = (
    "A body that fails the spec's schema or is not JSON, one class-validator message per broken rule (\"name should "
    'not be empty").'
)
_BAD_DETAILS = (
    "A body that fails the spec's schema, its `details` rules included (\"details.stopBotExamples must contain at "
    'least 2 elements"), or whose `details.transferToBot` or `transferAgent` is no agent of the location.'
)
_NO_INPUT = (
    "A fault rule with `status: 422` (say `{api: highlevel, error: server_error, status: 422}`) in a scenario of "
    "your own: the operation takes no body and no query, so no input fails its validation (convomock design)."
)

FAILURE_SOURCES: Mapping[str, str] = {
    "* 401": (
        'A missing, malformed or unknown bearer token, or scenario `token-revoked` ("Invalid token: access token is '
        "invalid\"); an agency token, a token without the operation's scope (the read-only token on a write) or "
        'scenario `scope-missing` ("The token is not authorized for this scope.").'
    ),
    "* 429": (
        "Scenario `rate-limited` (Retry-After 30), or scenario `real-limits` past 100 requests in 10 s or 200,000 "
        "a day for one location."
    ),
    "* 500": "A fault rule with `error: server_error` in a scenario of your own (no built-in scenario sends it).",
    "* 503": "Scenario `vendor-down` (Retry-After 30).",
    "create-agent 400": _VERSION_ONLY,
    "create-agent 413": _TOO_LARGE,
    "create-agent 415": _NOT_JSON,
    "create-agent 422": _BAD_BODY,
    "search-agent 400": _VERSION_ONLY,
    "search-agent 422": (
        'A `limit` that is not a number ("limit must be a number conforming to the specified constraints").'
    ),
    "get-agent 400": _NO_AGENT,
    "get-agent 422": _NO_INPUT,
    "update-agent 400": _NO_AGENT,
    "update-agent 413": _TOO_LARGE,
    "update-agent 415": _NOT_JSON,
    "update-agent 422": (
        "A body that fails the spec's schema, also where only the unit already stored breaks a rule (`waitTime: 10` "
        'on an agent that waits in minutes: "waitTime must not be greater than 5 when waitTimeUnit is minutes").'
    ),
    "delete-agent 400": _NO_AGENT,
    "delete-agent 422": _NO_INPUT,
    "create-action 400": _NO_AGENT,
    "create-action 413": _TOO_LARGE,
    "create-action 415": _NOT_JSON,
    "create-action 422": _BAD_DETAILS,
    "list-actions 400": _NO_AGENT,
    "list-actions 422": _NO_INPUT,
    "get-action-by-id 400": _NO_ACTION,
    "get-action-by-id 422": _NO_INPUT,
    "update-action 400": _NO_ACTION,
    "update-action 413": _TOO_LARGE,
    "update-action 415": _NOT_JSON,
    "update-action 422": _BAD_DETAILS,
    "delete-action 400": _NO_ACTION,
    "delete-action 422": _NO_INPUT,
    "update-followup-settings 400": (
        "An unknown `agentId`, or an `actionIds` entry that is not one of that agent's advancedFollowup actions "
        f'("No Action found for the id: …"), {_VERSION}.'
    ),
    "update-followup-settings 413": _TOO_LARGE,
    "update-followup-settings 415": _NOT_JSON,
    "update-followup-settings 422": 'A body that fails the spec\'s schema ("actionIds should not be empty").',
    "get-generation-details 400": (
        f'A `messageId` with no generation from that `source` ("No generation found for the messageId: …"), {_VERSION}.'
    ),
    "get-generation-details 422": (
        "A missing `messageId` or `source`, or a `source` other than conversation or workflow."
    ),
}
