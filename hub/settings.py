"""Settings for Order Sync Hub, read from the environment (see docs/deploy.md).

`.env` in the repository root is read if present; real environment variables win over it.
"""
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from dotenv import load_dotenv

from hub.datadir import private_dir
from hub.keypair import data_keypair
from hub.logs import configure as configure_logging
from hub.secrets import data_secret

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env", override=False)


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


HUB_PORT = int(env("HUB_PORT", "8000"))
HUB_BIND = env("HUB_BIND", "127.0.0.1")
HUB_DATA_DIR = private_dir(Path(env("HUB_DATA_DIR", str(BASE_DIR / "var"))).resolve())
# The hub's own address as other systems (the sandbox emulators' webhooks, the storefront) reach it.
HUB_PUBLIC_URL = env("HUB_PUBLIC_URL", f"http://127.0.0.1:{HUB_PORT}").rstrip("/")

SECRET_KEY = data_secret(HUB_DATA_DIR, "DJANGO_SECRET_KEY")
DEBUG = env_bool("HUB_DEBUG", False)
ALLOWED_HOSTS = [h for h in env("HUB_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

# --- Outside systems ---------------------------------------------------------------------------
SALESFORCE_USERNAME = env("SALESFORCE_USERNAME")
SALESFORCE_PASSWORD = env("SALESFORCE_PASSWORD")
SALESFORCE_SECURITY_TOKEN = env("SALESFORCE_SECURITY_TOKEN")
SALESFORCE_DOMAIN = env("SALESFORCE_DOMAIN", "login")
SALESFORCE_INSTANCE_URL = env("SALESFORCE_INSTANCE_URL")
# A connected (or external client) app: with a private key and a username, the OAuth 2.0 JWT bearer
# flow (recommended); with a secret, the client-credentials flow (or, with a username and password,
# the legacy OAuth password flow).
SALESFORCE_CONSUMER_KEY = env("SALESFORCE_CONSUMER_KEY")
SALESFORCE_CONSUMER_SECRET = env("SALESFORCE_CONSUMER_SECRET")
SALESFORCE_PRIVATE_KEY_FILE = env("SALESFORCE_PRIVATE_KEY_FILE")
SALESFORCE_API_VERSION = env("SALESFORCE_API_VERSION", "62.0")
SALESFORCE_READ_TIMEOUT = float(env("SALESFORCE_READ_TIMEOUT", "30"))
SALESFORCE_LIMIT_PAUSE_SECONDS = float(env("SALESFORCE_LIMIT_PAUSE_SECONDS", "300"))
# How long a checkout waits for another checkout of the same organisation before answering 503.
HUB_CHECKOUT_MATCH_WAIT = float(env("HUB_CHECKOUT_MATCH_WAIT", "5"))
# The org currency when Salesforce multi-currency is off (Orders then have no CurrencyIsoCode).
SALESFORCE_CURRENCY = env("SALESFORCE_CURRENCY", "USD").upper()
# An org with multi-currency on: Orders carry CurrencyIsoCode, priced from PricebookEntries in it.
SALESFORCE_MULTI_CURRENCY = env_bool("SALESFORCE_MULTI_CURRENCY", False)
# How long a session from an OAuth login is reused when Salesforce does not say (its token answers
# carry no expiry; a SOAP login's sessionSecondsValid is used as given). 15 minutes is the shortest
# session timeout an org can set, and a session refused earlier is replaced at once anyway.
SALESFORCE_SESSION_SECONDS = float(env("SALESFORCE_SESSION_SECONDS", "900"))

HUB_SANDBOX = env_bool("HUB_SANDBOX", default=not SALESFORCE_USERNAME and not SALESFORCE_CONSUMER_KEY)
SANDBOX_URL = f"{HUB_PUBLIC_URL}/sandbox"

if HUB_SANDBOX:
    # The embedded default: the connectors talk to the emulators over HTTP, as to the real vendors.
    SALESFORCE_INSTANCE_URL = SALESFORCE_INSTANCE_URL or f"{SANDBOX_URL}/salesforce"
    SALESFORCE_USERNAME = SALESFORCE_USERNAME or "hub@sandbox.example"
    SALESFORCE_PASSWORD = SALESFORCE_PASSWORD or "sandbox"
    # The sandbox logs in with the recommended JWT bearer flow: its connected app ("sandbox")
    # trusts the certificate of a key pair generated into HUB_DATA_DIR.
    SANDBOX_SALESFORCE_KEY_FILE, SANDBOX_SALESFORCE_CERTIFICATE = data_keypair(HUB_DATA_DIR, "salesforce_jwt")
    if not SALESFORCE_CONSUMER_KEY:
        SALESFORCE_CONSUMER_KEY = "sandbox"
        SALESFORCE_PRIVATE_KEY_FILE = str(SANDBOX_SALESFORCE_KEY_FILE)

# The sandbox storefront (the merchant's self-service site) calls the checkout API with this token.
SANDBOX_STOREFRONT_TOKEN = data_secret(HUB_DATA_DIR, "SANDBOX_STOREFRONT_TOKEN") if HUB_SANDBOX else ""

BILLING_PROVIDER = env("BILLING_PROVIDER", "zuora").strip().lower()
ZUORA_BASE_URL = env("ZUORA_BASE_URL", f"{SANDBOX_URL}/zuora" if HUB_SANDBOX else "")
ZUORA_CLIENT_ID = env("ZUORA_CLIENT_ID", "sandbox" if HUB_SANDBOX else "")
ZUORA_CLIENT_SECRET = env("ZUORA_CLIENT_SECRET", "sandbox" if HUB_SANDBOX else "")
# Whether the tenant has Zuora's Flexible Billing Attributes: only then does a subscription carry
# its own payment term; otherwise the payment term is the account's.
ZUORA_FLEXIBLE_BILLING = env_bool("ZUORA_FLEXIBLE_BILLING", False)
NUE_BASE_URL = env("NUE_BASE_URL", f"{SANDBOX_URL}/nue" if HUB_SANDBOX else "")
NUE_API_KEY = env("NUE_API_KEY", "sandbox" if HUB_SANDBOX else "")
# The console links an order to its page in the billing app: a URL with `{order}` for the order
# number or id (a tenant's UI address cannot be derived from its API address). In the sandbox, the
# emulator's page.
ZUORA_ORDER_URL = env("ZUORA_ORDER_URL")
NUE_ORDER_URL = env("NUE_ORDER_URL")

ZUORA_WEBHOOK_SECRET = data_secret(HUB_DATA_DIR, "ZUORA_WEBHOOK_SECRET", kind="webhook")
NUE_WEBHOOK_SECRET = data_secret(HUB_DATA_DIR, "NUE_WEBHOOK_SECRET", kind="webhook")
ZUORA_WEBHOOK_BASIC = env("ZUORA_WEBHOOK_BASIC")
NUE_WEBHOOK_BASIC = env("NUE_WEBHOOK_BASIC")

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
    "django_q",
    "django_prometheus",
    "syncapp",
]
if HUB_SANDBOX:
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
        env("DATABASE_URL", f"sqlite:///{HUB_DATA_DIR / 'hub.sqlite3'}"), conn_max_age=60
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
    DATABASES["default"]["TEST"] = {"NAME": str(HUB_DATA_DIR / "test.sqlite3")}

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
STATIC_ROOT = HUB_DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
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
Q_CLUSTER = {
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

# --- Logs, health and metrics ------------------------------------------------------------------
# JSON lines on stderr (HUB_LOG_FORMAT=console for structlog's plain format) and in HUB_LOG_FILE
# (HUB_LOG_FILE= turns the file off); secrets redacted, request and job ids bound (hub/logs.py).
LOGGING = configure_logging(env("HUB_LOG_LEVEL", "INFO"), env("HUB_LOG_FORMAT", "json"),
                            env("HUB_LOG_FILE", str(HUB_DATA_DIR / "hub.log")))
# Health (syncapp/api/health.py): the queue is down when no worker has run the every-minute sweeper
# for this long, except in a web process's first HUB_QUEUE_GRACE_SECONDS.
HUB_QUEUE_STALE_SECONDS = float(env("HUB_QUEUE_STALE_SECONDS", "180"))
HUB_QUEUE_GRACE_SECONDS = float(env("HUB_QUEUE_GRACE_SECONDS", "120"))
# /metrics (syncapp/metrics.py): every web and worker process of this machine writes its samples
# here (prometheus_client's multiprocess mode, which reads the variable when first imported: after
# the settings). Set from HUB_DATA_DIR every time, so a child hub with its own data dir never
# inherits its parent's.
HUB_METRICS_DIR = Path(env("HUB_METRICS_DIR", str(HUB_DATA_DIR / "metrics")))
HUB_METRICS_DIR.mkdir(parents=True, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(HUB_METRICS_DIR)
