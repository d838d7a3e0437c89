"""The shape of every error the hub answers over HTTP, `{"error": {"code", "message", "details"}}`,
shared by its two HTTP entry points: the API (`syncapp/api/`, DRF) and the webhook intake
(`syncapp/webhooks/`, plain Django views). It sits below both, so neither imports the other."""
from django.http import JsonResponse


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def json_error(code: str, message: str, status_code: int, details: dict | None = None) -> JsonResponse:
    """The error body as a plain Django response."""
    return JsonResponse(error_body(code, message, details), status=status_code)
