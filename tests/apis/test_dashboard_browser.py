"""The dashboard (/__mock/ui) and the API docs (/__mock/docs) end to end: `convomock serve --control-token` as a real
process, driven by Debian's headless Chromium through Selenium. Switching a scenario in the page changes what an
API answers; advancing the clock in the page closes a 24h window; the journal shows a client's call as it happens;
a customer's message stays text; Swagger UI's "Try it out" calls the mock as the first tenant.

No browser is no excuse: without Chromium this fails and says how to install it (`make test` does, as root)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - a venv without the test extra
    pytest.fail("selenium is not installed: .venv/bin/pip install -e '.[test]'", pytrace=False)

from tests.support.onetoone import ACME_TOKEN, DOC_CONVERSATION
from tests.support.processes import serving

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
TOKEN = "dashboard-test-token"
CONTROL = {"X-Control-Token": TOKEN}
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)
T = TypeVar("T")


@pytest.fixture(scope="module")
def mock() -> Iterator[str]:
    """The real server, its clock frozen at the seeded start, its control API behind a token."""
    with serving("--control-token", TOKEN, "--freeze") as (base, _):
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(
            f"the dashboard's browser test needs Debian's chromium and chromium-driver ({', '.join(missing)} "
            "not found): `make test` installs them (as root, through scripts/ensure-debs), or run "
            "`apt-get install chromium chromium-driver`",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)  # with the driver's path below, Selenium Manager never downloads
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    except WebDriverException as exc:
        pytest.fail(f"headless Chromium did not start ({CHROMIUM}, {CHROMEDRIVER}): {exc.msg}", pytrace=False)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(mock: str, browser: WebDriver) -> WebDriver:
    """The dashboard on a freshly reset mock, opened with the token as a user would (?control_token=)."""
    assert httpx.post(f"{mock}/__mock/reset", headers=CONTROL).status_code == 200
    browser.get(f"{mock}/__mock/ui?control_token={TOKEN}")
    until(
        browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true", "the page ready"
    )
    return browser


def _browser_log(driver: WebDriver) -> list[dict[str, Any]]:
    """The page's console (Chromium's driver has it; selenium's type names only what every driver has)."""
    entries: list[dict[str, Any]] = getattr(driver, "get_log")("browser")  # noqa: B009
    return entries


def until(driver: WebDriver, condition: Callable[[WebDriver], T | None], what: str, seconds: float = 10) -> T:
    """Wait for `condition` (a truthy value); on time-out fail with what the page said and the browser console.
    A pane is redrawn whole when its data comes back, so an element seen a moment ago may be gone: look again."""
    try:
        found = WebDriverWait(
            driver, seconds, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)
        ).until(condition)
        assert found is not None  # WebDriverWait returns only a truthy answer
        return found
    except TimeoutException:
        notices = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".error") if e.is_displayed()]
        console = [entry.get("message") for entry in _browser_log(driver)]
        pytest.fail(
            f"the page never showed {what} within {seconds} s; errors shown: {notices}; console: {console}",
            pytrace=False,
        )


def shown(css: str, text: str = "") -> Callable[[WebDriver], WebElement | None]:
    """The first displayed element matching `css` whose text contains `text`."""

    def find(driver: WebDriver) -> WebElement | None:
        for element in driver.find_elements(By.CSS_SELECTOR, css):
            if element.is_displayed() and text in element.text:
                return element
        return None

    return find


def click(driver: WebDriver, css: str, text: str = "", what: str = "") -> None:
    """Click the first displayed element matching `css` (and holding `text`) once it is there; a redraw between
    finding and clicking it only means another look."""

    def clicked(d: WebDriver) -> bool:
        element = shown(css, text)(d)
        if element is None:
            return False
        element.click()
        return True

    until(driver, clicked, what or f"{css} {text}".strip())


def fact_of(driver: WebDriver, scope: str, key: str) -> str:
    """A fact's text as shown now (read in the page, so a redraw in between cannot make it stale)."""
    return str(
        driver.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
            f'{scope} [data-fact="{key}"]',
        )
    )


def assert_nothing_refused(driver: WebDriver) -> None:
    """Nothing the page tried was blocked by its Content-Security-Policy (a script reaching for another host, an
    inline script) and no script threw."""
    bad = [
        entry["message"]
        for entry in _browser_log(driver)
        if "Refused to" in entry["message"]
        or "Content Security Policy" in entry["message"]
        or "Uncaught" in entry["message"]
    ]
    assert bad == [], bad


def control(base: str, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{base}/__mock/{path}", headers=CONTROL, json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


DOC_CARD = f'button[data-conversation="{DOC_CONVERSATION}"]'
ACME_CARD = 'button[data-tenant="acme"]'


def test_switching_a_scenario_in_the_page_changes_an_api_answer(page: WebDriver, mock: str) -> None:
    until(page, shown(DOC_CARD), "the docs' conversation in the list")
    assert fact_of(page, ACME_CARD, "ai_token_balance") == "100,000"

    click(page, 'input[data-scenario="vendor-down"]')
    error = until(page, shown("#conversations-error", "503"), "the 503 of GET /conversations")
    assert "SERVICE_UNAVAILABLE" in error.text
    assert control(mock, "GET", "scenarios")["active"] == ["vendor-down"]  # the page sent the control token
    assert not page.find_elements(By.CSS_SELECTOR, DOC_CARD)

    click(page, 'input[data-scenario="vendor-down"]')
    until(page, shown(DOC_CARD), "the list again once the vendor is back")
    assert not page.find_element(By.ID, "conversations-error").is_displayed()

    click(page, 'input[data-scenario="ai-tokens-empty"]')
    until(page, lambda d: fact_of(d, ACME_CARD, "ai_token_balance") == "0", "acme's AI token balance at 0")
    assert control(mock, "GET", "scenarios")["active"] == ["ai-tokens-empty"]


def test_advancing_the_clock_in_the_page_closes_the_window(page: WebDriver, mock: str) -> None:
    click(page, DOC_CARD, what="the docs' conversation in the list")
    until(page, lambda d: fact_of(d, "#timeline-facts", "window").startswith("open"), "the window open")
    assert "22 h left" in fact_of(page, "#timeline-facts", "window")
    assert page.find_element(By.ID, "clock-now").text == "2026-01-15T15:00:00Z"

    click(page, 'button[data-advance="25h"]')
    until(page, lambda d: fact_of(d, "#timeline-facts", "window").startswith("closed"), "the window closed")
    assert page.find_element(By.ID, "clock-now").text == "2026-01-16T16:00:00Z"
    assert control(mock, "GET", "clock")["now"] == "2026-01-16T16:00:00Z"
    until(page, lambda d: fact_of(d, ACME_CARD, "open_windows") == "0", "no open window left at acme")
    assert_nothing_refused(page)


def test_the_journal_updates_live_and_a_message_stays_text(page: WebDriver, mock: str) -> None:
    hostile = '<img src=x onerror="window.__pwned=1"><b>bold</b> quiero 3 cajas'
    control(mock, "POST", "1to1ai/inbound", {"slug": "acme", "conversation": DOC_CONVERSATION, "body": hostile})
    read = httpx.get(
        f"{mock}/1to1ai/api/v1/public/acme/conversations/{DOC_CONVERSATION}",
        headers={"Authorization": f"Bearer {ACME_TOKEN}"},
    )
    assert read.status_code == 200
    row = until(
        page, shown('#journal-rows tr[data-client="other"]', DOC_CONVERSATION), "a client's call in the journal"
    )
    assert "getConversation" in row.text and "200" in row.text
    assert not shown('#journal-rows tr[data-client="dashboard"]')(page), "the page's own calls are hidden by default"
    click(page, "#journal-own")
    until(page, shown('#journal-rows tr[data-client="dashboard"]', "listConversations"), "the page's own calls")

    click(page, "#refresh")
    click(page, DOC_CARD, "quiero 3 cajas", "the new message in the list")
    message = until(page, shown("#timeline-items .event .text", "quiero 3 cajas"), "the message in the timeline")
    assert message.text == hostile
    assert not page.find_elements(By.CSS_SELECTOR, "#timeline-items img, #timeline-items b, #conversation-list img")
    assert page.execute_script("return window.__pwned") is None


def test_api_docs_try_it_out_calls_the_mock_as_the_first_tenant(browser: WebDriver, mock: str) -> None:
    control(mock, "DELETE", "requests")
    browser.get(f"{mock}/__mock/docs/1to1ai?control_token={TOKEN}")
    until(
        browser,
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true",
        "Swagger UI with the spec",
        seconds=20,
    )
    assert "as tenant acme" in browser.find_element(By.ID, "docs-tenant").text
    block = browser.find_element(By.ID, "operations-Conversations-getConversation")
    block.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    until(browser, lambda d: block.find_elements(By.CSS_SELECTOR, "button.execute"), "the Execute button")[0].click()
    status = until(
        browser,
        lambda d: block.find_elements(By.CSS_SELECTOR, ".live-responses-table .response .response-col_status"),
        "an answer",
    )
    assert status[0].text == "200"
    entry = control(mock, "GET", "requests?limit=1")["items"][0]
    assert entry["path"] == f"/1to1ai/api/v1/public/acme/conversations/{DOC_CONVERSATION}"
    assert entry["status"] == 200 and entry["request_headers"]["x-mock-client"] == "docs"
    assert json.dumps(entry["response_body"]).count(DOC_CONVERSATION) >= 1
    assert_nothing_refused(browser)


def test_the_omni_inbox_tab_shows_an_organizations_conversations_and_a_thread(page: WebDriver, mock: str) -> None:
    """AchieveApex's part of the page: the tab calls with an organization's x-api-key and its organization_id, names
    a conversation by its contact, and shows a WhatsApp thread with its 24h window and a customer's message."""
    control(
        mock, "POST", "omni-inbox/inbound", {"organization_id": 456, "conversation_id": 1001, "text": "<b>still</b>"}
    )
    click(page, 'button[data-api="omni-inbox"]', what="the omni-inbox tab")
    until(page, shown('button[data-tenant="456"]', "Acme Solutions"), "organization 456 among the tenants")
    card = until(page, shown('button[data-conversation="1001"]', "John Doe"), "conversation 1001, John Doe's")
    assert "whatsapp" in card.text and "<b>still</b>" in card.text
    card.click()
    until(page, shown("#timeline-items .event .text", "<b>still</b>"), "the customer's message in the timeline")
    assert page.find_element(By.ID, "timeline-title").text == "Conversation 1001 · whatsapp"
    assert fact_of(page, "#timeline-facts", "whatsapp_window_expires_at") == "2026-01-16T15:00:00.000Z"
    texts = [e.text for e in page.find_elements(By.CSS_SELECTOR, "#timeline-items .event .text")]
    assert texts[:3] == ["Hi, my order hasn't arrived yet.", "Sorry to hear that! Let me check.", "Any news?"]
    calls = control(mock, "GET", "requests?api=omni-inbox&path=/omni-inbox/conversations$")["items"]
    assert calls and all("organization_id=456" in c["query"] for c in calls)
    assert all(c["request_headers"].get("x-api-key", "").startswith("aa_live_") for c in calls)
    assert_nothing_refused(page)


TESTER_CONVERSATION = "9a1b2c3d-0001-4e4f-8a5b-6c7d8e9f0a03"


def type_into(driver: WebDriver, css: str, text: str) -> None:
    field = until(driver, shown(css), css)
    field.clear()
    field.send_keys(text)


def test_a_customer_writes_and_the_agent_sends_from_the_page(page: WebDriver, mock: str) -> None:
    click(page, DOC_CARD, what="the docs' conversation in the list")
    type_into(page, "#customer-text", "¿Llega mañana?")
    click(page, "#customer-form button")
    until(page, shown("#timeline-items .event.customer .text", "¿Llega mañana?"), "the customer's message")
    type_into(page, "#agent-text", "Sí, antes de las 2.")
    click(page, "#agent-form button")
    until(page, shown("#timeline-items .event.business .text", "Sí, antes de las 2."), "the agent's message")
    sent = control(mock, "GET", "requests?api=1to1ai&operation_id=sendTextMessage&limit=1")["items"][0]
    assert sent["status"] == 201 and sent["request_body"]["body"] == "Sí, antes de las 2."

    type_into(page, "#newcustomer-from", "+5215500002222")
    type_into(page, "#newcustomer-text", "Hola, soy nueva")
    click(page, "#newcustomer-form button")
    until(page, shown("#timeline-items .event.customer .text", "Hola, soy nueva"), "the new customer's message")
    until(page, shown("#conversation-list button.active", "Hola, soy nueva"), "the new conversation, picked")
    assert_nothing_refused(page)


def test_a_scenario_switched_for_one_conversation_in_the_page(page: WebDriver, mock: str) -> None:
    click(page, DOC_CARD, what="the docs' conversation in the list")
    until(page, lambda d: fact_of(d, "#timeline-facts", "window").startswith("open"), "the window open")
    picker = until(page, shown("#scenario-scope"), "the scope picker")
    until(page, lambda d: "conversation" in picker.text, "the conversation among the scopes")
    page.execute_script(
        "const s = document.getElementById('scenario-scope'); s.value = 'conversation';"
        "s.dispatchEvent(new Event('change'));"
    )
    click(page, 'input[data-scenario="window-expired"]')
    until(page, lambda d: fact_of(d, "#timeline-facts", "window").startswith("closed"), "the window closed")
    until(page, shown('[data-on-at="window-expired"]', f"conversation {DOC_CONVERSATION}"), "where it is on")
    listed = control(mock, "GET", "scenarios")["activations"]
    assert listed == [
        {"name": "window-expired", "scope": {"api": "1to1ai", "conversation": DOC_CONVERSATION}, "params": {}}
    ]
    other = httpx.post(
        f"{mock}/1to1ai/api/v1/public/acme/conversation/status",
        headers={"Authorization": f"Bearer {ACME_TOKEN}"},
        json={"conversation": {"uuid": TESTER_CONVERSATION}},
    )
    assert other.json()["window"]["status"] == "open"

    page.execute_script(
        "const s = document.getElementById('scenario-scope'); s.value = 'tenant';s.dispatchEvent(new Event('change'));"
    )
    type_into(page, "#scenario-params", '{"ai_token_balance": 25}')
    click(page, 'input[data-scenario="ai-tokens-empty"]')
    until(page, lambda d: fact_of(d, ACME_CARD, "ai_token_balance") == "25", "acme's balance at 25")
    assert fact_of(page, 'button[data-tenant="globex"]', "ai_token_balance") == "2,500"
    assert_nothing_refused(page)


def test_a_timeline_plays_in_the_page_with_each_steps_result(page: WebDriver, mock: str) -> None:
    until(page, lambda d: "window" in (d.find_element(By.ID, "play-yaml").get_attribute("value") or ""), "a timeline")
    click(page, "#play-run")
    verdict = until(page, shown("#play-verdict", "passed"), "the timeline passed")
    assert verdict.text.startswith("1to1ai: passed")
    rows = page.find_elements(By.CSS_SELECTOR, "#play-steps tr")
    assert rows and all(row.get_attribute("class") == "pass" for row in rows)

    control(mock, "POST", "reset")
    page.execute_script(
        "const t = document.getElementById('play-yaml'); t.value = t.value.replace('status: 422', 'status: 200');"
    )
    click(page, "#play-run")
    until(page, shown("#play-verdict", "FAILED at step 4"), "the failing step named")
    failed = until(page, shown('#play-steps tr.fail[data-step="4"]'), "step 4 marked failed")
    assert "status: expected 200, got 422" in failed.text
    assert all(
        row.get_attribute("class") == "skip" for row in page.find_elements(By.CSS_SELECTOR, "#play-steps tr")[4:]
    )
    assert_nothing_refused(page)


def test_the_crm_inbox_tab_a_customer_writes_and_an_agent_answers(page: WebDriver, mock: str) -> None:
    """Iron's CRM inbox in the page: a customer texts into Maria's thread (the control API's inbound, so the AI setter
    drafts an answer), an agent answers through POST /conversations/{id}/messages on the thread's channel (SMS),
    and a new customer writes in by phone: a new contact and thread, picked."""
    maria = "7a1e5c3b-2d4f-4e6a-8b9c-0d1e2f3a4b01"  # Acme Homes' SMS thread with Maria Lopez
    click(page, 'button[data-api="crm-inbox"]', what="the CRM inbox tab")
    until(page, shown('button[data-tenant="0f6c3a52-8b1e-4d7a-9c2f-5e4b3a291d01"]', "Acme Homes"), "Acme Homes")
    click(page, f'button[data-conversation="{maria}"]', "Maria Lopez", "Maria's thread in the list")
    until(page, shown("#timeline-items .event.customer .text", "Elm Street"), "Maria's thread")
    type_into(page, "#customer-text", "Can I see it on Saturday at 11?")
    click(page, "#customer-form button")
    until(page, shown("#timeline-items .event.customer .text", "Can I see it on Saturday at 11?"), "her message")
    until(page, shown("#timeline-items .event.draft .text", "Saturday at 11"), "the setter's draft answering it")
    type_into(page, "#agent-text", "Saturday at 11 works, see you there!")
    click(page, "#agent-form button")
    until(page, shown("#timeline-items .event.user .text", "Saturday at 11 works, see you there!"), "the answer")
    sent = control(mock, "GET", "requests?api=crm-inbox&operation_id=sendConversationMessage&limit=1")["items"][0]
    assert sent["status"] == 201 and sent["path"] == f"/crm-inbox/api/v1/conversations/{maria}/messages"
    assert sent["request_body"] == {"channel": "sms", "body": "Saturday at 11 works, see you there!"}

    type_into(page, "#newcustomer-from", "+15557770142")
    type_into(page, "#newcustomer-text", "Hi, do you have 2-bedroom rentals?")
    click(page, "#newcustomer-form button")
    until(page, shown("#timeline-items .event.customer .text", "Hi, do you have 2-bedroom rentals?"), "the message")
    card = until(page, shown("#conversation-list button.active", "+15557770142"), "the new thread, picked")
    assert "Hi, do you have 2-bedroom rentals?" in card.text
    assert card.get_attribute("data-conversation") != maria
    assert_nothing_refused(page)


def test_omni_inbox_a_customer_writes_and_the_agent_answers_from_the_page(page: WebDriver, mock: str) -> None:
    """AchieveApex's actions: a customer writes into WhatsApp conversation 1001 (the control API's inbound), the
    agent answers through the transform-outgoing service with the organization's x-api-key, and a stranger's phone
    opens a new WhatsApp conversation with a new contact, picked in the list."""
    click(page, 'button[data-api="omni-inbox"]', what="the omni-inbox tab")
    click(page, 'button[data-conversation="1001"]', "John Doe", "conversation 1001, John Doe's")
    type_into(page, "#customer-text", "Is it shipped yet?")
    click(page, "#customer-form button")
    until(page, shown("#timeline-items .event.customer .text", "Is it shipped yet?"), "the customer's message")
    type_into(page, "#agent-text", "Yes, it left this morning.")
    click(page, "#agent-form button")
    until(page, shown("#timeline-items .event.user .text", "Yes, it left this morning."), "the agent's message")
    sent = control(mock, "GET", "requests?api=omni-inbox&operation_id=createWhatsappOutgoing&limit=1")["items"][0]
    assert sent["status"] == 201 and sent["request_headers"]["x-api-key"].startswith("aa_live_")
    assert sent["request_body"] == {
        "conversation_id": 1001,
        "message_type": "text",
        "message_text": "Yes, it left this morning.",
    }
    thread = control(mock, "GET", "requests?api=omni-inbox&operation_id=findWhatsappMessages&limit=1")["items"][0]
    assert "conversation_id=1001" in thread["query"]

    type_into(page, "#newcustomer-from", "+5215500003333")
    type_into(page, "#newcustomer-text", "Hi, do you deliver on Sundays?")
    click(page, "#newcustomer-form button")
    until(page, shown("#timeline-items .event.customer .text", "Hi, do you deliver on Sundays?"), "the new message")
    card = until(page, shown("#conversation-list button.active", "Hi, do you deliver on Sundays?"), "it, picked")
    assert "New Customer" in card.text and "whatsapp" in card.text
    assert page.find_element(By.ID, "timeline-title").text.endswith(" · whatsapp")
    assert_nothing_refused(page)


def test_the_highlevel_tab_a_customer_writes_and_a_human_answers(page: WebDriver, mock: str) -> None:
    """HighLevel's actions (it has no send endpoint, so both go through the control API): Jane writes into her SMS
    thread at Acme Dental (inbound with her contact, on the thread's channel), a human at the front desk answers
    (outbound, source manual, which puts the auto-pilot agent to sleep), and two strangers write in, one by phone
    (a new SMS thread) and one by email (a new Email thread), each picked in the list."""
    acme = "yvQzG4k2Lm8RtP0aNcXs"  # Acme Dental's location id

    def thread(conversation: str) -> dict[str, Any]:
        threads = control(mock, "GET", f"highlevel/conversations?location={acme}")["conversations"]
        found: dict[str, Any] = next(each for each in threads if each["id"] == conversation)
        return found

    click(page, 'button[data-api="highlevel"]', what="the HighLevel tab")
    until(page, shown(f'button[data-tenant="{acme}"]', "Acme Dental"), "Acme Dental among the tenants")
    click(page, 'button[data-conversation="conv_seed_1"]', "Jane Cooper", "Jane's thread in the list")
    until(page, shown("#timeline-items .event.ai .text", "A regular cleaning costs $120"), "the agent's seeded reply")
    type_into(page, "#customer-text", "Do you take Cigna?")
    click(page, "#customer-form button")
    until(page, shown("#timeline-items .event.customer .text", "Do you take Cigna?"), "Jane's message")
    type_into(page, "#agent-text", "We do, Jane. See you Saturday!")
    click(page, "#agent-form button")
    until(page, shown("#timeline-items .event.user .text", "We do, Jane. See you Saturday!"), "the front desk's answer")
    until(page, lambda d: fact_of(d, "#timeline-facts", "asleep").startswith("until "), "the agent asleep")
    jane = thread("conv_seed_1")
    assert (jane["channel"], jane["asleep"]) == ("SMS", True)
    assert [(m["direction"], m["source"], m["body"]) for m in jane["messages"][-2:]] == [
        ("inbound", "customer", "Do you take Cigna?"),
        ("outbound", "manual", "We do, Jane. See you Saturday!"),
    ]

    type_into(page, "#newcustomer-from", "+1 555 010 4242")
    type_into(page, "#newcustomer-text", "Hi, do you do whitening?")
    click(page, "#newcustomer-form button")
    until(page, shown("#timeline-items .event.customer .text", "Hi, do you do whitening?"), "the new patient's message")
    card = until(page, shown("#conversation-list button.active", "Hi, do you do whitening?"), "the new thread, picked")
    phoned = thread(str(card.get_attribute("data-conversation")))
    assert (phoned["channel"], phoned["contact"]["phone"]) == ("SMS", "+15550104242")
    assert page.find_element(By.ID, "timeline-title").text.endswith(" · SMS")

    type_into(page, "#newcustomer-from", "ann@example.com")
    type_into(page, "#newcustomer-text", "Please send me your price list.")
    click(page, "#newcustomer-form button")
    card = until(page, shown("#conversation-list button.active", "Please send me your price list."), "the email thread")
    mailed = thread(str(card.get_attribute("data-conversation")))
    assert (mailed["channel"], mailed["type"], mailed["contact"]["email"]) == ("Email", "TYPE_EMAIL", "ann@example.com")
    assert page.find_element(By.ID, "timeline-title").text.endswith(" · Email")
    assert_nothing_refused(page)
