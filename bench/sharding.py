"""One process versus two tenant shards behind nginx, on the 1TO1 AI GET, with wrk alternating acme and globex.

Three set-ups are started side by side and loaded in turn: the mock alone (no proxy), nginx in front of that one
process (what the proxy costs), and nginx in front of one shard per tenant (bench/shards.sh, the way a user
starts it). Where each process runs is printed: with two cores the second shard shares a core with nginx and
the load client, so the gain a third and fourth core would give cannot show.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.compare import Side
from bench.load import LoadClient, Request
from bench.rows import DOCS_CONVERSATION, GLOBEX_CONVERSATION, credential
from bench.servers import Server, ServerFailed, free_port, http_call, memory_kib, process_tree
from bench.targets import convomock_command, mock_server, supports_tenants

__all__ = ["Placement", "ShardResult", "find_nginx", "place", "run_shards"]

SHARDS_SH = Path(__file__).resolve().parent / "shards.sh"
TENANTS = (("acme", DOCS_CONVERSATION), ("globex", GLOBEX_CONVERSATION))


def find_nginx() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


@dataclass(frozen=True)
class Placement:
    """Which core runs what; a core may hold several things when the machine has few."""

    first_shard: str
    second_shard: str
    nginx: str
    load: str

    def describe(self) -> str:
        return (
            f"cores: shard acme (and the single process) {self.first_shard}, shard globex {self.second_shard}, "
            f"nginx {self.nginx}, wrk {self.load}"
        )


def place(server: str, load: str) -> Placement:
    cores = sorted(os.sched_getaffinity(0))
    spare = [str(c) for c in cores if str(c) not in (server, load)]
    second = spare[0] if spare else load
    nginx = spare[1] if len(spare) > 1 else load
    return Placement(first_shard=server, second_shard=second, nginx=nginx, load=load)


@dataclass
class ShardResult:
    label: str
    side: Side
    nginx_peak_kib: int | None = None
    failures: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            **self.side.to_json(),
            "nginx_peak_rss_kib": self.nginx_peak_kib,
            "failures": self.failures,
        }


def _shards_script(name: str, shards: int, placement: Placement, log_dir: Path) -> tuple[Server, Path]:
    files = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=log_dir))
    port = free_port()
    env = {
        "LISTEN_PORT": str(port),
        "ACME_PORT": str(free_port()),
        "GLOBEX_PORT": str(free_port()),
        "SHARDS": str(shards),
        "SHARDS_DIR": str(files),
        "ACME_CPUS": placement.first_shard,
        "GLOBEX_CPUS": placement.second_shard,
        "NGINX_CPUS": placement.nginx,
        "NGINX": find_nginx() or "nginx",
        "CONVOMOCK": shlex.join(convomock_command()),
    }
    server = Server(
        name, ["bash", str(SHARDS_SH)], port=port, cores=None, ready_path="/__mock/health", log_dir=log_dir, env=env
    )
    return server, files


def _requests(port: int) -> list[Request]:
    """The 1TO1 AI GET of each tenant, with that tenant's own key (asked of the shard that holds it)."""
    requests = []
    for tenant, conversation in TENANTS:
        listed = json.loads(http_call(port, "GET", "/__mock/credentials", {"X-Convomock-Tenant": tenant})[1])
        cred = credential(listed, "1to1ai", tenant)
        requests.append(Request("GET", f"{cred.mock_base}/conversations/{conversation}", cred.headers))
    return requests


def _pids(files: Path, names: Sequence[str]) -> list[int]:
    pids = []
    for name in names:
        try:
            pids.append(int((files / f"{name}.pid").read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def run_shards(
    *,
    client: LoadClient,
    runs: int,
    seconds: float,
    warmup: float,
    placement: Placement,
    log_dir: Path,
    say: Callable[[str], None],
) -> list[ShardResult]:
    tenants_note = "" if supports_tenants() else " (no --tenants yet: each shard holds both tenants)"
    direct = mock_server("shards-direct", free_port(), placement.first_shard, log_dir)
    one, one_files = _shards_script("shards-nginx-1", 1, placement, log_dir)
    two, two_files = _shards_script("shards-nginx-2", 2, placement, log_dir)
    setups = [
        ("1 process, no proxy", direct, None),
        ("nginx -> 1 process", one, one_files),
        (f"nginx -> 2 shards{tenants_note}", two, two_files),
    ]
    results = [ShardResult(label, Side("mock")) for label, _, _ in setups]
    started: list[Server] = []
    try:
        for _, server, _ in setups:
            started.append(server)
            server.start(timeout=120)
        loads = [
            (result, server, _requests(server.port)) for result, (_, server, _) in zip(results, setups, strict=True)
        ]
        for result, server, requests in loads:
            statuses = {http_call(server.port, r.method, r.path, dict(r.headers))[0] for r in requests}
            result.side.status = max(statuses)
            if statuses != {200}:
                result.failures.append(f"probe statuses {sorted(statuses)}")
            say(f"  shards: warming {result.label} up ({warmup:g} s)")
            client.run(server.port, requests, warmup)
        for number in range(1, runs + 1):
            for result, server, requests in loads:
                result.side.runs.append(client.run(server.port, requests, seconds))
                say(f"  shards: run {number}/{runs} {result.label}: {result.side.runs[-1].rps:,.0f} req/s")
        for result, (_, server, files) in zip(results, setups, strict=True):
            if files is None:
                result.side.peak_rss_kib = server.memory()["hwm"]
            else:
                result.side.peak_rss_kib = memory_kib(_pids(files, ["acme", "globex"]))["hwm"]
                nginx = _pids(files, ["nginx"])
                result.nginx_peak_kib = memory_kib(process_tree(nginx[0]))["hwm"] if nginx else None
            side = result.side
            if side.requests and side.non2xx > 0.001 * side.requests:
                result.failures.append(f"{side.non2xx} of {side.requests} answers were non-2xx")
    except (ServerFailed, RuntimeError, OSError, LookupError, ValueError) as exc:
        for result in results:
            result.failures.append(f"{type(exc).__name__}: {exc}")
    finally:
        for server in started:
            server.stop()
    return results
