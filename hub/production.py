"""Production settings: `DJANGO_SETTINGS_MODULE=hub.production` (docs/deploy.md).

Everything of hub.settings, hardened so that `manage.py check --deploy` passes with no warning:
secrets only from the environment, HTTPS everywhere behind the proxy that terminates TLS, and no
sandbox, whatever the environment says. A missing or unsafe setting stops the process at start
with ImproperlyConfigured rather than running half-configured.
"""
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

# hub.settings reads .env too; reading it first lets the checks below see what it says.
load_dotenv(Path(__file__).resolve().parent.parent / ".env", override=False)

_TRUE = {"1", "true", "yes", "on"}


def _required(name: str, why: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production: {why}")
    return value


if os.environ.get("HUB_SANDBOX", "").strip().lower() in _TRUE:
    raise ImproperlyConfigured(
        "HUB_SANDBOX cannot be switched on with hub.production: the emulators would accept any "
        "login and stand in for Salesforce and billing. Use hub.settings for a sandbox.")
# hub.settings derives the connectors' endpoints, the installed apps and the URLs from this flag:
# fixed here, before it is read, so nothing of the sandbox is configured, installed or mounted.
os.environ["HUB_SANDBOX"] = "0"

_SECRET_KEY = _required("DJANGO_SECRET_KEY", "sessions and CSRF tokens are signed with it, and every web "
                        "machine must share it (hub.settings would generate one per machine).")
if len(_SECRET_KEY) < 50 or len(set(_SECRET_KEY)) < 5:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 random characters, e.g. "
                               "python -c 'import secrets; print(secrets.token_urlsafe(50))'")
_ALLOWED_HOSTS = _required("HUB_ALLOWED_HOSTS", "the host names the hub answers to, comma-separated.")

from hub.settings import *  # noqa: E402, F403  (the base settings, then the hardening below)
from hub.settings import env, env_bool  # noqa: E402

SECRET_KEY = _SECRET_KEY
DEBUG = False
ALLOWED_HOSTS = [h.strip() for h in _ALLOWED_HOSTS.split(",") if h.strip()]
if env_bool("HUB_DEBUG"):
    raise ImproperlyConfigured("HUB_DEBUG cannot be switched on with hub.production.")

# Webhook secrets only from the environment: a secret generated on one machine would not be the
# one configured in Zuora or Nue, nor the one other web machines hold. Unset means refused.
HUB = {**HUB, "generate_secrets": False}  # noqa: F405
_provider = HUB["billing_provider"].upper()
# The active billing provider's API, which hub.settings would point at the sandbox: unset, every
# sync and checkout would fail while the hub looked up (health: "billing: not configured").
_BILLING_API = {"ZUORA": ("ZUORA_BASE_URL", "ZUORA_CLIENT_ID", "ZUORA_CLIENT_SECRET"),
                "NUE": ("NUE_BASE_URL", "NUE_API_KEY")}
if _provider not in _BILLING_API:
    raise ImproperlyConfigured(f"BILLING_PROVIDER must be one of: {', '.join(_BILLING_API).lower()}.")
_missing = [name for name in _BILLING_API[_provider] if not env(name)]
if _missing:
    raise ImproperlyConfigured(f"Set {', '.join(_missing)}: BILLING_PROVIDER={_provider.lower()} needs them to "
                               "reach the billing API.")
if not env(f"{_provider}_WEBHOOK_SECRET") and not env(f"{_provider}_WEBHOOK_BASIC"):
    raise ImproperlyConfigured(f"Set {_provider}_WEBHOOK_SECRET (or {_provider}_WEBHOOK_BASIC): without "
                               "either, every billing webhook is refused.")

# --- HTTPS behind a reverse proxy (nginx, a load balancer) that terminates TLS -----------------
# The proxy must set X-Forwarded-Proto itself (and drop a client's): Django then knows a request
# came in over HTTPS, redirects plain HTTP, and marks its cookies Secure.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
# Load balancer health checks and Prometheus scrapes often reach a machine over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(env("HUB_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("HUB_CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

# django-axes keys lockouts on the client's address: behind the proxy that is the address the
# proxy puts in X-Forwarded-For, not the proxy's own (hub/proxy.py).
# HUB_PROXY_COUNT says how many proxies there are (1 unless set).
AXES_CLIENT_IP_CALLABLE = "hub.proxy.client_ip"
