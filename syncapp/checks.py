"""System checks that refuse a configuration the hub cannot run safely with."""
from django.conf import settings
from django.core.checks import Error, register

BILLING_PROVIDERS = ("zuora", "nue")


@register()
def check_billing_provider(app_configs, **kwargs):
    if settings.BILLING_PROVIDER not in BILLING_PROVIDERS:
        return [
            Error(
                f"BILLING_PROVIDER={settings.BILLING_PROVIDER!r} is not supported.",
                hint=f"Set BILLING_PROVIDER to one of: {', '.join(BILLING_PROVIDERS)}.",
                id="syncapp.E001",
            )
        ]
    return []


@register()
def check_q_cluster(app_configs, **kwargs):
    q = settings.Q_CLUSTER
    errors = []
    if q.get("retry", 0) <= q.get("timeout", 0):
        errors.append(
            Error(
                "Q_CLUSTER['retry'] must be greater than Q_CLUSTER['timeout'].",
                hint="Otherwise the broker offers a task again while it still runs.",
                id="syncapp.E002",
            )
        )
    if not q.get("max_attempts"):
        errors.append(
            Error(
                "Q_CLUSTER['max_attempts'] must be a positive number.",
                hint="0 retries a failing task forever; the hub retries through SyncJob instead.",
                id="syncapp.E003",
            )
        )
    return errors
