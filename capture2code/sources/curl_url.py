"""The request target curl 7.88.1 sends for a URL argument (checked against the binary).

curl guesses `http://` when no scheme is given, lower-cases the scheme, drops the
fragment, sends `/` for an empty path, moves userinfo into Basic auth, removes dot
segments unless --path-as-is, percent-encodes non-ASCII bytes of the path (lower-case
hex) but not of the query, and rejects whitespace and control characters. Without -g
it treats `[…]` and `{…}` as globs; a backslash before a bracket makes it literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from capture2code.template import Text


class URLError(ValueError):
    pass


@dataclass
class Target:
    url: Text
    userinfo: str | None = None


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_GLOB_ESCAPE = re.compile(r"\\([\[\]{}])")
_IPV6_HOST = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)?(?:[^/@]*@)?\[[0-9A-Fa-f:.]+(?:%25\w+)?\]")
_BAD = re.compile(r"[\x00-\x20\x7f]")


def normalize(url: Text, *, globoff: bool, path_as_is: bool) -> Target:
    if not url.is_literal:
        # A URL built from variables is sent as written; curl would resolve it at run time.
        return Target(url)
    raw = url.literal_str()
    if not globoff:
        raw = _unglob(raw)
    raw = raw.partition("#")[0]
    if _BAD.search(raw):
        raise URLError("URL using bad/illegal format: whitespace or a control character")
    match = _SCHEME.match(raw)
    scheme = match.group(1).lower() if match else "http"
    rest = raw[match.end() :] if match else raw
    authority_end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, remainder = rest[:authority_end], rest[authority_end:]
    userinfo = None
    if "@" in authority:
        info, _, authority = authority.rpartition("@")
        userinfo = unquote(info, errors="surrogateescape")
    if not authority:
        raise URLError("URL has no host")
    path, question, query = remainder.partition("?")
    path = path or "/"
    if not path_as_is:
        path = _remove_dot_segments(path)
    path = _encode_non_ascii(path)
    return Target(Text.of(f"{scheme}://{authority}{path}{question}{query}"), userinfo)


def _unglob(raw: str) -> str:
    ipv6 = _IPV6_HOST.match(raw)
    start = ipv6.end() if ipv6 else 0
    checked = _GLOB_ESCAPE.sub("", raw[start:])
    if "[" in checked or "{" in checked:
        raise URLError(
            "URL globbing ([…] or {…}) is not supported; add -g (--globoff) to send the"
            " brackets as they are, or escape them as \\[ \\{"
        )
    return raw[:start] + _GLOB_ESCAPE.sub(r"\1", raw[start:])


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, as curl applies it to the path."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments[1:], start=1):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 0:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/" + "/".join(output)


def _encode_non_ascii(path: str) -> str:
    data = path.encode("utf-8", "surrogateescape")
    if data.isascii():
        return path
    return "".join(chr(byte) if byte < 0x80 else f"%{byte:02x}" for byte in data)


def _has_query(url: Text) -> tuple[bool, bool]:
    """(the URL has a `?`, the query after it is empty)."""
    literal = "".join(p for p in url.pieces if isinstance(p, str))
    if "?" not in literal:
        return False, False
    last = url.pieces[-1]
    return True, isinstance(last, str) and last.endswith("?")


def append_query(url: Text, query: Text) -> Text:
    """What -G does: data joins an existing query with `&`, else starts one."""
    has_query, empty = _has_query(url)
    separator = "" if empty else ("&" if has_query else "?")
    return url + Text.of(separator) + query


def append_upload_name(url: Text, name: str) -> Text:
    """What -T does: a URL whose path ends in `/` gets the uploaded file's name."""
    if not url.is_literal:
        return url
    path, question, query = url.literal_str().partition("?")
    if path.endswith("/"):
        path += name
    return Text.of(path + question + query)
