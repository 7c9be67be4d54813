"""What makes the omni-inbox answer each non-2xx response its spec documents (`ApiBinding.failure_sources`):
`"<operationId> <status>"`, or `"* <status>"` for what every operation documenting that status answers the same
way; an operation's own key, where it has one, says more than the `*` one (its other causes, or the only ones).

Every sentence is what this mock does (tests/apis/omniinbox/test_qa_failures.py sends a request for a handful of
them and checks the status and the Feathers error body): an input, a built-in scenario, a fault kind, or a state
effect. The pages document no failure that arrives after a send was accepted; `whatsapp_delivery: failed`
(scenario `whatsapp-fails`) is convomock's, and shows as a message's `status`, not as a response, so it is not here.
"""

from __future__ import annotations

from collections.abc import Mapping

from mock_server.apis.omniinbox.wire import CHANNELS

__all__ = ["FAILURE_SOURCES"]

_ID_CHANNELS = ("Whatsapp", "Instagram", "Messenger", "Webchat")  # messages with a Mongo `_id`
_NUMBERED = ("Sms", "Playground")
# The reference data a client reads by id: operationId suffix -> what the id names
_BY_ID = {
    "Conversation": "conversation",
    "PredefinedMessage": "predefined message",
    "Contact": "contact",
    "Pipeline": "pipeline",
    "PipelineStage": "pipeline stage",
    "Tag": "tag",
    "ConversationView": "saved view",
    "AiAssistant": "AI assistant",
    "Automation": "automation",
}
_UNKNOWN_ID = "an id no {} of the caller's organizations has (`999999`)"
_UNKNOWN_CONVERSATION = "a `conversation_id` that is not a conversation of the caller's organizations (`999999`)"

_EVERY: dict[str, str] = {
    "* 400": "a query, path id or body that fails the operation's schema (`validation failed` with Ajv errors in"
    " `data`), such as `?organization_id=abc`",
    "* 401": "no credential, an unknown or revoked `x-api-key`, a bad, expired or logged-out JWT, or scenario"
    " `token-revoked`",
    "* 403": "an `organization_id` the caller is not a member of (`?organization_id=27` with acme's key)",
    "* 429": "scenario `rate-limited`, or scenario `real-limits` past 1000 requests an hour per organization",
    "* default": "scenario `vendor-down` (503 Unavailable), or a fault rule of kind `server_error` (500"
    " GeneralError) or `bad_gateway` (502 BadGateway)",
}

_OWN: dict[str, str] = {
    "createAuthentication 400": 'a body field of the wrong type (`{"strategy": 1}`: `validation failed`)',
    "createAuthentication 401": "a wrong email or password, no `strategy`, an unknown strategy, a bad `accessToken`,"
    " or scenario `token-revoked`",
    "removeAuthentication 401": "an API key instead of a JWT (nothing to log out), no credential, a bad or"
    " logged-out JWT, or scenario `token-revoked`",
    "findConversations 400": "no `organization_id` in the query (it is required), a field or operator the"
    " conversations do not have, or a value of the wrong type",
    "patchConversation 400": "a field that is not patchable, a user who is not a member, an unknown AI assistant,"
    " pipeline or stage, or a stage outside the pipeline",
    "removeConversation 403": "a member who is neither owner nor admin deleting (user 790 Sam Agent), or an"
    " `organization_id` the caller is not a member of",
    "createConversationsBulkAction 400": "not exactly one of `conversation_ids`, `view_id` or `filter`, or a value"
    " the patch refuses (an assignee who is not a member)",
    "createConversationsBulkAction 403": "a `filter.organization_id` or `organization_id` the caller is not a"
    " member of",
    "createConversationsBulkAction 404": "a `view_id` that is not a saved view of the organization (`9999`)",
    "createWhatsappOutgoing 400": "a conversation of another channel, an unknown template or template language, an"
    " unknown `conversation_file_id`, or a text without `message_text`",
    "createWhatsappOutgoing 422": "text or media to a conversation whose 24-hour window is closed (conversation"
    " 1002, or scenario `window-expired`: state effect `messaging_window: closed`)",
    "createS3UrlSigning 400": "a `file_size` over 25 MiB, an empty `file_name`, or a body that fails the schema",
    "createS3UrlSigning 404": _UNKNOWN_CONVERSATION,
    "createConversationFile 400": "an `s3_key` whose bytes were never uploaded, or an `s3_path` or `file_size` that"
    " does not match the upload",
    "createConversationFile 404": f"an uploaded `s3_key` with {_UNKNOWN_CONVERSATION}",
    "createPredefinedMessage 400": "a text item without `content`, or a body that fails the schema (no `title`)",
    "createAutomationExecution 400": "a body that fails the schema (one of the four fields missing)",
    "createAutomationExecution 404": "an `automation_id` or `conversation_id` the organization does not have",
    "createContact 400": "an owner who is not a member, an unknown tag, or a body without `first_name`",
    "getOrganization 404": "an organization the caller does not belong to (`27` with acme's key)",
    "getUser 404": "a user who shares none of the caller's organizations (`46` with acme's key)",
}


def _by_id() -> dict[str, str]:
    sources: dict[str, str] = {}
    for channel in (c.capitalize() for c in CHANNELS):
        sources[f"find{channel}Messages 400"] = "no `conversation_id` in the query (it is required), or a field or"
        sources[f"find{channel}Messages 400"] += " operator the messages do not have"
        what = "an `_id` that names no message of the caller's organizations" if channel in _ID_CHANNELS else None
        for method in ("get", "remove"):
            sources[f"{method}{channel}Message 404"] = what or _UNKNOWN_ID.format("message")
        if channel in _NUMBERED:
            sources[f"create{channel}Message 404"] = _UNKNOWN_CONVERSATION
        else:
            sources[f"create{channel}Outgoing 404"] = _UNKNOWN_CONVERSATION
    for suffix, noun in _BY_ID.items():
        methods = ("get", "patch", "remove") if suffix in ("Conversation", "PredefinedMessage") else ("get",)
        for method in methods:
            sources[f"{method}{suffix} 404"] = _UNKNOWN_ID.format(noun)
    return sources


FAILURE_SOURCES: Mapping[str, str] = {**_EVERY, **_by_id(), **_OWN}
