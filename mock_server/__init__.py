"""convomock: a stateful, spec-driven fake of four conversation-inbox APIs."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA_ROOT", "__version__"]
__version__ = "0.1.0"

_HERE = Path(__file__).resolve().parent
# Where specs/, fixtures/ and scenarios/ are. A wheel (pip, pipx) carries them in mock_server/_data, which in a
# checkout holds symlinks to the top-level folders; without symlinks (a Windows checkout), the checkout's root.
DATA_ROOT = _HERE / "_data" if (_HERE / "_data" / "specs").is_dir() else _HERE.parent
