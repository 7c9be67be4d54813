"""The old name of `convomock.contract.fuzz` (the deep contract run; `python -m contract_tests.fuzz` still works)."""

import sys

from convomock.contract import fuzz as _module
from convomock.contract.fuzz import *

if __name__ == "__main__":
    raise SystemExit(_module.main())
sys.modules[__name__] = _module
