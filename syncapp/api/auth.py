"""Bearer-token authentication and scope permissions for the hub's API."""
from rest_framework import authentication, exceptions, permissions

from syncapp.models import ApiClient


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        client = ApiClient.objects.authenticate(token.strip())
        if client is None:
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired API token.")
        client.record_use()
        return client, token

    def authenticate_header(self, request):
        return self.keyword


def scope_required(scope: str):
    """A DRF permission class admitting API clients that hold `scope`."""

    required = scope

    class HasScope(permissions.BasePermission):
        message = f"This token lacks the '{required}' scope."
        scope = required  # read by the OpenAPI schema (syncapp/api/schema.py)

        def has_permission(self, request, view):
            client = request.user
            return isinstance(client, ApiClient) and client.has_scope(required)

    HasScope.__name__ = f"HasScope_{scope}"
    return HasScope
