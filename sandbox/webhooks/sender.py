"""The background sender: one daemon thread per process, started on the first `emit` (the
outbox's `delivery_queued` signal, connected to `wake` in the app's `ready()`).

It wakes when an event is committed and otherwise polls, so retries go out on schedule. Several
processes may each run one; `deliver_due()` claims every attempt, so none is sent twice at once.
"""
import logging
import os
import threading

from django.db import close_old_connections, connection

from sandbox.webhooks.models import Delivery, Switches
from sandbox.webhooks.outbox import deliver_due

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5

_lock = threading.Lock()
_wakeup = threading.Event()
_thread: threading.Thread | None = None
_pid: int | None = None
_resumed = False


def wake(**kwargs) -> None:
    """Start the thread if this process has none, and make it look for due deliveries now."""
    _ensure_started()
    _wakeup.set()


def resume_pending(**kwargs) -> None:
    """`request_started` receiver: the first request a process serves starts the sender if
    deliveries are waiting, so retries carry on after a restart without waiting for a new event."""
    global _resumed
    if _resumed:
        return
    _resumed = True
    try:
        if Delivery.objects.filter(status=Delivery.PENDING).exists():
            wake()
    except Exception:  # no database yet (before migrate) or none allowed (tests)
        log.debug("could not look for pending webhook deliveries", exc_info=True)


def _ensure_started() -> None:
    global _thread, _pid
    with _lock:
        # After a fork the child inherits the variable but not the thread.
        if _thread is not None and _thread.is_alive() and _pid == os.getpid():
            return
        _pid = os.getpid()
        _thread = threading.Thread(target=_run, name="sandbox-webhook-sender", daemon=True)
        _thread.start()


def _run() -> None:
    while True:
        _wakeup.wait(POLL_SECONDS)
        _wakeup.clear()
        try:
            close_old_connections()
            if Switches.current().auto_deliver:
                deliver_due()
        except Exception:  # the database may be gone or locked for a moment (tests, restarts)
            log.debug("webhook sender pass failed", exc_info=True)
        finally:
            connection.close()
