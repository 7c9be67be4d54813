"""Which of convomock's modules one request runs through (issue 13's "a request readable in five files").

`python -m bench.trace` sends two requests in process, each traced with `sys.setprofile` from the moment the
request enters the app until its answer (and, for the action group, its background jobs) is done, and lists the
modules of `mock_server` whose functions ran, with the number of calls in each. Setup (building the app, logging
in) is not traced. The figures go in the closing note; nothing here is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from mock_server.engine.backend import client_headers
from mock_server.server import create_app

ROOT = Path(__file__).resolve().parents[1] / "mock_server"


def _module(filename: str) -> str | None:
    path = Path(filename)
    try:
        relative = path.resolve().relative_to(ROOT.resolve())
    except ValueError:
        return None
    return "mock_server/" + relative.as_posix()


async def _traced(work: Callable[[], Awaitable[Any]]) -> Counter[str]:
    calls: Counter[str] = Counter()

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            module = _module(frame.f_code.co_filename)
            if module is not None:
                calls[module] += 1

    sys.setprofile(profile)
    try:
        await work()
    finally:
        sys.setprofile(None)
    return calls


async def _action_group() -> Counter[str]:
    app = create_app(apis=["1to1ai"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        credentials = (await client.get("/__mock/credentials")).json()["1to1ai"][0]
        url = credentials["base_url"].removeprefix("http://127.0.0.1:8000") + "/conversation/actions"
        headers = {"Authorization": f"Bearer {credentials['token']}"}
        body = {
            "conversation": {"uuid": "550e8400-e29b-41d4-a716-446655440000"},
            "actions": [
                {"type": "assign_label", "tags": [{"name": "VIP"}]},
                {"type": "send_message", "message": {"kind": "text", "body": "Hola"}},
                {"type": "run_ai"},
            ],
        }

        async def work() -> None:
            response = await client.post(url, json=body, headers=headers)
            assert response.status_code == 202, response.text
            await _settle(app)

        return await _traced(work)


async def _settle(app: Any) -> None:
    jobs = getattr(app, "jobs", None) or app.backend.jobs
    await jobs.settle()


async def _omni_find() -> Counter[str]:
    app = create_app(apis=["omni-inbox"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        credential = (await client.get("/__mock/credentials")).json()["omni-inbox"][0]
        url = credential["base_url"].removeprefix("http://127.0.0.1:8000") + "/conversations"
        headers = client_headers(credential)  # the organization's x-api-key

        async def work() -> None:
            response = await client.get(url, params={"organization_id": "456", "$limit": "50"}, headers=headers)
            assert response.status_code == 200, response.text

        return await _traced(work)


REQUESTS = {"1to1ai-action-group": _action_group, "omni-find": _omni_find}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.trace", description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(REQUESTS), action="append")
    args = parser.parse_args(argv)
    for name in args.only or list(REQUESTS):
        calls = asyncio.run(REQUESTS[name]())
        print(f"{name}: {len(calls)} modules")
        for module, count in sorted(calls.items()):
            print(f"  {module:50} {count:6} calls")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
