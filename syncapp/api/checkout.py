"""`POST /api/v1/checkout` — thin: validate, call the checkout service, shape the answer."""
from dataclasses import asdict

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from syncapp.api import schema
from syncapp.api.auth import scope_required
from syncapp.api.errors import ApiError, answer_for
from syncapp.connectors.vendors import Vendors
from syncapp.domain.matching import normalize_email
from syncapp.exceptions import HubError
from syncapp.sync import checkout as service


class AddressSerializer(serializers.Serializer):
    line1 = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    state = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    country = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class CustomerSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=80)
    first_name = serializers.CharField(max_length=40)
    last_name = serializers.CharField(max_length=80)
    company = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    address = AddressSerializer(required=False)

    def validate_email(self, value: str) -> str:
        # Django accepts what mail servers do (address literals, dotless hosts); the Salesforce
        # Contact needs a domain to match on, in its ASCII form within the Email field's 80.
        try:
            ascii_form = normalize_email(value)
        except ValueError:
            raise serializers.ValidationError("Use an address at a domain name, like ana@acme.io.") from None
        if len(ascii_form) > 80:
            raise serializers.ValidationError(f"{ascii_form} is longer than 80 characters.")
        return value


class ItemSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=80)
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)


class CheckoutSerializer(serializers.Serializer):
    customer = CustomerSerializer()
    currency = serializers.RegexField(r"^[A-Z]{3}$", error_messages={"invalid": "A three-letter ISO code, like USD."})
    items = ItemSerializer(many=True, allow_empty=False, max_length=100)  # type: ignore[call-arg]  # ListSerializer takes it
    order_date = serializers.DateField(required=False)
    idempotency_key = serializers.CharField(max_length=255, required=False, write_only=True)


class CheckoutResultSerializer(serializers.Serializer):
    """The 201 body (documentation: `respond` shapes it)."""
    checkout_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["completed"])
    salesforce_account_id = serializers.CharField()
    salesforce_contact_id = serializers.CharField()
    account_match = serializers.ChoiceField(choices=["contact_email", "email_domain", "created"])
    billing_account_number = serializers.CharField()
    billing_order_number = serializers.CharField()


INVALID_CHECKOUT = schema.error(
    "InvalidCheckout", "`invalid_request`: `details` maps each bad field to its messages (nested for "
    "`customer` and `items`; `currency` when a SKU is not priced in it); `malformed_body`: not JSON; "
    "`unknown_sku`: `details.skus` lists them. Checked against the billing catalog before anything is created.",
    ["invalid_request", "malformed_body", "unknown_sku"],
    serializers.DictField(help_text="Field name → messages; for `unknown_sku`, `skus`."))
CHECKOUT_BUSY = schema.error(
    "CheckoutBusy", "`checkout_busy`: another checkout for the same customer (the same email, or the same "
    "company email domain) is matching or creating their Salesforce Account, and this one waited a few "
    "seconds for it. Nothing was created; retry with the same Idempotency-Key after the `Retry-After` "
    "header's seconds.", ["checkout_busy"],
    serializers.DictField(help_text="`retryable`: true."))
CHECKOUT_EXAMPLE = {
    "customer": {"email": "ana@acme.io", "first_name": "Ana", "last_name": "Diaz", "company": "Acme Inc",
                 "phone": "+1 555 0100", "address": {"line1": "1 Main St", "city": "Austin", "state": "TX",
                                                     "postal_code": "78701", "country": "US"}},
    "currency": "USD", "items": [{"sku": "PRO-MONTHLY", "quantity": 3}], "order_date": "2026-11-22"}


# The header gets the body field's rules: it is stored in a 255-character column.
IDEMPOTENCY_KEY = serializers.CharField(max_length=255)


def idempotency_key(request, errors: dict) -> str:
    """The request's key, header first; a problem with it is added to `errors`."""
    key = request.headers.get("Idempotency-Key") or request.data.get("idempotency_key")
    try:
        return IDEMPOTENCY_KEY.run_validation(key if key is not None else "")
    except serializers.ValidationError as err:
        errors["idempotency_key"] = (["Send an Idempotency-Key header (or idempotency_key in the body)."]
                                     if not key or not str(key).strip() else err.detail)
        return ""


def respond(result: service.Completed | HubError) -> service.Answer:
    """The answer to a checkout's ending, which its session keeps and replays: 201 with the result,
    or the error's answer (syncapp/api/errors.py)."""
    if isinstance(result, HubError):
        answer = answer_for(result)
        if answer is None:  # an error no checkout expects: the 500 handler logs it
            raise result
        return service.Answer(*answer)
    return service.Answer(201, {"checkout_id": result.checkout_id, "status": "completed", **asdict(result)})


class CheckoutView(APIView):
    permission_classes = [scope_required("checkout")]

    @extend_schema(
        operation_id="checkout", summary="Resolve the Salesforce account and create the billing order",
        description="Called by the self-service site when the customer confirms checkout. The customer is "
                    "matched to a Salesforce Contact by email, else an Account by email domain, else a new "
                    "Account and Contact are created; the billing order is then created under a billing "
                    "account whose CRM id is that Account. Idempotent by key, per API client (another "
                    "client's request with the same key is its own checkout): a retry after a 502 or "
                    "503 resumes.",
        parameters=[schema.IDEMPOTENCY_KEY], request=CheckoutSerializer,
        responses={201: CheckoutResultSerializer, 400: INVALID_CHECKOUT, **schema.AUTH_ERRORS,
                   409: schema.error("IdempotencyConflict", "`idempotency_conflict`: this Idempotency-Key "
                                     "was used with another body. `idempotency_in_progress` (`details.retryable`: "
                                     "true): a request with this key is still running; retry to get its answer.",
                                     ["idempotency_conflict", "idempotency_in_progress"],
                                     serializers.DictField(help_text="`retryable` for `idempotency_in_progress`.")),
                   413: schema.error("PayloadTooLarge", "`payload_too_large`: the body is over the hub's limit.",
                                     ["payload_too_large"],
                                     serializers.DictField(help_text="`limit_bytes`: the largest body accepted.")),
                   415: schema.UNSUPPORTED_MEDIA_TYPE, 502: schema.UPSTREAM_UNAVAILABLE, 503: CHECKOUT_BUSY},
        examples=[OpenApiExample("New customer", value=CHECKOUT_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            raise ApiError("invalid_request", "The body must be a JSON object.")
        serializer = CheckoutSerializer(data=request.data)
        valid = serializer.is_valid()
        errors = dict(serializer.errors)
        key = idempotency_key(request, errors)
        if not valid or errors:
            raise ApiError("invalid_request", "The request has invalid fields.", details=errors)
        payload = {k: v for k, v in serializer.data.items() if k != "idempotency_key"}
        answer = service.checkout(key, payload, Vendors.from_settings(), respond=respond, client=request.user)
        return Response(answer.body, status=answer.status, headers=answer.headers)
