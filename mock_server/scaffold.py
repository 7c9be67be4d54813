"""`convomock new-api NAME` (also `scripts/new-api NAME`): a fifth API in one package.

It writes a spec with one operation (`GET /things/{thingId}`), its fixtures (two tenants, acme and globex), the
package in the shape every API shares (mock_server/apis/README.md) and a test module, then adds the package's line to
the registry (`mock_server/apis/__init__.py`). Served at once, the new API answers its operation, and the shared
suites (tenancy on every operation, bad input, missing credentials, the contract and its planted drifts) take it
up with no other edit. Everything generated is a starting point to rewrite from the vendor's pages.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Scaffold", "ScaffoldError", "scaffold"]

NAME = re.compile(r"[a-z][a-z0-9-]{1,30}[a-z0-9]")


class ScaffoldError(ValueError):
    """The name is not usable, or something of that name exists already."""


@dataclass(frozen=True)
class Scaffold:
    """What `scaffold` wrote, relative to the project root."""

    name: str
    package: str
    files: tuple[Path, ...]
    registry: Path

    def lines(self, root: Path) -> int:
        """Lines written: every new file, and the registry's one line."""
        return sum(len((root / path).read_text(encoding="utf-8").splitlines()) for path in self.files) + 1


def _names(name: str) -> dict[str, str]:
    if not NAME.fullmatch(name):
        raise ScaffoldError(f"an API name is 3 to 32 of a-z, 0-9 and '-', starting with a letter: {name!r}")
    package = name.replace("-", "")
    title = "".join(part.capitalize() for part in name.split("-"))
    digest = hashlib.sha256(name.encode()).hexdigest()
    return {
        "name": name,
        "package": package,
        "Title": title,
        "acme_token": f"{package}_acme_{digest[:20]}",
        "globex_token": f"{package}_globex_{digest[20:40]}",
    }


def scaffold(name: str, root: Path) -> Scaffold:
    """Write the new API's files under `root` (the project's checkout) and register its package."""
    names = _names(name)
    package = names["package"]
    registry = root / "mock_server" / "apis" / "__init__.py"
    text = registry.read_text(encoding="utf-8")
    if f'    "{package}",\n' in text:
        raise ScaffoldError(f"the package {package!r} is registered already")
    targets = {
        Path("specs") / f"{name}.yaml": SPEC,
        Path("fixtures") / f"{name}.yaml": FIXTURES,
        Path("mock_server") / "apis" / package / "__init__.py": INIT,
        Path("mock_server") / "apis" / package / "auth.py": AUTH,
        Path("mock_server") / "apis" / package / "control.py": CONTROL,
        Path("mock_server") / "apis" / package / "drifts.py": DRIFTS,
        Path("mock_server") / "apis" / package / "errors.py": ERRORS,
        Path("mock_server") / "apis" / package / "handlers.py": HANDLERS,
        Path("mock_server") / "apis" / package / "probes.py": PROBES,
        Path("mock_server") / "apis" / package / "seed.py": SEED,
        Path("mock_server") / "apis" / package / "state.py": STATE,
        Path("mock_server") / "apis" / package / "wire.py": WIRE,
        Path("tests") / "apis" / package / "__init__.py": "",
        Path("tests") / "apis" / package / f"test_{package}.py": TEST,
    }
    existing = [str(path) for path in targets if (root / path).exists()]
    if existing:
        raise ScaffoldError(f"these exist already: {', '.join(existing)}")
    for path, template in targets.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(_fill(template, names), encoding="utf-8")
    entries = re.search(r"PACKAGES = \(\n((?:    \"[a-z0-9]+\",\n)+)\)", text)
    if entries is None:
        raise ScaffoldError(f"{registry}: no `PACKAGES = (...)` tuple to add the package to")
    registry.write_text(text[: entries.end(1)] + f'    "{package}",\n' + text[entries.end(1) :], encoding="utf-8")
    _tidy(root, [root / path for path in targets if path.suffix == ".py"])
    return Scaffold(name, package, tuple(targets), registry.relative_to(root))


def _tidy(root: Path, files: list[Path]) -> None:
    """The project's formatter and import order on what was written (a long name makes longer lines), when ruff is
    installed beside this Python (the project's .venv) or on the PATH; without it the files are valid as written."""
    beside = Path(sys.executable).with_name("ruff")
    ruff = str(beside) if beside.exists() else shutil.which("ruff")
    if ruff is None:
        return
    subprocess.run([ruff, "check", "--fix", "--quiet", *map(str, files)], cwd=root, check=False)
    subprocess.run([ruff, "format", "--quiet", *map(str, files)], cwd=root, check=False)


def _fill(template: str, names: dict[str, str]) -> str:
    """`@@key@@` placeholders, so the templates keep Python's and YAML's own braces."""
    return re.sub(r"@@(\w+)@@", lambda m: names[m.group(1)], template)


SPEC = """\
openapi: 3.1.0
info:
  title: @@Title@@ API
  version: 0.1.0
  x-convomock:
    # Read by the contract toolkit (contract_tests): the envelope every 4xx/5xx must have, and the statuses a
    # schema-valid request may still get from a business rule (an id of another tenant).
    error-envelope: '#/components/schemas/Error'
    schema-valid-refusals: [404]
  description: |
    Scaffolded by `convomock new-api @@name@@`: one operation to replace with the vendor's own, written by hand
    from its pages. Until then every field, status and error here is convomock design.
servers:
  - url: https://api.@@name@@.example/v1
    description: The vendor's API (convomock design until its pages say otherwise).
security:
  - bearer: []
paths:
  /things/{thingId}:
    get:
      operationId: getThing
      summary: Read one thing
      description: One thing of the caller's tenant; another tenant's thing is not found (404).
      parameters:
        - name: thingId
          in: path
          required: true
          description: The thing's id (convomock design).
          schema:
            type: string
            minLength: 1
            maxLength: 64
            pattern: '^[A-Za-z0-9_-]+$'
          example: thing_acme_1
      responses:
        '200':
          description: The thing.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Thing'
        '400':
          $ref: '#/components/responses/Error'
        '401':
          $ref: '#/components/responses/Error'
        '404':
          $ref: '#/components/responses/Error'
components:
  securitySchemes:
    bearer:
      type: http
      scheme: bearer
      description: A tenant's API key (convomock design).
  responses:
    Error:
      description: The vendor's error (convomock design).
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/Error'
  schemas:
    Thing:
      type: object
      description: A thing (convomock design).
      required: [id, name, status, created_at]
      additionalProperties: false
      properties:
        id:
          type: string
        name:
          type: string
        status:
          type: string
          enum: [active, archived]
        created_at:
          type: string
          format: date-time
    Error:
      type: object
      description: Every refusal (convomock design).
      required: [code, message]
      additionalProperties: false
      properties:
        code:
          type: string
        message:
          type: string
"""

FIXTURES = """\
# @@Title@@ seed: the fixed records its tests and docs name. Times are offsets from the mock clock's start.
tenants:
  - key: acme           # the tenant's name for `serve --tenants` (the same in every API)
    id: acme
    name: Acme
    token: @@acme_token@@
    things:
      - {id: thing_acme_1, name: First thing, status: active, created: -2d}
  - key: globex
    id: globex
    name: Globex
    token: @@globex_token@@
    things:
      - {id: thing_globex_1, name: Globex thing, status: archived, created: -1d}
"""

INIT = '''\
"""@@Title@@ API (`/@@name@@`): the binding the engine serves (scaffolded by `convomock new-api @@name@@`)."""

from __future__ import annotations

from mock_server import DATA_ROOT
from mock_server.apis.@@package@@ import auth, control, errors
from mock_server.apis.@@package@@.drifts import DRIFTS
from mock_server.apis.@@package@@.handlers import HANDLERS
from mock_server.apis.@@package@@.probes import PROBES
from mock_server.apis.@@package@@.seed import seed
from mock_server.apis.@@package@@.state import @@Title@@Store
from mock_server.engine.types import ApiBinding

__all__ = ["API"]

API = ApiBinding(
    name="@@name@@",
    prefix="/@@name@@",
    spec_path=DATA_ROOT / "specs" / "@@name@@.yaml",
    fixtures_path=DATA_ROOT / "fixtures" / "@@name@@.yaml",
    store_type=@@Title@@Store,
    handlers=HANDLERS,
    new_store=@@Title@@Store,
    seed=seed,
    authenticate=auth.authenticate,
    errors=errors.STYLE,
    credentials=auth.credentials,
    scenario_effects=control.SCENARIO_EFFECTS,
    control_routes=control.CONTROL_ROUTES,
    drifts=DRIFTS,
    probes=PROBES,
)
'''

AUTH = '''\
"""@@Title@@ authentication: a tenant's API key as a bearer token (convomock design)."""

from __future__ import annotations

from typing import Any

from mock_server.apis.@@package@@ import errors
from mock_server.apis.@@package@@.state import @@Title@@Store
from mock_server.engine.types import Principal, RequestView

__all__ = ["authenticate", "credentials"]


def authenticate(view: RequestView, store: @@Title@@Store) -> Principal:
    """The bearer key decides the tenant."""
    scheme, _, token = view.headers.get("authorization", "").partition(" ")
    owner = store.key_owner(token.strip()) if scheme.lower() == "bearer" else None
    if owner is None:
        raise errors.InvalidToken()
    return Principal(tenant_id=owner.id, key=owner.id, label=owner.name)


def credentials(store: @@Title@@Store) -> list[dict[str, Any]]:
    """What `GET /__mock/credentials` lists: every tenant's key."""
    return [{"tenant": tenant.id, "token": tenant.token, "name": tenant.name} for tenant in store.tenants.values()]
'''

CONTROL = '''\
"""@@Title@@'s control routes under `/__mock/@@name@@/` and scenario state effects: none yet."""

from __future__ import annotations

from collections.abc import Mapping

from mock_server.engine.scenarios import Effect
from mock_server.engine.types import ControlRoute

__all__ = ["CONTROL_ROUTES", "SCENARIO_EFFECTS"]

CONTROL_ROUTES: tuple[ControlRoute, ...] = ()
SCENARIO_EFFECTS: Mapping[str, Effect] = {}
'''

DRIFTS = '''\
"""The ways the @@Title@@ API could drift from its spec, one per kind of breakage, for the contract toolkit to plant
(`convomock contract --drift NAME`, `mock_server/engine/drift.py`): each must make a contract run fail."""

from __future__ import annotations

from mock_server.apis.@@package@@.probes import ACME_TOKEN
from mock_server.engine.drift import Drift, anyone_in, ask_again_as, flat_error, on_body, status_as

__all__ = ["DRIFTS"]

ACME = {b"authorization": f"Bearer {ACME_TOKEN}".encode()}
_THING = r"(/@@name@@)?/v1/things/[^/]+"

DRIFTS = (
    Drift(
        "@@name@@-field-dropped",
        "@@name@@",
        "getThing",
        "a required field dropped",
        "GET",
        _THING,
        response=on_body(lambda thing: thing.pop("name", None)),
        caught_as="Response violates schema",
    ),
    Drift(
        "@@name@@-type-changed",
        "@@name@@",
        "getThing",
        "a type changed (created_at as a number)",
        "GET",
        _THING,
        response=on_body(lambda thing: thing.update(created_at=0)),
        caught_as="Response violates schema",
    ),
    Drift(
        "@@name@@-enum-renamed",
        "@@name@@",
        "getThing",
        "an enum value renamed (active -> ACTIVE)",
        "GET",
        _THING,
        response=on_body(lambda thing: thing.update(status=str(thing.get("status")).upper())),
        caught_as="Response violates schema",
    ),
    Drift(
        "@@name@@-status-changed",
        "@@name@@",
        "getThing",
        "a status changed (200 -> 203)",
        "GET",
        _THING,
        response=status_as(200, 203),
        caught_as="documented_success_status",
    ),
    Drift(
        "@@name@@-error-shape",
        "@@name@@",
        "getThing",
        "an error body in another shape",
        "GET",
        _THING,
        response=flat_error,
        caught_as="vendor_error_envelope",
    ),
    Drift(
        "@@name@@-auth-ignored",
        "@@name@@",
        "getThing",
        "auth not enforced",
        "GET",
        _THING,
        request=anyone_in(lambda: ACME),
        caught_as="API accepts requests without authentication",
    ),
    Drift(
        "@@name@@-tenant-leak",
        "@@name@@",
        "getThing",
        "another tenant's object readable",
        "GET",
        _THING,
        retry=ask_again_as(404, lambda: ACME),
        caught_as="other_tenant_not_found",
    ),
)
'''

ERRORS = '''\
"""@@Title@@ errors: `{code, message}` (convomock design), the vendor's codes, and how each neutral kind reads."""

from __future__ import annotations

from typing import Any

from mock_server.engine.errors import ErrorStyle, Problem, VendorError

__all__ = ["STYLE", "@@Title@@Error", "InvalidToken", "ThingNotFound"]


class @@Title@@Error(VendorError):
    status, code = 400, "INVALID_REQUEST"


class InvalidToken(@@Title@@Error):
    status, code, message = 401, "INVALID_TOKEN", "The API key is missing or unknown."


class ThingNotFound(@@Title@@Error):
    status, code, message = 404, "NOT_FOUND", "No thing {id}."


def _envelope(problem: Problem) -> dict[str, Any]:
    return {"code": problem.code, "message": problem.message}


def _fault(status: int, code: str, message: str) -> Any:
    return lambda fault: Problem(fault.status or status, message, code)


STYLE = ErrorStyle(
    envelope=_envelope,
    wording={
        "request_invalid": lambda e: Problem(400, e.describe(), "INVALID_REQUEST"),
        "unauthenticated": lambda e: Problem(401, InvalidToken.message, InvalidToken.code),
        "rate_limited": lambda e: Problem(
            429, "Too many requests.", "RATE_LIMITED", {"Retry-After": str(e.retry_after)}
        ),
        "route_not_found": lambda e: Problem(404, "No endpoint at this path.", "NOT_FOUND"),
        "method_not_allowed": lambda e: Problem(
            405, "Method not allowed here.", "METHOD_NOT_ALLOWED", {"Allow": ", ".join(e.allowed)}
        ),
        "payload_too_large": lambda e: Problem(413, f"The body exceeds {e.limit} bytes.", "PAYLOAD_TOO_LARGE"),
        "unsupported_media_type": lambda e: Problem(415, "Send application/json.", "UNSUPPORTED_MEDIA_TYPE"),
        "internal": lambda e: Problem(500, str(e) or "Internal error.", "INTERNAL"),
        "fault:rate_limited": _fault(429, "RATE_LIMITED", "Too many requests."),
        "fault:unauthorized": _fault(401, "INVALID_TOKEN", "The API key has been revoked."),
        "fault:insufficient_scope": _fault(403, "FORBIDDEN", "The API key may not do this."),
        "fault:server_error": _fault(500, "INTERNAL", "Internal error."),
        "fault:bad_gateway": _fault(502, "BAD_GATEWAY", "An upstream service failed."),
        "fault:unavailable": _fault(503, "UNAVAILABLE", "The service is unavailable."),
    },
)
'''

HANDLERS = '''\
"""@@Title@@ handlers, one per operationId: validated input in, the wire form out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mock_server.apis.@@package@@ import wire
from mock_server.apis.@@package@@.state import @@Title@@Store
from mock_server.engine.types import Call, Handler

__all__ = ["HANDLERS"]


def get_thing(call: Call) -> Any:
    store: @@Title@@Store = call.store
    return wire.thing_json(store.tenant(call.principal.tenant_id).thing(call.path["thingId"]))


HANDLERS: Mapping[str, Handler] = {
    "getThing": get_thing,
}
'''

PROBES = '''\
"""What the shared test suites send to the @@Title@@ API (`mock_server/engine/probes.py`): for its operation a
request acme may send, and globex trying it on acme's thing. Ids are the fixed records of fixtures/@@name@@.yaml."""

from __future__ import annotations

from mock_server.engine.probes import Caller, Case, Probes, ProbeSession, TenancyProbes

__all__ = ["ACME_TOKEN", "PROBES"]

ACME_TOKEN = "@@acme_token@@"
GLOBEX_TOKEN = "@@globex_token@@"


def _callers(session: ProbeSession) -> dict[str, Caller]:
    return {
        "first": Caller({"Authorization": f"Bearer {ACME_TOKEN}"}),
        "globex": Caller({"Authorization": f"Bearer {GLOBEX_TOKEN}"}),
    }


PROBES = Probes(
    write="/things/thing_acme_1",  # no write yet: a bad body reaches the read, which refuses it all the same
    read="/things/thing_acme_1",
    tenancy=TenancyProbes(
        container="tenants",
        first="acme",
        second="globex",
        cases={"getThing": {"base": lambda o: Case({"thingId": "thing_acme_1"})}},
        shapes={"globex": False},  # the key alone decides the tenant
        callers=_callers,
        unauthorized="INVALID_TOKEN",
    ),
)
'''

SEED = '''\
"""Deterministic @@Title@@ seed: the fixed records of fixtures/@@name@@.yaml (no generated ones yet)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mock_server.apis.@@package@@.state import @@Title@@Store, Tenant, Thing
from mock_server.engine.clock import parse_duration
from mock_server.engine.ids import SeededRandom
from mock_server.engine.options import MockOptions

__all__ = ["seed"]


def seed(
    store: @@Title@@Store, fixtures: Mapping[str, Any], rng: SeededRandom, start: datetime, options: MockOptions
) -> None:
    for raw in fixtures.get("tenants") or []:
        tenant = Tenant(id=raw["id"], name=raw["name"], token=raw["token"])
        for thing in raw.get("things") or []:
            created = start + parse_duration(thing["created"])
            tenant.add_thing(Thing(thing["id"], thing["name"], thing["status"], created))
        store.tenants[tenant.id] = tenant
'''

STATE = '''\
"""@@Title@@ state: tenants with their things, and the store's operations. No HTTP here; every "not found" is
raised by one lookup."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mock_server.apis.@@package@@ import errors

__all__ = ["@@Title@@Store", "Tenant", "Thing"]


@dataclass
class Thing:
    id: str
    name: str
    status: str  # active, archived
    created_at: datetime


@dataclass
class Tenant:
    id: str
    name: str
    token: str
    things: dict[str, Thing] = field(default_factory=dict)

    def thing(self, thing_id: str) -> Thing:
        found = self.things.get(thing_id)
        if found is None:
            raise errors.ThingNotFound(id=thing_id)
        return found

    def add_thing(self, thing: Thing) -> None:
        self.things[thing.id] = thing


@dataclass
class @@Title@@Store:
    tenants: dict[str, Tenant] = field(default_factory=dict)

    def tenant(self, tenant_id: str) -> Tenant:
        return self.tenants[tenant_id]

    def key_owner(self, token: str) -> Tenant | None:
        return next((t for t in self.tenants.values() if token and t.token == token), None)
'''

WIRE = '''\
"""The wire shapes of @@Title@@ records (specs/@@name@@.yaml)."""

from __future__ import annotations

from typing import Any

from mock_server.apis.@@package@@.state import Thing
from mock_server.engine.clock import iso

__all__ = ["thing_json"]


def thing_json(thing: Thing) -> dict[str, Any]:
    return {"id": thing.id, "name": thing.name, "status": thing.status, "created_at": iso(thing.created_at)}
'''

TEST = '''\
"""The @@Title@@ API's operation, through the shipped pytest plugin (the `convomock` fixture)."""

from __future__ import annotations

from mock_server.testing import ConvoMock


def test_a_tenant_reads_its_thing(convomock: ConvoMock) -> None:
    response = convomock.client("@@name@@", "acme").get("/things/thing_acme_1")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": "thing_acme_1",
        "name": "First thing",
        "status": "active",
        "created_at": "2026-01-13T15:00:00Z",
    }


def test_another_tenants_thing_is_not_found(convomock: ConvoMock) -> None:
    response = convomock.client("@@name@@", "globex").get("/things/thing_acme_1")
    assert response.status_code == 404
    assert response.json() == {"code": "NOT_FOUND", "message": "No thing thing_acme_1."}
'''
