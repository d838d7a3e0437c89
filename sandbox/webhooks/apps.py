from django.apps import AppConfig


class SandboxWebhooksConfig(AppConfig):
    name = "sandbox.webhooks"
    label = "sandbox_webhooks"
    verbose_name = "Sandbox: webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.core.signals import request_started

        from sandbox.webhooks import outbox, sender

        outbox.delivery_queued.connect(sender.wake, dispatch_uid="sandbox-webhooks-wake")
        request_started.connect(sender.resume_pending, dispatch_uid="sandbox-webhooks-resume")
