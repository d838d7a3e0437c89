import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from syncapp.models import ApiClient
from syncapp.models.api_client import SCOPES

UNITS = {"d": "days", "h": "hours", "w": "weeks"}


def lifetime(text: str) -> timedelta:
    """`90d`, `12h` or `4w` as a duration (argparse type)."""
    match = re.fullmatch(r"\s*(\d+)\s*([dhw])\s*", text.lower())
    if not match or int(match[1]) == 0:
        raise ValueError(text)
    return timedelta(**{UNITS[match[2]]: int(match[1])})


lifetime.__name__ = "duration such as 90d, 12h or 4w"  # how argparse names a bad value


class Command(BaseCommand):
    requires_migrations_checks = True  # syncapp.management.preflight: stop with a sentence when missing
    help = "Create an API client and print its bearer token as the last line of output."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--scope", action="append", choices=SCOPES, dest="scopes",
                            help="repeat for several scopes (default: all)")
        parser.add_argument("--expires-in", type=lifetime, metavar="DURATION",
                            help="the token stops working after this long: 90d, 12h, 4w (default: never)")

    def handle(self, name, scopes, expires_in=None, **options):
        if ApiClient.objects.filter(name=name).exists():
            raise CommandError(f"An API client named {name!r} already exists.")
        expires_at = timezone.now() + expires_in if expires_in else None
        client, token = ApiClient.issue(name, scopes or SCOPES, expires_at=expires_at)
        self.stdout.write(f"Created API client {client.name!r} with scopes: {', '.join(client.scopes)}")
        if expires_at:
            self.stdout.write(f"The token expires at {expires_at:%Y-%m-%d %H:%M} UTC.")
        self.stdout.write("Keep this token; it is shown only once:")
        self.stdout.write(token)
