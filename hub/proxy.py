"""The client's address behind the reverse proxies in front of the hub (hub.production).

REMOTE_ADDR is the nearest proxy. Each trusted proxy appends the address it was reached from to
X-Forwarded-For, so with HUB_PROXY_COUNT proxies the client is that many entries from the right;
entries further left are whatever the client sent and cannot be trusted.
"""
from django.conf import settings


def client_ip(request) -> str | None:
    count: int = settings.HUB["proxy_count"]
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if count <= 0 or not forwarded:
        return request.META.get("REMOTE_ADDR")
    return forwarded[-count] if len(forwarded) >= count else forwarded[0]
