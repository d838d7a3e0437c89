from django.apps import AppConfig


class SandboxWebhooksConfig(AppConfig):
    name = "sandbox.webhooks"
    label = "sandbox_webhooks"
    verbose_name = "Sandbox: webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.core.signals import request_started

        from sandbox.webhooks import sender

        request_started.connect(sender.resume_pending, dispatch_uid="sandbox-webhooks-resume")
