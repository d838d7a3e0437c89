"""Endpoints Salesforce calls: the "Sync Order" button and activation (CONTRACT §2)."""
from rest_framework.response import Response
from rest_framework.views import APIView

from syncapp.api.auth import scope_required
from syncapp.api.errors import ApiError
from syncapp.exceptions import NotFoundError, PermanentError, SyncError
from syncapp.models import SyncAttempt
from syncapp.services import activation, salesforce_to_billing


def _raise_api_error(err: SyncError):
    if isinstance(err, NotFoundError):
        raise ApiError("not_found", err.message, status_code=404) from err
    if isinstance(err, salesforce_to_billing.OrderNotDraft):
        raise ApiError("order_not_draft", err.message, status_code=409) from err
    if isinstance(err, activation.ActivationRefused):
        raise ApiError("activation_refused", err.message, status_code=409) from err
    raise ApiError("upstream_unavailable", f"{err.vendor or 'An upstream system'} failed: {err.message}",
                   status_code=502 if err.retryable or not isinstance(err, PermanentError) else 422,
                   details={"retryable": err.retryable, "vendor": err.vendor, "vendor_code": err.code}) from err


class SalesforceOrderView(APIView):
    permission_classes = [scope_required("salesforce")]


class SyncOrderView(SalesforceOrderView):
    def post(self, request, sf_order_id):
        try:
            pushed = salesforce_to_billing.push_order(sf_order_id, recorder=SyncAttempt.recorder())
        except SyncError as err:
            _raise_api_error(err)
        return Response({"billing_order_id": pushed.billing_order_id, "checkout_url": pushed.checkout_url,
                         "status": pushed.status, "created": pushed.created})


class ActivateOrderView(SalesforceOrderView):
    def post(self, request, sf_order_id):
        try:
            done = activation.activate_from_salesforce(sf_order_id, recorder=SyncAttempt.recorder())
        except SyncError as err:
            _raise_api_error(err)
        return Response({"billing": {"order_id": done.billing_order_id, "status": done.billing_status},
                         "salesforce": {"order_id": done.salesforce_order_id, "status": done.salesforce_status}})
