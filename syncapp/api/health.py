from django.db import connection
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.response import Response


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as err:  # the health check reports, never raises
        return f"error: {err.__class__.__name__}"


def _queue() -> str:
    from django_q.brokers import get_broker

    try:
        broker = get_broker()
        return "ok" if broker.ping() else "unreachable"
    except Exception as err:
        return f"error: {err.__class__.__name__}"


@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def health(request):
    parts = {"database": _database(), "queue": _queue()}
    ok = all(v == "ok" for v in parts.values())
    return Response({"status": "ok" if ok else "error", **parts}, status=200 if ok else 503)
