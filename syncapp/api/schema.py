"""The OpenAPI description of the hub's API, served at /api/v1/schema/ and browsable
at /api/v1/docs/.

Each view declares its own request and responses with `extend_schema`; this module holds what they
share: the bearer-token security scheme with the scope each operation needs, the contract's error
shape, the Idempotency-Key header, and the webhook intake, which is a plain Django view that DRF's
schema generator cannot see and is added here by a preprocessing hook (hub/settings.py
SPECTACULAR_SETTINGS). The hook's import of this module is also what registers the extension.
The intake is another entry point, so this module does not import it: its routes are found by
their URL names, one per billing provider the hub has a connector for.
"""
from typing import Any

from django.urls import reverse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.views import APIView

from syncapp.connectors.billing import CONNECTORS
from syncapp.domain.events import CUSTOMER_EVENTS, ORDER_EVENTS

SCOPES = {
    "checkout": "POST /api/v1/checkout (the self-service site).",
    "salesforce": "The Sync Order and activation endpoints (the Salesforce buttons).",
    "read": "GET /api/v1/orders/{billing_order_id}.",
}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Bearer <token>`; each operation's requirement names the scope it needs
    (OpenAPI 3.1 allows scope names for any scheme type)."""

    target_class = "syncapp.api.auth.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        scopes = "\n".join(f"- `{scope}`: {what}" for scope, what in SCOPES.items())
        return {"type": "http", "scheme": "bearer",
                "description": "An API client's token, from `manage.py create_api_client NAME --scope …`. "
                               "A token reaches only the operations of its scopes (401 without a valid "
                               f"token, 403 outside its scopes):\n{scopes}"}

    def get_security_requirement(self, auto_schema):
        scopes = [p.scope for p in auto_schema.view.get_permissions() if getattr(p, "scope", None)]
        return {self.name: scopes}


# --- the contract's error shape -----------------------------------------------------------------
def error(name: str, description: str, codes: list[str], details: serializers.Field | None = None) -> OpenApiResponse:
    """A response with the body {"error": {"code": one of `codes`, "message", "details"}}."""
    body = inline_serializer(f"{name}ErrorBody", fields={
        "code": serializers.ChoiceField(choices=codes),
        "message": serializers.CharField(help_text="For people; do not parse it."),
        "details": details or serializers.DictField(help_text="Empty for this error."),
    })
    return OpenApiResponse(inline_serializer(f"{name}Error", fields={"error": body}), description=description)


def described(response: OpenApiResponse, description: str) -> OpenApiResponse:
    """The same error body, where it means something else."""
    return OpenApiResponse(response.response, description=description)


UNAUTHORIZED = error("Unauthorized", "No token, or not a valid one.", ["not_authenticated", "authentication_failed"])
FORBIDDEN = error("Forbidden", "The token lacks this operation's scope.", ["permission_denied"])
NOT_FOUND = error("NotFound", "The hub or Salesforce knows no such order.", ["not_found"],
                  serializers.DictField(help_text="Empty, or the `path` no endpoint matches."))
UNSUPPORTED_MEDIA_TYPE = error("UnsupportedMediaType", "The body is not `application/json`.",
                               ["unsupported_media_type"])
UPSTREAM_DETAILS = inline_serializer("UpstreamErrorDetails", fields={
    "retryable": serializers.BooleanField(help_text="True when the same request may succeed later."),
    "vendor": serializers.CharField(allow_null=True, help_text="`salesforce`, `zuora` or `nue`."),
    "vendor_code": serializers.CharField(allow_null=True, help_text="The vendor's own error code."),
})
UPSTREAM_UNAVAILABLE = error("UpstreamUnavailable", "Salesforce or billing failed; what was done so far is kept.",
                             ["upstream_unavailable"], UPSTREAM_DETAILS)
AUTH_ERRORS = {401: UNAUTHORIZED, 403: FORBIDDEN}

# The health endpoint (syncapp/api/health.py): each part checked is named with its state, "ok" or why not.
_HEALTH_BODY = {
    "type": "object", "required": ["status", "database", "queue"],
    "properties": {
        "status": {"enum": ["ok", "degraded", "error"]},
        "database": {"type": "string"},
        "queue": {"type": "string", "description": "`ok`, `starting` just after start, or why not."},
        "salesforce": {"type": "string"},
        "billing": {"type": "string"},
        "billing_provider": {"type": "string"},
    },
    "additionalProperties": True,
}
HEALTH: dict[str, Any] = {
    "operation_id": "health", "summary": "Whether the hub and what it depends on are working",
    "description": "No authentication. Each part checked is named with `ok` or what is wrong with it.",
    "responses": {
        200: OpenApiResponse(_HEALTH_BODY, description="`ok`; or `degraded` while Salesforce or billing cannot be "
                                                       "reached (webhooks are still stored, jobs retried later)."),
        503: OpenApiResponse(_HEALTH_BODY, description="`error`: the database or the queue is failing; the part "
                                                       "says why."),
    },
}

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="Required, here or as the body's `idempotency_key` (the header wins); at most 255 characters. "
                "The same key with the same body answers the first response again and creates nothing; with "
                "a different body, 409 `idempotency_conflict`.")


# --- the webhook intake (syncapp/webhooks/) -----------------------------------------------------
class WebhookEventDataSerializer(serializers.Serializer):
    order_id = serializers.CharField(required=False, help_text="The billing order number or id; required for "
                                                               "order events.")
    account_id = serializers.CharField(required=False, help_text="The billing account.")


class WebhookEventSerializer(serializers.Serializer):
    id = serializers.CharField(required=False, help_text="The event id; read only from Basic-authenticated "
                                                         "deliveries (signed ones carry it in `webhook-id`).")
    type = serializers.CharField(help_text="One of " + ", ".join(f"`{t}`" for t in sorted(ORDER_EVENTS | CUSTOMER_EVENTS))
                                           + "; another type is stored and marked ignored (202).")
    created_at = serializers.DateTimeField(required=False)
    data = WebhookEventDataSerializer(  # type: ignore[assignment]  # the JSON key is `data`, a name Serializer uses
        help_text="A hint: the hub fetches the current order from the billing API.")


WEBHOOK_STATUS = {
    202: OpenApiResponse(inline_serializer("WebhookAccepted", fields={
        "status": serializers.ChoiceField(choices=["accepted"])}),
        description="Stored durably (and, for an order event, its sync job queued); unknown types are stored "
                    "and marked ignored."),
    200: OpenApiResponse(inline_serializer("WebhookDuplicate", fields={
        "status": serializers.ChoiceField(choices=["duplicate"])}),
        description="This `webhook-id` (or Basic-auth body `id`) was received before; nothing is done again."),
    400: error("MalformedEvent", "Verified, but the body is not the event shape, or an id or field is longer than "
                                 "the hub stores (never cut): `details` names it.", ["malformed_body", "field_too_long"],
               serializers.DictField(help_text="For `field_too_long`: the field (`webhook-id`, `id`, `type`, "
                                               "`data.order_id`, `data.account_id`) and its limit.")),
    401: error("UnverifiedEvent", "Missing or bad signature, stale timestamp, or wrong Basic credentials; "
                                  "stored as rejected, never processed.", ["missing_signature", "invalid_signature"]),
    404: described(NOT_FOUND, "No such provider."),
    413: error("EventTooLarge", "Bodies over 1 MiB are refused.", ["body_too_large"]),
    429: error("TooManyRejected", "This address sent too many deliveries that failed verification in the last "
                                  "minute; this one is not stored. Verified deliveries are never refused so.",
               ["too_many_rejected_deliveries"]),
}


PROVIDERS = list(CONNECTORS)


def _webhook_header(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, str, OpenApiParameter.HEADER, required=False, description=description)


class WebhookIntakeDoc(APIView):
    """Documentation only, never routed: the intake itself is `syncapp.webhooks.base.WebhookView`, a
    plain Django view (it must read the raw body to verify the signature)."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        operation_id="webhooks_receive", tags=["webhooks"], summary="Receive a billing event",
        description="Billing events signed per Standard Webhooks with the provider's secret "
                    "(`ZUORA_WEBHOOK_SECRET`, `NUE_WEBHOOK_SECRET`): `webhook-signature` is "
                    "`v1,<base64 HMAC-SHA256 of \"{webhook-id}.{webhook-timestamp}.{body}\">`, and the "
                    "timestamp must be within 5 minutes. Where `ZUORA_WEBHOOK_BASIC` / `NUE_WEBHOOK_BASIC` is "
                    "set, HTTP Basic credentials are accepted instead and the event id is the body's `id`.",
        parameters=[
            OpenApiParameter("provider", str, OpenApiParameter.PATH, enum=PROVIDERS,
                             description="The billing platform sending the event."),
            _webhook_header("webhook-id", "The event's unique id; a second delivery with it is a duplicate."),
            _webhook_header("webhook-timestamp", "Unix seconds when the event was signed."),
            _webhook_header("webhook-signature", "Space-separated `v1,<base64 signature>` values."),
        ],
        request=WebhookEventSerializer, responses=WEBHOOK_STATUS,
        examples=[OpenApiExample("Order created", request_only=True, value={
            "type": "order.created", "created_at": "2026-11-22T10:00:00Z",
            "data": {"order_id": "O-00000001", "account_id": "A00000001"}})],
    )
    def post(self, request, provider):
        raise NotImplementedError("documentation only")


def add_webhook_views(endpoints, **kwargs):
    """Preprocessing hook: the webhook routes, one per provider (`webhook-<provider>`, see
    syncapp/webhooks/urls.py), as one `POST …/webhooks/{provider}`."""
    paths = [reverse(f"webhook-{provider}") for provider in PROVIDERS]  # each provider has its route
    prefix = paths[0][: -len(PROVIDERS[0])]
    regex = "^" + prefix.lstrip("/") + "(?P<provider>" + "|".join(PROVIDERS) + ")$"
    return [*endpoints, (f"{prefix}{{provider}}", regex, "POST", WebhookIntakeDoc.as_view())]


def drop_enum_ids(result, **kwargs):
    """Postprocessing hook: remove drf-spectacular's internal `x-spec-enum-id` markers, which its own
    enum hook would strip while moving enums into components (each error lists its codes inline)."""
    def walk(node):
        if isinstance(node, dict):
            node.pop("x-spec-enum-id", None)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
