"""`POST /api/v1/checkout` — thin: validate, call the checkout service, shape the answer."""
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from syncapp.api.auth import scope_required
from syncapp.api.errors import ApiError
from syncapp.services import checkout as service


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


class ItemSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=80)
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)


class CheckoutSerializer(serializers.Serializer):
    customer = CustomerSerializer()
    currency = serializers.RegexField(r"^[A-Z]{3}$", error_messages={"invalid": "A three-letter ISO code, like USD."})
    items = ItemSerializer(many=True, allow_empty=False, max_length=100)
    order_date = serializers.DateField(required=False)
    idempotency_key = serializers.CharField(max_length=255, required=False, write_only=True)


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


class CheckoutView(APIView):
    permission_classes = [scope_required("checkout")]

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
        try:
            outcome = service.checkout(key, payload)
        except service.IdempotencyConflict:
            raise ApiError("idempotency_conflict", "This Idempotency-Key was used with a different request.",
                           status_code=409) from None
        except service.CheckoutInProgress:
            raise ApiError("idempotency_in_progress", "A request with this Idempotency-Key is still running; "
                           "retry shortly to get its result.", status_code=409,
                           details={"retryable": True}) from None
        except service.CheckoutFailed as failed:
            err = failed.error
            raise ApiError("upstream_unavailable", f"{err.vendor or 'An upstream system'} failed: {err.message}",
                           status_code=502, details={"retryable": err.retryable, "vendor": err.vendor,
                                                     "vendor_code": err.code}) from None
        return Response(outcome.body, status=outcome.status)
