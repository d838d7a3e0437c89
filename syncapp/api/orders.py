"""`GET /api/v1/orders/{billing_order_id}`: the link and sync state of one order."""
from rest_framework.response import Response
from rest_framework.views import APIView

from syncapp import conf
from syncapp.api.auth import scope_required
from syncapp.api.errors import ApiError
from syncapp.models import OrderLink, SyncJob


class OrderStateView(APIView):
    permission_classes = [scope_required("read")]

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
