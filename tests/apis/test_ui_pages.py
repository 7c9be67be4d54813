"""The browser pages under /__mock/ui and /__mock/docs, in-process: files and content types, nothing from another
host, each spec served as JSON with this mock as its server and the seeded tenant's values, the control token,
and the journal's `after` (what the dashboard polls with). The browser itself drives them in
tests/test_dashboard_browser.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate
from starlette.testclient import TestClient

from mock_server.apis import BINDINGS
from mock_server.engine.app import MockApp
from mock_server.server import create_app
from tests.support.crminbox import CRM_ACME
from tests.support.onetoone import ACME_TOKEN, DOC_CONVERSATION

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "mock_server" / "engine" / "ui_static"
BASE = "http://127.0.0.1:8000"
TOKEN = "s3cret-control"
OUR_PAGES = ["/__mock/ui", "/__mock/docs", "/__mock/docs/1to1ai"]
OUR_SCRIPTS = ["/__mock/ui/control.js", "/__mock/ui/dashboard.js", "/__mock/ui/docs.js", "/__mock/ui/adapters.js"]
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@pytest.fixture(scope="module")
def every_api() -> MockApp:
    return create_app(frozen=True)


@pytest.fixture
def client(every_api: MockApp) -> Iterator[TestClient]:
    every_api.backend.reset()
    with TestClient(every_api, base_url=BASE) as http:
        yield http
    assert every_api.backend.strict_violations == [] and every_api.backend.internal_errors == []


def operations(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (method.upper(), path, operation["operationId"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


# -- pages and files -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", OUR_PAGES)
def test_pages_are_html_that_may_load_only_from_this_mock(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    references = re.findall(r'(?:src|href)="([^"]*)"', response.text)
    assert references, "a page with no script or style"
    for reference in references:
        assert reference.startswith("/__mock/") or reference == "data:,", f"{path} loads {reference}"


@pytest.mark.parametrize(
    "path, content_type",
    [
        *[(script, "text/javascript; charset=utf-8") for script in OUR_SCRIPTS],
        ("/__mock/ui/dashboard.css", "text/css; charset=utf-8"),
        ("/__mock/docs/assets/swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("/__mock/docs/assets/swagger-ui.css", "text/css; charset=utf-8"),
        ("/__mock/docs/assets/favicon-32x32.png", "image/png"),
    ],
)
def test_assets_are_served_with_their_content_type(client: TestClient, path: str, content_type: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content
    head = client.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(response.content))


def test_swagger_ui_comes_from_its_package_and_reads_openapi_31(client: TestClient) -> None:
    bundle = client.get("/__mock/docs/assets/swagger-ui-bundle.js")
    assert len(bundle.content) > 500_000 and b"SwaggerUIBundle" in bundle.content
    assert b"isOAS31" in bundle.content  # Swagger UI 5 reads OpenAPI 3.1 (4.x, in `swagger-ui-bundle`, cannot)
    assert len(client.get("/__mock/docs/assets/swagger-ui.css").content) > 50_000


def test_our_pages_and_scripts_name_no_other_host_and_write_only_text() -> None:
    """Ours, not the vendored Swagger UI: no URL to another host, and data reaches the DOM as text only."""
    ours = [*STATIC.iterdir(), *(b.dashboard_script for b in BINDINGS.values() if b.dashboard_script)]
    assert {p.name for p in ours} >= {
        "index.html",
        "dashboard.js",
        "control.js",
        "docs.js",
        "docs.html",
        "docs-index.html",
        "dashboard.css",
    }
    assert all(b.dashboard_script is not None for b in BINDINGS.values()), "every API has its dashboard script"
    for path in ours:
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, f"{path.name} names another host"
        assert "//cdn" not in text and "@import" not in text, path.name
        if path.suffix == ".js":
            assert "innerHTML" not in text and "insertAdjacentHTML" not in text and "document.write" not in text, (
                f"{path.name} writes HTML"
            )
            assert "eval(" not in text and "new Function" not in text, path.name


def test_the_adapters_script_registers_every_served_api(client: TestClient) -> None:
    script = client.get("/__mock/ui/adapters.js").text
    for name in BINDINGS:
        assert f'convomock.registerAdapter("{name}"' in script


def test_a_mock_serving_one_api_ships_only_its_adapter() -> None:
    with TestClient(create_app(apis=["crm-inbox"], frozen=True), base_url=BASE) as http:
        script = http.get("/__mock/ui/adapters.js").text
        assert 'registerAdapter("crm-inbox"' in script and 'registerAdapter("1to1ai"' not in script
        assert http.get("/__mock/docs/1to1ai").status_code == 404
        assert http.get("/__mock/docs/crm-inbox").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/__mock/ui/",
        "/__mock/ui/nothing.js",
        "/__mock/ui/..%2F..%2Fapp.py",
        "/__mock/ui/%2E%2E%2Fui.py",
        "/__mock/docs/assets/index.j2",
        "/__mock/docs/assets/..%2F..%2F__init__.py",
        "/__mock/docs/nope",
        "/__mock/docs/nope/openapi.json",
        "/__mock/uix",
    ],
)
def test_unknown_pages_and_files_answer_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "error" in response.json()


def test_pages_take_only_get_and_head(client: TestClient) -> None:
    response = client.post("/__mock/ui")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_the_docs_index_lists_every_api(client: TestClient) -> None:
    page = client.get("/__mock/docs").text
    for name, binding in BINDINGS.items():
        assert f'href="/__mock/docs/{name}"' in page
        assert f'href="/__mock/docs/{name}/openapi.json"' in page
        title = yaml.safe_load(binding.spec_path.read_text())["info"]["title"]
        assert title in page


# -- each spec as JSON ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BINDINGS))
def test_the_served_spec_is_the_same_spec_with_this_mock_as_server(
    client: TestClient, every_api: MockApp, name: str
) -> None:
    response = client.get(f"/__mock/docs/{name}/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    served = response.json()
    original = yaml.safe_load(BINDINGS[name].spec_path.read_text())
    runtime = every_api.backend.runtimes[name]
    assert served["servers"][0]["url"] == BASE + runtime.binding.prefix + runtime.spec.base_path
    assert len(served["servers"]) == 1
    assert operations(served) == operations(original)
    assert served["components"]["schemas"] == original["components"]["schemas"]
    validate(served)


def test_the_served_server_url_works_with_the_seeded_credential(client: TestClient) -> None:
    server = client.get("/__mock/docs/1to1ai/openapi.json").json()["servers"][0]["url"]
    assert server == f"{BASE}/1to1ai/api/v1/public"
    answer = client.get(
        f"{server}/acme/conversations/{DOC_CONVERSATION}", headers={"Authorization": f"Bearer {ACME_TOKEN}"}
    )
    assert answer.status_code == 200


def test_the_served_spec_follows_the_host_and_the_root_mount() -> None:
    with TestClient(create_app(apis=["1to1ai"], at_root=True, frozen=True), base_url="http://mock.test:9000") as http:
        served = http.get("/__mock/docs/1to1ai/openapi.json").json()
        assert served["servers"][0]["url"] == "http://mock.test:9000/api/v1/public"


def test_the_first_tenants_values_are_the_examples_swagger_ui_fills_in(client: TestClient) -> None:
    credentials = client.get("/__mock/credentials").json()
    one = client.get("/__mock/docs/1to1ai/openapi.json").json()
    assert one["components"]["parameters"]["Slug"]["example"] == credentials["1to1ai"][0]["tenant"] == "acme"
    crm = client.get("/__mock/docs/crm-inbox/openapi.json").json()
    assert crm["components"]["parameters"]["OrgId"]["example"] == CRM_ACME
    assert credentials["crm-inbox"][0]["tenant_headers"] == {"X-Org-Id": CRM_ACME}
    highlevel = client.get("/__mock/docs/highlevel/openapi.json").json()
    version = highlevel["components"]["parameters"]["Version"]
    assert version["example"] == credentials["highlevel"][0]["headers"]["Version"]
    assert version["example"] in version["schema"]["enum"] and "examples" not in version


# -- the control token ---------------------------------------------------------------------------------------------


def test_under_a_control_token_the_files_are_open_and_the_data_is_not() -> None:
    app = create_app(apis=["1to1ai"], frozen=True, control_token=TOKEN)
    with TestClient(app, base_url=BASE) as http:
        for path in [*OUR_PAGES, *OUR_SCRIPTS, "/__mock/ui/dashboard.css", "/__mock/docs/assets/swagger-ui.css"]:
            assert http.get(path).status_code == 200, path
        for path in [
            "/__mock/docs/1to1ai/openapi.json",
            "/__mock/credentials",
            "/__mock/requests",
            "/__mock/1to1ai/overview",
        ]:
            assert http.get(path).status_code == 401, path
        assert http.get("/__mock/docs/1to1ai/openapi.json", headers={"X-Control-Token": TOKEN}).status_code == 200
        assert http.get("/__mock/docs/1to1ai/openapi.json", params={"control_token": TOKEN}).status_code == 200
        assert http.post("/__mock/ui").status_code == 401  # only what a browser loads is open


# -- what the dashboard polls --------------------------------------------------------------------------------------


def test_the_journal_gives_only_what_is_newer_than_an_id(client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {ACME_TOKEN}"}
    for _ in range(3):
        client.get("/1to1ai/api/v1/public/acme/conversations", params={"limit": 1}, headers=auth)
    everything = client.get("/__mock/requests").json()["items"]
    newest, middle = everything[0]["id"], everything[1]["id"]
    newer = client.get("/__mock/requests", params={"after": middle}).json()
    assert [entry["id"] for entry in newer["items"]] == [newest]
    assert client.get("/__mock/requests", params={"after": newest}).json()["items"] == []
    client.delete("/__mock/requests")
    client.get("/1to1ai/api/v1/public/acme/conversations", params={"limit": 1}, headers=auth)
    after_clear = client.get("/__mock/requests", params={"after": newest}).json()
    assert [e["id"] for e in after_clear["items"]] == [newest + 1]  # ids keep growing across a clear
    assert client.get("/__mock/requests", params={"after": "x"}).status_code == 400
