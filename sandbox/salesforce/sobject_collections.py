"""`/composite/sobjects`: create, update, upsert, delete and retrieve up to 200 records in one
call, record by record or all-or-none."""
from django.db import transaction

from . import ids, schema, store
from .calls import allow, duplicate_check, render
from .composite import Rollback
from .errors import SfError, bad_request, not_found, request_error

MAX_COLLECTION = 200
COLLECTION_ROLLED_BACK = "Record rolled back because not all records were valid and the request " \
                         "was using AllOrNone header"


def _collection_errors(err: SfError) -> list:
    return [{"statusCode": e["errorCode"], **{k: v for k, v in e.items() if k != "errorCode"}}
            for e in err.errors]


def _one(action):
    try:
        return action(), None
    except SfError as err:
        return None, _collection_errors(err)
    except store.MultipleMatches:
        return None, [{"statusCode": "DUPLICATE_EXTERNAL_ID", "message": "More than one record "
                       "found for external id field", "fields": []}]


def route(call, parts) -> list:
    check = duplicate_check(call)
    body = call.body if isinstance(call.body, dict) else {}
    if call.method == "GET" or (call.method == "POST" and len(parts) == 1):
        return _retrieve(call, parts, body, render)
    if call.method == "DELETE":
        allow(call, "DELETE")
        targets = [i for i in (call.params.get("ids") or "").split(",") if i]
        all_or_none = str(call.params.get("allOrNone", "false")).lower() == "true"
        actions = [(lambda i=i: _delete_any(i, call.org)) for i in targets]
    else:
        allow(call, "POST", "PATCH")
        records = body.get("records")
        if not isinstance(records, list):
            raise request_error("INVALID_INPUT", "records must be a list")
        targets = records
        all_or_none = bool(body.get("allOrNone"))
        actions = [_save_action(call, r, parts, check) for r in records]
    if len(targets) > MAX_COLLECTION:
        raise request_error("EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than "
                          f"{MAX_COLLECTION} records into this call")
    return _run_collection(actions, all_or_none)


def _run_collection(actions, all_or_none) -> list:
    outcome = {}
    try:
        with transaction.atomic():
            results = [_one(action) for action in actions]
            outcome["results"] = results
            if all_or_none and any(errors for _, errors in results):
                raise Rollback()
    except Rollback:
        pass
    results = outcome["results"]
    failed = all_or_none and any(errors for _, errors in results)
    out = []
    for value, errors in results:
        if errors:
            out.append({"id": None, "success": False, "errors": errors})
        elif failed:
            out.append({"id": None, "success": False, "errors": [{
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": COLLECTION_ROLLED_BACK, "fields": []}]})
        else:
            out.append(value)
    return out


def _save_action(call, record, parts, check):
    def action():
        if not isinstance(record, dict):
            raise bad_request("INVALID_INPUT", "each record must be an object")
        sobject = schema.canonical_sobject((record.get("attributes") or {}).get("type", ""))
        if sobject is None:
            raise bad_request("INVALID_TYPE", "Each record needs attributes.type naming an sObject")
        fields = {k: v for k, v in record.items() if k != "attributes"}
        record_id = next((v for k, v in fields.items() if k.lower() == "id"), None)
        if call.method == "POST":
            if record_id:
                raise bad_request("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
            return {"id": store.create(sobject, fields, call.org, check), "success": True,
                    "errors": []}
        if len(parts) == 2:  # upsert by external id: /composite/sobjects/{type}/{field}
            fld = schema.get_field(sobject, parts[1])
            value = next((v for k, v in fields.items() if fld and k.lower() == fld.name.lower()),
                         None)
            if value is None:
                raise bad_request("INVALID_FIELD", f"Missing external id field {parts[1]}")
            found_id, created = store.upsert(sobject, parts[1], str(value), fields, call.org, check)
            return {"id": found_id, "success": True, "errors": [], "created": created}
        if not record_id:
            raise bad_request("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
        store.update(sobject, record_id, fields, call.org, check)
        return {"id": store.fetch(record_id).sf_id, "success": True, "errors": []}

    return action


def _delete_any(record_id, org):
    record = store.fetch(record_id, include_deleted=True)
    if record is None:
        raise bad_request("MALFORMED_ID" if not ids.normalize(record_id) else
                          "INVALID_CROSS_REFERENCE_KEY", f"invalid record id: {record_id}")
    if record.is_deleted:
        raise bad_request("ENTITY_IS_DELETED", "entity is deleted")
    store.delete(record.sobject, record.sf_id, org)
    return {"id": record.sf_id, "success": True, "errors": []}


def _retrieve(call, parts, body, render) -> list:
    sobject = schema.canonical_sobject(parts[0]) if parts else None
    if sobject is None:
        raise not_found()
    if call.method == "POST":
        wanted, names = body.get("ids"), body.get("fields")
    else:
        wanted = (call.params.get("ids") or "").split(",")
        names = (call.params.get("fields") or "").split(",")
    only = []
    for name in [n for n in (names or []) if n]:
        fld = schema.get_field(sobject, name.strip())
        if fld is None:
            raise bad_request("INVALID_FIELD", f"No such column '{name}' on sobject of type "
                              f"{sobject}")
        only.append(fld)
    out = []
    for record_id in [i for i in (wanted or []) if i]:
        record = store.fetch(record_id)
        out.append(render(sobject, store.as_fields(record), call.version, only or None)
                   if record and record.sobject == sobject else None)
    return out
