"""Field values: checking and normalising what a client sends, and Salesforce's text formats."""
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from . import ids
from .errors import bad_request
from .schema import Field

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})?$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def now() -> datetime:
    """Now, at Salesforce's millisecond precision (so stored and shown stamps compare equal)."""
    stamp = datetime.now(UTC)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def format_datetime(value: datetime) -> str:
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime | None:
    match = DATETIME_RE.match(text or "")
    if not match:
        return None
    year, month, day, hour, minute, second, frac, zone = match.groups()
    try:
        micro = int((frac or ".0")[1:].ljust(6, "0"))
        value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                         micro, tzinfo=UTC)
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        value = value - timedelta(minutes=offset)
    return value


def parse_date(text: str) -> date | None:
    if not isinstance(text, str) or not DATE_RE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _type_error(fld: Field, value):
    return bad_request("INVALID_TYPE_ON_FIELD_IN_RECORD",
                       f"{fld.name}: value not of required type: {value}", [fld.name])


def _number(fld: Field, value):
    if isinstance(value, bool):
        raise _type_error(fld, value)
    if isinstance(value, (int, float)):
        number = value
    else:
        try:
            number = float(Decimal(str(value).strip()))
        except (InvalidOperation, ValueError):
            raise _type_error(fld, value) from None
    if fld.type == "int":
        if float(number) != int(number):
            raise _type_error(fld, value)
        return int(number)
    if fld.type == "currency":
        return round(float(number), 2)
    return float(number)


def _boolean(fld: Field, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _type_error(fld, value)


def _text(fld: Field, value):
    if isinstance(value, (dict, list)):
        raise _type_error(fld, value)
    text = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) \
        else str(value)
    if fld.length and len(text) > fld.length:
        raise bad_request("STRING_TOO_LONG",
                          f"{fld.label or fld.name}: data value too large: {text[:80]} "
                          f"(max length={fld.length})", [fld.name])
    if fld.type == "email" and text and not EMAIL_RE.match(text):
        raise bad_request("INVALID_EMAIL_ADDRESS", f"{fld.name}: invalid email address: {text}",
                          [fld.name])
    if fld.type == "picklist" and fld.restricted and text not in fld.picklist:
        raise bad_request("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                          f"{fld.name}: bad value for restricted picklist field: {text}",
                          [fld.name])
    return text


def _reference(fld: Field, value):
    record_id = ids.normalize(value)
    if not record_id or (ids.sobject_of(record_id) not in fld.reference_to):
        raise bad_request("MALFORMED_ID",
                          f"{fld.name}: id value of incorrect type: {value}", [fld.name])
    return record_id


def coerce(fld: Field, value):
    """The stored form of `value` for `fld`, or an SfError naming the field."""
    if value is None or value == "":  # Salesforce stores an empty text as null
        return None
    if fld.type in ("currency", "double", "percent", "int"):
        return _number(fld, value)
    if fld.type == "boolean":
        return _boolean(fld, value)
    if fld.type == "date":
        if isinstance(value, str) and parse_date(value[:10]) and (
                len(value) == 10 or parse_datetime(value)):
            return value[:10]
        raise _type_error(fld, value)
    if fld.type == "datetime":
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if not parsed:
            raise _type_error(fld, value)
        return format_datetime(parsed)
    if fld.type == "reference":
        return _reference(fld, value)
    return _text(fld, value)


def website_domain(website: str | None) -> str | None:
    """`https://www.Acme.io/about` → `acme.io`."""
    if not website:
        return None
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", website.strip().lower())
    host = re.split(r"[/?#:]", host, maxsplit=1)[0]
    return host[4:] if host.startswith("www.") else host or None
