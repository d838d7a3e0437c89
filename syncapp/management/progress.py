"""Progress bars for long management commands (rich), drawn on stderr so stdout stays the report."""
from __future__ import annotations

import contextlib
import datetime as dt

from django.core.management.base import CommandError
from django.utils.dateparse import parse_datetime
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn


@contextlib.contextmanager
def progress_bar(stream, total: int | None = None):
    """Yield `advance(label, n)`: one bar per label, counting items (no total: a pulsing bar, as
    the vendors' listings do not say how many there are)."""
    console = Console(file=stream, stderr=True)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()
               if total else TextColumn("{task.completed}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(label: str, n: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.advance(tasks[label], n)

        yield advance
        for task in bar.tasks:  # done: full bars, whatever the count
            bar.update(task.id, total=task.completed)


def since_option(value: str | None) -> dt.datetime | None:
    """`--since` as an aware datetime (a date alone means its midnight UTC)."""
    if not value:
        return None
    moment = parse_datetime(value) or parse_datetime(f"{value}T00:00:00")
    if moment is None:
        raise CommandError(f"--since {value!r} is not an ISO 8601 date or date-time")
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
