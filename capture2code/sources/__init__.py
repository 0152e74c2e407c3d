"""Readers: one per input format, each Source -> records. `--from auto` detects by content.

A Source is a file (read by path, so that large captures can be streamed) or data in
memory (standard input, a test's literal text).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from capture2code.errors import InputError
from capture2code.record import Record


@dataclass
class Source:
    name: str  # how messages name it: the path, or <stdin>
    text: str | None = None
    base_dir: Path = field(default_factory=Path.cwd)  # where `@file` references resolve
    path: Path | None = None
    data: bytes | None = None
    # Keep page loads and static assets (which readers otherwise leave out): for `show`.
    keep_static: bool = False
    # Applied to each record as it is read: a large capture's readers hand over only what
    # later stages can use (see filters.Lightener), so memory follows what is kept. The HAR
    # reader calls it before decoding the response body: a record returned unchanged is
    # then read whole, any other is taken as it is.
    lighten: Callable[[Record], Record] | None = None

    def head(self, size: int = 4096) -> bytes:
        """The first bytes, for telling formats apart without reading a large file."""
        if self.path is not None:
            with self.path.open("rb") as stream:
                return stream.read(size)
        return self.read_bytes()[:size]

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        if self.path is not None:
            return self.path.read_bytes()
        return (self.text or "").encode("utf-8", "surrogateescape")

    def read_text(self) -> str:
        """The text; NUL bytes or invalid UTF-8 mean it is binary data, not a capture."""
        if self.text is not None:
            return self.text
        data = self.read_bytes()
        nul = data.find(b"\0")
        if nul >= 0:
            raise InputError(f"binary data (NUL byte at offset {nul}), not a capture")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            raise InputError(f"not UTF-8 text (byte offset {error.start})", line) from None


@dataclass
class Parsed:
    records: list[Record]
    warnings: list[str] = field(default_factory=list)
    # How many requests the user pasted or captured; decides the default mode.
    count: int = 0


def _kept(source: Source, records: Iterable[Record]) -> list[Record]:
    lighten = source.lighten
    return list(records) if lighten is None else [lighten(record) for record in records]


def _read_curl(source: Source) -> Parsed:
    from capture2code.sources.curl import read_curl

    result = read_curl(source.read_text(), source.base_dir)
    return Parsed(result.records, result.warnings, result.commands)


def _read_jsonl(source: Source) -> Parsed:
    from capture2code.record import RecordError, read_jsonl

    # Only "\n" ends a record: str.splitlines would also split inside values at U+2028.
    lines = source.read_text().split("\n")
    warnings = []
    if lines[-1].strip():
        # A capture killed mid-write leaves a torn last line; every line before it is whole.
        try:
            list(read_jsonl(lines[-1:]))
        except RecordError:
            warnings.append(f"line {len(lines)}: skipped an incomplete last record")
            lines.pop()
    try:
        records = _kept(source, read_jsonl(lines))
    except RecordError as error:
        raise InputError(str(error), error.line) from None
    if not records:
        raise InputError("no records in the input (it is empty)")
    return Parsed(records, warnings, len(records))


def _read_har(source: Source) -> Parsed:
    from capture2code.sources.har import HarError, read_har, read_har_file

    # The reader lightens each record itself, before it decodes a body that would be dropped.
    keep, lighten = source.keep_static, source.lighten
    try:
        if source.path is not None:
            records = list(read_har_file(source.path, keep_static=keep, lighten=lighten))
        else:
            records = list(read_har(source.read_bytes(), keep_static=keep, lighten=lighten))
    except HarError as error:
        raise InputError(str(error), error.line, error.col) from None
    return Parsed(records, [], len(records))


def _read_mitm(source: Source) -> Parsed:
    import io

    from capture2code.sources.mitm import FlowFileError, read_flows

    try:
        records = _kept(source, read_flows(source.path or io.BytesIO(source.read_bytes())))
    except FlowFileError as error:
        raise InputError(str(error)) from None
    return Parsed(records, [], len(records))


READERS: dict[str, Callable[[Source], Parsed]] = {
    "curl": _read_curl,
    "har": _read_har,
    "mitm": _read_mitm,
    "jsonl": _read_jsonl,
}

_TNETSTRING = re.compile(rb"\d{1,9}:")
_HAR_START = re.compile(rb'\s*\{\s*"log"\s*:')


def detect_format(source: Source) -> str:
    """The format of a source, from its first bytes: a mitmproxy flow file (tnetstring), a
    HAR, JSON Lines records, else curl text."""
    head = source.head().removeprefix(b"\xef\xbb\xbf")
    if _TNETSTRING.match(head):
        return "mitm"
    if _HAR_START.match(head):
        return "har"
    first = head.lstrip().split(b"\n", 1)[0]
    if first.startswith(b"{") and b'"request"' in head:
        return "jsonl"
    return "curl"


def read_input(source: Source, fmt: str) -> Parsed:
    name = detect_format(source) if fmt == "auto" else fmt
    return READERS[name](source)
