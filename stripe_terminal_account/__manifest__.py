# Copyright 2026 The stripe_terminal authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Stripe Terminal Invoice Payments",
    "summary": "Collect invoice payments on a Stripe Terminal reader from Register Payment",
    "version": "17.0.1.0.0",
    "category": "Accounting/Payment Providers",
    "website": "https://github.com/OCA/stripe-terminal",
    "author": "Stripe Terminal Odoo Contributors, Odoo Community Association (OCA)",
    "maintainers": ["stripe-terminal-odoo"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["stripe_terminal_base", "bus"],
    "external_dependencies": {"python": ["stripe"]},
    "data": [
        "security/ir.model.access.csv",
        "security/stripe_terminal_security.xml",
        "data/stripe_terminal_data.xml",
        "views/account_journal_views.xml",
        "views/account_payment_register_views.xml",
        "views/stripe_terminal_payment_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "stripe_terminal_account/static/src/overlay/*",
        ],
        "web.assets_tests": [
            "stripe_terminal_account/static/tests/tours/**/*",
        ],
    },
    "installable": True,
    "application": False,
}
