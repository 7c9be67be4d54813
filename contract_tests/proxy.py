"""The old name of `convomock.contract.proxy` (the validating proxy): the very same module, so a patch on either name holds."""

import sys

from convomock.contract import proxy as _module
from convomock.contract.proxy import *

sys.modules[__name__] = _module
