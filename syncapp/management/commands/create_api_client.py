from django.core.management.base import BaseCommand, CommandError

from syncapp.models import ApiClient
from syncapp.models.api_client import SCOPES


class Command(BaseCommand):
    requires_migrations_checks = True  # syncapp.management.preflight: stop with a sentence when missing
    help = "Create an API client and print its bearer token as the last line of output."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--scope", action="append", choices=SCOPES, dest="scopes",
                            help="repeat for several scopes (default: all)")

    def handle(self, name, scopes, **options):
        if ApiClient.objects.filter(name=name).exists():
            raise CommandError(f"An API client named {name!r} already exists.")
        client, token = ApiClient.issue(name, scopes or SCOPES)
        self.stdout.write(f"Created API client {client.name!r} with scopes: {', '.join(client.scopes)}")
        self.stdout.write("Keep this token; it is shown only once:")
        self.stdout.write(token)
