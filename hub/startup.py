"""What a hub process makes before it runs, once, when Django starts it.

Importing the settings only reads the environment; this is where a process writes. Django calls
`start` first thing in `django.setup()` (it is the settings' LOGGING_CONFIG), so every process
runs it — web, worker, management command, test run — before any app is imported:

- HUB_DATA_DIR (mode 0700) and its static files directory;
- the metrics directory, and PROMETHEUS_MULTIPROC_DIR pointing at it, before django_prometheus
  creates its metrics (prometheus_client reads the variable when a metric is made);
- the secrets the settings left empty, generated once into HUB_DATA_DIR/secrets.json (hub.settings;
  hub.production takes them from the environment only), and the sandbox's key pair and token;
- structlog and the standard logging, whose file is in HUB_DATA_DIR.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from hub import logs, sandbox_defaults
from hub.datadir import private_dir
from hub.secrets import data_secret

# Settings of HUB generated when empty: the environment variable each is stored under, and its kind.
GENERATED = {"zuora_webhook_secret": ("ZUORA_WEBHOOK_SECRET", "webhook"),
             "nue_webhook_secret": ("NUE_WEBHOOK_SECRET", "webhook")}


def start(logging_config: dict[str, Any]) -> None:
    hub: dict[str, Any] = settings.HUB
    data_dir: Path = private_dir(hub["data_dir"])
    Path(settings.STATIC_ROOT).mkdir(exist_ok=True)
    metrics_dir: Path = hub["metrics_dir"]
    metrics_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    if hub["generate_secrets"]:
        try:
            settings.SECRET_KEY  # noqa: B018  (Django refuses to read an empty one)
        except ImproperlyConfigured:
            settings.SECRET_KEY = data_secret(data_dir, "DJANGO_SECRET_KEY")
        hub = {**hub, **{name: data_secret(data_dir, variable, kind=kind)
                         for name, (variable, kind) in GENERATED.items() if not hub[name]}}
    if hub["sandbox"]:
        hub = sandbox_defaults.prepare(hub)
    if hub is not settings.HUB:
        settings.HUB = hub
    logs.apply(logging_config)
