"""The demo a new user runs first, as the README tells them: `python3 tools/dev.py demo`.

The end-to-end test starts the command on ports and a database of its own (ODOO_PORT,
SIMULATOR_PORT, DEMO_DB), so it never touches a user's demo; logs in over JSON-RPC; checks the
demo data and the virtual reader page; takes payments with the page's own buttons in headless
Chromium (a decline then an approval, and after a restart a MOTO payment keyed in the page's
form); stops it with Ctrl-C and checks that everything it started has ended, twice. The other
tests check the pieces the demo relies on without Odoo (the simulator's state file and what the
page shows) and that the generated READMEs follow their fragments.
"""

import json
import secrets
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import stripe

from tests.stripe_simulator import StripeSimulator, reader_page
from tools import gen_readme
from tools.screenshots import (
    Browser,
    DemoProcess,
    OdooSession,
    free_port,
    http_json,
    http_ok,
    wait_until,
)

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 900  # a first start installs the addons (about a minute on two cores)
STOP_TIMEOUT = 120
PAYMENT_TIMEOUT = 60


# =========================================================================== the demo, end to end


@pytest.fixture
def demo(tmp_path):
    demo = DemoProcess(
        f"stripe_terminal_demo_test_{secrets.token_hex(4)}", log_path=tmp_path / "demo.log"
    )
    yield demo
    if demo.process and demo.process.poll() is None:
        demo.kill()
    dropped = demo.dev("demo", "--drop")
    assert dropped.returncode == 0, dropped.stdout


def test_demo_end_to_end(demo):
    demo.start().wait_ready(START_TIMEOUT)
    session = OdooSession(demo.odoo_url, demo.database)
    session.authenticate("admin", "admin")
    records = session.demo_records()
    check_demo_data(session, records, demo.simulator_url)
    screens = check_virtual_reader_page(demo.simulator_url, session, records)
    account_key = screens["accounts"][0]["api_key"]

    with Browser() as browser:
        page = open_reader_page(browser, demo.simulator_url)
        front_desk = reader_id(session, records, "reader_front_desk")
        payment_id = session.collect(records["invoice_harbor_chairs"])
        wait_for_screen(page, front_desk, "payment", "$420.00")
        # A decline first: Odoo sends the same PaymentIntent back to the reader by itself.
        page.click(f'[data-reader-id="{front_desk}"] [data-card=insufficient_funds]')
        wait_for_payment(session, payment_id, stage="retrying")
        wait_for_screen(page, front_desk, "payment", "$420.00")
        page.click(f'[data-reader-id="{front_desk}"] [data-card=visa]')
        wait_for_screen(page, front_desk, "approved", "Visa •••• 4242")
        wait_for_payment(session, payment_id, state="done")
        assert_invoice_paid(session, records["invoice_harbor_chairs"])
        assert_webhooks_reached_odoo(demo)

    stop_and_check(demo)

    # Started again: the same database, and a simulator that still knows its readers, the saved
    # card and the charges Odoo refers to.
    demo.children = set()
    first_run_log = demo.log_path.stat().st_size
    demo.start().wait_ready(START_TIMEOUT)
    second_run_log = demo.log_path.read_bytes()[first_run_log:].decode(errors="replace")
    assert "[dev] Installing" not in second_run_log and "WARNING: the simulator" not in (
        second_run_log
    )
    session = OdooSession(demo.odoo_url, demo.database)
    session.authenticate("admin", "admin")
    check_simulator_kept(demo.simulator_url, account_key, session, records)
    with Browser() as browser:
        page = open_reader_page(browser, demo.simulator_url)
        front_desk = reader_id(session, records, "reader_front_desk")
        payment_id = session.collect(records["invoice_nordic_sofa"], stripe_terminal_mode="moto")
        wait_for_screen(page, front_desk, "moto", "$2,340.00")
        page.click(f'[data-reader-id="{front_desk}"] [data-action=submit-keyed]')
        wait_for_screen(page, front_desk, "approved", "Visa •••• 4242")
        wait_for_payment(session, payment_id, state="done")
        assert_invoice_paid(session, records["invoice_nordic_sofa"])

    stop_and_check(demo)


def check_demo_data(session, records, simulator_url):
    expected = {
        "reader_front_desk": ("simulated_wisepos_e", "online", True),
        "reader_back_office": ("simulated_stripe_s700", "online", True),
        "reader_warehouse": ("simulated_stripe_s710", "offline", True),
        "reader_old_counter": ("verifone_P400", "online", False),
    }
    for key, (device_type, status, server_driven) in expected.items():
        reader = session.read(
            "stripe.terminal.reader",
            records[key],
            ["device_type", "status", "is_server_driven", "unsupported_reason"],
        )
        assert (reader["device_type"], reader["status"], reader["is_server_driven"]) == (
            device_type,
            status,
            server_driven,
        ), key
    p400 = session.read(
        "stripe.terminal.reader", records["reader_old_counter"], ["unsupported_reason"]
    )
    assert "P400" in p400["unsupported_reason"]

    admin = session.read("res.users", session.uid, ["stripe_terminal_reader_id"])
    assert admin["stripe_terminal_reader_id"][0] == records["reader_front_desk"]

    provider = session.call(
        "payment.provider",
        "search_read",
        [("code", "=", "stripe")],
        ["state", "stripe_secret_key", "stripe_terminal_webhook_secret"],
    )[0]
    assert provider["state"] == "test"
    assert provider["stripe_secret_key"].startswith("sk_test_")
    assert provider["stripe_terminal_webhook_secret"].startswith("whsec_")
    api_base = session.call("ir.config_parameter", "get_param", "stripe_terminal.api_base")
    assert api_base == simulator_url

    journal = session.read(
        "account.journal",
        records["journal_stripe"],
        ["is_stripe_journal", "outbound_payment_method_line_ids"],
    )
    assert journal["is_stripe_journal"] and journal["outbound_payment_method_line_ids"]

    open_invoices = {
        "invoice_lumen_table": ("USD", 1250.0),
        "invoice_harbor_chairs": ("USD", 420.0),
        "invoice_harbor_stools": ("USD", 89.9),
        "invoice_nordic_sofa": ("USD", 2340.0),
        "invoice_kiyomi_shelves": ("JPY", 36800.0),
    }
    for key, (currency, amount) in open_invoices.items():
        invoice = session.read(
            "account.move",
            records[key],
            ["state", "payment_state", "currency_id", "amount_residual"],
        )
        assert invoice["state"] == "posted" and invoice["payment_state"] == "not_paid", key
        assert (invoice["currency_id"][1], invoice["amount_residual"]) == (currency, amount), key
    # Terminal takes the local currency only: Register Payment explains it before any reader
    # is used (the demo's description says so).
    with pytest.raises(RuntimeError, match="takes USD only"):
        session.collect(records["invoice_kiyomi_shelves"])

    token = session.read(
        "payment.token",
        records["partner_nordic_saved_card"],
        ["partner_id", "stripe_payment_method", "payment_details"],
    )
    assert token["partner_id"][0] == records["partner_nordic"]
    assert token["stripe_payment_method"].startswith("pm_") and token["payment_details"] == "4242"

    credit_note = session.read(
        "account.move",
        records["credit_note_cedar_lamp"],
        ["move_type", "state", "payment_state", "reversed_entry_id", "amount_residual"],
    )
    assert (credit_note["move_type"], credit_note["state"], credit_note["payment_state"]) == (
        "out_refund",
        "posted",
        "not_paid",
    )
    assert credit_note["reversed_entry_id"][0] == records["invoice_cedar_lamps"]
    assert credit_note["amount_residual"] == 60.0
    if module_installed(session, "stripe_terminal_refund"):
        refundable = session.read(
            "account.move", records["credit_note_cedar_lamp"], ["stripe_terminal_can_refund"]
        )
        assert refundable["stripe_terminal_can_refund"]


def module_installed(session, module):
    return session.call(
        "ir.module.module",
        "search_count",
        [("name", "=", module), ("state", "=", "installed")],
    )


def reader_id(session, records, key):
    return session.read("stripe.terminal.reader", records[key], ["stripe_reader_id"])[
        "stripe_reader_id"
    ]


def check_virtual_reader_page(simulator_url, session, records):
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
        f"{simulator_url}/_simulator/", timeout=10
    ) as response:
        assert response.headers["Content-Type"].startswith("text/html")
        assert "Virtual reader" in response.read().decode()
    screens = http_json(f"{simulator_url}/_simulator/screens")["result"]
    assert len(screens["accounts"]) == 1
    shown = {reader["id"]: reader for reader in screens["accounts"][0]["readers"]}
    kinds = {
        # The demo's own last payment may still be on the screen for a few seconds.
        "reader_front_desk": ("idle", "approved"),
        "reader_back_office": ("idle",),
        "reader_warehouse": ("offline",),
        "reader_old_counter": ("unsupported",),
    }
    for key, expected in kinds.items():
        assert shown[reader_id(session, records, key)]["kind"] in expected, key
    return screens


def check_simulator_kept(simulator_url, api_key, session, records):
    objects = f"{simulator_url}/_simulator/objects?api_key={api_key}&kind="
    readers = {reader["id"] for reader in http_json(objects + "terminal.reader")["result"]}
    for key in ("reader_front_desk", "reader_back_office", "reader_warehouse"):
        assert reader_id(session, records, key) in readers, key
    cards = {pm["id"] for pm in http_json(objects + "payment_method")["result"]}
    token = session.read(
        "payment.token", records["partner_nordic_saved_card"], ["stripe_payment_method"]
    )
    assert token["stripe_payment_method"] in cards
    charges = {charge["id"] for charge in http_json(objects + "charge")["result"]}
    paid = session.read(
        "stripe.terminal.payment", records["invoice_cedar_lamps_card_payment"], ["charge_id"]
    )
    assert paid["charge_id"] in charges
    warehouse = [
        reader
        for reader in http_json(objects + "terminal.reader")["result"]
        if reader["id"] == reader_id(session, records, "reader_warehouse")
    ][0]
    assert warehouse["status"] == "offline"


def open_reader_page(browser, simulator_url):
    page = browser.new_page(1280, 1150)
    page.goto(f"{simulator_url}/_simulator/")
    page.wait_for("document.querySelector('[data-reader-id]')", message="the readers")
    return page


def wait_for_screen(page, reader, kind, text):
    selector = json.dumps(f'[data-reader-id="{reader}"][data-kind="{kind}"]')
    page.wait_for(
        f"(document.querySelector({selector}) || {{}}).textContent?.includes({json.dumps(text)})",
        timeout=PAYMENT_TIMEOUT,
        message=f"the reader to show {kind} with {text}",
    )


def wait_for_payment(session, payment_id, state=None, stage=None):
    def reached():
        payment = session.read("stripe.terminal.payment", payment_id, ["state", "stage"])
        return (state is None or payment["state"] == state) and (
            stage is None or payment["stage"] == stage
        )

    wait_until(reached, PAYMENT_TIMEOUT, f"the terminal payment to be {state or stage}")


def assert_invoice_paid(session, invoice_id):
    invoice = session.read("account.move", invoice_id, ["payment_state"])
    assert invoice["payment_state"] in ("paid", "in_payment")


def assert_webhooks_reached_odoo(demo):
    deliveries = http_json(f"{demo.simulator_url}/_simulator/webhooks/deliveries")["result"]
    to_odoo = [d for d in deliveries if d["url"].startswith(demo.odoo_url)]
    assert to_odoo and any(d["status_code"] == 200 for d in to_odoo)


def stop_and_check(demo):
    """Ctrl-C: the command ends cleanly, and so does everything it started."""
    started = demo.running_children()
    assert len(started) >= 2, f"the simulator and Odoo should run: {started}"
    assert demo.interrupt(STOP_TIMEOUT) == 0, demo.log_tail()
    assert not demo.running_children(), demo.log_tail()
    assert not http_ok(f"{demo.odoo_url}/web/login", timeout=2)
    assert not http_ok(f"{demo.simulator_url}/_simulator/health", timeout=2)
    assert "Stopping the demo" in demo.log_tail(400)


# =========================================================================== the pieces


def test_state_file_keeps_accounts_across_restarts(tmp_path):
    """A restarted simulator still knows readers, customers, saved cards and charges; a reader
    action in progress is gone, as on a reader switched off and on again."""
    state_file = tmp_path / "simulator.json"
    key = "sk_test_" + secrets.token_hex(8)
    with StripeSimulator(port=0, state_file=state_file) as sim:
        client = stripe.StripeClient(key, base_addresses={"api": sim.url})
        location = client.v1.terminal.locations.create(
            {"display_name": "Shop", "address": {"country": "US"}}
        )
        reader = client.v1.terminal.readers.create(
            {"registration_code": "simulated-wpe", "location": location.id}
        )
        customer = client.v1.customers.create({"email": "kept@example.com"})
        paid = client.v1.payment_intents.create(
            {
                "amount": 1200,
                "currency": "usd",
                "allowed_payment_method_types": ["card_present"],
                "customer": customer.id,
                "setup_future_usage": "off_session",
            }
        )
        client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": paid.id})
        client.v1.test_helpers.terminal.readers.present_payment_method(reader.id, {})
        waiting = client.v1.payment_intents.create(
            {"amount": 500, "currency": "usd", "allowed_payment_method_types": ["card_present"]}
        )
        client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": waiting.id})
        sim.configure_account(key, moto_enabled=False)
    saved = json.loads(state_file.read_text())
    assert saved["format"] == 1 and saved["accounts"][0]["api_key"] == key

    with StripeSimulator(port=0, state_file=state_file) as sim:
        client = stripe.StripeClient(key, base_addresses={"api": sim.url})
        assert client.v1.terminal.readers.retrieve(reader.id).action is None
        intent = client.v1.payment_intents.retrieve(paid.id, {"expand": ["latest_charge"]})
        generated = intent.latest_charge.payment_method_details.card_present.generated_card
        assert intent.status == "succeeded" and generated
        assert client.v1.payment_methods.retrieve(generated).customer == customer.id
        assert client.v1.customers.retrieve(customer.id).email == "kept@example.com"
        assert not sim.configure_account(key)["moto_enabled"]
        # The reader takes the interrupted payment again; the saved card charges off-session.
        client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": waiting.id})
        client.v1.test_helpers.terminal.readers.present_payment_method(reader.id, {})
        assert client.v1.payment_intents.retrieve(waiting.id).status == "succeeded"
        again = client.v1.payment_intents.create(
            {
                "amount": 800,
                "currency": "usd",
                "allowed_payment_method_types": ["card"],
                "customer": customer.id,
                "payment_method": generated,
                "off_session": True,
                "confirm": True,
            }
        )
        assert again.status == "succeeded"


def test_state_file_of_the_command_line(tmp_path):
    """`--state-file` on the command line: written on Ctrl-C, loaded at the next start."""
    state_file = tmp_path / "cli.json"
    key = "sk_test_" + secrets.token_hex(8)
    created = None
    for start in ("first", "second"):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        sim = subprocess.Popen(
            [sys.executable, "-m", "tests.stripe_simulator", "--port", str(port)]
            + ["--state-file", str(state_file), "--log-level", "WARNING"],
            cwd=REPO,
        )
        try:
            health = f"{url}/_simulator/health"
            wait_until(lambda health=health: http_ok(health), 30, "the simulator")
            client = stripe.StripeClient(key, base_addresses={"api": url})
            if start == "first":
                created = client.v1.customers.create({"name": "Across restarts"})
            else:
                assert client.v1.customers.retrieve(created.id).name == "Across restarts"
        finally:
            sim.send_signal(signal.SIGINT)
            assert sim.wait(timeout=30) == 0
        assert state_file.is_file()


def test_reader_page_screens():
    """What the page shows for each state of a reader, from the simulator's own objects."""
    key = "sk_test_" + secrets.token_hex(8)
    with StripeSimulator(port=0) as sim:
        client = stripe.StripeClient(key, base_addresses={"api": sim.url})
        location = client.v1.terminal.locations.create(
            {"display_name": "Shop", "address": {"country": "US"}}
        )
        reader = client.v1.terminal.readers.create(
            {"registration_code": "simulated-wpe", "location": location.id, "label": "Desk"}
        )
        p400 = client.v1.terminal.readers.create(
            {"registration_code": "simulated-p400", "location": location.id}
        )

        def screen(reader_id=reader.id):
            readers = reader_page.screens(sim, key)["accounts"][0]["readers"]
            return [r for r in readers if r["id"] == reader_id][0]

        assert screen()["kind"] == "idle" and screen()["location"] == "Shop"
        assert screen(p400.id)["kind"] == "unsupported"
        client.v1.terminal.readers.set_reader_display(
            reader.id,
            {
                "type": "cart",
                "cart": {
                    "currency": "jpy",
                    "line_items": [{"description": "Tea", "amount": 1200, "quantity": 2}],
                    "tax": 240,
                    "total": 2640,
                },
            },
        )
        cart = screen()
        assert cart["kind"] == "cart" and cart["cart"]["total_text"] == "¥2,640"
        assert cart["cart"]["lines"][0] == {
            "description": "Tea",
            "quantity": 2,
            "amount_text": "¥1,200",
        }
        intent = client.v1.payment_intents.create(
            {"amount": 12550, "currency": "usd", "allowed_payment_method_types": ["card_present"]}
        )
        client.v1.terminal.readers.process_payment_intent(
            reader.id,
            {"payment_intent": intent.id, "process_config": {"enable_customer_cancellation": True}},
        )
        waiting = screen()
        assert (waiting["kind"], waiting["amount_text"], waiting["can_cancel"]) == (
            "payment",
            "$125.50",
            True,
        )
        assert waiting["accepts"] == ["card_present"]
        client.v1.test_helpers.terminal.readers.present_payment_method(
            reader.id, {"type": "card_present", "card_present": {"number": "4000000000000002"}}
        )
        declined = screen()
        assert (declined["kind"], declined["decline_code"]) == ("declined", "generic_decline")
        client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": intent.id})
        client.v1.test_helpers.terminal.readers.present_payment_method(reader.id, {})
        approved = screen()
        assert (approved["kind"], approved["card"]) == ("approved", "Visa •••• 4242")
        moto = client.v1.payment_intents.create(
            {"amount": 3000, "currency": "usd", "allowed_payment_method_types": ["card"]}
        )
        client.v1.terminal.readers.process_payment_intent(
            reader.id, {"payment_intent": moto.id, "process_config": {"moto": True}}
        )
        assert screen()["kind"] == "moto" and screen()["accepts"] == ["card"]
        client.v1.terminal.readers.cancel_action(reader.id)
        sim.set_reader_online(reader.id, False)
        assert screen()["kind"] == "offline"
        # The page itself: one HTML document and its two assets, nothing else from disk.
        assert reader_page.asset("/_simulator/")[0] == 200
        assert reader_page.asset("/_simulator/static/reader.js")[2].startswith("text/javascript")
        assert reader_page.asset("/_simulator/static/../simulator.py")[0] == 404
        assert reader_page.asset("/_simulator/health") is None


def test_generated_readmes_are_up_to_date():
    """Each addon's README.rst and index.html are what its readme/ fragments make (run
    `python3 tools/gen_readme.py` after changing a fragment, a manifest or a screenshot)."""
    assert gen_readme.main(["--check"]) == 0
