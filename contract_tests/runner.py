"""The old name of `convomock.contract.runner` (running a contract): the very same module, so a patch on either name holds."""

import sys

from convomock.contract import runner as _module
from convomock.contract.runner import *

sys.modules[__name__] = _module
