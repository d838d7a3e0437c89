"""The admin login as an attacker meets it: rate-limited by django-axes, and CSRF-protected."""
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "a long and correct password"


@pytest.fixture
def ops_user(settings):
    # A fast hasher: each failed login checks a password, and the real one takes ~1 s by design.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return StaffFactory(username="ops", password=PASSWORD)


def login(client: Client, password: str, username: str = "ops"):
    return client.post(LOGIN, {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_a_correct_login_works(ops_user):
    client = Client()
    assert login(client, PASSWORD).status_code == 302
    assert logged_in(client)


def test_five_bad_passwords_lock_the_username_out_from_that_address(ops_user, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(attacker, "guess").status_code == 200  # the form again, with an error
    locked = login(attacker, "guess")
    assert locked.status_code == 429
    # Locked out: even the right password is refused from there now.
    assert login(attacker, PASSWORD).status_code == 429
    assert not logged_in(attacker)
    # Keyed on username and address: the real user elsewhere still gets in.
    colleague = Client(REMOTE_ADDR="198.51.100.20")
    assert login(colleague, PASSWORD).status_code == 302
    assert logged_in(colleague)


def test_fewer_failures_than_the_limit_do_not_lock_out(ops_user, settings):
    client = Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "typo")
    assert login(client, PASSWORD).status_code == 302
    assert logged_in(client)


def minutes_pass(minutes: float) -> None:
    """Move the clock on for the lockout: the failures django-axes recorded grow that much older
    (it counts those within the cool-off before now)."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes))


def test_the_lockout_lasts_fifteen_minutes_from_the_last_try(ops_user, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        login(attacker, "guess")
    minutes_pass(14.9)
    assert login(attacker, PASSWORD).status_code == 429  # still locked, and this try counts as a failure
    minutes_pass(14.9)
    assert login(attacker, PASSWORD).status_code == 429
    minutes_pass(15.1)
    assert login(attacker, PASSWORD).status_code == 302
    assert logged_in(attacker)


def test_a_login_post_without_a_csrf_token_is_refused(ops_user):
    client = Client(enforce_csrf_checks=True)
    response = login(client, PASSWORD)
    assert response.status_code == 403
    assert not logged_in(client)


def test_an_admin_change_without_a_csrf_token_is_refused(ops_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffFactory(username="root", role="superuser"))
    url = f"/admin/auth/user/{ops_user.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=ops_user.pk).exists()
    # The same POST carrying the form's token goes through: the refusal above was the CSRF check.
    client.get(url)
    token = client.cookies["csrftoken"].value
    assert client.post(url, {"post": "yes", "csrfmiddlewaretoken": token}).status_code == 302
    assert not User.objects.filter(pk=ops_user.pk).exists()


def test_behind_a_proxy_the_lockout_keys_on_the_forwarded_address(ops_user, settings, hub_settings):
    """hub.production's setup: every request comes from the proxy; the client is the address the
    proxy appended to X-Forwarded-For (hub/proxy.py), whatever the client put before it."""
    settings.AXES_CLIENT_IP_CALLABLE = "hub.proxy.client_ip"
    hub_settings["proxy_count"] = 1
    attacker = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(attacker, "guess")
    assert login(attacker, PASSWORD).status_code == 429
    spoofer = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7")
    assert login(spoofer, PASSWORD).status_code == 429  # a made-up first entry changes nothing
    colleague = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert login(colleague, PASSWORD).status_code == 302  # same proxy, another client
