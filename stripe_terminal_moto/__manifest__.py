# Copyright 2026 The stripe_terminal authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Stripe Terminal MOTO",
    "summary": "Mail and telephone orders keyed on the Stripe Terminal reader",
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
        "views/account_payment_register_views.xml",
        "views/res_config_settings_views.xml",
        "views/stripe_terminal_payment_views.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "stripe_terminal_moto/static/tests/tours/**/*",
        ],
    },
    "installable": True,
    "application": False,
}
