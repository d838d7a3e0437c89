"""The emulator's product catalog: the SKUs every sandbox sells, seeded on first use (test
databases are flushed between tests, so there is no data migration)."""
from decimal import Decimal

from django.db import IntegrityError, transaction

from sandbox.zuora.models import RatePlan

SEED = [
    # sku, product name, rate plan name, list price (USD per unit), billing period
    ("PRO-MONTHLY", "Pro", "Pro Monthly", Decimal("49.00"), "Month"),
    ("TEAM-ANNUAL", "Team", "Team Annual", Decimal("990.00"), "Annual"),
    ("ADDON-SEATS", "Additional Seats", "Seats Monthly", Decimal("10.00"), "Month"),
]


def ensure_seeded() -> None:
    if RatePlan.objects.exists():
        return
    try:
        with transaction.atomic():
            for n, (sku, product, plan, price, period) in enumerate(SEED, start=1):
                RatePlan.objects.create(
                    sku=sku, product_number=f"PC-{n:08d}", product_name=product,
                    rate_plan_number=f"PRP-{n:08d}", rate_plan_name=plan,
                    charge_number=f"PRPC-{n:08d}", list_price=price, billing_period=period)
    except IntegrityError:  # another request seeded it at the same moment
        pass


def rate_plan(*, plan_id: str = "", plan_number: str = "") -> RatePlan | None:
    ensure_seeded()
    if plan_id:
        return RatePlan.objects.filter(rate_plan_id=plan_id).first()
    return RatePlan.objects.filter(rate_plan_number=plan_number).first()


def product_json(plan: RatePlan) -> dict:
    """A product as `GET /v1/catalog/products` lists it."""
    return {
        "id": plan.product_id, "sku": plan.sku, "name": plan.product_name,
        "productNumber": plan.product_number, "description": "", "category": "Base Products",
        "effectiveStartDate": "2020-01-01", "effectiveEndDate": "2099-12-31",
        "productRatePlans": [{
            "id": plan.rate_plan_id, "name": plan.rate_plan_name, "status": "Active",
            "productRatePlanNumber": plan.rate_plan_number, "description": "",
            "effectiveStartDate": "2020-01-01", "effectiveEndDate": "2099-12-31",
            "productRatePlanCharges": [{
                "id": plan.charge_id, "name": plan.rate_plan_name,
                "productRatePlanChargeNumber": plan.charge_number,
                "type": "Recurring", "model": "PerUnit", "uom": "Each", "defaultQuantity": "1",
                "billingPeriod": plan.billing_period, "billingDay": "DefaultFromCustomer",
                "pricing": [{"currency": plan.currency, "price": str(plan.list_price)}],
            }],
        }],
    }


def products() -> list[dict]:
    ensure_seeded()
    return [product_json(plan) for plan in RatePlan.objects.all()]
