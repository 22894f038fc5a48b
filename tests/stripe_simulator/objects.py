"""Builders of Stripe-shaped objects.

Each builder returns a plain JSON-ready dict carrying every field Stripe's own
example object has (the fidelity test checks this against Stripe's
``fixtures3.json``), with the same JSON types.  Fields the simulator has no
story for are present and ``null``, as Stripe shows them when unused.
"""

import copy
import hashlib

from . import ids

NULL_ADDRESS = {
    "city": None,
    "country": None,
    "line1": None,
    "line2": None,
    "postal_code": None,
    "state": None,
}


def address(values=None):
    result = dict(NULL_ADDRESS)
    result.update(values or {})
    return result


def billing_details(values=None):
    values = values or {}
    return {
        "address": address(values.get("address")),
        "email": values.get("email"),
        "name": values.get("name"),
        "phone": values.get("phone"),
        "tax_id": values.get("tax_id"),
    }


def fingerprint(number):
    """Stable per card number, like Stripe's (same card, same fingerprint)."""
    digest = hashlib.sha256(f"stripe-simulator:{number}".encode()).hexdigest()
    return "".join(c for c in digest if c.isalnum())[:16]


def snapshot(obj):
    return copy.deepcopy(obj)


def list_envelope(items, url, has_more=False):
    return {"object": "list", "data": items, "has_more": has_more, "url": url}


def search_envelope(items, url, has_more=False, next_page=None):
    return {
        "object": "search_result",
        "data": items,
        "has_more": has_more,
        "next_page": next_page,
        "url": url,
    }


def deleted(obj, *extra_fields):
    result = {"id": obj["id"], "object": obj["object"], "deleted": True}
    for name in extra_fields:
        result[name] = obj[name]
    return result


# Terminal ---------------------------------------------------------------------


def location(values):
    obj = {
        "id": ids.new_object_id("terminal.location"),
        "object": "terminal.location",
        "address": address(values.get("address")),
        "display_name": values.get("display_name"),
        "livemode": False,
        "metadata": values.get("metadata") or {},
    }
    for optional in (
        "configuration_overrides",
        "phone",
        "address_kana",
        "address_kanji",
        "display_name_kana",
        "display_name_kanji",
    ):
        if values.get(optional) is not None:
            obj[optional] = values[optional]
    return obj


def reader(
    device_type, serial_number, label, location_id, metadata, status, ip_address, software_version
):
    return {
        "id": ids.new_object_id("terminal.reader"),
        "object": "terminal.reader",
        "action": None,
        "device_sw_version": software_version,
        "device_type": device_type,
        "ip_address": ip_address,
        "label": label,
        "last_seen_at": ids.now_ms() if status == "online" else None,
        "livemode": False,
        "location": location_id,
        "metadata": metadata or {},
        "serial_number": serial_number,
        "status": status,
    }


def reader_action(action_type, payload, status="in_progress"):
    return {
        "api_error": None,
        "failure_code": None,
        "failure_message": None,
        action_type: payload,
        "status": status,
        "type": action_type,
    }


# Customers and payment methods ------------------------------------------------


def customer(values):
    return {
        "id": ids.new_object_id("customer"),
        "object": "customer",
        "address": address(values["address"]) if values.get("address") else None,
        "balance": values.get("balance") or 0,
        "created": ids.now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": values.get("description"),
        "discount": None,
        "email": values.get("email"),
        "invoice_prefix": values.get("invoice_prefix") or ids.random_token(8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": values.get("metadata") or {},
        "name": values.get("name"),
        "next_invoice_sequence": 1,
        "phone": values.get("phone"),
        "preferred_locales": values.get("preferred_locales") or [],
        "shipping": values.get("shipping"),
        "tax_exempt": values.get("tax_exempt") or "none",
        "test_clock": None,
    }


def _payment_method(method_type, details, customer_id=None, allow_redisplay=None):
    return {
        "id": ids.new_object_id("payment_method"),
        "object": "payment_method",
        "allow_redisplay": allow_redisplay or "unspecified",
        "billing_details": billing_details(),
        method_type: details,
        "created": ids.now(),
        "customer": customer_id,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "type": method_type,
    }


def present_card_details(card, number, exp_month, exp_year, read_method):
    """The ``card_present`` / ``interac_present`` hash of a PaymentMethod."""
    return {
        "brand": card.brand,
        "brand_product": None,
        "cardholder_name": None,
        "country": card.country,
        "description": None,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": fingerprint(number),
        "funding": card.funding,
        "iin": None,
        "issuer": None,
        "last4": number[-4:],
        "networks": {"available": [card.network], "preferred": None},
        "offline": None,
        "preferred_locales": ["en"],
        "read_method": read_method,
        "wallet": {"type": "none"} if read_method == "contactless_emv" else None,
    }


def present_payment_method(method_type, card, number, exp_month, exp_year, read_method):
    details = present_card_details(card, number, exp_month, exp_year, read_method)
    if method_type == "interac_present":
        details.pop("wallet")
        details.pop("offline")
    return _payment_method(method_type, details)


def card_payment_method(
    card,
    number,
    exp_month,
    exp_year,
    *,
    customer_id=None,
    generated_from=None,
    allow_redisplay=None,
    cvc_check=None,
):
    details = {
        "brand": card.brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": cvc_check,
        },
        "country": card.country,
        "display_brand": card.brand.replace("_", " ") if card.brand != "eftpos_au" else "eftpos",
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": fingerprint(number),
        "funding": card.funding,
        "generated_from": generated_from,
        "last4": number[-4:],
        "networks": {"available": [card.network], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }
    return _payment_method("card", details, customer_id, allow_redisplay)


# Payments ---------------------------------------------------------------------


def payment_intent(values):
    intent_id = ids.new_object_id("payment_intent")
    return {
        "id": intent_id,
        "object": "payment_intent",
        "allowed_payment_method_types": values.get("allowed_payment_method_types"),
        "amount": values["amount"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": values.get("application_fee_amount"),
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": values.get("capture_method") or "automatic",
        "client_secret": f"{intent_id}_secret_{ids.random_token(25)}",
        "confirmation_method": values.get("confirmation_method") or "automatic",
        "created": ids.now(),
        "currency": values["currency"],
        "customer": values.get("customer"),
        "customer_account": None,
        "description": values.get("description"),
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": values.get("metadata") or {},
        "next_action": None,
        "on_behalf_of": values.get("on_behalf_of"),
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": values["payment_method_options"],
        "payment_method_types": values["payment_method_types"],
        "processing": None,
        "receipt_email": values.get("receipt_email"),
        "review": None,
        "setup_future_usage": values.get("setup_future_usage"),
        "shipping": values.get("shipping"),
        "source": None,
        "statement_descriptor": values.get("statement_descriptor"),
        "statement_descriptor_suffix": values.get("statement_descriptor_suffix"),
        "status": "requires_payment_method",
        "transfer_data": values.get("transfer_data"),
        "transfer_group": values.get("transfer_group"),
    }


def payment_method_options(types, requested):
    """What Stripe echoes back for each allowed payment method type."""
    requested = requested or {}
    options = {}
    if "card_present" in types:
        options["card_present"] = {
            "request_extended_authorization": False,
            "request_incremental_authorization_support": False,
            **(requested.get("card_present") or {}),
        }
    if "interac_present" in types:
        options["interac_present"] = {}
    if "card" in types:
        options["card"] = {
            "installments": None,
            "mandate_options": None,
            "network": None,
            "request_three_d_secure": "automatic",
            **(requested.get("card") or {}),
        }
    return options


def charge_outcome(decline=None):
    if decline is None:
        return {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "not_assessed",
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    never_retry = decline.decline_code in (
        "lost_card",
        "stolen_card",
        "pickup_card",
        "fraudulent",
        "do_not_try_again",
    )
    return {
        "advice_code": "do_not_try_again" if never_retry else None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "declined_by_network",
        "reason": decline.decline_code,
        "risk_level": "not_assessed",
        "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    }


def charge(intent, payment_method, method_details, *, decline=None, captured=False):
    charge_id = ids.new_object_id("charge")
    succeeded = decline is None
    return {
        "id": charge_id,
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if succeeded and captured else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": intent["application_fee_amount"],
        "balance_transaction": ids.new_id("txn") if succeeded and captured else None,
        "billing_details": billing_details(),
        "calculated_statement_descriptor": "SIMULATOR* "
        + (intent["statement_descriptor_suffix"] or "STRIPE")[:10],
        "captured": succeeded and captured,
        "created": ids.now(),
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None if succeeded else decline.code,
        "failure_message": None if succeeded else decline.message,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": intent["on_behalf_of"],
        "outcome": charge_outcome(decline),
        "paid": succeeded,
        "payment_intent": intent["id"],
        "payment_method": payment_method["id"],
        "payment_method_details": method_details,
        "receipt_email": intent["receipt_email"],
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{ids.random_token(40)}",
        "refunded": False,
        # No `refunds`: includable only (expand[]=refunds) since 2022-11-15, see versions.py.
        "review": None,
        "shipping": intent["shipping"],
        "source": None,
        "source_transfer": None,
        "statement_descriptor": intent["statement_descriptor"],
        "statement_descriptor_suffix": intent["statement_descriptor_suffix"],
        "status": "succeeded" if succeeded else "failed",
        "transfer_data": None,
        "transfer_group": intent["transfer_group"],
    }


def receipt(card, read_method):
    """The EMV receipt fields of a card-present charge (made-up test values)."""
    account_type = {"credit": "credit", "debit": "checking", "prepaid": "prepaid"}.get(
        card.funding, "unknown"
    )
    aid = {
        "visa": "A0000000031010",
        "mastercard": "A0000000041010",
        "amex": "A00000002501",
        "discover": "A0000001523010",
        "interac": "A0000002771010",
    }.get(card.brand, "A0000000000000")
    return {
        "account_type": account_type,
        "application_cryptogram": ids.random_token(16).upper(),
        "application_preferred_name": f"{card.brand.title()} {card.funding.title()}",
        "authorization_code": f"{ids.random_token(6).upper()}",
        "authorization_response_code": "3030",
        "cardholder_verification_method": card.verification,
        "dedicated_file_name": aid,
        "terminal_verification_results": "0000008000"
        if read_method == "contact_emv"
        else "0000000000",
        "transaction_status_information": "6800" if read_method == "contact_emv" else "0000",
    }


def present_charge_details(
    method_type,
    card,
    number,
    exp_month,
    exp_year,
    read_method,
    *,
    amount_authorized,
    capture_before,
    generated_card,
    reader_id,
):
    """``payment_method_details`` of a card_present / interac_present charge."""
    details = {
        "amount_authorized": amount_authorized,
        "brand": card.brand,
        "brand_product": None,
        "capture_before": capture_before,
        "cardholder_name": None,
        "country": card.country,
        "description": None,
        "emv_auth_data": ids.random_token(24).upper(),
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": fingerprint(number),
        "funding": card.funding,
        "generated_card": generated_card,
        "iin": None,
        "incremental_authorization_supported": False,
        "issuer": None,
        "last4": number[-4:],
        "location": None,
        "network": card.network,
        "network_transaction_id": ids.random_token(15).upper(),
        "offline": None,
        "overcapture_supported": False,
        "preferred_locales": ["en"],
        "read_method": read_method,
        "reader": reader_id,
        "receipt": receipt(card, read_method),
        "wallet": {"type": "none"} if read_method == "contactless_emv" else None,
    }
    if method_type == "interac_present":
        for name in (
            "amount_authorized",
            "capture_before",
            "offline",
            "incremental_authorization_supported",
            "overcapture_supported",
            "wallet",
        ):
            details.pop(name)
    return {method_type: details, "type": method_type}


def card_charge_details(card, number, exp_month, exp_year, *, amount, moto, cvc_check):
    """``payment_method_details`` of a card-not-present (``card``) charge."""
    return {
        "card": {
            "amount_authorized": amount,
            "authorization_code": ids.random_token(6).upper(),
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": cvc_check,
            },
            "country": card.country,
            "exp_month": exp_month,
            "exp_year": exp_year,
            "extended_authorization": {"status": "disabled"},
            "fingerprint": fingerprint(number),
            "funding": card.funding,
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": number[-4:],
            "mandate": None,
            "moto": True if moto else None,
            "multicapture": {"status": "unavailable"},
            "network": card.network,
            "network_token": {"used": False},
            "network_transaction_id": ids.random_token(15).upper(),
            "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
            "regulated_status": "unregulated",
            "three_d_secure": None,
            "transaction_link_id": None,
            "wallet": None,
        },
        "type": "card",
    }


def refund(charge_obj, amount, reason, metadata):
    return {
        "id": ids.new_object_id("refund"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": ids.new_id("txn"),
        "charge": charge_obj["id"],
        "created": ids.now(),
        "currency": charge_obj["currency"],
        "customer": charge_obj["customer"],
        "customer_account": None,
        "destination_details": {
            "card": {
                "reference": ids.random_token(23).upper(),
                "reference_status": "available",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": metadata or {},
        "payment_intent": charge_obj["payment_intent"],
        "payment_method": charge_obj["payment_method"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


# Setup ------------------------------------------------------------------------


def setup_intent(values):
    intent_id = ids.new_object_id("setup_intent")
    return {
        "id": intent_id,
        "object": "setup_intent",
        "allowed_payment_method_types": values.get("allowed_payment_method_types"),
        "application": None,
        "automatic_payment_methods": None,
        "cancellation_reason": None,
        "client_secret": f"{intent_id}_secret_{ids.random_token(32)}",
        "created": ids.now(),
        "customer": values.get("customer"),
        "description": values.get("description"),
        "excluded_payment_method_types": None,
        "flow_directions": None,
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "mandate": None,
        "metadata": values.get("metadata") or {},
        "next_action": None,
        "on_behalf_of": values.get("on_behalf_of"),
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": values["payment_method_options"],
        "payment_method_types": values["payment_method_types"],
        "single_use_mandate": None,
        "status": "requires_payment_method",
        "usage": values.get("usage") or "off_session",
    }


def setup_attempt(intent, payment_method, method_details, *, error=None):
    return {
        "id": ids.new_object_id("setup_attempt"),
        "object": "setup_attempt",
        "application": None,
        "attach_to_self": False,
        "created": ids.now(),
        "customer": intent["customer"],
        "customer_account": None,
        "flow_directions": None,
        "livemode": False,
        "on_behalf_of": intent["on_behalf_of"],
        "payment_method": payment_method["id"],
        "payment_method_details": method_details,
        "setup_error": error,
        "setup_intent": intent["id"],
        "status": "failed" if error else "succeeded",
        "usage": intent["usage"],
    }


# Events and webhook endpoints -------------------------------------------------


def event(event_type, obj, *, api_version, request_id, idempotency_key, previous_attributes=None):
    data = {"object": snapshot(obj)}
    if previous_attributes:
        data["previous_attributes"] = previous_attributes
    return {
        "id": ids.new_object_id("event"),
        "object": "event",
        "api_version": api_version,
        "created": ids.now(),
        "data": data,
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }


def webhook_endpoint(values):
    return {
        "id": ids.new_object_id("webhook_endpoint"),
        "object": "webhook_endpoint",
        # None: events are rendered in the account's default version (as for an endpoint made
        # in the Dashboard without choosing one).
        "api_version": values.get("api_version"),
        "application": None,
        "created": ids.now(),
        "description": values.get("description"),
        "enabled_events": values["enabled_events"],
        "livemode": False,
        "metadata": values.get("metadata") or {},
        "status": "enabled",
        "url": values["url"],
    }
