"""`/composite` and `/composite/graph`: `@{ref.path}` references between subrequests and
all-or-nothing rollback through database savepoints."""
import re
from urllib.parse import parse_qsl, urlsplit

from django.db import transaction

from .calls import Call, Reply, allow
from .errors import SfError, not_found, request_error

MAX_SUBREQUESTS = 25
# Salesforce's composite graph limits: graphs and nodes in one request, and the failed graphs
# after which it halts the rest of the request.
MAX_GRAPHS = 75
MAX_GRAPH_NODES = 500
MAX_GRAPH_FAILURES = 14
URL_RE = re.compile(r"^/services/data/v(\d+\.\d)/(.*)$")
REF_RE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
ROLLED_BACK = "The transaction was rolled back since another operation in the same transaction " \
              "failed."


HALTED = f"Processing halted: more than {MAX_GRAPH_FAILURES - 1} graphs of this request failed."


class Rollback(Exception):
    """Raised inside an atomic block to undo everything after the responses are captured."""


def route(call, parts, dispatch):
    if parts == []:
        allow(call, "POST")
        return Reply(200, composite(call, dispatch))
    if parts == ["graph"]:
        allow(call, "POST")
        return Reply(200, graph(call, dispatch))
    raise not_found()


# --- references --------------------------------------------------------------------------------

class MissingReference(Exception):
    pass


def _lookup(value, path: str):
    for key, index in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        if index:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) \
                else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def substitute(value, done: dict):
    """Replace `@{ref.path}` in strings (recursively) with values from earlier responses."""
    if isinstance(value, dict):
        return {k: substitute(v, done) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, done) for v in value]
    if not isinstance(value, str) or "@{" not in value:
        return value

    def one(match):
        ref, path = match.group(1), match.group(2)
        if ref not in done:
            raise MissingReference(f"Invalid reference specified. No value for {ref}{path} found "
                                   f"in {ref}. Provided referenceId ensure it exists.")
        found = _lookup(done[ref], path)
        if found is None:
            raise MissingReference(f"Invalid reference specified. No value for {ref}{path} found "
                                   f"in {ref}.")
        return found

    whole = REF_RE.fullmatch(value)
    if whole:
        return one(whole)
    return REF_RE.sub(lambda m: str(one(m)), value)


# --- /composite and /composite/graph ---------------------------------------------------------

def _validate_subrequests(items, limit=None):
    if not isinstance(items, list) or not items:
        raise request_error("INVALID_INPUT", "compositeRequest must be a non-empty list")
    if limit and len(items) > limit:
        raise request_error("LIMIT_EXCEEDED", f"Exceeded max size limit of {limit} subrequests")
    seen = set()
    for item in items:
        if not isinstance(item, dict) or not item.get("referenceId") or not item.get("url") \
                or not item.get("method"):
            raise request_error("INVALID_INPUT",
                                "Each subrequest needs method, url and referenceId")
        if item["referenceId"] in seen:
            raise request_error("INVALID_INPUT", f"Duplicate referenceId: {item['referenceId']}")
        seen.add(item["referenceId"])


def _subcall(call, item, done, force_all_or_none):
    url = substitute(item["url"], done)
    body = substitute(item.get("body"), done)
    split = urlsplit(url)
    match = URL_RE.match(split.path)
    if not match:
        raise request_error("INVALID_INPUT",
                            f"Subrequest url must start with /services/data/: {url}")
    if match.group(2).startswith("composite") and not match.group(2).startswith(
            "composite/sobjects"):
        raise request_error("INVALID_INPUT", "Composite resources can't be nested")
    if force_all_or_none and isinstance(body, dict) and "records" in body:
        body = {**body, "allOrNone": True}
    headers = {k.lower(): v for k, v in (item.get("httpHeaders") or {}).items()}
    return Call(item["method"].upper(), match.group(1), match.group(2),
                dict(parse_qsl(split.query)), body, {**call.headers, **headers}, call.org)


def _entry(item, status, body, version=None):
    headers = {}
    if status == 201 and isinstance(body, dict) and body.get("id") and version:
        segments = urlsplit(item["url"]).path.split("/")
        sobject = segments[segments.index("sobjects") + 1] if "sobjects" in segments[:-1] else ""
        headers["Location"] = f"/services/data/v{version}/sobjects/{sobject}/{body['id']}"
    return {"body": body, "httpHeaders": headers, "httpStatusCode": status,
            "referenceId": item["referenceId"]}


def _halted(item, message=ROLLED_BACK):
    return _entry(item, 400, [{"errorCode": "PROCESSING_HALTED", "message": message}])


def run_subrequests(call, items, dispatch, all_or_none: bool):
    """Responses for `items`, and whether all succeeded. With all_or_none, the first failure
    rolls every write back and the other subrequests report PROCESSING_HALTED."""
    responses, done, failed = [], {}, False
    for item in items:
        if failed and all_or_none:
            responses.append(_halted(item))
            continue
        try:
            sub = _subcall(call, item, done, all_or_none)
        except MissingReference as missing:
            responses.append(_halted(item, str(missing)))
            failed = True
            continue
        except SfError as err:
            responses.append(_entry(item, err.status, err.errors))
            failed = True
            continue
        reply = dispatch(sub)
        responses.append(_entry(item, reply.status, reply.body, sub.version))
        if reply.status < 300:
            done[item["referenceId"]] = reply.body
        else:
            failed = True
    if failed and all_or_none:
        responses = [r if r["httpStatusCode"] >= 300 else {**_halted({"referenceId": r[
            "referenceId"]}), "httpHeaders": {}} for r in responses]
    return responses, not failed


def _atomically(call, items, dispatch, all_or_none):
    if not all_or_none:
        return run_subrequests(call, items, dispatch, False)
    outcome = {}
    try:
        with transaction.atomic():
            outcome["result"] = run_subrequests(call, items, dispatch, True)
            if not outcome["result"][1]:
                raise Rollback()
    except Rollback:
        pass
    return outcome["result"]


def composite(call, dispatch) -> dict:
    body = call.body if isinstance(call.body, dict) else {}
    items = body.get("compositeRequest")
    _validate_subrequests(items, MAX_SUBREQUESTS)
    responses, _ = _atomically(call, items, dispatch, bool(body.get("allOrNone")))
    return {"compositeResponse": responses}


def graph(call, dispatch) -> dict:
    body = call.body if isinstance(call.body, dict) else {}
    graphs = body.get("graphs")
    if not isinstance(graphs, list) or not graphs:
        raise request_error("INVALID_INPUT", "graphs must be a non-empty list")
    if len(graphs) > MAX_GRAPHS:
        raise request_error("LIMIT_EXCEEDED", f"A composite graph request can have at most "
                            f"{MAX_GRAPHS} graphs; this one has {len(graphs)}")
    ids_seen = set()
    for one in graphs:
        if not isinstance(one, dict) or not one.get("graphId") or one["graphId"] in ids_seen:
            raise request_error("INVALID_INPUT", "Each graph needs a unique graphId")
        ids_seen.add(one["graphId"])
        _validate_subrequests(one.get("compositeRequest"))
    nodes = sum(len(one["compositeRequest"]) for one in graphs)
    if nodes > MAX_GRAPH_NODES:
        raise request_error("LIMIT_EXCEEDED", f"A composite graph request can have at most "
                          f"{MAX_GRAPH_NODES} nodes; this one has {nodes}")
    out, failures = [], 0
    for one in graphs:
        if failures >= MAX_GRAPH_FAILURES:
            # Not tried at all: every node of the graph says so (the shape is assumed:
            # docs/vendor-assumptions.md, Salesforce).
            responses, ok = [_halted(item, HALTED) for item in one["compositeRequest"]], False
        else:
            responses, ok = _atomically(call, one["compositeRequest"], dispatch, True)
            failures += not ok
        out.append({"graphId": one["graphId"], "graphResponse": {"compositeResponse": responses},
                    "isSuccessful": ok})
    return {"graphs": out}
