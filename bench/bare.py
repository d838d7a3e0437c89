"""The benchmarks' URLconf: the hub's own URLs plus `/bench/bare`, a bare Django JSON view that
reads the body and answers like the intake does, through the same middleware — the baseline the
webhook intake is measured against. Selected with HUB_ROOT_URLCONF=bench.bare; never in
production."""
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from hub.urls import urlpatterns as hub_urlpatterns


@csrf_exempt
def bare(request):
    request.read()
    return JsonResponse({"status": "accepted"}, status=202)


urlpatterns = [path("bench/bare", bare), *hub_urlpatterns]
