"""The emulator's records in Nue's JSON shapes (camelCase, ids as UUID strings, numbers as JSON
numbers, dates ISO 8601). Custom fields (`Name__c`) sit beside the standard fields, as in Nue."""
from django.urls import reverse


def _num(value):
    return None if value is None else float(value)


def _date(value):
    return value.isoformat() if value else None


def _stamp(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def _address(record) -> dict:
    return {"billingStreet": record.billing_street or None,
            "billingCity": record.billing_city or None,
            "billingState": record.billing_state or None,
            "billingPostalCode": record.billing_postal_code or None,
            "billingCountry": record.billing_country or None}


def contact_json(contact) -> dict:
    return {"id": contact.id, "customerId": contact.customer_id, "name": contact.name,
            "firstName": contact.first_name, "lastName": contact.last_name, "email": contact.email,
            "phone": contact.phone or None, **_address(contact),
            "createdDate": _stamp(contact.created_date)}


def customer_json(customer) -> dict:
    return {
        "id": customer.id, "accountNumber": customer.account_number, "name": customer.name,
        "recordType": customer.record_type, "email": customer.email or None,
        "phone": customer.phone or None,
        "currencyIsoCode": customer.currency, "externalId": customer.external_id or None,
        **_address(customer),
        "paymentTerm": customer.payment_term or None, "billCycleDay": customer.bill_cycle_day,
        "billToContactId": customer.bill_to_contact_id,
        "orderPrimaryContactId": customer.primary_contact_id,
        "contacts": [contact_json(c) for c in customer.contacts.all()],
        "createdDate": _stamp(customer.created_date),
        "lastModifiedDate": _stamp(customer.last_modified_date),
    }


def product_json(product) -> dict:
    return {
        "id": product.id, "name": product.name, "sku": product.sku, "recordType": "Product",
        "status": "Active", "soldIndependently": True, "configurable": False,
        "priceBookEntries": [{
            "id": product.price_book_entry_id, "productId": product.id, "active": True,
            "listPrice": _num(product.list_price), "currencyIsoCode": product.currency,
            "billingPeriod": product.billing_period, "uom": {"name": product.uom},
        }],
    }


def order_product_json(line) -> dict:
    product = line.product
    return {
        "id": line.id, "orderId": line.order_id, "productId": product.id,
        "productSku": product.sku, "productName": product.name,
        "priceBookEntryId": product.price_book_entry_id, "uom": product.uom,
        "description": line.description or None, "quantity": _num(line.quantity),
        "listPrice": _num(line.list_price),
        "discount": _num(line.discount), "discountAmount": _num(line.discount_amount),
        "netSalesPrice": _num(line.net_sales_price),
        "listTotalPrice": _num(line.list_price * line.quantity),
        "totalPrice": _num(round(line.net_sales_price * line.quantity, 2)),
        "subscriptionStartDate": _date(line.subscription_start_date),
        "subscriptionTerm": line.subscription_term, "billingPeriod": line.billing_period,
        **line.custom_fields,
    }


def checkout_url(request, order) -> str:
    return request.build_absolute_uri(reverse("sandbox_nue:checkout", args=[order.id]))


def order_json(order, request) -> dict:
    lines = list(order.order_products.select_related("product"))
    list_total = sum((line.list_price * line.quantity for line in lines), 0)
    total = sum((round(line.net_sales_price * line.quantity, 2) for line in lines), 0)
    return {
        "id": order.id, "orderNumber": order.order_number, "name": order.name or None,
        "description": order.description or None, "status": order.status,
        "customerId": order.customer_id, "billToContactId": order.bill_to_contact_id,
        "currencyIsoCode": order.currency, "effectiveDate": _date(order.effective_date),
        "orderStartDate": _date(order.effective_date),
        "orderPlacedDate": _stamp(order.activated_date),
        "canceledDate": _stamp(order.canceled_date),
        "billingPeriod": order.billing_period, "paymentTerm": order.payment_term,
        "billCycleDay": order.bill_cycle_day,
        "listTotal": _num(list_total), "discountAmount": _num(list_total - total),
        "subtotal": _num(total), "taxAmount": 0.0, "totalAmount": _num(total),
        "checkoutUrl": checkout_url(request, order),
        "createdDate": _stamp(order.created_date),
        "lastModifiedDate": _stamp(order.last_modified_date),
        "orderProducts": [order_product_json(line) for line in lines],
        **order.custom_fields,
    }
