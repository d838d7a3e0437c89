"""The Zuora REST endpoints (thin: parse, call `orders` / `accounts`, shape the answer)."""
import datetime as dt
import secrets
from urllib.parse import urlencode

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sandbox.zuora import accounts, catalog, errors, orders, schema
from sandbox.zuora.api import count_call, endpoint
from sandbox.zuora.models import Control, Order, Token

SANDBOX_CLIENT = ("sandbox", "sandbox")
MAX_PAGE_SIZE = 40


@csrf_exempt
@require_POST
def oauth_token(request):
    """`POST /oauth/token`, client-credentials grant, form-encoded."""
    count_call("POST /oauth/token")
    form = request.POST
    if form.get("grant_type") != "client_credentials":
        return JsonResponse({"error": "unsupported_grant_type",
                             "error_description": "Only client_credentials is supported"},
                            status=400)
    if (form.get("client_id"), form.get("client_secret")) != SANDBOX_CLIENT:
        return JsonResponse({"error": "invalid_client",
                             "error_description": "Bad client credentials"}, status=401)
    lifetime = Control.load().token_lifetime
    token = Token.objects.create(access_token=secrets.token_hex(16),
                                 expires_at=timezone.now() + dt.timedelta(seconds=lifetime))
    return JsonResponse({"access_token": token.access_token, "token_type": "bearer",
                         "expires_in": lifetime, "scope": "entity.sandbox platform.write",
                         "jti": secrets.token_hex(16)})


# --- orders ------------------------------------------------------------------------------------
def create_order(request, body):
    schema.check("CreateOrderRequest", body, resource=errors.ORDER)
    return orders.summary_json(orders.create_order(body))


def list_orders(request, body):
    query = request.GET
    page = _int_param(query, "page", 1)
    size = min(_int_param(query, "pageSize", 20), MAX_PAGE_SIZE)
    found = Order.objects.select_related("account").order_by("seq")
    if query.get("status"):
        found = found.filter(status=query["status"])
    field = {"orderDate": "order_date", "updatedDate": "updated_date__date"}.get(
        query.get("dateFilterOption", "orderDate"))
    if field is None:
        raise errors.ZuoraError(errors.NO_PAYLOAD, errors.INVALID_PARAMETER,
                                "dateFilterOption must be orderDate or updatedDate", status=400)
    for param, lookup in (("startDate", "gte"), ("endDate", "lte")):
        if query.get(param):
            found = found.filter(**{f"{field}__{lookup}": _date_param(query, param)})
    rows = list(found[(page - 1) * size: page * size + 1])
    data = {"success": True,
            "orders": [orders.order_json(request, order) for order in rows[:size]]}
    if len(rows) > size:
        data["nextPage"] = request.build_absolute_uri(
            f"{request.path}?{urlencode({**query.dict(), 'page': page + 1, 'pageSize': size})}")
    return data


def get_order(request, body, order_number):
    order = orders.get_order_or_error(order_number)
    details = request.GET.get("getAccountDetails", "").lower() == "true"
    return {"success": True, "order": orders.order_json(request, order, account_details=details)}


def update_order(request, body, order_number):
    schema.check("UpdateOrderRequest", body, resource=errors.ORDER)
    order = orders.update_draft(orders.get_order_or_error(order_number), body)
    return {"success": True, "orderNumber": order.order_number,
            "accountNumber": order.account.account_number, "status": order.status}


def delete_order(request, body, order_number):
    orders.delete(orders.get_order_or_error(order_number))
    return {"success": True}


def activate_order(request, body, order_number):
    return orders.summary_json(orders.activate(orders.get_order_or_error(order_number)))


def cancel_order(request, body, order_number):
    schema.check("CancelOrderRequest", body, resource=errors.ORDER)
    order = orders.cancel(orders.get_order_or_error(order_number),
                          str(body.get("cancelReason") or ""))
    answer = {"success": True, "orderNumber": order.order_number, "status": order.status,
              "accountNumber": order.account.account_number}  # `CancelOrderResponse`
    if body.get("cancelReason"):
        answer["cancelReason"] = str(body["cancelReason"])
    return answer


# --- accounts and catalog ----------------------------------------------------------------------
def create_account(request, body):
    schema.check("CreateAccountRequest", body, resource=errors.ACCOUNT)
    account = accounts.create_account(body)
    return {"success": True, "accountId": account.id, "accountNumber": account.account_number,
            "billToContactId": account.bill_to_id, "soldToContactId": account.sold_to_id}


def get_account(request, body, account_key):
    return accounts.account_json(accounts.get_account_or_error(account_key))


def update_account(request, body, account_key):
    schema.check("UpdateAccountRequest", body, resource=errors.ACCOUNT)
    accounts.update_account(accounts.get_account_or_error(account_key), body)
    return {"success": True}


def list_products(request, body):
    return {"success": True, "products": catalog.products()}


def _int_param(query, name: str, default: int) -> int:
    try:
        value = int(query.get(name, default))
    except ValueError:
        value = 0
    if value < 1:
        raise errors.ZuoraError(errors.NO_PAYLOAD, errors.INVALID_PARAMETER,
                                f"Invalid value for query parameter {name}", status=400)
    return value


def _date_param(query, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(query[name])
    except ValueError:
        raise errors.ZuoraError(errors.NO_PAYLOAD, errors.INVALID_PARAMETER,
                                f"Invalid value for query parameter {name}", status=400) from None


orders_collection = endpoint("/v1/orders", GET=list_orders, POST=create_order)
order_resource = endpoint("/v1/orders/{orderNumber}", GET=get_order, PUT=update_order,
                          DELETE=delete_order)
order_activate = endpoint("/v1/orders/{orderNumber}/activate", PUT=activate_order)
order_cancel = endpoint("/v1/orders/{orderNumber}/cancel", PUT=cancel_order)
accounts_collection = endpoint("/v1/accounts", POST=create_account)
account_resource = endpoint("/v1/accounts/{account-key}", GET=get_account, PUT=update_account)
catalog_products = endpoint("/v1/catalog/products", GET=list_products)
