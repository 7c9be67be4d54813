"""Hand-written parsers against libraries that could replace them (figures and choice: mock_server/apis/README.md).

`python -m bench.parsers [--quick]` measures, best of 5 runs of many calls each, in microseconds per call:

* the qs-style query of the Feathers-style inbox: our `omniinbox.wire.parse` (fed the pairs the engine's
  `parse_qsl` already made, as in a request) against `qs_codec.decode`, the Python port of Node's qs, fed the raw
  string (its fastest way in), on a 6-pair Feathers query;
* multipart/form-data: the engine's `parse_form_body` (python-multipart, as Starlette and so FastAPI use it)
  against the standard library's `email.parser` version it replaced (kept below for this comparison), on a 2-part
  form with a 10 KB file, a 1 MB file and a 10 MB file (the CRM inbox's upload limit).

Then, the same inputs in both: for each hostile query, whether our parser and qs-codec agree (and both answers where
they do not); for each hostile form body, what Starlette's own MultiPartParser (FastAPI's answer), ours and the old
email parser make of it. qs-codec is not a dependency: `pip install qs-codec` to include it, else its rows are
skipped. Results go to stdout; nothing here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import timeit
from collections.abc import AsyncGenerator, Callable
from email.parser import BytesParser
from email.policy import HTTP
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.formparsers import MultiPartException, MultiPartParser

from mock_server.apis.omniinbox.errors import BadRequest
from mock_server.apis.omniinbox.wire import parse
from mock_server.engine.errors import RequestInvalid
from mock_server.engine.validation import UploadedPart, parse_form_body

__all__ = ["email_parse_form_body", "main"]

FEATHERS_QUERY = "status[$in][0]=open&status[$in][1]=pending&channel=whatsapp&$sort[updatedAt]=-1&$limit=20&$skip=0"
HOSTILE_QUERIES = (
    "a[]=1&a[]=2",
    "a[0]=x&a[1]=y",
    "a[1]=y&a[0]=x",
    "a[]=1&a[0]=2",
    "a[21]=x",  # past qs's arrayLimit (20): an object for qs, still a list for us
    "a[01]=x",
    "a[b]=1&a=2",  # a value and fields for one name: a list of both for qs, refused by us
    "a=1&a=2",
    "=x",
    "[a]=x",
    "a%5Bb%5D=1",
    "a[b=1",
    "a[b][c][d][e][f][g]=1",  # past qs's depth (5): the rest is one literal key
    "a" + "[b]" * 500 + "=1",
    "a=&a[b]=",
)
BOUNDARY = "convomockbench"
FORM_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def email_parse_form_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """The engine's parser before python-multipart: the standard library's MIME parser over the body."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        raise RequestInvalid.single("body", "not a multipart/form-data body", kind="invalid_form")
    form: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            raise RequestInvalid.single("body", "a form part has no name", kind="invalid_form")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        form[name] = (
            UploadedPart(filename, part.get_content_type(), data)
            if filename is not None
            else data.decode("utf-8", errors="replace")
        )
    return form


def _part(disposition: bytes, data: bytes, headers: bytes = b"") -> bytes:
    return (
        b"--"
        + BOUNDARY.encode()
        + b"\r\nContent-Disposition: form-data; "
        + disposition
        + b"\r\n"
        + headers
        + (b"\r\n" + data + b"\r\n")
    )


_END = b"--" + BOUNDARY.encode() + b"--\r\n"
_NOTE = _part(b'name="note"', b"hello")
_FILE = _part(b'name="file"; filename="plan.pdf"', b"%PDF-1.4 plan", b"Content-Type: application/pdf\r\n")


def form(file_bytes: int) -> bytes:
    """A text field and a file of `file_bytes` random bytes, as httpx or a browser sends them."""
    return (
        _NOTE
        + _part(b'name="file"; filename="plan.pdf"', os.urandom(file_bytes), b"Content-Type: application/pdf\r\n")
        + _END
    )


HOSTILE_FORMS: tuple[tuple[str, bytes, str], ...] = (
    ("no boundary", _NOTE + _END, "multipart/form-data"),
    ("part without a name", _part(b'filename="a.txt"', b"x") + _END, FORM_TYPE),
    ("repeated field", _NOTE + _part(b'name="note"', b"again") + _END, FORM_TYPE),
    ("no closing boundary", _NOTE + _FILE, FORM_TYPE),
    ("cut inside a part's headers", _NOTE + _FILE[:40], FORM_TYPE),
    ("LF line ends", (_NOTE + _END).replace(b"\r\n", b"\n"), FORM_TYPE),
    ("latin-1 filename", _part(b'name="file"; filename="caf\xe9.pdf"', b"x") + _END, FORM_TYPE),
    ("no part Content-Type", _part(b'name="file"; filename="a.bin"', b"x") + _END, FORM_TYPE),
    (
        "base64 part",
        _part(b'name="file"; filename="a.txt"', b"aGk=", b"Content-Transfer-Encoding: base64\r\n") + _END,
        FORM_TYPE,
    ),
    ("1,001 fields", b"".join(_part(b'name="f%d"' % i, b"v") for i in range(1001)) + _END, FORM_TYPE),
)


def per_call_us(call: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e6


def _qs_codec() -> Any:
    try:
        return importlib.import_module("qs_codec")
    except ImportError:
        return None


def _query_outcome(run: Callable[[], Any]) -> str:
    try:
        return repr(run())
    except BadRequest as exc:
        return f"400 {exc}"
    except RecursionError:
        return "crash RecursionError"


def _form_outcome(run: Callable[[], dict[str, Any]]) -> str:
    try:
        form = run()
    except RequestInvalid as exc:
        return f"refused ({exc.violations[0].message[:50]})"
    except MultiPartException as exc:
        return f"refused ({exc.message[:50]})"
    shown = []
    for name, value in form.items():
        if isinstance(value, str):
            shown.append(f"{name}={value[:10]!r}")
        else:
            filename = getattr(value, "filename", "")
            kind = getattr(value, "content_type", None)
            size = len(value.data) if isinstance(value, UploadedPart) else getattr(value, "size", "?")
            shown.append(f"{name}=<{filename!r} {kind} {size}B>")
    text = "{" + ", ".join(shown) + "}"
    return text if len(text) <= 60 else text[:57] + "..."


def fastapi_form(raw: bytes, content_type: str) -> dict[str, Any]:
    """What Starlette's MultiPartParser (FastAPI's `request.form()`) makes of a body: the last value per name."""

    async def stream() -> AsyncGenerator[bytes, None]:
        yield raw

    async def run() -> dict[str, Any]:
        parsed = await MultiPartParser(Headers({"content-type": content_type}), stream()).parse()
        return dict(parsed.multi_items())

    return asyncio.run(run())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.parsers", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the calls (noisier figures)")
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    qs_codec = _qs_codec()

    print("| input | parser | µs per call |")
    print("| --- | --- | ---: |")
    pairs = parse_qsl(FEATHERS_QUERY, keep_blank_values=True)
    print(
        f"| 6-pair Feathers query | ours (wire.parse) | {per_call_us(lambda: parse(pairs), int(20000 * scale)):.1f} |"
    )
    if qs_codec is not None:
        assert qs_codec.decode(FEATHERS_QUERY) == parse(pairs)
        decode_us = per_call_us(lambda: qs_codec.decode(FEATHERS_QUERY), int(20000 * scale))
        print(f"| 6-pair Feathers query | qs-codec {qs_codec.__version__} | {decode_us:.1f} |")
    for label, size, number in (
        ("2 parts, 10 KB file", 10_000, 2000),
        ("1 MB file", 1_000_000, 50),
        ("10 MB file", 10_000_000, 5),
    ):
        raw = form(size)
        assert parse_form_body(raw, FORM_TYPE)["file"].data == email_parse_form_body(raw, FORM_TYPE)["file"].data
        for name, run in (("python-multipart", parse_form_body), ("email.parser (before)", email_parse_form_body)):
            calls = max(1, int(number * scale))
            print(f"| {label} | {name} | {per_call_us(partial(run, raw, FORM_TYPE), calls):.1f} |")

    if qs_codec is not None:
        print("\nHostile queries, ours against qs-codec:")
        for query in HOSTILE_QUERIES:
            ours = _query_outcome(partial(parse, parse_qsl(query, keep_blank_values=True)))
            theirs = _query_outcome(partial(qs_codec.decode, query))
            shown = query if len(query) <= 40 else query[:37] + "..."
            verdict = "same" if ours == theirs else f"ours {ours[:70]}  qs-codec {theirs[:70]}"
            print(f"  {shown:<40} {verdict}")
    print("\nHostile form bodies: FastAPI (Starlette) | ours | email.parser (before):")
    for label, raw, content_type in HOSTILE_FORMS:
        print(f"  {label}")
        for name, run_form in (
            ("FastAPI", fastapi_form),
            ("ours", parse_form_body),
            ("before", email_parse_form_body),
        ):
            print(f"    {name:<8} {_form_outcome(partial(run_form, raw, content_type))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
