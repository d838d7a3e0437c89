"""Salesforce record ids: 15-character case-sensitive bodies plus the 3-character suffix that
makes them case-insensitive (18 characters), with the real key prefixes."""
import string

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
SUFFIX_ALPHABET = string.ascii_uppercase + "012345"
# Pod and reserved characters of this emulated org's ids (real ids carry the instance here).
POD = "Hb0"

KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Order": "801",
    "OrderItem": "802",
    "Product2": "01t",
    "Pricebook2": "01s",
    "PricebookEntry": "01u",
    "Task": "00T",
    "User": "005",
    "Organization": "00D",
    "QueryLocator": "01g",
}
SOBJECT_BY_PREFIX = {prefix: name for name, prefix in KEY_PREFIXES.items()}


def checksum(body15: str) -> str:
    """The suffix: one character per 5-character chunk, a bitmap of its capital letters."""
    suffix = ""
    for chunk in range(3):
        bits = 0
        for pos, char in enumerate(body15[chunk * 5:chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << pos
        suffix += SUFFIX_ALPHABET[bits]
    return suffix


def make_id(sobject: str, number: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
    body = KEY_PREFIXES[sobject] + POD + digits.rjust(9, "0")
    if len(body) != 15:
        raise ValueError("id space exhausted")
    return body + checksum(body)


def normalize(value) -> str | None:
    """A well-formed 15- or 18-character id as its 18-character form, else None."""
    if not isinstance(value, str) or len(value) not in (15, 18) or not value.isalnum():
        return None
    body = value[:15]
    full = body + checksum(body)
    if len(value) == 18 and value[15:].upper() != full[15:]:
        return None
    return full


def sobject_of(record_id: str) -> str | None:
    return SOBJECT_BY_PREFIX.get(record_id[:3])
