"""Probes: what the shared test suites send to an API, given by the API's own package (`probes.py`,
`ApiBinding.probes`), so that the suites name no vendor's token, field or path and take up a new API unchanged.

The suites themselves live in `tests/` (tenancy on every operation, bad input, missing credentials); a package
only says, as data and small functions, which of its requests are valid for its first seeded tenant, how its
second tenant calls, and what its refusals say. Nothing here runs in the mock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Caller", "Case", "Cases", "Objects", "Probes", "ProbeSession", "TenancyProbes"]

Objects = Mapping[str, Any]  # what the first tenant holds beyond the seed (made by `prepare`), by name


@dataclass(frozen=True)
class Case:
    """One request of an operation, relative to the caller: path parameters (a tenant-naming one comes from the
    caller), query, JSON body or multipart files. `refused` is the status the second tenant must get (None: the
    request names nothing of the first tenant's, so the second works on its own data); `mentions` is text the
    answer must hold, so it was refused for the right reason; `proof` says whether the first tenant may send the
    very same request (False when the case mixes in the second tenant's own objects)."""

    path: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    refused: int | None = 404
    mentions: str = ""
    proof: bool = True


Cases = Mapping[str, Callable[[Objects], Case]]  # variant -> the case, from the objects the first tenant holds


@dataclass(frozen=True)
class Caller:
    """One way of calling: the headers sent, the path parameters that name a tenant, extra query parameters."""

    headers: Mapping[str, str]
    path: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)


class ProbeSession(Protocol):
    """What a package's `prepare`, `callers` and `before_revoked` may do with the running mock."""

    def first(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call as the first tenant, `path` under its base URL; the JSON of the 2xx answer (anything else fails)."""

    def call(self, method: str, path: str, caller: str | None = None, **kwargs: Any) -> Any:
        """A request under this API's mount point, as the named caller (or with no credential); the response."""

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        """Any request at the mock's root (an upload URL it handed out, the control API); the response."""

    def store(self) -> Mapping[str, Any]:
        """This API's store, as the state snapshot shows it."""

    def credentials(self) -> Sequence[Mapping[str, Any]]:
        """This API's working credentials, as GET /__mock/credentials lists them."""


@dataclass(frozen=True)
class TenancyProbes:
    """Every operation, called by the second tenant against the first tenant's objects."""

    container: str  # the store's collection of tenants
    first: str  # the first tenant's id in it (acme's)
    second: str  # the second's (globex's)
    cases: Mapping[str, Cases]  # operationId -> variant -> case; every operation has the variant "base"
    shapes: Mapping[str, bool]  # the second tenant's callers: name -> whether it names the first tenant itself
    callers: Callable[[ProbeSession], Mapping[str, Caller]]  # every caller by name: "first", the shapes, `revoked`
    unauthorized: str  # text every 401 of this API holds
    challenge: Mapping[str, str] = field(default_factory=dict)  # headers every 401 carries (lower-case names)
    revoked: tuple[str, ...] = ()  # callers whose credential looks real but must be refused with 401
    public: Mapping[str, Case] = field(default_factory=dict)  # the operations that need no credential
    prepare: Callable[[ProbeSession], Objects] = lambda session: {}
    # Records kept outside the tenants (tokens, staff members): (the first tenant's alone, everyone else's).
    globals: Callable[[Mapping[str, Any]], tuple[list[Any], list[Any]]] = lambda store: ([], [])
    # Before a revoked caller is tried: what to do to the mock (e.g. move the clock past a token's expiry).
    before_revoked: Mapping[str, Callable[[ProbeSession], None]] = field(default_factory=dict)
    # Operations a trusted seam calls with its own secret, not a tenant's user (Iron's webhooks, the org named in the
    # body): operationId -> why. The tenancy suites skip them; the package's own tests prove their auth.
    seams: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Probes:
    """What the shared suites send to this API. Paths are relative to the first credential's base URL."""

    write: str  # a write that takes a JSON body (bad input)
    read: str  # a read of one seeded object by id (hostile ids replace its last segment)
    tenancy: TenancyProbes
