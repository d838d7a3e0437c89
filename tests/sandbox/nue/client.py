"""Helpers for speaking to the Nue emulator over HTTP in tests."""
import json

import requests

from sandbox.webhooks.models import Delivery

NUE_KEY = "sandbox"


class NueApi:
    """Raw HTTP to the Nue emulator, as any Nue client would speak to it."""

    def __init__(self, base_url: str, key: str | None = NUE_KEY):
        self.base_url = base_url
        self.session = requests.Session()
        if key is not None:
            self.session.headers["nue-api-key"] = key

    def request(self, method, path, **kwargs):
        return self.session.request(method, self.base_url + path, timeout=10, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, json=body, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self.request("PATCH", path, json=body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def control(self, **body):
        return requests.post(self.base_url + "/_control", json=body, timeout=10).json()

    # --- shortcuts ---------------------------------------------------------------------------
    def entry_id(self, sku: str) -> str:
        products = self.get("/catalog/products").json()
        return next(p["priceBookEntries"][0]["id"] for p in products if p["sku"] == sku)

    def customer(self, **fields) -> dict:
        body = {"name": "Acme Inc", "recordType": "Business", "email": "ana@acme.io",
                "contacts": [{"firstName": "Ana", "lastName": "Diaz", "email": "ana@acme.io"}],
                **fields}
        response = self.post("/customers", [body])
        assert response.status_code == 201, response.text
        return response.json()["data"][0]

    def draft(self, customer_id: str, products=None, **fields) -> dict:
        body = {"customer": {"id": customer_id}, "effectiveDate": "2026-11-22",
                "orderProducts": products or [{"priceBookEntryId": self.entry_id("PRO-MONTHLY"),
                                               "quantity": 3}],
                **fields}
        response = self.post("/orders", body)
        assert response.status_code == 201, response.text
        return response.json()["data"]["order"]


def nue_events() -> list[tuple[str, dict]]:
    """(type, data) of every webhook the Nue emulator queued, oldest first."""
    return [(d.event_type, json.loads(d.payload)["data"])
            for d in Delivery.objects.filter(provider="nue").order_by("id")]


def errors_of(response) -> list[tuple[str, str | None]]:
    body = response.json()
    assert body["status"] == "failed" and body["data"] is None
    return [(e["code"], e["field"]) for e in body["errors"]]
