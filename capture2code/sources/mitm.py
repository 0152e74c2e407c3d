"""mitmproxy flow files (`mitmdump -w`) -> records.

A flow file is a sequence of tnetstrings (`<length>:<payload><type>`), one per flow, each
the flow's state (`Flow.get_state()`). Records come from `capture2code.mitm.parts_to_record`,
the conversion the live addon uses, so `-w` and the addon give the same records.

mitmproxy's own FlowReader builds every object of a flow (connections, certificates,
typed dataclasses): 3.6 s for a 1 GB console capture before any conversion. Flows in the
format this reader knows (version 21, written by mitmproxy 10 to 12) are read directly
instead: only the request, response, error and websocket parts are parsed, the rest of the
state is skipped by its length, and bodies stay views into the flow's bytes until a record
keeps them (a static asset's body never is). Flows in any other format version go through
mitmproxy's own migration and `Flow.from_state`, as FlowReader does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, BinaryIO

from capture2code.record import Record

KNOWN_FORMAT = 21  # mitmproxy.version.FLOW_FORMAT_VERSION this reader parses itself
_MAX_PREFIX = 12  # digits of a length, as mitmproxy's reader allows
_DIRECT_READ = 1 << 26  # flows up to this size are read in one call
_WEBSOCKET_TEXT = 1  # the TEXT opcode


class FlowFileError(ValueError):
    """A file that is not a mitmproxy flow file, or one cut short or damaged."""


class _Unexpected(Exception):
    """A state this reader does not parse itself: mitmproxy's full path takes it."""


# --- tnetstrings ------------------------------------------------------------------------

Span = tuple[int, int, int]  # payload start, payload end, type tag


def _span(data: bytes, position: int, end: int) -> Span:
    colon = data.find(b":", position, position + _MAX_PREFIX + 1)
    digits = data[position:colon]
    if colon < 0 or not digits.isdigit():
        raise _Unexpected("bad length prefix")
    stop = colon + 1 + int(digits)
    if stop >= end:
        raise _Unexpected("length beyond its container")
    return colon + 1, stop, data[stop]


def _entries(data: bytes, span: Span) -> dict[str, Span]:
    """A dict's values, unparsed, by key."""
    start, stop, tag = span
    if tag != ord("}"):
        raise _Unexpected("not a dict")
    entries = {}
    position = start
    while position < stop:
        key = _span(data, position, stop)
        value = _span(data, key[1] + 1, stop)
        entries[data[key[0] : key[1]].decode("utf-8", "replace")] = value
        position = value[1] + 1
    return entries


def _items(data: bytes, span: Span) -> Iterator[Span]:
    start, stop, tag = span
    if tag != ord("]"):
        raise _Unexpected("not a list")
    position = start
    while position < stop:
        item = _span(data, position, stop)
        yield item
        position = item[1] + 1


def _bytes(data: bytes, span: Span) -> bytes:
    if span[2] != ord(","):
        raise _Unexpected("not bytes")
    return data[span[0] : span[1]]


def _content(view: memoryview, span: Span) -> memoryview | None:
    """A body: a view, copied only if a record keeps it."""
    if span[2] == ord("~"):
        return None
    if span[2] != ord(","):
        raise _Unexpected("not bytes")
    return view[span[0] : span[1]]


def _text(data: bytes, span: Span) -> str:
    if span[2] != ord(";"):
        raise _Unexpected("not a string")
    return data[span[0] : span[1]].decode("utf-8", "surrogateescape")


def _number(data: bytes, span: Span) -> float:
    if span[2] == ord("#"):
        return int(data[span[0] : span[1]])
    if span[2] == ord("^"):
        return float(data[span[0] : span[1]])
    raise _Unexpected("not a number")


def _headers(data: bytes, span: Span) -> list[tuple[bytes, bytes]]:
    """A list of [name, value] lists: the hot spot of a flow, so parsed in one loop that
    checks each field's structure (`<n>:<n>:name,<n>:value,]`) instead of every tag."""
    start, stop, tag = span
    if tag != ord("]"):
        raise _Unexpected("not a list")
    fields = []
    find = data.find
    position = start
    while position < stop:
        colon = find(b":", position, position + 13)
        end = colon + 1 + int(data[position:colon])
        name_colon = find(b":", colon + 1, colon + 14)
        name_end = name_colon + 1 + int(data[colon + 1 : name_colon])
        value_colon = find(b":", name_end + 1, name_end + 14)
        value_end = value_colon + 1 + int(data[name_end + 1 : value_colon])
        if not (
            min(colon, name_colon, value_colon) > position
            and value_end + 1 == end < stop
            and data[end] == ord("]")
            and data[name_end] == data[value_end] == ord(",")
        ):
            raise _Unexpected("not a header field")
        fields.append((data[name_colon + 1 : name_end], data[value_colon + 1 : value_end]))
        position = end + 1
    return fields


# --- flow state -> parts ----------------------------------------------------------------


def _parts(data: bytes, state: dict[str, Span]) -> Any:
    """The FlowParts of an HTTP flow's state (format KNOWN_FORMAT)."""
    from capture2code.mitm import FlowParts, RequestParts, ResponseParts

    view = memoryview(data)
    request = _entries(data, state["request"])
    parts = FlowParts(
        RequestParts(
            method=_bytes(data, request["method"]),
            scheme=_bytes(data, request["scheme"]),
            authority=_bytes(data, request["authority"]),
            host=_text(data, request["host"]),
            port=int(_number(data, request["port"])),
            path=_bytes(data, request["path"]),
            http_version=_bytes(data, request["http_version"]),
            headers=_headers(data, request["headers"]),
            content=_content(view, request["content"]),
            timestamp_start=_number(data, request["timestamp_start"]),
        )
    )
    if state["response"][2] != ord("~"):
        response = _entries(data, state["response"])
        parts.response = ResponseParts(
            int(_number(data, response["status_code"])),
            _headers(data, response["headers"]),
            _content(view, response["content"]),
        )
    if state["error"][2] != ord("~"):
        parts.error = _text(data, _entries(data, state["error"])["msg"])
    if state.get("websocket", (0, 0, ord("~")))[2] != ord("~"):
        parts.websocket = []
        for message in _items(data, _entries(data, state["websocket"])["messages"]):
            kind, from_client, content, *_ = _items(data, message)
            is_text = int(_number(data, kind)) == _WEBSOCKET_TEXT
            client = data[from_client[0] : from_client[1]] == b"true"
            parts.websocket.append((client, is_text, _content(view, content) or b""))
    return parts


def _migrated_parts(data: bytes, tag: int) -> Any:
    """Parts through mitmproxy's own path (other format versions, odd states); None for
    flows that are not HTTP requests."""
    from mitmproxy import flow
    from mitmproxy.io import compat, tnetstring

    from capture2code.mitm import flow_parts, is_request_flow

    state = tnetstring.parse(tag, memoryview(data))
    if not isinstance(state, dict) or not {"version", b"version"} & state.keys():
        raise ValueError("a tnetstring that is not a flow")
    loaded = flow.Flow.from_state(compat.migrate_flow(state))
    return flow_parts(loaded) if is_request_flow(loaded) else None  # type: ignore[arg-type]


def _flow_parts(data: bytes, tag: int) -> Any:
    try:
        state = _entries(data, (0, len(data), tag))
        if _number(data, state["version"]) != KNOWN_FORMAT:
            raise _Unexpected("another format version")
        if _text(data, state["type"]) != "http":
            return None
        parts = _parts(data, state)
    except (_Unexpected, LookupError, ValueError, TypeError):
        return _migrated_parts(data, tag)
    return None if parts.request.method.upper() == b"CONNECT" else parts


# --- the file ---------------------------------------------------------------------------


def _foreign(head: bytes) -> str:
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
        return "not a mitmproxy flow file: it is JSON (a HAR file? use --from har)"
    return f"not a mitmproxy flow file: it starts with {head[:12]!r}"


def _damage(number: int, error: Exception | str, cut: bool) -> str:
    """What is wrong, for a read that failed at flow `number` (`cut`: at the end of the file)."""
    if number == 1 and cut:
        return "not a mitmproxy flow file, or cut short in its first flow"
    if number == 1:
        return f"not a mitmproxy flow file ({error})"
    if cut:
        return f"the flow file is cut short: flow {number} is incomplete"
    return f"flow {number} is damaged ({error})"


def _next_flow(stream: BinaryIO, number: int) -> tuple[bytes, int] | None:
    """The payload and type tag of the next top-level tnetstring; None at the end."""
    digits = b""
    while True:
        char = stream.read(1)
        if not char.isdigit() or len(digits) > _MAX_PREFIX:
            break
        digits += char
    if not digits and not char:
        if number == 1:
            raise FlowFileError("the flow file is empty")
        return None
    if not digits:
        raise FlowFileError(
            _foreign(char + stream.read(15))
            if number == 1
            else _damage(number, "no length prefix", False)
        )
    if char != b":":
        raise FlowFileError(_damage(number, "bad length prefix", not char))
    length = int(digits)
    data = stream.read(length) if length <= _DIRECT_READ else _read_in_pieces(stream, length)
    tag = stream.read(1)
    if len(data) < length or not tag:
        raise FlowFileError(_damage(number, "", True))
    return data, tag[0]


def _read_in_pieces(stream: BinaryIO, length: int) -> bytes:
    """Up to `length` bytes, read so that memory follows what the file holds: a damaged or
    foreign file's length prefix can claim terabytes."""
    data = bytearray()
    while len(data) < length and (piece := stream.read(min(length - len(data), _DIRECT_READ))):
        data += piece
    return bytes(data)


def _records(stream: BinaryIO) -> Iterator[Record]:
    from capture2code.mitm import parts_to_record

    number = 1
    record_id = 0
    while (found := _next_flow(stream, number)) is not None:
        data, tag = found
        try:
            parts = _flow_parts(data, tag)
        except Exception as error:  # anything a damaged flow makes mitmproxy's path raise
            raise FlowFileError(_damage(number, error.__cause__ or error, False)) from None
        number += 1
        if parts is not None:
            record_id += 1
            yield parts_to_record(parts, record_id, source="mitm")


def read_flows(path_or_stream: str | os.PathLike[str] | BinaryIO) -> Iterator[Record]:
    """Records of the HTTP flows in a flow file (TCP, UDP, DNS flows and CONNECT tunnels
    skipped), ids in file order. Raises FlowFileError for a foreign, truncated or damaged
    file; the records before the damage have been yielded by then."""
    if isinstance(path_or_stream, str | os.PathLike):
        with open(path_or_stream, "rb") as stream:
            yield from _records(stream)
    else:
        yield from _records(path_or_stream)
