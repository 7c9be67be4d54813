"""The pages a browser opens on the mock: the dashboard (`/__mock/ui`) and each spec's Swagger UI (`/__mock/docs`).

Both pages are clients of the mock itself: their scripts read the control API and call each API's own endpoints
with the seeded credentials, so nothing here reads a store and each vendor's quirks stay in its package (its
`dashboard_script`). What this module serves is files, which hold no state and no secret (so they stay open under
`--control-token`; the scripts send the token on every control call), plus each spec as JSON with its `servers`
pointing at this mock. Swagger UI's files come from the `swagger-ui-py` package: nothing is fetched from
another host, and the Content-Security-Policy makes a page that tried fail loudly.
"""

from __future__ import annotations

import copy
import html
import importlib.util
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mock_server.engine.asgi import base_url, request_headers, send_json
from mock_server.engine.backend import ApiRuntime, MockBackend
from mock_server.engine.errors import MethodNotAllowed, RouteNotFound
from mock_server.engine.routing import RouteTable
from mock_server.engine.types import Scope, Send

__all__ = ["BrowserPages"]

STATIC = Path(__file__).with_name("ui_static")


def _swagger_static() -> Path:
    """Swagger UI 5's files as the `swagger-ui-py` package ships them (found, not imported: its __init__ would load
    its web-framework glue, which the mock does not need)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("swagger-ui-py is not installed (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


SWAGGER = _swagger_static()
SWAGGER_FILES = frozenset(
    {
        "swagger-ui-bundle.js",
        "swagger-ui-bundle.js.map",
        "swagger-ui.css",
        "swagger-ui.css.map",
        "favicon-16x16.png",
        "favicon-32x32.png",
    }
)
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".json": "application/json",
    ".map": "application/json",
}
# Everything a page loads or calls is on this origin; Swagger UI styles its widgets inline.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
PREFIXES = ("/__mock/ui", "/__mock/docs")


class _Missing(Exception):
    """A page or file that does not exist (404)."""


@dataclass(frozen=True)
class _File:
    body: bytes
    content_type: str
    cache: str = "no-cache"  # our files change with the checkout; Swagger UI's only with its package


_Page = Callable[[Mapping[str, str], Mapping[str, Any]], _File]


class BrowserPages:
    """Routes under /__mock/ui and /__mock/docs; every one but a spec's JSON is a file anyone may load."""

    def __init__(self, backend: MockBackend) -> None:
        self.backend = backend
        self._cache: dict[Path, bytes] = {}
        self._static = frozenset(p.name for p in STATIC.iterdir() if p.is_file())
        self.routes: RouteTable[_Page] = RouteTable()
        self.routes.add("GET", "/__mock/ui", lambda params, scope: self._file(STATIC / "index.html"))
        self.routes.add("GET", "/__mock/ui/adapters.js", self._adapters)
        self.routes.add("GET", "/__mock/ui/{name}", self._ui_file)
        self.routes.add("GET", "/__mock/docs", self._docs_index)
        self.routes.add("GET", "/__mock/docs/assets/{name}", self._swagger_file)
        self.routes.add("GET", "/__mock/docs/{api}", self._docs_page)
        self.routes.add("GET", "/__mock/docs/{api}/openapi.json", self._openapi)

    def serves(self, path: str) -> bool:
        return any(path == prefix or path.startswith(prefix + "/") for prefix in PREFIXES)

    def is_public(self, method: str, path: str) -> bool:
        """True for loading a file (a page, script, style): a spec's JSON, like all control data, needs the token."""
        if method.upper() not in ("GET", "HEAD") or not self.serves(path):
            return False
        try:
            return self.routes.match("GET", path).target != self._openapi
        except (RouteNotFound, MethodNotAllowed):
            return False

    async def handle(self, scope: Scope, send: Send, path: str) -> None:
        method = scope["method"].upper()
        try:
            match = self.routes.match("GET" if method == "HEAD" else method, path)
            found = match.target(match.path_params, scope)
        except (RouteNotFound, _Missing):
            await send_json(
                send, 404, {"error": f"no page at {path}; the dashboard is /__mock/ui, the API docs /__mock/docs"}
            )
            return
        except MethodNotAllowed:
            await send_json(send, 405, {"error": "these pages answer GET and HEAD"}, {"Allow": "GET, HEAD"})
            return
        headers = [
            (b"content-type", found.content_type.encode()),
            (b"cache-control", found.cache.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"content-length", str(len(found.body)).encode()),
        ]
        if found.content_type.startswith("text/html"):
            headers.append((b"content-security-policy", CSP.encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else found.body})

    # -- files ---------------------------------------------------------------------------------------------------

    def _file(self, path: Path, cache: str = "no-cache") -> _File:
        if path not in self._cache:
            self._cache[path] = path.read_bytes()
        return _File(self._cache[path], CONTENT_TYPES.get(path.suffix, "application/octet-stream"), cache)

    def _ui_file(self, params: Mapping[str, str], scope: Mapping[str, Any]) -> _File:
        # Only names listed at start: a decoded segment may hold '/' or '..', and it must never reach the disk.
        if params["name"] not in self._static:
            raise _Missing(params["name"])
        return self._file(STATIC / params["name"])

    def _swagger_file(self, params: Mapping[str, str], scope: Mapping[str, Any]) -> _File:
        if params["name"] not in SWAGGER_FILES:
            raise _Missing(params["name"])
        return self._file(SWAGGER / params["name"], "public, max-age=3600")

    def _adapters(self, params: Mapping[str, str], scope: Mapping[str, Any]) -> _File:
        """Every served API's dashboard script, in one file (each registers itself with the dashboard)."""
        parts = [
            f"/* {name}: {rt.binding.dashboard_script.name} */\n"
            + rt.binding.dashboard_script.read_text(encoding="utf-8")
            for name, rt in self.backend.runtimes.items()
            if rt.binding.dashboard_script is not None
        ]
        return _File("\n".join(parts).encode("utf-8"), CONTENT_TYPES[".js"])

    # -- API docs ------------------------------------------------------------------------------------------------

    def _runtime(self, name: str) -> ApiRuntime:
        if name not in self.backend.runtimes:
            raise _Missing(name)
        return self.backend.runtimes[name]

    def _docs_index(self, params: Mapping[str, str], scope: Mapping[str, Any]) -> _File:
        items = []
        for name, runtime in self.backend.runtimes.items():
            title = str(runtime.spec.info.get("title") or name)
            link = html.escape(f"/__mock/docs/{name}", quote=True)
            items.append(
                f'<li><a href="{link}">{html.escape(title)}</a> <code>{html.escape(name)}</code> '
                f'<a href="{link}/openapi.json">openapi.json</a></li>'
            )
        template = self._file(STATIC / "docs-index.html").body.decode("utf-8")
        return _File(template.replace("<!-- apis -->", "\n".join(items)).encode("utf-8"), CONTENT_TYPES[".html"])

    def _docs_page(self, params: Mapping[str, str], scope: Mapping[str, Any]) -> _File:
        self._runtime(params["api"])
        return self._file(STATIC / "docs.html")

    def _openapi(self, params: Mapping[str, str], scope: Mapping[str, Any]) -> _File:
        """The spec as JSON, its `servers` this mock (base URL, the API's prefix, the spec's base path), and the
        first seeded tenant's header and path values as the parameters' examples (Swagger UI fills them in)."""
        runtime = self._runtime(params["api"])
        document = copy.deepcopy(dict(runtime.spec.document))
        root = base_url(scope, request_headers(scope)) + self.backend.api_root(runtime.binding)
        document["servers"] = [
            {"url": root + runtime.spec.base_path, "description": "this convomock: 'Try it out' calls the mock"}
        ]
        credentials = runtime.binding.credentials(runtime.store)
        if credentials:
            _prefill_tenant(document, credentials[0])
        return _File(json.dumps(document, ensure_ascii=False).encode("utf-8"), CONTENT_TYPES[".json"])


def _prefill_tenant(document: dict[str, Any], credential: Mapping[str, Any]) -> None:
    """Give every parameter that names the tenant (a credential's `headers`, `tenant_headers`, `path_params`)
    the seeded value as its only example."""
    values: dict[tuple[str, str], str] = {}
    for field in ("headers", "tenant_headers"):
        for name, value in (credential.get(field) or {}).items():
            values[("header", name.lower())] = str(value)
    for name, value in (credential.get("path_params") or {}).items():
        values[("path", name)] = str(value)
    for parameter in _parameters(document):
        where = str(parameter.get("in", ""))
        name = str(parameter.get("name", ""))
        key = (where, name.lower() if where == "header" else name)
        if key in values:
            parameter.pop("examples", None)  # `examples` would win over `example` in Swagger UI
            parameter["example"] = values[key]


def _parameters(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every parameter object written out in the document (references are left alone: their target is listed)."""
    found: list[Any] = list(((document.get("components") or {}).get("parameters") or {}).values())
    for item in (document.get("paths") or {}).values():
        if not isinstance(item, Mapping):
            continue
        found.extend(item.get("parameters") or [])
        for operation in item.values():
            if isinstance(operation, Mapping):
                found.extend(operation.get("parameters") or [])
    return [p for p in found if isinstance(p, dict) and "$ref" not in p]
