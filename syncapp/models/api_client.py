"""Systems that call the hub's API: a name, a hashed bearer token and scopes."""
import hashlib
import hmac
import secrets

from django.db import models

SCOPES = ("checkout", "salesforce", "read")
TOKEN_PREFIX = "osh_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiClientQuerySet(models.QuerySet):
    def authenticate(self, token: str) -> "ApiClient | None":
        """The active client holding `token`, or None. Only the token's hash is stored; the final
        comparison is constant-time."""
        if not token:
            return None
        digest = hash_token(token)
        client = self.filter(token_hash=digest, is_active=True).first()
        if client and hmac.compare_digest(client.token_hash, digest):
            return client
        return None


class ApiClient(models.Model):
    name = models.CharField(max_length=100, unique=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(max_length=12, editable=False, help_text="First characters of the token")
    scopes = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        verbose_name = "API client"

    def __str__(self):
        return self.name

    @classmethod
    def issue(cls, name: str, scopes) -> tuple["ApiClient", str]:
        """Create a client and return it with its token — the only time the token is known."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        return cls.register(name, token, scopes, create_only=True), token

    @classmethod
    def register(cls, name: str, token: str, scopes, *, create_only: bool = False) -> "ApiClient":
        """Create (or, unless `create_only`, re-key) the client `name` holding a given token."""
        unknown = set(scopes) - set(SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}")
        fields = {"token_hash": hash_token(token), "token_hint": token[:10], "scopes": sorted(set(scopes))}
        if create_only:
            return cls.objects.create(name=name, **fields)
        return cls.objects.update_or_create(name=name, defaults=fields)[0]

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    # DRF treats request.user as the authenticated principal.
    is_authenticated = True
