"""The simulated v1 API: every route, its parameters and its handler.

Parameters are declared as Stripe accepts them (stripe-python 16 / API
2026-10-28.endive).  Those marked ``Anything()`` are accepted as Stripe would
but not simulated.  ``process_config[moto]`` is declared where Stripe has it;
the handlers hide it from accounts without MOTO, as Stripe hides gated
parameters.
"""

import re

from . import api_customers as customers
from . import api_events as events
from . import api_payments as payments
from . import api_terminal as terminal
from .params import (
    ADDRESS,
    EXPAND,
    LIST,
    SEARCH,
    Anything,
    Bool,
    Email,
    Int,
    IntOrRange,
    ListOf,
    Map,
    Obj,
    Str,
)

ALLOW_REDISPLAY = Str("always", "limited", "unspecified")
TIPPING = Obj(amount_eligible=Int(minimum=0))
METHOD_TYPES = ListOf(Str())

_PI_WRITABLE = {
    "amount": Int(),
    "currency": Str(),
    "customer": Str(),
    "description": Str(max_length=1000),
    "metadata": Map(),
    "payment_method": Str(),
    "payment_method_types": METHOD_TYPES,  # refused since 2026-09-30.endive (see versions)
    "allowed_payment_method_types": METHOD_TYPES,
    "capture_method": Str("automatic", "automatic_async", "manual"),
    "payment_method_options": Obj(
        card_present=Obj(
            capture_method=Str("manual", "manual_preferred"),
            request_extended_authorization=Bool(),
            request_incremental_authorization_support=Bool(),
            routing=Obj(requested_priority=Str("domestic", "international")),
        ),
        interac_present=Obj(),
        card=Anything(),
    ),
    "receipt_email": Str(),
    "setup_future_usage": Str("on_session", "off_session"),
    "statement_descriptor": Str(max_length=22),
    "statement_descriptor_suffix": Str(max_length=22),
    "application_fee_amount": Int(),
    "transfer_data": Anything(),
    "transfer_group": Str(),
    "shipping": Anything(),
    "excluded_payment_method_types": METHOD_TYPES,
    "amount_details": Anything(),
    "payment_details": Anything(),
    "payment_method_configuration": Str(),
    "payment_method_data": Anything(),
    "customer_account": Str(),
    "hooks": Anything(),
    "expand": EXPAND,
}
PI_CREATE = dict(
    _PI_WRITABLE,
    amount=Int(required=True),
    currency=Str(required=True),
    confirm=Bool(),
    confirmation_method=Str("automatic", "manual"),
    off_session=Anything(),
    on_behalf_of=Str(),
    return_url=Str(),
    error_on_requires_action=Bool(),
    mandate=Str(),
    mandate_data=Anything(),
    use_stripe_sdk=Bool(),
    automatic_payment_methods=Anything(),
    radar_options=Anything(),
    confirmation_token=Str(),
)
PI_UPDATE = dict(_PI_WRITABLE)
PI_CONFIRM = {
    "payment_method_types": METHOD_TYPES,  # refused since 2026-09-30.endive (see versions)
    "allowed_payment_method_types": METHOD_TYPES,
    "amount_details": Anything(),
    "amount_to_confirm": Int(),
    "excluded_payment_method_types": METHOD_TYPES,
    "hooks": Anything(),
    "payment_details": Anything(),
    "payment_method": Str(),
    "off_session": Anything(),
    "return_url": Str(),
    "setup_future_usage": Str("on_session", "off_session"),
    "receipt_email": Str(),
    "payment_method_options": Anything(),
    "payment_method_data": Anything(),
    "capture_method": Str("automatic", "automatic_async", "manual"),
    "error_on_requires_action": Bool(),
    "mandate": Str(),
    "mandate_data": Anything(),
    "use_stripe_sdk": Bool(),
    "shipping": Anything(),
    "radar_options": Anything(),
    "confirmation_token": Str(),
    "expand": EXPAND,
}
PI_CAPTURE = {
    "amount_to_capture": Int(),
    "application_fee_amount": Int(),
    "metadata": Map(),
    "statement_descriptor": Str(),
    "statement_descriptor_suffix": Str(),
    "final_capture": Bool(),
    "transfer_data": Anything(),
    "amount_details": Anything(),
    "payment_details": Anything(),
    "hooks": Anything(),
    "expand": EXPAND,
}
PI_CANCEL = {
    "cancellation_reason": Str("duplicate", "fraudulent", "requested_by_customer", "abandoned"),
    "expand": EXPAND,
}

CUSTOMER_FIELDS = {
    "address": ADDRESS,
    "description": Str(),
    "email": Email(max_length=512),
    "metadata": Map(),
    "name": Str(max_length=256),
    "phone": Str(max_length=20),
    "preferred_locales": ListOf(Str()),
    "shipping": Anything(),
    "invoice_settings": Obj(
        default_payment_method=Str(),
        custom_fields=Anything(),
        footer=Str(),
        rendering_options=Anything(),
    ),
    "invoice_prefix": Str(),
    "balance": Int(),
    "tax_exempt": Str("none", "exempt", "reverse"),
    "business_name": Str(),
    "individual_name": Str(),
    "cash_balance": Anything(),
    "next_invoice_sequence": Int(),
    "source": Str(),
    "tax": Anything(),
    "expand": EXPAND,
}
CUSTOMER_CREATE = dict(
    CUSTOMER_FIELDS, payment_method=Str(), tax_id_data=Anything(), test_clock=Str(), validate=Bool()
)
CUSTOMER_UPDATE = dict(CUSTOMER_FIELDS, default_source=Str(), validate=Bool())

LOCATION_FIELDS = {
    "display_name": Str(),
    "address": ADDRESS,
    "metadata": Map(),
    "phone": Str(),
    "configuration_overrides": Str(),
    "display_name_kana": Str(),
    "display_name_kanji": Str(),
    "address_kana": Anything(),
    "address_kanji": Anything(),
    "expand": EXPAND,
}
LOCATION_CREATE = dict(LOCATION_FIELDS, display_name=Str(required=True))

SETUP_CREATE = {
    "customer": Str(),
    "description": Str(max_length=1000),
    "metadata": Map(),
    "payment_method_types": METHOD_TYPES,  # refused since 2026-09-30.endive (see versions)
    "allowed_payment_method_types": METHOD_TYPES,
    "usage": Str("on_session", "off_session"),
    "confirm": Bool(),
    "payment_method": Str(),
    "on_behalf_of": Str(),
    "return_url": Str(),
    "payment_method_options": Anything(),
    "payment_method_data": Anything(),
    "mandate_data": Anything(),
    "single_use": Anything(),
    "attach_to_self": Bool(),
    "flow_directions": METHOD_TYPES,
    "automatic_payment_methods": Anything(),
    "excluded_payment_method_types": METHOD_TYPES,
    "use_stripe_sdk": Bool(),
    "payment_method_configuration": Str(),
    "confirmation_token": Str(),
    "customer_account": Str(),
    "expand": EXPAND,
}
SETUP_UPDATE = {
    "customer": Str(),
    "customer_account": Str(),
    "description": Str(max_length=1000),
    "metadata": Map(),
    "payment_method": Str(),
    "payment_method_types": METHOD_TYPES,  # refused since 2026-09-30.endive (see versions)
    "allowed_payment_method_types": METHOD_TYPES,
    "excluded_payment_method_types": METHOD_TYPES,
    "attach_to_self": Bool(),
    "flow_directions": METHOD_TYPES,
    "payment_method_configuration": Str(),
    "payment_method_data": Anything(),
    "payment_method_options": Anything(),
    "expand": EXPAND,
}

CART = Obj(
    currency=Str(required=True),
    tax=Int(),
    total=Int(required=True),
    line_items=ListOf(
        Obj(amount=Int(required=True), description=Str(required=True), quantity=Int(required=True)),
        required=True,
    ),
)

PROCESS_CONFIG = Obj(
    skip_tipping=Bool(),
    tipping=TIPPING,
    enable_customer_cancellation=Bool(),
    allow_redisplay=ALLOW_REDISPLAY,
    return_url=Str(),
    moto=Bool(),
)  # gated: see api_terminal._moto_requested

LIST_CREATED = dict(LIST, created=IntOrRange())


class Route:
    def __init__(self, method, template, handler, fields):
        self.method = method
        self.template = template
        self.handler = handler
        self.fields = fields
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self.pattern = re.compile(f"^{pattern}$")


def _routes():
    R = Route
    return [
        # Terminal locations
        R("POST", "/v1/terminal/locations", terminal.create_location, LOCATION_CREATE),
        R("GET", "/v1/terminal/locations", terminal.list_locations, LIST),
        R(
            "GET",
            "/v1/terminal/locations/{location}",
            terminal.retrieve_location,
            {"expand": EXPAND},
        ),
        R("POST", "/v1/terminal/locations/{location}", terminal.update_location, LOCATION_FIELDS),
        R("DELETE", "/v1/terminal/locations/{location}", terminal.delete_location, {}),
        # Terminal readers
        R(
            "POST",
            "/v1/terminal/readers",
            terminal.register_reader,
            {
                "registration_code": Str(required=True),
                "location": Str(),
                "label": Str(),
                "metadata": Map(),
                "expand": EXPAND,
            },
        ),
        R(
            "GET",
            "/v1/terminal/readers",
            terminal.list_readers,
            dict(
                LIST,
                device_type=Str(),
                location=Str(),
                serial_number=Str(),
                status=Str("online", "offline"),
            ),
        ),
        R("GET", "/v1/terminal/readers/{reader}", terminal.retrieve_reader, {"expand": EXPAND}),
        R(
            "POST",
            "/v1/terminal/readers/{reader}",
            terminal.update_reader,
            {"label": Str(), "metadata": Map(), "expand": EXPAND},
        ),
        R("DELETE", "/v1/terminal/readers/{reader}", terminal.delete_reader, {}),
        R(
            "POST",
            "/v1/terminal/readers/{reader}/process_payment_intent",
            terminal.process_payment_intent,
            {
                "payment_intent": Str(required=True),
                "process_config": PROCESS_CONFIG,
                "expand": EXPAND,
            },
        ),
        R(
            "POST",
            "/v1/terminal/readers/{reader}/collect_payment_method",
            terminal.collect_payment_method,
            {
                "payment_intent": Str(required=True),
                "collect_config": Obj(
                    skip_tipping=Bool(),
                    tipping=TIPPING,
                    enable_customer_cancellation=Bool(),
                    allow_redisplay=ALLOW_REDISPLAY,
                ),
                "expand": EXPAND,
            },
        ),
        R(
            "POST",
            "/v1/terminal/readers/{reader}/confirm_payment_intent",
            terminal.confirm_payment_intent,
            {
                "payment_intent": Str(required=True),
                "confirm_config": Obj(return_url=Str()),
                "expand": EXPAND,
            },
        ),
        R(
            "POST",
            "/v1/terminal/readers/{reader}/process_setup_intent",
            terminal.process_setup_intent,
            {
                "setup_intent": Str(required=True),
                "allow_redisplay": Str("always", "limited", "unspecified", required=True),
                "process_config": Obj(enable_customer_cancellation=Bool(), moto=Bool()),
                "expand": EXPAND,
            },
        ),
        R(
            "POST",
            "/v1/terminal/readers/{reader}/refund_payment",
            terminal.refund_payment,
            {
                "payment_intent": Str(),
                "charge": Str(),
                "amount": Int(minimum=1),
                "metadata": Map(),
                "refund_application_fee": Bool(),
                "reverse_transfer": Bool(),
                "refund_payment_config": Obj(enable_customer_cancellation=Bool()),
                "expand": EXPAND,
            },
        ),
        R(
            "POST",
            "/v1/terminal/readers/{reader}/set_reader_display",
            terminal.set_reader_display,
            {"type": Str("cart", required=True), "cart": CART, "expand": EXPAND},
        ),
        R(
            "POST",
            "/v1/terminal/readers/{reader}/cancel_action",
            terminal.cancel_action,
            {"expand": EXPAND},
        ),
        R(
            "POST",
            "/v1/test_helpers/terminal/readers/{reader}/present_payment_method",
            terminal.present_payment_method,
            {
                "type": Str("card", "card_present", "interac_present"),
                "amount_tip": Int(minimum=0),
                "card_present": Obj(number=Str()),
                "interac_present": Obj(number=Str()),
                "card": Obj(
                    number=Str(required=True),
                    exp_month=Int(required=True),
                    exp_year=Int(required=True),
                    cvc=Str(),
                ),
                "expand": EXPAND,
            },
        ),
        # PaymentIntents
        R("POST", "/v1/payment_intents", payments.create_payment_intent, PI_CREATE),
        R(
            "GET",
            "/v1/payment_intents",
            payments.list_payment_intents,
            dict(LIST_CREATED, customer=Str(), customer_account=Str()),
        ),
        R("GET", "/v1/payment_intents/search", payments.search_payment_intents, SEARCH),
        R(
            "GET",
            "/v1/payment_intents/{intent}",
            payments.retrieve_payment_intent,
            {"expand": EXPAND, "client_secret": Str()},
        ),
        R("POST", "/v1/payment_intents/{intent}", payments.update_payment_intent, PI_UPDATE),
        R(
            "POST",
            "/v1/payment_intents/{intent}/confirm",
            payments.confirm_payment_intent,
            PI_CONFIRM,
        ),
        R(
            "POST",
            "/v1/payment_intents/{intent}/capture",
            payments.capture_payment_intent,
            PI_CAPTURE,
        ),
        R("POST", "/v1/payment_intents/{intent}/cancel", payments.cancel_payment_intent, PI_CANCEL),
        # Charges
        R(
            "GET",
            "/v1/charges",
            payments.list_charges,
            dict(LIST_CREATED, customer=Str(), payment_intent=Str(), transfer_group=Str()),
        ),
        R("GET", "/v1/charges/{charge}", payments.retrieve_charge, {"expand": EXPAND}),
        R(
            "POST",
            "/v1/charges/{charge}",
            payments.update_charge,
            {
                "description": Str(),
                "metadata": Map(),
                "receipt_email": Str(),
                "fraud_details": Anything(),
                "shipping": Anything(),
                "customer": Str(),
                "transfer_group": Str(),
                "expand": EXPAND,
            },
        ),
        # Refunds
        R(
            "POST",
            "/v1/refunds",
            payments.create_refund,
            {
                "payment_intent": Str(),
                "charge": Str(),
                "amount": Int(minimum=1),
                "reason": Str("duplicate", "fraudulent", "requested_by_customer"),
                "metadata": Map(),
                "refund_application_fee": Bool(),
                "reverse_transfer": Bool(),
                "instructions_email": Str(),
                "origin": Str("customer_balance"),
                "currency": Str(),
                "customer": Str(),
                "expand": EXPAND,
            },
        ),
        R(
            "GET",
            "/v1/refunds",
            payments.list_refunds,
            dict(LIST_CREATED, charge=Str(), payment_intent=Str()),
        ),
        R("GET", "/v1/refunds/{refund}", payments.retrieve_refund, {"expand": EXPAND}),
        R(
            "POST",
            "/v1/refunds/{refund}",
            payments.update_refund,
            {"metadata": Map(), "expand": EXPAND},
        ),
        R("POST", "/v1/refunds/{refund}/cancel", payments.cancel_refund, {"expand": EXPAND}),
        # Customers
        R("POST", "/v1/customers", customers.create_customer, CUSTOMER_CREATE),
        R(
            "GET",
            "/v1/customers",
            customers.list_customers,
            dict(LIST_CREATED, email=Str(max_length=512), test_clock=Str()),
        ),
        R("GET", "/v1/customers/search", customers.search_customers, SEARCH),
        R("GET", "/v1/customers/{customer}", customers.retrieve_customer, {"expand": EXPAND}),
        R("POST", "/v1/customers/{customer}", customers.update_customer, CUSTOMER_UPDATE),
        R("DELETE", "/v1/customers/{customer}", customers.delete_customer, {}),
        R(
            "GET",
            "/v1/customers/{customer}/payment_methods",
            customers.list_customer_payment_methods,
            dict(LIST, type=Str(), allow_redisplay=ALLOW_REDISPLAY),
        ),
        R(
            "GET",
            "/v1/customers/{customer}/payment_methods/{payment_method}",
            customers.retrieve_customer_payment_method,
            {"expand": EXPAND},
        ),
        # PaymentMethods
        R(
            "GET",
            "/v1/payment_methods",
            customers.list_payment_methods,
            dict(
                LIST,
                customer=Str(),
                type=Str(),
                allow_redisplay=ALLOW_REDISPLAY,
                customer_account=Str(),
            ),
        ),
        R(
            "GET",
            "/v1/payment_methods/{payment_method}",
            customers.retrieve_payment_method,
            {"expand": EXPAND},
        ),
        R(
            "POST",
            "/v1/payment_methods/{payment_method}",
            customers.update_payment_method,
            {
                "metadata": Map(),
                "allow_redisplay": ALLOW_REDISPLAY,
                "billing_details": Obj(
                    address=ADDRESS, email=Str(), name=Str(), phone=Str(), tax_id=Str()
                ),
                "card": Anything(),
                "us_bank_account": Anything(),
                "expand": EXPAND,
            },
        ),
        R(
            "POST",
            "/v1/payment_methods/{payment_method}/attach",
            customers.attach_payment_method,
            {"customer": Str(required=True), "customer_account": Str(), "expand": EXPAND},
        ),
        R(
            "POST",
            "/v1/payment_methods/{payment_method}/detach",
            customers.detach_payment_method,
            {"expand": EXPAND},
        ),
        # SetupIntents
        R("POST", "/v1/setup_intents", customers.create_setup_intent, SETUP_CREATE),
        R(
            "GET",
            "/v1/setup_intents",
            customers.list_setup_intents,
            dict(
                LIST_CREATED,
                customer=Str(),
                payment_method=Str(),
                attach_to_self=Bool(),
                customer_account=Str(),
            ),
        ),
        R(
            "GET",
            "/v1/setup_intents/{intent}",
            customers.retrieve_setup_intent,
            {"expand": EXPAND, "client_secret": Str()},
        ),
        R("POST", "/v1/setup_intents/{intent}", customers.update_setup_intent, SETUP_UPDATE),
        R(
            "POST",
            "/v1/setup_intents/{intent}/cancel",
            customers.cancel_setup_intent,
            {
                "cancellation_reason": Str("abandoned", "duplicate", "requested_by_customer"),
                "expand": EXPAND,
            },
        ),
        R(
            "POST",
            "/v1/setup_intents/{intent}/confirm",
            customers.confirm_setup_intent,
            {
                "allowed_payment_method_types": METHOD_TYPES,
                "payment_method": Str(),
                "payment_method_options": Anything(),
                "payment_method_data": Anything(),
                "mandate_data": Anything(),
                "return_url": Str(),
                "use_stripe_sdk": Bool(),
                "confirmation_token": Str(),
                "expand": EXPAND,
            },
        ),
        R(
            "GET",
            "/v1/setup_attempts",
            customers.list_setup_attempts,
            dict(LIST_CREATED, setup_intent=Str(required=True)),
        ),
        # Events and webhook endpoints
        R(
            "GET",
            "/v1/events",
            events.list_events,
            dict(LIST_CREATED, type=Str(), types=ListOf(Str()), delivery_success=Bool()),
        ),
        R("GET", "/v1/events/{id}", events.retrieve_event, {"expand": EXPAND}),
        R(
            "POST",
            "/v1/webhook_endpoints",
            events.create_webhook_endpoint,
            {
                "url": Str(required=True),
                "enabled_events": ListOf(Str(), required=True),
                "api_version": Str(),
                "description": Str(),
                "metadata": Map(),
                "connect": Bool(),
                "expand": EXPAND,
            },
        ),
        R("GET", "/v1/webhook_endpoints", events.list_webhook_endpoints, LIST),
        R(
            "GET",
            "/v1/webhook_endpoints/{webhook_endpoint}",
            events.retrieve_webhook_endpoint,
            {"expand": EXPAND},
        ),
        R(
            "POST",
            "/v1/webhook_endpoints/{webhook_endpoint}",
            events.update_webhook_endpoint,
            {
                "url": Str(),
                "enabled_events": ListOf(Str()),
                "description": Str(),
                "disabled": Bool(),
                "metadata": Map(),
                "expand": EXPAND,
            },
        ),
        R("DELETE", "/v1/webhook_endpoints/{webhook_endpoint}", events.delete_webhook_endpoint, {}),
    ]


ROUTES = _routes()


def match(method, path):
    """(route, path arguments) for a request, or (None, None).

    ``/v1/payment_intents/search`` is listed before ``/v1/payment_intents/{intent}``
    so the fixed segment wins, as on Stripe.
    """
    for route in ROUTES:
        if route.method == method:
            found = route.pattern.match(path)
            if found:
                return route, found.groupdict()
    return None, None
