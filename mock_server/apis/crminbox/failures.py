"""What makes the CRM inbox mock send each non-2xx answer its spec documents (`ApiBinding.failure_sources`):
`"<operationId> <status>"`, or `"* <status>"` for a status every operation answers the same way, mapped to the
scenario, fault kind, state effect or input that produces it. tests/apis/crminbox/test_qa_failures.py checks that
every documented answer has a row, and sends a handful of them.

The bodies are FastAPI's (`{"detail": "..."}`, a list of pydantic issues for 422; convomock design, errors.py).
Iron's pages document no rate limit and no server failure, so 429, 500 and 503 come only from fault rules.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["FAILURE_SOURCES"]

# The operations a staff member calls: a bearer token, then the acting org (`X-Org-Id`).
_STAFF = (
    "listConversations",
    "getConversation",
    "listConversationMessages",
    "sendConversationMessage",
    "uploadConversationMedia",
    "openContactConversation",
    "starConversation",
    "unstarConversation",
    "markConversationRead",
    "markConversationUnread",
    "assignConversation",
    "archiveConversation",
    "listConversationViews",
    "saveConversationViews",
    "getConversationViewCounts",
    "getConversationSla",
    "getOverdueConversationCount",
    "sendSuggestion",
    "dismissSuggestion",
    "listSetterQueue",
    "getSetterQueueCounts",
    "claimNextSetterAssignment",
    "getSetterStats",
    "getSetterLeaderboard",
    "getSetterAssignment",
    "claimSetterAssignment",
    "releaseSetterAssignment",
    "dispositionSetterAssignment",
    "assignSetterAssignment",
    "getSetterConfig",
    "saveSetterConfig",
    "getVoiceAgentConfig",
    "saveVoiceAgentConfig",
    "createImpersonation",
)
# The operations with a JSON request body (413 past 1 MiB, 415 for another content type).
_JSON_BODY = (
    "sendConversationMessage",
    "openContactConversation",
    "assignConversation",
    "archiveConversation",
    "saveConversationViews",
    "dispositionSetterAssignment",
    "assignSetterAssignment",
    "saveSetterConfig",
    "saveVoiceAgentConfig",
    "createImpersonation",
    "receiveInboundSms",
)
_CONVERSATION_404 = "a `conversation_id` that neither the acting org nor its direct subaccounts hold"
_CONVERSATION_422 = "a `conversation_id` that is not a uuid"
_ASSIGNMENT_404 = "an `assignment_id` the acting org's setter queue does not hold"
_ASSIGNMENT_422 = "an `assignment_id` that is not a uuid"
_SUGGESTION_404 = "an unknown conversation, or an `activity_id` that is not one of its setter drafts"
_SUGGESTION_409 = "a draft no longer pending (already sent, dismissed or superseded)"
_SUGGESTION_422 = "a `conversation_id` or `activity_id` that is not a uuid"

_SPECIFIC: dict[str, str] = {
    # 403 beyond membership: the caller's role, or the org an impersonation aims at
    "releaseSetterAssignment 403": (
        "a non-member `X-Org-Id`, or a plain member (neither owner nor admin) releasing another member's claim"
    ),
    "saveSetterConfig 403": "a non-member `X-Org-Id`, or a plain member (neither owner nor admin) saving it",
    "saveVoiceAgentConfig 403": "a non-member `X-Org-Id`, or a plain member (neither owner nor admin) saving it",
    "createImpersonation 403": (
        "a caller who is not owner or admin of the acting org, or an `org_id` that is neither it nor a direct subaccount"
    ),
    # 404: an id the acting org does not see
    "getConversation 404": _CONVERSATION_404,
    "listConversationMessages 404": _CONVERSATION_404,
    "sendConversationMessage 404": "an unknown `conversation_id`, or a `media_ids` entry the org never uploaded",
    "openContactConversation 404": "a `contact_id` that neither the acting org nor its direct subaccounts hold",
    "starConversation 404": _CONVERSATION_404,
    "unstarConversation 404": _CONVERSATION_404,
    "markConversationRead 404": _CONVERSATION_404,
    "markConversationUnread 404": _CONVERSATION_404,
    "assignConversation 404": _CONVERSATION_404,
    "archiveConversation 404": _CONVERSATION_404,
    "sendSuggestion 404": _SUGGESTION_404,
    "dismissSuggestion 404": _SUGGESTION_404,
    "getSetterAssignment 404": _ASSIGNMENT_404,
    "claimSetterAssignment 404": _ASSIGNMENT_404,
    "releaseSetterAssignment 404": _ASSIGNMENT_404,
    "dispositionSetterAssignment 404": _ASSIGNMENT_404,
    "assignSetterAssignment 404": _ASSIGNMENT_404,
    "createImpersonation 404": "an `org_id` that names no organisation",
    "receiveInboundSms 404": "an `org_id` in the body that names no organisation",
    # 409: a record no longer in the state the request needs
    "sendSuggestion 409": _SUGGESTION_409,
    "dismissSuggestion 409": _SUGGESTION_409,
    "claimSetterAssignment 409": "an assignment another member claimed, or a completed one",
    "releaseSetterAssignment 409": "an assignment nobody claimed, or a completed one",
    "dispositionSetterAssignment 409": "an assignment the caller has not claimed, or a completed one",
    "assignSetterAssignment 409": "a completed assignment",
    # 413 / 415 of the upload (multipart, 10 MiB)
    "uploadConversationMedia 413": "a file over 10 MiB",
    "uploadConversationMedia 415": "a body that is not `multipart/form-data`",
    # 422: what fails the schema (pydantic's issue list), or a rule raised as a `value_error`
    "listConversations 422": "a query value that fails the schema (e.g. `limit=0`, `scope=everyone`)",
    "getConversation 422": _CONVERSATION_422,
    "listConversationMessages 422": "a `conversation_id` that is not a uuid, or a `limit` outside 1..100",
    "sendConversationMessage 422": "a body that fails the schema, or a channel the contact has no phone or email for",
    "uploadConversationMedia 422": "a multipart body without its `file` part",
    "openContactConversation 422": "a `contact_id` that is not a uuid, or a body that fails the schema",
    "starConversation 422": _CONVERSATION_422,
    "unstarConversation 422": _CONVERSATION_422,
    "markConversationRead 422": _CONVERSATION_422,
    "markConversationUnread 422": _CONVERSATION_422,
    "assignConversation 422": "an `assigned_to` who is not a member of the org, or a body that fails the schema",
    "archiveConversation 422": "a body without a boolean `archived`",
    "saveConversationViews 422": (
        "a views list that drops or changes a system view, repeats a name or names an unknown view id"
    ),
    "sendSuggestion 422": _SUGGESTION_422,
    "dismissSuggestion 422": _SUGGESTION_422,
    "listSetterQueue 422": "a query value that fails the schema (e.g. `state=lost`, `limit=0`)",
    "getSetterAssignment 422": _ASSIGNMENT_422,
    "claimSetterAssignment 422": _ASSIGNMENT_422,
    "releaseSetterAssignment 422": _ASSIGNMENT_422,
    "dispositionSetterAssignment 422": (
        "an unknown `outcome`, or a `follow_up_at` that is not a future instant given with `follow_up`"
    ),
    "assignSetterAssignment 422": "an `assigned_to` who is not a member of the org, or a body that fails the schema",
    "saveSetterConfig 422": "a body that fails the schema, `response_mode: autopilot` while gated off, or an unknown zone",
    "saveVoiceAgentConfig 422": 'a body that fails the schema (e.g. `enabled: "yes"`)',
    "createImpersonation 422": "a body without a uuid `org_id`",
    "receiveInboundSms 422": "a body that fails the schema (e.g. no `provider_message_id`, or a `from` not a phone)",
    # the webhook seams' own credential
    "receiveInboundSms 401": "a missing or wrong `X-Iron-CRM-Secret`",
    "receiveInboundEmail 401": "neither a right `X-Iron-CRM-Secret` nor a known installation `?token=`",
    "receiveInboundEmail 413": "a body over 1 MiB (anything smaller is taken, or parked as a dead letter)",
}

FAILURE_SOURCES: Mapping[str, str] = {
    **{f"{op} 400": "an `X-Org-Id` header that is not a uuid (e.g. `X-Org-Id: acme`)" for op in _STAFF},
    **{
        f"{op} 401": "no bearer token, or an invalid or expired one; scenario `token-revoked` for every call"
        for op in _STAFF
    },
    **{f"{op} 403": "an `X-Org-Id` of an org the caller is not a member of, existing or not" for op in _STAFF},
    **{f"{op} 413": "a JSON body over 1 MiB" for op in _JSON_BODY},
    **{f"{op} 415": "a body whose Content-Type is not `application/json`" for op in _JSON_BODY},
    **_SPECIFIC,
    "* 429": "scenario `rate-limited` (Iron documents no rate limit; `real-limits` adds none)",
    "* 500": "a fault rule with `error: server_error` (no built-in scenario sends it)",
    "* 503": "scenario `vendor-down`",
}
