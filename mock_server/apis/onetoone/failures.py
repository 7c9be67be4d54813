"""What makes the mock send each non-2xx answer specs/1to1ai.yaml documents (`ApiBinding.failure_sources`):
"<operationId> <status>" (or "* <status>" for one every operation answers the same way) -> one sentence naming the
scenario, fault kind, state effect or input that produces it. tests/apis/onetoone/test_qa_failures.py checks that
every documented status has its row and sends a handful of them.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["FAILURE_SOURCES"]

_BODY = "a body that fails the schema (a missing or unknown field, an empty `conversation` object)"
_PAGE = "a `limit` outside 1..100 or a `cursor` this endpoint did not issue"
_TOO_LARGE = "a body over 1 MiB (413 PAYLOAD_TOO_LARGE)"
_NOT_JSON = "a body sent with a Content-Type other than application/json (415 UNSUPPORTED_MEDIA_TYPE)"
_NO_CONVERSATION = "a `conversation` whose first identifier matches no conversation of the business"
_SEND_FAILED = (
    "scenario `send-failed` (state effect `send_outcome: failed`): the message is stored failed; a `bad_gateway` "
    "fault rule answers it too, storing nothing"
)
_WINDOW_CLOSED = (
    "a conversation whose 24h window has closed (scenario `window-expired`, effect `messaging_window: closed`)"
)

# Operations whose body is JSON: they document 413 and 415, which the engine answers the same way for each.
_JSON_BODY = (
    "runActionGroup",
    "getConversationStatus",
    "sendTextMessage",
    "sendQuickReply",
    "sendTemplateMessage",
    "resolveConversation",
    "moveConversationToMailbox",
    "requestFileUpload",
    "confirmFileUpload",
)

FAILURE_SOURCES: Mapping[str, str] = {
    "* 401": "no key, an unknown or revoked key (401 INVALID_API_TOKEN), or scenario `token-revoked`",
    "* 403": "a valid key with another business's slug in the path (403 TOKEN_BUSINESS_MISMATCH)",
    "* 429": "scenario `rate-limited`, or over 60 requests a minute per key under scenario `real-limits`",
    "* 500": "a fault rule with `error: server_error` (500 FETCH_FAILED); no built-in scenario has one",
    **{f"{operation} 413": _TOO_LARGE for operation in _JSON_BODY},
    **{f"{operation} 415": _NOT_JSON for operation in _JSON_BODY},
    "getConversation 400": "a path `uuid` that is not a UUID",
    "getConversation 404": "an unknown conversation uuid (404 CONVERSATION_NOT_FOUND)",
    "runActionGroup 400": _BODY + ", or an action with a `file_uuid` not uploaded and confirmed",
    "runActionGroup 402": (
        "an action group with run_ai or ai_assistance under scenario `ai-tokens-empty` (effect `ai_token_balance: 0`)"
    ),
    "runActionGroup 404": (
        _NO_CONVERSATION + ", or an action naming an unknown label, mailbox, AI employee, quick reply, template or file"
    ),
    "runActionGroup 422": (
        "more than 10 actions or more than 3 that trigger the AI (BATCH_LIMIT_EXCEEDED), or a template that is not "
        "APPROVED (TEMPLATE_NOT_APPROVED)"
    ),
    "listConversations 400": _PAGE,
    "listTesterConversations 400": _PAGE,
    "listConversationMessages 400": _PAGE + ", or a path `uuid` that is not a UUID",
    "listConversationMessages 404": "an unknown conversation uuid (404 CONVERSATION_NOT_FOUND)",
    "getContact 400": "a path `uuid` that is not a UUID",
    "getContact 404": "an unknown contact uuid (404 CONTACT_NOT_FOUND)",
    "listTesterContacts 400": _PAGE,
    "getConversationStatus 400": _BODY,
    "getConversationStatus 404": _NO_CONVERSATION,
    "sendTextMessage 400": _BODY + " or a `body` over 4096 characters, or a `file_uuid` not uploaded and confirmed",
    "sendTextMessage 404": _NO_CONVERSATION + ", an unknown `file_uuid` or a `reply_to_uuid` not in the conversation",
    "sendTextMessage 422": _WINDOW_CLOSED + " (422 WINDOW_CLOSED)",
    "sendTextMessage 502": _SEND_FAILED,
    "sendQuickReply 400": _BODY,
    "sendQuickReply 404": _NO_CONVERSATION + ", or an unknown quick reply",
    "sendQuickReply 422": _WINDOW_CLOSED + " (422 WINDOW_CLOSED)",
    "sendQuickReply 502": _SEND_FAILED,
    "sendTemplateMessage 400": _BODY + ", or `body_variables` that do not match the template's variables",
    "sendTemplateMessage 404": _NO_CONVERSATION + ", an unknown template, or an unknown header `file_uuid`",
    "sendTemplateMessage 422": (
        "a template that is not APPROVED (the seeded promo_verano is PENDING), or a name in several languages sent "
        "without `language`"
    ),
    "sendTemplateMessage 502": _SEND_FAILED,
    "getTemplate 400": "a name outside ^[a-zA-Z0-9_]+$ or a language outside ^[a-zA-Z]{2,3}(_[a-zA-Z]{2,3})?$",
    "getTemplate 404": "a name and language the business has no template for (404 TEMPLATE_NOT_FOUND)",
    "resolveConversation 400": _BODY,
    "resolveConversation 404": _NO_CONVERSATION,
    "moveConversationToMailbox 400": _BODY,
    "moveConversationToMailbox 404": _NO_CONVERSATION + ", or an unknown mailbox (MAILBOX_NOT_FOUND)",
    "getScheduledMessage 400": "none of the query parameters uuid, whatsapp_user_id and phone, or a malformed one",
    "getScheduledMessage 404": "a query identifier that matches no conversation (404 CONVERSATION_NOT_FOUND)",
    "requestFileUpload 400": "a `mime_type` outside the docs' list or a `size_bytes` outside 1..104857600",
    "confirmFileUpload 400": "a file whose bytes were not PUT to its upload_url yet, or whose size differs",
    "confirmFileUpload 404": "an unknown `file_uuid` (404 FILE_NOT_FOUND)",
}
