"""System checks that refuse a configuration the hub cannot run safely with."""
from django.core.checks import Error, register

from syncapp import conf
from syncapp.conf import BILLING_PROVIDERS


@register()
def check_billing_provider(app_configs, **kwargs):
    provider = conf.billing_provider()
    if provider not in BILLING_PROVIDERS:
        return [
            Error(
                f"BILLING_PROVIDER={provider!r} is not supported.",
                hint=f"Set BILLING_PROVIDER to one of: {', '.join(BILLING_PROVIDERS)}.",
                id="syncapp.E001",
            )
        ]
    return []


@register()
def check_q_cluster(app_configs, **kwargs):
    q = conf.task_queue()
    errors = []
    if q.retry <= q.timeout:
        errors.append(
            Error(
                "Q_CLUSTER['retry'] must be greater than Q_CLUSTER['timeout'].",
                hint="Otherwise the broker offers a task again while it still runs.",
                id="syncapp.E002",
            )
        )
    if q.max_attempts <= 0:
        errors.append(
            Error(
                "Q_CLUSTER['max_attempts'] must be a positive number.",
                hint="0 retries a failing task forever; the hub retries through SyncJob instead.",
                id="syncapp.E003",
            )
        )
    return errors
