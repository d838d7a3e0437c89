import pytest


@pytest.mark.django_db
def test_health_reports_database_and_queue_without_auth(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["queue"] == "ok"


@pytest.mark.django_db
def test_health_is_503_naming_the_failing_part(client, monkeypatch):
    from django_q.brokers import get_broker

    # The broker is django-q2's, outside the project: make its ping fail.
    monkeypatch.setattr(type(get_broker()), "ping", lambda self: False)
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["queue"] == "unreachable"
