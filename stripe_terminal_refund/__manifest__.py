# Copyright 2026 The stripe_terminal authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Stripe Terminal Refunds",
    "summary": "Refund a credit note to the card that paid its invoice through Stripe Terminal",
    "version": "17.0.1.0.0",
    "category": "Accounting/Payment Providers",
    "website": "https://github.com/OCA/stripe-terminal",
    "author": "Stripe Terminal Odoo Contributors, Odoo Community Association (OCA)",
    "maintainers": ["stripe-terminal-odoo"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["stripe_terminal_account"],
    "external_dependencies": {"python": ["stripe"]},
    "data": [
        "security/ir.model.access.csv",
        "security/stripe_terminal_refund_security.xml",
        "data/stripe_terminal_refund_data.xml",
        "views/stripe_terminal_refund_views.xml",
        "views/stripe_terminal_payment_views.xml",
        "views/account_move_views.xml",
        "views/stripe_terminal_refund_wizard_views.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "stripe_terminal_refund/static/tests/tours/**/*",
        ],
    },
    "installable": True,
    "application": False,
}
