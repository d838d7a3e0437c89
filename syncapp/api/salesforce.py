"""Endpoints Salesforce calls: the "Sync Order" button and activation."""
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from syncapp.api import schema
from syncapp.api.auth import scope_required
from syncapp.api.errors import ApiError
from syncapp.connectors.vendors import Vendors
from syncapp.console import mapping_checks
from syncapp.models import SyncAttempt
from syncapp.sync import activation, salesforce_to_billing

# The flows' errors are answered by the API's one mapping (syncapp/api/errors.py): not found 404,
# the order's state 409, a permanent refusal 422, anything else upstream 502.


class SyncedOrderSerializer(serializers.Serializer):
    """The Sync Order answer (documentation)."""
    billing_order_id = serializers.CharField()
    checkout_url = serializers.CharField(allow_null=True, allow_blank=True,
                                         help_text="Where the customer pays for the draft.")
    status = serializers.CharField(help_text="The billing draft's status, `Draft`.")
    created = serializers.BooleanField(help_text="False when an existing draft was updated.")


def _side(name: str):
    return inline_serializer(name, fields={"order_id": serializers.CharField(),
                                           "status": serializers.CharField()})


ACTIVATED = inline_serializer("ActivatedOrder", fields={"billing": _side("BillingOrderState"),
                                                        "salesforce": _side("SalesforceOrderState")})
UPSTREAM_REJECTED = schema.error(
    "UpstreamRejected", "Salesforce or billing refused the change for good (a validation error): staff must act.",
    ["upstream_unavailable"], schema.UPSTREAM_DETAILS)


SF_ORDER_ID = OpenApiParameter(
    "sf_order_id", str, OpenApiParameter.PATH,
    pattern=f"^{mapping_checks.KEY_PREFIXES['Order']}[A-Za-z0-9]{{12}}([A-Za-z0-9]{{3}})?$",
    description="The Salesforce Order id, 15 or 18 characters; anything else is answered 404.")


def _responses(ok, conflict: OpenApiResponse) -> dict:
    return {200: ok, **schema.AUTH_ERRORS, 404: schema.NOT_FOUND, 409: conflict, 422: UPSTREAM_REJECTED,
            502: schema.UPSTREAM_UNAVAILABLE}


class SalesforceOrderView(APIView):
    permission_classes = [scope_required("salesforce")]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticate and authorise first
        # A string that cannot be an Order id names no order: 404, not Salesforce's MALFORMED_ID as a 422.
        if problem := mapping_checks.id_shape_problem("Order", kwargs["sf_order_id"]):
            raise ApiError("not_found", problem, status_code=404)


class SyncOrderView(SalesforceOrderView):
    @extend_schema(
        operation_id="salesforce_order_sync", summary="Sync Order: create or update the billing draft",
        description="Reads the Order and its items from Salesforce and creates or updates the draft order in "
                    "billing; Salesforce's data wins.", request=None, parameters=[SF_ORDER_ID],
        responses=_responses(SyncedOrderSerializer, schema.error(
            "OrderNotDraft", "The order is activated; only drafts are synced to billing.", ["order_not_draft"])))
    def post(self, request, sf_order_id):
        pushed = salesforce_to_billing.push_order(sf_order_id, Vendors.from_settings(SyncAttempt.recorder()))
        return Response({"billing_order_id": pushed.billing_order_id, "checkout_url": pushed.checkout_url,
                         "status": pushed.status, "created": pushed.created})


class ActivateOrderView(SalesforceOrderView):
    @extend_schema(
        operation_id="salesforce_order_activate", summary="Activate an order, in its system of origin first",
        description="Activates the order where it originated, then syncs the result to the other side; "
                    "answers both sides' status.", request=None, parameters=[SF_ORDER_ID],
        responses=_responses(ACTIVATED, schema.error(
            "ActivationRefused", "The system of origin refused; the link records the conflict for staff.",
            ["activation_refused"])))
    def post(self, request, sf_order_id):
        done = activation.activate_from_salesforce(sf_order_id, Vendors.from_settings(SyncAttempt.recorder()))
        return Response({"billing": {"order_id": done.billing_order_id, "status": done.billing_status},
                         "salesforce": {"order_id": done.salesforce_order_id, "status": done.salesforce_status}})
