"""`GET /api/v1/orders/{billing_order_id}`: the link and sync state of one order."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from syncapp import conf
from syncapp.api import schema
from syncapp.api.auth import scope_required
from syncapp.api.errors import ApiError
from syncapp.models import OrderLink, SyncJob


class OrderStateSerializer(serializers.Serializer):
    """The 200 body (documentation). Fields are null while the order is known only by its job."""
    billing_order_id = serializers.CharField()
    salesforce_order_id = serializers.CharField(allow_null=True)
    origin = serializers.ChoiceField(choices=OrderLink.Origin.choices, allow_null=True)
    status = serializers.CharField(allow_null=True, help_text="The order status as last synced.")
    sync_status = serializers.ChoiceField(choices=SyncJob.Status.choices, allow_null=True,
                                          help_text="The order's latest sync job.")
    last_synced_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_null=True)
    conflict = serializers.DictField(allow_null=True, help_text="Both sides' states when the origin refused "
                                                                 "a change.")


class OrderStateView(APIView):
    permission_classes = [scope_required("read")]

    @extend_schema(operation_id="order_state", summary="The link and sync state of one billing order",
                   responses={200: OrderStateSerializer, **schema.AUTH_ERRORS, 404: schema.NOT_FOUND})
    def get(self, request, billing_order_id):
        link = OrderLink.objects.filter(billing_provider=conf.billing_provider(),
                                        billing_order_id=billing_order_id).first()
        job = SyncJob.objects.filter(provider=conf.billing_provider(), subject=billing_order_id).order_by(
            "-updated_at").first()
        if link is None and job is None:
            raise ApiError("not_found", f"The hub knows no billing order {billing_order_id}.", status_code=404)
        last_error = (job.last_error if job and job.status in (SyncJob.Status.FAILED, SyncJob.Status.DEAD)
                      else "") or (link.last_error if link else "")
        return Response({
            "billing_order_id": billing_order_id,
            "salesforce_order_id": link.salesforce_order_id if link else None,
            "origin": link.origin if link else None,
            "status": link.status if link else None,
            "sync_status": job.status if job else None,
            "last_synced_at": link.last_synced_at if link else None,
            "last_error": last_error or None,
            "conflict": link.conflict if link else None,
        })
