"""HAR 1.2 files (Chrome, Firefox, Playwright, mitmproxy's savehar) -> Records, streamed.

A long console session's HAR is hundreds of MB to GBs, mostly static assets and large
bodies; `json.load` would hold it several times over. The file is mapped into memory and
`log.entries` read one entry at a time; pages already read are handed back to the kernel,
so memory follows what is kept, not the file size. An entry is read one of two ways:

- From its lines, in an indented file (Chrome, Firefox and mitmproxy indent; each writes
  one member per line): the entry ends at the first line that closes it at its own
  indentation, and a line of 4 KB or more that ends with a string (a body, a long
  header) keeps that string in the file; `json` parses the rest, with each such string
  replaced by a placeholder. Parsing succeeds only if the layout was read right.
- Walked, otherwise (minified files such as Playwright's, or an unusual layout): a small
  scanner finds where each value ends (regular expressions take runs of short values in
  one step, `find` crosses long strings) and notes where the fields a record needs are.

Either way, method, URL, `_resourceType` and response type decide whether the entry is a
static asset (`filters.is_static`) before any body is decoded; a dropped entry's long
strings are never decoded, nor the response body of a record the caller slims (its
`lighten` sees each record before the body is read). The grammar of everything outside
long strings is checked; inside a long string the reader only looks for where it ends,
and its escapes, control characters and UTF-8 are checked when a record needs the value.
For a long string with escaped quotes (script text, JSON in JSON) the end is guessed: the
last quote of its line. Every guess is checked before the entry counts: another string
starting on that line would open with a quote that does not follow a backslash
(`_Scanner.verified`); if a guess was wrong the entry is walked again without guessing.
What this check lets through is only invalid JSON inside such a string: a quote after an
even run of backslashes.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import mmap
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.decoder import scanstring
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote_plus

from capture2code.filters import is_static
from capture2code.record import PROXY_ONLY_HEADERS, Record, Request, Response
from capture2code.template import Text


class HarError(ValueError):
    """Input that is not a readable HAR; `line` and `col` (1-based, col in characters)
    locate it where known."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


class _Bad(Exception):
    """A problem at a byte offset; `read_har` turns it into a HarError with line and col."""

    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


class _Guess(Exception):
    """A guessed string end was wrong (or the entry is not laid out in lines): read the
    entry another way."""


Buffer = bytes | mmap.mmap
Lighten = Callable[[Record], Record]

QUOTE, BACKSLASH, COMMA, COLON, NEWLINE = b'"'[0], b"\\"[0], b","[0], b":"[0], b"\n"[0]
LBRACE, RBRACE, LBRACKET, RBRACKET = b"{"[0], b"}"[0], b"["[0], b"]"[0]
LINE_TAIL = frozenset(b" \t\r")

# --- grammar, as regular expressions over bytes -----------------------------------------

_WS = rb"[ \t\n\r]*"
# Short strings are matched here; a string with more than 256 plain characters in a row or
# more than 16 escapes fails to match and goes the `find` way (regular expressions cross
# long strings ten times slower than `find`).
_SHORT_STRING = (
    rb'"(?>[^"\\\x00-\x1f]{0,256})'
    rb'(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})(?>[^"\\\x00-\x1f]{0,256})){0,16}+"'
)
_NUMBER_OR_LITERAL = rb"(?>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)"
_SCALAR = rb"(?>" + _SHORT_STRING + rb"|" + _NUMBER_OR_LITERAL + rb")"


def _member(value: bytes) -> bytes:
    return _SHORT_STRING + _WS + rb":" + _WS + value + _WS


def _nested(value: bytes) -> bytes:
    """A scalar, or an object or array whose members are `value`s."""
    obj = rb"\{" + _WS + rb"(?:" + _member(value) + rb"(?:," + _WS + rb'(?=")|(?=\})))*+\}'
    arr = rb"\[" + _WS + rb"(?:" + value + _WS + rb"(?:," + _WS + rb"(?!\])|(?=\])))*+\]"
    return rb"(?>" + _SCALAR + rb"|" + obj + rb"|" + arr + rb")"


_DEPTH_3 = _nested(_nested(_nested(_SCALAR)))
# A whole value nested at most four deep (a header list, timings, a short body) in one step.
_VALUE = re.compile(_nested(_DEPTH_3))
_SCALAR_VALUE = re.compile(_SCALAR)
_SHORT = re.compile(_SHORT_STRING)
_SPACE = re.compile(_WS)
# Inside a string, escapes taken as pairs: up to a quote (the end), or where it stops.
_STRING_RUN = re.compile(rb'[^"\\]*+(?:\\.[^"\\]*+)*+', re.DOTALL)
# Inside a deeper object or array: as many `member,` (`item,`) as possible, and the close
# (group 1) if the last one is simple too.
_OBJECT_RUN = re.compile(
    rb"(?:" + _WS + _member(_DEPTH_3) + rb",)*+(?:" + _WS + _member(_DEPTH_3) + rb"(\}))?+"
)
_ARRAY_RUN = re.compile(
    rb"(?:" + _WS + _DEPTH_3 + _WS + rb",)*+(?:" + _WS + _DEPTH_3 + _WS + rb"(\]))?+"
)

# A quote that does not come right after a backslash. The search jumps from quote to quote
# and looks one byte back (also before its start position, so steps join up): on JSON in
# JSON twice as fast as counting `"` and `\"` in copied slices.
_UNESCAPED_QUOTE = re.compile(rb'"(?<=[^\\]")')
# One member's key (without escapes) and colon; what follows a member's value.
_MEMBER_HEAD = re.compile(_WS + rb'"([^"\\\x00-\x1f]{0,256})"' + _WS + rb":" + _WS)
_MEMBER_TAIL = re.compile(_WS + rb"[,}]")
_ITEM_TAIL = re.compile(_WS + rb"[,\]]")


@dataclass(frozen=True)
class _Wanted:
    """The members of an object to note (one with its own _Wanted is walked too), and
    `skip`, which crosses a run of other members with simple values in one step."""

    members: dict[bytes, _Wanted | None]
    skip: re.Pattern[bytes]


def _wanted(members: dict[bytes, _Wanted | None]) -> _Wanted:
    names = b"|".join(re.escape(name) for name in members)
    other = rb'(?!"(?:' + names + rb')")"[^"\\\x00-\x1f]{0,256}"'
    value = _nested(_DEPTH_3)
    return _Wanted(
        members, re.compile(rb"(?:" + _WS + other + _WS + rb":" + _WS + value + _WS + rb",)*+")
    )


# Pages behind the scan are released in steps this large.
_RELEASE_STEP = 32 << 20
_CHUNK = 8 << 20
# How far a string's line end is looked for.
_LINE_REACH = 32 << 20


@dataclass
class _Span:
    """Where a value is: buf[start:end]; `fields` the spans of walked members."""

    start: int
    end: int
    fields: dict[bytes, _Span] = field(default_factory=dict)


class _Scanner:
    def __init__(self, buf: Buffer) -> None:
        self.buf = buf
        self.size = len(buf)
        self.pos = 0  # cursor shared with the `members`/`items` iterators
        # No newline in [line_start, line_end): the line of the last long string looked at.
        self.line_start = self.line_end = -1
        self.released = 0
        self.madvise = buf.madvise if isinstance(buf, mmap.mmap) else None
        # Guessed string ends not yet checked (start, end); whether any guess was made for
        # the current entry; exact: make no guesses.
        self.unverified: list[tuple[int, int]] = []
        self.guessed = False
        self.exact = False

    def fail(self, pos: int, message: str) -> NoReturn:
        if pos >= self.size:
            raise _Bad(self.size, "unexpected end of file: the HAR is cut short")
        raise _Bad(pos, message)

    def ws(self, pos: int) -> int:
        return _SPACE.match(self.buf, pos).end()  # type: ignore[union-attr]

    def release(self, upto: int) -> None:
        """Hand the mapped pages before `upto` back to the kernel (the file stays in the
        page cache; a later look at them maps them again)."""
        if self.madvise is None or upto - self.released < _RELEASE_STEP:
            return
        end = upto - upto % mmap.PAGESIZE
        self.madvise(mmap.MADV_DONTNEED, self.released, end - self.released)
        self.released = end

    def drop(self, start: int, end: int) -> None:
        """Hand back the pages inside buf[start:end], just crossed (a second look maps
        them again): a string of hundreds of MB is never mapped in at once."""
        end = min(end, self.size)
        first = -(-start // mmap.PAGESIZE) * mmap.PAGESIZE
        last = end - end % mmap.PAGESIZE
        if self.madvise is not None and last - first >= _CHUNK // 2:
            self.madvise(mmap.MADV_DONTNEED, first, last - first)

    def find(self, sub: bytes, start: int, end: int | None = None) -> int:
        """buf.find, in steps, each dropped when crossed."""
        end = self.size if end is None else min(end, self.size)
        for at in range(start, end, _CHUNK):
            stop = min(at + _CHUNK, end)
            found = self.buf.find(sub, at, min(stop + len(sub) - 1, end))
            if found >= 0:
                return found
            self.drop(at, stop)
        return -1

    # --- strings ----------------------------------------------------------------------

    def string_end(self, start: int) -> int:
        """The offset after the string opening at `start`."""
        buf = self.buf
        quote = self.find(b'"', start + 1)
        if quote < 0:
            self.fail(self.size, "unterminated string: the HAR is cut short")
        if buf[quote - 1] != BACKSLASH:
            return quote + 1
        end = -1 if self.exact else self._line_string_end(start, quote)
        if end >= 0:
            self.guessed = True
            self.unverified.append((start, end))
            return end
        return self._escaped_string_end(quote)

    def _line_string_end(self, start: int, quote: int) -> int:
        """A guess for strings with escaped quotes (JavaScript, JSON in JSON) in pretty-
        printed JSON: a raw newline is never inside a string, so a string that ends its
        line (`"…",`) ends at the last quote before the newline, unless another string
        starts on that line. -1 when the line does not end that way. The guess is noted
        in `unverified` and checked later (`verified`), or by decoding the string."""
        buf = self.buf
        if not self.line_start <= quote <= self.line_end:
            # Looked for in a bounded stretch: a minified file is one line, which must not
            # be mapped into memory all at once. No newline there: no guess.
            newline = self.find(b"\n", quote, quote + _LINE_REACH)
            self.line_start = quote
            self.line_end = quote + _LINE_REACH if newline < 0 else newline
        if self.line_end >= self.size or buf[self.line_end] != NEWLINE:
            return -1
        tail = self.line_end
        while tail > quote and buf[tail - 1] in LINE_TAIL:
            tail -= 1
        if tail > quote and buf[tail - 1] == COMMA:
            tail -= 1
        close = tail - 1
        if close < quote or buf[close] != QUOTE or not self.unescaped(close):
            return -1
        return close + 1

    def verified(self) -> bool:
        """Whether every guessed string end holds: another string starting on the line
        would open with a quote after a delimiter or a space, so the guess holds when
        every quote inside comes right after a backslash."""
        return all(self._all_escaped(start + 1, end - 1) for start, end in self.unverified)

    def _all_escaped(self, start: int, end: int) -> bool:
        """Whether every quote in buf[start:end] comes right after a backslash (start > 0);
        searched in steps, each dropped when crossed."""
        for at in range(start, end, _CHUNK):
            stop = min(at + _CHUNK, end)
            if _UNESCAPED_QUOTE.search(self.buf, at, stop) is not None:
                return False
            self.drop(at, stop)
        return True

    def decoded(self, start: int, end: int) -> None:
        """buf[start:end] decoded as JSON: the guesses inside it held."""
        self.unverified = [(s, e) for s, e in self.unverified if not start <= s < end]

    def unescaped(self, quote: int) -> bool:
        """Whether the quote at `quote` follows an even run of backslashes."""
        buf = self.buf
        back = quote - 1
        while buf[back] == BACKSLASH:
            back -= 1
        return (quote - 1 - back) % 2 == 0

    def _escaped_string_end(self, quote: int) -> int:
        """The exact end: a few escaped quotes are stepped over with `find`; a string with
        more is left to a regular expression (faster than a Python loop per quote)."""
        buf = self.buf
        for _ in range(8):
            if self.unescaped(quote):
                return quote + 1
            quote = buf.find(b'"', quote + 1)
            if quote < 0:
                self.fail(self.size, "unterminated string: the HAR is cut short")
        if self.unescaped(quote):  # the last quote found is not checked in the loop
            return quote + 1
        pos = quote + 1
        while True:  # in steps, each dropped when crossed
            run = _STRING_RUN.match(buf, pos, pos + _CHUNK).end()  # type: ignore[union-attr]
            if run < self.size and buf[run] == QUOTE:
                return run + 1
            if run == pos or run >= self.size:  # the file ends in the string
                self.fail(self.size, "unterminated string: the HAR is cut short")
            self.drop(pos, run)
            pos = run

    def key_end(self, start: int) -> int:
        short = _SHORT.match(self.buf, start)
        return short.end() if short is not None else self.string_end(start)

    def key(self, start: int, end: int) -> bytes:
        raw = self.buf[start + 1 : end - 1]
        if b"\\" in raw:
            return decode(self, _Span(start, end)).encode("utf-8", "surrogatepass")
        return raw

    # --- values -----------------------------------------------------------------------

    def skip_value(self, pos: int) -> int:
        """The offset after the JSON value at `pos` (white space already skipped)."""
        whole = _VALUE.match(self.buf, pos)
        if whole is not None:
            return whole.end()
        first = self.buf[pos]
        if first == QUOTE:
            return self.string_end(pos)
        if first in (LBRACE, LBRACKET):
            return self._container(pos)
        self.fail(pos, "expected a value")

    def _simple_value_end(self, pos: int) -> int:
        if self.buf[pos] == QUOTE:
            return self.key_end(pos)
        scalar = _SCALAR_VALUE.match(self.buf, pos)
        if scalar is None:
            self.fail(pos, "expected a value")
        return scalar.end()

    def _container(self, start: int) -> int:
        """The end of the object or array at `start`, nested to any depth: a stack of
        open containers (True: object), and runs of simple members taken in one step."""
        buf = self.buf
        stack = [buf[start] == LBRACE]
        pos = start + 1
        first = True
        while True:
            in_object = stack[-1]
            run = (_OBJECT_RUN if in_object else _ARRAY_RUN).match(buf, pos)
            closed = run.group(1) is not None  # type: ignore[union-attr]
            if closed:
                pos = run.end()  # type: ignore[union-attr]
            else:
                if run.end() > pos:  # type: ignore[union-attr]
                    first = False
                pos = self.ws(run.end())  # type: ignore[union-attr]
                closed = first and buf[pos] == (RBRACE if in_object else RBRACKET)
                if closed:
                    pos += 1
            if not closed:
                if in_object:
                    if buf[pos] != QUOTE:
                        what = "a property name or '}'" if first else "a property name"
                        self.fail(pos, f"expected {what}")
                    pos = self.ws(self.key_end(pos))
                    if buf[pos] != COLON:
                        self.fail(pos, "expected ':'")
                    pos = self.ws(pos + 1)
                if buf[pos] == LBRACE or buf[pos] == LBRACKET:
                    stack.append(buf[pos] == LBRACE)
                    pos += 1
                    first = True
                    continue
                pos = self._simple_value_end(pos)
            else:
                stack.pop()
                if not stack:
                    return pos
            # After a value: a comma, or the close of one or more containers.
            while True:
                pos = self.ws(pos)
                if buf[pos] == COMMA:
                    pos += 1
                    first = False
                    break
                if buf[pos] == (RBRACE if stack[-1] else RBRACKET):
                    stack.pop()
                    pos += 1
                    if not stack:
                        return pos
                    continue
                self.fail(pos, "expected ',' or '}'" if stack[-1] else "expected ',' or ']'")

    def members(
        self, start: int, skip: re.Pattern[bytes] | None = None
    ) -> Iterator[tuple[bytes, int]]:
        """(key, offset of its value) for each member of the object at `start`, but those
        that `skip` crosses. The caller sets `self.pos` to the end of each value before
        taking the next member; at the end `self.pos` is after the object."""
        buf = self.buf
        pos = start + 1
        first = True
        while True:
            if skip is not None:
                run = skip.match(buf, pos).end()  # type: ignore[union-attr]
                if run > pos:
                    pos, first = run, False
            head = _MEMBER_HEAD.match(buf, pos)
            if head is not None:
                key, value = head.group(1), head.end()
            else:  # the close, or a key that is long or has escapes, or an error
                pos = self.ws(pos)
                if first and buf[pos] == RBRACE:
                    self.pos = pos + 1
                    return
                if buf[pos] != QUOTE:
                    self.fail(pos, "expected a property name" + (" or '}'" if first else ""))
                end = self.key_end(pos)
                key = self.key(pos, end)
                pos = self.ws(end)
                if buf[pos] != COLON:
                    self.fail(pos, "expected ':'")
                value = self.ws(pos + 1)
            yield key, value
            first = False
            tail = _MEMBER_TAIL.match(buf, self.pos)
            if tail is None:
                self.fail(self.ws(self.pos), "expected ',' or '}'")
            if buf[tail.end() - 1] == RBRACE:
                self.pos = tail.end()
                return
            pos = tail.end()

    def items(self, start: int) -> Iterator[int]:
        """The offset of each item of the array at `start`; used like `members`."""
        buf = self.buf
        pos = self.ws(start + 1)
        if buf[pos] == RBRACKET:
            self.pos = pos + 1
            return
        while True:
            yield pos
            tail = _ITEM_TAIL.match(buf, self.pos)
            if tail is None:
                self.fail(self.ws(self.pos), "expected ',' or ']'")
            if buf[tail.end() - 1] == RBRACKET:
                self.pos = tail.end()
                return
            pos = self.ws(tail.end())

    def walk(self, start: int, wanted: _Wanted) -> _Span:
        """The object at `start`, with the spans of the `wanted` members; a member wanted
        with its own `_Wanted` (and whose value is an object) is walked the same way."""
        found: dict[bytes, _Span] = {}
        members = wanted.members
        for key, at in self.members(start, wanted.skip):
            if key not in members:
                self.pos = self.skip_value(at)
                continue
            inner = members[key]
            if inner is not None and self.buf[at] == LBRACE:
                found[key] = self.walk(at, inner)  # leaves self.pos after it
            else:
                self.pos = self.skip_value(at)
                found[key] = _Span(at, self.pos)
        return _Span(start, self.pos, found)


# --- decoding ---------------------------------------------------------------------------


def _decode_at(raw: bytes, offset: int) -> Any:
    """JSON text `raw` found at byte `offset` of the file, decoded."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _Bad(offset + error.start, "invalid UTF-8") from None
    try:
        if text[:1] == '"':  # most fields are strings: the C scanner without the wrapper
            value, end = scanstring(text, 1)
            if end == len(text):
                return value
        return json.loads(text)  # the scanner let no NaN or Infinity through
    except json.JSONDecodeError as error:
        where = len(text[: error.pos].encode("utf-8", "surrogatepass"))
        raise _Bad(offset + where, error.msg) from None


def decode(scan: _Scanner, span: _Span) -> Any:
    """The JSON value at `span`, decoded; errors located in the file."""
    value = _decode_at(scan.buf[span.start : span.end], span.start)
    scan.decoded(span.start, span.end)
    return value


def _string_head(buf: Buffer, start: int, end: int, limit: int) -> tuple[bytes, bool]:
    """The escaped text of the JSON string at buf[start:end], or of at most `limit` bytes
    of it cut where no escape or UTF-8 sequence is split; (text, whether all of it)."""
    if end - start - 2 <= limit:
        return buf[start + 1 : end - 1], True
    cut = start + 1 + limit
    # Cut before the backslash run of an escape that starts near the end (a surrogate
    # pair's two \uXXXX are 12 bytes), and not inside a UTF-8 sequence.
    slash = buf.find(b"\\", cut - 12, cut)
    if slash >= 0:
        cut = slash
        while buf[cut - 1] == BACKSLASH:
            cut -= 1
    while buf[cut] & 0xC0 == 0x80:
        cut -= 1
    return buf[start + 1 : cut], False


def _unescape(escaped: bytes, offset: int) -> bytes:
    """A JSON string's escaped text (its end already found) -> its UTF-8 bytes. JSON's
    escapes but \\u and \\/ are Python's bytes escapes too, which `codecs.escape_decode`
    undoes several times faster than `json` decodes; it warns at \\u and \\/, and those
    strings go to `json`. (Escapes JSON lacks and Python has, like \\x41, are undone
    rather than refused: no JSON writer makes them.)"""
    if b"\\" not in escaped:
        return escaped
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return codecs.escape_decode(escaped)[0]  # type: ignore[attr-defined,no-any-return]
        except (Warning, ValueError):
            pass
    text: str = _decode_at(b'"' + escaped + b'"', offset)
    return text.encode("utf-8", "surrogatepass")


# What HAR writers call HTTP versions (lower-cased) -> the records' names. Anything else
# ("", "unknown" for a response from the cache) is replayed as HTTP/1.1.
HTTP_VERSIONS = {
    "http/0.9": "HTTP/0.9",
    "http/1.0": "HTTP/1.0",
    "http/1.1": "HTTP/1.1",
    "h2": "HTTP/2",
    "h2c": "HTTP/2",
    "http/2": "HTTP/2",
    "http/2.0": "HTTP/2",
    "h3": "HTTP/3",
    "http/3": "HTTP/3",
    "http/3.0": "HTTP/3",
}

_NETWORK_URL = re.compile(r"(?:https?|wss?)://", re.IGNORECASE)
_ABSOLUTE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_BOUNDARY = re.compile(r';\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))', re.IGNORECASE)


def _iso_time(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name), None)


def _url(url: str, pseudo: dict[str, str], headers: list[tuple[str, str]]) -> str | None:
    """The absolute URL as sent (the fragment never is); a bare path takes its origin from
    the HTTP/2 pseudo-headers or Host. None when nothing names the server."""
    if _NETWORK_URL.match(url):
        return url.split("#", 1)[0]
    if _ABSOLUTE_URL.match(url):  # data:, blob: … (kept only with keep_static)
        return url
    authority = pseudo.get(":authority") or _header(headers, "host")
    if not authority:
        return None
    path = url if url.startswith("/") else pseudo.get(":path", "/")
    return f"{pseudo.get(':scheme', 'https')}://{authority}{path.split('#', 1)[0]}"


def _form_quote(name: str) -> str:
    """A multipart field or file name as browsers write it in Content-Disposition."""
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _form_value(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _multipart(params: list[Any], boundary: str) -> tuple[bytes, list[str]]:
    """The multipart/form-data body a browser sends for `params`. HAR writers leave the
    contents of uploaded files out: those are sent empty, and a note says so."""
    out = bytearray()
    missing = []
    for item in params:
        if not isinstance(item, dict):
            continue
        disposition = f'form-data; name="{_form_quote(_form_value(item, "name"))}"'
        head = ""
        if isinstance(item.get("fileName"), str):
            disposition += f'; filename="{_form_quote(item["fileName"])}"'
            kind = _form_value(item, "contentType") or "application/octet-stream"
            head = f"Content-Type: {kind}\r\n"
            if not isinstance(item.get("value"), str):
                missing.append(_form_value(item, "name"))
        part = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n{head}\r\n"
        out += part.encode("utf-8", "surrogatepass")
        out += _form_value(item, "value").encode("utf-8", "surrogatepass") + b"\r\n"
    out += f"--{boundary}--\r\n".encode("utf-8", "surrogatepass")
    notes = [f"file contents of multipart field {name!r} are not in the HAR" for name in missing]
    return bytes(out), notes


def _urlencoded(params: list[Any]) -> bytes:
    """application/x-www-form-urlencoded as browsers serialize it (WHATWG: only
    alphanumerics and *-._ stay, space is +). HAR 1.2 leaves open whether `params` values
    are decoded; Firefox, Playwright and mitmproxy write them decoded, so they are encoded
    here (a writer that kept them encoded would see its % signs encoded again)."""
    pairs = [
        quote_plus(_form_value(item, "name"), safe="*").replace("~", "%7E")
        + "="
        + quote_plus(_form_value(item, "value"), safe="*").replace("~", "%7E")
        for item in params
        if isinstance(item, dict)
    ]
    return "&".join(pairs).encode("ascii")


def _request_body(post: Any, content_type: str | None) -> tuple[bytes | None, str, list[str]]:
    """(body, its media type from postData, notes) from HAR's postData: `text` as sent, or
    rebuilt from `params` (urlencoded or multipart) when there is no text."""
    if not isinstance(post, dict):
        return None, "", []
    mime = post.get("mimeType") if isinstance(post.get("mimeType"), str) else ""
    text = post.get("text")
    if isinstance(text, str) and text:
        if post.get("encoding") == "base64":  # not HAR 1.2, but some writers add it
            try:
                return base64.b64decode(text, validate=True), mime, []
            except (binascii.Error, ValueError):
                pass
        return text.encode("utf-8", "surrogatepass"), mime, []
    params = post.get("params")
    if isinstance(params, list) and params:
        declared = mime or content_type or ""
        media = declared.split(";", 1)[0].strip().lower()
        if media == "multipart/form-data":
            boundary = _BOUNDARY.search(declared) or _BOUNDARY.search(content_type or "")
            if boundary is None:
                return None, mime, ["multipart body without a boundary: not rebuilt"]
            body, notes = _multipart(params, boundary.group(1) or boundary.group(2))
            return body, mime, notes
        if media in ("", "application/x-www-form-urlencoded"):
            return _urlencoded(params), mime, []
        return None, mime, [f"request body of type {media} given only as params: not rebuilt"]
    if isinstance(post.get("_file"), str):  # Playwright's content: "attach"
        return None, mime, [f"request body is in the separate file {post['_file']!r}"]
    return None, mime, []


# --- entry -> record ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Long:
    """A string left in the file, decoded only if a record needs it: buf[start:end]."""

    start: int
    end: int


class _Fields:
    """Resolves an entry's values: a `_Long` is decoded from the file when asked for."""

    def __init__(self, scan: _Scanner, cap: int) -> None:
        self.scan = scan
        self.cap = cap

    def value(self, value: Any) -> Any:
        if isinstance(value, _Long):
            return decode(self.scan, _Span(value.start, value.end))
        return value

    def flat(self, value: Any) -> Any:
        """An object's member values or a list's items resolved, and those of the objects
        in a list (params, messages): as deep as a record looks."""
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.flat(item) for item in value]
        return self.value(value)

    def pairs(self, value: Any, what: str, at: int) -> list[tuple[str, str]]:
        """HAR's [{"name", "value"}] as (name, value) pairs."""
        if not isinstance(value, list):
            if value is None:
                return []
            raise _Bad(at, f"{what} is not a list")
        pairs = []
        for item in value:
            name, text = (item.get("name"), item.get("value")) if type(item) is dict else (0, 0)
            if type(name) is not str or type(text) is not str:
                name, text = self.value(name), self.value(text)
                if not isinstance(name, str) or not isinstance(text, str):
                    raise _Bad(at, f"{what}: each needs a string name and value")
            pairs.append((name, text))
        return pairs

    def body(self, content: dict[str, Any]) -> tuple[bytes | None, bool]:
        """The response body from `content.text` (base64 when `encoding` says so), cut at
        `cap`; (body, truncated). No text but a positive `size`: the HAR left it out."""
        text = content.get("text")
        base64_text = content.get("encoding") == "base64"
        if isinstance(text, _Long):
            return self._long_body(text, base64_text)
        if not isinstance(text, str):
            return None, (_number(content.get("size")) or 0) > 0
        body = _base64(text) if base64_text else text.encode("utf-8", "surrogatepass")
        return body[: self.cap], len(body) > self.cap

    def _long_body(self, text: _Long, base64_text: bool) -> tuple[bytes, bool]:
        buf, cap = self.scan.buf, self.cap
        if base64_text:
            escaped, complete = _string_head(buf, text.start, text.end, (cap // 3 + 2) * 4)
            if not complete:
                escaped = escaped[: len(escaped) - len(escaped) % 4]
            body = _base64(_unescape(escaped, text.start).decode("ascii", "replace"))
            return body[:cap], not complete or len(body) > cap
        limit = cap + cap // 4 + 16  # escapes make the text longer than its bytes
        while True:
            escaped, complete = _string_head(buf, text.start, text.end, limit)
            body = _unescape(escaped, text.start)
            if complete or len(body) >= cap:
                return body[:cap], not complete or len(body) > cap
            limit *= 4

    def messages(self, raw: Any) -> tuple[list[dict[str, str]], bool]:
        """Chrome's and mitmproxy's `_webSocketMessages` ({"type": "send" | "receive",
        "opcode": 1 | 2, "data"}, base64 for opcode 2) as {"from", "text" | "base64"}, until
        `cap` bytes of payload; (messages, truncated)."""
        messages: list[dict[str, str]] = []
        total = 0
        for item in raw if isinstance(raw, list) else ():
            message = self.flat(item)
            if not isinstance(message, dict) or not isinstance(message.get("data"), str):
                continue
            binary = message.get("opcode") == 2
            data = message["data"]
            total += len(data) * 3 // 4 if binary else len(data.encode("utf-8", "surrogatepass"))
            if total > self.cap:
                return messages, True
            side = "client" if message.get("type") == "send" else "server"
            messages.append({"from": side, "base64" if binary else "text": data})
        return messages, False


def _base64(text: str) -> bytes:
    """Base64 (some writers wrap its lines); text that is not base64 is kept as it is."""
    for candidate in (text, "".join(text.split())):
        try:
            return base64.b64decode(candidate, validate=True)
        except (binascii.Error, ValueError):
            pass
    return text.encode("utf-8", "surrogatepass")


def _number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass
class _Look:
    """What deciding keep or drop needs: read without decoding any body."""

    method: str
    url: str
    resource_type: str | None
    mime: str | None


def _look(entry: dict[str, Any], at: int, fields: _Fields) -> _Look:
    request = entry.get("request")
    if not isinstance(request, dict):
        raise _Bad(at, "entry has no request object")
    method, url = fields.value(request.get("method")), fields.value(request.get("url"))
    if not isinstance(method, str) or not isinstance(url, str):
        raise _Bad(at, "request.method or request.url is missing or not a string")
    response = entry.get("response")
    content = response.get("content") if isinstance(response, dict) else None
    mime = fields.value(content.get("mimeType")) if isinstance(content, dict) else None
    return _Look(method, url, _string(fields.value(entry.get("_resourceType"))), _string(mime))


def _response(response: Any, at: int, fields: _Fields) -> tuple[Response | None, str | None]:
    """(response, error): no response for status 0 (the request failed or was blocked).
    Its body is not read (`_with_body` does): `truncated` says whether there is one."""
    if not isinstance(response, dict):
        return None, None
    error = _string(fields.value(response.get("_error"))) or None
    status = _number(response.get("status"))
    if not status:
        return None, error
    pairs = fields.pairs(response.get("headers"), "response.headers", at)
    headers = [(name, value) for name, value in pairs if not name.startswith(":")]
    content = _content(response)
    text = content.get("text")
    had_body = isinstance(text, (str, _Long)) or (_number(content.get("size")) or 0) > 0
    return Response(int(status), headers, None, had_body), error


def _content(response: dict[str, Any]) -> dict[str, Any]:
    content = response.get("content")
    return content if isinstance(content, dict) else {}


def _with_body(record: Record, entry: dict[str, Any], fields: _Fields) -> Record:
    """The record, its response body read from the entry."""
    if record.response is not None:
        body, truncated = fields.body(_content(entry["response"]))
        record.response.body, record.response.truncated = body, truncated
    return record


def _record(entry: dict[str, Any], at: int, look: _Look, fields: _Fields) -> Record:
    """The record of an entry (id 0: the reader numbers them), without its response body."""
    request = entry["request"]
    all_headers = fields.pairs(request.get("headers"), "request.headers", at)
    pseudo = {name: value for name, value in all_headers if name.startswith(":")}
    headers = [
        (name, value)
        for name, value in all_headers
        if not name.startswith(":") and name.lower() not in PROXY_ONLY_HEADERS
    ]
    url = _url(look.url, pseudo, headers)
    if url is None:
        raise _Bad(at, f"request.url {look.url!r} names no server")
    version = HTTP_VERSIONS.get(str(fields.value(request.get("httpVersion"))).lower(), "HTTP/1.1")
    content_type = _header(headers, "content-type")
    post = fields.flat(request.get("postData"))
    if isinstance(post, dict):
        post["params"] = fields.flat(post.get("params"))
    body, mime, notes = _request_body(post, content_type)
    if body is not None and content_type is None and mime:
        # The browser sent it; a sanitized or partial export may have lost the header.
        headers.append(("content-type" if version != "HTTP/1.1" else "Content-Type", mime))
    options: dict[str, Any] = {}
    raw_messages = entry.get("_webSocketMessages")
    if raw_messages is not None or (look.resource_type or "").lower() == "websocket":
        options["websocket"] = True
        options["websocket_messages"], cut = fields.messages(raw_messages)
        if cut:
            options["websocket_truncated"] = True
    response, error = _response(entry.get("response"), at, fields)
    if error:
        options["error"] = error
    if notes:
        options["notes"] = notes
    return Record(
        request=Request(
            method=look.method,
            url=Text.of(url),
            headers=[(name, Text.of(value)) for name, value in headers],
            body=None if body is None else Text.of(body),
            http_version=version,
            options=options,
        ),
        response=response,
        source="har",
        time=_iso_time(fields.value(entry.get("startedDateTime"))),
    )


# --- reading entries ----------------------------------------------------------------------

# A line this long holds a long string (or a minified value); shorter ones are parsed.
LONG_LINE = 4096
# An entry whose parsed part would be larger than this is walked instead, so that memory
# stays small (a websocket's thousands of messages).
PARSED_MAX = 4 << 20

# A line's start up to the opening quote of the string that ends the line: `"key": "`.
_LINE_STRING = re.compile(rb'[ \t]*(?:"[^"\\\n]*"[ \t]*:[ \t]*)?"')


def _line_string(scan: _Scanner, line: int, line_end: int) -> _Long | None:
    """The string that ends the line buf[line:line_end] (`"key": "…",` or `"…",`), if the
    line is laid out that way. Its end is a guess if a quote is inside (checked later)."""
    buf = scan.buf
    head = _LINE_STRING.match(buf, line)
    if head is None:
        return None
    start = head.end() - 1
    tail = line_end
    while buf[tail - 1] in LINE_TAIL:
        tail -= 1
    if buf[tail - 1] == COMMA:
        tail -= 1
    if buf[tail - 1] != QUOTE or tail - 1 <= start or not scan.unescaped(tail - 1):
        return None
    if scan.find(b'"', start + 1, tail) < tail - 1:
        scan.unverified.append((start, tail))
        scan.guessed = True
    return _Long(start, tail)


class _Placeholders:
    """`parse_constant` for the parsed part of an entry: each long string was replaced by
    the token NaN (which JSON does not have), and becomes its `_Long` in order."""

    def __init__(self, longs: list[_Long]) -> None:
        self.longs = longs
        self.taken = 0

    def __call__(self, name: str) -> _Long:
        if name != "NaN" or self.taken >= len(self.longs):
            raise ValueError(f"{name} is not JSON")
        self.taken += 1
        return self.longs[self.taken - 1]


def _lined_entry(scan: _Scanner, at: int) -> tuple[dict[str, Any], int] | None:
    """(entry, end) for an entry in an indented file: it ends at the first line that
    closes it at its own indentation; its long strings (on lines of their own, as
    indenting writers put them) stay in the file and the rest is parsed by `json`. Parsing
    succeeds only if the end is right. None when the entry is not laid out that way."""
    buf = scan.buf
    line = buf.rfind(b"\n", max(0, at - 256), at)
    indent = buf[line + 1 : at] if line >= 0 else b"\0"
    if indent.strip(b" \t"):
        return None
    closing = b"\n" + indent + b"}"
    pieces, longs = [], []
    pos = line = at
    while True:
        newline = buf.rfind(b"\n", line, line + LONG_LINE)
        if newline >= 0:
            # Lines up to that newline are short: is one of them the closing line?
            close = buf.find(closing, line - 1, newline + len(closing))
            if close >= 0:
                break
            line = newline + 1
            continue
        line_end = scan.find(b"\n", line + LONG_LINE)
        if line_end < 0:
            return None
        long = _line_string(scan, line, line_end)
        if long is not None:
            pieces += (buf[pos : long.start], b"NaN")
            longs.append(long)
            pos = long.end
        line = line_end + 1
    end = close + len(closing)
    pieces.append(buf[pos:end])
    if sum(len(piece) for piece in pieces) > PARSED_MAX:
        return None
    placeholders = _Placeholders(longs)
    try:
        entry = json.loads(b"".join(pieces).decode("utf-8"), parse_constant=placeholders)
    except ValueError:  # also UnicodeDecodeError: the walk says where
        return None
    return (entry, end) if placeholders.taken == len(longs) else None


ENTRY_FIELDS = _wanted(
    {
        b"startedDateTime": None,
        b"_resourceType": None,
        b"_webSocketMessages": None,
        b"request": _wanted({b"method": None, b"url": None}),
        b"response": _wanted(
            {
                b"status": None,
                b"headers": None,
                b"_error": None,
                b"content": _wanted(
                    {b"mimeType": None, b"size": None, b"text": None, b"encoding": None}
                ),
            }
        ),
    }
)


def _walked_entry(scan: _Scanner, at: int, cap: int) -> tuple[dict[str, Any], int]:
    """(entry, end) for the entry at `at`, walked: the fields a record needs, request and
    response parts decoded, a body text left in the file (`_Long`), websocket messages
    decoded one at a time until there is more than any record keeps."""
    try:
        walked = scan.walk(at, ENTRY_FIELDS)
    except IndexError:  # the walk looked past the last byte
        scan.fail(scan.size, "unexpected end of file: the HAR is cut short")
    spans = walked.fields
    entry: dict[str, Any] = {}
    for name in ("startedDateTime", "_resourceType", "request"):
        if name.encode() in spans:
            entry[name] = decode(scan, spans[name.encode()])
    response = spans.get(b"response")
    if response is not None and scan.buf[response.start] == LBRACE:
        entry["response"] = found = {
            name.decode(): decode(scan, span)
            for name, span in response.fields.items()
            if name != b"content"
        }
        content = response.fields.get(b"content")
        if content is not None and scan.buf[content.start] == LBRACE:
            found["content"] = {
                name.decode(): (
                    _Long(span.start, span.end)
                    if name == b"text" and scan.buf[span.start] == QUOTE
                    else decode(scan, span)
                )
                for name, span in content.fields.items()
            }
    messages = spans.get(b"_webSocketMessages")
    if messages is not None:
        entry["_webSocketMessages"] = _walked_messages(scan, messages, cap)
    return entry, walked.end


def _walked_messages(scan: _Scanner, span: _Span, cap: int) -> Any:
    """Websocket messages decoded one at a time, until their data is more than a record
    keeps (base64 data is 4/3 of its bytes)."""
    if scan.buf[span.start] != LBRACKET:
        return decode(scan, span)
    messages: list[Any] = []
    total = 0
    for at in scan.items(span.start):
        scan.pos = scan.skip_value(at)
        message = decode(scan, _Span(at, scan.pos))
        messages.append(message)
        data = message.get("data") if isinstance(message, dict) else None
        total += len(data) if isinstance(data, str) else 0
        if total > 2 * cap:
            break
    return messages


@dataclass
class _Read:
    """An entry read, its string ends checked: the record without its response body."""

    record: Record
    entry: dict[str, Any]
    static: bool


def _entry(
    scan: _Scanner, at: int, keep_static: bool, cap: int, lighten: Lighten | None
) -> Record | None:
    """The record of the entry at `at` (None: a static asset left out), passed through
    `lighten`; `scan.pos` is set after the entry. Its response body is read only when
    `lighten` keeps the record as it is, and never a static asset's."""
    read, exact = _entry_read(scan, at, keep_static, cap)
    if read is None:
        return None
    record = read.record if lighten is None else lighten(read.record)
    if read.static or record is not read.record:
        return record
    try:
        return _with_body(record, read.entry, _Fields(scan, cap))
    except _Bad:
        if not exact:
            # The errors a file has are the exact walk's: it may find one before the body.
            _read_entry(scan, at, keep_static, cap, True)
        raise


def _entry_read(scan: _Scanner, at: int, keep_static: bool, cap: int) -> tuple[_Read | None, bool]:
    """(the entry read, whether exactly): from its lines if it is laid out that way, else
    walked; walked again without guessing string ends if a guess was wrong or the walk
    failed after one (the errors a file has are the exact walk's)."""
    try:
        return _read_entry(scan, at, keep_static, cap, None), False
    except (_Bad, _Guess):
        pass
    try:
        return _read_entry(scan, at, keep_static, cap, False), False
    except (_Bad, _Guess):
        if not scan.guessed:
            raise
    return _read_entry(scan, at, keep_static, cap, True), True


def _read_entry(
    scan: _Scanner, at: int, keep_static: bool, cap: int, exact: bool | None
) -> _Read | None:
    """One way of reading an entry: from its lines (exact None), walked with or without
    guessing string ends. Raises _Guess when a guess was wrong."""
    scan.unverified, scan.guessed, scan.exact = [], False, bool(exact)
    try:
        if exact is None:
            lined = _lined_entry(scan, at)
            if lined is None:
                raise _Guess  # not laid out in lines: walk it
            entry, end = lined
        else:
            entry, end = _walked_entry(scan, at, cap)
        fields = _Fields(scan, cap)
        look = _look(entry, at, fields)
        static = is_static(look.method, look.url, look.resource_type, look.mime)
        read = None
        if keep_static or not static:
            read = _Read(_record(entry, at, look, fields), entry, static)
        if not scan.verified():
            raise _Guess
    finally:
        scan.exact = False
    scan.pos = end
    return read


def _entry_starts(scan: _Scanner, start: int) -> Iterator[int]:
    """The offset of each entry of log.entries; the caller sets `scan.pos` after each one.
    Then the rest of the file is checked, so that a file cut short or broken after the
    entries is still an error."""
    buf = scan.buf
    try:
        top = scan.ws(start)
        if top >= scan.size:
            raise _Bad(top, "the file is empty")
        if buf[top] != LBRACE:
            scan.fail(top, 'not a HAR file: expected an object with a "log"')
        logs = 0
        for key, at in scan.members(top):
            if key != b"log":
                scan.pos = scan.skip_value(at)
                continue
            if buf[at] != LBRACE:
                scan.fail(at, 'not a HAR file: "log" is not an object')
            logs += 1
            lists = 0
            for name, value in scan.members(at):
                if name != b"entries":
                    scan.pos = scan.skip_value(value)
                    continue
                if buf[value] != LBRACKET:
                    scan.fail(value, 'not a HAR file: "log.entries" is not an array')
                lists += 1
                for item in scan.items(value):
                    if buf[item] != LBRACE:
                        scan.fail(item, "expected an entry object")
                    yield item
                    scan.release(scan.pos)
            if not lists:
                scan.fail(at, 'not a HAR file: "log" has no "entries"')
        if not logs:
            scan.fail(top, 'not a HAR file: no "log" object')
        end = scan.ws(scan.pos)
        if end < scan.size:
            scan.fail(end, "unexpected data after the HAR object")
    except IndexError:  # the scanner looked past the last byte
        scan.fail(scan.size, "unexpected end of file: the HAR is cut short")


def _located(scan: _Scanner, start: int, bad: _Bad) -> HarError:
    """The error at line:col (col in characters). The file is read in slices, each handed
    back when counted (a minified file is one line)."""
    buf, pos = scan.buf, min(bad.pos, scan.size)
    line_start = max(buf.rfind(b"\n", 0, pos) + 1, start)
    lines = 1
    for at in range(0, line_start, _CHUNK):
        lines += buf[at : min(at + _CHUNK, line_start)].count(b"\n")
        scan.drop(at, at + _CHUNK)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    col = 1
    for at in range(line_start, pos, _CHUNK):
        col += len(decoder.decode(buf[at : min(at + _CHUNK, pos)]))
        scan.drop(at, at + _CHUNK)
    return HarError(bad.message, lines, col + len(decoder.decode(b"", final=True)))


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def read_har(
    data: Buffer,
    *,
    keep_static: bool = False,
    body_cap: int = 1_000_000,
    lighten: Lighten | None = None,
) -> Iterator[Record]:
    """Records of a HAR's entries in file order (ids 1, 2, … in that order). Static assets
    (`filters.is_static`) are left out unless `keep_static`; their bodies are never kept.
    Response bodies are cut at `body_cap` bytes (`truncated`). `lighten` (Source.lighten)
    is given each record before its response body is read, with `truncated` saying
    whether it has one: a record it returns as it is gets the body; any other record it
    returns is handed over instead, and the body is never decoded. Raises HarError for a
    file cut short, invalid JSON, or JSON that is not a HAR."""
    if data[:2] in _UTF16_BOMS:
        raise HarError("the HAR is UTF-16 encoded; save it as UTF-8", 1, 1)
    start = 3 if data[:3] == codecs.BOM_UTF8 else 0
    scan = _Scanner(data)
    number = 0
    try:
        for at in _entry_starts(scan, start):
            record = _entry(scan, at, keep_static, body_cap, lighten)
            if record is not None:
                number += 1
                record.id = number
                yield record
    except _Bad as bad:
        raise _located(scan, start, bad) from None


def read_har_file(path: Path, **options: Any) -> Iterator[Record]:
    """`read_har` over the file mapped into memory; the mapping is closed when done."""
    with open(path, "rb") as stream:
        if not stream.seek(0, 2):
            raise HarError("the file is empty", 1, 1)
        mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        mapped.madvise(mmap.MADV_SEQUENTIAL)
        yield from read_har(mapped, **options)
    finally:
        mapped.close()
