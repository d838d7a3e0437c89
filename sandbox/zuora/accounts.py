"""Billing accounts and their contacts: validated the way Zuora validates `newAccount` and the
account endpoints, and rendered in the shapes `GET /v1/accounts/{key}` returns."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from sandbox.webhooks.outbox import emit
from sandbox.zuora import errors
from sandbox.zuora.errors import ZuoraError
from sandbox.zuora.models import Account, Contact

PAYMENT_TERMS = {"Due Upon Receipt", "Net 15", "Net 30", "Net 45", "Net 60", "Net 90"}
CONTACT_FIELDS = {  # Zuora name -> model field
    "firstName": "first_name", "lastName": "last_name", "workEmail": "work_email",
    "workPhone": "work_phone", "address1": "address1", "city": "city", "state": "state",
    "zipCode": "zip_code", "country": "country",
}
# The Orders API's contact (`newAccount.billToContact`) spells the postal code `postalCode`; the
# account endpoints, and every read-back of an account's contacts, spell it `zipCode`.
ORDER_CONTACT_FIELDS = {**{k: v for k, v in CONTACT_FIELDS.items() if k != "zipCode"},
                        "postalCode": "zip_code"}
# Accepted and ignored: the emulator has no payments, invoices or templates.
IGNORED_ACCOUNT_FIELDS = {
    "autoPay", "batch", "invoiceTemplateId", "communicationProfileId", "paymentMethod",
    "hpmCreditCardPaymentMethodId", "invoiceDeliveryPrefsEmail", "invoiceDeliveryPrefsPrint",
    "salesRep", "purchaseOrderNumber",
}


# "Largest + 1" is read without a lock, so on PostgreSQL two concurrent requests can pick the same
# number; the unique index refuses the later insert, which reads again. Each round one contender
# wins, so this bounds how many requests may number the same model at once.
NUMBERING_ATTEMPTS = 100


def with_next_seq(model, create):
    """`create(seq)` with the next free `seq` of `model`, inside a savepoint so that a number taken
    meanwhile undoes only this try (and the rows and events it wrote), which then reads again."""
    for attempt in range(NUMBERING_ATTEMPTS):
        seq = (model.objects.aggregate(m=Max("seq"))["m"] or 0) + 1
        try:
            with transaction.atomic():
                return create(seq)
        except IntegrityError:
            if attempt == NUMBERING_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def find_account(key: str) -> Account | None:
    """Zuora's account-key: the account number or the account id."""
    return (Account.objects.filter(account_number=key).first()
            or Account.objects.filter(id=key).first())


def get_account_or_error(key: str) -> Account:
    account = find_account(key)
    if account is None:
        raise errors.not_found(key)
    return account


def check_custom_fields(values: dict, resource: int = errors.CUSTOM_FIELD) -> dict:
    """Zuora custom fields are named `<Name>__c`; anything else is an unknown field."""
    if not isinstance(values, dict):
        raise errors.invalid(resource, "'customFields' must be an object")
    for name, value in values.items():
        if not str(name).endswith("__c"):
            raise ZuoraError(resource, errors.UNKNOWN_FIELD, f"Unknown field '{name}'")
        if isinstance(value, (dict, list)):
            raise errors.invalid(resource, f"Invalid value for custom field '{name}'")
    return values


def check_contact(data, field: str, *, partial: bool = False, names: dict = CONTACT_FIELDS
                  ) -> dict:
    if not isinstance(data, dict):
        raise errors.invalid(errors.CONTACT, f"'{field}' must be an object")
    for required in ("firstName", "lastName"):
        if not partial and not str(data.get(required) or "").strip():
            raise errors.missing(errors.CONTACT, f"{field}.{required}")
    email = data.get("workEmail")
    if email and "@" not in str(email):
        raise errors.invalid(errors.CONTACT, f"Invalid value for field {field}.workEmail: {email}")
    return {names[k]: str(v or "") for k, v in data.items() if k in names}


def check_bill_cycle_day(value, *, required: bool) -> int | None:
    if value is None:
        if required:
            raise errors.missing(errors.ACCOUNT, "billCycleDay")
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 31:
        raise errors.invalid(errors.ACCOUNT, f"Invalid value for field billCycleDay: {value}")
    return value


def check_payment_term(value, resource: int = errors.ACCOUNT) -> str | None:
    if value is None:
        return None
    if value not in PAYMENT_TERMS:
        raise errors.invalid(resource, f"Invalid value for field paymentTerm: {value}")
    return value


def create_account(data: dict, *, order_number: str | None = None,
                   default_day: int | None = None) -> Account:
    """Create an account from a create-account body, or from an order's `newAccount` (when
    `order_number` is given)."""
    if not isinstance(data, dict):
        raise errors.invalid(errors.ACCOUNT, "'newAccount' must be an object")
    for field in ("name", "currency"):
        if not str(data.get(field) or "").strip():
            raise errors.missing(errors.ACCOUNT, field)
    currency = str(data["currency"]).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise errors.invalid(errors.ACCOUNT, f"Invalid value for field currency: {currency}")
    day = check_bill_cycle_day(data.get("billCycleDay"), required=True)
    if "billToContact" not in data:
        raise errors.missing(errors.ACCOUNT, "billToContact")
    names = ORDER_CONTACT_FIELDS if order_number else CONTACT_FIELDS
    bill_to = check_contact(data["billToContact"], "billToContact", names=names)
    sold_to = check_contact(data["soldToContact"], "soldToContact", names=names) if data.get(
        "soldToContact") else None
    term = check_payment_term(data.get("paymentTerm")) or "Due Upon Receipt"
    custom = check_custom_fields(data.get("customFields") or {}, errors.ACCOUNT)

    account = with_next_seq(Account, lambda seq: Account.objects.create(
        seq=seq, account_number=str(data.get("accountNumber") or f"A{seq:08d}"),
        name=str(data["name"]).strip(), currency=currency, payment_term=term,
        bill_cycle_day=day or default_day or timezone.localdate().day,  # 0 = auto-set
        crm_id=str(data.get("crmId") or ""), notes=str(data.get("notes") or ""),
        custom_fields=custom))
    account.bill_to = Contact.objects.create(account=account, **bill_to)
    account.sold_to = Contact.objects.create(account=account, **sold_to) if sold_to else \
        account.bill_to
    account.save(update_fields=["bill_to", "sold_to"])
    emit("zuora", "customer.created",
         {"order_id": order_number, "account_id": account.account_number})
    return account


def update_account(account: Account, data: dict) -> None:
    """`PUT /v1/accounts/{key}`: change what the body names; custom fields sit at the top level."""
    known = {"name", "crmId", "notes", "billToContact", "soldToContact", "paymentTerm",
             "billCycleDay", "currency"} | IGNORED_ACCOUNT_FIELDS
    custom = {k: v for k, v in data.items() if k not in known}
    check_custom_fields(custom, errors.ACCOUNT)
    if "currency" in data and data["currency"] != account.currency:
        raise ZuoraError(errors.ACCOUNT, errors.RULE_VIOLATION,
                         "The currency of an existing account cannot be changed")
    if "name" in data:
        if not str(data["name"] or "").strip():
            raise errors.invalid(errors.ACCOUNT, "Invalid value for field name: ''")
        account.name = str(data["name"]).strip()
    if "crmId" in data:
        account.crm_id = str(data["crmId"] or "")
    if "notes" in data:
        account.notes = str(data["notes"] or "")
    if "paymentTerm" in data:
        account.payment_term = check_payment_term(data["paymentTerm"]) or account.payment_term
    if "billCycleDay" in data:
        account.bill_cycle_day = check_bill_cycle_day(data["billCycleDay"], required=True)
    for field, attr in (("billToContact", "bill_to"), ("soldToContact", "sold_to")):
        if data.get(field):
            _update_contact(account, attr, check_contact(data[field], field, partial=True))
    account.custom_fields = {**account.custom_fields, **custom}
    account.updated_date = timezone.now()
    account.save()
    emit("zuora", "customer.updated", {"order_id": None, "account_id": account.account_number})


def _update_contact(account: Account, attr: str, values: dict) -> None:
    contact = getattr(account, attr)
    if attr == "sold_to" and contact is not None and contact.pk == account.bill_to_id:
        contact = None  # the sold-to was the bill-to; it becomes a contact of its own
    if contact is None:
        base = account.bill_to
        contact = Contact(account=account, **{f: getattr(base, f) for f in CONTACT_FIELDS.values()})
    for field, value in values.items():
        setattr(contact, field, value)
    contact.updated_date = timezone.now()
    contact.save()
    setattr(account, attr, contact)


def contact_json(contact: Contact | None) -> dict | None:
    if contact is None:
        return None
    data = {name: getattr(contact, field) for name, field in CONTACT_FIELDS.items()}
    return {"id": contact.id, **data, "address2": "", "county": None, "fax": "", "homePhone": "",
            "mobilePhone": "", "nickname": "", "otherPhone": "", "personalEmail": "",
            "taxRegion": None}


def basic_info(account: Account) -> dict:
    return {"id": account.id, "accountNumber": account.account_number, "name": account.name,
            "crmId": account.crm_id, "notes": account.notes, "status": account.status,
            "batch": "Batch1", "invoiceTemplateId": None, "salesRep": "",
            **account.custom_fields}


def account_json(account: Account) -> dict:
    """The body of `GET /v1/accounts/{account-key}`."""
    return {
        "success": True,
        "basicInfo": basic_info(account),
        "billingAndPayment": {"billCycleDay": account.bill_cycle_day, "currency": account.currency,
                              "paymentTerm": account.payment_term, "paymentGateway": None,
                              "invoiceDeliveryPrefsEmail": True,
                              "invoiceDeliveryPrefsPrint": False, "autoPay": False},
        "metrics": {"balance": 0, "totalInvoiceBalance": 0, "creditBalance": 0,
                    "contractedMrr": 0},
        "billToContact": contact_json(account.bill_to),
        "soldToContact": contact_json(account.sold_to),
    }
