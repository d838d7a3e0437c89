"""The Orders API of the Zuora emulator: documented shapes accepted, invalid ones refused the way
Zuora refuses them (HTTP 200, `success: false`, eight-digit codes)."""
import pytest

from sandbox.webhooks.models import Delivery
from tests.sandbox.zuora.conftest import new_account, order_body, rate_plan_entry, subscribe


def reasons(response) -> list[int]:
    data = response.json()
    assert data["success"] is False and data["processId"]
    return [reason["code"] for reason in data["reasons"]]


def lines(order: dict) -> list[dict]:
    action = order["subscriptions"][0]["orderActions"][0]
    return action["createSubscription"]["subscribeToRatePlans"]


def test_create_order_with_new_account_completes_it(zuora):
    created = zuora.ok("POST", "/v1/orders", order_body())

    assert created["orderNumber"].startswith("O-") and created["status"] == "Completed"
    assert created["accountNumber"].startswith("A") and len(created["subscriptionNumbers"]) == 1
    account = zuora.ok("GET", f"/v1/accounts/{created['accountNumber']}")
    assert account["basicInfo"]["crmId"] == "001000000000001AAA"
    assert account["billToContact"]["workEmail"] == "ana@acme.io"
    assert account["billingAndPayment"]["paymentTerm"] == "Net 30"


def test_draft_order_carries_lines_terms_custom_fields_and_checkout_url(zuora):
    zuora.control(flexible_billing=True)
    plan = rate_plan_entry("PRO-MONTHLY", 3, list_price=45, uniqueToken="pro")
    plan["chargeOverrides"][0]["billing"] = {"billingPeriod": "Quarter", "billCycleDay": 15}
    body = order_body(plan, rate_plan_entry("ADDON-SEATS", 2, uniqueToken="seats"),
                      status="Draft",
                      customFields={"Channel__c": "web"}, description="from the storefront")
    body["subscriptions"][0]["orderActions"][0]["createSubscription"]["paymentTerm"] = "Net 45"
    created = zuora.ok("POST", "/v1/orders", body)
    assert created["status"] == "Draft"

    order = zuora.ok("GET", f"/v1/orders/{created['orderNumber']}")["order"]
    assert order["status"] == "Draft" and order["customFields"] == {"Channel__c": "web"}
    assert order["checkoutUrl"].endswith(f"/sandbox/zuora/checkout/{created['orderNumber']}")
    pro, seats = lines(order)
    charge = pro["chargeOverrides"][0]
    assert charge["pricing"] == {"recurringPerUnit": {"listPrice": 45, "quantity": 3}}
    assert charge["billing"]["billingPeriod"] == "Quarter"
    assert charge["billing"]["billCycleDay"] == 15
    assert seats["chargeOverrides"][0]["pricing"]["recurringPerUnit"] == {"listPrice": 10,
                                                                          "quantity": 2}
    assert (pro["uniqueToken"], seats["uniqueToken"]) == ("pro", "seats")
    action = order["subscriptions"][0]["orderActions"][0]
    assert action["createSubscription"]["paymentTerm"] == "Net 45"


def test_order_for_existing_account_and_rate_plan_by_number(zuora):
    first = zuora.ok("POST", "/v1/orders", order_body())
    body = {"orderDate": "2026-11-23", "existingAccountNumber": first["accountNumber"],
            "subscriptions": subscribe({"productRatePlanNumber": "PRP-00000002"})}

    second = zuora.ok("POST", "/v1/orders", body)
    assert second["accountNumber"] == first["accountNumber"]
    order = zuora.ok("GET", f"/v1/orders/{second['orderNumber']}?getAccountDetails=true")["order"]
    assert order["existingAccountDetails"]["basicInfo"]["name"] == "Acme Inc"
    plan = lines(order)[0]["chargeOverrides"][0]
    assert plan["pricing"]["recurringPerUnit"] == {"listPrice": 990, "quantity": 1}
    assert plan["billing"]["billingPeriod"] == "Annual"


@pytest.mark.parametrize("change, code", [
    ({"orderDate": None}, 58730022),
    ({"orderDate": "22/11/2026"}, 58730020),
    ({"existingAccountNumber": "A00000001"}, 58730030),  # together with newAccount
    ({"newAccount": None}, 58730022),  # neither
    ({"status": "Pending"}, 58730020),
    ({"subscriptions": []}, 58730022),
    ({"customFields": {"Channel": "web"}}, 58740021),
    ({"newAccount": new_account(name="")}, 58730020),
    ({"newAccount": new_account(billCycleDay=None)}, 58730022),
    ({"newAccount": new_account(billToContact={"firstName": "Ana"})}, 58730022),
    ({"newAccount": new_account(postal="zipCode")}, 58730021),  # POST /v1/accounts' spelling
    ({"newAccount": new_account(currency="EUR")}, 53110030),  # the plan is priced in USD
])
def test_invalid_orders_are_refused_with_http_200(zuora, change, code):
    response = zuora.call("POST", "/v1/orders", order_body(**change))

    assert response.status_code == 200
    assert reasons(response) == [code]
    assert zuora.control()["orders"] == 0 and zuora.control()["accounts"] == 0


def test_unknown_rate_plan_and_charge_are_refused(zuora):
    unknown = "8a8aa0f1" + "0" * 24
    unknown_plan = zuora.call("POST", "/v1/orders", order_body({"productRatePlanId": unknown}))
    assert reasons(unknown_plan) == [53110040]
    assert unknown in unknown_plan.json()["reasons"][0]["message"]

    plan = rate_plan_entry("PRO-MONTHLY")
    plan["chargeOverrides"][0]["productRatePlanChargeId"] = "8a8aa0f1" + "f" * 24
    assert reasons(zuora.call("POST", "/v1/orders", order_body(plan))) == [53120040]


def test_bad_quantity_is_refused(zuora):
    assert reasons(zuora.call("POST", "/v1/orders", order_body(
        rate_plan_entry("PRO-MONTHLY", 0)))) == [53120020]


def test_a_discount_override_on_a_per_unit_charge_is_refused(zuora):
    plan = rate_plan_entry("PRO-MONTHLY", 1)
    plan["chargeOverrides"][0]["pricing"]["discount"] = {"discountPercentage": 10}
    assert reasons(zuora.call("POST", "/v1/orders", order_body(plan))) == [53120030]


def test_a_subscription_payment_term_needs_flexible_billing_attributes(zuora):
    body = order_body()
    body["subscriptions"][0]["orderActions"][0]["createSubscription"]["paymentTerm"] = "Net 45"
    assert reasons(zuora.call("POST", "/v1/orders", body)) == [53100021]

    zuora.control(flexible_billing=True)
    zuora.ok("POST", "/v1/orders", body)


def test_billing_periods_are_spelled_as_zuora_spells_them(zuora):
    def with_period(period):
        plan = rate_plan_entry("PRO-MONTHLY", 1)
        plan["chargeOverrides"][0]["billing"] = {"billingPeriod": period}
        return zuora.call("POST", "/v1/orders", order_body(plan))

    assert reasons(with_period("Semi-Annual")) == [58730020]
    assert with_period("Semi_Annual").json()["success"] is True


def test_no_unique_token_is_invented(zuora):
    created = zuora.ok("POST", "/v1/orders", order_body(rate_plan_entry("PRO-MONTHLY", 1)))
    plan = lines(zuora.ok("GET", f"/v1/orders/{created['orderNumber']}")["order"])[0]
    assert "uniqueToken" not in plan


def test_unknown_existing_account_is_refused(zuora):
    body = order_body(existingAccountNumber="A09999999", newAccount=None)
    assert reasons(zuora.call("POST", "/v1/orders", body)) == [52010040]


def test_malformed_json_is_a_400(zuora):
    response = zuora.client.post("/sandbox/zuora/v1/orders", "{not json",
                                 content_type="application/json",
                                 headers={"Authorization": f"Bearer {zuora.token}"})
    assert response.status_code == 400 and reasons(response) == [50000090]


def test_update_replaces_a_drafts_lines_and_keeps_named_ones(zuora):
    created = zuora.ok("POST", "/v1/orders", order_body(
        rate_plan_entry("PRO-MONTHLY", 3, uniqueToken="pro"), status="Draft"))
    number = created["orderNumber"]
    kept = lines(zuora.ok("GET", f"/v1/orders/{number}")["order"])[0]["uniqueToken"]
    body = {"orderDate": "2026-11-24", "existingAccountNumber": created["accountNumber"],
            "customFields": {"Channel__c": "sales"},
            "subscriptions": subscribe(rate_plan_entry("PRO-MONTHLY", 5, uniqueToken=kept),
                                       rate_plan_entry("ADDON-SEATS", 4))}

    assert zuora.ok("PUT", f"/v1/orders/{number}", body)["status"] == "Draft"
    order = zuora.ok("GET", f"/v1/orders/{number}")["order"]
    pro, seats = lines(order)
    assert pro["uniqueToken"] == kept
    assert pro["chargeOverrides"][0]["pricing"]["recurringPerUnit"]["quantity"] == 5
    assert seats["chargeOverrides"][0]["pricing"]["recurringPerUnit"]["quantity"] == 4
    assert order["orderDate"] == "2026-11-24" and order["customFields"] == {"Channel__c": "sales"}


def test_only_drafts_can_be_updated_activated_or_cancelled(zuora):
    completed = zuora.ok("POST", "/v1/orders", order_body())
    number = completed["orderNumber"]
    body = {"orderDate": "2026-11-24", "subscriptions": subscribe(rate_plan_entry("PRO-MONTHLY"))}

    assert reasons(zuora.call("PUT", f"/v1/orders/{number}", body)) == [58730030]
    assert reasons(zuora.call("PUT", f"/v1/orders/{number}/activate")) == [58730030]
    assert reasons(zuora.call("PUT", f"/v1/orders/{number}/cancel")) == [58730030]


def test_activate_cancel_and_delete_a_draft(zuora):
    first = zuora.ok("POST", "/v1/orders", order_body(status="Draft"))["orderNumber"]
    second = zuora.ok("POST", "/v1/orders", order_body(status="Draft"))["orderNumber"]

    assert zuora.ok("PUT", f"/v1/orders/{first}/activate")["status"] == "Completed"
    assert zuora.ok("GET", f"/v1/orders/{first}")["order"]["status"] == "Completed"
    cancelled = zuora.ok("PUT", f"/v1/orders/{second}/cancel", {"cancelReason": "abandoned"})
    assert cancelled["status"] == "Cancelled"

    zuora.ok("DELETE", f"/v1/orders/{second}")
    gone = zuora.call("GET", f"/v1/orders/{second}")
    assert gone.status_code == 404 and reasons(gone) == [50000040]
    assert reasons(zuora.call("DELETE", f"/v1/orders/{second}")) == [50000040]


def test_list_orders_filters_by_status_and_pages(zuora):
    for status in ("Draft", "Draft", "Draft", None):
        zuora.ok("POST", "/v1/orders", order_body(status=status) if status else order_body())

    page = zuora.ok("GET", "/v1/orders?status=Draft&pageSize=2")
    assert [o["status"] for o in page["orders"]] == ["Draft", "Draft"]
    assert "page=2" in page["nextPage"]
    rest = zuora.client.get(page["nextPage"], headers={"Authorization": f"Bearer {zuora.token}"})
    assert len(rest.json()["orders"]) == 1 and "nextPage" not in rest.json()
    assert len(zuora.ok("GET", "/v1/orders?status=Completed")["orders"]) == 1


def test_every_change_emits_a_webhook(zuora):
    number = zuora.ok("POST", "/v1/orders", order_body(status="Draft"))["orderNumber"]
    zuora.ok("PUT", f"/v1/orders/{number}/activate")
    zuora.ok("DELETE", f"/v1/orders/{number}")

    events = list(Delivery.objects.values_list("provider", "event_type"))
    assert events == [("zuora", "customer.created"), ("zuora", "order.created"),
                      ("zuora", "order.activated"), ("zuora", "order.deleted")]


def test_a_refused_order_emits_nothing(zuora):
    zuora.call("POST", "/v1/orders", order_body({"productRatePlanId": "nope"}))
    assert not Delivery.objects.exists()
