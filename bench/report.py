"""Plain-text tables for the terminal (and for pasting into bench/README.md), and the issue's targets."""

from __future__ import annotations

from collections.abc import Sequence

from bench.compare import RowResult, Side

__all__ = ["TARGETS", "comparison_table", "mib", "table", "targets_missed"]

TARGETS = {
    "ceiling_share": 0.5,  # every row at least 50% of the ceiling's requests/s
    "prism_factor": 3.0,  # and at least 3x Prism's static mock
    "get_p99_ms": 5.0,  # p99 at most 5 ms on GET rows at 32 connections
    "rss_mib": 100.0,  # RSS under 100 MiB at the default seed
    "startup_s": 1.5,  # first answer within 1.5 s at the default seed
    "startup_10k_s": 10.0,  # and within 10 s at --conversations 10000
}


def mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f}"


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], groups: Sequence[tuple[str, int]] = (), right_from: int = 1
) -> str:
    """Columns padded to fit; columns from `right_from` on are right-aligned; `groups` labels spans of columns."""
    widths = [max(len(str(line[i])) for line in [header, *rows]) for i in range(len(header))]

    def fmt(line: Sequence[str]) -> str:
        pairs = enumerate(zip(line, widths, strict=True))
        cells = [str(c).rjust(w) if i >= right_from else str(c).ljust(w) for i, (c, w) in pairs]
        return "  ".join(cells).rstrip()

    out = []
    if groups:
        spans, column = [], 0
        for label, count in groups:
            width = sum(widths[column : column + count]) + 2 * (count - 1)
            spans.append(label.center(width) if label else " " * width)
            column += count
        out.append("  ".join(spans).rstrip())
    out.append(fmt(header))
    out.append("  ".join("-" * w for w in widths))
    out.extend(fmt(line) for line in rows)
    return "\n".join(out)


def _side_cells(side: Side, status: bool) -> list[str]:
    cells = [str(side.status) if side.status is not None else "-"] if status else []
    return cells + [
        _num(side.median("rps")),
        _num(side.median("p50_ms"), 2),
        _num(side.median("p99_ms"), 2),
        mib(side.peak_rss_kib),
    ]


def comparison_table(results: Sequence[RowResult], prism_label: str) -> str:
    header = [
        "row",
        "status",
        "req/s",
        "p50 ms",
        "p99 ms",
        "RSS MiB",
        "req/s",
        "p50 ms",
        "p99 ms",
        "RSS MiB",
        "status",
        "req/s",
        "p50 ms",
        "p99 ms",
        "RSS MiB",
        "mock/ceiling",
        "mock/Prism",
    ]
    lines = []
    for result in results:
        ceiling, prism = result.ratio("ceiling"), result.ratio("prism")
        title = result.row.title + (" [FAILED]" if result.failures else "")
        lines.append(
            [
                title,
                *_side_cells(result.sides["mock"], True),
                *_side_cells(result.sides["ceiling"], False),
                *_side_cells(result.sides["prism"], True),
                f"{ceiling:.0%}" if ceiling else "-",
                f"{prism:.2f}x" if prism else "-",
            ]
        )
    groups = [("", 1), ("convomock", 5), ("Starlette ceiling", 4), (prism_label, 5), ("ratios (req/s)", 2)]
    return table(header, lines, groups)


def targets_missed(result: RowResult) -> list[str]:
    """The issue's targets this row misses (only where both figures exist)."""
    missed = []
    mock = result.sides["mock"]
    ceiling, prism = result.ratio("ceiling"), result.ratio("prism")
    if ceiling is not None and ceiling < TARGETS["ceiling_share"]:
        missed.append(f"{ceiling:.0%} of the ceiling (target >= {TARGETS['ceiling_share']:.0%})")
    if prism is not None and prism < TARGETS["prism_factor"]:
        missed.append(f"{prism:.2f}x Prism (target >= {TARGETS['prism_factor']:g}x)")
    p99 = mock.median("p99_ms")
    if result.row.is_get and p99 is not None and p99 > TARGETS["get_p99_ms"]:
        missed.append(f"p99 {p99:.1f} ms (target <= {TARGETS['get_p99_ms']:g} ms)")
    if mock.peak_rss_kib is not None and mock.peak_rss_kib / 1024 > TARGETS["rss_mib"]:
        missed.append(f"peak RSS {mib(mock.peak_rss_kib)} MiB (target < {TARGETS['rss_mib']:g} MiB)")
    return missed
