"""The old name of `convomock.contract.report` (the reports): the very same module, so a patch on either name holds."""

import sys

from convomock.contract import report as _module
from convomock.contract.report import *

sys.modules[__name__] = _module
