"""The old name of `convomock.contract.cli` (`convomock contract` and `convomock proxy`): the very same module, so a patch on either name holds."""

import sys

from convomock.contract import cli as _module
from convomock.contract.cli import *

sys.modules[__name__] = _module
