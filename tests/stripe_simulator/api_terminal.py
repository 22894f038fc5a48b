"""Terminal: locations, readers, reader actions and the simulated-reader test helper.

How a reader action evolves here (see README.md for the reasons):

- an action starts ``in_progress`` and waits for a card; a second action on a
  reader with one in progress fails with ``terminal_reader_busy`` (a cart shown
  by ``set_reader_display`` is not in progress: the next action replaces it);
- ``present_payment_method`` resolves it: ``succeeded`` or ``failed`` with
  ``failure_code=card_declined`` and the precise error in ``api_error``;
- nobody presents a card within ``action_timeout_seconds`` (or
  ``expire_reader_action``): ``failed`` with ``failure_code=connection_error``;
- the cardholder presses cancel (``customer_cancel``): ``failed`` with
  ``customer_canceled``; ``cancel_action`` puts the reader back to idle
  (``action: null``) and sends no webhook;
- an offline reader refuses new actions (``terminal_reader_offline``) and an
  action it was running stays ``in_progress``: no timeout, no webhook.
"""

import uuid

from . import cards, errors, ids, objects, payments, queries
from .params import merge_metadata

REGISTRATION_CODES = {
    "simulated-wpe": "simulated_wisepos_e",
    "simulated-s700": "simulated_stripe_s700",
    "simulated-s710": "simulated_stripe_s710",
    "verifone_P400": "verifone_P400",
    "simulated-p400": "verifone_P400",
    "stripe_m2": "stripe_m2",
    "simulated-m2": "stripe_m2",
    "bbpos_chipper2x": "bbpos_chipper2x",
    "bbpos_wisepad3": "bbpos_wisepad3",
}
SIMULATED_SERIAL_PREFIX = {
    "simulated_wisepos_e": "simulated-wpe",
    "simulated_stripe_s700": "simulated-s700",
    "simulated_stripe_s710": "simulated-s710",
}
# Readers that only talk to a Terminal SDK (Bluetooth/USB mobile readers, and
# the legacy LAN-only Verifone P400): server-driven actions can't reach them.
MOBILE_DEVICES = frozenset(
    {"stripe_m2", "bbpos_chipper2x", "bbpos_wisepad3", "mobile_phone_reader"}
)
SDK_ONLY_DEVICES = MOBILE_DEVICES | {"verifone_P400"}
MOTO_DEVICES = frozenset(
    {
        "bbpos_wisepos_e",
        "stripe_s700",
        "stripe_s710",
        "simulated_wisepos_e",
        "simulated_stripe_s700",
        "simulated_stripe_s710",
    }
)
DEVICE_TYPES = frozenset(
    {
        "bbpos_chipper2x",
        "bbpos_wisepad3",
        "bbpos_wisepos_e",
        "mobile_phone_reader",
        "simulated_stripe_s700",
        "simulated_stripe_s710",
        "simulated_stripe_t600",
        "simulated_verifone_m425",
        "simulated_verifone_p630",
        "simulated_verifone_ux700",
        "simulated_verifone_v660p",
        "simulated_wisepos_e",
        "stripe_m2",
        "stripe_s700",
        "stripe_s710",
        "stripe_t600",
        "verifone_P400",
        "verifone_m425",
        "verifone_p630",
        "verifone_ux700",
        "verifone_v660p",
    }
)
SOFTWARE_VERSION = "2.42.1.0"  # >= 2.42: readers that fill action.api_error
# Stripe: "api_error" of a reader action is always null on reader software older than 2.42.
API_ERROR_SINCE = (2, 42)


# Locations ----------------------------------------------------------------------


def create_location(ctx, params):
    if not (params.get("address") or {}).get("country"):
        raise errors.parameter_missing("address[country]")
    return ctx.account.add(objects.location(params))


def retrieve_location(ctx, params, location):
    return queries.render(ctx.account, ctx.get("terminal.location", location), params.get("expand"))


def update_location(ctx, params, location):
    obj = ctx.get("terminal.location", location)
    for name, value in params.items():
        if name == "metadata":
            obj["metadata"] = merge_metadata(obj["metadata"], value)
        elif name == "address":
            obj["address"] = objects.address({**obj["address"], **(value or {})})
        elif name != "expand":
            obj[name] = value
    return queries.render(ctx.account, obj, params.get("expand"))


def delete_location(ctx, params, location):
    obj = ctx.get("terminal.location", location)
    del ctx.account.objects["terminal.location"][location]
    return objects.deleted(obj)


def list_locations(ctx, params):
    return queries.page(
        ctx.account,
        ctx.account.all("terminal.location"),
        params,
        "/v1/terminal/locations",
        "location",
    )


# Readers ------------------------------------------------------------------------


def new_reader(ctx, device_type, *, location=None, label=None, metadata=None, serial_number=None):
    """Create a reader of ``device_type`` (registration codes and control calls)."""
    if device_type in SIMULATED_SERIAL_PREFIX:
        serial = f"{SIMULATED_SERIAL_PREFIX[device_type]}-{uuid.uuid4()}"
    else:
        serial = f"{device_type.split('_')[-1].upper()[:5]}-{ids.random_token(10).upper()}"
    mobile = device_type in MOBILE_DEVICES
    reader = objects.reader(
        device_type,
        serial_number or serial,
        label,
        location,
        metadata,
        status=None if mobile else "online",
        ip_address=None
        if mobile
        else ("0.0.0.0" if device_type.startswith("simulated_") else "192.168.1.42"),
        software_version=None if device_type in SDK_ONLY_DEVICES else SOFTWARE_VERSION,
    )
    return ctx.account.add(reader)


def register_reader(ctx, params):
    code = params["registration_code"]
    device_type = REGISTRATION_CODES.get(code)
    if device_type is None:
        raise errors.invalid_request(
            "The registration code provided is invalid. Please check the code "
            "displayed on the reader and try again.",
            param="registration_code",
        )
    if params.get("location"):
        ctx.get("terminal.location", params["location"], "location")
    reader = new_reader(
        ctx,
        device_type,
        location=params.get("location"),
        label=params.get("label") or code,
        metadata=params.get("metadata"),
    )
    return queries.render(ctx.account, reader, params.get("expand"))


def reachable(ctx, reader):
    """Whether Stripe can reach the reader now. Its `status` says what Stripe last heard,
    which can lag behind (a heartbeat missed by a reader that still answers), see
    `set_reported_status`."""
    return ctx.account.secret(reader["id"], "reachable", reader["status"] == "online")


def _reader(ctx, reader_id, param="reader"):
    reader = ctx.get("terminal.reader", reader_id, param)
    if reader["status"] == "online":
        reader["last_seen_at"] = ids.now_ms()  # a heartbeat, as far as callers see
    return reader


def retrieve_reader(ctx, params, reader):
    return queries.render(ctx.account, _reader(ctx, reader, "id"), params.get("expand"))


def update_reader(ctx, params, reader):
    obj = _reader(ctx, reader, "id")
    if "label" in params:
        obj["label"] = params["label"]
    if "metadata" in params:
        obj["metadata"] = merge_metadata(obj["metadata"], params["metadata"])
    return queries.render(ctx.account, obj, params.get("expand"))


def delete_reader(ctx, params, reader):
    obj = ctx.get("terminal.reader", reader, "id")
    _stop_timer(ctx, obj)
    del ctx.account.objects["terminal.reader"][reader]
    return objects.deleted(obj, "device_type", "serial_number")


def list_readers(ctx, params):
    wanted = {
        name: params.get(name) for name in ("device_type", "location", "serial_number", "status")
    }
    readers = [
        r
        for r in ctx.account.all("terminal.reader")
        if all(value is None or r[name] == value for name, value in wanted.items())
    ]
    for reader in readers:
        if reader["status"] == "online":
            reader["last_seen_at"] = ids.now_ms()
    return queries.page(ctx.account, readers, params, "/v1/terminal/readers", "terminal reader")


# The action life cycle ------------------------------------------------------------


def _run(ctx, reader):
    """Simulator-side state of the reader's in-progress action."""
    return ctx.account.secret(reader["id"], "run")


def in_progress(reader):
    return bool(reader["action"]) and reader["action"]["status"] == "in_progress"


def _check_reachable(ctx, reader):
    if reader["device_type"] in SDK_ONLY_DEVICES:
        raise errors.invalid_request(
            f"Reader {reader['id']} is a {reader['device_type']}, which can't be "
            "reached by server-driven actions: it only connects through a Terminal "
            "SDK (JavaScript, iOS, Android or React Native).",
            code="terminal_reader_offline",
            param="reader",
        )
    if not reachable(ctx, reader):
        raise errors.invalid_request(
            "Reader is currently offline, please ensure the reader is powered on "
            "and connected to the internet before retrying your request.",
            code="terminal_reader_offline",
        )


def _check_idle(ctx, reader):
    busy_for = ctx.account.secret(reader["id"], "busy_for", 0)
    if busy_for:
        # Still busy with the last card (being authorised, or still inserted).
        ctx.account.remember(reader["id"], busy_for=busy_for - 1)
    if busy_for or in_progress(reader):
        raise errors.invalid_request(
            "Reader is currently busy processing another request. Please "
            "cancel the current action or wait for it to complete before "
            "retrying.",
            code="terminal_reader_busy",
        )


def _start(ctx, reader, action_type, payload, **run):
    """Put a new in-progress action on the reader and arm its timeout."""
    sim = ctx.sim
    sequence = (_run(ctx, reader) or {}).get("sequence", 0) + 1
    reader["action"] = objects.reader_action(action_type, payload)
    run.update(sequence=sequence, stage="waiting")
    run["timer"] = sim.schedule(
        sim.action_timeout_seconds, _expire_later(ctx.background(), reader["id"], sequence)
    )
    ctx.account.remember(reader["id"], run=run)
    if ctx.account.secret(reader["id"], "time_out_next"):
        # The reader got the action, Stripe's answer says it did not hear back in time.
        ctx.account.remember(reader["id"], time_out_next=False)
        raise errors.invalid_request(
            "There was a timeout while communicating with the reader. Please check the "
            "reader's status before retrying your request.",
            code="terminal_reader_timeout",
        )


def time_out_next_action(ctx, reader):
    """The next action sent to the reader reaches it, but Stripe answers
    `terminal_reader_timeout` (Stripe: the reader may have received the action)."""
    ctx.account.remember(reader["id"], time_out_next=True)


def hold_busy(ctx, reader, count):
    """The next `count` actions are refused with `terminal_reader_busy`, as while the reader
    is still busy with the last card (authorising it, or waiting for it to be removed)."""
    ctx.account.remember(reader["id"], busy_for=int(count))


def _expire_later(ctx, reader_id, sequence):
    def expire():
        reader = ctx.account.find(reader_id)
        run = _run(ctx, reader) if reader else None
        if run and run["sequence"] == sequence and in_progress(reader) and reachable(ctx, reader):
            expire_action(ctx, reader)

    return expire


def _stop_timer(ctx, reader):
    run = _run(ctx, reader)
    if run:
        ctx.sim.scheduler.cancel(run.get("timer"))
        run["timer"] = None


def _finish(ctx, reader, *, failure_code=None, failure_message=None, api_error=None):
    """End the in-progress action, succeeded or failed, and say so by webhook."""
    _stop_timer(ctx, reader)
    action = reader["action"]
    action.update(
        status="failed" if failure_code else "succeeded",
        failure_code=failure_code,
        failure_message=failure_message,
        api_error=api_error if fills_api_error(reader) else None,
    )
    ctx.account.remember(reader["id"], run=None)
    ctx.emit(
        "terminal.reader.action_failed" if failure_code else "terminal.reader.action_succeeded",
        reader,
    )


def _release_intent(ctx, reader):
    """A collected-but-unconfirmed card goes back: the intent needs a new one."""
    run = _run(ctx, reader) or {}
    if run.get("stage") == "collected":
        intent = ctx.account.find(run["payment_intent"])
        if intent and intent["status"] == "requires_confirmation":
            intent.update(status="requires_payment_method", payment_method=None)


def expire_action(ctx, reader):
    """Nobody presented a card in time (also the 30 s confirm window)."""
    _release_intent(ctx, reader)
    _finish(
        ctx,
        reader,
        failure_code="connection_error",
        failure_message="The reader timed out waiting for the customer. "
        "Retrieve the PaymentIntent before retrying.",
    )


def customer_cancel(ctx, reader):
    if not in_progress(reader):
        raise errors.invalid_request(f"Reader {reader['id']} has no action in progress.")
    run = _run(ctx, reader) or {}
    if not run.get("enable_customer_cancellation"):
        raise errors.invalid_request(
            "The action was not started with enable_customer_cancellation, so the "
            "reader shows no cancel button."
        )
    _release_intent(ctx, reader)
    _finish(
        ctx,
        reader,
        failure_code="customer_canceled",
        failure_message="This action was canceled by the customer on the reader.",
    )


def set_online(ctx, reader, online):
    if reader["device_type"] in MOBILE_DEVICES:
        raise errors.invalid_request("Mobile readers have no online status.")
    reader["status"] = "online" if online else "offline"
    ctx.account.remember(reader["id"], reachable=online)
    if online:
        # Back from an outage, an action it was running stays stuck in
        # progress (its timeout is gone): only cancel_action or a card ends it.
        reader["last_seen_at"] = ids.now_ms()
    else:
        _stop_timer(ctx, reader)


def fills_api_error(reader):
    """Whether the reader's software reports a failed action's error in `api_error`."""
    version = reader.get("device_sw_version")
    if not version:
        return True
    parts = []
    for part in version.split(".")[:2]:
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts) >= API_ERROR_SINCE


def set_software_version(ctx, reader, version):
    """The reader's software (`device_sw_version`): before 2.42 its failed actions carry no
    `api_error`, only `failure_code` and `failure_message`."""
    if reader["device_type"] in SDK_ONLY_DEVICES:
        raise errors.invalid_request("This reader's software is reported by the Terminal SDK.")
    reader["device_sw_version"] = version


def set_reported_status(ctx, reader, status):
    """What `status` shows, whatever the reader's reachability: Stripe's view lags behind."""
    if reader["device_type"] in MOBILE_DEVICES:
        raise errors.invalid_request("Mobile readers have no online status.")
    ctx.account.remember(reader["id"], reachable=reachable(ctx, reader))
    reader["status"] = status


# Actions ----------------------------------------------------------------------------


def _moto_requested(ctx, config):
    moto = bool((config or {}).pop("moto", None))
    if moto and not ctx.sim.moto_enabled_for(ctx.account):
        # A gated parameter is invisible to accounts without the feature.
        raise errors.parameter_unknown("process_config[moto]")
    return moto


def _check_location_for_payment(ctx, reader):
    """The reader's location must be in the account's country (Terminal's regional rule)."""
    location = ctx.account.find(reader.get("location") or "")
    country = ((location or {}).get("address") or {}).get("country")
    if country and country.upper() != ctx.account.country:
        # Choice: the code is Stripe's; its message and the moment it is raised are not
        # documented.
        raise errors.invalid_request(
            f"Reader {reader['id']} is at a location in {country}, but this account is in "
            f"{ctx.account.country}: a reader takes payments only in its account's country.",
            code="terminal_reader_invalid_location_for_payment",
            param="reader",
        )


def _intent_for_reader(ctx, intent_id, moto, reader=None):
    intent = ctx.get("payment_intent", intent_id, "payment_intent")
    if intent["status"] != "requires_payment_method":
        raise errors.invalid_request(
            f"PaymentIntent {intent['id']} has a status of {intent['status']}, but "
            "must have a status of requires_payment_method to be processed by a "
            "reader.",
            code="intent_invalid_state",
            param="payment_intent",
        )
    types = intent["payment_method_types"]
    if moto and "card" not in types:
        raise errors.invalid_request(
            "A MOTO payment needs a PaymentIntent whose payment_method_types include card.",
            param="payment_intent",
        )
    if not moto and not set(types) & set(payments.PRESENT_TYPES):
        raise errors.invalid_request(
            "The PaymentIntent must include card_present (or interac_present) in "
            "payment_method_types to be processed by a reader.",
            param="payment_intent",
        )
    if reader is not None:
        _check_location_for_payment(ctx, reader)
    return intent


def _check_moto_device(reader, moto):
    if moto and reader["device_type"] not in MOTO_DEVICES:
        raise errors.invalid_request(
            f"MOTO is not supported on device type {reader['device_type']}: use a "
            "BBPOS WisePOS E or a Stripe Reader S700/S710.",
            param="process_config[moto]",
        )


def _action_reader(ctx, reader_id):
    reader = _reader(ctx, reader_id)
    _check_reachable(ctx, reader)
    _check_idle(ctx, reader)
    return reader


def process_payment_intent(ctx, params, reader):
    config = dict(params.get("process_config") or {})
    moto = _moto_requested(ctx, config)
    reader = _action_reader(ctx, reader)
    _check_moto_device(reader, moto)
    intent = _intent_for_reader(ctx, params["payment_intent"], moto, reader)
    _start(
        ctx,
        reader,
        "process_payment_intent",
        {"payment_intent": intent["id"], "process_config": config},
        payment_intent=intent["id"],
        moto=moto,
        **_run_options(config),
    )
    return queries.render(ctx.account, reader, params.get("expand"))


def collect_payment_method(ctx, params, reader):
    config = dict(params.get("collect_config") or {})
    reader = _action_reader(ctx, reader)
    intent = _intent_for_reader(ctx, params["payment_intent"], False, reader)
    _start(
        ctx,
        reader,
        "collect_payment_method",
        {"collect_config": config, "payment_intent": intent["id"], "payment_method": None},
        payment_intent=intent["id"],
        moto=False,
        **_run_options(config),
    )
    return queries.render(ctx.account, reader, params.get("expand"))


def confirm_payment_intent(ctx, params, reader):
    reader = _reader(ctx, reader)
    _check_reachable(ctx, reader)
    run = _run(ctx, reader) or {}
    intent = ctx.get("payment_intent", params["payment_intent"], "payment_intent")
    if not (
        in_progress(reader)
        and reader["action"]["type"] == "collect_payment_method"
        and run.get("stage") == "collected"
        and run.get("payment_intent") == intent["id"]
    ):
        raise errors.invalid_request(
            f"PaymentIntent {intent['id']} has no payment method collected on this "
            "reader; call collect_payment_method and present a card first.",
            code="intent_invalid_state",
            param="payment_intent",
        )
    payment_method = ctx.get("payment_method", intent["payment_method"])
    _stop_timer(ctx, reader)
    config = params.get("confirm_config") or {}
    reader["action"] = objects.reader_action(
        "confirm_payment_intent", {"confirm_config": config, "payment_intent": intent["id"]}
    )
    ctx.account.remember(reader["id"], run={**run, "stage": "confirming", "timer": None})
    _authorize_on_reader(ctx, reader, intent, payment_method, "present", run)
    return queries.render(ctx.account, reader, params.get("expand"))


def process_setup_intent(ctx, params, reader):
    config = dict(params.get("process_config") or {})
    moto = _moto_requested(ctx, config)
    reader = _action_reader(ctx, reader)
    _check_moto_device(reader, moto)
    intent = ctx.get("setup_intent", params["setup_intent"], "setup_intent")
    if intent["status"] != "requires_payment_method":
        raise errors.invalid_request(
            f"SetupIntent {intent['id']} has a status of {intent['status']}, but must "
            "have a status of requires_payment_method to be processed by a reader.",
            code="intent_invalid_state",
            param="setup_intent",
        )
    needed = "card" if moto else "card_present"
    if needed not in intent["payment_method_types"]:
        raise errors.invalid_request(
            f"The SetupIntent must include {needed} in payment_method_types.", param="setup_intent"
        )
    _start(
        ctx,
        reader,
        "process_setup_intent",
        {"generated_card": None, "process_config": config, "setup_intent": intent["id"]},
        setup_intent=intent["id"],
        moto=moto,
        **dict(_run_options(config), allow_redisplay=params["allow_redisplay"]),
    )
    return queries.render(ctx.account, reader, params.get("expand"))


def refund_payment(ctx, params, reader):
    reader = _action_reader(ctx, reader)
    if params.get("charge"):
        charge_obj = ctx.get("charge", params["charge"], "charge")
    elif params.get("payment_intent"):
        intent = ctx.get("payment_intent", params["payment_intent"], "payment_intent")
        charge_obj = ctx.get("charge", intent["latest_charge"] or "", "payment_intent")
    else:
        raise errors.parameter_missing("payment_intent")
    if charge_obj["payment_method_details"]["type"] != "interac_present":
        raise errors.invalid_request(
            "Only interac_present payments are refunded on a reader; refund other "
            "payments with POST /v1/refunds.",
            code="charge_not_refundable",
        )
    amount = payments.check_refund(ctx.account, charge_obj, params.get("amount"))
    config = params.get("refund_payment_config") or {}
    _start(
        ctx,
        reader,
        "refund_payment",
        {
            "amount": amount,
            "charge": charge_obj["id"],
            "metadata": params.get("metadata") or {},
            "payment_intent": charge_obj["payment_intent"],
            "reason": None,
            "refund": None,
            "refund_application_fee": params.get("refund_application_fee"),
            "refund_payment_config": config,
            "reverse_transfer": params.get("reverse_transfer"),
        },
        charge=charge_obj["id"],
        amount=amount,
        moto=False,
        enable_customer_cancellation=bool(config.get("enable_customer_cancellation")),
    )
    return queries.render(ctx.account, reader, params.get("expand"))


def set_reader_display(ctx, params, reader):
    reader = _action_reader(ctx, reader)
    cart = params.get("cart")
    if cart is None:
        raise errors.parameter_missing("cart")
    _stop_timer(ctx, reader)
    # The cart simply shows: the action is done at once and the next action
    # replaces it.  Stripe sends no webhook for it.
    reader["action"] = objects.reader_action(
        "set_reader_display", {"cart": cart, "type": "cart"}, status="succeeded"
    )
    return queries.render(ctx.account, reader, params.get("expand"))


def cancel_action(ctx, params, reader):
    reader = _reader(ctx, reader)
    _check_reachable(ctx, reader)
    if in_progress(reader):
        _stop_timer(ctx, reader)
        _release_intent(ctx, reader)
        ctx.account.remember(reader["id"], run=None)
        reader["action"] = None
    return queries.render(ctx.account, reader, params.get("expand"))


def _run_options(config):
    return {
        "enable_customer_cancellation": bool(config.get("enable_customer_cancellation")),
        "skip_tipping": bool(config.get("skip_tipping")),
        "allow_redisplay": config.get("allow_redisplay"),
    }


# Presenting a card (test helper) ---------------------------------------------------------


def present_payment_method(ctx, params, reader):
    reader = _reader(ctx, reader)
    if not reader["device_type"].startswith("simulated_"):
        raise errors.invalid_request(
            "This endpoint can only be used with simulated readers.", param="reader"
        )
    _check_reachable(ctx, reader)
    run = _run(ctx, reader)
    if not (in_progress(reader) and run and run["stage"] == "waiting"):
        raise errors.invalid_request(
            f"Reader {reader['id']} is not waiting for a payment method: start "
            "process_payment_intent, collect_payment_method, process_setup_intent "
            "or refund_payment first.",
            code="terminal_reader_busy" if in_progress(reader) else None,
        )
    card_input = _card_input(ctx, reader, run, params)
    action_type = reader["action"]["type"]
    if action_type == "refund_payment":
        _refund_on_reader(ctx, reader, run)
    elif action_type == "process_setup_intent":
        _setup_on_reader(ctx, reader, run, card_input)
    else:
        intent = ctx.get("payment_intent", run["payment_intent"])
        if intent["status"] != "requires_payment_method":
            error = errors.invalid_request(
                f"PaymentIntent {intent['id']} has a status of {intent['status']} "
                "and can no longer be paid.",
                code="payment_intent_unexpected_state",
            )
            _finish(
                ctx,
                reader,
                failure_code=error.code,
                failure_message=error.message,
                api_error=error.to_dict(),
            )
        else:
            payment_method = payments.create_payment_method(
                ctx, card_input, run.get("allow_redisplay")
            )
            tip = 0 if run.get("skip_tipping") else (params.get("amount_tip") or 0)
            if action_type == "collect_payment_method":
                _collected(ctx, reader, run, intent, payment_method, tip)
            else:
                run["tip"] = tip
                _authorize_on_reader(
                    ctx, reader, intent, payment_method, "moto" if run["moto"] else "present", run
                )
    return queries.render(ctx.account, reader, params.get("expand"))


def _card_input(ctx, reader, run, params):
    method_type = params.get("type") or ("card" if run["moto"] else None)
    action_type = reader["action"]["type"]
    if method_type is None:
        method_type = "card_present"
        if action_type == "refund_payment":
            method_type = "interac_present"
        elif run.get("payment_intent"):
            types = ctx.get("payment_intent", run["payment_intent"])["payment_method_types"]
            if "card_present" not in types:
                method_type = "interac_present"
    if run["moto"] != (method_type == "card"):
        raise errors.invalid_request(
            "A MOTO action takes type=card with card[number], card[exp_month] and "
            "card[exp_year]; a card-present action takes card_present or "
            "interac_present.",
            param="type",
        )
    if action_type in ("process_payment_intent", "collect_payment_method"):
        types = ctx.get("payment_intent", run["payment_intent"])["payment_method_types"]
        if method_type not in types:
            raise errors.invalid_request(
                f"The PaymentIntent does not accept payment method type {method_type} "
                f"(payment_method_types: {', '.join(types)}).",
                param="type",
            )
    if action_type == "refund_payment" and method_type != "interac_present":
        raise errors.invalid_request(
            "An in-person refund takes the Interac card: type=interac_present.", param="type"
        )
    if method_type == "card":
        card = params.get("card")
        if not card:
            raise errors.parameter_missing("card")
        return payments.CardInput(
            "card", card["number"], card["exp_month"], card["exp_year"], card.get("cvc")
        )
    default = (
        cards.DEFAULT_INTERAC if method_type == "interac_present" else cards.DEFAULT_CARD_PRESENT
    )
    number = (params.get(method_type) or {}).get("number") or default
    return payments.CardInput(method_type, number)


def _authorize_on_reader(ctx, reader, intent, payment_method, channel, run):
    error = payments.authorize(
        ctx,
        intent,
        payment_method,
        channel=channel,
        reader_id=reader["id"],
        tip=run.get("tip", 0),
        allow_redisplay=run.get("allow_redisplay"),
    )
    if error is None:
        _finish(ctx, reader)
    else:
        error.extra["payment_intent"] = objects.snapshot(intent)
        _finish(
            ctx,
            reader,
            failure_code="card_declined",
            failure_message=error.message,
            api_error=error.to_dict(),
        )


def _collected(ctx, reader, run, intent, payment_method, tip):
    """Split flow: the card is read; the integration has 30 s to confirm."""
    intent.update(status="requires_confirmation", payment_method=payment_method["id"])
    reader["action"]["collect_payment_method"]["payment_method"] = objects.snapshot(payment_method)
    sim = ctx.sim
    _stop_timer(ctx, reader)
    run.update(stage="collected", tip=tip)
    run["timer"] = sim.schedule(
        sim.collect_confirm_window_seconds,
        _expire_later(ctx.background(), reader["id"], run["sequence"]),
    )
    ctx.emit("terminal.reader.action_updated", reader)


def _setup_on_reader(ctx, reader, run, card_input):
    intent = ctx.get("setup_intent", run["setup_intent"])
    payment_method = payments.create_payment_method(ctx, card_input)
    error, generated = payments.complete_setup(
        ctx,
        intent,
        payment_method,
        allow_redisplay=run.get("allow_redisplay"),
        reader_id=reader["id"],
    )
    if error is None:
        reader["action"]["process_setup_intent"]["generated_card"] = generated
        _finish(ctx, reader)
    else:
        error.extra["setup_intent"] = objects.snapshot(intent)
        _finish(
            ctx,
            reader,
            failure_code="card_declined",
            failure_message=error.message,
            api_error=error.to_dict(),
        )


def _refund_on_reader(ctx, reader, run):
    charge_obj = ctx.get("charge", run["charge"])
    amount = run["amount"]
    decline = cards.evaluate_interac_refund(amount) if amount < charge_obj["amount"] else None
    if decline is not None:
        error = errors.card_error(
            decline.code,
            decline.message,
            decline_code=decline.decline_code,
            extra={"charge": charge_obj["id"]},
        )
        _finish(
            ctx,
            reader,
            failure_code="card_declined",
            failure_message=decline.message,
            api_error=error.to_dict(),
        )
        return
    refund_obj = payments.create_refund(
        ctx, charge_obj, amount, metadata=reader["action"]["refund_payment"]["metadata"]
    )
    reader["action"]["refund_payment"]["refund"] = refund_obj["id"]
    _finish(ctx, reader)
