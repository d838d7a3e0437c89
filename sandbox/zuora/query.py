"""Object Query (`GET /object-query/accounts`, `GET /object-query/contacts`): how a caller finds
an account by CRM id or a contact by email, e.g. `?filter[]=crmId.EQ:001…`.

Supported: `filter[]` with EQ, NE and IN (`field.IN:[a,b]`), `sort[]` on createdDate or
updatedDate, `pageSize` and `cursor`. String comparisons are exact: case counts (an assumption,
docs/vendor-assumptions.md, Zuora). A tenant may not have Object Query (`object_query` off in
`_control`): the endpoints then answer 404.

Also `POST /v1/action/query` (ZOQL, `select … from Account|Contact where F = 'v' [or F = 'v']`),
which every tenant has: the hub's way to find accounts when Object Query is absent.
"""
import base64
import re

from django.db.models import Q

from sandbox.zuora import errors
from sandbox.zuora.api import endpoint
from sandbox.zuora.errors import ZuoraError
from sandbox.zuora.models import Account, Contact, Control

ACCOUNT_FIELDS = {"id": "id", "accountNumber": "account_number", "name": "name",
                  "crmId": "crm_id", "billToId": "bill_to_id", "soldToId": "sold_to_id",
                  "status": "status", "currency": "currency"}
CONTACT_FIELDS = {"id": "id", "accountId": "account_id", "workEmail": "work_email",
                  "firstName": "first_name", "lastName": "last_name"}
SORT_FIELDS = {"createdDate": "created_date", "updatedDate": "updated_date"}
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 10, 99


def bad_parameter(message: str) -> ZuoraError:
    return ZuoraError(errors.NO_PAYLOAD, errors.INVALID_PARAMETER, message, status=400)


def _condition(expression: str, fields: dict) -> Q:
    target, colon, value = expression.partition(":")
    name, _, op = target.rpartition(".")
    if name not in fields or op not in ("EQ", "NE", "IN") or not colon:
        raise bad_parameter(f"Invalid filter: {expression}")
    column = fields[name]
    if op == "IN":
        values = [v.strip() for v in value.strip("[]").split(",") if v.strip()]
        return Q(**{f"{column}__in": values})
    condition = Q(**{column: value})
    return ~condition if op == "NE" else condition


def _search(request, queryset, fields: dict, render) -> dict:
    query = request.GET
    for expression in query.getlist("filter[]"):
        queryset = queryset.filter(_condition(expression, fields))
    ordering = []
    for expression in query.getlist("sort[]"):
        name, _, direction = expression.partition(".")
        if name not in SORT_FIELDS or direction.upper() not in ("ASC", "DESC"):
            raise bad_parameter(f"Invalid sort: {expression}")
        ordering.append(("-" if direction.upper() == "DESC" else "") + SORT_FIELDS[name])
    queryset = queryset.order_by(*ordering, "created_date", "pk")
    try:
        size = min(int(query.get("pageSize", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE)
        start = int(base64.urlsafe_b64decode(query["cursor"]).decode()) if query.get(
            "cursor") else 0
    except (ValueError, TypeError):
        raise bad_parameter("Invalid pageSize or cursor") from None
    rows = list(queryset[start: start + size + 1])
    data = {"data": [render(row) for row in rows[:size]]}
    if len(rows) > size:
        data["nextPage"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return data


def _stamp(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def account_row(account: Account) -> dict:
    return {"id": account.id, "accountNumber": account.account_number, "name": account.name,
            "crmId": account.crm_id, "currency": account.currency, "status": account.status,
            "billCycleDay": account.bill_cycle_day, "paymentTerm": account.payment_term,
            "billToId": account.bill_to_id, "soldToId": account.sold_to_id,
            "createdDate": _stamp(account.created_date),
            "updatedDate": _stamp(account.updated_date), **account.custom_fields}


def contact_row(contact: Contact) -> dict:
    return {"id": contact.id, "accountId": contact.account_id, "firstName": contact.first_name,
            "lastName": contact.last_name, "workEmail": contact.work_email,
            "workPhone": contact.work_phone, "address1": contact.address1, "city": contact.city,
            "state": contact.state, "zipCode": contact.zip_code, "country": contact.country,
            "createdDate": _stamp(contact.created_date),
            "updatedDate": _stamp(contact.updated_date)}


def _object_query_enabled() -> None:
    if not Control.load().object_query:
        raise ZuoraError(errors.NO_PAYLOAD, errors.UNSUPPORTED_METHOD,
                         "The Object Query API is not enabled for this tenant", status=404)


def query_accounts(request, body):
    _object_query_enabled()
    return _search(request, Account.objects.all(), ACCOUNT_FIELDS, account_row)


def query_contacts(request, body):
    _object_query_enabled()
    return _search(request, Contact.objects.all(), CONTACT_FIELDS, contact_row)


ZOQL = re.compile(r"^\s*select\s+(?P<fields>[\w\s,]+?)\s+from\s+(?P<object>\w+)"
                  r"(?:\s+where\s+(?P<where>.+?))?\s*$", re.IGNORECASE | re.DOTALL)
ZOQL_CONDITION = re.compile(r"^\s*(\w+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*$")
ZOQL_OBJECTS = {  # object -> (model, ZOQL field -> model field)
    "account": (Account, {"Id": "id", "AccountNumber": "account_number", "Name": "name",
                          "CrmId": "crm_id", "BillToId": "bill_to_id", "Currency": "currency",
                          "CreatedDate": "created_date"}),
    "contact": (Contact, {"Id": "id", "AccountId": "account_id", "WorkEmail": "work_email",
                          "FirstName": "first_name", "LastName": "last_name"}),
}


def zoql(request, body):
    """`POST /v1/action/query`: equality conditions joined by `or`; `=` compares exactly."""
    match = ZOQL.match(str(body.get("queryString") or ""))
    if not match or match["object"].lower() not in ZOQL_OBJECTS:
        raise ZuoraError(errors.NO_PAYLOAD, errors.MALFORMED, "Invalid ZOQL query", status=400)
    model, fields = ZOQL_OBJECTS[match["object"].lower()]
    by_lower = {name.lower(): (name, column) for name, column in fields.items()}
    wanted = [by_lower.get(f.strip().lower()) for f in match["fields"].split(",")]
    if None in wanted:
        raise ZuoraError(errors.NO_PAYLOAD, errors.INVALID_VALUE, "invalid field for query")
    condition = Q()
    for part in re.split(r"\s+or\s+", match["where"] or "", flags=re.IGNORECASE):
        found = ZOQL_CONDITION.match(part) if part else None
        if part and (not found or found[1].lower() not in by_lower):
            raise ZuoraError(errors.NO_PAYLOAD, errors.MALFORMED, "Invalid ZOQL query",
                             status=400)
        if found:
            value = found[2].replace("\\'", "'").replace("\\\\", "\\")
            condition |= Q(**{by_lower[found[1].lower()][1]: value})
    rows = model.objects.filter(condition).order_by("created_date", "pk")
    records = [{name: str(getattr(row, column)) for name, column in wanted} for row in rows]
    return {"records": records, "size": len(records), "done": True}


accounts = endpoint("/object-query/accounts", GET=query_accounts)
contacts = endpoint("/object-query/contacts", GET=query_contacts)
action_query = endpoint("/v1/action/query", POST=zoql)
