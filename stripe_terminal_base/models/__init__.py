from . import payment_provider
from . import stripe_terminal_location
from . import stripe_terminal_reader
from . import stripe_terminal_customer
from . import stripe_terminal_event
from . import payment_token
from . import res_partner
from . import res_users
