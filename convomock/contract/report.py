"""Present a ContractReport: the terminal table, JUnit XML for CI, and Markdown for a pull request or a ticket."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from convomock.contract.runner import ContractReport, OperationResult

__all__ = ["render_markdown", "render_table", "write_junit"]


def _first_line(text: str, width: int = 70) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _verdict(report: ContractReport) -> str:
    if report.ok:
        return f"CONFORMS: {len(report.operations)} operations, {report.requests} requests, {report.elapsed:.1f}s"
    failing = report.failing()
    return (
        f"FAILED: {len(failing)} of {len(report.operations)} operations break the contract"
        + (f", {len(report.errors)} error(s)" if report.errors else "")
        + f" ({report.requests} requests, "
        f"{report.elapsed:.1f}s)"
    )


def _writes(report: ContractReport) -> str:
    return "writes: off" if report.read_only else "writes: on"


def render_table(report: ContractReport) -> str:
    if report.stopped is not None:  # the first call stopped the run: nothing ran, the reason is the whole report
        return f"FAILED: convomock contract: {report.api} against {report.base_url}: {report.stopped}"
    phases = ", ".join(report.phases)
    lines = [f"convomock contract: {report.api} against {report.base_url} ({_writes(report)}; phases {phases})", ""]
    width = max([len(op.operation_id) for op in report.operations.values()] + [9])
    lines.append(f"{'operation':<{width}}  {'requests':>8}  {'checks ok':>9}  {'failed':>6}  first failure")
    lines.append(f"{'-' * width}  {'-' * 8}  {'-' * 9}  {'-' * 6}  {'-' * 30}")
    for op in report.operations.values():
        first = f"{op.failures[0].title}" if op.failures else ""
        lines.append(
            f"{op.operation_id:<{width}}  {op.requests:>8}  {op.checks_passed:>9}  {op.checks_failed:>6}  "
            f"{_first_line(first)}"
        )
    for op in report.failing():
        lines += ["", f"✗ {op.operation_id} ({op.label})"]
        for failure in op.failures:
            got = f", got {failure.status}" if failure.status else ""
            lines.append(f"  - {failure.title} [{failure.check}]{got}")
            for row in [row for row in failure.message.splitlines() if row.strip()][:3]:
                lines.append(f"      {row.strip()}")
            lines.append(f"    reproduce: {failure.curl.strip()}")
    for error in report.errors:
        lines += ["", f"✗ error: {error}"]
    for note in report.notes:
        lines += ["", f"note: {note}"]
    lines += ["", _verdict(report)]
    return "\n".join(lines)


def _junit_case(suite: ElementTree.Element, op: OperationResult) -> None:
    case = ElementTree.SubElement(suite, "testcase", classname=op.label, name=op.operation_id)
    for failure in op.failures:
        node = ElementTree.SubElement(case, "failure", message=f"{failure.title} [{failure.check}]", type=failure.check)
        node.text = f"{failure.message}\n\nReproduce with:\n{failure.curl}"


def write_junit(report: ContractReport, path: Path) -> None:
    suites = ElementTree.Element("testsuites")
    suite = ElementTree.SubElement(
        suites,
        "testsuite",
        name=f"convomock contract {report.api}",
        tests=str(len(report.operations) if report.stopped is None else len(report.errors)),
        failures=str(len(report.failing())),
        errors=str(len(report.errors)),
        time=f"{report.elapsed:.3f}",
    )
    # A run its first call stopped ran no operation: listing them would show them all as passed.
    for op in report.operations.values() if report.stopped is None else ():
        _junit_case(suite, op)
    for index, error in enumerate(report.errors):
        case = ElementTree.SubElement(suite, "testcase", classname="run", name=f"error-{index + 1}")
        ElementTree.SubElement(case, "error", message=_first_line(error, 200)).text = error
    path.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def render_markdown(report: ContractReport) -> str:
    if report.stopped is not None:  # as the table: the reason is the whole report
        return (
            f"# Contract: `{report.api}` against `{report.base_url}`\n\n"
            f"**FAILED: the run stopped at its first call, no operation was checked** — {_writes(report)}\n\n"
            f"{report.stopped}\n"
        )
    lines = [
        f"# Contract: `{report.api}` against `{report.base_url}`",
        "",
        f"**{_verdict(report)}** — {_writes(report)}",
        "",
        "| operation | requests | checks passed | checks failed | first failure |",
        "|---|---:|---:|---:|---|",
    ]
    for op in report.operations.values():
        first = op.failures[0].title if op.failures else ""
        lines.append(f"| `{op.operation_id}` | {op.requests} | {op.checks_passed} | {op.checks_failed} | {first} |")
    for op in report.failing():
        lines += ["", f"## ✗ `{op.operation_id}` — `{op.label}`"]
        for failure in op.failures:
            lines += [
                "",
                f"**{failure.title}** (`{failure.check}`)" + (f", status {failure.status}" if failure.status else ""),
                "",
                "```",
                failure.message.strip(),
                "```",
                "",
                "Reproduce:",
                "",
                "```sh",
                failure.curl.strip(),
                "```",
            ]
    if report.errors:
        lines += ["", "## Errors", ""] + [f"- {error}" for error in report.errors]
    if report.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in report.notes]
    return "\n".join(lines) + "\n"
