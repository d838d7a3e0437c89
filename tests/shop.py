"""The self-service shop as tests play it: a checkout sent again, with the same Idempotency-Key,
for as long as the hub says a retry may succeed."""
import time
import uuid

import requests


def checkout(base_url: str, token: str, payload: dict, *, key: str | None = None, attempts: int = 300,
             session: requests.Session | None = None) -> requests.Response:
    """POST /api/v1/checkout until the answer is final: a 503 `checkout_busy` is retried after its
    Retry-After, a 409 `idempotency_in_progress` after a moment, a retryable 502 after a second —
    for about five minutes (thirty buyers of one customer take turns, and on a loaded 2-CPU machine
    the last of them waited over two)."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key or str(uuid.uuid4())}
    http = session or requests
    for _ in range(attempts):
        response = http.post(f"{base_url}/api/v1/checkout", json=payload, headers=headers, timeout=120)
        if response.status_code not in (409, 502, 503) or not response.json()["error"]["details"].get("retryable"):
            return response
        time.sleep(float(response.headers.get("Retry-After", 0.5 if response.status_code == 409 else 1)))
    return response
