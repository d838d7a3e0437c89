"""The REST data API below `/services/data/vXX.X/`: one dispatcher used by the HTTP views and by
composite subrequests alike."""
from . import composite, results, schema, sobject_collections, store
from .calls import Call, Reply, allow, duplicate_check, render, save_result
from .errors import SfError, invalid_field, not_found, request_error
from .models import Org

__all__ = ["Call", "Reply", "dispatch"]

VERSIONS = [f"{v}.0" for v in range(31, 64)]
DEFAULT_VERSION = "62.0"


def release_label(version: str) -> str:
    offset = int(float(version)) - 62  # 62.0 is Winter '25
    return f"{['Winter', 'Spring', 'Summer'][offset % 3]} '{25 + offset // 3}"


def versions() -> list:
    return [{"label": release_label(v), "url": f"/services/data/v{v}", "version": v}
            for v in VERSIONS]


def resource_name(path: str) -> str:
    """The name calls are counted under: `query`, `sobjects/Account`, `composite/graph`, …"""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "resources"
    if parts[0] == "sobjects" and len(parts) > 1:
        return f"sobjects/{schema.canonical_sobject(parts[1]) or parts[1]}"
    if parts[0] == "composite" and len(parts) > 1:
        return f"composite/{parts[1]}"
    return parts[0]


def dispatch(call: Call) -> Reply:
    try:
        return _route(call)
    except SfError as err:
        return Reply(err.status, err.errors)
    except store.MultipleMatches as many:
        return Reply(300, [f"/services/data/v{call.version}/sobjects/{many.sobject}/{i}"
                           for i in many.record_ids])


def _route(call: Call) -> Reply:
    if call.version not in VERSIONS:
        raise not_found()
    parts = [p for p in call.path.split("/") if p]
    head = parts[0] if parts else ""
    if not parts:
        allow(call, "GET")
        return Reply(200, resources(call.version))
    if head == "limits" and len(parts) == 1:
        allow(call, "GET")
        return Reply(200, limits(call.org))
    if head in ("query", "queryAll") and len(parts) <= 2:
        allow(call, "GET")
        return Reply(200, _query(call, parts, include_deleted=head == "queryAll"))
    if head == "sobjects":
        return _sobjects(call, parts[1:])
    if head == "composite" and parts[1:2] == ["sobjects"]:
        return Reply(200, sobject_collections.route(call, parts[2:]))
    if head == "composite":
        return composite.route(call, parts[1:], dispatch)
    raise not_found()


def resources(version: str) -> dict:
    base = f"/services/data/v{version}"
    return {name: f"{base}/{name}" for name in (
        "sobjects", "query", "queryAll", "limits", "composite", "search", "recent", "tooling")}


def limits(org: Org) -> dict:
    fresh = Org.objects.get(pk=org.pk)
    return {"DailyApiRequests": {"Max": fresh.daily_limit,
                                 "Remaining": max(0, fresh.daily_limit - fresh.api_usage)},
            "DataStorageMB": {"Max": 1024, "Remaining": 1000}}


def _query(call: Call, parts, include_deleted: bool) -> dict:
    options = call.headers.get("sforce-query-options")
    if len(parts) == 2:
        return results.more(parts[1], call.version)
    soql = call.params.get("q")
    if not soql:
        raise request_error("MALFORMED_QUERY", "A query string (parameter q) is required")
    return results.execute(soql, call.version, include_deleted, options)


# --- sObjects --------------------------------------------------------------------------------

def _only(sobject: str, fields_param):
    if not fields_param:
        return None
    chosen = []
    for name in fields_param.split(","):
        fld = schema.get_field(sobject, name.strip())
        if fld is None:
            raise invalid_field(f"No such column '{name.strip()}' on sobject of type {sobject}")
        chosen.append(fld)
    return chosen


def _sobjects(call: Call, parts) -> Reply:
    if not parts:
        allow(call, "GET")
        return Reply(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [
            schema.describe_global_entry(name, call.version) for name in schema.OBJECTS]})
    sobject = schema.canonical_sobject(parts[0])
    if sobject is None:
        raise not_found()
    rest = parts[1:]
    if not rest:
        allow(call, "GET", "POST")
        if call.method == "POST":
            record_id = store.create(sobject, call.body, call.org, duplicate_check(call))
            return Reply(201, save_result(record_id))
        return Reply(200, {"objectDescribe": schema.describe_global_entry(sobject, call.version),
                           "recentItems": []})
    if rest == ["describe"]:
        allow(call, "GET")
        return Reply(200, schema.describe(sobject, call.version))
    if len(rest) == 1:
        return _record(call, sobject, rest[0])
    if len(rest) == 2:
        return _by_external_id(call, sobject, rest[0], rest[1])
    raise not_found()


def _record(call: Call, sobject: str, record_id: str) -> Reply:
    allow(call, "GET", "PATCH", "DELETE")
    if call.method == "PATCH":
        store.update(sobject, record_id, call.body, call.org, duplicate_check(call))
        return Reply(204)
    if call.method == "DELETE":
        store.delete(sobject, record_id, call.org)
        return Reply(204)
    record = store.fetch(record_id)
    if record is None or record.sobject != sobject:
        raise not_found()
    only = _only(sobject, call.params.get("fields"))
    return Reply(200, render(sobject, store.as_fields(record), call.version, only))


def _by_external_id(call: Call, sobject: str, field_name: str, value: str) -> Reply:
    allow(call, "GET", "PATCH", "DELETE")
    if call.method == "PATCH":
        record_id, created = store.upsert(sobject, field_name, value, call.body, call.org,
                                          duplicate_check(call))
        return Reply(201 if created else 200, save_result(record_id, created))
    fld = schema.get_field(sobject, field_name)
    if fld is None or not (fld.external_id or fld.name == "Id"):
        raise not_found(f"Provided external ID field does not exist or is not accessible: "
                        f"{field_name}")
    matches = store.find_by_external_id(sobject, fld, value)
    if len(matches) > 1:
        raise store.MultipleMatches([m.sf_id for m in matches], sobject)
    if not matches:
        raise not_found()
    if call.method == "DELETE":
        store.delete(sobject, matches[0].sf_id, call.org)
        return Reply(204)
    only = _only(sobject, call.params.get("fields"))
    return Reply(200, render(sobject, store.as_fields(matches[0]), call.version, only))

