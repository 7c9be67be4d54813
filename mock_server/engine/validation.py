"""Turn a raw request into validated input for a handler, or raise RequestInvalid and change nothing.

Query and header values arrive as text; they are coerced to the parameter's declared type before validation
(so `limit=20` is the integer 20, and `limit=abc` fails as "not an integer"). Bodies are parsed strictly: invalid
UTF-8, duplicate keys, NaN/Infinity and absurd nesting are refused, not guessed at.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from mock_server.engine.errors import RequestInvalid, UnsupportedMediaType, Violation
from mock_server.engine.specs import Operation, Parameter, SchemaValidator

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

__all__ = [
    "MAX_NESTING",
    "UploadedPart",
    "ValidatedInput",
    "find_unencodable",
    "parse_form_body",
    "parse_json_body",
    "validate_request",
]

MAX_NESTING = 64
_INTEGER = re.compile(r"-?\d{1,30}")
_NUMBER = re.compile(r"-?\d{1,30}(\.\d{1,30})?([eE][-+]?\d{1,4})?")


@dataclass(frozen=True)
class UploadedPart:
    """One file of a multipart/form-data body."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(slots=True)
class ValidatedInput:
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    raw_query: list[tuple[str, str]] = field(default_factory=list)  # every pair as sent (Feathers' operators)


def _check(
    validator: SchemaValidator, value: Any, location: str, prefix: Sequence[str | int], operation_id: str | None = None
) -> None:
    if not validator.is_valid(value):
        raise RequestInvalid(validator.violations(value, location, prefix), operation_id)


def _missing(parameter: Parameter, message: str, operation: Operation) -> RequestInvalid:
    """A required parameter that is not there; the notes of its schema come along (a vendor's wording of it)."""
    notes = parameter.schema.get("x-convomock")
    violation = Violation(
        parameter.location, (parameter.name,), "required", message, notes=notes if isinstance(notes, Mapping) else {}
    )
    return RequestInvalid([violation], operation.operation_id)


def _coerce(parameter: Parameter, raw: str) -> Any:
    kinds = parameter.schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "integer" in kinds and _INTEGER.fullmatch(raw):
        return int(raw)
    if "number" in kinds and _NUMBER.fullmatch(raw) and math.isfinite(number := float(raw)):  # 1e9999 is no number
        return int(number) if number.is_integer() and "." not in raw and "e" not in raw.lower() else number
    if "boolean" in kinds and raw in ("true", "false"):
        return raw == "true"
    if "null" in kinds and (raw == "null" or (raw == "" and "string" not in kinds)):
        return None  # an empty value is how a qs-style client writes null (`{a: null}` is sent as `a=`)
    return raw


def _coerce_array(parameter: Parameter, values: Sequence[str]) -> list[Any]:
    items = parameter.schema.get("items") or {}
    item = Parameter(parameter.name, parameter.location, False, items, parameter.validator)
    return [_coerce(item, value) for value in values]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)  # built in C; only a body that really repeats a key pays for finding which
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return result


def refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def finite_float(text: str) -> float:
    """`1e400` is valid JSON but no double: json would make it infinity, which no answer or state file can hold
    (orjson writes it as null, and a restore then refuses the file)."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is too large for a double")
    return value


def _depth(text: str) -> int:
    """Deepest nesting of [ and { outside strings, measured without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


# A lone UTF-16 surrogate can enter only as a `\\uD800`..`\\uDFFF` escape (UTF-8 text cannot hold one); a body
# without such an escape is not walked.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def find_unencodable(value: Any, pointer: tuple[str | int, ...] = ()) -> tuple[tuple[str | int, ...], str, bool] | None:
    """Where `value` holds a string UTF-8 cannot encode (a lone UTF-16 surrogate, in a key or a value, at any
    depth), that string, and whether it is a key (then the place is the object holding it); None when there is
    none. Without recursion: the body's nesting is bounded, but a
    state is not."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(pointer, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return where, item, False
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and not key.isascii():
                    try:
                        key.encode("utf-8")
                    except UnicodeEncodeError:
                        return where, key, True
                stack.append(((*where, key), child))
        elif isinstance(item, (list, tuple)):
            stack.extend(((*where, index), child) for index, child in enumerate(item))
    return None


def _encodes(value: Any) -> bool:
    """orjson's C check first (an emoji's escaped pair is the usual case); it also refuses integers past 64 bits,
    so a False here only means: walk it."""
    try:
        orjson.dumps(value)
    except TypeError:
        return False
    return True


def _surrogate_message(found: tuple[tuple[str | int, ...], str, bool], location: str) -> str:
    pointer, text, is_key = found
    place = location + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in pointer)
    lone = next(char for char in text if 0xD800 <= ord(char) <= 0xDFFF)
    return f"lone UTF-16 surrogate \\u{ord(lone):04x} (half of a cut pair) in {'a key of ' if is_key else ''}{place}"


def parse_json_body(raw: bytes) -> Any:
    """Strict JSON: raises RequestInvalid with a message a client developer can act on."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestInvalid.single(
            "body", f"body is not valid UTF-8 (byte {exc.start})", kind="invalid_json"
        ) from None
    if "\x00" in text:
        raise RequestInvalid.single("body", "body contains a NUL character", kind="invalid_json")
    # Counting brackets is C-fast: a body with no more than MAX_NESTING of them cannot nest deeper, so only the
    # rare larger body pays for the character walk.
    if text.count("[") + text.count("{") > MAX_NESTING and _depth(text) > MAX_NESTING:
        raise RequestInvalid.single("body", f"JSON nested deeper than {MAX_NESTING} levels", kind="invalid_json")
    try:
        parsed = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=refuse_constant, parse_float=finite_float
        )
    except json.JSONDecodeError as exc:
        raise RequestInvalid.single(
            "body", f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", kind="invalid_json"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise RequestInvalid.single("body", f"body is not valid JSON: {exc}", kind="invalid_json") from None
    if _SURROGATE_ESCAPE.search(text) and not _encodes(parsed) and (found := find_unencodable(parsed)) is not None:
        raise RequestInvalid.single(
            "body", f"body is not valid JSON: {_surrogate_message(found, 'body')}", kind="invalid_json"
        )
    return parsed


MAX_FORM_PARTS = 1000  # Starlette's limits for a form (FastAPI's): text fields, files, and bytes of one text field
MAX_FORM_FIELD_BYTES = 1024 * 1024


def _form_error(message: str) -> RequestInvalid:
    return RequestInvalid.single("body", message, kind="invalid_form")


def _form_text(raw: bytes, charset: str) -> str:
    """Names and text fields as Starlette decodes them: in the body's charset, else byte for byte (latin-1)."""
    try:
        return raw.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return raw.decode("latin-1")


class _FormCollector:
    """python-multipart's callbacks, the way Starlette's MultiPartParser (so FastAPI) uses them, kept in memory.

    A last part cut off before its closing boundary is dropped, as Starlette drops it."""

    def __init__(self, charset: str) -> None:
        self.charset = charset
        self.form: dict[str, Any] = {}
        self.headers: dict[bytes, bytes] = {}
        self.field = self.value = b""
        self.name = ""
        self.filename: str | None = None
        self.chunks: list[bytes] = []
        self.counts = {"fields": 0, "files": 0}

    def on_part_begin(self) -> None:
        self.headers, self.chunks = {}, []

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.field.lower()] = self.value
        self.field = self.value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition"))
        if b"name" not in options:
            raise _form_error('a form part has no name: its Content-Disposition header field "name" must be provided')
        self.name = _form_text(options[b"name"], self.charset)
        self.filename = _form_text(options[b"filename"], self.charset) if b"filename" in options else None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.chunks.append(data[start:end])

    def on_part_end(self) -> None:
        data = b"".join(self.chunks)
        kind = "fields" if self.filename is None else "files"
        self.counts[kind] += 1
        if self.counts[kind] > MAX_FORM_PARTS:
            raise _form_error(f"too many form {kind} (at most {MAX_FORM_PARTS})")
        if self.filename is not None:
            content_type = self.headers.get(b"content-type", b"").decode("latin-1").strip()
            self.form[self.name] = UploadedPart(self.filename, content_type or "application/octet-stream", data)
        elif len(data) > MAX_FORM_FIELD_BYTES:
            raise _form_error(f"form field {self.name!r} exceeds {MAX_FORM_FIELD_BYTES // 1024} KB")
        else:
            self.form[self.name] = _form_text(data, self.charset)  # a repeated name: the last part, as FastAPI


def parse_form_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """multipart/form-data into {field: text or UploadedPart}, parsed by python-multipart as Starlette (so FastAPI)
    parses it (mock_server/apis/README.md, "Parsers", compares it with the email parser it replaced)."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise _form_error("not a multipart/form-data body: the Content-Type has no boundary")
    collector = _FormCollector(params.get(b"charset", b"utf-8").decode("latin-1"))
    callbacks: MultipartCallbacks = {
        "on_part_begin": collector.on_part_begin,
        "on_header_field": collector.on_header_field,
        "on_header_value": collector.on_header_value,
        "on_header_end": collector.on_header_end,
        "on_headers_finished": collector.on_headers_finished,
        "on_part_data": collector.on_part_data,
        "on_part_end": collector.on_part_end,
    }
    try:
        parser = MultipartParser(boundary, callbacks)
        parser.write(raw)
        parser.finalize()
    except FormParserError as exc:
        raise _form_error(f"not a valid multipart/form-data body: {exc}") from None
    # A charset such as utf-7 can decode to a lone surrogate: refuse it here, as a JSON body refuses its escape.
    shown = {name: (part.filename if isinstance(part, UploadedPart) else part) for name, part in collector.form.items()}
    if (found := find_unencodable(shown)) is not None:
        raise _form_error(f"not a valid multipart/form-data body: {_surrogate_message(found, 'body')}")
    return collector.form


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def validate_request(
    operation: Operation,
    path_params: Mapping[str, str],
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    content_type: str | None,
) -> ValidatedInput:
    result = ValidatedInput(raw_query=list(query))
    for parameter in operation.parameters:
        if parameter.location == "path":
            value: Any = _coerce(parameter, path_params[parameter.name])
            _check(parameter.validator, value, "path", [parameter.name], operation.operation_id)
            result.path[parameter.name] = value
        elif parameter.location == "query":
            values = [v for k, v in query if k == parameter.name]
            if not values:
                if parameter.required:
                    raise _missing(parameter, f'"{parameter.name}" is a required parameter', operation)
                continue
            if parameter.is_array:
                value = _coerce_array(parameter, values)
            elif len(values) > 1:
                raise RequestInvalid.single(
                    "query", "may be given only once", [parameter.name], "maxItems", limit=1, value=values
                )
            else:
                value = _coerce(parameter, values[0])
            _check(parameter.validator, value, "query", [parameter.name], operation.operation_id)
            result.query[parameter.name] = value
        elif parameter.location == "header":
            raw = headers.get(parameter.name.lower())
            if raw is None:
                if parameter.required:
                    raise _missing(parameter, f'"{parameter.name}" is a required header', operation)
                continue
            value = _coerce(parameter, raw)
            _check(parameter.validator, value, "header", [parameter.name], operation.operation_id)
            result.headers[parameter.name] = value
    if operation.body_validator is None and operation.form_validator is None:
        return result
    if operation.raw_body:  # a receiver that parses (and parks) what it gets itself: the bytes, unchecked
        result.body = body
        return result
    if not body:
        if operation.body_required:
            kind = "JSON" if operation.body_validator is not None else "multipart/form-data"
            raise RequestInvalid(
                [Violation("body", (), "required", f"a {kind} request body is required")], operation.operation_id
            )
        return result
    media = (content_type or "").split(";")[0].strip().lower()
    if operation.form_validator is not None and media == "multipart/form-data":
        form = parse_form_body(body, content_type or "")
        shown = {k: (f"<file {v.filename}>" if isinstance(v, UploadedPart) else v) for k, v in form.items()}
        _check(operation.form_validator, shown, "body", [], operation.operation_id)
        result.body = form
        return result
    if operation.body_validator is None or not _is_json(content_type):
        raise UnsupportedMediaType(content_type)
    parsed = parse_json_body(body)
    _check(operation.body_validator, parsed, "body", [], operation.operation_id)
    result.body = parsed
    return result
