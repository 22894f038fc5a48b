from . import stripe_terminal_reader_register
