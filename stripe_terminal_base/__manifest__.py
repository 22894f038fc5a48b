# Copyright 2026 The stripe_terminal authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Stripe Terminal Base",
    "summary": "Stripe Terminal readers, the Stripe client, errors, customers, "
    "saved cards and webhooks",
    "version": "17.0.1.0.0",
    "category": "Accounting/Payment Providers",
    "website": "https://github.com/OCA/stripe-terminal",
    "author": "Stripe Terminal Odoo Contributors, Odoo Community Association (OCA)",
    "maintainers": ["stripe-terminal-odoo"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["account_payment", "payment_stripe"],
    "external_dependencies": {"python": ["stripe"]},
    "data": [
        "security/ir.model.access.csv",
        "security/stripe_terminal_security.xml",
        "data/ir_cron_data.xml",
        "views/stripe_terminal_reader_register_views.xml",
        "views/stripe_terminal_reader_views.xml",
        "views/stripe_terminal_location_views.xml",
        "views/payment_provider_views.xml",
        "views/res_users_views.xml",
        "views/stripe_terminal_menus.xml",
    ],
    "installable": True,
    "application": False,
}
