from django.core.management.base import BaseCommand, CommandError

from syncapp.models import ApiClient


class Command(BaseCommand):
    help = "Revoke an API client's token: its next request is refused (401)."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, name, **options):
        # Every request looks its token up afresh, so nothing caches a revoked client.
        if not ApiClient.objects.filter(name=name).update(is_active=False):
            raise CommandError(f"No API client named {name!r}.")
        self.stdout.write(f"Revoked API client {name!r}.")
