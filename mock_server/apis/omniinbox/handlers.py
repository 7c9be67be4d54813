"""Feathers service methods, one handler per operationId; the six message services and the four outgoing
transforms share one handler each, bound to their channel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt

from mock_server.apis.omniinbox import state
from mock_server.apis.omniinbox.auth import AUDIENCE, issue_token
from mock_server.apis.omniinbox.errors import BadRequest, NotAuthenticated
from mock_server.apis.omniinbox.state import CHANNELS, OmniStore, Record, Workspace
from mock_server.apis.omniinbox.wire import Finder, filters_only, page, parse
from mock_server.engine.clock import iso, parse_instant
from mock_server.engine.types import Call, Handler

__all__ = ["HANDLERS"]

_int = int
_TIMES = {name: parse_instant for name in ("createdAt", "updatedAt", "lastMessageAt", "windowExpiresAt")}
CONVERSATIONS = Finder({"unreadCount": _int, **_TIMES}, getters={"contactId": lambda c: c["contact"]["_id"]})
MESSAGES = Finder({"createdAt": parse_instant})
PREDEFINED = Finder({"createdAt": parse_instant, "updatedAt": parse_instant})


def _workspace(call: Call) -> Workspace:
    store: OmniStore = call.store
    return store.workspaces[call.principal.tenant_id]


def _query(call: Call) -> dict[str, Any]:
    return parse(call.input.raw_query)


def create_authentication(call: Call) -> Any:
    store: OmniStore = call.store
    found = store.user_by_email(call.body["email"])
    if found is None or found[1]["password"] != call.body["password"]:
        raise NotAuthenticated("Invalid login")
    workspace, user = found
    token = issue_token(store, user["_id"], call.now, state.object_id(workspace, call.now))
    payload = jwt.decode(
        token, store.jwt_secret, algorithms=["HS256"], audience=AUDIENCE, options={"verify_exp": False}
    )
    return {
        "accessToken": token,
        "authentication": {"strategy": "local", "accessToken": token, "payload": payload},
        "user": {
            "_id": user["_id"],
            "email": user["email"],
            "name": user["name"],
            "workspaceId": workspace.id,
            "role": user["role"],
        },
    }


def _by_id(records: Mapping[str, Record]) -> list[Record]:
    """Unless `$sort` says otherwise, records come in `_id` (creation) order."""
    return [records[key] for key in sorted(records)]


def find_conversations(call: Call) -> Any:
    return page(_by_id(_workspace(call).conversations), _query(call), CONVERSATIONS)


def get_conversation(call: Call) -> Any:
    return _workspace(call).conversation(call.path["id"])


def patch_conversation(call: Call) -> Any:
    workspace = _workspace(call)
    return state.patch_conversation(workspace, workspace.conversation(call.path["id"]), call.body, call.now)


def remove_conversation(call: Call) -> Any:
    workspace = _workspace(call)
    workspace.conversation(call.path["id"])
    return workspace.remove_conversation(call.path["id"])


def _many(call: Call, empty_allowed: bool) -> tuple[Workspace, list[Record]]:
    """`patch(null, …)` / `remove(null, …)`: the query picks the records (a remove needs one)."""
    workspace = _workspace(call)
    query = filters_only(_query(call))
    if not query and not empty_allowed:
        raise BadRequest("A query is required to remove many records at once")
    return workspace, [c for c in _by_id(workspace.conversations) if CONVERSATIONS.matches(c, query)]


def patch_conversations(call: Call) -> Any:
    workspace, found = _many(call, empty_allowed=True)
    for conversation in found:  # check every record before changing any
        state.patch_conversation(workspace, dict(conversation), call.body, call.now)
    now = call.now
    return [state.patch_conversation(workspace, c, call.body, now) for c in found]


def remove_conversations(call: Call) -> Any:
    workspace, found = _many(call, empty_allowed=False)
    return [workspace.remove_conversation(c["_id"]) for c in found]


def create_conversations_bulk_action(call: Call) -> Any:
    workspace = _workspace(call)
    body = call.body
    targets = list(dict.fromkeys(body["ids"])) if "ids" in body else None
    if "query" in body:  # with ids too: the listed ids that also match
        query = filters_only(parse(_flatten(body["query"])))
        matching = [c["_id"] for c in _by_id(workspace.conversations) if CONVERSATIONS.matches(c, query)]
        targets = matching if targets is None else [t for t in targets if t in set(matching)]
    return state.bulk(workspace, body, targets or [], call.now)


def _flatten(query: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """A JSON query object back to qs pairs, so bodies and query strings go through one parser."""
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            pairs += _flatten(value, name)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                pairs += (
                    _flatten(item, f"{name}[{index}]")
                    if isinstance(item, Mapping)
                    else [(f"{name}[{index}]", _text(item))]
                )
        else:
            pairs.append((name, _text(value)))
    return pairs


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _find_messages(channel: str) -> Handler:
    def find(call: Call) -> Any:
        items = [m for m in _by_id(_workspace(call).messages) if m["channel"] == channel]
        return page(items, _query(call), MESSAGES)

    return find


def _get_message(channel: str) -> Handler:
    def get(call: Call) -> Any:
        return _workspace(call).message(call.path["id"], channel)

    return get


def _remove_message(channel: str) -> Handler:
    def remove(call: Call) -> Any:
        workspace = _workspace(call)
        workspace.message(call.path["id"], channel)
        return workspace.messages.pop(call.path["id"])

    return remove


def _send(channel: str) -> Handler:
    def create(call: Call) -> Any:
        return state.send(_workspace(call), channel, call.body, call.principal.key, call.rng, call.now)

    return create


def create_conversation_file(call: Call) -> Any:
    return state.record_file(_workspace(call), call.body, call.rng, call.now, call.base_url)


def create_s3_url_signing(call: Call) -> Any:
    return state.sign_upload(_workspace(call), call.body, call.rng, call.now, call.base_url)


def find_predefined_messages(call: Call) -> Any:
    return page(_by_id(_workspace(call).predefined), _query(call), PREDEFINED)


def get_predefined_message(call: Call) -> Any:
    return _workspace(call).predefined_message(call.path["id"])


def create_predefined_message(call: Call) -> Any:
    workspace = _workspace(call)
    state.check_predefined(workspace, call.body)
    record = {
        "_id": state.object_id(workspace, call.now),
        "workspaceId": workspace.id,
        "title": call.body["title"],
        "text": call.body["text"],
        "shortcut": call.body.get("shortcut"),
        "tags": list(call.body.get("tags", [])),
        "createdAt": iso(call.now),
        "updatedAt": iso(call.now),
    }
    workspace.predefined[record["_id"]] = record
    return record


def patch_predefined_message(call: Call) -> Any:
    workspace = _workspace(call)
    record = workspace.predefined_message(call.path["id"])
    state.check_predefined(workspace, call.body, exclude=record["_id"])
    record.update({k: (list(v) if isinstance(v, list) else v) for k, v in call.body.items()})
    record["updatedAt"] = iso(call.now)
    return record


def remove_predefined_message(call: Call) -> Any:
    workspace = _workspace(call)
    workspace.predefined_message(call.path["id"])
    return workspace.predefined.pop(call.path["id"])


def create_automation_execution(call: Call) -> Any:
    return state.run_automation(_workspace(call), call.body, call.rng, call.now)


def _cap(channel: str) -> str:
    return channel.capitalize()


HANDLERS: Mapping[str, Handler] = {
    "createAuthentication": create_authentication,
    "findConversations": find_conversations,
    "getConversation": get_conversation,
    "patchConversation": patch_conversation,
    "removeConversation": remove_conversation,
    "patchConversations": patch_conversations,
    "removeConversations": remove_conversations,
    "createConversationsBulkAction": create_conversations_bulk_action,
    **{f"find{_cap(c)}Messages": _find_messages(c) for c in CHANNELS},
    **{f"get{_cap(c)}Message": _get_message(c) for c in CHANNELS},
    **{f"remove{_cap(c)}Message": _remove_message(c) for c in CHANNELS},
    **{f"create{_cap(c)}Outgoing": _send(c) for c in ("whatsapp", "instagram", "messenger", "webchat")},
    "createPlaygroundMessage": _send("playground"),
    "createSmsMessage": _send("sms"),
    "createConversationFile": create_conversation_file,
    "createS3UrlSigning": create_s3_url_signing,
    "findPredefinedMessages": find_predefined_messages,
    "getPredefinedMessage": get_predefined_message,
    "createPredefinedMessage": create_predefined_message,
    "patchPredefinedMessage": patch_predefined_message,
    "removePredefinedMessage": remove_predefined_message,
    "createAutomationExecution": create_automation_execution,
}
