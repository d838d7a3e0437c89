"""Field checks for request bodies. A `Checker` collects every problem of a request so the answer
lists them all at once (Nue returns an `errors` array, each naming its `field`)."""
import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from sandbox.nue.http import NueError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BILLING_PERIODS = ("Month", "Quarter", "Semi-Annual", "Annual")
CUSTOM_SUFFIX = "__c"


class Checker:
    def __init__(self):
        self.errors: list[tuple[str, str, str | None]] = []

    def fail(self, code: str, message: str, field: str | None = None) -> None:
        self.errors.append((code, message, field))

    def done(self) -> None:
        if self.errors:
            first, *more = self.errors
            raise NueError(400, *first, more=more)

    # --- shapes ------------------------------------------------------------------------------
    def object(self, value, field: str) -> dict:
        if not isinstance(value, dict):
            raise NueError(400, "INVALID_REQUEST_BODY", f"{field} must be a JSON object.", field)
        return value

    def known_fields(self, data: dict, allowed: set[str], prefix: str = "", *,
                     custom: bool = True) -> None:
        """Standard fields must be known; custom fields are the `Name__c` ones (where the object
        takes custom fields)."""
        for key in data:
            if key not in allowed and not (custom and key.endswith(CUSTOM_SUFFIX)):
                self.fail("INVALID_FIELD", f"No such field: {key}.", prefix + key)

    def custom_fields(self, data: dict, prefix: str = "") -> dict:
        fields = {k: v for k, v in data.items() if k.endswith(CUSTOM_SUFFIX)}
        for key, value in fields.items():
            if not (value is None or isinstance(value, (str, int, float, bool))):
                self.fail("INVALID_FIELD_VALUE", f"{key} must be a scalar value.", prefix + key)
        return fields

    # --- values ------------------------------------------------------------------------------
    def text(self, data: dict, key: str, field: str, *, required=False,
             max_length=255) -> str | None:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.fail("REQUIRED_FIELD_MISSING", f"{key} is required.", field)
            return None
        if not isinstance(value, str) or len(value) > max_length:
            self.fail("INVALID_FIELD_VALUE", f"{key} must be a string of at most {max_length} "
                      "characters.", field)
            return None
        return value.strip()

    def email(self, data: dict, key: str, field: str, *, required=False) -> str | None:
        value = self.text(data, key, field, required=required, max_length=254)
        if value is not None and not EMAIL.match(value):
            self.fail("INVALID_EMAIL_ADDRESS", f"{value!r} is not a valid email address.", field)
            return None
        return value

    def date(self, data: dict, key: str, field: str, *, required=False) -> dt.date | None:
        value = self.text(data, key, field, required=required)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            self.fail("INVALID_DATE", f"{key} must be a date (YYYY-MM-DD).", field)
            return None

    def number(self, data: dict, key: str, field: str, *, required=False, minimum=None,
               maximum=None, positive=False) -> Decimal | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail("REQUIRED_FIELD_MISSING", f"{key} is required.", field)
            return None
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            number = Decimal(str(value))
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.fail("INVALID_FIELD_VALUE", f"{key} must be a number.", field)
            return None
        if (positive and number <= 0) or (minimum is not None and number < minimum) or (
                maximum is not None and number > maximum):
            bounds = "greater than 0" if positive else f"between {minimum} and {maximum}"
            self.fail("INVALID_FIELD_VALUE", f"{key} must be {bounds}.", field)
            return None
        return number

    def integer(self, data: dict, key: str, field: str, *, minimum: int,
                maximum: int) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
            self.fail("INVALID_FIELD_VALUE", f"{key} must be a whole number from {minimum} to "
                      f"{maximum}.", field)
            return None
        return value

    def choice(self, data: dict, key: str, field: str, options) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if value not in options:
            self.fail("INVALID_FIELD_VALUE", f"{key} must be one of {', '.join(options)}.", field)
            return None
        return value
