"""Settings for Order Sync Hub, read from the environment (see docs/deploy.md).

`.env` in the repository root is read if present; real environment variables win over it.

The hub's own settings are the one dict `HUB`, read through `syncapp/conf.py` only; the rest are
Django's and its libraries'. Importing this module only reads: the data directory, the generated
secrets, the sandbox's key pair and PROMETHEUS_MULTIPROC_DIR are made when a process starts
(`hub/startup.py`, which Django runs first thing in `django.setup()`).
"""
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from dotenv import dotenv_values

from hub import sandbox_defaults
from hub.logs import configure as configure_logging

BASE_DIR = Path(__file__).resolve().parent.parent
# Read, not loaded: os.environ stays as the process was given it.
ENVIRONMENT = {**{k: v for k, v in dotenv_values(BASE_DIR / ".env").items() if v is not None}, **os.environ}


def env(name: str, default: str = "") -> str:
    return ENVIRONMENT.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = ENVIRONMENT.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(env("HUB_DATA_DIR", str(BASE_DIR / "var"))).resolve()
PORT = int(env("HUB_PORT", "8000"))

HUB: dict[str, Any] = {
    # --- This hub: where it keeps its data, where it listens, how it is reached ------------------
    "data_dir": DATA_DIR,
    "port": PORT,
    "bind": env("HUB_BIND", "127.0.0.1"),
    # The hub's own address as other systems (the sandbox emulators' webhooks, the storefront) reach it.
    "public_url": env("HUB_PUBLIC_URL", f"http://127.0.0.1:{PORT}").rstrip("/"),
    # `make run`'s web server (manage.py runhub): gunicorn processes, and threads in each.
    "web_workers": int(env("HUB_WEB_WORKERS", "2")),
    "web_threads": int(env("HUB_WEB_THREADS", "8")),
    # Secrets not given in the environment (DJANGO_SECRET_KEY, the webhook secrets) are generated
    # into HUB_DATA_DIR/secrets.json at start-up; hub.production takes them from the environment only.
    "generate_secrets": True,
    # hub.proxy.client_ip: how many reverse proxies in front of the hub append to X-Forwarded-For.
    "proxy_count": int(env("HUB_PROXY_COUNT", "1")),
    # How long a checkout waits for another checkout of the same organisation before answering 503.
    "checkout_match_wait": float(env("HUB_CHECKOUT_MATCH_WAIT", "5")),
    # Health (syncapp/api/health.py): the queue is down when no worker has run the every-minute
    # sweeper for this long, except in a web process's first HUB_QUEUE_GRACE_SECONDS.
    "queue_stale_seconds": float(env("HUB_QUEUE_STALE_SECONDS", "180")),
    "queue_grace_seconds": float(env("HUB_QUEUE_GRACE_SECONDS", "120")),
    # /metrics (syncapp/metrics.py): every web and worker process of this machine writes its samples
    # here (prometheus_client's multiprocess mode). Derived from HUB_DATA_DIR every time, so a child
    # hub with its own data dir never inherits its parent's.
    "metrics_dir": Path(env("HUB_METRICS_DIR", str(DATA_DIR / "metrics"))),

    # --- Salesforce ------------------------------------------------------------------------------
    "salesforce_username": env("SALESFORCE_USERNAME"),
    "salesforce_password": env("SALESFORCE_PASSWORD"),
    "salesforce_security_token": env("SALESFORCE_SECURITY_TOKEN"),
    "salesforce_domain": env("SALESFORCE_DOMAIN", "login"),
    "salesforce_instance_url": env("SALESFORCE_INSTANCE_URL"),
    # A connected (or external client) app: with a private key and a username, the OAuth 2.0 JWT
    # bearer flow (recommended); with a secret, the client-credentials flow (or, with a username and
    # password, the legacy OAuth password flow).
    "salesforce_consumer_key": env("SALESFORCE_CONSUMER_KEY"),
    "salesforce_consumer_secret": env("SALESFORCE_CONSUMER_SECRET"),
    "salesforce_private_key_file": env("SALESFORCE_PRIVATE_KEY_FILE"),
    "salesforce_api_version": env("SALESFORCE_API_VERSION", "62.0"),
    "salesforce_read_timeout": float(env("SALESFORCE_READ_TIMEOUT", "30")),
    "salesforce_limit_pause_seconds": float(env("SALESFORCE_LIMIT_PAUSE_SECONDS", "300")),
    # The org currency when Salesforce multi-currency is off (Orders then have no CurrencyIsoCode).
    "salesforce_currency": env("SALESFORCE_CURRENCY", "USD").upper(),
    # An org with multi-currency on: Orders carry CurrencyIsoCode, priced from PricebookEntries in it.
    "salesforce_multi_currency": env_bool("SALESFORCE_MULTI_CURRENCY", False),
    # How long a session from an OAuth login is reused when Salesforce does not say (its token
    # answers carry no expiry; a SOAP login's sessionSecondsValid is used as given). 15 minutes is
    # the shortest session timeout an org can set, and a session refused earlier is replaced at once.
    "salesforce_session_seconds": float(env("SALESFORCE_SESSION_SECONDS", "900")),

    # --- Billing ---------------------------------------------------------------------------------
    "billing_provider": env("BILLING_PROVIDER", "zuora").strip().lower(),
    # Seconds to wait for a billing answer; a later one is an unknown outcome, and the call is retried.
    "billing_read_timeout": float(env("BILLING_READ_TIMEOUT", "30")),
    "zuora_base_url": env("ZUORA_BASE_URL"),
    "zuora_client_id": env("ZUORA_CLIENT_ID"),
    "zuora_client_secret": env("ZUORA_CLIENT_SECRET"),
    # Whether the tenant has Zuora's Flexible Billing Attributes: only then does a subscription
    # carry its own payment term; otherwise the payment term is the account's.
    "zuora_flexible_billing": env_bool("ZUORA_FLEXIBLE_BILLING", False),
    "nue_base_url": env("NUE_BASE_URL"),
    "nue_api_key": env("NUE_API_KEY"),
    # The console links an order to its page in the billing app: a URL with `{order}` for the order
    # number or id (a tenant's UI address cannot be derived from its API address). In the sandbox,
    # the emulator's page.
    "zuora_order_url": env("ZUORA_ORDER_URL"),
    "nue_order_url": env("NUE_ORDER_URL"),
    # Billing webhooks: Standard Webhooks signatures with these secrets, or HTTP Basic credentials.
    "zuora_webhook_secret": env("ZUORA_WEBHOOK_SECRET"),
    "nue_webhook_secret": env("NUE_WEBHOOK_SECRET"),
    "zuora_webhook_basic": env("ZUORA_WEBHOOK_BASIC"),
    "nue_webhook_basic": env("NUE_WEBHOOK_BASIC"),

    # --- Sandbox: the vendors' emulators, served by the hub itself (hub/sandbox_defaults.py) --------
    "sandbox": env_bool("HUB_SANDBOX", default=not env("SALESFORCE_USERNAME") and not env("SALESFORCE_CONSUMER_KEY")),
    "sandbox_url": env("HUB_PUBLIC_URL", f"http://127.0.0.1:{PORT}").rstrip("/") + "/sandbox",
    "sandbox_storefront_token": env("SANDBOX_STOREFRONT_TOKEN"),
}
if HUB["sandbox"]:
    HUB = sandbox_defaults.overlay(HUB)

# Given, or generated at start-up (hub/startup.py) while empty.
SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env_bool("HUB_DEBUG", False)
ALLOWED_HOSTS = [h for h in env("HUB_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

# --- Django ------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Before django_q: its `qcluster` command (the cluster plus the job dispatcher) replaces django-q2's.
    "syncapp",
    "django_q",
    "django_prometheus",
]
if HUB["sandbox"]:
    INSTALLED_APPS += ["sandbox.salesforce", "sandbox.zuora", "sandbox.nue", "sandbox.webhooks"]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # first: times the whole stack
    "syncapp.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",  # sees the view's outcome
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

# The benchmarks add a bare baseline view with HUB_ROOT_URLCONF=bench.bare (bench/intake.py).
ROOT_URLCONF = env("HUB_ROOT_URLCONF", "hub.urls")
WSGI_APPLICATION = "hub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'hub.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tuned for one small server: WAL lets readers run beside the writer, IMMEDIATE takes the write
    # lock at BEGIN (no deadlocking lock upgrades), and the busy timeout waits instead of failing.
    # Connections are kept (conn_max_age above): closing the last one checkpoints the WAL, which
    # cost a one-at-a-time webhook delivery half its time (bench/intake.py).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # A file, not memory, so live servers and worker processes in tests share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    # The emulators' call counters in a file of their own in this directory, when they run as a
    # server of their own (sandbox/routers.py).
    if sandbox_databases := env("HUB_SANDBOX_DATABASES", ""):
        from sandbox.routers import CALLS

        DATABASES[CALLS] = {**DATABASES["default"], "NAME": str(Path(sandbox_databases) / f"{CALLS}.sqlite3")}
        DATABASE_ROUTERS = ["sandbox.routers.EmulatorDatabases"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Admin logins are rate-limited by django-axes: 5 failures for one username from one address lock
# that pair out for 15 minutes (keyed on both, so nobody can lock a colleague out from elsewhere).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(env("HUB_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("HUB_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# No axes pages in the console: their "clean up expired attempts" action fails in django-axes 8.3
# (it skips the handler that stamps the request). Lift a lockout with `manage.py axes_reset_username`.
AXES_ENABLE_ADMIN = False
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"  # made at start-up
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["syncapp.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["syncapp.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "syncapp.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
# The OpenAPI schema (/api/v1/schema/, /api/v1/docs/): syncapp/api/schema.py adds what views cannot say.
SPECTACULAR_SETTINGS = {
    "TITLE": "Order Sync Hub API",
    "DESCRIPTION": "Keeps a billing platform (Zuora or Nue) and Salesforce in step.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",  # 3.1: a bearer-token requirement may name the scopes it needs
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's JS and CSS come from the hub's static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No call out to swagger.io's online validator either.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "PREPROCESSING_HOOKS": ["syncapp.api.schema.add_webhook_views"],
    # Enums stay inline (no enum components): each error response lists its own codes.
    "POSTPROCESSING_HOOKS": ["syncapp.api.schema.drop_enum_ids"],
}

# --- django-q2 ---------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
Q_CLUSTER: dict[str, Any] = {
    "name": env("HUB_Q_NAME", "hub"),
    "workers": int(env("HUB_WORKERS", "2")),
    "recycle": 500,
    # A task may run `timeout` seconds; it is offered again after `retry` seconds, so retry > timeout
    # (checked by a system check) and a slow task is never run twice at once by the broker.
    "timeout": 120,
    "retry": 180,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    # Successful task results are kept without django-q2's own cap, which re-reads every kept
    # result on each save (half a CPU in the soak); the sweep keeps the newest KEPT_TASK_RESULTS.
    "save_limit": 0,
    "poll": 0.2,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["broker_class"] = "syncapp.jobs.broker.OrmBroker"  # django-q2's, with a cheaper idle poll
    # django-q2 keeps its cluster stats (qinfo, qmonitor) in this cache, saved twice a second;
    # in the database that was a tenth of an idle cluster's CPU. Each process keeps its own:
    # the hub's health comes from its heartbeat, not from these stats.
    Q_CLUSTER["cache"] = "local"

# --- Shared cache --------------------------------------------------------------------------------
# Vendor sessions, tokens and catalogs are shared by every web and worker process until they
# expire: on Redis when it is there, else in the database (its table is made by a migration).
# "local" is each process's own memory, for what must work while that store is down (health).
# HUB_CACHE_PREFIX keeps hubs that share one Redis (or one database) apart.
CACHE_TABLE = "hub_cache"
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE}}
CACHES["default"]["KEY_PREFIX"] = env("HUB_CACHE_PREFIX", "hub")
CACHES["local"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}

# --- Logs ----------------------------------------------------------------------------------------
# JSON lines on stderr (HUB_LOG_FORMAT=console for structlog's plain format) and in HUB_LOG_FILE
# (HUB_LOG_FILE= turns the file off); secrets redacted, request and job ids bound (hub/logs.py).
LOGGING = configure_logging(env("HUB_LOG_LEVEL", "INFO"), env("HUB_LOG_FORMAT", "json"),
                            env("HUB_LOG_FILE", str(DATA_DIR / "hub.log")))
# Django calls this first thing in django.setup(), in every process (web, worker, command, test):
# it prepares the data directory, the metrics directory and the generated secrets, then applies
# LOGGING (hub/startup.py).
LOGGING_CONFIG = "hub.startup.start"
