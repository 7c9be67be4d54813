"""The pytest plugin, run the way a user's suite runs it: pytester writes a test file and runs pytest on it, and the
plugin comes in through its `pytest11` entry point (convomock is installed), with no conftest or import."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

HEADER = """
import asyncio
import socket
import urllib.request

import httpx
import pytest

DOC = "550e8400-e29b-41d4-a716-446655440000"
PHONE = "+5215512345678"
"""


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner=HEADER + source)
    return pytester.runpytest("-p", "no:cacheprovider", "-rA", *args)


def test_the_guard_fails_a_test_that_calls_a_vendor_host(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
pytestmark = pytest.mark.convomock(apis=["1to1ai"])


def test_calls_the_real_1to1ai(convomock):
    httpx.get("https://app.1to1.ai/api/v1/public/acme/conversations")


def test_swallows_the_error(convomock):
    try:  # code under test that hides network errors must not turn a real call into a pass
        urllib.request.urlopen("https://services.leadconnectorhq.com/conversation-ai/agents/search", timeout=1)
    except Exception:
        pass


def test_resolving_a_vendor_host_is_blocked_other_hosts_are_not(convomock, convomock_guard):
    from mock_server.vendor_guard import VendorHostBlocked

    with pytest.raises(VendorHostBlocked, match="your-domain.example"):
        socket.getaddrinfo("YOUR-DOMAIN.example.", 443)
    assert socket.getaddrinfo("127.0.0.1", 80)
    convomock_guard.attempts.clear()  # this test means it


@pytest.mark.convomock(guard=False)
def test_opted_out(convomock, convomock_guard):
    assert convomock_guard is None and socket.getaddrinfo.__module__ == "socket"


def test_without_the_fixture_nothing_is_patched():
    assert socket.getaddrinfo.__module__ == "socket"
    assert httpx.HTTPTransport.handle_request.__module__ == "httpx._transports.default"
""",
    )
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(
        [
            (
                "E *VendorHostBlocked: convomock blocked a connection to app.1to1.ai, the real 1TO1 AI public API (1to1ai)"
                "*Point the client at the mock instead: `convomock.client('1to1ai')`*@pytest.mark.convomock(guard=False)*"
            ),
            "convomock blocked a connection to services.leadconnectorhq.com*the code under test caught the error*",
            "FAILED test_inner.py::test_calls_the_real_1to1ai*",
            "FAILED test_inner.py::test_swallows_the_error*",
        ]
    )


def test_state_does_not_leak_between_tests(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
pytestmark = pytest.mark.convomock(apis=["1to1ai"])


def test_1_changes_everything(convomock):
    api = convomock.client("1to1ai")
    sent = api.post("/conversation/messages/text", json={"conversation": {"phone": PHONE}, "body": "leak?"})
    assert sent.status_code == 201
    convomock.clock.advance("3d")
    assert convomock.control.post("/__mock/scenarios/ai-tokens-empty").status_code == 200
    assert convomock.control.post("/__mock/1to1ai/inbound", json={"slug": "acme", "phone": "+5215599990000",
                                                                  "body": "new customer"}).status_code == 201


def test_2_sees_the_seeded_start(convomock):
    api = convomock.client("1to1ai")
    assert convomock.journal() == []
    assert convomock.clock.now().isoformat() == "2026-01-15T15:00:00+00:00"
    assert convomock.credential("1to1ai")["ai_token_balance"] == 100000
    assert "leak?" not in api.get(f"/conversations/{DOC}/messages").text
    status = api.post("/conversation/status", json={"conversation": {"phone": "+5215599990000"}})
    assert status.status_code == 404


@pytest.mark.convomock(reset=False)
def test_3_keeps_the_state_when_asked(convomock):
    assert [e.operation_id for e in convomock.journal()] == ["getConversationStatus", "listConversationMessages"]


def test_4_a_scenario_block_switches_it_back_off(convomock):
    with convomock.scenario("ai-tokens-empty"):
        assert convomock.credential("1to1ai")["ai_token_balance"] == 0
    assert convomock.credential("1to1ai")["ai_token_balance"] == 100000


@pytest.mark.convomock(scenarios=["vendor-down"])
def test_5_a_marker_scenario(convomock):
    assert convomock.client("1to1ai").get(f"/conversations/{DOC}").status_code == 503


def test_6_and_it_is_off_in_the_next_test(convomock):
    assert convomock.client("1to1ai").get(f"/conversations/{DOC}").status_code == 200


def test_7_settle_journal_and_an_async_client(convomock):
    api = convomock.client("1to1ai")
    group = api.post("/conversation/actions", json={"conversation": {"phone": PHONE},
                                                    "actions": [{"type": "context_note", "note": "quote"}]})
    assert group.status_code == 202
    convomock.settle()
    activity = convomock.control.get("/__mock/1to1ai/activity", params={"slug": "acme"}).json()["items"]
    assert [(a["type"], a["status"]) for a in activity] == [("context_note", "succeeded")]
    [entry] = convomock.journal(api="1to1ai", operation_id="runActionGroup")
    assert (entry.method, entry.status, entry.path) == ("POST", 202, "/1to1ai/api/v1/public/acme/conversation/actions")
    assert entry.request_body["actions"][0]["note"] == "quote"
    assert convomock.journal(status=404) == []

    async def read():
        async with convomock.async_client("1to1ai", "globex") as other:
            return (await other.get(f"/conversations/{DOC}")).status_code
    assert asyncio.run(read()) == 404  # the docs' conversation belongs to acme
""",
    )
    result.assert_outcomes(passed=7)


def test_every_api_client_carries_its_credentials_and_tenant(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
def test_clients(convomock):
    assert convomock.url("1to1ai", "globex") == "http://convomock.test/1to1ai/api/v1/public/globex"
    assert convomock.client("1to1ai").get(f"/conversations/{DOC}").json()["uuid"] == DOC
    highlevel = convomock.client("highlevel", "globex")
    assert highlevel.headers["Version"] and highlevel.get("/conversation-ai/agents/search").status_code == 200
    crm = convomock.client("crm-inbox", "globex")
    assert crm.headers["X-Org-Id"] == "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d02"
    assert crm.get("/conversations").status_code == 200
    bob_token = next(c["token"] for c in convomock.credentials("crm-inbox") if c.get("user") == "Bob Chen")
    bob = convomock.client("crm-inbox", token=bob_token)
    assert bob.get("/conversations").json()["items"][0]["org_id"] == "0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d01"
    omni = convomock.client("omni-inbox")
    assert omni.headers["x-api-key"].startswith("aa_live_")
    assert omni.get("/conversations", params={"organization_id": 456}).json()["data"][0]["organization_id"] == 456
    with pytest.raises(LookupError, match="no highlevel credential for tenant='initech'"):
        convomock.client("highlevel", "initech")


@pytest.mark.convomock(apis="highlevel", sed=1)
def test_a_misspelt_marker_key(convomock):
    pass
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*convomock does not know sed; it takes apis, seed, *"])


def test_options_from_the_command_line_and_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nconvomock_apis = highlevel\nconvomock_seed = 5\n")
    result = run(
        pytester,
        """
def test_cli_beats_ini(convomock, convomock_guard):
    assert list(convomock.app.backend.runtimes) == ["highlevel"]
    assert convomock.app.backend.options.seed == 7
    assert convomock_guard is None  # --convomock-allow-vendor-hosts


@pytest.mark.convomock(seed=9, apis=["1to1ai"])
def test_the_marker_beats_both(convomock):
    assert list(convomock.app.backend.runtimes) == ["1to1ai"] and convomock.app.backend.options.seed == 9
""",
        "--convomock-seed",
        "7",
        "--convomock-allow-vendor-hosts",
    )
    result.assert_outcomes(passed=2)


def test_the_served_variant_answers_over_a_socket(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
pytestmark = pytest.mark.convomock(apis=["1to1ai"])


def test_1_a_plain_http_client(convomock_server):
    base = convomock_server.url("1to1ai")
    assert base.startswith("http://127.0.0.1:") and base.endswith("/1to1ai/api/v1/public/acme")
    request = urllib.request.Request(f"{base}/conversations/{DOC}", headers=convomock_server.headers("1to1ai"))
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200 and b'"uuid":"550e8400' in answer.read().replace(b" ", b"")
    host, port = base.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"GET /__mock/health HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n")
        assert raw.recv(64).startswith(b"HTTP/1.1 200")


def test_2_clock_settle_and_journal(convomock_server):
    assert convomock_server.journal() == []  # the previous test's requests are gone
    api = convomock_server.client("1to1ai")
    convomock_server.clock.advance("25h")
    window = api.post("/conversation/status", json={"conversation": {"phone": PHONE}}).json()["window"]
    assert window["status"] == "closed"
    group = api.post("/conversation/actions", json={"conversation": {"phone": PHONE},
                                                    "actions": [{"type": "context_note", "note": "x"}]})
    assert group.status_code == 202
    convomock_server.settle()
    activity = convomock_server.control.get("/__mock/1to1ai/activity", params={"slug": "acme"}).json()["items"]
    assert [a["status"] for a in activity] == ["succeeded"]
""",
    )
    result.assert_outcomes(passed=2)
