from django.apps import AppConfig


class SyncAppConfig(AppConfig):
    name = "syncapp"
    verbose_name = "Order sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from syncapp import checks  # noqa: F401  (registers the system checks)
