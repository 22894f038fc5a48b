from . import account_payment_register
from . import stripe_terminal_refund_wizard
