"""What happens to money: authorizations, captures, cancellations, refunds and
saved cards.  Shared by the reader actions (card presented on a reader) and by
the API (saved card confirmed off-session)."""

import datetime

from . import cards, errors, ids, objects
from .money import format_amount

PRESENT_TYPES = ("card_present", "interac_present")
CAPTURE_WINDOW_SECONDS = 2 * 24 * 3600  # card-present authorizations lapse after 2 days


class CardInput:
    """A card as the reader (or the operator, for MOTO) read it."""

    def __init__(self, method_type, number, exp_month=None, exp_year=None, cvc=None):
        self.method_type = method_type
        self.number = number
        self.facts = cards.describe(number)
        self.exp_month = exp_month or 12
        self.exp_year = exp_year or datetime.date.today().year + 3
        self.cvc = cvc
        self.read_method = self.facts.read_method if method_type in PRESENT_TYPES else None


def method_types(params, supported, applies=lambda method_type: True):
    """(allowed, computed) payment method types of an intent's parameters.

    Since 2026-09-30.endive the request names ``allowed_payment_method_types`` and
    Stripe answers, in ``payment_method_types``, those of them that apply to the
    intent (Interac only in CAD here), silently dropping the others.  Older versions
    took ``payment_method_types`` as they were (refused beforehand under endive, see
    ``versions``)."""
    name = (
        "allowed_payment_method_types"
        if "allowed_payment_method_types" in params
        else "payment_method_types"
    )
    allowed = params.get(name) or ["card"]
    for index, method_type in enumerate(allowed):
        if method_type not in supported:
            raise errors.invalid_request(
                f"The payment method type provided: {method_type} is invalid. "
                f"This simulator knows {', '.join(supported)}.",
                param=f"{name}[{index}]",
            )
    allowed = list(dict.fromkeys(allowed))
    computed = [method_type for method_type in allowed if applies(method_type)]
    if not computed:
        # Choice: Stripe does not document the answer when nothing applies.
        raise errors.invalid_request(
            f"None of the payment method types in {name} ({', '.join(allowed)}) can be used "
            "with this PaymentIntent's currency and account.",
            param=name,
        )
    return (allowed if name == "allowed_payment_method_types" else None), computed


def create_payment_method(ctx, card_input, allow_redisplay=None):
    if card_input.method_type == "card":
        pm = objects.card_payment_method(
            card_input.facts,
            card_input.number,
            card_input.exp_month,
            card_input.exp_year,
            allow_redisplay=allow_redisplay,
            cvc_check="pass" if card_input.cvc else None,
        )
    else:
        pm = objects.present_payment_method(
            card_input.method_type,
            card_input.facts,
            card_input.number,
            card_input.exp_month,
            card_input.exp_year,
            card_input.read_method,
        )
    return ctx.account.add(pm, number=card_input.number)


def attach(ctx, payment_method, customer_id):
    payment_method["customer"] = customer_id
    ctx.emit("payment_method.attached", payment_method)


def _captures_later(intent, method_type):
    if method_type == "interac_present":
        return False  # single-message network: always captured at once
    if method_type == "card_present":
        option = (intent["payment_method_options"].get("card_present") or {}).get("capture_method")
        if option in ("manual", "manual_preferred"):
            return True
    return intent["capture_method"] == "manual"


def _decline_error(decline, charge_obj, payment_method):
    return errors.card_error(
        decline.code,
        decline.message,
        decline_code=decline.decline_code,
        extra={"charge": charge_obj["id"], "payment_method": objects.snapshot(payment_method)},
    )


def authorize(ctx, intent, payment_method, *, channel, reader_id=None, tip=0, allow_redisplay=None):
    """Charge ``payment_method`` for ``intent``; return None or the card error.

    ``channel``: ``present`` (reader), ``moto`` (keyed on a reader) or
    ``saved`` (saved card, off-session).
    """
    account = ctx.account
    number = account.secret(payment_method["id"], "number")
    card = cards.describe(number)
    method_type = payment_method["type"]
    decline = cards.evaluate_payment(number, intent["amount"], channel)
    later = _captures_later(intent, method_type)
    if decline is None and tip:
        intent["amount"] += tip
        intent["amount_details"] = {"tip": {"amount": tip}}

    if method_type in PRESENT_TYPES:
        details = objects.present_charge_details(
            method_type,
            card,
            number,
            payment_method[method_type]["exp_month"],
            payment_method[method_type]["exp_year"],
            payment_method[method_type]["read_method"],
            amount_authorized=intent["amount"] if decline is None else None,
            capture_before=ids.now() + CAPTURE_WINDOW_SECONDS if later else None,
            generated_card=None,
            reader_id=reader_id,
        )
    else:
        details = objects.card_charge_details(
            card,
            number,
            payment_method["card"]["exp_month"],
            payment_method["card"]["exp_year"],
            amount=intent["amount"],
            moto=channel == "moto",
            cvc_check=payment_method["card"]["checks"]["cvc_check"],
        )
    charge_obj = account.add(
        objects.charge(intent, payment_method, details, decline=decline, captured=not later)
    )
    intent["latest_charge"] = charge_obj["id"]

    if decline is not None:
        ctx.emit("charge.failed", charge_obj)
        error = _decline_error(decline, charge_obj, payment_method)
        intent["status"] = "requires_payment_method"
        intent["payment_method"] = None
        intent["last_payment_error"] = error.to_dict()
        ctx.emit("payment_intent.payment_failed", intent)
        return error

    if intent["setup_future_usage"] and card.saveable:
        _save_for_later(ctx, intent, payment_method, charge_obj, allow_redisplay)
    intent["payment_method"] = payment_method["id"]
    intent["last_payment_error"] = None
    ctx.emit("charge.succeeded", charge_obj)
    if later:
        intent["status"] = "requires_capture"
        intent["amount_capturable"] = intent["amount"]
        ctx.emit("payment_intent.amount_capturable_updated", intent)
    else:
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"]
        ctx.emit("payment_intent.succeeded", intent)
    return None


def _save_for_later(ctx, intent, payment_method, charge_obj, allow_redisplay):
    """``setup_future_usage``: keep a reusable card for the intent's customer."""
    account = ctx.account
    number = account.secret(payment_method["id"], "number")
    if payment_method["type"] == "card":
        # A keyed-in (MOTO) card is itself reusable.
        account.remember(payment_method["id"], saved=True)
        if intent["customer"]:
            attach(ctx, payment_method, intent["customer"])
        return
    present = payment_method[payment_method["type"]]
    generated = objects.card_payment_method(
        cards.describe(number),
        number,
        present["exp_month"],
        present["exp_year"],
        generated_from={
            "charge": charge_obj["id"],
            "payment_method_details": objects.snapshot(charge_obj["payment_method_details"]),
            "setup_attempt": None,
        },
        allow_redisplay=allow_redisplay,
    )
    account.add(generated, number=number, saved=True)
    charge_obj["payment_method_details"][payment_method["type"]]["generated_card"] = generated["id"]
    if intent["customer"]:
        attach(ctx, generated, intent["customer"])


def capture(ctx, intent, amount=None):
    charge_obj = ctx.get("charge", intent["latest_charge"])
    amount = intent["amount_capturable"] if amount is None else amount
    charge_obj.update(captured=True, amount_captured=amount, balance_transaction=ids.new_id("txn"))
    refresh_refunds(ctx.account, charge_obj)
    intent.update(status="succeeded", amount_capturable=0, amount_received=amount)
    ctx.emit("charge.captured", charge_obj)
    ctx.emit("payment_intent.succeeded", intent)


def cancel(ctx, intent, reason):
    if intent["status"] == "requires_capture":
        # The uncaptured authorization is released.
        charge_obj = ctx.get("charge", intent["latest_charge"])
        charge_obj.update(amount_refunded=charge_obj["amount"], refunded=True)
        ctx.emit("charge.refunded", charge_obj)
    intent.update(
        status="canceled", canceled_at=ids.now(), cancellation_reason=reason, amount_capturable=0
    )
    ctx.emit("payment_intent.canceled", intent)


# Refunds ---------------------------------------------------------------------


def refunds_of(account, charge_obj):
    return [r for r in account.all("refund") if r["charge"] == charge_obj["id"]]


def refundable(account, charge_obj):
    counted = sum(
        r["amount"]
        for r in refunds_of(account, charge_obj)
        if r["status"] in ("succeeded", "pending", "requires_action")
    )
    return charge_obj["amount_captured"] - counted


def refunds_list(account, charge_obj):
    """The charge's `refunds` list, newest first: what `expand[]=refunds` (or an API version
    older than 2022-11-15) shows."""
    newest = list(reversed(refunds_of(account, charge_obj)))
    return objects.list_envelope(
        [objects.snapshot(r) for r in newest[:10]],
        f"/v1/charges/{charge_obj['id']}/refunds",
        len(newest) > 10,
    )


def refresh_refunds(account, charge_obj):
    """Recompute the charge's refund totals."""
    refunds = refunds_of(account, charge_obj)
    uncaptured = (
        charge_obj["amount"] - charge_obj["amount_captured"] if charge_obj["captured"] else 0
    )
    charge_obj["amount_refunded"] = uncaptured + sum(
        r["amount"] for r in refunds if r["status"] != "failed" and r["status"] != "canceled"
    )
    charge_obj["refunded"] = charge_obj["amount_refunded"] >= charge_obj["amount"]


def check_refund(account, charge_obj, amount):
    """Stripe's refusals, in Stripe's order; returns the amount to refund."""
    if charge_obj["status"] != "succeeded":
        raise errors.invalid_request(
            f"Charge {charge_obj['id']} has no successful payment to refund.",
            code="charge_not_refundable",
        )
    if not charge_obj["captured"]:
        raise errors.invalid_request(
            f"Charge {charge_obj['id']} has not been captured. Cancel its "
            "PaymentIntent to release the authorization instead of refunding it.",
            code="charge_not_refundable",
        )
    remaining = refundable(account, charge_obj)
    if remaining <= 0:
        raise errors.invalid_request(
            f"Charge {charge_obj['id']} has already been refunded.", code="charge_already_refunded"
        )
    amount = remaining if amount is None else amount
    if amount > remaining:
        currency = charge_obj["currency"]
        raise errors.invalid_request(
            f"Refund amount ({format_amount(amount, currency)}) is greater than "
            f"unrefunded amount on charge ({format_amount(remaining, currency)})",
            param="amount",
        )
    return amount


def create_refund(ctx, charge_obj, amount, reason=None, metadata=None):
    account = ctx.account
    refund_obj = account.add(objects.refund(charge_obj, amount, reason, metadata))
    refresh_refunds(account, charge_obj)
    ctx.emit("refund.created", refund_obj)
    ctx.emit("charge.refunded", charge_obj)
    number = account.secret(charge_obj["payment_method"], "number")
    if cards.describe(number).refund_fails:
        ctx.sim.schedule_refund_failure(ctx.background(), refund_obj["id"])
    return refund_obj


def fail_refund(ctx, refund_obj, reason="expired_or_canceled_card"):
    """A refund that had succeeded bounces back, as Stripe reports later."""
    if refund_obj["status"] not in ("succeeded", "pending"):
        raise errors.invalid_request(
            f"Refund {refund_obj['id']} has status {refund_obj['status']} and can no longer fail."
        )
    previous = refund_obj["status"]
    refund_obj.update(
        status="failed", failure_reason=reason, failure_balance_transaction=ids.new_id("txn")
    )
    charge_obj = ctx.get("charge", refund_obj["charge"])
    refresh_refunds(ctx.account, charge_obj)
    ctx.emit("refund.updated", refund_obj, {"status": previous})
    ctx.emit("refund.failed", refund_obj)
    ctx.emit("charge.refund.updated", refund_obj, {"status": previous})


# Saving cards without paying (SetupIntents) -------------------------------------


def complete_setup(ctx, intent, payment_method, *, allow_redisplay, reader_id=None):
    """Save ``payment_method`` through ``intent``; return (error, generated_card)."""
    account = ctx.account
    number = account.secret(payment_method["id"], "number")
    card = cards.describe(number)
    method_type = payment_method["type"]
    attempt = objects.setup_attempt(intent, payment_method, None)
    failure = cards.evaluate_setup(number)
    if failure is not None:
        error = errors.StripeError(
            402,
            "card_error",
            failure.message,
            code=failure.code,
            extra={"payment_method": objects.snapshot(payment_method)},
        )
        attempt.update(
            status="failed",
            setup_error=error.to_dict(),
            payment_method_details=_attempt_details(payment_method, None),
        )
        account.add(attempt)
        intent.update(
            status="requires_payment_method",
            latest_attempt=attempt["id"],
            last_setup_error=error.to_dict(),
            payment_method=None,
        )
        ctx.emit("setup_intent.setup_failed", intent)
        return error, None

    generated_id = None
    if method_type == "card":
        account.remember(payment_method["id"], saved=True)
        payment_method["allow_redisplay"] = allow_redisplay or "unspecified"
        saved = payment_method
    else:
        present = payment_method[method_type]
        saved = objects.card_payment_method(
            card,
            number,
            present["exp_month"],
            present["exp_year"],
            generated_from={
                "charge": None,
                "payment_method_details": {
                    method_type: {
                        "brand": card.brand,
                        "exp_month": present["exp_month"],
                        "exp_year": present["exp_year"],
                        "last4": number[-4:],
                        "read_method": present["read_method"],
                        "reader": reader_id,
                    },
                    "type": method_type,
                },
                "setup_attempt": attempt["id"],
            },
            allow_redisplay=allow_redisplay,
        )
        account.add(saved, number=number, saved=True)
        generated_id = saved["id"]
    attempt["payment_method_details"] = _attempt_details(payment_method, generated_id)
    account.add(attempt)
    if intent["customer"]:
        attach(ctx, saved, intent["customer"])
    intent.update(
        status="succeeded",
        latest_attempt=attempt["id"],
        payment_method=payment_method["id"],
        last_setup_error=None,
    )
    ctx.emit("setup_intent.succeeded", intent)
    return None, generated_id


def _attempt_details(payment_method, generated_card):
    method_type = payment_method["type"]
    if method_type == "card":
        card = payment_method["card"]
        return {
            "card": {
                "brand": card["brand"],
                "checks": card["checks"],
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "last4": card["last4"],
                "network": card["networks"]["available"][0],
                "three_d_secure": None,
                "wallet": None,
            },
            "type": "card",
        }
    return {method_type: {"generated_card": generated_card, "offline": None}, "type": method_type}
