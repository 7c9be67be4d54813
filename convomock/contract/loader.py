"""Load a spec into a schemathesis schema aimed at the in-process mock or at any base URL.

Everything a run needs is resolved here once, into `ResolvedContract`: which spec, where requests go, whose
credentials, which tenant's path parameters, how fast, which operations and phases. The spec's own
`info.x-convomock` block says what only the vendor knows (its error envelope, its documented rate limit, the
statuses a schema-valid request may still get from a business rule), so no vendor knowledge lives here.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import schemathesis

from mock_server import DATA_ROOT
from mock_server.engine.backend import credential_token
from mock_server.engine.specs import load_yaml

__all__ = [
    "PHASES",
    "SAFE_METHODS",
    "SPECS_DIR",
    "ContractOptions",
    "ContractUsageError",
    "ResolvedContract",
    "build_schema",
    "load_config_file",
    "resolve",
]

SPECS_DIR = DATA_ROOT / "specs"
PHASES = ("examples", "coverage", "fuzzing", "stateful")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ContractUsageError(ValueError):
    """The options do not describe a run (unknown API, missing file, unset ${VAR} ...): exit code 2."""


@dataclass
class ContractOptions:
    api: str | None = None
    spec: Path | None = None
    base_url: str | None = None  # replaces the spec's server URL; None: the in-process mock
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)  # e.g. {"slug": "acme"}: path/query values to use
    other_token: str | None = None  # a second tenant's credential, for the tenancy check
    other_params: dict[str, str] = field(default_factory=dict)
    other_headers: dict[str, str] = field(default_factory=dict)  # e.g. the second tenant's X-Org-Id
    max_examples: int = 25
    seed: int | None = None
    phases: Sequence[str] = PHASES
    include: Sequence[str] = ()  # operationIds
    exclude: Sequence[str] = ()
    read_only: bool | None = None  # None: writes only in process; any base URL is read-only unless told (--write)
    rate_limit: str | None = None  # "60/m"; None: the spec's documented limit against a non-loopback URL
    app: Any = None  # the ASGI app to test in-process (default: a fresh mock of the API)


@dataclass
class ResolvedContract:
    api: str
    spec_path: Path
    document: Mapping[str, Any] = field(repr=False)
    base_url: str
    app: Any
    headers: dict[str, str]
    params: dict[str, str]
    other_headers: dict[str, str] | None
    other_params: dict[str, str]
    options: ContractOptions
    read_only: bool
    rate_limit: str | None

    @property
    def extension(self) -> Mapping[str, Any]:
        return (self.document.get("info") or {}).get("x-convomock") or {}

    @property
    def in_process(self) -> bool:
        return self.app is not None


def _is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host in ("localhost", "testserver"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _checked_base_url(url: str) -> str:
    """The base URL without its trailing slash, or a usage error naming what is wrong with it."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ContractUsageError(f"--base-url {url!r} is not a URL: give it with http:// or https://")
    try:
        parsed.port  # noqa: B018  (raises on a port out of range or not a number)
    except ValueError:
        raise ContractUsageError(f"--base-url {url!r} has no valid port") from None
    return url.rstrip("/")


def _spec_for(options: ContractOptions) -> tuple[str, Path]:
    if options.spec is not None:
        if not options.spec.exists():
            raise ContractUsageError(f"no spec file at {options.spec}")
        document = load_yaml(options.spec)
        return str((document.get("info") or {}).get("x-api") or options.spec.stem), options.spec
    if options.api is None:
        raise ContractUsageError("give --api NAME or --spec FILE")
    path = SPECS_DIR / f"{options.api}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in SPECS_DIR.glob("*.yaml")))
        raise ContractUsageError(f"unknown API {options.api!r}; specs exist for: {known}")
    return options.api, path


def _auth(token: str | None, headers: Mapping[str, str]) -> dict[str, str]:
    result = dict(headers)
    if token and not any(k.lower() == "authorization" for k in result):
        result["Authorization"] = f"Bearer {token}"
    return result


def resolve(options: ContractOptions) -> ResolvedContract:
    """Fill every default: the in-process mock and its seeded credentials unless a base URL is given."""
    api, spec_path = _spec_for(options)
    document = load_yaml(spec_path)
    server_path = urlparse(((document.get("servers") or [{}])[0]).get("url", "")).path.rstrip("/")
    headers = _auth(options.token, options.headers)
    params = dict(options.params)
    other_headers = _auth(options.other_token, options.other_headers) if options.other_token else None
    other_params = dict(options.other_params)
    app = None
    if options.base_url is None:
        from mock_server.server import create_app

        app = options.app if options.app is not None else create_app(apis=[api])
        runtime = app.backend.runtimes[api]
        base_url = "http://testserver" + app.backend.api_root(runtime.binding) + server_path
        # A user's credentials, not a seam's (Iron's webhook secret, marked with `purpose`).
        credentials = [c for c in runtime.binding.credentials(runtime.store) if "purpose" not in c]
        if credentials:
            # The seeded tenant behind the given token (a wrong token keeps the first tenant's path, so the run
            # reaches the API and the refusal shows); without a token, the first tenant's own credential.
            mine = next((c for c in credentials if c["token"] == options.token), credentials[0])
            if not headers:
                headers = credential_token(mine)
            # What names the tenant besides the token: path parameters (1TO1 AI's slug), headers (X-Org-Id).
            params = {**mine.get("path_params", {}), **params}
            headers = {**mine.get("tenant_headers", {}), **headers}
            other = next((c for c in credentials if c["tenant"] != mine["tenant"]), None)
            if other is not None and other_headers is None:
                other_headers = {**other.get("tenant_headers", {}), **credential_token(other)}
                other_params = {**other.get("path_params", {}), **other_params}
    else:
        base_url = _checked_base_url(options.base_url)
    remote = not _is_loopback(base_url)
    # Writes against a URL only when asked: a developer's own `make serve` holds data too (issue 17).
    read_only = options.read_only if options.read_only is not None else app is None
    extension = (document.get("info") or {}).get("x-convomock") or {}
    rate_limit = (
        options.rate_limit if options.rate_limit is not None else (extension.get("rate-limit") if remote else None)
    )
    unknown = sorted(set(options.phases) - set(PHASES))
    if unknown:
        raise ContractUsageError(f"unknown phase(s) {unknown}; phases are {', '.join(PHASES)}")
    return ResolvedContract(
        api=api,
        spec_path=spec_path,
        document=document,
        base_url=base_url,
        app=app,
        headers=headers,
        params=params,
        other_headers=other_headers,
        other_params=other_params,
        options=options,
        read_only=read_only,
        rate_limit=rate_limit or None,
    )


def build_schema(contract: ResolvedContract, filtered: bool = True) -> Any:
    """The schemathesis schema for this run: config, filters (unless told not to) and (in-process) the app."""
    options = contract.options
    extension = contract.extension
    refusals = [int(s) for s in extension.get("schema-valid-refusals", [])]
    config: dict[str, Any] = {
        "headers": contract.headers,
        "parameters": {f"path.{k}": v for k, v in contract.params.items()},
        "generation": {"max-examples": options.max_examples},
        "phases": {phase: {"enabled": phase in options.phases} for phase in PHASES},
        "checks": {
            # judged on the request as sent, by `checks.negative_data_rejection_as_sent`, in its place
            "negative_data_rejection": {"enabled": False},
            "positive_data_acceptance": {
                "expected-statuses": sorted({200, 201, 202, 204, 401, 403, 404, 409, 429, 500, 502, 503, *refusals})
            },
        },
    }
    if contract.in_process:  # the mock's seeded credentials are public: a report's curl carries them, runnable
        config["output"] = {"sanitization": {"enabled": False}}
    for check in extension.get("skip-checks", []):  # what the vendor is known to do differently, with a reason
        config["checks"].setdefault(check, {})["enabled"] = False
        if check == "negative_data_rejection":
            config["checks"]["negative_data_rejection_as_sent"] = {"enabled": False}
    if options.seed is not None:
        config["seed"] = options.seed
    if contract.rate_limit:
        config["rate-limit"] = contract.rate_limit
    schema: Any = schemathesis.openapi.from_path(contract.spec_path, config=schemathesis.Config.from_dict(config))
    schema.config.update(base_url=contract.base_url)
    if contract.app is not None:
        schema.app = contract.app
    if filtered:
        # One include: two chained ones are alternatives, so --include beside read-only let writes through.
        wanted: dict[str, Any] = {}
        if options.include:
            wanted["operation_id"] = list(options.include)
        if contract.read_only:
            wanted["method"] = list(SAFE_METHODS)
        if wanted:
            schema = schema.include(**wanted)
        if options.exclude:
            schema = schema.exclude(operation_id=list(options.exclude))
    _declare_credential(schema, contract.headers)
    return schema


def _credential_header_names(document: Mapping[str, Any]) -> frozenset[str]:
    """The headers that carry a credential (lower case): `Authorization`, and every API key header the spec's
    security schemes name (AchieveApex's `x-api-key`)."""
    schemes = ((document.get("components") or {}).get("securitySchemes") or {}).values()
    return frozenset(
        {"authorization"}
        | {str(s["name"]).lower() for s in schemes if s.get("type") == "apiKey" and s.get("in") == "header"}
    )


def _declare_credential(schema: Any, headers: Mapping[str, str]) -> None:
    """The credential header (`Authorization`, or an API key's such as `x-api-key`) declared as the schema's auth,
    not only sent as a header: schemathesis' auth checks then know it is ours and probe the API with it removed or
    broken, and a credential it would generate for another of the spec's schemes (a random bearer beside an API
    key) is dropped, so a request carries ours alone, as a client's does."""
    names = _credential_header_names(schema.raw_schema)
    found = next(((k, v) for k, v in headers.items() if k.lower() in names), None)
    if found is None:
        return
    header, credential = found

    @schema.auth()
    class _Credential:
        def get(self, case: Any, context: Any) -> str:
            return credential

        def set(self, case: Any, data: str, context: Any) -> None:
            kept = {k: v for k, v in (case.headers or {}).items() if k.lower() not in names}
            case.headers = {**kept, header: data}


def _substitute(value: Any, where: str) -> Any:
    if isinstance(value, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ContractUsageError(f"{where}: environment variable {name} is not set")
            return os.environ[name]

        return _ENV.sub(lookup, value)
    if isinstance(value, dict):
        return {k: _substitute(v, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, where) for v in value]
    return value


def load_config_file(path: Path, options: ContractOptions) -> ContractOptions:
    """TOML with `${ENV}` substitution, so secrets stay out of shell history. Keys mirror the CLI options:
    api, spec, base-url, token, headers (table), params (table), other-token, other-params (table), other-headers,
    max-examples, seed, phases, include, exclude, write (or its old inverse read-only), rate-limit."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ContractUsageError(f"config file {path}: {exc}") from None
    data = _substitute(raw, str(path))
    known = {
        "api",
        "spec",
        "base-url",
        "token",
        "headers",
        "params",
        "other-token",
        "other-params",
        "other-headers",
        "max-examples",
        "seed",
        "phases",
        "include",
        "exclude",
        "write",
        "read-only",
        "rate-limit",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise ContractUsageError(f"config file {path}: unknown key(s) {unknown}")
    changes: dict[str, Any] = {key.replace("-", "_"): value for key, value in data.items()}
    for key in ("write", "read_only"):
        if key in changes and not isinstance(changes[key], bool):
            raise ContractUsageError(f"config file {path}: {key.replace('_', '-')} must be true or false")
    if "write" in changes:
        if "read_only" in changes and changes["read_only"] == changes["write"]:
            raise ContractUsageError(f"config file {path}: write and read-only contradict each other")
        changes["read_only"] = not changes.pop("write")
    if "spec" in changes:
        changes["spec"] = Path(changes["spec"])
    return replace(options, **changes)
