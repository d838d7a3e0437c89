"""Zuora's error shape: `{"success": false, "processId": …, "reasons": [{"code", "message"}]}`.

Codes are eight digits: a six-digit resource code and a two-digit category (Zuora "Error codes"
guide). The categories below are Zuora's documented ones. The resource codes are the emulator's
own picks except 500000, which Zuora documents for requests without a payload (GET, DELETE), and
90000011, Zuora's code for a missing or invalid credential.
"""
import secrets

from django.http import JsonResponse

# Error categories (last two digits).
PERMISSION = 10
AUTHENTICATION = 11
INVALID_VALUE = 20
UNKNOWN_FIELD = 21
MISSING_FIELD = 22
MISSING_PARAMETER = 23
INVALID_PARAMETER = 27
RULE_VIOLATION = 30
NOT_FOUND = 40
UNSUPPORTED_METHOD = 45
LOCK_CONTENTION = 50
INTERNAL = 60
TEMPORARY = 61
LIMIT_EXCEEDED = 70
MALFORMED = 90

# Resource codes (first six digits).
NO_PAYLOAD = 500000
ACCOUNT = 520100
CONTACT = 520200
ORDER = 587300
SUBSCRIPTION = 531000
RATE_PLAN = 531100
CHARGE = 531200
CUSTOM_FIELD = 587400

UNAUTHENTICATED_CODE = 90000011


class ZuoraError(Exception):
    """Raised anywhere in the emulator; turned into Zuora's error body by `response()`.
    Most business errors come back with HTTP 200, as Zuora sends them."""

    def __init__(self, resource: int, category: int, message: str, status: int = 200):
        super().__init__(message)
        self.reasons = [{"code": resource * 100 + category, "message": message}]
        self.status = status

    def response(self) -> JsonResponse:
        return error_response(self.reasons, self.status)


def error_response(reasons: list[dict], status: int = 200) -> JsonResponse:
    return JsonResponse({"success": False, "processId": process_id(), "reasons": reasons},
                        status=status)


def process_id() -> str:
    return secrets.token_hex(8).upper()


def missing(resource: int, field: str) -> ZuoraError:
    return ZuoraError(resource, MISSING_FIELD, f"'{field}' may not be null")


def invalid(resource: int, message: str) -> ZuoraError:
    return ZuoraError(resource, INVALID_VALUE, message)


def not_found(key: str, resource: int = NO_PAYLOAD, status: int = 200) -> ZuoraError:
    return ZuoraError(resource, NOT_FOUND, f"Cannot find entity by key: '{key}'.", status=status)
