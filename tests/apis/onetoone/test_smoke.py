from __future__ import annotations

from tests.support.onetoone import DOC_CONVERSATION, OneToOneClient


def test_doc_example_conversation_is_seeded(api: OneToOneClient) -> None:
    body = api.conversation()
    assert body["uuid"] == DOC_CONVERSATION
    assert body["contact"]["phone"] == "+5215512345678"
    assert [t["name"] for t in body["tags"]] == ["VIP"]
    assert body["ai_employee"]["name"] == "Sales Agent"
