"""Reach a plain-HTTP Salesforce emulator with a client that only speaks https://.

simple-salesforce builds every URL as `https://{instance}/…` (and logs in at
`https://{domain}.salesforce.com/…`). Rather than patching the library, the connector's requests
session mounts this adapter on `https://`: it sends each request to the emulator's base URL over
plain HTTP, keeping the path under the emulator's prefix. Used only when HUB_SANDBOX is on.
"""
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from syncapp.connectors.http import DEFAULT_TIMEOUT, Timeout, TimeoutHTTPAdapter, kept, plain_session


def rewrite(url: str, base_url: str) -> str:
    """`https://anything/services/x?q` → `{base_url}/services/x?q` (base_url is http://host/prefix)."""
    base = urlsplit(base_url)
    prefix = base.path.rstrip("/")
    target = urlsplit(url)
    path = target.path
    if not (target.netloc == base.netloc and path.startswith(prefix + "/")):
        path = prefix + path
    return urlunsplit((base.scheme, base.netloc, path, target.query, ""))


class PlainHttpSandboxAdapter(TimeoutHTTPAdapter):
    def __init__(self, base_url: str, **kwargs: Any):
        self.base_url = base_url.rstrip("/")
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        request.url = rewrite(request.url or "", self.base_url)
        return super().send(request, *args, **kwargs)


def sandbox_session(base_url: str, timeout: Timeout = DEFAULT_TIMEOUT) -> requests.Session:
    """This thread's requests session whose https:// traffic lands on the emulator at `base_url`
    (`kept`)."""

    def build() -> requests.Session:
        session = plain_session(timeout)
        session.mount("https://", PlainHttpSandboxAdapter(base_url, timeout=timeout))
        return session

    return kept(("sandbox", base_url, timeout), build)
