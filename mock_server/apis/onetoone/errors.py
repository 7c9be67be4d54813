"""1TO1 AI errors: `{code, message}` with the vendor's stable codes (VENDOR_NOTES B.2), and the one renderer.

Codes and statuses the docs leave open are convomock choices, marked in specs/1to1ai.yaml:
BATCH_LIMIT_EXCEEDED 422, INSUFFICIENT_AI_TOKENS 402, the *_NOT_FOUND family 404, INVALID_REQUEST for a file
not confirmed yet.
"""

from __future__ import annotations

from typing import Any

from mock_server.engine.errors import ErrorStyle, InjectedFault, Problem, RateLimited, RequestInvalid, VendorError

__all__ = [
    "AiEmployeeNotAssigned",
    "AiEmployeeNotFound",
    "BatchLimitExceeded",
    "ContactNotFound",
    "ConversationNotFound",
    "FileNotConfirmed",
    "FileNotFound",
    "InsufficientAiTokens",
    "InvalidApiToken",
    "InvalidRequest",
    "LabelNotFound",
    "MailboxNotFound",
    "MessageNotFound",
    "OneToOneError",
    "QuickReplyNotFound",
    "SendFailed",
    "TemplateLanguageRequired",
    "TemplateNotApproved",
    "TemplateNotFound",
    "TokenBusinessMismatch",
    "WindowClosed",
    "STYLE",
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


class FileNotConfirmed(InvalidRequest):
    """The docs' error table has no file code; INVALID_REQUEST (400, "the message indicates which field failed")
    is the one that fits (convomock design, marked in the spec)."""

    message = (
        "{field}: file {uuid} is not uploaded and confirmed yet; PUT its bytes to its upload_url, "
        "then POST /files/confirm."
    )


class MessageNotFound(_NotFound):
    code, message = "MESSAGE_NOT_FOUND", "No message {uuid} in this conversation."


class WindowClosed(OneToOneError):
    status, code = 422, "WINDOW_CLOSED"
    message = (
        "The 24h messaging window of this conversation is closed; only an APPROVED template can be sent "
        "until the customer writes again."
    )


class SendFailed(OneToOneError):
    """Meta refused the send: the docs' 502, after which "the message is persisted as failed" (the state operation
    stores it so before raising this)."""

    status, code = 502, "SEND_FAILED"
    message = "Meta rejected the send; the message was stored as failed. Retry it."


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


def _envelope(problem: Problem) -> dict[str, Any]:
    return {"code": problem.code, "message": problem.message}


def _rate_limit_headers(
    retry_after: int, reset_epoch: int, limit: int = RATE_LIMIT, remaining: int = 0
) -> dict[str, str]:
    return {
        "Retry-After": str(retry_after),
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset_epoch),
    }


def _request_invalid(error: RequestInvalid) -> Problem:
    first = error.first
    # The docs name BATCH_LIMIT_EXCEEDED for "more than 10 actions"; the spec's maxItems says the same thing.
    if first.location == "body" and list(first.pointer) == ["actions"] and first.kind == "maxItems":
        batch = BatchLimitExceeded(detail="this group has more than 10")
        return batch.problem()
    return Problem(400, error.describe(), "INVALID_REQUEST")


def _rate_limited(error: RateLimited) -> Problem:
    headers = _rate_limit_headers(error.retry_after, error.reset_epoch, error.limit, error.remaining)
    message = f"Rate limit of {error.limit} requests per minute exceeded; retry in {error.retry_after}s."
    return Problem(429, message, "RATE_LIMIT_EXCEEDED", headers)


def _fault_rate_limited(fault: InjectedFault) -> Problem:
    retry = fault.retry_after or 60
    message = f"Rate limit of {RATE_LIMIT} requests per minute exceeded; retry in {retry}s."
    reset = int(fault.at.timestamp()) + retry if fault.at is not None else 0  # the epoch Retry-After points at
    return Problem(fault.status or 429, message, "RATE_LIMIT_EXCEEDED", _rate_limit_headers(retry, reset))


def _revoked(fault: InjectedFault) -> Problem:  # 1TO1 AI keys have no scopes: either fault is a refused key
    return Problem(fault.status or 401, "The API token has been revoked.", "INVALID_API_TOKEN")


STYLE = ErrorStyle(
    envelope=_envelope,
    wording={
        "request_invalid": _request_invalid,
        "unauthenticated": lambda e: Problem(401, f"Invalid API token: {e.reason}.", "INVALID_API_TOKEN"),
        "rate_limited": _rate_limited,
        "route_not_found": lambda e: Problem(404, "No endpoint at this path.", "NOT_FOUND"),
        "method_not_allowed": lambda e: Problem(
            405,
            f"Method not allowed here; allowed: {', '.join(e.allowed)}.",
            "METHOD_NOT_ALLOWED",
            {"Allow": ", ".join(e.allowed)},
        ),
        "payload_too_large": lambda e: Problem(413, f"The request body exceeds {e.limit} bytes.", "PAYLOAD_TOO_LARGE"),
        "unsupported_media_type": lambda e: Problem(
            415,
            f"Content-Type {e.content_type or '(none)'} is not supported; send application/json.",
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        "internal": lambda e: Problem(500, str(e) or "Internal error; retry.", "FETCH_FAILED"),
        "fault:rate_limited": _fault_rate_limited,
        "fault:unauthorized": _revoked,
        "fault:insufficient_scope": _revoked,
        "fault:server_error": lambda f: Problem(
            f.status or 500, "Server error while reading data; retry.", "FETCH_FAILED"
        ),
        # A fault rule answers before any handler runs, so nothing is stored (the `send_outcome` effect stores it).
        "fault:bad_gateway": lambda f: Problem(f.status or 502, "Meta rejected the send; retry it.", "SEND_FAILED"),
        "fault:unavailable": lambda f: Problem(
            f.status or 503,
            "The service is temporarily unavailable; retry later.",
            "SERVICE_UNAVAILABLE",
            {"Retry-After": str(f.retry_after or 30)},
        ),
    },
)
