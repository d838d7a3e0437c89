"""The console's roles live in `syncapp.roles` (outside the admin package, so nothing that needs the
table imports the admin); this name is kept for the console's code and tests that import it here."""
from syncapp.roles import CONSOLE_APPS, ROLES, ensure_roles

__all__ = ["CONSOLE_APPS", "ROLES", "ensure_roles"]
