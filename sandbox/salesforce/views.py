"""HTTP views of the Salesforce emulator: plain Django views, JSON in and out."""
import json
import logging

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from . import api, auth, faults, schema
from .errors import SfError
from .org import get_org

log = logging.getLogger(__name__)


def base_url(request) -> str:
    """The emulator's absolute base, its instance URL: http://host:port/sandbox/salesforce."""
    return request.build_absolute_uri(reverse("sandbox-salesforce-root")).rstrip("/")


def sf_json(body, status=200, headers=None):
    response = HttpResponse(status=status) if status == 204 else JsonResponse(
        body, status=status, safe=False)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@csrf_exempt
def token(request):
    if request.method != "POST":
        return JsonResponse({"error": "invalid_request", "error_description": "must use HTTP POST"},
                            status=400)
    try:
        answer = auth.token(request, base_url(request))
        faults.count_call(faults.LOGINS)
        return JsonResponse(answer)
    except auth.LoginFailed as failed:
        status = 401 if failed.error == "invalid_client" else 400
        return JsonResponse({"error": failed.error, "error_description": failed.description},
                            status=status)


@csrf_exempt
def soap_login(request, version, org_id=None):
    if request.method != "POST":
        return HttpResponse(status=405)
    status, xml = auth.soap_login(request.body, base_url(request), version, api.VERSIONS)
    if status == 200:
        faults.count_call(faults.LOGINS)
    return HttpResponse(xml, status=status, content_type="text/xml; charset=utf-8")


def versions(request):
    return JsonResponse(api.versions(), safe=False)


def _parse_body(request):
    if not request.body:
        return None
    try:
        return json.loads(request.body)
    except ValueError:
        raise SfError(400, "JSON_PARSER_ERROR", "The request body is not valid JSON") from None


@csrf_exempt
def data(request, version, rest=""):
    """Every call below /services/data/vXX.X/: count it, authenticate, spend the allocation,
    inject the configured faults, then dispatch."""
    org = get_org()
    schema.MULTI_CURRENCY.set(org.multi_currency)
    schema.FIELD_CHANGES.set(org.field_changes or {})
    faults.count_call(api.resource_name(rest))
    answer_lost = False
    try:
        session = auth.session_for(request)
        faults.spend_allocation(org)
        answer_lost = faults.inject(org, session)
        call = api.Call(request.method, version, rest.strip("/"), request.GET.dict(),
                        _parse_body(request), {k.lower(): v for k, v in request.headers.items()},
                        org)
        reply = api.dispatch(call)
        status, body, headers = reply.status, reply.body, reply.headers
    except SfError as err:
        status, body, headers = err.status, err.errors, {}
    except Exception:  # an emulator bug must still answer in Salesforce's form
        log.exception("salesforce sandbox failed on %s %s", request.method, request.path)
        status, headers = 500, {}
        body = [{"errorCode": "UNKNOWN_EXCEPTION", "message": "An unexpected error occurred. "
                 "Please include this ErrorId if you contact support: sandbox"}]
    headers = {**headers, "Sforce-Limit-Info": faults.limit_info(org)}
    if answer_lost:
        faults.lose_answer(org)
    return sf_json(body, status, headers)


@csrf_exempt
def control(request):
    if request.method == "POST":
        try:
            body = json.loads(request.body or b"{}")
            return JsonResponse(faults.apply(body))
        except (ValueError, TypeError) as err:
            return JsonResponse({"error": str(err)}, status=400)
    return JsonResponse(faults.state())


def root(request):
    return JsonResponse({"emulator": "salesforce", "instance_url": base_url(request),
                         "versions": "/services/data/", "control": "_control"})
