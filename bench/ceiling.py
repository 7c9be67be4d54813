"""The ceiling: a bare Starlette app under the same uvicorn that answers every request with constant bytes.

`BENCH_CEILING_BODY` names a file holding the body the mock gave for the row (captured first), and
`BENCH_CEILING_STATUS` its status, so both servers put the same bytes on the wire. A POST's body is read, as any
real server must read it; nothing is parsed, validated or stored. Served with
`uvicorn bench.ceiling:app --loop uvloop --http httptools`.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["app"]

BODY = Path(os.environ["BENCH_CEILING_BODY"]).read_bytes() if "BENCH_CEILING_BODY" in os.environ else b"{}"
STATUS = int(os.environ.get("BENCH_CEILING_STATUS", "200"))


async def answer(request: Request) -> Response:
    if request.method == "POST":
        await request.body()
    return Response(BODY, status_code=STATUS, media_type="application/json")


app = Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])
