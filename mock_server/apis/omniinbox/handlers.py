"""AchieveApex's Feathers service methods, one handler per operationId (the design's section 4): each resolves
the caller and the organizations it may reach, reads the validated input, calls state operations and answers the
record or the page. The six message services and the four outgoing transforms share one handler each, bound to
their channel; the plain finds and gets of the organization's reference data share one each, bound to a collection.

Organization rules, for every operation: an `organization_id` the query or the body names must be one of the
caller's (else 403, naming nothing of it); a record by id must be in one of them (else 404, as if it did not exist);
a create without `organization_id` goes to the caller's one organization, or is a 400 when it has several.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_server.apis.omniinbox import automations, delivery, state
from mock_server.apis.omniinbox.auth import issue_token, verify_token
from mock_server.apis.omniinbox.errors import BadRequest, Forbidden, NotAuthenticated, not_found
from mock_server.apis.omniinbox.state import CHANNELS, OBJECT_ID_CHANNELS, AchieveApexStore, Organization, Record
from mock_server.apis.omniinbox.wire import (
    FINDERS,
    MESSAGES,
    ORGANIZATIONS,
    USERS,
    conversation_filter,
    named_organizations,
    page,
    parse,
    require,
    user_json,
)
from mock_server.engine.types import Call, Handler

__all__ = ["HANDLERS"]


@dataclass(frozen=True)
class Who:
    """The caller: the acting user, the organizations the credential reaches, and those this request names."""

    user: Record
    organizations: tuple[int, ...]
    named: tuple[int, ...] | None  # the query's organization_id (each one checked), None when it names none
    scopes: frozenset[str]

    @property
    def user_id(self) -> int:
        return int(self.user["id"])

    @property
    def scope(self) -> tuple[int, ...]:
        return self.named if self.named is not None else self.organizations

    def member_of(self, organization_id: Any) -> int:
        """The organization, if the caller may act in it; 403 otherwise (also for one that does not exist)."""
        if isinstance(organization_id, bool) or not isinstance(organization_id, int):
            raise BadRequest("organization_id must be a number")
        if organization_id not in self.organizations:
            raise Forbidden(organization_id=organization_id)
        return organization_id

    def role(self, org: Organization) -> str | None:
        role: str | None = self.user["memberships"].get(str(org.id))
        return role


def _store(call: Call) -> AchieveApexStore:
    store: AchieveApexStore = call.store
    return store


def _who(call: Call, query: Mapping[str, Any] | None = None) -> Who:
    store = _store(call)
    principal = call.principal
    user = store.users[principal.label.removeprefix("user:")]
    if principal.key.startswith("org:"):
        reach: tuple[int, ...] = (int(principal.key.removeprefix("org:")),)
    else:
        reach = tuple(int(o) for o in user["memberships"] if o in store.organizations)
    named = named_organizations(parse(call.input.raw_query) if query is None else query)
    who = Who(user, reach, tuple(named) if named else None, principal.scopes)
    for organization_id in who.named or ():
        who.member_of(organization_id)
    return who


def _orgs(call: Call, who: Who) -> list[Organization]:
    store = _store(call)
    return [store.organization(o) for o in who.scope if str(o) in store.organizations]


def _target(call: Call, who: Who, body_org: Any = None) -> Organization:
    """Where a create goes: the body's organization, else the one the query names, else the caller's only one."""
    if body_org is not None:
        return _store(call).organization(who.member_of(body_org))
    if len(who.scope) == 1:
        return _store(call).organization(who.scope[0])
    raise BadRequest("organization_id is required")


def _record_id(call: Call) -> Any:
    return call.path.get("id", next(iter(call.path.values()), None))


def _live(records: Iterable[Record]) -> list[Record]:
    return [r for r in records if r.get("deleted_at") is None]


def _locate(call: Call, collection: str) -> tuple[Who, Organization, Record]:
    who = _who(call)
    org, record = _store(call).locate(who.scope, collection, _record_id(call))
    return who, org, record


# -- authentication ------------------------------------------------------------------------------------------------


def _auth_result(token: str, strategy: str, user: Record) -> Record:
    return {
        "accessToken": token,
        "authentication": {"strategy": strategy},
        "user": {
            "id": user["id"],
            "email": user["email"],
            "name": user["name"],
            "avatar": user["avatar"],
            "createdAt": user["created_at"],
            "updatedAt": user["updated_at"],
        },
    }


def create_authentication(call: Call) -> Any:
    store = _store(call)
    body = call.body or {}
    strategy = body.get("strategy")
    if not strategy:
        raise NotAuthenticated("Invalid authentication information (no `strategy` set)")
    if strategy == "jwt":
        token = str(body.get("accessToken") or "")
        if not token:
            raise NotAuthenticated("Invalid authentication information (no `accessToken` set)")
        user, _ = verify_token(store, token, call.now)
        return _auth_result(token, "jwt", user)
    if strategy != "local":
        raise NotAuthenticated("Invalid authentication information (strategy not allowed in authStrategies)")
    email = str(body.get("email") or "").lower()
    found = [u for u in store.users.values() if u["email"].lower() == email and u["password"] == body.get("password")]
    if not found:
        raise NotAuthenticated("Invalid login")
    user = found[0]
    return _auth_result(issue_token(store, user["id"], call.now, call.rng.uuid4()), "local", user)


def remove_authentication(call: Call) -> Any:
    """Log-out: the bearer token's result, and the token refused from now on. An API key has nothing to log out."""
    who = _who(call)
    if "strategy:jwt" not in who.scopes:
        raise NotAuthenticated("Not authenticated")
    facts = {s.partition(":")[0]: s.partition(":")[2] for s in who.scopes}
    state.log_out(_store(call), who.user, facts["jti"])
    return _auth_result(facts["token"], "jwt", who.user)


# -- conversations -------------------------------------------------------------------------------------------------


def find_conversations(call: Call) -> Any:
    query = parse(call.input.raw_query)
    require(query, "organization_id")
    who = _who(call, query)
    orgs = _orgs(call, who)
    rest, keep, finder = conversation_filter(_store(call), orgs, _scoped(query))
    return page([c for org in orgs for c in _live(org.conversations.values()) if keep(c)], rest, finder)


def _scoped(query: dict[str, Any]) -> dict[str, Any]:
    """The query without a plain `organization_id`: the organizations searched are already just that one (an
    operator on it, `organization_id[$in]`, stays and filters)."""
    if isinstance(query.get("organization_id"), dict):
        return query
    return {name: value for name, value in query.items() if name != "organization_id"}


def get_conversation(call: Call) -> Any:
    return _locate(call, "conversations")[2]


def patch_conversation(call: Call) -> Any:
    _, org, conversation = _locate(call, "conversations")
    return state.patch_conversation(_store(call), org, conversation, call.body, call.now)


def remove_conversation(call: Call) -> Any:
    who, org, conversation = _locate(call, "conversations")
    return state.remove_conversation(org, conversation, who.role(org), call.now)


_BULK_VALUES = {
    "assign": ("assigned_user_id",),
    "update_status": ("status",),
    "assign_ai_assistant": ("assigned_ai_assistant_id",),
    "move": ("pipeline_id", "pipeline_stage_id"),
}


def create_conversations_bulk_action(call: Call) -> Any:
    body = call.body
    who = _who(call)
    targeting = [name for name in ("conversation_ids", "view_id", "filter") if name in body]
    if len(targeting) != 1:
        raise BadRequest("validation failed", data=[_one_of("exactly one of conversation_ids, view_id or filter")])
    fields = _BULK_VALUES[body["action"]]
    missing = [name for name in fields if name not in body]
    if missing:
        raise BadRequest("validation failed", data=[_one_of(f"must have required property '{missing[0]}'")])
    patch = {name: body[name] for name in fields}
    store = _store(call)
    if "filter" in body:
        if "organization_id" not in body["filter"]:
            raise BadRequest(
                "validation failed", data=[_one_of("filter must have required property 'organization_id'")]
            )
        org = _target(call, who, body["filter"]["organization_id"])
        wanted = {k: v for k, v in body["filter"].items() if k != "organization_id"}
        targets = [c for c in _live(org.conversations.values()) if all(c.get(k) == v for k, v in wanted.items())]
    else:
        org = _target(call, who, body.get("organization_id"))
        if "view_id" in body:
            rest, keep, finder = conversation_filter(store, [org], {"view_id": str(body["view_id"])})
            test = finder.predicate(rest)
            targets = [c for c in _live(org.conversations.values()) if keep(c) and test(c)]
        else:
            found = [org.conversations.get(str(i)) for i in dict.fromkeys(body["conversation_ids"])]
            targets = [c for c in found if c is not None and c["deleted_at"] is None]
    state.check_conversation_patch(store, org, _BLANK, patch)  # the values, even when nothing is targeted
    changed = state.bulk_update(store, [(org, c) for c in sorted(targets, key=lambda c: c["id"])], patch, call.now)
    return {"action": body["action"], "processed_count": len(changed), "conversation_ids": changed}


_BLANK: Record = {name: None for name in state.PATCHABLE}


def _one_of(message: str) -> Record:
    return {"instancePath": "", "keyword": "oneOf", "params": {}, "message": message}


# -- messages ------------------------------------------------------------------------------------------------------


def _find_messages(channel: str) -> Handler:
    def find(call: Call) -> Any:
        query = parse(call.input.raw_query)
        require(query, "conversation_id")
        who = _who(call, query)
        items = [m for org in _orgs(call, who) for m in _live(org.messages[channel].values())]
        return page(items, query, MESSAGES[channel])

    return find


def _get_message(channel: str) -> Handler:
    def get(call: Call) -> Any:
        return _message(call, channel)[1]

    return get


def _message(call: Call, channel: str) -> tuple[Organization, Record]:
    record_id = _record_id(call)
    for org in _orgs(call, _who(call)):
        if str(record_id) in org.messages[channel]:
            return org, org.message(channel, record_id)
    raise not_found(record_id)


def _remove_message(channel: str) -> Handler:
    def remove(call: Call) -> Any:
        return state.soft_remove(_message(call, channel)[1], call.now)

    return remove


def _send(channel: str) -> Handler:
    def create(call: Call) -> Any:
        who = _who(call)
        store = _store(call)
        if channel == "playground":  # the body names the organization [doc]: checked before the conversation
            org = _target(call, who, call.body.get("organization_id"))
            conversation = org.get("conversations", call.body["conversation_id"])
            return state.send_playground(store, org, conversation, call.body, who.user_id, call.now)
        org, conversation = store.locate(who.scope, "conversations", call.body["conversation_id"])
        if channel == "sms":
            return state.send_sms(store, org, conversation, call.body, who.user_id, call.now)
        message = state.send(store, org, conversation, channel, call.body, who.user_id, call.now)
        delivery.after_send(call.jobs, call.clock, org, conversation, message)
        return message

    return create


# -- uploads and files ---------------------------------------------------------------------------------------------


def create_s3_url_signing(call: Call) -> Any:
    who = _who(call)
    body = call.body
    conversation = None
    if body.get("organization_id") is not None:
        org = _target(call, who, body["organization_id"])
        if body.get("conversation_id") is not None:
            conversation = org.get("conversations", body["conversation_id"])
    elif body.get("conversation_id") is not None:
        org, conversation = _store(call).locate(who.scope, "conversations", body["conversation_id"])
    else:
        org = _target(call, who)
    return state.sign_upload(org, body, conversation, who.user_id, call.now, call.base_url)


def create_conversation_file(call: Call) -> Any:
    who = _who(call)
    body = call.body
    if body.get("organization_id") is not None:
        org = _target(call, who, body["organization_id"])
    else:  # the organization whose upload the key is, among the caller's
        held = [o for o in _orgs(call, who) if body["s3_key"] in o.uploads]
        org = held[0] if held else _target(call, who)
    return state.record_file(org, body, who.user_id, call.now, call.base_url)


# -- predefined messages, automations, contacts ----------------------------------------------------------------------


def _find(collection: str) -> Handler:
    def find(call: Call) -> Any:
        query = parse(call.input.raw_query)
        who = _who(call, query)
        search = str(query.pop("searchTerm", "") or "").strip().lower()
        items = [r for org in _orgs(call, who) for r in _live(getattr(org, collection).values())]
        if search and collection == "contacts":
            items = [c for c in items if search in _contact_text(c)]
        query.pop("fastJoinForContactList", None)  # the app's join flag [doc]: the list is the same here
        return page(items, query, FINDERS[collection])

    return find


def _contact_text(contact: Record) -> str:
    parts = [contact.get(k) or "" for k in ("first_name", "last_name", "email", "phone")]
    return " ".join([*parts, f"{parts[0]} {parts[1]}"]).lower()


def _get(collection: str) -> Handler:
    def get(call: Call) -> Any:
        return _locate(call, collection)[2]

    return get


def create_predefined_message(call: Call) -> Any:
    who = _who(call)
    org = _target(call, who, call.body.get("organization_id"))
    return state.create_predefined(_store(call), org, call.body, who.user_id, call.now)


def patch_predefined_message(call: Call) -> Any:
    return state.patch_predefined(_locate(call, "predefined")[2], call.body, call.now)


def remove_predefined_message(call: Call) -> Any:
    return state.soft_remove(_locate(call, "predefined")[2], call.now)


def create_automation_execution(call: Call) -> Any:
    who = _who(call)
    body = call.body
    org = _target(call, who, body.get("organization_id"))
    automation = org.get("automations", body["automation_id"])
    conversation = org.get("conversations", body["conversation_id"])
    store = _store(call)
    sent: list[Record] = []
    payload = body["initial_payload"]
    execution = automations.run(store, org, automation, conversation, payload, who.user_id, call.now, sent)
    for message in sent:
        delivery.after_send(call.jobs, call.clock, org, conversation, message)
    return execution


def create_contact(call: Call) -> Any:
    who = _who(call)
    org = _target(call, who, call.body.get("organization_id"))
    return state.create_contact(_store(call), org, call.body, who.user_id, call.now)


# -- organizations and users ---------------------------------------------------------------------------------------


def find_organizations(call: Call) -> Any:
    query = parse(call.input.raw_query)
    who = _who(call, query)
    search = str(query.pop("searchTerm", "") or "").strip().lower()
    query.pop("organization_id", None)
    items = [org.record for org in _orgs(call, who) if search in org.record["name"].lower()]
    return page(items, query, ORGANIZATIONS)


def get_organization(call: Call) -> Any:
    who = _who(call)
    record_id = _record_id(call)
    org = _store(call).organizations.get(str(record_id))
    if org is None or org.id not in who.scope:
        raise not_found(record_id)
    return org.record


def _users(call: Call, who: Who, asked: int | None) -> list[Record]:
    visible = who.scope
    return [
        user_json(u, visible, asked)
        for u in _store(call).users.values()
        if any(int(o) in visible for o in u["memberships"])
    ]


def find_users(call: Call) -> Any:
    query = parse(call.input.raw_query)
    who = _who(call, query)
    query.pop("organization_id", None)
    asked = who.named[0] if who.named and len(who.named) == 1 else None
    return page(_users(call, who, asked), query, USERS)


def get_user(call: Call) -> Any:
    who = _who(call)
    record_id = str(_record_id(call))
    found = next((u for u in _users(call, who, None) if str(u["id"]) == record_id), None)
    if found is None:
        raise not_found(record_id)
    return found


def _cap(channel: str) -> str:
    return channel.capitalize()


HANDLERS: Mapping[str, Handler] = {
    "createAuthentication": create_authentication,
    "removeAuthentication": remove_authentication,
    "findConversations": find_conversations,
    "getConversation": get_conversation,
    "patchConversation": patch_conversation,
    "removeConversation": remove_conversation,
    "createConversationsBulkAction": create_conversations_bulk_action,
    **{f"find{_cap(c)}Messages": _find_messages(c) for c in CHANNELS},
    **{f"get{_cap(c)}Message": _get_message(c) for c in CHANNELS},
    **{f"remove{_cap(c)}Message": _remove_message(c) for c in CHANNELS},
    **{f"create{_cap(c)}Outgoing": _send(c) for c in OBJECT_ID_CHANNELS},
    "createSmsMessage": _send("sms"),
    "createPlaygroundMessage": _send("playground"),
    "createS3UrlSigning": create_s3_url_signing,
    "createConversationFile": create_conversation_file,
    "findPredefinedMessages": _find("predefined"),
    "getPredefinedMessage": _get("predefined"),
    "createPredefinedMessage": create_predefined_message,
    "patchPredefinedMessage": patch_predefined_message,
    "removePredefinedMessage": remove_predefined_message,
    "createAutomationExecution": create_automation_execution,
    "findOrganizations": find_organizations,
    "getOrganization": get_organization,
    "findUsers": find_users,
    "getUser": get_user,
    "findContacts": _find("contacts"),
    "getContact": _get("contacts"),
    "createContact": create_contact,
    "findPipelines": _find("pipelines"),
    "getPipeline": _get("pipelines"),
    "findPipelineStages": _find("stages"),
    "getPipelineStage": _get("stages"),
    "findTags": _find("tags"),
    "getTag": _get("tags"),
    "findConversationViews": _find("views"),
    "getConversationView": _get("views"),
    "findAiAssistants": _find("assistants"),
    "getAiAssistant": _get("assistants"),
    "findAutomations": _find("automations"),
    "getAutomation": _get("automations"),
}
