# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestModule(TransactionCase):
    def test_installed_with_its_dependencies(self):
        module = self.env["ir.module.module"].search([("name", "=", "stripe_terminal_account")])
        self.assertEqual(module.state, "installed")
        self.assertEqual(
            set(module.dependencies_id.mapped("name")), {"stripe_terminal_base", "bus"}
        )
        for dependency in module.dependencies_id.depend_id:
            self.assertEqual(dependency.state, "installed", dependency.name)
