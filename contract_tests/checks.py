"""The old name of `convomock.contract.checks` (convomock's own checks): the very same module, so a patch on either name holds."""

import sys

from convomock.contract import checks as _module
from convomock.contract.checks import *

sys.modules[__name__] = _module
