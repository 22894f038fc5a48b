"""Bad input and access on a live Odoo, over JSON-RPC as the browser sends it: amounts and
invoices Collect must refuse, readers that are not the user's, users without the rights calling
every public method and route of the addons, and the secret key, which must never reach a
browser, the assets or the logs.

Refusals happen before anything reaches Stripe (the simulator's requests log says so) and change
nothing; `shop.check()` then asserts the invariants of tests/test_faults.py.
"""

import importlib
import inspect
import re

import pytest

from tests import live_odoo
from tests.live_odoo import RpcError

# === Amounts === #


@pytest.mark.parametrize(
    "amount, message",
    [
        (0.0, "must be positive"),
        (-5.0, "must be positive"),
        (100.01, "more than"),
        (150.0, "more than"),
        (0.2, "minimum|at least"),  # Stripe's minimum for USD is $0.50
        (10**8, "more than"),
    ],
)
def test_amounts_collect_refuses(shop, amount, message):
    invoice = shop.invoice(100.0)
    before = len(shop.stripe_requests())
    with pytest.raises(RpcError) as refused:
        shop.collect([invoice], amount=amount)
    assert refused.value.name == "odoo.exceptions.UserError"
    assert re.search(message, refused.value.message), refused.value.message
    assert len(shop.stripe_requests()) == before, "nothing reached Stripe"
    assert not shop.payment_ids()
    shop.check()


def test_too_many_decimals_are_rounded_as_odoo_rounds_them_and_charged_exactly(shop):
    invoice = shop.invoice(100.0)
    payment_id = shop.collect([invoice], amount=12.346)
    payment = shop.payment(payment_id)
    # The wizard keeps amounts in the currency's precision, as Register Payment always did:
    # what the accountant sees is what is charged and what is booked.
    assert float(payment["amount"]) == 12.35
    assert payment["amount_minor"] == 1235
    intent = shop.stripe.v1.payment_intents.retrieve(payment["payment_intent_id"])
    assert intent.amount == 1235
    shop.present_card(shop.readers[0])
    shop.wait_db_state(payment_id, "done")
    residual = shop.live.db.value(
        "SELECT amount_residual FROM account_move WHERE id = %s", (invoice,)
    )
    assert float(residual) == 87.65
    assert shop.check() == {payment_id: "done"}


def activate_currency(shop, code, rounding=None):
    currency = shop.admin.call(
        "res.currency", "search", [("name", "=", code), ("active", "in", [True, False])]
    )[0]
    values = {"active": True}
    if rounding:
        values["rounding"] = rounding
    shop.admin.call("res.currency", "write", [currency], values)
    if not shop.admin.call(
        "res.currency.rate", "search", [("currency_id", "=", currency), ("company_id", "!=", False)]
    ):
        shop.admin.call(
            "res.currency.rate",
            "create",
            {"currency_id": currency, "rate": 2.0, "company_id": shop.env["company"]},
        )
    return currency


def test_an_amount_the_currency_cannot_carry_is_refused(shop):
    kwd = activate_currency(shop, "KWD", rounding=0.001)
    invoice = shop.invoice(10.0, currency=kwd)
    before = len(shop.stripe_requests())
    # Stripe takes thousandths of a dinar that end in 0.
    with pytest.raises(RpcError, match="Stripe cannot charge"):
        shop.collect([invoice], amount=5.125)
    assert len(shop.stripe_requests()) == before
    assert not shop.payment_ids()
    shop.check()


def test_a_currency_the_reader_does_not_take_is_refused_before_stripe(shop):
    # Terminal takes the local currency of the reader's country only (USD here), whether
    # Stripe supports the currency elsewhere (EUR) or not at all (CUP).
    for code in ("EUR", "CUP"):
        invoice = shop.invoice(100.0, currency=activate_currency(shop, code))
        before = len(shop.stripe_requests())
        with pytest.raises(RpcError, match="takes USD only"):
            shop.collect([invoice])
        assert len(shop.stripe_requests()) == before
    assert not shop.payment_ids()
    shop.check()


# === Invoices === #


def paid_by_bank(shop, invoice):
    context = {"active_model": "account.move", "active_ids": [invoice]}
    wizard = shop.admin.call(
        "account.payment.register",
        "create",
        {"journal_id": shop.env["bank_journal"]},
        context=context,
    )
    shop.admin.call("account.payment.register", "action_create_payments", [wizard], context=context)


def paid_invoice(shop):
    invoice = shop.invoice(40.0)
    paid_by_bank(shop, invoice)
    return invoice


def cancelled_invoice(shop):
    invoice = shop.invoice(40.0)
    shop.admin.call("account.move", "button_draft", [invoice])
    shop.admin.call("account.move", "button_cancel", [invoice])
    return invoice


INVOICES = {
    "draft": (lambda shop: shop.invoice(40.0, post=False), "posted"),
    "cancelled": (cancelled_invoice, "posted"),
    "already paid": (paid_invoice, "nothing left to pay"),
    "vendor bill": (lambda shop: shop.invoice(40.0, move_type="in_invoice"), "customer payments"),
    "credit note": (lambda shop: shop.invoice(40.0, move_type="out_refund"), "customer payments"),
}


@pytest.mark.parametrize("kind", list(INVOICES))
def test_invoices_collect_refuses(shop, kind):
    make, message = INVOICES[kind]
    invoice = make(shop)
    before = len(shop.stripe_requests())
    with pytest.raises(RpcError) as refused:
        shop.collect([invoice])
    assert refused.value.name == "odoo.exceptions.UserError"
    assert re.search(message, refused.value.message), refused.value.message
    assert len(shop.stripe_requests()) == before
    assert not shop.payment_ids()
    shop.check(other_payments={invoice: 40.0} if kind == "already paid" else None)


def test_an_invoice_paid_after_register_payment_opened_is_not_charged(shop):
    invoice = shop.invoice(40.0)
    wizard = shop.wizard([invoice])
    paid_by_bank(shop, invoice)  # another user, meanwhile
    before = len(shop.stripe_requests())
    context = {"active_model": "account.move", "active_ids": [invoice]}
    with pytest.raises(RpcError) as refused:
        shop.session().call(
            "account.payment.register",
            "action_stripe_terminal_collect",
            [wizard],
            context=context,
        )
    assert refused.value.name == "odoo.exceptions.UserError"
    assert len(shop.stripe_requests()) == before
    assert not shop.payment_ids()
    shop.check(other_payments={invoice: 40.0})


def test_invoices_of_two_customers_at_once_are_refused(shop):
    invoices = [shop.invoice(40.0), shop.invoice(30.0, partner=shop.partner())]
    before = len(shop.stripe_requests())
    with pytest.raises(RpcError, match="one customer|customer payments only"):
        shop.collect(invoices, group_payment=True)
    assert len(shop.stripe_requests()) == before
    assert not shop.payment_ids()
    shop.check()


# === Readers === #


@pytest.fixture
def other_company(shop, live):
    """A second company with its own Stripe provider (its own account) and reader."""
    company = shop.admin.call(
        "res.company",
        "create",
        {"name": f"Other Co {shop.readers[0]['id']}", "country_id": shop.env["us"]},
    )
    template = live.xmlid("payment.payment_provider_stripe")
    provider = shop.admin.call("payment.provider", "copy", [template], {"company_id": company})
    if isinstance(provider, list):  # 18.0's copy answers the ids of the copies
        (provider,) = provider
    account = live.new_stripe_account()
    live.use_stripe_account(account, provider=provider)
    other = live.simulator
    import stripe

    client = stripe.StripeClient(
        account["secret_key"], base_addresses={"api": other.url}, max_network_retries=0
    )
    location = client.v1.terminal.locations.create(
        {
            "display_name": "Elsewhere",
            "address": {
                "country": "US",
                "line1": "2 Side St",
                "city": "Springfield",
                "postal_code": "12345",
                "state": "CA",
            },
        }
    ).id
    stripe_reader = client.v1.terminal.readers.create(
        {"registration_code": "simulated-wpe", "label": "Elsewhere", "location": location}
    ).id
    shop.admin.call("payment.provider", "action_stripe_terminal_sync", [provider])
    reader = shop.admin.call(
        "stripe.terminal.reader", "search", [("stripe_reader_id", "=", stripe_reader)]
    )[0]
    # The admin may use both companies; the Stripe account of the first is the shop's.
    live.use_stripe_account(shop.account)
    return {"company": company, "provider": provider, "reader": reader, "account": account}


def test_a_reader_of_another_company_is_refused(shop, live, other_company):
    invoice = shop.invoice(40.0)
    before = len(shop.stripe_requests())
    other_before = len(live.simulator.requests_log(other_company["account"]["secret_key"]))
    for session in (shop.session(), shop.session("admin")):
        with pytest.raises(RpcError) as refused:
            shop.collect(
                [invoice], session=session, stripe_terminal_reader_id=other_company["reader"]
            )
        assert refused.value.name in ("odoo.exceptions.UserError", "odoo.exceptions.AccessError")
    assert len(shop.stripe_requests()) == before
    assert len(live.simulator.requests_log(other_company["account"]["secret_key"])) == other_before
    assert not shop.payment_ids()
    assert not live.db.query(
        "SELECT id FROM stripe_terminal_payment WHERE reader_id = %s", (other_company["reader"],)
    )
    shop.check()


def test_a_reader_that_does_not_exist_is_refused(shop, live):
    invoice = shop.invoice(40.0)
    before = len(shop.stripe_requests())
    missing = live.db.value("SELECT COALESCE(max(id), 0) + 1000 FROM stripe_terminal_reader")
    with pytest.raises(RpcError):
        shop.collect([invoice], stripe_terminal_reader_id=missing)
    assert len(shop.stripe_requests()) == before
    assert not live.db.query(
        "SELECT id FROM stripe_terminal_payment WHERE reader_id = %s", (missing,)
    )
    shop.check()


# === Users without the rights === #

ORM_METHODS = {
    "create",
    "write",
    "unlink",
    "copy",
    "read",
    "search_read",
    "fields_get",
    "default_get",
    "get_views",
    "onchange",
    "name_search",
}
# Public methods that return a window action and touch nothing.
STATIC_ACTIONS = {("payment.provider", "action_stripe_terminal_view_readers")}
ACTION_KEYS = {
    "id",
    "name",
    "type",
    "xml_id",
    "res_model",
    "view_mode",
    "views",
    "domain",
    "context",
    "target",
    "help",
    "display_name",
    "binding_model_id",
    "binding_type",
    "binding_view_types",
    "res_id",
    "search_view_id",
    "limit",
    "filter",
    "embedded_action_ids",
    "group_ids",
    "groups_id",
    "path",
    "mobile_view_mode",
    "usage",
    "view_id",
    "cache",
    "search_view",
}


def our_public_methods(addons):
    """(model, method, takes records) for every public method the addons define. ORM
    overrides on Odoo's own models (res.partner.write) follow Odoo's rights and are left out."""
    for addon in addons:
        importlib.import_module(f"odoo.addons.{addon}")
    found = set()
    for addon in addons:
        for cls in live_odoo.model_classes_of(addon):
            model = cls._name or (
                cls._inherit if isinstance(cls._inherit, str) else cls._inherit[0]
            )
            ours = model.startswith("stripe.terminal")
            for name, member in vars(cls).items():
                if name.startswith("_") or name == "init" or not inspect.isfunction(member):
                    continue
                if name in ORM_METHODS and not ours:
                    continue
                found.add((model, name, not live_odoo.is_model_method(member)))
    return sorted(found)


def our_routes():
    from odoo import http

    for module, classes in http.Controller.children_classes.items():
        if not module.startswith("stripe_terminal"):
            continue
        for cls in classes:
            for member in vars(cls).values():
                routing = getattr(member, "original_routing", None)
                if routing:
                    yield from routing["routes"]


def snapshot(shop, live):
    """What a refused call must leave as it was: our records in Odoo, and Stripe's side (no
    request at all)."""
    shop.settle_webhooks()
    db = live.db
    return {
        "payments": db.query("SELECT id, state, stage, write_date FROM stripe_terminal_payment"),
        "readers": db.query("SELECT id, active, name, write_date FROM stripe_terminal_reader"),
        "locations": db.query("SELECT id, write_date FROM stripe_terminal_location"),
        "customers": db.query("SELECT id, write_date FROM stripe_terminal_customer"),
        "events": db.value("SELECT count(*) FROM stripe_terminal_event"),
        "booked": db.value("SELECT count(*) FROM account_payment"),
        "providers": db.query("SELECT id, state, write_date FROM payment_provider"),
        # Refused means refused before anything reaches Stripe, reads included.
        "stripe requests": [(entry["method"], entry["path"]) for entry in shop.stripe_requests()],
    }


@pytest.fixture
def records(shop, live):
    """A record of each model the public methods work on, owned by the people allowed to."""
    accountant = shop.session()
    manager = shop.session("live_manager")
    refund = None
    if "stripe_terminal_refund" in live.addons:
        # A refund that exists: a write to a missing one fails before the access check on
        # 18.0 (MissingError from the tracking), which proves nothing about access.
        paid = shop.invoice(25.0)
        paid_payment = shop.collect([paid])
        shop.present_card(shop.readers[0])
        shop.wait_db_state(paid_payment, "done")
        shop.refund(shop.credit_note(paid))
        refund = live.db.value("SELECT max(id) FROM stripe_terminal_refund")
    invoice = shop.invoice(40.0)
    payment = shop.collect([invoice])
    wizard = shop.wizard([shop.invoice(10.0)], session=accountant)
    register = manager.call(
        "stripe.terminal.reader.register",
        "create",
        {"provider_id": shop.provider, "name": "New", "registration_code": "simulated-wpe"},
    )
    return {
        "stripe.terminal.payment": payment,
        "stripe.terminal.reader": shop.readers[0]["id"],
        "payment.provider": shop.provider,
        "account.payment.register": wizard,
        "stripe.terminal.reader.register": register,
        **({"stripe.terminal.refund": refund} if refund else {}),
    }


def record_for(live, records, model):
    if model in records:
        return records[model]
    table = model.replace(".", "_")
    found = live.db.value(f"SELECT max(id) FROM {table}")  # noqa: S608 - a model's table
    return found or 999999999


@pytest.mark.parametrize("login", ["live_portal", "live_employee"])
def test_users_without_accounting_rights_are_refused_every_public_method(
    shop, live, records, login
):
    methods = our_public_methods(live.addons)
    assert ("stripe.terminal.payment", "action_stripe_terminal_poll", True) in methods
    assert ("account.payment.register", "action_stripe_terminal_collect", True) in methods
    session = shop.session(login)
    before = snapshot(shop, live)
    accepted = []
    harmless = {}
    for model, method, on_records in methods:
        args = [[record_for(live, records, model)]] if on_records else []
        if method == "create":
            args = [{}]
        elif method == "write":
            args.append({"name": "x"} if model != "stripe.terminal.payment" else {"state": "done"})
        try:
            answer = session.call(model, method, *args)
        except RpcError as error:
            # Refused by the access rights, or by an explicit check that comes first.
            explicit = error.name == "odoo.exceptions.UserError" and "Only" in error.message
            if error.name != "odoo.exceptions.AccessError" and not explicit:
                accepted.append((model, method, error.name, error.message))
        else:
            if (model, method) in STATIC_ACTIONS:
                harmless[method] = answer
            else:
                accepted.append((model, method, "accepted", answer))
    assert not accepted, accepted
    # Buttons that only open a view: the answer is the action, which names no record's data.
    for answer in harmless.values():
        assert answer["type"] == "ir.actions.act_window"
        assert set(answer) <= ACTION_KEYS, set(answer) - ACTION_KEYS
    assert snapshot(shop, live) == before
    shop.overlay(records["stripe.terminal.payment"], "action_stripe_terminal_cancel")
    shop.check()


@pytest.mark.parametrize("login", ["live_portal", "live_employee"])
def test_users_without_accounting_rights_reach_none_of_our_records(shop, live, records, login):
    session = shop.session(login)
    before = snapshot(shop, live)
    models = sorted(
        {model for model, _method, _records in our_public_methods(live.addons)}
        | {
            "stripe.terminal.location",
            "stripe.terminal.customer",
            "stripe.terminal.event",
        }
    )
    for model in [m for m in models if m.startswith("stripe.terminal")]:
        record = record_for(live, records, model)
        for method, args in (
            ("search_read", [[]]),
            ("read", [[record], []]),
            ("write", [[record], {"create_uid": 1}]),
            ("unlink", [[record]]),
            ("create", [{}]),
        ):
            with pytest.raises(RpcError) as refused:
                session.call(model, method, *args)
            assert refused.value.name == "odoo.exceptions.AccessError", (model, method)
    secret_fields = ["stripe_secret_key", "stripe_terminal_webhook_secret"]
    with pytest.raises(RpcError):
        session.call("payment.provider", "read", [shop.provider], secret_fields)
    assert snapshot(shop, live) == before
    shop.overlay(records["stripe.terminal.payment"], "action_stripe_terminal_cancel")
    shop.check()


def test_routes_refuse_what_is_not_a_signed_stripe_event(shop, live, records):
    routes = sorted(set(our_routes()))
    assert "/stripe_terminal/webhook" in routes
    before = snapshot(shop, live)
    for who in ("live_portal", "live_employee", None):
        session = shop.session(who) if who else live.session_anonymous()
        for route in routes:
            for method in ("GET", "POST"):
                for body in (b"", b'{"id": "evt_1", "type": "charge.succeeded"}'):
                    response = session.http.request(
                        method,
                        f"{live.url}{route}",
                        data=body,
                        headers={"Content-Type": "application/json"},
                        timeout=60,
                    )
                    assert response.status_code >= 400, (who, route, method, response.text)
    assert snapshot(shop, live) == before
    shop.overlay(records["stripe.terminal.payment"], "action_stripe_terminal_cancel")
    shop.check()


# === The secret key === #


def assets_of(session, html):
    for path in sorted(set(re.findall(r'(?:src|href)="(/web/assets/[^"]+)"', html))):
        yield path, session.get(path).text


def test_the_secret_key_never_reaches_the_browser_the_assets_or_the_logs(shop, live):
    secrets = [shop.secret_key, shop.webhook_secret, shop.secret_key[len("sk_test_") :]]
    accountant = shop.session(record=True)
    manager = shop.session("live_manager", record=True)
    start = len(live.responses)
    # The accountant's day: the web client, Register Payment, the overlay, a decline, a retry.
    html = accountant.get("/web").text
    assets = dict(assets_of(accountant, html))
    assert any(path.endswith(".js") for path in assets), "the backend bundle was fetched"
    accountant.jsonrpc("/web/session/get_session_info", {})
    accountant.call("account.payment.register", "get_views", [[False, "form"]])
    accountant.call("stripe.terminal.payment", "get_views", [[False, "form"], [False, "list"]])
    invoice = shop.invoice(40.0)
    payment_id = shop.collect([invoice], session=accountant)
    shop.overlay(payment_id, "action_stripe_terminal_state", session=accountant)
    shop.present_card(shop.readers[0], "4000000000000002")
    shop.wait_payment(
        payment_id,
        lambda s: s["state"] in ("declined", "pending") and s["message"],
        session=accountant,
    )
    shop.present_card(shop.readers[0])
    shop.wait_payment(payment_id, lambda s: s["done"], session=accountant)
    accountant.call("stripe.terminal.payment", "read", [payment_id], [])
    accountant.call("stripe.terminal.reader", "read", [shop.readers[0]["id"]], [])
    accountant.call(
        "account.payment", "search_read", [("stripe_terminal_payment_id", "=", payment_id)], []
    )
    # The manager's: the provider (refused: it is the administrators'), the readers, the events.
    # Refusals are answers to the browser too.
    for session, model, method, args in (
        (accountant, "payment.provider", "search_read", [[], []]),
        (manager, "payment.provider", "read", [[shop.provider], []]),
        (manager, "payment.provider", "action_stripe_terminal_sync", [[shop.provider]]),
        (manager, "stripe.terminal.reader", "action_check_status", [[shop.readers[0]["id"]]]),
        (manager, "stripe.terminal.reader", "search_read", [[], []]),
        (manager, "stripe.terminal.event", "search_read", [[], []]),
        (manager, "stripe.terminal.customer", "search_read", [[], []]),
    ):
        try:
            session.call(model, method, *args)
        except RpcError as error:
            assert error.name == "odoo.exceptions.AccessError", error
    answers = live.responses[start:]
    assert len(answers) > 20
    for text in answers + list(assets.values()):
        for secret in secrets:
            assert secret not in text
    log = live.server.log_text()
    assert "Stripe payment_intents.create" in log, "the client's debug lines are in the log"
    for secret in secrets:
        assert secret not in log, "a secret in the server's log"
    assert shop.check() == {payment_id: "done"}
