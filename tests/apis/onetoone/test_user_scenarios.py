"""A user's own scenarios (issue 18, item 1) on 1TO1 AI, end to end through the control API: a fault rule (every
third text send answers 502 SEND_FAILED) and a state effect with a chosen value (an AI token balance of 25), which
switching off gives back."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from mock_server.server import create_app
from tests.support.onetoone import ACME_TOKEN, DOC_CONVERSATION
from tests.support.scenario_files import FLAKY, TOKENS, scenario_folder

TEXT = "/1to1ai/api/v1/public/acme/conversation/messages/text"


def test_a_users_scenarios_work_beside_the_built_in_ones(tmp_path: Path) -> None:
    folder = scenario_folder(tmp_path, **{"payments-flaky": FLAKY, "tokens-25": TOKENS})
    app = create_app(apis=["1to1ai"], frozen=True, scenario_dirs=[str(folder)])
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        listed = {s["name"] for s in http.get("/__mock/scenarios").json()["scenarios"]}
        assert {"payments-flaky", "tokens-25", "vendor-down"} <= listed
        assert http.post("/__mock/scenarios/tokens-25").status_code == 200
        balances = {c["ai_token_balance"] for c in http.get("/__mock/credentials").json()["1to1ai"]}
        assert balances == {25}
        assert http.delete("/__mock/scenarios/tokens-25").status_code == 200  # gives back what it changed
        assert {c["ai_token_balance"] for c in http.get("/__mock/credentials").json()["1to1ai"]} != {25}
        assert http.post("/__mock/scenarios/payments-flaky").status_code == 200
        auth = {"Authorization": f"Bearer {ACME_TOKEN}"}
        sent = [
            http.post(TEXT, headers=auth, json={"conversation": {"uuid": DOC_CONVERSATION}, "body": f"hola {n}"})
            for n in range(3)
        ]
        assert [r.status_code for r in sent] == [201, 201, 502]
        assert sent[2].json()["code"] == "SEND_FAILED", sent[2].text  # 1TO1 AI's own envelope
