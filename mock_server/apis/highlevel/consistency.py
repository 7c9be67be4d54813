"""What a restored HighLevel store must hold together (`ApiBinding.check_state`): an agent's actions and knowledge
bases, a thread's contact, a message's thread all exist, so no answer fails on a lookup."""

from __future__ import annotations

from mock_server.apis.highlevel.state import HighLevelStore
from mock_server.engine.consistency import StateCheck

__all__ = ["check_state"]


def check_state(store: HighLevelStore) -> list[str]:
    check = StateCheck()
    check.keyed("locations", store.locations, lambda location: location.id)
    for token in store.tokens:
        check.refers(f"token {token.name!r}", token.location_id, store.locations, "location")
    for location_id, location in store.locations.items():
        at = f"location {location_id}"
        check.keyed(f"{at}: agents", location.agents, lambda agent: agent.id)
        check.keyed(f"{at}: actions", location.actions, lambda action: action.id)
        check.keyed(f"{at}: knowledge bases", location.knowledge_bases, lambda base: base.id)
        check.keyed(f"{at}: contacts", location.contacts, lambda contact: contact.id)
        check.keyed(f"{at}: conversations", location.conversations, lambda conversation: conversation.id)
        for agent_id, agent in location.agents.items():
            where = f"{at}: agent {agent_id}"
            check.refers(where, agent.location_id, {location_id}, "location")
            for action_id in agent.action_ids:
                check.refers(where, action_id, location.actions, "action")
            for base_id in agent.knowledge_base_ids:
                check.refers(where, base_id, location.knowledge_bases, "knowledge base")
        for action_id, action in location.actions.items():
            check.refers(f"{at}: action {action_id}", action.agent_id, location.agents, "agent")
        for conversation_id, conversation in location.conversations.items():
            where = f"{at}: conversation {conversation_id}"
            check.refers(where, conversation.contact_id, location.contacts, "contact")
            for message in conversation.messages:
                check.refers(
                    f"{where}: message {message.id}", message.conversation_id, {conversation_id}, "conversation"
                )
    return check.problems
