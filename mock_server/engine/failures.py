"""The failure table: every non-2xx answer a spec documents, and what makes the mock send it.

The rows come from the specs (each operation's response keys that are not 2xx); the "how" from the API's package
(`ApiBinding.failure_sources`: "<operationId> <status>", or "* <status>" for every operation alike). A documented
failure without a source is a gap: `convomock specs failures --missing` lists them and the suite fails on one.
`docs/failures.md` is this table as Markdown (`convomock specs failures --markdown`), checked against the specs by
the suite.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mock_server.engine.specs import METHODS, load_yaml
from mock_server.engine.types import ApiBinding

__all__ = ["FailureRow", "failure_rows", "failures_markdown"]


@dataclass(frozen=True)
class FailureRow:
    api: str
    operation_id: str
    method: str
    path: str
    status: str  # as the spec writes it: "404", "4XX", "default"
    documented: str  # the response's description, its first line
    codes: tuple[str, ...]  # the vendor's error codes its examples show
    source: str | None  # what makes the mock send it; None: nothing does (a gap)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def failure_rows(bindings: Iterable[ApiBinding]) -> list[FailureRow]:
    rows: list[FailureRow] = []
    for binding in bindings:
        document = load_yaml(binding.spec_path)
        for path, item in (document.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            for method in METHODS:
                operation = item.get(method)
                if not isinstance(operation, dict):
                    continue
                operation_id = str(operation.get("operationId"))
                for status, response in (operation.get("responses") or {}).items():
                    status = str(status)
                    if status.startswith("2"):
                        continue
                    response = _resolved(document, response)
                    source = binding.failure_sources.get(f"{operation_id} {status}") or binding.failure_sources.get(
                        f"* {status}"
                    )
                    rows.append(
                        FailureRow(
                            api=binding.name,
                            operation_id=operation_id,
                            method=method.upper(),
                            path=path,
                            status=status,
                            documented=_first_line(response.get("description", "")),
                            codes=tuple(sorted(_codes(document, response))),
                            source=source,
                        )
                    )
    return rows


def failures_markdown(rows: Sequence[FailureRow]) -> str:
    lines = [
        "# Every documented failure, and what makes the mock send it",
        "",
        (
            "Generated from the specs and each API's `failures.py` by `convomock specs failures --markdown` (the "
            "suite checks it is current: `tests/test_failure_table.py`). Each row is a non-2xx answer a spec "
            "documents; the last column is the scenario, fault rule, state effect or input that produces it. Switch "
            "a scenario on for the whole mock, one API, tenant, conversation or contact (docs/scenarios.md)."
        ),
        "",
    ]
    for api in dict.fromkeys(row.api for row in rows):
        mine = [row for row in rows if row.api == api]
        lines += [f"## {api}", "", f"{len(mine)} documented failures.", ""]
        lines += ["| operation | status | the spec says | codes | how the mock produces it |", "|---|---|---|---|---|"]
        for row in mine:
            lines.append(
                f"| `{row.operation_id}` ({row.method} `{row.path}`) | {row.status} | {_cell(row.documented)} | "
                f"{', '.join(f'`{code}`' for code in row.codes)} | {_cell(row.source or '**nothing yet**')} |"
            )
        lines.append("")
    return "\n".join(lines)


def _resolved(document: dict[str, Any], node: Any) -> dict[str, Any]:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 10:
        target: Any = document
        for part in str(node["$ref"]).lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node, seen = target, seen + 1
    return node if isinstance(node, dict) else {}


def _codes(document: dict[str, Any], response: dict[str, Any]) -> set[str]:
    """The error codes a response's examples show (`code`, `errorCode` or Feathers' `name`, at the top or under
    `error`): what a client switches on."""
    found: set[str] = set()
    for media in (response.get("content") or {}).values():
        if not isinstance(media, dict):
            continue
        examples = [media.get("example")] + [
            _resolved(document, each).get("value") for each in (media.get("examples") or {}).values()
        ]
        for example in examples:
            for holder in (example, example.get("error") if isinstance(example, dict) else None):
                if isinstance(holder, dict):
                    for key in ("code", "errorCode", "name"):
                        if isinstance(holder.get(key), str):
                            found.add(holder[key])
    return found


def _first_line(text: str) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line if len(line) <= 140 else line[:139] + "…"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
