"""Systems that call the hub's API: a name, a hashed bearer token and scopes."""
import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

SCOPES = ("checkout", "salesforce", "read")
TOKEN_PREFIX = "osh_"
# How stale `last_used_at` may be: a busy client costs one write a minute, not one per request.
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiClientQuerySet(models.QuerySet):
    def authenticate(self, token: str) -> "ApiClient | None":
        """The active, unexpired client holding `token`, or None. Only the token's hash is stored;
        the final comparison is constant-time."""
        if not token:
            return None
        digest = hash_token(token)
        unexpired = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        client = self.filter(unexpired, token_hash=digest, is_active=True).first()
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
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: the token never expires.")

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        verbose_name = "API client"

    def __str__(self):
        return self.name

    @classmethod
    def issue(cls, name: str, scopes, expires_at=None) -> tuple["ApiClient", str]:
        """Create a client and return it with its token — the only time the token is known."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        return cls.register(name, token, scopes, expires_at=expires_at, create_only=True), token

    @classmethod
    def register(cls, name: str, token: str, scopes, *, expires_at=None, create_only: bool = False) -> "ApiClient":
        """Create (or, unless `create_only`, re-key) the client `name` holding a given token."""
        unknown = set(scopes) - set(SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}")
        fields = {"token_hash": hash_token(token), "token_hint": token[:10], "scopes": sorted(set(scopes)),
                  "expires_at": expires_at}
        if create_only:
            return cls.objects.create(name=name, **fields)
        return cls.objects.update_or_create(name=name, defaults=fields)[0]

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def record_use(self) -> None:
        """Stamp `last_used_at`, at most once per LAST_USED_PRECISION: the update only matches
        while the stored stamp is older, so concurrent requests write it once."""
        now = timezone.now()
        if self.last_used_at and now - self.last_used_at < LAST_USED_PRECISION:
            return
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
        if ApiClient.objects.filter(stale, pk=self.pk).update(last_used_at=now):
            self.last_used_at = now

    # DRF treats request.user as the authenticated principal.
    is_authenticated = True
