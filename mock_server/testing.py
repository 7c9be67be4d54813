"""Drive a mock from a test: the app lives on an event loop in a background thread (in-process, through an httpx
transport) or behind uvicorn on a free port, and `ConvoMock` hands out clients with each API's working
credentials plus helpers for scenarios, the clock, background jobs and the journal.

Every touch of the app's state goes through its loop (`Runner.call`), so a test thread never races a background
job. The pytest plugin (`mock_server.pytest_plugin`) builds these once per session; any other harness can too.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

from mock_server.engine.app import MockApp
from mock_server.engine.backend import client_headers
from mock_server.engine.clock import parse_duration, parse_instant
from mock_server.engine.journal import JournalEntry

__all__ = ["IN_PROCESS_BASE_URL", "ClockControl", "ConvoMock", "InProcessRunner", "Runner", "ServedRunner"]

T = TypeVar("T")
# RFC 6761 reserves `.test`: should the URL leak out of the in-process transport, it cannot resolve anywhere.
IN_PROCESS_BASE_URL = "http://convomock.test"


class Runner:
    """The loop an app lives on, and how to reach it from another thread."""

    app: MockApp
    base_url: str
    loop: asyncio.AbstractEventLoop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def call(self, function: Callable[..., T], *args: Any) -> T:
        async def on_loop() -> T:
            return function(*args)

        return self.run(on_loop())

    def client(self, base_url: str, headers: dict[str, str], **kwargs: Any) -> httpx.Client:
        raise NotImplementedError

    def async_client(self, base_url: str, headers: dict[str, str], **kwargs: Any) -> httpx.AsyncClient:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class InProcessRunner(Runner):
    """The app on a private event loop; clients reach it through `httpx.ASGITransport`, no socket involved."""

    def __init__(self, app: MockApp) -> None:
        self.app = app
        self.base_url = IN_PROCESS_BASE_URL
        self.loop = asyncio.new_event_loop()
        self._asgi = httpx.ASGITransport(app=app)
        self._thread = threading.Thread(target=self.loop.run_forever, name="convomock-loop", daemon=True)
        self._thread.start()

    async def send(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        body = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, stream=httpx.ByteStream(body))

    async def _cancel_everything(self) -> None:
        """Background jobs and requests still in flight, awaited so that closing the loop leaves none pending."""
        self.app.backend.jobs.cancel()
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def client(self, base_url: str, headers: dict[str, str], **kwargs: Any) -> httpx.Client:
        # trust_env=False: a proxy from the environment would take requests away from the transport.
        return httpx.Client(base_url=base_url, headers=headers, transport=_Transport(self), trust_env=False, **kwargs)

    def async_client(self, base_url: str, headers: dict[str, str], **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=base_url, headers=headers, transport=_AsyncTransport(self), trust_env=False, **kwargs
        )

    def close(self) -> None:
        self.run(self._cancel_everything())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class _Transport(httpx.BaseTransport):
    def __init__(self, runner: InProcessRunner) -> None:
        self.runner = runner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self.runner.run(self.runner.send(request))


class _AsyncTransport(httpx.AsyncBaseTransport):
    """For async tests: the caller's loop awaits the request the app's loop serves."""

    def __init__(self, runner: InProcessRunner) -> None:
        self.runner = runner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        future = asyncio.run_coroutine_threadsafe(self.runner.send(request), self.runner.loop)
        return await asyncio.wrap_future(future)


class ServedRunner(Runner):
    """The app behind uvicorn on 127.0.0.1 and a free port, for clients in other languages or code that only takes
    a base URL."""

    def __init__(self, app: MockApp, host: str = "127.0.0.1", port: int = 0, timeout: float = 15.0) -> None:
        import uvicorn

        self.app = app
        loop_ready = threading.Event()

        async def remember_loop() -> None:
            self.loop = asyncio.get_running_loop()
            loop_ready.set()

        app.startup_hooks.append(remember_loop)
        self._server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(target=self._server.run, name="convomock-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not (self._server.started and loop_ready.is_set()):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"convomock: uvicorn did not start on {host}:{port}")
            time.sleep(0.005)
        bound = self._server.servers[0].sockets[0].getsockname()
        self.base_url = f"http://{host}:{bound[1]}"

    def client(self, base_url: str, headers: dict[str, str], **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=base_url, headers=headers, trust_env=False, **kwargs)

    def async_client(self, base_url: str, headers: dict[str, str], **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base_url, headers=headers, trust_env=False, **kwargs)

    def close(self) -> None:
        self._server.should_exit = True  # uvicorn's lifespan shutdown cancels the background jobs
        self._thread.join(timeout=10)


class ClockControl:
    """The mock clock, moved on the app's loop; moving it wakes background jobs that wait for a time."""

    def __init__(self, mock: ConvoMock) -> None:
        self._mock = mock

    def __repr__(self) -> str:
        return f"ClockControl(now={self.now().isoformat()})"

    def now(self) -> datetime:
        return self._mock.runner.app.backend.clock.now()

    def advance(self, duration: str | timedelta) -> datetime:
        """'25h', '1h30m', '90s', '2d' (as POST /__mock/clock takes) or a timedelta; returns the new now."""
        delta = duration if isinstance(duration, timedelta) else parse_duration(duration)
        return self._move(lambda clock: clock.advance(delta))

    def set(self, instant: str | datetime) -> datetime:
        """An ISO 8601 instant (naive means UTC) or an aware datetime."""
        when = instant if isinstance(instant, datetime) else parse_instant(instant)
        return self._move(lambda clock: clock.set(when))

    def freeze(self, frozen: bool = True) -> datetime:
        return self._move(lambda clock: clock.freeze(frozen))

    def _move(self, change: Callable[[Any], None]) -> datetime:
        backend = self._mock.runner.app.backend

        def on_loop() -> datetime:
            change(backend.clock)
            backend.jobs.wake()
            return backend.clock.now()

        self._mock.touched = True
        return self._mock.runner.call(on_loop)


class ConvoMock:
    """One test's view of a running mock (the `convomock` and `convomock_server` fixtures)."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.clock = ClockControl(self)
        self.touched = False  # set by anything that may change state other than a request
        self._clients: list[httpx.Client | httpx.AsyncClient] = []
        self._control: httpx.Client | None = None

    def __repr__(self) -> str:
        return f"ConvoMock({self.base_url!r}, apis={list(self.runner.app.backend.runtimes)})"

    @property
    def base_url(self) -> str:
        """Where the mock answers: its control API is under `/__mock`, each API under its prefix."""
        return self.runner.base_url

    @property
    def app(self) -> MockApp:
        """The app itself, for what the helpers do not cover; change it only through `runner.call`."""
        self.touched = True
        return self.runner.app

    # -- credentials and clients -----------------------------------------------------------------------------------

    def credentials(self, api: str) -> list[dict[str, Any]]:
        """The API's working credentials, as GET /__mock/credentials lists them (with `base_url`)."""
        backend = self.runner.app.backend
        if api not in backend.runtimes:
            raise KeyError(f"convomock: {api!r} is not served here; served: {', '.join(backend.runtimes)}")
        return list(self.runner.call(backend.credentials, backend.runtimes[api], self.base_url))

    def credential(self, api: str, tenant: str | None = None, *, token: str | None = None) -> dict[str, Any]:
        """The first credential of `tenant` (the fixtures' key such as acme or globex, or the API's own tenant id:
        slug, location, org or workspace id), or the one with `token`; by default the API's first."""
        credentials = self.credentials(api)
        wanted = self._tenant_ids(api, tenant) if tenant is not None else None
        for credential in credentials:
            if "purpose" in credential and token is None:
                continue  # a seam's secret (Iron's webhooks), not a client's credential
            if (wanted is None or credential["tenant"] in wanted) and (token is None or credential["token"] == token):
                return credential
        tenants = ", ".join(sorted({str(c["tenant"]) for c in credentials}))
        raise LookupError(f"convomock: no {api} credential for tenant={tenant!r} token={token!r}; tenants: {tenants}")

    def _tenant_ids(self, api: str, tenant: str) -> frozenset[str]:
        """The tenant's ids as a scenario's scope resolves them (backend.tenant_ids), else the text as given."""
        return self.runner.call(self.runner.app.backend.tenant_ids, api, tenant) or frozenset({tenant})

    def headers(self, api: str, tenant: str | None = None, *, token: str | None = None) -> dict[str, str]:
        """What a client of this tenant sends on every call: the bearer token, plus the API's own headers (the
        HighLevel `Version`, the CRM inbox's `X-Org-Id`)."""
        return client_headers(self.credential(api, tenant, token=token))

    def url(self, api: str, tenant: str | None = None, *, token: str | None = None) -> str:
        """The base URL a client of this API (and tenant) points at instead of the vendor's."""
        return str(self.credential(api, tenant, token=token)["base_url"])

    def client(self, api: str, tenant: str | None = None, *, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client whose base URL and headers are those of a real client of this API and tenant:
        `convomock.client("1to1ai").get("/conversations/<uuid>")`. Closed when the test ends."""
        credential = self.credential(api, tenant, token=token)
        headers = {**self.headers(api, tenant, token=token), **kwargs.pop("headers", {})}
        client = self.runner.client(credential["base_url"], headers, **kwargs)
        self._clients.append(client)
        return client

    def async_client(
        self, api: str, tenant: str | None = None, *, token: str | None = None, **kwargs: Any
    ) -> httpx.AsyncClient:
        """As `client`, for async code; close it (`async with`) inside the test."""
        credential = self.credential(api, tenant, token=token)
        headers = {**self.headers(api, tenant, token=token), **kwargs.pop("headers", {})}
        client = self.runner.async_client(credential["base_url"], headers, **kwargs)
        self._clients.append(client)
        return client

    @property
    def control(self) -> httpx.Client:
        """A client at the mock's root, without credentials, for `/__mock/...` (inbound messages and the like)."""
        self.touched = True  # its simulations change state without counting as API requests
        if self._control is None:
            # The header makes every control write pass the cross-site rule, whatever its body's content type.
            self._control = self.runner.client(self.base_url, {"X-Mock-Client": "convomock-testing"})
            self._clients.append(self._control)
        return self._control

    # -- scenarios, time, jobs, journal -------------------------------------------------------------------------------

    @contextmanager
    def scenario(
        self,
        name: str,
        *,
        api: str | None = None,
        tenant: str | None = None,
        conversation: str | None = None,
        contact: str | None = None,
        **params: Any,
    ) -> Iterator[None]:
        """Switch a scenario on for the block, and off again after it: for the whole mock, or only in one `api`,
        `tenant` (a fixture key such as globex, or the API's own id), `conversation` or `contact`, with its effects'
        values or rule numbers as keyword arguments (`scenario("ai-tokens-empty", tenant="globex",
        ai_token_balance=25)`). A scope or parameter the scenario cannot take raises ValueError, naming it."""
        from mock_server.engine.backend import ScenarioRefused

        backend = self.runner.app.backend
        if name not in backend.scenarios.available:
            known = ", ".join(sorted(backend.scenarios.available))
            raise KeyError(f"convomock: unknown scenario {name!r}; known: {known}")
        scope = {
            key: value
            for key, value in (("api", api), ("tenant", tenant), ("conversation", conversation), ("contact", contact))
            if value is not None
        }
        self.touched = True
        try:
            switched = self.runner.call(backend.activate_scenario, name, scope, params)
        except ScenarioRefused as exc:
            raise ValueError(f"convomock: {exc}") from None
        try:
            yield
        finally:
            if switched:
                self.runner.call(backend.deactivate_scenario, name, scope)

    def play(self, path: str | Path) -> Any:
        """Play a timeline (docs/scenarios.md) on this mock as it stands, through HTTP as `convomock play` does, and
        return its result; a failing step raises AssertionError with the per-step report (what was sent, what came
        back, which expectation failed)."""
        from mock_server.engine.timelines import load_timeline, play, report

        result = play(load_timeline(Path(path)), self.control)
        if not result.passed:
            raise AssertionError("timeline failed:\n" + report([result]))
        return result

    def settle(self) -> None:
        """Return once every background job (action groups, AI replies) has run, moving the mock clock forward to
        each delayed one's due time, so tests never sleep."""
        self.touched = True
        self.runner.run(self.runner.app.backend.jobs.settle())

    def journal(
        self,
        api: str | None = None,
        *,
        operation_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        """What the mock received, newest first: each entry has method, path, query, operation_id, tenant, status,
        request_headers (secrets cut), request_body and response_body. `path` is a prefix ('$' ends an exact one)."""
        found = self.runner.call(
            lambda: self.runner.app.backend.journal.query(
                api=api, method=method, path=path, operation_id=operation_id, limit=None if status else limit
            )
        )
        if status is not None:
            found = [entry for entry in found if entry.status == status][:limit]
        return found

    def reset(self) -> None:
        """Back to the seeded start: fresh state, clock at its start, empty journal (done before every test)."""
        self.runner.run(_reset(self.runner))

    def close(self) -> None:
        for client in self._clients:
            if isinstance(client, httpx.Client):
                client.close()
        self._clients.clear()
        self._control = None


async def _reset(runner: Runner) -> None:
    runner.app.backend.reset()
    await asyncio.sleep(0)  # the cancelled jobs finish their cancellation before the next test's requests
