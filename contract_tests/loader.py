"""The old name of `convomock.contract.loader` (loading a spec for a run): the very same module, so a patch on either name holds."""

import sys

from convomock.contract import loader as _module
from convomock.contract.loader import *

sys.modules[__name__] = _module
