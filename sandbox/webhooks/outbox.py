"""Outbound webhooks from the billing emulators to the hub (Standard Webhooks signing).

Owned by the Zuora emulator's builder; the Nue emulator calls `emit` the same way.

At-least-once: every event is a `Delivery` row, sent by `deliver_due()` until the receiver answers
2xx, with a retry schedule in between. A daemon thread per process (`sandbox.webhooks.sender`)
calls `deliver_due()` in the background; tests call it directly with the thread switched off.
This module does not know the thread: once an event is committed it sends `delivery_queued`,
which the sender listens to (connected in the app's `ready()`).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid

import requests
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from standardwebhooks import Webhook

from sandbox import conf
from sandbox.webhooks.models import Delivery, Switches

log = logging.getLogger(__name__)

# A claimed delivery is invisible to other senders this long; a sender that dies mid-send
# therefore only delays the attempt, it never loses it.
CLAIM_LEASE = dt.timedelta(seconds=120)
SEND_TIMEOUT = (3.0, 10.0)
RESPONSE_CHARS = 500

# Sent after the transaction that queued a delivery commits: a sender may look for it now.
delivery_queued = Signal()


def emit(provider: str, event_type: str, data: dict) -> None:
    """Queue a signed delivery of `{"id", "type", "created_at", "data"}` to the hub's
    `/api/v1/webhooks/{provider}` (at-least-once, retried with backoff until it answers 2xx).
    Call it inside the emulator's request transaction; it is sent after commit."""
    now = timezone.now()
    msg_id = f"msg_{uuid.uuid4().hex}"
    # `id` repeats the webhook-id: a receiver authenticating by HTTP Basic instead of the
    # signature takes the event id from the body, and both must name one event.
    body = json.dumps({"id": msg_id, "type": event_type,
                       "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "data": data},
                      separators=(",", ":"))
    # The row is written in the caller's transaction (a rolled-back change sends nothing, and a
    # committed one cannot lose its event); the sender is only woken once it is committed.
    Delivery.objects.create(
        provider=provider, msg_id=msg_id, event_type=event_type, payload=body,
        target_url=f"{conf.hub_url()}/api/v1/webhooks/{provider}",
        next_attempt_at=now, created_at=now)
    transaction.on_commit(lambda: delivery_queued.send(sender=Delivery))


def deliver_due(now: dt.datetime | None = None, *, release: bool = False, limit: int = 100) -> int:
    """Attempt every delivery due at `now`; return how many were attempted.

    Honours the switches: nothing while `paused`; with `reorder`, due deliveries are held until
    `reorder_batch` of them are waiting (or a release is asked for), then sent newest first."""
    switches = Switches.current()
    if switches.paused:
        return 0
    now = now or timezone.now()
    due = list(Delivery.objects.filter(status=Delivery.PENDING, next_attempt_at__lte=now)
               .order_by("id")[:limit])
    if switches.release_requested:  # asked for once; consumed by this pass
        release = True
        Switches.objects.filter(pk=1).update(release_requested=False)
    if switches.reorder:
        if len(due) < max(1, switches.reorder_batch) and not release:
            return 0
        due.reverse()
    attempted = 0
    for delivery in due:
        if _claim(delivery, now):
            _attempt(delivery, switches, now)
            attempted += 1
    return attempted


def request_release() -> None:
    """Let the held deliveries go (newest first) on the next pass, whatever the batch size."""
    Switches.objects.get_or_create(pk=1)
    Switches.objects.filter(pk=1).update(release_requested=True)


def _claim(delivery: Delivery, now: dt.datetime) -> bool:
    """Take this attempt for ourselves with a conditional UPDATE: of two senders racing for the
    same row only one sees it unchanged, so one attempt is never sent twice at once."""
    return Delivery.objects.filter(
        pk=delivery.pk, status=Delivery.PENDING, attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
    ).update(next_attempt_at=now + CLAIM_LEASE) == 1


def _attempt(delivery: Delivery, switches: Switches, now: dt.datetime) -> None:
    ok, status, text = False, None, ""
    for _ in range(max(1, switches.duplicate)):
        if switches.delay_ms:
            time.sleep(switches.delay_ms / 1000)
        sent_ok, status, text = _send(delivery)
        ok = ok or sent_ok
    attempts = delivery.attempts + 1
    update = {"attempts": F("attempts") + 1, "last_status_code": status,
              "last_response": text[:RESPONSE_CHARS]}
    if ok:
        update.update(status=Delivery.DELIVERED, delivered_at=timezone.now())
    elif attempts <= len(switches.schedule):
        update["next_attempt_at"] = now + dt.timedelta(seconds=switches.schedule[attempts - 1])
    else:
        update["status"] = Delivery.FAILED
    Delivery.objects.filter(pk=delivery.pk).update(**update)


def signed_headers(delivery: Delivery, at: dt.datetime | None = None) -> dict[str, str]:
    """Standard Webhooks headers for one send. The id stays the same across retries (receivers
    dedupe on it); the timestamp and signature are fresh, so a late retry is not stale."""
    at = at or dt.datetime.now(dt.UTC)
    secret = conf.webhook_secret(delivery.provider)
    return {
        "content-type": "application/json",
        "user-agent": f"sandbox-{delivery.provider}-webhooks/1",
        "webhook-id": delivery.msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery.msg_id, at, delivery.payload),
    }


def _send(delivery: Delivery) -> tuple[bool, int | None, str]:
    try:
        response = requests.post(delivery.target_url, data=delivery.payload.encode(),
                                 headers=signed_headers(delivery), timeout=SEND_TIMEOUT)
    except requests.RequestException as err:
        log.info("webhook %s to %s failed: %s", delivery.msg_id, delivery.target_url, err)
        return False, None, f"{err.__class__.__name__}: {err}"
    return 200 <= response.status_code < 300, response.status_code, response.text
