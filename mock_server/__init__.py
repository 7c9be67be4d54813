"""convomock: a stateful, spec-driven fake of four conversation-inbox APIs."""
from __future__ import annotations

__all__ = ["__version__"]
__version__ = "0.1.0"
