"""The old name of `convomock.contract`, the contract toolkit: `from convomock.contract import contract_schema`.

Kept so existing imports work; a project with its own `contract_tests/` folder shadows this name, never
`convomock`'s. Each submodule here is the very same module as `convomock.contract.<name>`.
"""

from convomock.contract import *
from convomock.contract import __all__ as __all__
