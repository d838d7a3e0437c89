from django.apps import AppConfig


class SandboxZuoraConfig(AppConfig):
    name = "sandbox.zuora"
    label = "sandbox_zuora"
    verbose_name = "Sandbox: zuora"
    default_auto_field = "django.db.models.BigAutoField"
