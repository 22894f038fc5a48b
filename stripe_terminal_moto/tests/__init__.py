from . import test_module
from . import test_moto
from . import test_moto_saved_card
from . import test_moto_access
from . import test_browser
from . import test_stripe_requests
from . import test_flow_decisions
