"""What a restored omni-inbox store must hold together (`ApiBinding.check_state`): records are free-form JSON
here, so a thread's contact, pipeline and stage and a message's thread are checked by their ids (held as numbers,
filed under their text)."""

from __future__ import annotations

from typing import Any

from mock_server.apis.omniinbox.state import AchieveApexStore
from mock_server.engine.consistency import StateCheck

__all__ = ["check_state"]


def _key(value: Any) -> Any:
    """How a record's id is filed: as text (None stays None: no reference)."""
    return (
        None
        if value is None
        else str(value)
        if isinstance(value, (int, str)) and not isinstance(value, bool)
        else value
    )


def check_state(store: AchieveApexStore) -> list[str]:
    check = StateCheck()
    check.keyed("organizations", store.organizations, lambda organization: str(organization.id))
    for user_id, token in store.tokens.items():
        check.refers(f"token {user_id[:12]}...", token, store.users, "user")
    for org_id, org in store.organizations.items():
        at = f"organization {org_id}"
        for collection in ("contacts", "pipelines", "stages", "conversations"):
            check.keyed(f"{at}: {collection}", getattr(org, collection), lambda record: _key(record.get("id")))
        for conversation_id, conversation in org.conversations.items():
            where = f"{at}: conversation {conversation_id}"
            check.refers(where, _key(conversation.get("contact_id")), org.contacts, "contact")
            check.refers(where, _key(conversation.get("pipeline_id")), org.pipelines, "pipeline")
            check.refers(where, _key(conversation.get("pipeline_stage_id")), org.stages, "pipeline stage")
        for stage_id, stage in org.stages.items():
            check.refers(f"{at}: stage {stage_id}", _key(stage.get("pipeline_id")), org.pipelines, "pipeline")
        for channel, messages in org.messages.items():
            for message_id, message in messages.items():
                where = f"{at}: {channel} message {message_id}"
                check.refers(where, _key(message.get("conversation_id")), org.conversations, "conversation")
    return check.problems
