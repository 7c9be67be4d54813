"""1TO1 AI errors: `{code, message}` with the vendor's stable codes (VENDOR_NOTES B.2), and the one renderer.

Codes and statuses the docs leave open are convomock choices, marked in specs/1to1ai.yaml:
BATCH_LIMIT_EXCEEDED 422, INSUFFICIENT_AI_TOKENS 402, the *_NOT_FOUND family 404.
"""

from __future__ import annotations

from mock_server.engine.errors import (
    InjectedFault,
    InternalError,
    MethodNotAllowed,
    PayloadTooLarge,
    RateLimited,
    RequestInvalid,
    RouteNotFound,
    Unauthenticated,
    UnsupportedMediaType,
    VendorError,
)
from mock_server.engine.types import Rendered

__all__ = [
    "AiEmployeeNotAssigned",
    "AiEmployeeNotFound",
    "BatchLimitExceeded",
    "ContactNotFound",
    "ConversationNotFound",
    "FileNotFound",
    "InsufficientAiTokens",
    "InvalidApiToken",
    "InvalidRequest",
    "LabelNotFound",
    "MailboxNotFound",
    "MessageNotFound",
    "OneToOneError",
    "QuickReplyNotFound",
    "TemplateLanguageRequired",
    "TemplateNotApproved",
    "TemplateNotFound",
    "TokenBusinessMismatch",
    "WindowClosed",
    "render",
]

RATE_LIMIT = 60


class OneToOneError(VendorError):
    status = 400
    code = "INVALID_REQUEST"


class InvalidRequest(OneToOneError):
    message = "The request is invalid."


class InvalidApiToken(OneToOneError):
    status, code = 401, "INVALID_API_TOKEN"
    message = "The API token is missing, malformed or unknown."


class TokenBusinessMismatch(OneToOneError):
    status, code = 403, "TOKEN_BUSINESS_MISMATCH"
    message = "The API token does not belong to the business '{slug}'."


class _NotFound(OneToOneError):
    status = 404


class ConversationNotFound(_NotFound):
    code, message = "CONVERSATION_NOT_FOUND", "No conversation matches {what} in this business."


class ContactNotFound(_NotFound):
    code, message = "CONTACT_NOT_FOUND", "No contact {uuid} in this business."


class AiEmployeeNotFound(_NotFound):
    code, message = "AI_EMPLOYEE_NOT_FOUND", "No AI employee {what} in this business."


class LabelNotFound(_NotFound):
    code, message = "LABEL_NOT_FOUND", "No label {what} in this business."


class MailboxNotFound(_NotFound):
    code, message = "MAILBOX_NOT_FOUND", "No mailbox {what} in this business."


class QuickReplyNotFound(_NotFound):
    code, message = "QUICK_REPLY_NOT_FOUND", "No quick reply {what} in this business."


class TemplateNotFound(_NotFound):
    code, message = "TEMPLATE_NOT_FOUND", "No template {what} in this business."


class FileNotFound(_NotFound):
    code, message = "FILE_NOT_FOUND", "No uploaded file {uuid} in this business."


class MessageNotFound(_NotFound):
    code, message = "MESSAGE_NOT_FOUND", "No message {uuid} in this conversation."


class WindowClosed(OneToOneError):
    status, code = 422, "WINDOW_CLOSED"
    message = (
        "The 24h messaging window of this conversation is closed; only an APPROVED template can be sent "
        "until the customer writes again."
    )


class TemplateNotApproved(OneToOneError):
    status, code = 422, "TEMPLATE_NOT_APPROVED"
    message = "Template {name} ({language}) is {status}; only APPROVED templates can be sent."


class TemplateLanguageRequired(OneToOneError):
    status, code = 422, "TEMPLATE_LANGUAGE_REQUIRED"
    message = "Template {name} exists in several languages ({languages}); send `language`."


class BatchLimitExceeded(OneToOneError):
    status, code = 422, "BATCH_LIMIT_EXCEEDED"
    message = "An action group allows up to 10 actions, of which at most 3 trigger the AI; {detail}."


class InsufficientAiTokens(OneToOneError):
    status, code = 402, "INSUFFICIENT_AI_TOKENS"
    message = "The business has no AI tokens left; the AI cannot run."


class AiEmployeeNotAssigned(OneToOneError):
    """Only ever recorded in the activity log: run_ai without an AI employee on the conversation."""

    status, code = 422, "AI_EMPLOYEE_NOT_ASSIGNED"
    message = "The conversation has no AI employee; name one in the action or assign one first."


def _body(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _rate_limit_headers(
    retry_after: int, reset_epoch: int, limit: int = RATE_LIMIT, remaining: int = 0
) -> dict[str, str]:
    return {
        "Retry-After": str(retry_after),
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset_epoch),
    }


def render(error: Exception) -> Rendered:
    """The only place that knows the 1TO1 AI envelope."""
    if isinstance(error, VendorError):
        return error.status, {}, _body(error.code, error.message)
    if isinstance(error, RequestInvalid):
        # The docs name BATCH_LIMIT_EXCEEDED for "more than 10 actions"; the spec's maxItems says the same thing.
        if error.location == "body" and list(error.pointer) == ["actions"] and error.keyword == "maxItems":
            batch = BatchLimitExceeded(detail="this group has more than 10")
            return batch.status, {}, _body(batch.code, batch.message)
        return 400, {}, _body("INVALID_REQUEST", error.describe())
    if isinstance(error, Unauthenticated):
        return 401, {}, _body("INVALID_API_TOKEN", f"Invalid API token: {error.reason}.")
    if isinstance(error, RateLimited):
        return (
            429,
            _rate_limit_headers(error.retry_after, error.reset_epoch, error.limit, error.remaining),
            _body(
                "RATE_LIMIT_EXCEEDED",
                f"Rate limit of {error.limit} requests per minute exceeded; retry in {error.retry_after}s.",
            ),
        )
    if isinstance(error, InjectedFault):
        return _render_fault(error)
    if isinstance(error, RouteNotFound):
        return 404, {}, _body("NOT_FOUND", "No endpoint at this path.")
    if isinstance(error, MethodNotAllowed):
        return (
            405,
            {"Allow": ", ".join(error.allowed)},
            _body("METHOD_NOT_ALLOWED", f"Method not allowed here; allowed: {', '.join(error.allowed)}."),
        )
    if isinstance(error, PayloadTooLarge):
        return 413, {}, _body("PAYLOAD_TOO_LARGE", f"The request body exceeds {error.limit} bytes.")
    if isinstance(error, UnsupportedMediaType):
        return (
            415,
            {},
            _body(
                "UNSUPPORTED_MEDIA_TYPE",
                f"Content-Type {error.content_type or '(none)'} is not supported; send application/json.",
            ),
        )
    if isinstance(error, InternalError):
        return 500, {}, _body("FETCH_FAILED", str(error) or "Internal error; retry.")
    return 500, {}, _body("FETCH_FAILED", "Internal error; retry.")


def _render_fault(fault: InjectedFault) -> Rendered:
    if fault.kind == "rate_limited":
        retry = fault.retry_after or 60
        return (
            fault.status or 429,
            _rate_limit_headers(retry, 0),
            _body(
                "RATE_LIMIT_EXCEEDED", f"Rate limit of {RATE_LIMIT} requests per minute exceeded; retry in {retry}s."
            ),
        )
    if fault.kind in ("unauthorized", "insufficient_scope"):  # 1TO1 AI keys have no scopes: a refused key
        return fault.status or 401, {}, _body("INVALID_API_TOKEN", "The API token has been revoked.")
    if fault.kind == "bad_gateway":
        return (
            fault.status or 502,
            {},
            _body("SEND_FAILED", "Meta rejected the send; the message was stored as failed."),
        )
    if fault.kind == "unavailable":
        return (
            fault.status or 503,
            {"Retry-After": str(fault.retry_after or 30)},
            _body("SERVICE_UNAVAILABLE", "The service is temporarily unavailable; retry later."),
        )
    return fault.status or 500, {}, _body("FETCH_FAILED", "Server error while reading data; retry.")
