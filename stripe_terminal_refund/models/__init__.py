from . import stripe_terminal_refund
from . import stripe_terminal_payment
from . import account_move
from . import account_payment
from . import stripe_terminal_event
