from django.apps import AppConfig


class SandboxNueConfig(AppConfig):
    name = "sandbox.nue"
    label = "sandbox_nue"
    verbose_name = "Sandbox: nue"
    default_auto_field = "django.db.models.BigAutoField"
