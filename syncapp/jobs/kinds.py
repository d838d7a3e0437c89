"""Which function runs each kind of job, declared where the function lives:

    @kinds.handles(SyncJob.Kind.ACTIVATION)
    def activation_job(job, recorder) -> dict: ...

    @kinds.handles(SyncJob.Kind.BILLING_TO_SALESFORCE, batch=True)
    def sync_batch(jobs, recorders, *, requested, deadline) -> dict: ...

A single handler takes `(job, recorder)` and returns a JSON-able result. A batch handler takes the
claimed jobs and their recorders by job id, and answers `{job id: result or exception}`;
`requested` means staff asked for this one job (the switches that gate automatic work do not
apply), `deadline` (time.monotonic()) is when to stop starting new orders — the jobs it leaves out
go back to the queue without counting an attempt. The flows in `syncapp.sync` register theirs when
the app is ready (`SyncAppConfig.ready`)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from syncapp.models import SyncJob


@dataclass(frozen=True)
class Handler:
    run: Callable
    batch: bool


_HANDLERS: dict[str, Handler] = {}


def handles(kind: str, *, batch: bool = False) -> Callable[[Callable], Callable]:
    """Register the decorated function as the one that runs jobs of `kind`."""
    if kind not in SyncJob.Kind.values:  # a job of it could never be queued: the handler would never run
        raise ImproperlyConfigured(f"{kind!r} is no kind of SyncJob")

    def register(fn: Callable) -> Callable:
        known = _HANDLERS.get(kind)
        if known is not None and known.run.__qualname__ != fn.__qualname__:
            raise ImproperlyConfigured(f"jobs of kind {kind!r} already run by {known.run.__qualname__}")
        _HANDLERS[kind] = Handler(fn, batch)
        return fn

    return register


def handler(kind: str) -> Handler:
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise ImproperlyConfigured(f"no handler for jobs of kind {kind!r}") from None
