from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SyncAppConfig(AppConfig):
    name = "syncapp"
    verbose_name = "Order sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from syncapp import checks  # noqa: F401  (registers the system checks)
        from syncapp.schedules import ensure_schedules

        post_migrate.connect(ensure_schedules, sender=self)
