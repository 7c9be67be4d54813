"""The ASGI app: `/__mock` to the control API and the pages, every other path to the API it belongs to.

It only routes and runs the lifespan; what it serves lives elsewhere and works on the backend, never on the app:
`dispatch.py` (an API request's way), `control.py` (`/__mock`), `ui.py` (the pages), `backend.py` (the state).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from mock_server.engine.asgi import path_of, request_headers, send_json
from mock_server.engine.backend import MockBackend, StartupError
from mock_server.engine.control import ControlApi
from mock_server.engine.dispatch import ApiDispatcher
from mock_server.engine.types import Receive, Scope, Send

__all__ = ["MockApp", "StartupError"]

CONTROL_TOKEN_HEADER = "x-control-token"


class MockApp:
    """One mock as an ASGI app. `backend` is everything it holds; hooks run at the server's start and stop."""

    def __init__(self, backend: MockBackend) -> None:
        self.backend = backend
        self.control = ControlApi(backend)
        self.dispatcher = ApiDispatcher(backend)
        self.startup_hooks: list[Callable[[], Awaitable[None]]] = []
        self.shutdown_hooks: list[Callable[[], Awaitable[None]]] = []

    def __repr__(self) -> str:
        return f"MockApp(apis={list(self.backend.runtimes)})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = path_of(scope)
        if path == "/__mock" or path.startswith("/__mock/"):
            if not self._control_allowed(scope, path):
                message = (
                    "the control API needs the control token: send 'X-Control-Token: <token>' (convomock "
                    "serve --control-token)"
                )
                await send_json(send, 401, {"error": message})
                return
            await self.control.handle(scope, receive, send, path)
            return
        runtime = self.backend.runtime_for(path)
        if runtime is None:
            apis = {name: rt.binding.prefix for name, rt in self.backend.runtimes.items()}
            await send_json(send, 404, {"error": "no API is served at this path", "apis": apis})
            return
        await self.dispatcher.serve(runtime, scope, receive, send, path)

    def _control_allowed(self, scope: Scope, path: str) -> bool:
        """Health and the pages' static files (no state, no secret in them) are open; the pages' scripts send the
        token on each control call they make."""
        token = self.backend.options.control_token
        if not token or path == "/__mock/health" or self.control.pages.is_public(scope["method"], path):
            return True
        offered = request_headers(scope).get(CONTROL_TOKEN_HEADER) or ""
        if not offered:
            offered = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))).get("control_token", "")
        return hmac.compare_digest(offered.encode("utf-8", "replace"), token.encode("utf-8"))

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for hook in self.startup_hooks:
                    await hook()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.backend.jobs.cancel()
                for hook in self.shutdown_hooks:
                    await hook()
                await send({"type": "lifespan.shutdown.complete"})
                return
