"""convomock's public Python API under its own name, which no folder of a user's project shadows (a suite's own
`contract_tests/` folder shadows the older top-level name of the contract toolkit).

    from convomock.contract import contract_schema, contract_workflows, run_contract
    from convomock.testing import ConvoMock

The old names (`contract_tests`, `mock_server.testing`) keep working: the same modules under another name.
"""

from __future__ import annotations

from mock_server import DATA_ROOT, __version__

__all__ = ["DATA_ROOT", "__version__"]
