"""Validation of the Orders API request body, the way Zuora validates it, into the normalised
`subscriptions` the emulator stores (catalog ids, prices, quantities and periods filled in).

Only the `CreateSubscription` order action is supported: it is what the hub sends.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sandbox.zuora import catalog, errors
from sandbox.zuora.accounts import check_custom_fields, check_payment_term
from sandbox.zuora.errors import ZuoraError
from sandbox.zuora.models import Control, RatePlan

# Zuora's spelling (`BillingPeriod` in its OpenAPI document); `schema` refuses any other.
BILLING_PERIODS = {"Month", "Quarter", "Semi_Annual", "Annual"}
ORDER_STATUSES = {None: "Completed", "Completed": "Completed", "Draft": "Draft"}


def parse_order_date(value) -> dt.date:
    if value in (None, ""):
        raise errors.missing(errors.ORDER, "orderDate")
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise errors.invalid(errors.ORDER, f"Invalid value for field orderDate: {value}") from None


def order_status(value) -> str:
    if value not in ORDER_STATUSES:
        raise errors.invalid(errors.ORDER, f"Invalid value for field status: {value}. "
                                           "Allowed values: Draft, Completed")
    return ORDER_STATUSES[value]


def subscriptions(value, currency: str, order_date: dt.date) -> list[dict]:
    if not value:
        raise errors.missing(errors.ORDER, "subscriptions")
    if not isinstance(value, list):
        raise errors.invalid(errors.ORDER, "'subscriptions' must be an array")
    result = [_subscription(sub, currency, order_date) for sub in value]
    tokens = [plan["uniqueToken"] for sub in result for action in sub["orderActions"]
              for plan in action["createSubscription"]["subscribeToRatePlans"]
              if plan.get("uniqueToken")]
    if len(tokens) != len(set(tokens)):
        raise ZuoraError(errors.RATE_PLAN, errors.RULE_VIOLATION,
                         "The uniqueToken of each rate plan in an order must be unique")
    return result


def _subscription(sub, currency: str, order_date: dt.date) -> dict:
    if not isinstance(sub, dict):
        raise errors.invalid(errors.SUBSCRIPTION, "Each subscription must be an object")
    actions = sub.get("orderActions")
    if not actions or not isinstance(actions, list):
        raise errors.missing(errors.SUBSCRIPTION, "orderActions")
    return {"customFields": check_custom_fields(sub.get("customFields") or {}),
            "orderActions": [_action(a, n, currency, order_date) for n, a in enumerate(actions)]}


def _action(action, sequence: int, currency: str, order_date: dt.date) -> dict:
    if not isinstance(action, dict) or not action.get("type"):
        raise errors.missing(errors.SUBSCRIPTION, "orderActions.type")
    if action["type"] != "CreateSubscription":
        raise errors.invalid(errors.SUBSCRIPTION, f"Order action type '{action['type']}' is not "
                                                  "supported by this tenant")
    create = action.get("createSubscription")
    if not isinstance(create, dict):
        raise errors.missing(errors.SUBSCRIPTION, "createSubscription")
    plans = create.get("subscribeToRatePlans")
    if not plans or not isinstance(plans, list):
        raise errors.missing(errors.SUBSCRIPTION, "subscribeToRatePlans")
    normalised = {
        "terms": create.get("terms") or {"initialTerm": {"termType": "EVERGREEN"}},
        "subscribeToRatePlans": [_rate_plan(plan, currency) for plan in plans],
    }
    if create.get("paymentTerm") is not None:
        # The refusal's code is assumed (docs/vendor-assumptions.md, Zuora).
        if not Control.load().flexible_billing:
            raise ZuoraError(errors.SUBSCRIPTION, errors.UNKNOWN_FIELD, "The field 'paymentTerm' "
                             "is only available with the Flexible Billing Attributes feature")
        normalised["paymentTerm"] = check_payment_term(create["paymentTerm"], errors.SUBSCRIPTION)
    triggers = action.get("triggerDates") or [
        {"name": name, "triggerDate": order_date.isoformat()}
        for name in ("ContractEffective", "ServiceActivation", "CustomerAcceptance")]
    return {"type": "CreateSubscription", "sequence": sequence, "triggerDates": triggers,
            "createSubscription": normalised}


def _rate_plan(value, currency: str) -> dict:
    if not isinstance(value, dict):
        raise errors.invalid(errors.RATE_PLAN, "Each rate plan must be an object")
    plan_id, plan_number = value.get("productRatePlanId"), value.get("productRatePlanNumber")
    if not plan_id and not plan_number:
        raise errors.missing(errors.RATE_PLAN, "productRatePlanId")
    plan = catalog.rate_plan(plan_id=plan_id or "", plan_number=plan_number or "")
    if plan is None:
        raise ZuoraError(errors.RATE_PLAN, errors.NOT_FOUND,
                         f"Invalid product rate plan: '{plan_id or plan_number}'")
    if plan.currency != currency:
        raise ZuoraError(errors.RATE_PLAN, errors.RULE_VIOLATION, f"The currency {currency} is "
                         f"not supported by product rate plan {plan.rate_plan_number}")
    overrides = value.get("chargeOverrides") or []
    if not isinstance(overrides, list) or len(overrides) > 1:
        raise ZuoraError(errors.CHARGE, errors.RULE_VIOLATION,
                         f"Product rate plan {plan.rate_plan_number} has exactly one charge")
    normalised = {
        "productRatePlanId": plan.rate_plan_id,
        "productRatePlanNumber": plan.rate_plan_number,
        "customFields": check_custom_fields(value.get("customFields") or {}),
        "chargeOverrides": [_charge(overrides[0] if overrides else None, plan)],
    }
    if value.get("uniqueToken"):  # the caller's name for the rate plan; Zuora invents none
        normalised["uniqueToken"] = str(value["uniqueToken"])
    return normalised


def _charge(override, plan: RatePlan) -> dict:
    override = override if override is not None else {
        "productRatePlanChargeId": plan.charge_id}
    if not isinstance(override, dict):
        raise errors.invalid(errors.CHARGE, "Each charge override must be an object")
    charge_id = override.get("productRatePlanChargeId")
    charge_number = override.get("productRatePlanChargeNumber")
    if not charge_id and not charge_number:
        raise errors.missing(errors.CHARGE, "productRatePlanChargeId")
    if charge_id != plan.charge_id and (charge_id or charge_number != plan.charge_number):
        raise ZuoraError(errors.CHARGE, errors.NOT_FOUND,
                         f"Invalid product rate plan charge: '{charge_id or charge_number}'")
    pricing = override.get("pricing") or {}
    per_unit = pricing.get("recurringPerUnit") or {}
    quantity = _number(per_unit.get("quantity", 1), "quantity", minimum=Decimal("0"),
                       exclusive=True)
    list_price = _number(per_unit.get("listPrice", plan.list_price), "listPrice")
    billing = override.get("billing") or {}
    period = billing.get("billingPeriod") or plan.billing_period
    if period not in BILLING_PERIODS:
        raise errors.invalid(errors.CHARGE, f"Invalid value for field billingPeriod: {period}")
    result = {
        "productRatePlanChargeId": plan.charge_id,
        "productRatePlanChargeNumber": plan.charge_number,
        "billing": {"billingPeriod": period},
        "pricing": {"recurringPerUnit": {"listPrice": _json_number(list_price),
                                         "quantity": _json_number(quantity)}},
    }
    if billing.get("billCycleDay") is not None:
        day = billing["billCycleDay"]
        if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 31:
            raise errors.invalid(errors.CHARGE, f"Invalid value for field billCycleDay: {day}")
        result["billing"].update(billCycleType="SpecificDayofMonth", billCycleDay=day)
    if pricing.get("discount") is not None:
        # A discount pricing override applies to a discount charge; every charge of this catalog
        # is a per-unit charge, whose price is overridden with `recurringPerUnit.listPrice`.
        raise ZuoraError(errors.CHARGE, errors.RULE_VIOLATION, "The discount pricing override "
                         f"is only valid for discount charges; charge {plan.charge_number} uses "
                         "the PerUnit charge model")
    return result


def _number(value, field: str, *, minimum=Decimal("0"), maximum=None, exclusive=False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise errors.invalid(errors.CHARGE, f"Invalid value for field {field}: {value!r}")
    number = Decimal(str(value))
    too_low = number <= minimum if exclusive else number < minimum
    if too_low or (maximum is not None and number > maximum):
        raise errors.invalid(errors.CHARGE, f"Invalid value for field {field}: {value}")
    return number


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
