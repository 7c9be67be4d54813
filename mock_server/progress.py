"""The CLI's progress on stderr, drawn by rich, and only when stderr is a terminal: piped or logged output stays
exactly what the command prints, and the normal path never imports rich."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

__all__ = ["busy", "byte_counter", "on_terminal", "seeding_bar"]

Seeding = Callable[[str], AbstractContextManager[object]]


def on_terminal() -> bool:
    return sys.stderr.isatty()


def _progress(*columns: Any) -> Any:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    # transient: the bar disappears when the work is done, so a banner or report printed next stands alone.
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        *columns,
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


@contextmanager
def seeding_bar(apis: Sequence[str], conversations: int | None) -> Iterator[Seeding | None]:
    """A bar over the APIs being seeded; yields the `seeding` callback for `create_app` (None off a terminal).
    The callback does nothing once the block is left (a later `POST /__mock/reset` seeds again)."""
    if not on_terminal():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn

    per_tenant = f", {conversations:,} conversations per tenant" if conversations else ""
    progress = _progress(BarColumn(), MofNCompleteColumn())
    task = progress.add_task("seeding", total=len(apis))
    live = True

    @contextmanager
    def seeding(api: str) -> Iterator[None]:
        if not live:
            yield
            return
        progress.update(task, description=f"seeding {api}{per_tenant}")
        yield
        progress.advance(task)

    with progress:
        try:
            yield seeding
        finally:
            live = False


def busy(text: str) -> AbstractContextManager[object]:
    """A spinner and the elapsed time for work that reports no steps (a contract run)."""
    if not on_terminal():
        return nullcontext()
    return _busy(text)


@contextmanager
def _busy(text: str) -> Iterator[None]:
    progress = _progress()
    progress.add_task(text, total=None)
    with progress:
        yield


@contextmanager
def byte_counter(text: str) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)` for bytes written (a no-op off a terminal)."""
    if not on_terminal():
        yield lambda n: None
        return
    from rich.progress import DownloadColumn

    progress = _progress(DownloadColumn())
    task = progress.add_task(text, total=None)
    with progress:
        yield lambda n: progress.advance(task, n)
