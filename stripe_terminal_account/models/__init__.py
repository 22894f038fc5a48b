from . import account_journal
from . import account_payment
from . import stripe_terminal_payment
from . import stripe_terminal_event
