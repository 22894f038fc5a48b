from . import test_module
from . import test_refund
from . import test_refund_webhook
from . import test_refund_reader
from . import test_security
from . import test_browser
from . import test_constraints
