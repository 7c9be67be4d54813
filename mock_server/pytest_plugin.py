"""The convomock pytest plugin (entry point `pytest11`, loaded whenever convomock is installed).

Fixtures:
- `convomock`: the mock in-process; `convomock.client("1to1ai")` is an httpx client with that API's base URL and
  working credentials. Fresh seeded state in every test.
- `convomock_server`: the same, served by uvicorn on 127.0.0.1 and a free port, for code that takes a base URL
  (`convomock_server.url("1to1ai")`) or clients in other languages.
- `convomock_guard`: fails a test that reaches a real vendor host; both fixtures above use it.

The app is built once per session for each configuration (APIs, seed, ...) and reset before each test that follows
one which used it. Settings come from `@pytest.mark.convomock(...)` (the closest marker wins, key by key), then
the command line, then the ini file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mock_server.engine.clock import parse_instant
from mock_server.engine.options import MockOptions, env_scenario_folders

if TYPE_CHECKING:  # imported lazily at run time: loading the plugin must stay cheap for suites that never use it
    from mock_server.testing import ConvoMock, Runner
    from mock_server.vendor_guard import VendorHostGuard

__all__ = ["MockSettings", "settings_for"]

_GUARD = pytest.StashKey["VendorHostGuard"]()
_MARKER_KEYS = ("apis", "seed", "conversations", "tenants", "scenarios", "frozen", "start", "strict", "guard", "reset")
MARKER_HELP = (
    "convomock(apis=None, seed=0, conversations=None, tenants=None, scenarios=(), frozen=True, start=None, "
    "strict=True, guard=True, reset=True): configure the convomock fixtures for a test, class or module. apis: "
    "the APIs to serve (default all); scenarios: switched on after the reset; frozen: the mock clock stands "
    "still unless moved; start: the clock's ISO start; guard=False lets the test reach real vendor hosts; "
    "reset=False keeps the state the previous test left."
)


@dataclass(frozen=True)
class MockSettings:
    """A test's mock: the options its app is built from (tests with equal options share one app), and what the
    fixture does around the test."""

    app: MockOptions
    scenarios: tuple[str, ...] = ()
    guard: bool = True
    reset: bool = True


@dataclass
class _Session:
    """The runners built in this session, by kind and options, and whether the last test changed each one."""

    runners: dict[tuple[bool, MockOptions], Runner] = field(default_factory=dict)
    dirty: dict[tuple[bool, MockOptions], bool] = field(default_factory=dict)

    def runner(self, served: bool, options: MockOptions) -> Runner:
        if (served, options) not in self.runners:
            from mock_server.server import create_app
            from mock_server.testing import InProcessRunner, ServedRunner

            app = create_app(options)
            self.runners[(served, options)] = ServedRunner(app) if served else InProcessRunner(app)
            self.dirty[(served, options)] = False
        return self.runners[(served, options)]

    def close(self) -> None:
        for runner in self.runners.values():
            runner.close()
        self.runners.clear()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("convomock", "convomock (the fake conversation-inbox APIs)")
    group.addoption(
        "--convomock-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed of the mock's generated data (default: ini convomock_seed, else 0)",
    )
    group.addoption(
        "--convomock-apis",
        default=None,
        metavar="NAME,...",
        help="APIs the fixtures serve, e.g. 1to1ai,highlevel (default: ini convomock_apis, else all); "
        "fewer APIs make each reset cheaper",
    )
    group.addoption(
        "--convomock-conversations",
        type=int,
        default=None,
        metavar="N",
        help="generated conversations per tenant (default: the fixtures' number)",
    )
    group.addoption(
        "--convomock-allow-vendor-hosts",
        action="store_true",
        default=False,
        help="do not block connections to the real vendors' hosts in tests that use the mock",
    )
    group.addoption(
        "--convomock-scenarios",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of your own scenario files, added to the built-in ones (repeatable; also ini "
        "convomock_scenarios and $CONVOMOCK_SCENARIOS); checked when the mock starts",
    )
    parser.addini("convomock_seed", "seed of the mock's generated data (default 0)", default="0")
    parser.addini(
        "convomock_scenarios", "folders of your own scenario files, relative to the ini file", type="paths", default=[]
    )
    parser.addini("convomock_apis", "comma-separated APIs the fixtures serve (default all)", default="")
    parser.addini("convomock_conversations", "generated conversations per tenant (default: the fixtures')", default="")
    parser.addini(
        "convomock_guard",
        "block the real vendors' hosts in tests that use the mock (default true)",
        type="bool",
        default=True,
    )
    parser.addini(
        "convomock_frozen_clock",
        "the mock clock stands still unless a test moves it (default true)",
        type="bool",
        default=True,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    result = yield
    guard = item.stash.get(_GUARD, None)
    if guard is not None and guard.attempts:  # the test passed, but only because its code swallowed the error
        from mock_server.vendor_guard import VendorHostBlocked

        hosts = ", ".join(sorted({attempt.host for attempt in guard.attempts}))
        pytest.fail(
            f"{VendorHostBlocked(guard.attempts[0])} (Tried {len(guard.attempts)} time(s): {hosts}; the "
            f"code under test caught the error, so the test would have passed.)",
            pytrace=False,
        )
    return result


def _csv(text: str | None) -> tuple[str, ...] | None:
    names = tuple(part.strip() for part in (text or "").split(",") if part.strip())
    return names or None


def _names(value: Any, what: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise pytest.UsageError(f"@pytest.mark.convomock({what}=...) takes a name or a list of names, got {value!r}")


def _scenario_folders(config: pytest.Config) -> tuple[str, ...]:
    """$CONVOMOCK_SCENARIOS', the ini file's, then the command line's: as `convomock serve` takes them."""
    here = Path(config.invocation_params.dir)
    from_env = [str((here / folder).resolve()) for folder in env_scenario_folders()]
    from_ini = [str(path) for path in config.getini("convomock_scenarios")]  # relative to the ini file already
    given = [str((here / folder).resolve()) for folder in config.getoption("convomock_scenarios")]
    return (*from_env, *from_ini, *given)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Scenario folders are checked once, before any test: a bad file stops the run in one line (not a traceback
    in every test that uses the mock)."""
    folders = _scenario_folders(session.config)
    if not folders:
        return
    from mock_server.engine.scenarios import ScenarioFileError, load_scenarios
    from mock_server.server import SCENARIOS_DIR, scenario_effects

    try:
        load_scenarios(SCENARIOS_DIR, *(Path(folder) for folder in folders), effects=scenario_effects())
    except ScenarioFileError as exc:
        raise pytest.UsageError(f"convomock: {exc}") from None


def settings_for(node: pytest.Item) -> MockSettings:
    """The marker's keys (closest marker first), then the command line, then the ini file."""
    config = node.config
    given: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers("convomock"))):
        if marker.args:
            raise pytest.UsageError(f"{node.nodeid}: @pytest.mark.convomock takes keyword arguments only")
        unknown = set(marker.kwargs) - set(_MARKER_KEYS)
        if unknown:
            raise pytest.UsageError(
                f"{node.nodeid}: @pytest.mark.convomock does not know {', '.join(sorted(unknown))}"
                f"; it takes {', '.join(_MARKER_KEYS)}"
            )
        given.update(marker.kwargs)
    seed = config.getoption("convomock_seed")
    conversations = config.getoption("convomock_conversations")
    start = given.get("start")
    app = MockOptions(
        apis=_names(given["apis"], "apis")
        if "apis" in given
        else _csv(config.getoption("convomock_apis") or config.getini("convomock_apis")),
        seed=int(given.get("seed", seed if seed is not None else config.getini("convomock_seed") or 0)),
        conversations=given.get(
            "conversations",
            conversations if conversations is not None else int(config.getini("convomock_conversations") or 0) or None,
        ),
        tenants=_names(given.get("tenants"), "tenants"),
        frozen=bool(given.get("frozen", config.getini("convomock_frozen_clock"))),
        start=parse_instant(start) if isinstance(start, str) else start,
        strict=bool(given.get("strict", True)),
        scenario_dirs=_scenario_folders(config),
    )
    guard = bool(given.get("guard", config.getini("convomock_guard"))) and not config.getoption(
        "convomock_allow_vendor_hosts"
    )
    return MockSettings(
        app=app,
        scenarios=_names(given.get("scenarios"), "scenarios") or (),
        guard=guard,
        reset=bool(given.get("reset", True)),
    )


@pytest.fixture(scope="session")
def _convomock_session() -> Iterator[_Session]:
    session = _Session()
    yield session
    session.close()


@pytest.fixture
def convomock_guard(request: pytest.FixtureRequest) -> Iterator[VendorHostGuard | None]:
    """Armed for the test: reaching a host in a spec's `servers` (the real vendors') raises VendorHostBlocked and
    fails the test. None when switched off (`guard=False`,
    `--convomock-allow-vendor-hosts`, ini `convomock_guard = false`)."""
    if not settings_for(request.node).guard:
        yield None
        return
    from mock_server.vendor_guard import VendorHostGuard

    guard = VendorHostGuard()
    request.node.stash[_GUARD] = guard
    with guard.armed():
        yield guard


def _mock(request: pytest.FixtureRequest, session: _Session, served: bool) -> Iterator[ConvoMock]:
    from mock_server.testing import ConvoMock

    settings = settings_for(request.node)
    slot = (served, settings.app)
    runner = session.runner(served, settings.app)
    mock = ConvoMock(runner)
    backend = runner.app.backend
    if settings.reset and (session.dirty[slot] or not settings.app.frozen):  # a running clock has moved
        mock.reset()
    session.dirty[slot] = True  # until the test is over and shows otherwise
    for name in settings.scenarios:  # on for the whole test; the reset before the next test switches them off
        if name not in backend.scenarios.available:
            raise pytest.UsageError(
                f"{request.node.nodeid}: unknown convomock scenario {name!r}; known: "
                f"{', '.join(sorted(backend.scenarios.available))}"
            )
        runner.call(backend.activate_scenario, name)
    served_before, version_before = backend.served, backend.version
    try:
        yield mock
    finally:
        mock.close()
        session.dirty[slot] = (
            mock.touched
            or bool(settings.scenarios)
            or backend.served != served_before
            or backend.version != version_before
        )


@pytest.fixture
def convomock(
    request: pytest.FixtureRequest, convomock_guard: VendorHostGuard | None, _convomock_session: _Session
) -> Iterator[ConvoMock]:
    """The mock in-process (a `mock_server.testing.ConvoMock`): `client(api, tenant=None)`, `url`, `headers`,
    `credentials(api)`, `scenario(name)`, `clock.advance("25h")`, `settle()`, `journal(...)`, `control`."""
    yield from _mock(request, _convomock_session, served=False)


@pytest.fixture
def convomock_server(
    request: pytest.FixtureRequest, convomock_guard: VendorHostGuard | None, _convomock_session: _Session
) -> Iterator[ConvoMock]:
    """As `convomock`, served over HTTP on 127.0.0.1 and a free port: `convomock_server.base_url`, `.url(api)`."""
    yield from _mock(request, _convomock_session, served=True)
