"""A data call as the dispatcher sees it (from HTTP or from a composite subrequest), its reply,
and the record shapes shared by the resources."""
from dataclasses import dataclass, field

from . import duplicates, schema
from .errors import SfError
from .models import Org


@dataclass
class Call:
    method: str
    version: str
    path: str  # below /services/data/vXX.X/, without surrounding slashes
    params: dict
    body: object
    headers: dict  # lowercased names
    org: Org


@dataclass
class Reply:
    status: int
    body: object = None
    headers: dict = field(default_factory=dict)


def allow(call: Call, *methods):
    if call.method not in methods:
        raise SfError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{call.method}' not allowed. "
                      f"Allowed are {','.join(methods)}")


def attributes(sobject: str, record_id: str, version: str) -> dict:
    return {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record_id}"}


def render(sobject: str, fields: dict, version: str, only=None) -> dict:
    out = {"attributes": attributes(sobject, fields["Id"], version)}
    for fld in (only or schema.fields_of(sobject)):
        out[fld.name] = fields.get(fld.name)
    return out


def duplicate_check(call: Call):
    """The duplicate rules' check for this call's saves, or None when the rules are off."""
    if not call.org.duplicate_rules:
        return None
    header = call.headers.get("sforce-duplicate-rule-header", "").replace(" ", "").lower()
    return duplicates.checker(call.version, "allowsave=true" in header)


def save_result(record_id, created=None) -> dict:
    body = {"id": record_id, "success": True, "errors": []}
    if created is not None:
        body["created"] = created
    return body
