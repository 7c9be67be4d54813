"""Timelines: a QA story as YAML steps on the mock clock, played against a mock through HTTP only.

A timeline (`scenarios/timelines/*.yaml`, `scenarios/timeline.schema.json`, docs/scenarios.md):

    description: A customer writes, the window closes, a template reopens it
    apis: [1to1ai]
    tenant: acme
    steps:
      - name: a new customer writes
        customer_writes: {api: 1to1ai, slug: acme, phone: "+5215500001111", body: "Hola"}
        expect: {status: 201}
        save: {conversation: body.conversation_uuid}
      - clock: {advance: 25h}
      - call: {api: 1to1ai, method: POST, path: /conversation/messages/text,
               body: {conversation: {uuid: "${conversation}"}, body: "¿Sigues ahí?"}}
        expect: {status: 422, body: {code: WINDOW_CLOSED}}

Every step is one HTTP call (the control API's, or the vendor API's with the tenant's credential), so a timeline
plays the same against a fresh in-process mock (`convomock play FILE`), a running one (`--base-url`) and the pytest
fixture (`convomock.play(path)`). A step that fails stops its timeline; the steps after it are reported skipped.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import jsonschema_rs

from mock_server import DATA_ROOT
from mock_server.engine.errors import FileRefused
from mock_server.engine.scenarios import MAX_FILE_BYTES, NAME, parse_strict_yaml, read_strict_yaml, schema_problem

__all__ = [
    "StepResult",
    "Timeline",
    "TimelineFileError",
    "TimelineResult",
    "junit_xml",
    "load_timeline",
    "parse_timeline",
    "play",
    "play_async",
    "report",
]

SCHEMA_FILE = "timeline.schema.json"  # beside the scenario schema
ACTIONS = ("customer_writes", "call", "control", "clock", "scenario_on", "scenario_off", "settle")
TIMELINES_DIR = DATA_ROOT / "scenarios" / "timelines"


class TimelineFileError(FileRefused):
    """A timeline file the player refuses: `<file>: <field>: <what is wrong>`, one line."""


@dataclass(frozen=True)
class Timeline:
    name: str
    description: str
    path: Path
    steps: list[dict[str, Any]]
    apis: list[str] | None = None
    tenant: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepResult:
    index: int  # from 1
    label: str  # what the step does: its name, else its action
    request: str = ""  # METHOD URL as sent
    sent: Any = None  # the body sent, if any
    status: int | None = None
    body: Any = None
    failures: list[str] = field(default_factory=list)
    skipped: bool = False
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures and not self.skipped

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "label": self.label,
            "request": self.request,
            "status": self.status,
            "passed": self.passed,
            "skipped": self.skipped,
            "failures": self.failures,
            "sent": self.sent,
            "body": self.body,
        }


@dataclass
class TimelineResult:
    timeline: Timeline
    steps: list[StepResult]
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(step.passed for step in self.steps)

    @property
    def failed_step(self) -> StepResult | None:
        return next((step for step in self.steps if step.failures), None)


def timeline_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((DATA_ROOT / "scenarios" / SCHEMA_FILE).read_text(encoding="utf-8"))
    return schema


_VALIDATOR: Any = None


def load_timeline(path: Path) -> Timeline:
    """A timeline file, checked against its schema; one-line TimelineFileError naming the file and the field."""
    return _timeline(read_strict_yaml(path, TimelineFileError), path)


def parse_timeline(text: str, label: str = "timeline") -> Timeline:
    """A timeline given as YAML text (the dashboard's), checked as a file is; `label` stands for its file name."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise TimelineFileError(Path(label), f"over {MAX_FILE_BYTES // 1024} KiB: no timeline is that long")
    return _timeline(parse_strict_yaml(text, Path(label), TimelineFileError), Path(label))


def _timeline(raw: Any, path: Path) -> Timeline:
    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = jsonschema_rs.Draft202012Validator(timeline_schema())
    problem = schema_problem(_VALIDATOR, raw)
    if problem is not None:
        raise TimelineFileError(path, problem)
    stem = path.name.rsplit(".", 1)[0]
    name = raw.get("name", stem)
    if not NAME.fullmatch(name):
        raise TimelineFileError(path, f"name: lower-case letters, digits and '-' ({name!r} is not)")
    return Timeline(
        name=name,
        description=str(raw["description"]).strip(),
        path=path,
        steps=list(raw["steps"]),
        apis=list(raw["apis"]) if raw.get("apis") else None,
        tenant=raw.get("tenant"),
        variables=dict(raw.get("vars") or {}),
    )


def timeline_files(paths: Sequence[Path]) -> list[Path]:
    """The files named, a folder standing for its `*.yaml` / `*.yml` (sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in [*path.glob("*.yaml"), *path.glob("*.yml")] if not p.name.startswith(".")))
        else:
            found.append(path)
    return found


# -- playing -----------------------------------------------------------------------------------------------------


class _Failed(Exception):
    """A step's expectation (or the step itself) failed: its lines go to the report."""

    def __init__(self, *lines: str) -> None:
        self.lines = list(lines)
        super().__init__("; ".join(lines))


Request = tuple[str, str, dict[str, Any]]  # method, URL (relative to the mock's root, or whole), httpx keywords


# What a driver hands back for a request: the answer, or why there was none.
Outcome = httpx.Response | Exception


def _steps(timeline: Timeline, root: str) -> Generator[Request, Outcome, TimelineResult]:
    """The timeline without I/O: yields each request and takes its answer (or the exception sending it raised);
    returns the result. `play` and `play_async` send what it yields."""
    started = time.perf_counter()
    player = _Player(timeline, root)
    results: list[StepResult] = []
    for index, step in enumerate(timeline.steps, start=1):
        result = StepResult(index=index, label=_label(step), skipped=any(r.failures for r in results))
        results.append(result)
        if result.skipped:
            continue
        began = time.perf_counter()
        try:
            if player.credentials is None and "call" in step:
                player.take_credentials(_answer((yield ("GET", "/__mock/credentials", {}))))
            request = player.prepare(step, result)
            player.check(step, result, _answer((yield request)))
        except _Failed as exc:
            result.failures = exc.lines
        except httpx.HTTPError as exc:
            result.failures = [f"the mock did not answer: {type(exc).__name__}: {exc}"]
        except (ValueError, TypeError, UnicodeError) as exc:  # a body JSON cannot carry (NaN), a header not ASCII
            result.failures = [f"the step cannot be sent: {type(exc).__name__}: {exc}"[:400]]
        result.seconds = time.perf_counter() - began
    return TimelineResult(timeline, results, time.perf_counter() - started)


def _answer(outcome: Outcome) -> httpx.Response:
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def play(timeline: Timeline, control: httpx.Client) -> TimelineResult:
    """Play every step through `control` (a client at the mock's root that passes the control API's rules: an
    `X-Mock-Client` header). Stops at the first failing step; the rest are reported skipped."""
    steps = _steps(timeline, str(control.base_url))
    try:
        request = next(steps)
        while True:
            method, url, kwargs = request
            outcome: Outcome
            try:
                outcome = control.request(method, url, **kwargs)
            except (httpx.HTTPError, ValueError, TypeError, UnicodeError) as exc:
                outcome = exc
            request = steps.send(outcome)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def play_async(timeline: Timeline, control: httpx.AsyncClient) -> TimelineResult:
    """`play` for a caller on an event loop (the dashboard's `POST /__mock/timelines/play`, which plays on the mock
    that serves it)."""
    steps = _steps(timeline, str(control.base_url))
    try:
        request = next(steps)
        while True:
            method, url, kwargs = request
            outcome: Outcome
            try:
                outcome = await control.request(method, url, **kwargs)
            except (httpx.HTTPError, ValueError, TypeError, UnicodeError) as exc:
                outcome = exc
            request = steps.send(outcome)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _label(step: Mapping[str, Any]) -> str:
    if step.get("name"):
        return str(step["name"])
    action = next(key for key in ACTIONS if key in step)
    detail = step[action]
    if action == "call":
        return f"call {detail['method']} {detail['path']} ({detail['api']})"
    if action == "customer_writes":
        return f"a customer writes ({detail['api']})"
    if action == "control":
        return f"control {detail['method']} {detail['path']}"
    if action == "clock":
        return "clock " + ", ".join(f"{key} {value}" for key, value in detail.items())
    if action in ("scenario_on", "scenario_off"):
        scope = ", ".join(
            f"{key} {detail[key]}" for key in ("api", "tenant", "conversation", "contact") if key in detail
        )
        return f"{action.replace('_', ' ')}: {detail['name']}" + (f" ({scope})" if scope else "")
    return "settle"


class _Player:
    """What each step sends and what its answer must be, without doing any I/O: `prepare` gives the request,
    `check` judges the answer and keeps what `save` names. `play` and `play_async` do the sending."""

    def __init__(self, timeline: Timeline, root: str) -> None:
        self.timeline = timeline
        self.root = root.rstrip("/")
        self.variables: dict[str, Any] = dict(timeline.variables)
        self.credentials: dict[str, list[dict[str, Any]]] | None = None

    def take_credentials(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            raise _Failed(f"GET /__mock/credentials answered {response.status_code}: {response.text[:200]}")
        self.credentials = response.json()

    def prepare(self, raw_step: Mapping[str, Any], result: StepResult) -> Request:
        step = self._substituted(raw_step)
        result.label = _label(step)  # with the saved values in it
        action = next(key for key in ACTIONS if key in step)
        method, url, kwargs = getattr(self, f"_{action}")(step[action])
        result.request = f"{method} {url.removeprefix(self.root)}"
        result.sent = kwargs.get("json")
        return method, url, kwargs

    def check(self, raw_step: Mapping[str, Any], result: StepResult, response: httpx.Response) -> None:
        step = self._substituted({key: raw_step[key] for key in ("expect", "save") if key in raw_step})
        result.status = response.status_code
        result.body = _body_of(response)
        expect = step.get("expect")
        if (expect is None or "status" not in expect) and response.status_code >= 400:
            # a step that does not say which status it expects must at least succeed
            raise _Failed(f"answered {response.status_code} (a step without an expected status must answer 2xx or 3xx)")
        if expect is not None:
            problems = _check(expect, response.status_code, response.headers, result.body)
            if problems:
                raise _Failed(*problems)
        for name, where in (step.get("save") or {}).items():
            found, value = _at(where, response.status_code, response.headers, result.body)
            if not found:
                raise _Failed(f"save {name}: the answer has no {where}")
            self.variables[name] = value

    # -- the actions: each one HTTP request ----------------------------------------------------------------------

    def _customer_writes(self, detail: Mapping[str, Any]) -> Request:
        body = {key: value for key, value in detail.items() if key != "api"}
        return "POST", f"/__mock/{detail['api']}/inbound", {"json": body}

    def _call(self, detail: Mapping[str, Any]) -> Request:
        credential = self._credential(detail["api"], detail.get("tenant") or self.timeline.tenant)
        headers = {**_client_headers(credential), **(detail.get("headers") or {})}
        kwargs: dict[str, Any] = {"headers": headers}
        if detail.get("query"):
            kwargs["params"] = {k: _text(v) for k, v in detail["query"].items()}
        if "body" in detail:
            kwargs["json"] = detail["body"]
        return detail["method"], str(credential["base_url"]) + detail["path"], kwargs

    def _control(self, detail: Mapping[str, Any]) -> Request:
        kwargs: dict[str, Any] = {}
        if detail.get("query"):
            kwargs["params"] = {k: _text(v) for k, v in detail["query"].items()}
        if "body" in detail:
            kwargs["json"] = detail["body"]
        return detail["method"], detail["path"], kwargs

    def _clock(self, detail: Mapping[str, Any]) -> Request:
        return "POST", "/__mock/clock", {"json": dict(detail)}

    def _scenario_on(self, detail: Mapping[str, Any]) -> Request:
        body = {key: value for key, value in detail.items() if key != "name"}
        return "POST", f"/__mock/scenarios/{detail['name']}", {"json": body}

    def _scenario_off(self, detail: Mapping[str, Any]) -> Request:
        scope = {key: value for key, value in detail.items() if key != "name"}
        return "DELETE", f"/__mock/scenarios/{detail['name']}", {"json": scope}

    def _settle(self, detail: Any) -> Request:
        return "POST", "/__mock/settle", {"json": {}}

    # -- credentials and ${name} ---------------------------------------------------------------------------------

    def _credential(self, api: str, tenant: str | None) -> Mapping[str, Any]:
        credentials = self.credentials or {}
        listed = [c for c in credentials.get(api, []) if "purpose" not in c]
        if not listed:
            raise _Failed(f"the mock does not serve {api} (it serves: {', '.join(credentials)})")
        if tenant is None:
            return listed[0]
        for credential in listed:
            if tenant in (str(credential.get("tenant")), credential.get("tenant_key")):
                return credential
        tenants = sorted({str(c.get("tenant_key") or c.get("tenant")) for c in listed})
        raise _Failed(f"{api} has no tenant {tenant!r} (its tenants: {', '.join(tenants)})")

    def _substituted(self, value: Any) -> Any:
        if isinstance(value, str):
            whole = _VARIABLE.fullmatch(value)
            if whole:  # "${count}" alone keeps the saved value's type
                return self._variable(whole.group(1))
            return _VARIABLE.sub(lambda found: _text(self._variable(found.group(1))), value)
        if isinstance(value, list):
            return [self._substituted(each) for each in value]
        if isinstance(value, dict):
            return {key: self._substituted(each) for key, each in value.items()}
        return value

    def _variable(self, name: str) -> Any:
        if name not in self.variables:
            known = ", ".join(sorted(self.variables)) or "none yet"
            raise _Failed(f"${{{name}}} is not set (set so far: {known}); `save` it in an earlier step or in `vars`")
        return self.variables[name]


_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _client_headers(credential: Mapping[str, Any]) -> dict[str, str]:
    from mock_server.engine.backend import client_headers

    return client_headers(credential)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _body_of(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


# -- expectations --------------------------------------------------------------------------------------------------


def _check(expect: Mapping[str, Any], status: int, headers: httpx.Headers, body: Any) -> list[str]:
    problems: list[str] = []
    wanted = expect.get("status")
    if wanted is not None:
        allowed = wanted if isinstance(wanted, list) else [wanted]
        if status not in allowed:
            problems.append(f"status: expected {' or '.join(map(str, allowed))}, got {status}")
    for name, value in (expect.get("headers") or {}).items():
        got = headers.get(name)
        if got != value:
            problems.append(f"header {name}: expected {value!r}, got {got!r}")
    if "body" in expect:
        problems.extend(_contains(expect["body"], body, "body"))
    for where in expect.get("absent") or []:
        found, value = _at(f"body.{where}", status, headers, body)
        if found:
            problems.append(f"body.{where}: expected absent, got {_shown(value)}")
    return problems


def _contains(expected: Any, actual: Any, where: str) -> list[str]:
    """What of `expected` `actual` lacks: an object's named keys (each matching), a list's items (each matching some
    item of the actual list; `[]` only an empty list), any other value equal (1 and 1.0 alike, true never 1)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {_shown(actual)}"]
        problems: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing (expected {_shown(value)})")
            else:
                problems.extend(_contains(value, actual[key], f"{where}.{key}"))
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {_shown(actual)}"]
        if not expected and actual:  # [] expects an empty list, not "no item in particular"
            return [f"{where}: expected an empty list, got {len(actual)} item(s): {_shown(actual)}"]
        problems = []
        for index, item in enumerate(expected):
            if not any(not _contains(item, candidate, where) for candidate in actual):
                problems.append(f"{where}: no item matches expected item {index} {_shown(item)}")
        return problems
    if isinstance(expected, bool) or isinstance(actual, bool):
        same = expected is actual
    else:
        same = expected == actual
    return [] if same else [f"{where}: expected {_shown(expected)}, got {_shown(actual)}"]


_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


def _at(where: str, status: int, headers: httpx.Headers, body: Any) -> tuple[bool, Any]:
    """The value at `status`, `headers.NAME` or `body.a.b[0].c`: (found, value)."""
    if where == "status":
        return True, status
    if where.startswith("headers."):
        name = where[len("headers.") :]
        return (name in headers), headers.get(name)
    if not where.startswith("body"):
        return False, None
    value = body
    rest = where[len("body") :]
    for match in _PART.finditer(rest):
        key, index = match.groups()
        if key is not None and isinstance(value, dict) and key in value:
            value = value[key]
        elif index is not None and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return False, None
    return True, value


def _shown(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- reports ---------------------------------------------------------------------------------------------------------


def report(results: Sequence[TimelineResult]) -> str:
    """Per timeline, one line a step (PASS, FAIL, skip) with what was sent and what came back; under a failing step
    each failed expectation, the body sent and the body received."""
    lines: list[str] = []
    for result in results:
        timeline = result.timeline
        verdict = "passed" if result.passed else "FAILED"
        lines.append(f"timeline {timeline.name} ({timeline.path}): {verdict} in {result.seconds:.2f} s")
        for step in result.steps:
            if step.skipped:
                lines.append(f"  skip {step.index:>3} {step.label}")
                continue
            answer = f" -> {step.status}" if step.status is not None else ""
            mark = "PASS" if step.passed else "FAIL"
            lines.append(f"  {mark} {step.index:>3} {step.label}: {step.request}{answer}")
            if step.failures:
                lines.extend(f"           {problem}" for problem in step.failures)
                if step.sent is not None:
                    lines.append(f"           sent: {_shown(step.sent, 400)}")
                if step.body is not None:
                    lines.append(f"           got:  {_shown(step.body, 400)}")
    failed = [r for r in results if not r.passed]
    steps = sum(len(r.steps) for r in results)
    if failed:
        where = ", ".join(f"{r.timeline.name} step {r.failed_step.index}" for r in failed if r.failed_step is not None)
        lines.append(f"FAILED: {len(failed)} of {len(results)} timeline(s) ({where})")
    else:
        lines.append(f"OK: {len(results)} timeline(s), {steps} steps")
    return "\n".join(lines) + "\n"


def junit_xml(results: Sequence[TimelineResult]) -> bytes:
    """JUnit XML: a testsuite per timeline, a testcase per step (failure: its expectations; skipped after one)."""
    root = ElementTree.Element("testsuites", name="convomock play")
    for result in results:
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=result.timeline.name,
            tests=str(len(result.steps)),
            failures=str(sum(1 for s in result.steps if s.failures)),
            skipped=str(sum(1 for s in result.steps if s.skipped)),
            errors="0",
            time=f"{result.seconds:.3f}",
            file=str(result.timeline.path),
        )
        for step in result.steps:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=f"timeline.{result.timeline.name}",
                name=f"{step.index:03d} {step.label}",
                time=f"{step.seconds:.3f}",
            )
            if step.skipped:
                ElementTree.SubElement(case, "skipped", message="an earlier step failed")
            elif step.failures:
                failure = ElementTree.SubElement(case, "failure", message=step.failures[0])
                detail = [step.request + (f" -> {step.status}" if step.status is not None else ""), *step.failures]
                if step.body is not None:
                    detail.append(f"got: {_shown(step.body, 2000)}")
                failure.text = "\n".join(detail)
    return bytes(ElementTree.tostring(root, encoding="utf-8", xml_declaration=True))


# -- a fresh mock per timeline ---------------------------------------------------------------------------------------


@contextmanager
def fresh_mock(
    timeline: Timeline, scenario_dirs: Sequence[Path] = (), make: Callable[..., Any] | None = None
) -> Iterator[httpx.Client]:
    """An in-process mock for one timeline (its APIs, a frozen clock: time moves only by its steps and `settle`),
    and a control client at its root."""
    from mock_server.server import create_app
    from mock_server.testing import InProcessRunner

    app = (make or create_app)(apis=timeline.apis, frozen=True, scenario_dirs=list(scenario_dirs))
    runner = InProcessRunner(app)
    client = runner.client(runner.base_url, {"X-Mock-Client": "convomock-play"})
    try:
        yield client
    finally:
        client.close()
        runner.close()
