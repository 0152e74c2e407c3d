"""Compare two requests as a server saw them: byte-exact, semantically equal, or different.

`reference` is what the real curl sent; `actual` is what a generated script sent. Headers
that are the client's own defaults (User-Agent, Accept, ...) may differ unless the command
set them. Anything else that differs must be one of the documented client limits, named
in LIMITS, or the comparison fails.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP

from tests.recorder import Received

CLIENT_DEFAULTS = frozenset(
    {"host", "user-agent", "accept", "accept-encoding", "connection", "content-length"}
)

# Per target, how many corpus requests were byte-exact, semantic-only or within a limit.
TALLY: dict[str, dict[str, int]] = {}


@dataclass
class Verdict:
    exact: bool
    differences: list[str] = field(default_factory=list)  # semantic-only differences
    limits: list[str] = field(default_factory=list)  # documented client limits that applied


class Mismatch(AssertionError):
    pass


def _given(headers: list[tuple[bytes, bytes]], given: set[str]) -> list[tuple[bytes, bytes]]:
    """Headers that are not client defaults, or that the command itself set."""
    return [(k, v) for k, v in headers if k.lower().decode() not in CLIENT_DEFAULTS - given]


def _multipart_parts(received: Received) -> list[tuple[str, str | None, str | None, bytes]] | None:
    content_type = received.header("content-type") or b""
    if not content_type.lower().startswith(b"multipart/form-data"):
        return None
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type + b"\r\n\r\n" + received.body
    )
    if not message.is_multipart():
        return None
    return [
        (
            part.get_param("name", header="content-disposition") or "",
            part.get_filename(),
            part.get("content-type"),
            part.get_payload(decode=True) or b"",
        )
        for part in message.iter_parts()
    ]


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None


def compare(
    reference: Received,
    actual: Received,
    given: set[str],
    omitted: set[str],
    limits: dict[str, str],
    target_rule: Callable[[bytes], bytes] | None = None,
) -> Verdict:
    """`given`: lower-case header names the command set (compared even if client defaults);
    `omitted`: names it removed; `limits`: kind -> reason of differences this client may
    show (kinds: method-case, target, content-length-zero, header-dup); `target_rule`, when
    given, is the documented rewrite a `target` difference must match."""
    verdict = Verdict(exact=True)

    def differ(kind: str, message: str) -> None:
        verdict.exact = False
        if kind in limits:
            verdict.limits.append(f"{message} ({limits[kind]})")
        elif kind == "semantic":
            verdict.differences.append(message)
        else:
            raise Mismatch(message)

    if reference.method != actual.method:
        if reference.method.upper() != actual.method.upper():
            raise Mismatch(f"method {actual.method!r}, curl sent {reference.method!r}")
        differ("method-case", f"method {actual.method!r}, curl sent {reference.method!r}")
    if reference.target != actual.target:
        explained = target_rule is None or target_rule(reference.target) == actual.target
        kind = "target" if explained else "target-unexplained"
        differ(kind, f"target {actual.target!r}, curl sent {reference.target!r}")
    for name in omitted:
        if actual.header(name) is not None:
            raise Mismatch(f"sent header {name} that the command removed")

    ref_parts, act_parts = _multipart_parts(reference), _multipart_parts(actual)
    skip: set[bytes] = set()
    if ref_parts is not None:
        skip = {b"content-type"}
        if ref_parts != act_parts:
            raise Mismatch(f"multipart parts {act_parts!r}, curl sent {ref_parts!r}")
        if reference.body != actual.body:
            differ("semantic", "multipart boundary differs")
    elif reference.body != actual.body:
        if _json(reference.body) is not None and _json(reference.body) == _json(actual.body):
            differ("semantic", "JSON body serialised differently")
        else:
            raise Mismatch(f"body {actual.body[:200]!r}, curl sent {reference.body[:200]!r}")

    ref_headers = [(k, v) for k, v in _given(reference.headers, given) if k.lower() not in skip]
    act_headers = [(k, v) for k, v in _given(actual.headers, given) if k.lower() not in skip]
    no_length = not reference.body and reference.header("content-length") is None
    if no_length and actual.header("content-length") == b"0":
        differ("content-length-zero", "sent Content-Length: 0")
    if ref_headers != act_headers:
        ref_count = Counter((k.lower(), v) for k, v in ref_headers)
        act_count = Counter((k.lower(), v) for k, v in act_headers)
        if ref_count == act_count:
            differ("semantic", "header name case or order differs")
        elif set(ref_count) == set(act_count):
            differ("header-dup", f"headers {act_headers!r}, curl sent {ref_headers!r}")
        else:
            raise Mismatch(f"headers {act_headers!r}, curl sent {ref_headers!r}")
    return verdict


def _percent(data: bytes, unsafe: bytes) -> bytes:
    return b"".join(
        b"%%%02X" % byte if byte >= 0x80 or bytes([byte]) in unsafe else bytes([byte])
        for byte in data
    )


def _resolve_dots(path: bytes) -> bytes:
    output: list[bytes] = []
    segments = re.sub(rb"%2[eE]", b".", path).split(b"/")[1:]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == b"..":
            if output:
                output.pop()
            if last:
                output.append(b"")
        elif segment == b".":
            if last:
                output.append(b"")
        else:
            output.append(segment)
    return b"/" + b"/".join(output)


def node_target(target: bytes) -> bytes:
    """The request target Node's URL parser (httpyac) sends for `target`, per the WHATWG URL
    standard: dot segments resolved, a trailing `?` dropped, and the path and query
    percent-encode sets applied (space, `"`, `<`, `>`, non-ASCII; plus backtick, `{`, `}` in
    the path and `'` in the query)."""
    path, question, query = target.partition(b"?")
    path = _percent(_resolve_dots(path), b' "<>`{}')
    if not query:
        return path
    return path + question + _percent(query, b" \"<>'")
