"""Logins (OAuth token endpoint and the SOAP `login` call) and session checks."""
import base64
import hashlib
import hmac
import secrets
import time
from datetime import timedelta
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from django.utils import timezone

from .faults import invalid_session
from .models import Session
from .org import API_USER, api_user_id, get_org

CLIENT_ID = "sandbox"
CLIENT_SECRET = "sandbox"
USERNAME = API_USER["Username"]
PASSWORD = "sandbox"
SESSION_SECONDS = 7200


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


def token(request, base_url: str) -> dict:
    grant = request.POST.get("grant_type")
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
    session = new_session()
    org = get_org()
    identity = f"{base_url}/id/{org.org_id}/{session.user_id}"
    issued_at = str(int(time.time() * 1000))
    signature = base64.b64encode(hmac.new(CLIENT_SECRET.encode(), (identity + issued_at).encode(),
                                          hashlib.sha256).digest()).decode()
    return {"access_token": session.key, "instance_url": base_url, "id": identity,
            "token_type": "Bearer", "issued_at": issued_at, "signature": signature,
            "scope": "api"}


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


def soap_login(body: bytes, base_url: str, version: str) -> tuple:
    """(status, xml) for a SOAP login call."""
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
