from . import test_module
from . import test_collect
from . import test_flows
from . import test_browser
from . import test_constraints
from . import test_flow_decisions
