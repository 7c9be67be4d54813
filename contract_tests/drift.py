"""The old name of `convomock.contract.drift` (the planted drifts): the very same module, so a patch on either name holds."""

import sys

from convomock.contract import drift as _module
from convomock.contract.drift import *

sys.modules[__name__] = _module
