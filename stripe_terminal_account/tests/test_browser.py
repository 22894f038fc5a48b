# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestBrowser(HttpCase):
    def test_tour_opens_the_accounting_app(self):
        self.start_tour("/web", "stripe_terminal_open_accounting", login="admin")
