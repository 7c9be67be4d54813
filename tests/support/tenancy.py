"""One running mock per API with the objects its first tenant holds, and the callers its probes name: the harness of
the tenancy suite (tests/test_tenancy_everywhere.py) and of the vendor tests that reuse it (HighLevel's scopes).

What an API's requests look like comes only from its package's probes (`ApiBinding.probes`); nothing here names a
vendor's token, field or path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx2  # what starlette's TestClient answers with
from starlette.testclient import TestClient

from mock_server.apis import BINDINGS
from mock_server.engine.app import MockApp
from mock_server.engine.probes import Caller, Case, Objects, TenancyProbes
from mock_server.engine.specs import Operation
from mock_server.server import create_app
from tests.support.specs import SPECS, error_envelope

__all__ = [
    "BASE",
    "BASE_URL",
    "TenancyMock",
    "TenancyMocks",
    "operations",
    "probes_of",
    "refused_alike",
    "start",
    "where",
]

BASE_URL = "http://127.0.0.1:8000"
BASE = "base"  # the variant every operation has: the first tenant's ids everywhere, valid for the first tenant
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT")
WORD = re.compile(r"[A-Za-z][A-Za-z_.-]*")  # an enum value or field name when the spec has it too, not an identity
LOWER_WORD = re.compile(r"[a-z][a-z_-]*")  # 'inbound', 'triage': too common to name a tenant


def operations(api: str | None = None, public: bool = False) -> Iterator[tuple[str, Operation]]:
    for name, spec in SPECS.items():
        for operation in spec.operations:
            if (api is None or name == api) and (public or not operation.public):
                yield name, operation


def probes_of(api: str) -> TenancyProbes:
    probes = BINDINGS[api].probes
    assert probes is not None, f"{api}: its package gives no probes (ApiBinding.probes)"
    return probes.tenancy


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():  # keys are field names, or ids that the record repeats as a value
            yield from _strings(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _strings(item)


@dataclass
class TenancyMock:
    """One API served in-process, prepared once; each case restores the prepared state when the last one changed it."""

    api: str
    app: MockApp
    http: TestClient
    probes: TenancyProbes
    envelope: Any = None
    callers: dict[str, Caller] = field(default_factory=dict)
    objects: Objects = field(default_factory=dict)
    baseline: str = ""
    first_strings: frozenset[str] = frozenset()
    first_key: str = ""  # the first tenant's fixture key (acme): a name its data carries everywhere
    dirty: bool = False

    # -- the ProbeSession a package's probes work with -------------------------------------------------------------

    def first(self, method: str, path: str, **kwargs: Any) -> Any:
        credential = self.credentials()[0]
        base = urlsplit(credential["base_url"]).path
        response = self.http.request(method, base + path, headers=self.callers["first"].headers, **kwargs)
        assert response.is_success, (self.api, method, path, response.status_code, response.text[:200])
        return response.json()

    def call(self, method: str, path: str, caller: str | None = None, **kwargs: Any) -> httpx2.Response:
        headers = {**(self.callers[caller].headers if caller else {}), **kwargs.pop("headers", {})}
        return self.http.request(method, BINDINGS[self.api].prefix + path, headers=headers, **kwargs)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx2.Response:
        return self.http.request(method, url.removeprefix(BASE_URL), **kwargs)

    def store(self) -> Mapping[str, Any]:
        return dict(json.loads(self.state())["apis"][self.api]["store"])

    def credentials(self) -> Sequence[Mapping[str, Any]]:
        return list(self.http.get("/__mock/credentials").json()[self.api])

    # -- what the suites do ---------------------------------------------------------------------------------------

    def state(self) -> str:
        response = self.http.get("/__mock/state")
        assert response.status_code == 200
        return response.text

    def fresh(self) -> None:
        """Back to the prepared state when a previous case changed it (restoring costs less than a new app)."""
        if self.dirty:
            response = self.http.put(
                "/__mock/state", content=self.baseline, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 200, response.text
            self.dirty = False

    def first_part(self, snapshot: str) -> str:
        """Everything but the second tenant's own data and the id generator: what it may never change."""
        store = json.loads(snapshot)["apis"][self.api]["store"]
        del store[self.probes.container][self.probes.second]
        return json.dumps(store, sort_keys=True)

    def send(self, caller: Caller, operation: Operation, case: Case, **headers: str) -> httpx2.Response:
        values = {**caller.path, **case.path}
        path = BINDINGS[self.api].prefix + re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], operation.path)
        query = {**case.query, **caller.query}
        sent = {**caller.headers, **headers}
        if case.files is not None:
            return self.http.request(operation.method, path, params=query, headers=sent, files=case.files)
        content = None if case.body is None else json.dumps(case.body).encode()
        if content is not None:
            sent["Content-Type"] = "application/json"
        return self.http.request(operation.method, path, params=query, headers=sent, content=content)

    def case(self, operation: Operation) -> Case:
        """The operation's base request, valid for the first tenant (a public operation has its own)."""
        if operation.public:
            return self.probes.public[operation.operation_id]
        cases = self.probes.cases.get(operation.operation_id)
        assert cases is not None, f"{self.api} {operation.operation_id}: no case; add one to its package's probes"
        return cases[BASE](self.objects)

    def leaks(self, response: httpx2.Response) -> list[str]:
        """The first tenant's strings in an answer, apart from what the request itself carried (an echoed id)."""
        request = unquote(str(response.request.url)) + response.request.content.decode("utf-8", "replace")
        return self.first_strings_in(response.text, request)

    def first_strings_in(self, text: str, sent: str = "") -> list[str]:
        shown = sorted(s for s in self.first_strings if s in text and s not in sent)
        key = self.first_key.lower()
        if key and key in text.lower() and key not in sent.lower():
            shown.append(key)
        return shown


def start(api: str) -> TenancyMock:
    """The API served, its callers made, its first tenant's extra objects prepared, the state kept as the baseline."""
    app = create_app(apis=[api], frozen=True)
    http = TestClient(app, base_url=BASE_URL)
    http.__enter__()
    probes = probes_of(api)
    mock = TenancyMock(api, app, http, probes, error_envelope(api))
    mock.callers = {"first": Caller({})}  # until the probes name it: `callers` may itself call as the first tenant
    mock.callers = dict(probes.callers(mock))
    mock.objects = probes.prepare(mock)
    mock.baseline, mock.dirty = mock.state(), True
    mock.fresh()  # restored once, the snapshot is the fixed point (test_a_restored_snapshot_reads_back_unchanged)
    mock.baseline = mock.state()
    runtime = app.backend.runtimes[api]
    mock.first_key = str(runtime.fixtures[runtime.binding.tenant_collection][0]["key"])
    store = json.loads(mock.baseline)["apis"][api]["store"]
    firsts, others = probes.globals(store)
    other_text = "\x00".join(_strings([store[probes.container][probes.second], others]))
    spec = json.dumps(SPECS[api].document)
    mock.first_strings = frozenset(
        s
        for s in _strings([store[probes.container][probes.first], firsts])
        if len(s) >= 6
        and not TIMESTAMP.match(s)
        and s not in other_text
        and not LOWER_WORD.fullmatch(s)
        and not (WORD.fullmatch(s) and f'"{s}"' in spec)
    )
    return mock


class TenancyMocks(dict[str, TenancyMock]):
    """Started on first use, one per API, for a whole module."""

    def __missing__(self, api: str) -> TenancyMock:
        self[api] = start(api)
        return self[api]

    def close(self) -> None:
        for mock in self.values():
            mock.http.__exit__(None, None, None)
            backend = mock.app.backend
            assert backend.internal_errors == [] and backend.strict_violations == [], (
                mock.api,
                backend.internal_errors,
                backend.strict_violations,
            )


def where(api: str, operation_id: str, label: str, response: httpx2.Response) -> str:
    return f"{api} {operation_id} [{label}]: {response.status_code} {response.text[:200]}"


def refused_alike(
    mock: TenancyMock,
    operation: Operation,
    case: Case,
    caller: Caller,
    status: int,
    mentions: str,
    label: str,
    **headers: str,
) -> None:
    """The vendor's refusal in its envelope, naming why, showing none of the first tenant's data, changing nothing."""
    mock.fresh()
    before = mock.state()
    response = mock.send(caller, operation, case, **headers)
    said = where(mock.api, operation.operation_id, label, response)
    assert response.status_code == status, said
    assert mock.envelope.is_valid(response.json()), f"{said}: not the vendor's error envelope"
    assert mentions in response.text, f"{said}: expected {mentions!r}"
    if status == 401:
        for name, value in mock.probes.challenge.items():
            assert response.headers.get(name) == value, f"{said}: no {name}: {value} on the 401"
    assert not mock.leaks(response), f"{said}: shows the first tenant's {mock.leaks(response)[:5]}"
    assert mock.state() == before, f"{said}: the refusal changed the state"
