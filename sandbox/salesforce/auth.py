"""Logins (OAuth token endpoint and the SOAP `login` call) and session checks."""
import base64
import hashlib
import hmac
import secrets
import time
from datetime import timedelta
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import jwt
from cryptography import x509
from django.utils import timezone

from sandbox import conf

from .faults import invalid_session
from .models import Session
from .org import API_USER, api_user_id, get_org

CLIENT_ID = "sandbox"
CLIENT_SECRET = "sandbox"
USERNAME = API_USER["Username"]
PASSWORD = "sandbox"
SESSION_SECONDS = 7200
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# The authorization servers a JWT bearer assertion may name as its audience.
JWT_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
JWT_MAX_SECONDS = 180  # Salesforce: the assertion expires within 3 minutes of being made
CLOCK_SKEW = 5


class LoginFailed(Exception):
    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error
        self.description = description


def password_ok(username: str, password: str) -> bool:
    # A security token appended to the password is tolerated, as for a trusted IP range.
    return (username or "").strip().lower() == USERNAME and (password or "").startswith(PASSWORD)


def new_session() -> Session:
    org = get_org()
    Session.objects.filter(expires_at__lt=timezone.now()).delete()
    session = Session.objects.create(
        key=f"{org.org_id[:15]}!{secrets.token_urlsafe(60)}", user_id=api_user_id(),
        expires_at=timezone.now() + timedelta(seconds=SESSION_SECONDS))
    return session


def session_for(request) -> Session:
    """The live session named by `Authorization: Bearer …` (or `OAuth …`), else 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() not in ("bearer", "oauth") or not key.strip():
        raise invalid_session()
    session = Session.objects.filter(key=key.strip()).first()
    now = timezone.now()
    if session is None or session.expires_at <= now:
        raise invalid_session()
    if session.expires_at - now < timedelta(seconds=SESSION_SECONDS / 2):
        # Sessions time out after inactivity; use keeps them alive.
        Session.objects.filter(pk=session.pk).update(
            expires_at=now + timedelta(seconds=SESSION_SECONDS))
    return session


# --- OAuth 2.0 token endpoint ------------------------------------------------------------------

def _client_credentials(request):
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (ValueError, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return request.POST.get("client_id"), request.POST.get("client_secret")


def _jwt_bearer(assertion: str) -> None:
    """Check a JWT bearer assertion as Salesforce does: the connected app it names (`iss`), its
    RS256 signature against the app's certificate, the audience, the expiry and the user."""
    try:
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise LoginFailed("invalid_grant", "invalid assertion") from None
    if claims.get("iss") != CLIENT_ID:
        raise LoginFailed("invalid_client_id", "client identifier invalid")
    try:
        certificate = x509.load_pem_x509_certificate(
            conf.salesforce_certificate().read_bytes())
        # Claims are checked below: simple-salesforce, like other clients, sends `exp` as a string.
        jwt.decode(assertion, certificate.public_key(), algorithms=["RS256"],
                   options={"verify_exp": False, "verify_aud": False, "verify_iat": False,
                            "verify_nbf": False})
    except jwt.PyJWTError:
        raise LoginFailed("invalid_grant", "invalid assertion") from None
    if header.get("alg") != "RS256":
        raise LoginFailed("invalid_grant", "invalid assertion")
    if claims.get("aud") not in JWT_AUDIENCES:
        raise LoginFailed("invalid_grant", "audience is invalid")
    try:
        expires = float(claims.get("exp"))
    except (TypeError, ValueError):
        raise LoginFailed("invalid_grant", "invalid assertion") from None
    now = time.time()
    if not now - CLOCK_SKEW < expires <= now + JWT_MAX_SECONDS + CLOCK_SKEW:
        raise LoginFailed("invalid_grant", "expired authorization code")
    if (claims.get("sub") or "").strip().lower() != USERNAME:
        raise LoginFailed("invalid_grant", "user hasn't approved this consumer")


def token(request, base_url: str) -> dict:
    grant = request.POST.get("grant_type")
    if grant == JWT_GRANT:
        _jwt_bearer(request.POST.get("assertion") or "")
        return _token_answer(base_url, signed=False)
    client_id, client_secret = _client_credentials(request)
    if grant not in ("password", "client_credentials"):
        raise LoginFailed("unsupported_grant_type", "grant type not supported")
    if client_id != CLIENT_ID:
        raise LoginFailed("invalid_client_id", "client identifier invalid")
    if client_secret != CLIENT_SECRET:
        raise LoginFailed("invalid_client", "invalid client credentials")
    if grant == "password" and not password_ok(request.POST.get("username"),
                                               request.POST.get("password")):
        raise LoginFailed("invalid_grant", "authentication failure")
    return _token_answer(base_url, signed=True)


def _token_answer(base_url: str, signed: bool) -> dict:
    """A new session as the token endpoint answers it; the JWT bearer flow's answer has no
    `issued_at` or `signature` (there is no client secret to sign with)."""
    session = new_session()
    org = get_org()
    identity = f"{base_url}/id/{org.org_id}/{session.user_id}"
    answer = {"access_token": session.key, "instance_url": base_url, "id": identity,
              "token_type": "Bearer", "scope": "api"}
    if signed:
        issued_at = str(int(time.time() * 1000))
        answer["issued_at"] = issued_at
        answer["signature"] = base64.b64encode(hmac.new(
            CLIENT_SECRET.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()).decode()
    return answer


# --- SOAP login --------------------------------------------------------------------------------

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
LOGIN_FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {message}\
</faultstring><detail><sf:{kind} xsi:type="sf:{kind}"><sf:exceptionCode>{code}</sf:exceptionCode>\
<sf:exceptionMessage>{message}</sf:exceptionMessage></sf:{kind}></detail></soapenv:Fault>\
</soapenv:Body></soapenv:Envelope>"""
LOGIN_RESPONSE = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<soapenv:Body><loginResponse><result>\
<metadataServerUrl>{base}/services/Soap/m/{version}/{org}</metadataServerUrl>\
<passwordExpired>false</passwordExpired><sandbox>true</sandbox>\
<serverUrl>{base}/services/Soap/u/{version}/{org}</serverUrl>\
<sessionId>{session}</sessionId><userId>{user}</userId><userInfo>\
<accessibilityMode>false</accessibilityMode><currencySymbol>$</currencySymbol>\
<orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode><organizationId>{org}</organizationId>\
<organizationMultiCurrency>false</organizationMultiCurrency>\
<organizationName>Order Sync Hub Sandbox</organizationName><sessionSecondsValid>{seconds}\
</sessionSecondsValid><userEmail>{email}</userEmail><userFullName>Hub Integration</userFullName>\
<userId>{user}</userId><userLanguage>en_US</userLanguage><userName>{email}</userName>\
<userTimeZone>UTC</userTimeZone></userInfo></result></loginResponse></soapenv:Body>\
</soapenv:Envelope>"""


def soap_fault(code: str, message: str, kind="LoginFault") -> str:
    return LOGIN_FAULT.format(code=code, message=escape(message), kind=kind)


def _login_credentials(body: bytes):
    """username and password from a partner-API `login` envelope, or None if it is not one."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    values = {}
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1]
        if local in ("login", "username", "password"):
            values[local] = element.text or ""
    if "login" not in values:
        return None
    return values.get("username", ""), values.get("password", "")


def soap_login(body: bytes, base_url: str, version: str, served_versions) -> tuple:
    """(status, xml) for a SOAP login call at API `version`."""
    if version not in served_versions:
        # Salesforce retires SOAP login() with API 65.0; a version it does not serve has no login.
        return 500, soap_fault("UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL",
                               kind="UnexpectedErrorFault")
    credentials = _login_credentials(body)
    if credentials is None:
        return 500, soap_fault("INVALID_SOAP_ENVELOPE", "Expected a partner API login request",
                               kind="UnexpectedErrorFault")
    if not password_ok(*credentials):
        return 500, soap_fault("INVALID_LOGIN", "Invalid username, password, security token; or "
                               "user locked out.")
    session = new_session()
    org = get_org()
    return 200, LOGIN_RESPONSE.format(base=base_url, version=version, org=org.org_id[:15],
                                      session=escape(session.key), user=session.user_id,
                                      seconds=SESSION_SECONDS, email=USERNAME)
