from django.apps import AppConfig


class SandboxWebhooksConfig(AppConfig):
    name = "sandbox.webhooks"
    label = "sandbox_webhooks"
    verbose_name = "Sandbox: webhooks"
    default_auto_field = "django.db.models.BigAutoField"
