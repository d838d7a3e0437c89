"""Object Query (`GET /object-query/accounts`, `GET /object-query/contacts`): how a caller finds
an account by CRM id or a contact by email, e.g. `?filter[]=crmId.EQ:001…`.

Supported: `filter[]` with EQ, NE and IN (`field.IN:[a,b]`), `sort[]` on createdDate or
updatedDate, `pageSize` and `cursor`. String comparisons ignore case, as Zuora's do.
"""
import base64

from django.db.models import Q

from sandbox.zuora import errors
from sandbox.zuora.api import endpoint
from sandbox.zuora.errors import ZuoraError
from sandbox.zuora.models import Account, Contact

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
    condition = Q(**{f"{column}__iexact": value})
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


def query_accounts(request, body):
    return _search(request, Account.objects.all(), ACCOUNT_FIELDS, account_row)


def query_contacts(request, body):
    return _search(request, Contact.objects.all(), CONTACT_FIELDS, contact_row)


accounts = endpoint("/object-query/accounts", GET=query_accounts)
contacts = endpoint("/object-query/contacts", GET=query_contacts)
