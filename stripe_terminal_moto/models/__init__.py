from . import payment_token
from . import res_company
from . import res_config_settings
from . import stripe_terminal_event
from . import stripe_terminal_payment
from . import stripe_terminal_reader
