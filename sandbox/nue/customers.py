"""Customers and their contacts: `POST /customers` (an array, as Nue takes it), `GET /customers`
(filters `email`, `externalId`, `name`, `customerIds`, paging), `GET`/`PATCH /customers/{id}`,
`GET`/`POST /customers/{id}/contacts`."""
import json
import re

from django.db import IntegrityError, transaction

from sandbox.nue import events
from sandbox.nue.http import NueError, idempotent, page_params, paged, success
from sandbox.nue.models import Contact, Customer
from sandbox.nue.shapes import contact_json, customer_json
from sandbox.nue.validate import Checker

MAX_BATCH = 200
RECORD_TYPES = ("Business", "Consumer")
CONTACT_ROLES = ("BillTo", "SoldTo")
SALESFORCE_ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")
ADDRESS = {"billingStreet": "billing_street", "billingCity": "billing_city",
           "billingState": "billing_state", "billingPostalCode": "billing_postal_code",
           "billingCountry": "billing_country"}
CUSTOMER_FIELDS = {"name", "recordType", "email", "phone", "currencyIsoCode", "externalId",
                   "paymentTerm", "billCycleDay", "contacts", *ADDRESS}
CONTACT_FIELDS = {"id", "firstName", "lastName", "name", "email", "phone", "roles", *ADDRESS}
FILTERS = {"email", "externalId", "name", "customerIds", "page", "limit"}


# "Largest + 1" is read without a lock, so on PostgreSQL two concurrent requests can pick the same
# number; the unique index refuses the later insert, which reads again. Each round one contender
# wins, so this bounds how many requests may number the same model at once.
NUMBERING_ATTEMPTS = 100


def next_number(model, field: str, prefix: str, width: int) -> str:
    last = model.objects.filter(**{f"{field}__startswith": prefix}).order_by(f"-{field}").first()
    number = int(getattr(last, field)[len(prefix):]) + 1 if last else 1
    return f"{prefix}{number:0{width}d}"


def with_next_number(model, field: str, prefix: str, width: int, create):
    """`create(number)` with the next free number, inside a savepoint so that a number taken
    meanwhile undoes only this try, which then reads again."""
    for attempt in range(NUMBERING_ATTEMPTS):
        number = next_number(model, field, prefix, width)
        try:
            with transaction.atomic():
                return create(number)
        except IntegrityError:
            if attempt == NUMBERING_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _address(check: Checker, data: dict, prefix: str) -> dict:
    return {column: value for key, column in ADDRESS.items()
            if (value := check.text(data, key, prefix + key)) is not None}


def parse_customer(check: Checker, data: dict, prefix: str = "", *, creating: bool) -> dict:
    """Model fields from a customer body; absent fields are left out (PATCH semantics)."""
    check.known_fields(data, CUSTOMER_FIELDS, prefix)
    fields = {"name": check.text(data, "name", prefix + "name", required=creating),
              "record_type": check.choice(data, "recordType", prefix + "recordType", RECORD_TYPES),
              "email": check.email(data, "email", prefix + "email"),
              "phone": check.text(data, "phone", prefix + "phone", max_length=40),
              "payment_term": check.text(data, "paymentTerm", prefix + "paymentTerm",
                                         max_length=40),
              "bill_cycle_day": check.integer(data, "billCycleDay", prefix + "billCycleDay",
                                              minimum=1, maximum=31),
              **_address(check, data, prefix)}
    if creating and data.get("recordType") is None:
        check.fail("REQUIRED_FIELD_MISSING", "recordType is required (Business or Consumer).",
                   prefix + "recordType")
    currency = check.text(data, "currencyIsoCode", prefix + "currencyIsoCode", max_length=3)
    if currency is not None and not re.fullmatch(r"[A-Z]{3}", currency):
        check.fail("INVALID_FIELD_VALUE", "currencyIsoCode must be an ISO 4217 code.",
                   prefix + "currencyIsoCode")
    fields["currency"] = currency
    external_id = check.text(data, "externalId", prefix + "externalId", max_length=18)
    if external_id is not None and not SALESFORCE_ID.match(external_id):
        check.fail("INVALID_FIELD_VALUE", "externalId must be a 15- or 18-character Salesforce id.",
                   prefix + "externalId")
    fields["external_id"] = external_id
    if "externalId" in data and data["externalId"] in (None, ""):
        fields["external_id"] = ""  # clearing the link is allowed
    return {k: v for k, v in fields.items() if v is not None}


def parse_contacts(check: Checker, items, prefix: str) -> list[dict]:
    if not isinstance(items, list):
        check.fail("INVALID_FIELD_VALUE", "contacts must be an array.", prefix)
        return []
    contacts = []
    for i, item in enumerate(items):
        where = f"{prefix}[{i}]."
        if not isinstance(item, dict):
            check.fail("INVALID_FIELD_VALUE", "Each contact must be an object.", where[:-1])
            continue
        check.known_fields(item, CONTACT_FIELDS, where)
        roles = item.get("roles") or []
        if not isinstance(roles, list) or any(r not in CONTACT_ROLES for r in roles):
            check.fail("INVALID_FIELD_VALUE", "roles may hold BillTo and SoldTo.", where + "roles")
            roles = []
        contacts.append({
            "id": item.get("id"), "roles": roles,
            "fields": {"first_name": check.text(item, "firstName", where + "firstName",
                                                max_length=40) or "",
                       "last_name": check.text(item, "lastName", where + "lastName", required=True,
                                               max_length=80),
                       "email": check.email(item, "email", where + "email", required=True),
                       "phone": check.text(item, "phone", where + "phone", max_length=40) or "",
                       **_address(check, item, where)},
        })
    return contacts


def save_contacts(customer: Customer, contacts: list[dict], *, replace: bool) -> None:
    """Create or update the given contacts; with `replace`, the customer's other contacts go.
    Without explicit roles, the first contact is both bill-to and the order's primary contact."""
    kept = []
    for spec in contacts:
        contact = customer.contacts.filter(pk=spec["id"]).first() if spec["id"] else None
        if spec["id"] and contact is None:
            raise NueError(400, "CONTACT_NOT_FOUND", f"No contact {spec['id']} on this customer.",
                           "contacts.id")
        contact = contact or Contact(customer=customer)
        for column, value in spec["fields"].items():
            setattr(contact, column, value)
        contact.save()
        kept.append((contact, spec["roles"]))
    if replace:
        customer.contacts.exclude(pk__in=[c.pk for c, _ in kept]).delete()
    if kept:
        bill_to = next((c for c, roles in kept if "BillTo" in roles), None)
        sold_to = next((c for c, roles in kept if "SoldTo" in roles), None)
        if replace or customer.bill_to_contact_id is None:
            customer.bill_to_contact = bill_to or kept[0][0]
        if replace or customer.primary_contact_id is None:
            customer.primary_contact = sold_to or customer.bill_to_contact
        customer.save()


def create_customer(fields: dict, contacts: list[dict]) -> Customer:
    customer = with_next_number(Customer, "account_number", "ACC-", 6,
                                lambda number: Customer.objects.create(account_number=number, **fields))
    save_contacts(customer, contacts, replace=False)
    events.customer_event("customer.created", customer)
    return customer


def get_customer_or_404(customer_id: str) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise NueError(404, "CUSTOMER_NOT_FOUND", f"Customer {customer_id} does not exist.")
    return customer


# --- handlers ----------------------------------------------------------------------------------
def list_customers(request, body):
    unknown = set(request.GET) - FILTERS
    if unknown:
        raise NueError(400, "INVALID_FILTER", f"Unsupported filter: {', '.join(sorted(unknown))}.")
    page, limit = page_params(request)
    customers = Customer.objects.prefetch_related("contacts")
    if "email" in request.GET:
        # Nue's filters run as SOQL-style equality, which ignores case for text.
        customers = customers.filter(email__iexact=request.GET["email"])
    if "externalId" in request.GET:
        customers = customers.filter(external_id=request.GET["externalId"])
    if "name" in request.GET:
        customers = customers.filter(name__iexact=request.GET["name"])
    if "customerIds" in request.GET:
        customers = customers.filter(pk__in=_json_ids(request.GET["customerIds"], "customerIds"))
    return paged(customers, page, limit, customer_json)


def _json_ids(raw: str, name: str) -> list[str]:
    try:
        ids = json.loads(raw)
    except ValueError:
        ids = None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise NueError(400, "INVALID_FILTER", f"{name} must be a JSON array of ids.", name)
    return ids


@idempotent
def create_customers(request, body):
    if not isinstance(body, list) or not body:
        raise NueError(400, "INVALID_REQUEST_BODY",
                       "The body must be a non-empty array of customers.")
    if len(body) > MAX_BATCH:
        raise NueError(400, "BATCH_LIMIT_EXCEEDED", f"At most {MAX_BATCH} customers per request.")
    check = Checker()
    parsed = []
    for i, item in enumerate(body):
        data = check.object(item, f"[{i}]")
        parsed.append((parse_customer(check, data, f"[{i}].", creating=True),
                       parse_contacts(check, data.get("contacts", []), f"[{i}].contacts")))
    check.done()
    created = [create_customer(fields, contacts) for fields, contacts in parsed]
    return success([customer_json(c) for c in created], status=201)


def get_customer(request, body, customer_id):
    return success(customer_json(get_customer_or_404(customer_id)))


def update_customer(request, body, customer_id):
    customer = get_customer_or_404(customer_id)
    check = Checker()
    data = check.object(body, "body")
    fields = parse_customer(check, data, creating=False)
    contacts = parse_contacts(check, data["contacts"], "contacts") if "contacts" in data else None
    check.done()
    for column, value in fields.items():
        setattr(customer, column, value)
    customer.save()
    if contacts is not None:
        save_contacts(customer, contacts, replace=True)
    events.customer_event("customer.updated", customer)
    return success(customer_json(customer))


def list_contacts(request, body, customer_id):
    customer = get_customer_or_404(customer_id)
    return success([contact_json(c) for c in customer.contacts.all()])


@idempotent
def create_contacts(request, body, customer_id):
    customer = get_customer_or_404(customer_id)
    if not isinstance(body, list) or not body:
        raise NueError(400, "INVALID_REQUEST_BODY",
                       "The body must be a non-empty array of contacts.")
    check = Checker()
    contacts = parse_contacts(check, body, "")
    check.done()
    before = set(customer.contacts.values_list("pk", flat=True))
    save_contacts(customer, [dict(c, id=None) for c in contacts], replace=False)
    events.customer_event("customer.updated", customer)
    return success([contact_json(c) for c in customer.contacts.exclude(pk__in=before)], status=201)
