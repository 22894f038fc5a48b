"""The virtual reader: a page that shows each simulated reader's screen and presents cards.

``GET /_simulator/`` serves the page (``static/reader.html``, ``.js``, ``.css``); the page polls
``GET /_simulator/screens`` for what every reader shows, and its buttons call the same Stripe
test helper a test calls, ``POST /v1/test_helpers/terminal/readers/{id}/present_payment_method``
with the account's secret key. Two buttons have no Stripe test helper and use the control API,
as tests do: the cardholder's Cancel (``customer_cancel``) and the reader's power switch
(``online``).

The page decides nothing: the screen of a reader is computed here from the reader's action,
its PaymentIntent or charge, and what the simulator knows of the run (MOTO, customer
cancellation).
"""

import json
import threading
import time
from pathlib import Path

from . import api_terminal, money

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE_PATHS = {"/_simulator", "/_simulator/", "/_simulator/reader"}
STATIC_PREFIX = "/_simulator/static/"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

# The cards the page offers, from Stripe's Terminal testing page (stripe-terminal-api.md §4).
PRESENT_CARDS = [
    {"key": "visa", "label": "Visa", "outcome": "approved", "number": "4242424242424242"},
    {
        "key": "mastercard",
        "label": "Mastercard",
        "outcome": "approved",
        "number": "5555555555554444",
    },
    {
        "key": "pin",
        "label": "Chip + PIN",
        "outcome": "approved after PIN",
        "number": "4001000360000005",
        "asks_pin": True,
    },
    {
        "key": "interac",
        "label": "Interac",
        "outcome": "Canadian debit",
        "number": "4506445006931933",
        "type": "interac_present",
    },
    {
        "key": "generic_decline",
        "label": "Declined",
        "outcome": "generic_decline",
        "number": "4000000000000002",
    },
    {
        "key": "insufficient_funds",
        "label": "Insufficient funds",
        "outcome": "insufficient_funds",
        "number": "4000000000009995",
    },
    {
        "key": "lost_card",
        "label": "Lost card",
        "outcome": "lost_card",
        "number": "4000000000009987",
    },
    {
        "key": "stolen_card",
        "label": "Stolen card",
        "outcome": "stolen_card",
        "number": "4000000000009979",
    },
    {
        "key": "expired_card",
        "label": "Expired card",
        "outcome": "expired_card",
        "number": "4000000000000069",
    },
    {
        "key": "processing_error",
        "label": "Processing error",
        "outcome": "processing_error",
        "number": "4000000000000119",
    },
]
# Numbers the MOTO keying form proposes (online test cards).
KEYED_CARDS = [
    {"label": "Visa, approved", "number": "4242424242424242"},
    {"label": "Mastercard, approved", "number": "5555555555554444"},
    {"label": "Declined", "number": "4000000000000002"},
    {"label": "Insufficient funds", "number": "4000000000009995"},
    {"label": "Declined when keyed (0341)", "number": "4000000000000341"},
]

PAYMENT_ACTIONS = ("process_payment_intent", "collect_payment_method", "confirm_payment_intent")
# A reader shows the outcome of an action for a while, then its splash screen again (the API
# keeps the finished action on the reader object; only the screen moves on).
RESULT_SECONDS = 15
FINISH_EVENTS = ("terminal.reader.action_succeeded", "terminal.reader.action_failed")
_results_seen = {}  # reader id -> (finished action, when the page first saw it)
_results_lock = threading.Lock()


def asset(path):
    """(status, body bytes, content type) for a page path, or None if it is not one."""
    if path in PAGE_PATHS:
        name = "reader.html"
    elif path.startswith(STATIC_PREFIX):
        name = path[len(STATIC_PREFIX) :]
    else:
        return None
    file = (STATIC_DIR / name).resolve()
    if STATIC_DIR not in file.parents or not file.is_file():
        return 404, b"Not found", "text/plain; charset=utf-8"
    content_type = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
    return 200, file.read_bytes(), content_type


def screens(sim, api_key=None):
    """What every reader shows, grouped by account (the page's one data source)."""
    with sim.lock:
        accounts = []
        for account in sim.registry.accounts.values():
            if api_key and account.api_key != api_key:
                continue
            readers = [_reader_screen(account, reader) for reader in account.all("terminal.reader")]
            if readers:
                accounts.append(
                    {
                        # The page presents cards with the account's own test key, as a test
                        # does; the simulator is test mode only and listens on loopback.
                        "api_key": account.api_key,
                        "label": f"sk_test_…{account.api_key[-4:]}",
                        "readers": readers,
                    }
                )
        return {"accounts": accounts, "present_cards": PRESENT_CARDS, "keyed_cards": KEYED_CARDS}


def _reader_screen(account, reader):
    device_type = reader["device_type"]
    location = account.find(reader.get("location") or "")
    screen = {
        "id": reader["id"],
        "label": reader.get("label") or reader["id"],
        "device_type": device_type,
        "serial_number": reader.get("serial_number"),
        "location": (location or {}).get("display_name"),
        "status": reader.get("status"),
        "simulated": device_type.startswith("simulated_"),
        "server_driven": device_type not in api_terminal.SDK_ONLY_DEVICES,
        "can_power": device_type not in api_terminal.MOBILE_DEVICES,
    }
    screen.update(_what_it_shows(account, reader))
    return screen


def _what_it_shows(account, reader):
    if reader["device_type"] in api_terminal.SDK_ONLY_DEVICES:
        return {
            "kind": "unsupported",
            "title": "Not reachable from a server",
            "message": "This reader only talks to a Terminal SDK app on the same network or "
            "over Bluetooth: Stripe cannot push payments to it.",
        }
    if reader.get("status") == "offline":
        return {"kind": "offline", "title": "Offline", "message": "The reader is switched off."}
    action = reader.get("action")
    if not action:
        return {"kind": "idle", "title": "Ready", "message": "Waiting for the next payment."}
    action_type = action["type"]
    payload = action.get(action_type) or {}
    run = account.secret(reader["id"], "run") or {}
    shown = _amount_of(account, action_type, payload)
    if action["status"] == "in_progress":
        return dict(shown, **_in_progress(account, action_type, payload, run))
    # A cart stays on screen until the next action replaces it.
    if action_type != "set_reader_display" and not _result_still_shown(account, reader, action):
        return {"kind": "idle", "title": "Ready", "message": "Waiting for the next payment."}
    if action["status"] == "succeeded":
        return dict(shown, **_succeeded(account, action_type, payload))
    return dict(shown, **_failed(action))


def _result_still_shown(account, reader, action):
    """True while the outcome of the reader's last action is on its screen: RESULT_SECONDS from
    the webhook event that reported it (or from when the page first saw it, for an action that
    sends none)."""
    finished_at = _finish_time(account, reader["id"])
    if finished_at is None:
        signature = json.dumps(action, sort_keys=True, default=str)
        with _results_lock:
            seen = _results_seen.get(reader["id"])
            if not seen or seen[0] != signature:
                _results_seen[reader["id"]] = seen = (signature, time.time())
        finished_at = seen[1]
    return time.time() - finished_at < RESULT_SECONDS


def _finish_time(account, reader_id):
    for event in reversed(account.all("event")):
        if event["type"] in FINISH_EVENTS and event["data"]["object"].get("id") == reader_id:
            return event["created"]
    return None


def _in_progress(account, action_type, payload, run):
    cancel = bool(run.get("enable_customer_cancellation"))
    if action_type == "confirm_payment_intent" or run.get("stage") == "confirming":
        return {"kind": "processing", "title": "Processing", "message": "Do not remove the card."}
    if action_type == "collect_payment_method" and run.get("stage") == "collected":
        return {
            "kind": "processing",
            "title": "Card read",
            "message": "Waiting for the point of sale to confirm the payment.",
        }
    if action_type == "refund_payment":
        return {
            "kind": "refund",
            "title": "Refund",
            "message": "Tap or insert the Interac card to receive the refund.",
            "accepts": ["interac_present"],
            "can_cancel": cancel,
        }
    if action_type == "process_setup_intent":
        intent = account.find(payload.get("setup_intent") or "") or {}
        moto = bool(run.get("moto"))
        return {
            "kind": "moto" if moto else "setup",
            "title": "Key in the card" if moto else "Save card",
            "message": "Enter the card the customer reads to you."
            if moto
            else "Tap or insert the card to save it for later.",
            "accepts": ["card"] if moto else ["card_present"],
            "purpose": "setup",
            "description": intent.get("description"),
            "can_cancel": cancel,
        }
    intent = account.find(payload.get("payment_intent") or "") or {}
    types = intent.get("payment_method_types") or []
    if run.get("moto"):
        return {
            "kind": "moto",
            "title": "Key in the card",
            "message": "Mail or telephone order: enter the card the customer reads to you.",
            "accepts": ["card"],
            "description": intent.get("description"),
            "can_cancel": cancel,
        }
    return {
        "kind": "payment",
        "title": "Tap, insert or swipe",
        "message": "Present a card to pay.",
        "accepts": [t for t in types if t in ("card_present", "interac_present")],
        "description": intent.get("description"),
        "can_cancel": cancel,
    }


def _succeeded(account, action_type, payload):
    if action_type == "set_reader_display":
        cart = payload.get("cart") or {}
        currency = (cart.get("currency") or "usd").lower()
        return {
            "kind": "cart",
            "title": "Your order",
            "message": "",
            "cart": {
                "lines": [
                    {
                        "description": item.get("description"),
                        "quantity": item.get("quantity"),
                        "amount_text": money.format_amount(int(item.get("amount") or 0), currency),
                    }
                    for item in cart.get("line_items") or []
                ],
                "tax_text": money.format_amount(int(cart.get("tax") or 0), currency),
                "total_text": money.format_amount(int(cart.get("total") or 0), currency),
            },
        }
    if action_type == "refund_payment":
        return {"kind": "approved", "title": "Refunded", "message": "The refund was approved."}
    if action_type == "process_setup_intent":
        generated = payload.get("generated_card")
        return {
            "kind": "approved",
            "title": "Card saved",
            "message": "The card was saved for later payments."
            + (f" ({generated})" if generated else ""),
        }
    intent = account.find(payload.get("payment_intent") or "") or {}
    charge = account.find(intent.get("latest_charge") or "") or {}
    details = charge.get("payment_method_details") or {}
    card = details.get(details.get("type") or "") or {}
    card_text = ""
    if card.get("last4"):
        card_text = f"{(card.get('brand') or 'card').title()} •••• {card['last4']}"
    return {"kind": "approved", "title": "Approved", "message": "Thank you!", "card": card_text}


def _failed(action):
    code = action.get("failure_code")
    api_error = action.get("api_error") or {}
    message = action.get("failure_message") or ""
    if code == "card_declined":
        return {
            "kind": "declined",
            "title": "Declined",
            "message": message,
            "decline_code": api_error.get("decline_code") or api_error.get("code"),
        }
    if code == "customer_canceled":
        return {"kind": "canceled", "title": "Canceled", "message": message}
    if code == "connection_error":
        return {"kind": "timed_out", "title": "Timed out", "message": message}
    return {"kind": "failed", "title": "Failed", "message": message}


def _amount_of(account, action_type, payload):
    """The amount on the screen, in the currency's own format ($12.50, ¥1,200)."""
    if action_type == "refund_payment":
        charge = account.find(payload.get("charge") or "") or {}
        currency = charge.get("currency")
        amount = payload.get("amount")
    elif action_type in PAYMENT_ACTIONS:
        intent = account.find(payload.get("payment_intent") or "") or {}
        currency = intent.get("currency")
        amount = intent.get("amount")
    else:
        return {}
    if amount is None or not currency:
        return {}
    return {
        "amount": amount,
        "currency": currency,
        "amount_text": money.format_amount(amount, currency),
    }
