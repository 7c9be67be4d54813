"""Snapshot -> restore in a fresh process gives identical answers for every GET of every API.

Each API is prepared in process the way the tenancy sweep prepares it (the first tenant's uploads, files, media and
drafts created through the API), then changed by every write operation of its spec but the deletes (its package's
probe for each, sent as the first tenant) and moved two hours on; its snapshot is written to a file, and a new
`convomock serve --api <name> --state FILE` process loads it. Every GET operation of the spec (enumerated, so a
new one cannot skip this) is then asked of both: status and body must be the same. A third process on the plain
seed must answer some of them differently, or the comparison proved nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server.apis import BINDINGS
from tests.support.processes import serving
from tests.support.tenancy import BASE, operations, start

OPERATIONS = {(api, op.operation_id): op for api, op in operations(public=True)}


def _request(mock: Any, api: str, operation_id: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The probe's request of the first tenant for a GET: path (inside the API), query and headers."""
    operation = OPERATIONS[(api, operation_id)]
    case = mock.probes.cases[operation_id][BASE](mock.objects)
    caller = mock.callers["first"]
    values = {**caller.path, **case.path}
    path = re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], operation.path)
    return path, {**case.query, **caller.query}, dict(caller.headers)


def _gets(api: str) -> list[str]:
    return sorted(
        op.operation_id for (name, _), op in OPERATIONS.items() if name == api and op.method == "GET" and not op.public
    )


@pytest.fixture(scope="module", params=sorted(BINDINGS))
def both(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, str]]:
    api = request.param
    planned = [op for (name, _), op in OPERATIONS.items() if name == api and op.method not in ("GET", "DELETE")]
    if not planned:
        pytest.skip(f"{api} has no write yet: a restore would show nothing a seed does not")
    mock = start(api)
    writes = 0
    for (name, operation_id), operation in sorted(OPERATIONS.items()):
        if (
            name == api
            and operation.method not in ("GET", "DELETE")
            and not operation.public
            and BASE in mock.probes.cases.get(operation_id, {})
        ):  # deletes would leave the GETs nothing to read
            case = mock.probes.cases[operation_id][BASE](mock.objects)
            writes += mock.send(mock.callers["first"], operation, case).is_success
    assert writes >= min(5, len(planned)), f"{api}: only {writes} writes succeeded; the state hardly changed"
    assert mock.http.post("/__mock/clock", json={"advance": "2h"}).status_code == 200
    state = Path(tmp_path_factory.mktemp(api)) / "state.json"
    state.write_text(mock.state(), encoding="utf-8")
    try:
        with serving("--api", api, "--freeze", "--state", str(state)) as (base, _):
            yield api, mock, base
    finally:
        mock.http.__exit__(None, None, None)


def test_every_get_answers_the_same_after_a_restore_in_a_fresh_process(both: tuple[str, Any, str]) -> None:
    api, mock, base = both
    operations = _gets(api)
    assert operations, api
    compared = 0
    with httpx.Client(base_url=base, timeout=10) as fresh:
        for operation_id in operations:
            path, query, headers = _request(mock, api, operation_id)
            here = mock.http.get(BINDINGS[api].prefix + path, params=query, headers=headers)
            there = fresh.get(path, params=query, headers=headers)
            assert here.status_code == 200, (operation_id, here.status_code, here.text[:200])
            assert (there.status_code, there.json()) == (here.status_code, here.json()), (
                f"{api} {operation_id}: the restored process answered {there.status_code} {there.text[:300]} "
                f"where the original answered {here.status_code} {here.text[:300]}"
            )
            compared += 1
    assert compared == len(operations)


def _answers(base: str, mock: Any, api: str) -> list[tuple[int, str]]:
    found = []
    with httpx.Client(base_url=base, timeout=10) as client:
        for operation_id in _gets(api):
            path, query, headers = _request(mock, api, operation_id)
            response = client.get(path, params=query, headers=headers)
            found.append((response.status_code, response.text))
    return found


def test_the_restored_answers_differ_from_a_fresh_seed(both: tuple[str, Any, str]) -> None:
    api, mock, base = both
    restored = _answers(base, mock, api)
    with serving("--api", api, "--freeze") as (seeded_base, _):
        seeded = _answers(seeded_base, mock, api)
    assert restored != seeded, f"{api}: the writes changed nothing a GET shows; the round trip proved nothing"
