# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every entry of the error table, reached through a real Stripe-shaped answer over HTTP."""

from unittest.mock import patch

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import code_translations

from .. import const
from ..client import StripeTerminalClient
from ..errors import StripeTerminalError
from .common import StripeTerminalCase

# Issuers' decline codes arrive as `decline_code` of a 402 card_error.
DECLINE_CODES = {
    "generic_decline",
    "insufficient_funds",
    "lost_card",
    "stolen_card",
    "pickup_card",
    "fraudulent",
    "do_not_honor",
    "do_not_try_again",
    "call_issuer",
    "withdrawal_count_limit_exceeded",
    "card_velocity_exceeded",
    "transaction_not_allowed",
    "not_permitted",
    "card_not_supported",
    "currency_not_supported",
    "restricted_card",
    "issuer_not_available",
    "try_again_later",
    "duplicate_transaction",
    "testmode_decline",
    "incorrect_pin",
    "invalid_pin",
    "pin_try_exceeded",
    "offline_pin_required",
    "online_or_offline_pin_required",
    "incorrect_zip",
}
# Card error codes Stripe sends as `code` of a 402 card_error.
CARD_CODES = {
    "card_declined",
    "expired_card",
    "incorrect_cvc",
    "invalid_cvc",
    "incorrect_number",
    "invalid_number",
    "invalid_expiry_month",
    "invalid_expiry_year",
    "processing_error",
    "authentication_required",
}
# Errors that are not a `code` in Stripe's answer: how Stripe actually says them.
SPECIAL_ANSWERS = {
    "authentication_error": (
        401,
        {"type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_****"},
    ),
    "permission_error": (
        403,
        {"type": "invalid_request_error", "message": "The provided key does not have access."},
    ),
    "rate_limit": (
        429,
        {
            "type": "invalid_request_error",
            "code": "rate_limit",
            "message": "Request rate limit exceeded.",
        },
    ),
    "api_error": (500, {"type": "api_error", "message": "Sorry, something went wrong."}),
    "idempotency_error": (
        400,
        {
            "type": "idempotency_error",
            "message": "Keys for idempotent requests can only be used "
            "with the same parameters they were first used with.",
        },
    ),
    "refund_exceeds_charge": (
        400,
        {
            "type": "invalid_request_error",
            "param": "amount",
            "message": "Refund amount ($1.00) is greater than unrefunded amount on charge ($0.90)",
        },
    ),
    "moto_not_enabled": (
        400,
        {
            "type": "invalid_request_error",
            "code": "parameter_unknown",
            "param": "process_config[moto]",
            "message": "Received unknown parameter: process_config[moto]",
        },
    ),
    "currency_unsupported": (
        400,
        {"type": "invalid_request_error", "param": "currency", "message": "Invalid currency: xyz."},
    ),
}
# Codes Stripe sends with another HTTP status than 400. stripe-python keeps `code` on the
# exception for 400, 402 and 404 answers only: these must be read from the error object.
CODE_STATUSES = {
    "api_key_expired": 401,
    "resource_missing": 404,
    "idempotency_key_in_use": 409,
    "lock_timeout": 429,
}
# Keys the suite raises itself (no Stripe answer carries them).
LOCAL_KEYS = {
    "api_connection_error",
    "terminal_reader_unsupported_device",
    "interac_refund_on_reader",
    "action_canceled",
    "secret_key_required",
}


def answer_for(key):
    if key in SPECIAL_ANSWERS:
        return SPECIAL_ANSWERS[key]
    if key in DECLINE_CODES:
        return 402, {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": key,
            "message": "Your card was declined.",
        }
    if key in CARD_CODES:
        return 402, {"type": "card_error", "code": key, "message": "Card error."}
    status = CODE_STATUSES.get(key, 400)
    return status, {"type": "invalid_request_error", "code": key, "message": f"Error {key}."}


@tagged("post_install", "-at_install")
class TestErrorTable(TransactionCase):
    # An environment: 19.0 translates a lazy message from the calling test's env.uid.
    def test_the_table_covers_at_least_twenty_errors_of_every_kind(self):
        self.assertGreaterEqual(len(const.ERRORS), 20)
        categories = {info.category for info in const.ERRORS.values()}
        self.assertEqual(
            categories, {"reader", "card", "account", "amount", "refund", "intent", "network"}
        )
        for key, info in const.ERRORS.items():
            self.assertTrue(str(info.message).strip(), key)

    def test_an_unknown_code_still_says_which(self):
        error = StripeTerminalError("something_new")
        self.assertIn("something_new", error.user_message())

    def test_messages_are_in_the_language_of_the_environment_given(self):
        # A cron or a webhook's job has no request to take a language from: the error's
        # message must follow the environment the caller passes, without a warning on any
        # series.
        self.env["res.lang"]._activate_lang("fr_FR")
        french_env = self.env["res.partner"].with_context(lang="fr_FR").env
        message = const.ERRORS["terminal_reader_offline"].message
        translations = {(message._module, "fr_FR"): {message._source: "Le lecteur est hors ligne."}}
        error = StripeTerminalError("terminal_reader_offline")
        with (
            patch.dict(code_translations.python_translations, translations),
            self.assertNoLogs("odoo.tools.translate", "WARNING"),
        ):
            self.assertEqual(error.user_message(french_env), "Le lecteur est hors ligne.")


@tagged("post_install", "-at_install")
class TestErrorsOverHttp(StripeTerminalCase):
    def client(self):
        # No SDK retry: each injected answer is seen as it is.
        return StripeTerminalClient(
            self.secret_key, api_base=self.simulator.url, max_network_retries=0
        )

    def raised(self, key):
        if key == "api_connection_error":
            self.simulator.inject_fault("drop", count=1, path="/v1/terminal/readers")
        else:
            status, error = answer_for(key)
            self.simulator.inject_fault(
                "error", count=1, path="/v1/terminal/readers", status=status, error=error
            )
        with self.assertRaises(StripeTerminalError) as caught:
            self.client().call("terminal.readers.list")
        return caught.exception

    def test_every_stripe_error_maps_to_its_message(self):
        for key, info in const.ERRORS.items():
            if key in LOCAL_KEYS - {"api_connection_error"}:
                continue
            with self.subTest(key=key):
                error = self.raised(key)
                self.assertEqual(error.key, key)
                self.assertEqual(error.user_message(), str(info.message))
                self.assertNotIn(self.secret_key, error.technical)

    def test_codes_of_every_http_status_are_read_from_the_error_object(self):
        for key, status in CODE_STATUSES.items():
            with self.subTest(key=key):
                error = self.raised(key)
                self.assertEqual(error.key, key)
                self.assertIn(f"http={status}", error.technical)

    def test_a_request_still_running_on_stripe_has_an_unknown_outcome(self):
        # 409 idempotency_key_in_use: Stripe may still apply it; never a refusal.
        self.assertTrue(self.raised("idempotency_key_in_use").network)
        self.assertFalse(self.raised("resource_missing").network)

    def test_a_code_the_table_does_not_know_shows_stripes_own_words(self):
        self.simulator.inject_fault(
            "error",
            count=1,
            path="/v1/terminal/readers",
            status=400,
            error={
                "type": "invalid_request_error",
                "code": "terminal_reader_new_thing",
                "message": "The reader needs a software update first.",
            },
        )
        with self.assertRaises(StripeTerminalError) as caught:
            self.client().call("terminal.readers.list")
        message = caught.exception.user_message()
        self.assertIn("terminal_reader_new_thing", message)
        self.assertIn("The reader needs a software update first.", message)
        # A reader action's failure without a known code: the reader's own message.
        action = {
            "type": "process_payment_intent",
            "status": "failed",
            "failure_code": "reader_side_mystery",
            "failure_message": "Something happened on the reader.",
            "api_error": None,
        }
        self.assertIn(
            "Something happened on the reader.",
            StripeTerminalError.from_reader_action(action).user_message(),
        )

    def test_local_keys_have_their_own_raisers(self):
        # The keys no Stripe answer carries are produced by the suite's own checks; each is
        # tested where it is raised (pre-flight, refunds); here: they exist in the table.
        for key in LOCAL_KEYS:
            self.assertIn(key, const.ERRORS)

    def test_real_declines_from_the_simulated_reader(self):
        """Stripe's own test cards, read by the reader: the action's api_error gives the
        precise code, and the accountant's message follows it."""
        cases = {
            "4000000000000002": "generic_decline",
            "4000000000009995": "insufficient_funds",
            "4000000000009987": "lost_card",
            "4000000000009979": "stolen_card",
            "4000000000000069": "expired_card",
            "4000000000000119": "processing_error",
        }
        reader = self.create_reader()
        client = self.client()
        for number, key in cases.items():
            with self.subTest(number=number):
                intent = client.call(
                    "payment_intents.create",
                    params={
                        "amount": 1500,
                        "currency": "usd",
                        "allowed_payment_method_types": ["card_present"],
                    },
                    idempotency_key=f"decline-{number}",
                )
                client.call(
                    "terminal.readers.process_payment_intent",
                    reader.stripe_reader_id,
                    params={"payment_intent": intent["id"]},
                    idempotency_key=f"process-{number}",
                )
                stripe_reader = self.present_card(reader, number)
                error = StripeTerminalError.from_reader_action(stripe_reader["action"])
                self.assertEqual(error.key, key)
                self.assertEqual(error.user_message(), str(const.ERRORS[key].message))

    def test_amount_rules_from_stripe(self):
        client = self.client()
        for amount, currency, key in (
            (10, "usd", "amount_too_small"),
            (100000000, "usd", "amount_too_large"),
            (5125, "kwd", "invalid_charge_amount"),
            (1000, "xyz", "currency_unsupported"),
        ):
            with self.subTest(currency=currency, amount=amount):
                with self.assertRaises(StripeTerminalError) as caught:
                    client.call(
                        "payment_intents.create",
                        params={
                            "amount": amount,
                            "currency": currency,
                            "allowed_payment_method_types": ["card_present"],
                        },
                        idempotency_key=f"amount-{amount}-{currency}",
                    )
                self.assertEqual(caught.exception.key, key)
