"""The emulator's published catalog — the same SKUs as the Zuora emulator and the Salesforce
sandbox — seeded lazily and idempotently on first use (tests flush tables between runs)."""
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.http import JsonResponse

from sandbox.nue.models import Product
from sandbox.nue.shapes import product_json

CATALOG = (
    # sku, name, list price (USD), billing period, unit of measure
    ("PRO-MONTHLY", "Pro Monthly", Decimal("49.00"), "Month", "User/Month"),
    ("TEAM-ANNUAL", "Team Annual", Decimal("990.00"), "Annual", "User/Year"),
    ("ADDON-SEATS", "Extra Seats", Decimal("10.00"), "Month", "Seat/Month"),
)


def ensure_catalog() -> None:
    if Product.objects.count() >= len(CATALOG):
        return
    for sku, name, price, period, uom in CATALOG:
        try:
            with transaction.atomic():
                Product.objects.get_or_create(sku=sku, defaults={
                    "name": name, "list_price": price, "currency": "USD", "billing_period": period,
                    "uom": uom})
        except IntegrityError:
            pass  # seeded concurrently by another request


def find_product(price_book_entry_id: str) -> Product | None:
    """The product a price book entry prices (orders name products only this way)."""
    ensure_catalog()
    return Product.objects.filter(price_book_entry_id=price_book_entry_id).first()


def list_products(request, body):
    """`GET /catalog/products`: every published product with its price book entries. Nue answers
    this one with a bare array, not the usual envelope."""
    ensure_catalog()
    return JsonResponse([product_json(p) for p in Product.objects.all()], safe=False)
