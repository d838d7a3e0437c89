"""`SalesforceConnector`: the hub's one door to Salesforce, built on simple-salesforce.

simple-salesforce logs in and speaks the REST API; this class decides everything around it: when
to log in (lazily, and once more when Salesforce says the session is no longer valid), how long to
wait (the session's adapter puts connect/read timeouts on every request), what every failure means
(`errors.py`), and what each HTTP exchange costs (`calls`, `login_calls`, `api_usage`, and a
`CallRecord` for the caller's `recorder`).

A connector holds one session and is not thread-safe: use one per job or request.
"""
from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit
from xml.parsers.expat import ExpatError

import requests
from django.core.exceptions import ImproperlyConfigured
from simple_salesforce import Salesforce, SalesforceError, SalesforceLogin, SFType
from simple_salesforce.format import format_external_id

from syncapp import conf
from syncapp.conf import SalesforceConfig
from syncapp.connectors.http import DEFAULT_TIMEOUT, Recorder, Timeout, new_session
from syncapp.connectors.sandbox_transport import sandbox_session
from syncapp.exceptions import PermanentError, TransientError

from . import sessions
from .accounts import AccountPort
from .catalog import CatalogPort
from .changes import ChangePort
from .errors import VENDOR, first_failure, graph_error, map_exception, record_error
from .follow_ups import FollowUpPort
from .order_port import OrderPort
from .recording import call_record
from .soql import strip_attributes

_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FAILURES = (SalesforceError, requests.RequestException, ExpatError)
RESEND_PAUSES = (0.3, 1.0)  # seconds (each jittered down to half) before the 2nd and 3rd try
REFUSED_UNCHANGED = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"})
IDEMPOTENT_OPERATIONS = ("query", "get ", "describe ", "limits", "upsert ")
_SESSION_SECONDS = re.compile(r"<sessionSecondsValid>\s*(\d+)\s*</sessionSecondsValid>")
# Salesforce works through a graph's nodes one after another: a full batch (500 nodes) can take
# seconds where one record takes milliseconds, so a graph call waits this much longer per node
# (500 nodes: 25 s more; a batch starts its last call at half the job timeout, so it still ends
# inside it).
GRAPH_SECONDS_PER_NODE = 0.05


class SalesforceConnector(AccountPort, OrderPort, CatalogPort, FollowUpPort, ChangePort):
    """Salesforce REST calls that raise only `TransientError`, `PermanentError`, `NotFoundError`.

    The flows use only the port: the methods mixed in by purpose (`accounts.py`, `order_port.py`,
    `catalog.py`, `follow_ups.py`, `changes.py`), which answer domain records or small typed
    records and keep SOQL and custom field names in this package. The generic calls below
    (`query`, `get`, `graph`, …) are what those methods are built on.

    Logins, from the configuration (`SalesforceConfig.flow`): a session id given to the
    constructor (with the instance URL); else the OAuth 2.0 JWT bearer flow when a consumer key,
    a private key file and a username are set (recommended); the OAuth client-credentials flow
    when a consumer key and secret are; the legacy OAuth password flow when a username is set
    beside them; else the legacy SOAP username-password(-security-token) login. A session from a
    login is shared with every other connector of this configuration, in any process, until it
    expires or Salesforce refuses it (`sessions.py`).
    """

    vendor = VENDOR

    def __init__(self, config: SalesforceConfig, recorder: Recorder | None = None,
                 session: requests.Session | None = None, timeout: Timeout = DEFAULT_TIMEOUT, *,
                 session_id: str | None = None):
        self.config = config
        self.recorder = recorder
        self.timeout = timeout
        self.session = session or _new_session(config, timeout)
        self.session.hooks["response"].append(self._keep_response)
        self.calls = 0  # HTTP calls to the REST API, failed ones included
        self.login_calls = 0
        self.api_usage: tuple[int, int] | None = None  # (used, limit) from Sforce-Limit-Info
        self._given_session_id = session_id
        self._sf: Salesforce | None = None
        self._response: requests.Response | None = None

    @classmethod
    def from_settings(cls, recorder: Recorder | None = None, **kwargs: Any) -> SalesforceConnector:
        """The connector for the configured org (`syncapp.conf.salesforce()`)."""
        config = conf.salesforce()
        kwargs.setdefault("timeout", (DEFAULT_TIMEOUT[0], config.read_timeout))
        return cls(config, recorder=recorder, **kwargs)

    # --- queries ---------------------------------------------------------------------------
    def query_iter(self, soql: str, *, include_deleted: bool = False,
                   batch_size: int | None = None) -> Iterator[dict]:
        """Every record `soql` selects, without `attributes`, fetched one page (one call) at a
        time as iteration reaches it. `batch_size` asks Salesforce for smaller pages
        (`Sforce-Query-Options`). Build `soql` with `soql()` / `soql_quote()`."""
        options: dict = {"timeout": self.timeout}
        if batch_size:
            options["headers"] = {"Sforce-Query-Options": f"batchSize={int(batch_size)}"}
        page = self._call("query", lambda sf: sf.query(soql, include_deleted, **options))
        while True:
            yield from (strip_attributes(record) for record in page.get("records", []))
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return

            def more(sf: Salesforce, url: str = next_url) -> dict:
                return sf.query_more(url, identifier_is_url=True, **options)

            page = self._call("query more", more)

    def query(self, soql: str, **options: Any) -> list[dict]:
        """All records `soql` selects, every page fetched (see `query_iter`)."""
        return list(self.query_iter(soql, **options))

    # --- records ---------------------------------------------------------------------------
    def get(self, sobject: str, record_id: str, fields: Iterable[str] | None = None) -> dict:
        """The record (only `fields`, when given), without `attributes`; `NotFoundError` when no
        record has this id or it was deleted."""
        params = {"fields": ",".join(fields)} if fields else None
        record = self._call(f"get {sobject}", lambda sf: _sobject(sf, sobject).get(
            _segment(record_id), params=params, timeout=self.timeout), record_url=True)
        return strip_attributes(record)

    def create(self, sobject: str, data: dict) -> str:
        """Create a record and return its id."""
        result = self._call(f"create {sobject}", lambda sf: _sobject(sf, sobject).create(data))
        return result["id"]

    def update(self, sobject: str, record_id: str, data: dict) -> None:
        """Change the given fields of a record; `NotFoundError` when it does not exist."""
        self._call(f"update {sobject}", lambda sf: _sobject(sf, sobject).update(
            _segment(record_id), data), record_url=True)

    def delete(self, sobject: str, record_id: str) -> None:
        """Delete a record; `NotFoundError` when it does not exist or is already deleted."""
        self._call(f"delete {sobject}", lambda sf: _sobject(sf, sobject).delete(
            _segment(record_id)), record_url=True)

    def upsert(self, sobject: str, ext_field: str, ext_value: str | int, data: dict) -> tuple[str, bool]:
        """Create or update the record whose external id field `ext_field` equals `ext_value`;
        return `(id, created)`. Several matching records → `PermanentError` `MULTIPLE_CHOICES`
        (`details["matches"]`); a taken unique value → `PermanentError` `DUPLICATE_VALUE`."""
        path = format_external_id(_api_name(ext_field), str(ext_value))
        response = self._call(f"upsert {sobject}", lambda sf: _sobject(sf, sobject).upsert(
            path, data, raw_response=True))
        if response.status_code == 204:  # API versions before 46.0 answer an update with no body
            found = self._call(f"get {sobject}", lambda sf: _sobject(sf, sobject).get(
                path, params={"fields": "Id"}, timeout=self.timeout), record_url=True)
            return found["Id"], False
        body = response.json()
        return body["id"], bool(body.get("created", response.status_code == 201))

    def describe(self, sobject: str) -> dict:
        """Salesforce's describe of an sObject: its fields, their types and create/update rules."""
        return self._call(f"describe {sobject}", lambda sf: _sobject(sf, sobject).describe())

    def api_versions(self) -> list[dict]:
        """The API versions the org serves (`GET /services/data/`), oldest first:
        `[{"version": "62.0", "label": "Winter '25", "url": …}]`."""
        return self._call("versions", lambda sf: sf._call_salesforce(
            "GET", f"https://{sf.sf_instance}/services/data/", timeout=self.timeout).json())

    def limits(self) -> dict:
        """The org's limits (`DailyApiRequests`: `{"Max", "Remaining"}`, …)."""
        return self._call("limits", lambda sf: sf.restful("limits", timeout=self.timeout))

    # --- several records in one call -------------------------------------------------------
    def graph(self, graphs: list[dict], *, raise_on_failure: bool = True) -> list[dict]:
        """Send composite graphs (`{"graphId", "compositeRequest": [nodes]}`, at most 500 nodes in
        all) in one call. Each graph succeeds or fails as a whole, independently of the others.
        Returns each graph's result (`{"graphId", "isSuccessful", "graphResponse":
        {"compositeResponse": [...]}}`) in order. A failed graph raises the error of its first
        real failing node — unless `raise_on_failure` is False, for a batch of several orders'
        graphs: then nothing is raised and `graph_error(result)` says why each one failed."""
        nodes = sum(len(graph["compositeRequest"]) for graph in graphs)
        connect, read = self.timeout if isinstance(self.timeout, tuple) else (self.timeout, self.timeout)
        timeout = (connect, read + GRAPH_SECONDS_PER_NODE * nodes)
        result = self._call("graph", lambda sf: sf.restful(
            "composite/graph", method="POST", json={"graphs": list(graphs)}, timeout=timeout))
        results = result["graphs"]
        if raise_on_failure:
            _raise(next((e for e in map(graph_error, results) if e), None))
        return results

    def collection_update(self, records: list[dict], all_or_none: bool = True) -> list[dict]:
        """Update up to 200 records (each with `Id` and `attributes`) in one call. Returns
        `[{"id", "success", "errors"}]` in order; with `all_or_none` a failure raises."""
        return self._collection("PATCH", "collection update", records, all_or_none)

    def _collection(self, method, operation, records, all_or_none):
        body = {"allOrNone": all_or_none, "records": list(records)}
        results = self._call(operation, lambda sf: sf.restful(
            "composite/sobjects", method=method, json=body, timeout=self.timeout))
        if all_or_none:
            _raise(first_failure(record_error(r) for r in results))
        return results

    # --- paths for subrequests ---------------------------------------------------------------
    def data_path(self, path: str) -> str:
        """`/services/data/vXX.X/{path}`, the form composite subrequests and graph nodes use."""
        return f"/services/data/v{self.config.api_version}/{path.lstrip('/')}"

    # --- sessions and accounting -----------------------------------------------------------
    def _call(self, operation: str, fn: Callable[[Salesforce], object], *,
              record_url: bool = False):
        """`fn(client)` makes one HTTP request; sent again after a short pause (twice at most)
        when Salesforce surely did nothing with it (`_resendable`). Lock contention and a busy
        server clear in about a second: a job retried minutes later for that loses its place and
        its attempts (bench/soak.py), so only longer trouble is left to the job engine."""
        for pause in (*RESEND_PAUSES, None):
            try:
                return self._call_in_session(operation, fn, record_url=record_url)
            except TransientError as err:
                if pause is None or not _resendable(operation, err):
                    raise
                time.sleep(random.uniform(pause / 2, pause))

    def _call_in_session(self, operation: str, fn: Callable[[Salesforce], object], *,
                         record_url: bool = False):
        """Log in first if needed, and once more (then retry once) when Salesforce answers
        INVALID_SESSION_ID."""
        sf = self._client()
        try:
            return self._exchange(operation, lambda: fn(sf), record_url=record_url)
        except TransientError as err:
            if err.code != "INVALID_SESSION_ID":
                raise
            if not self._can_login():
                raise PermanentError(
                    "the session is no longer valid and no credentials are configured to log in",
                    code=err.code, vendor=VENDOR, status=err.status, details=err.details) from err
            sessions.forget(self.config, sf.session_id)
        fresh = self._login()
        return self._exchange(operation, lambda: fn(fresh), record_url=record_url)

    def login(self) -> None:
        """Log in now with the configured flow, even when a shared session exists (the preflight
        proves the credentials work); the new session is shared from then on."""
        self._login()

    def _client(self) -> Salesforce:
        if self._sf is None:
            shared = None if self._given_session_id else sessions.cached(self.config)
            if self._given_session_id:
                self._sf = self._rest_client(self._given_session_id, self._configured_instance())
            elif shared:
                self._sf = self._rest_client(*shared)
            else:
                return self._login()
        return self._sf

    def _login(self) -> Salesforce:
        arguments = self._login_arguments()
        session_id, instance = self._exchange(
            "login", lambda: SalesforceLogin(**arguments), login=True)
        instance = self._configured_instance() or instance
        self._sf = sf = self._rest_client(session_id, instance)
        sessions.remember(self.config, session_id, instance, self._session_seconds())
        return sf

    def _session_seconds(self) -> float:
        """How long the new session lives: what a SOAP login answered, else the setting."""
        found = _SESSION_SECONDS.search(self._response.text) if self._response is not None else None
        return float(found.group(1)) if found else self.config.session_seconds

    def _rest_client(self, session_id: str, instance: str | None) -> Salesforce:
        if not instance:
            raise ImproperlyConfigured("a Salesforce session id needs SALESFORCE_INSTANCE_URL")
        # Given a session id, simple-salesforce never logs in again by itself: _call decides.
        return Salesforce(session_id=session_id, instance=instance,
                          version=self.config.api_version, session=self.session)

    def _configured_instance(self) -> str | None:
        return urlsplit(self.config.instance_url or "").netloc or None

    def _can_login(self) -> bool:
        return bool(self.config.flow)

    def _login_arguments(self) -> dict:
        c = self.config
        common = {"session": self.session, "sf_version": c.api_version,
                  "domain": c.domain or "login"}
        if c.flow == "jwt":
            if not os.path.isfile(c.private_key_file):
                raise ImproperlyConfigured(
                    f"SALESFORCE_PRIVATE_KEY_FILE is not a file: {c.private_key_file}")
            return {**common, "username": c.username, "consumer_key": c.consumer_key,
                    "privatekey_file": c.private_key_file}
        keys = {"consumer_key": c.consumer_key, "consumer_secret": c.consumer_secret}
        if c.flow == "oauth_password":
            # The OAuth password flow wants the security token appended to the password.
            return {**common, **keys, "username": c.username,
                    "password": (c.password or "") + (c.security_token or "")}
        if c.flow == "client_credentials":
            return {**common, **keys, "domain": self._my_domain()}
        if c.flow == "soap":
            return {**common, "username": c.username, "password": c.password,
                    "security_token": c.security_token or ""}
        raise ImproperlyConfigured(
            "Salesforce login needs SALESFORCE_CONSUMER_KEY, SALESFORCE_PRIVATE_KEY_FILE and "
            "SALESFORCE_USERNAME (JWT bearer flow), or SALESFORCE_CONSUMER_KEY and "
            "SALESFORCE_CONSUMER_SECRET (client credentials), or SALESFORCE_USERNAME and "
            "SALESFORCE_PASSWORD (legacy)")

    def _my_domain(self) -> str:
        """Salesforce serves the client-credentials flow only on the org's My Domain."""
        domain = self.config.domain or "login"
        if domain not in ("login", "test"):
            return domain
        host = urlsplit(self.config.instance_url or "").hostname or ""
        if host.endswith(".salesforce.com"):
            return host.removesuffix(".salesforce.com")
        if self.config.sandbox:
            return "sandbox.my"  # any host: the sandbox transport sends it to the emulator
        raise ImproperlyConfigured(
            "the client-credentials flow needs SALESFORCE_DOMAIN set to the org's My Domain "
            "(e.g. acme.my) or a *.salesforce.com SALESFORCE_INSTANCE_URL")

    def _exchange(self, operation: str, thunk: Callable[[], object], *, login: bool = False,
                  record_url: bool = False):
        """Run one HTTP exchange: count it, read its limit header, record it, map its failure."""
        self._response = None
        started = time.perf_counter()
        try:
            result = thunk()
        except _FAILURES as exc:
            error = map_exception(exc, self._response, record_url=record_url)
            self._account(operation, started, error, getattr(exc, "request", None), login)
            raise error from exc
        self._account(operation, started, None, None, login)
        return result

    def _account(self, operation, started, error, request, login) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        response = self._response
        if login:
            self.login_calls += 1
        else:
            self.calls += 1
        if response is not None:
            usage = Salesforce.parse_api_usage(response.headers.get("Sforce-Limit-Info", ""))
            if "api-usage" in usage:
                self.api_usage = (usage["api-usage"].used, usage["api-usage"].total)
        if self.recorder is not None:
            record = call_record(operation, elapsed_ms, response, request, error, login=login)
            if self.api_usage and not login:
                record.extra["api_usage"] = self.api_usage
            self.recorder(record)

    def _keep_response(self, response: requests.Response, *args, **kwargs) -> None:
        self._response = response  # a requests hook: sees every answer, logins included


def _resendable(operation: str, err: TransientError) -> bool:
    """Whether sending the request again cannot do anything twice: Salesforce refused it before
    changing anything (a locked row, an unavailable server), or it only reads or upserts by
    external id (a timeout leaves unknown whether a create went through)."""
    if err.code in REFUSED_UNCHANGED:
        return True
    return err.code in ("timeout", "connection_error") and operation.startswith(IDEMPOTENT_OPERATIONS)


def _new_session(config: SalesforceConfig, timeout) -> requests.Session:
    if config.sandbox:
        return sandbox_session(config.instance_url, timeout=timeout)
    return new_session(timeout=timeout)


def _api_name(name: str) -> str:
    if not _API_NAME.match(name or ""):
        raise ValueError(f"not a Salesforce API name: {name!r}")
    return name


def _sobject(sf: Salesforce, sobject: str) -> SFType:
    return SFType(_api_name(sobject), sf.session_id, sf.sf_instance, sf_version=sf.sf_version,
                  session=sf.session, salesforce=sf)


def _segment(value) -> str:
    """A value quoted to stay one URL path segment (an id cannot reach another resource)."""
    return quote(str(value), safe="")


def _raise(error) -> None:
    if error is not None:
        raise error
