"""convomock's benchmark (issue 8): `make bench`, i.e. `python -m bench`. Never part of `make test`.

It measures the mock as users run it (`convomock serve` under uvicorn, pinned to one core) against a bare
Starlette app answering the same bytes (the ceiling of Python + uvicorn on that core) and Stoplight Prism's static
mock of the same spec, plus start-up time, memory after seeding, and two tenant shards behind nginx. See
bench/README.md.
"""

from __future__ import annotations

__all__: list[str] = []
