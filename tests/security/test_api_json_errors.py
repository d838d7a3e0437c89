"""Every answer under /api/ is JSON in the API's error shape, also where Django itself refuses a
request before any view of the hub runs."""
import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_a_checkout_body_over_the_limit_answers_413_json(client, make_token):
    body = b'{"customer": {"email": "' + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}}'
    response = client.post("/api/v1/checkout", body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {make_token('checkout')}", HTTP_IDEMPOTENCY_KEY="k-big")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "payload_too_large"


def test_outside_the_api_django_keeps_its_own_page(client):
    from django.core.exceptions import RequestDataTooBig
    from django.test import RequestFactory

    from syncapp.api.errors import bad_request

    response = bad_request(RequestFactory().post("/admin/login/"), RequestDataTooBig())
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
