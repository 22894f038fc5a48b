# Copyright 2026 The stripe_terminal authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Stripe Terminal Demo",
    "summary": "Demo company, Stripe provider, readers, customers and invoices on the project's "
    "Stripe simulator (used by `make demo`, never in production)",
    "version": "17.0.1.0.0",
    "category": "Hidden",
    "website": "https://github.com/OCA/stripe-terminal",
    "author": "Stripe Terminal Odoo Contributors, Odoo Community Association (OCA)",
    "maintainers": ["stripe-terminal-odoo"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": [
        "stripe_terminal_account",
        "stripe_terminal_refund",
        "stripe_terminal_moto",
    ],
    "external_dependencies": {"python": ["stripe"]},
    "post_init_hook": "post_init_hook",
    "installable": True,
    "application": False,
}
