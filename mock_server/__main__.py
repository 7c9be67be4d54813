"""`python -m mock_server` runs the same CLI as the `convomock` script."""

from __future__ import annotations

from mock_server.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
