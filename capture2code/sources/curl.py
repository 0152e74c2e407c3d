"""curl command text -> Records.

The meaning of a command is what curl 7.88.1 sends: options are resolved through
curl's own option table (`curl_options`), and every data, header, cookie and URL rule
here was checked against the real binary (see tests/test_corpus.py).
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, quote, urlsplit

from capture2code.errors import InputError
from capture2code.record import FormPart, Multipart, Record, Request
from capture2code.sources import curl_url
from capture2code.sources.cmdline import looks_like_cmd, split_cmd
from capture2code.sources.curl_options import (
    CurlOption,
    OptionError,
    lookup_long,
    lookup_short,
)
from capture2code.sources.shell import Command, EnvRef, ShellSyntaxError, Word, split_bash
from capture2code.template import Text, Var


@dataclass
class CurlResult:
    records: list[Record]
    warnings: list[str]
    commands: int


@dataclass
class _Data:
    kind: str  # option that produced it: data, data-binary, data-urlencode, json ...
    value: Text  # bytes pieces


@dataclass
class _State:
    """What one curl command says, gathered option by option."""

    base_dir: Path
    warnings: list[str]
    urls: list[Word] = field(default_factory=list)
    method: str | None = None
    head: bool = False
    get: bool = False
    headers: list[tuple[str, Text]] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)
    data: list[_Data] = field(default_factory=list)
    form: list[FormPart] = field(default_factory=list)
    upload: Path | None = None
    user: Text | None = None
    bearer: Text | None = None
    cookies: list[Text] = field(default_factory=list)
    cookie_jars: list[Path] = field(default_factory=list)
    referer: Text | None = None
    agent: Text | None = None
    options: dict[str, object] = field(default_factory=dict)
    http_version: str = "HTTP/1.1"


Handler = Callable[[_State, Word | None, bool], None]


# --- word helpers -----------------------------------------------------------------------


def _text(word: Word) -> Text:
    """A word as a str Text; $VAR references become env Vars."""
    if len(word.parts) == 1 and isinstance(word.parts[0], bytes):
        return Text.of(word.parts[0].decode("utf-8", "surrogateescape"))
    return Text.of(
        *[
            Var(p.name) if isinstance(p, EnvRef) else p.decode("utf-8", "surrogateescape")
            for p in word.parts
        ]
    )


def _flat(word: Word) -> str | None:
    """The word as plain text, or None when it refers to a variable."""
    if any(isinstance(part, EnvRef) for part in word.parts):
        return None
    return b"".join(word.parts).decode("utf-8", "surrogateescape")  # type: ignore[arg-type]


def _data(word: Word) -> Text:
    return _text(word).as_bytes()


def _literal(word: Word, what: str) -> str:
    text = _text(word)
    if not text.is_literal:
        raise InputError(f"{what} cannot use an environment variable", word.line, word.col)
    return text.literal_str()


def _read_file(state: _State, name: str, word: Word) -> bytes:
    if name == "-":
        raise InputError("reading from standard input ('@-') is not supported", word.line, word.col)
    path = state.base_dir / name
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(
            f"cannot read file '{name}': {error.strerror}", word.line, word.col
        ) from None


def _split_text(text: Text, separator: str) -> tuple[Text, Text | None]:
    """Split a Text at the first literal occurrence of `separator`."""
    pieces = text.pieces
    if len(pieces) == 1 and isinstance(pieces[0], str):
        before, found, after = pieces[0].partition(separator)
        return (Text.of(before), Text.of(after)) if found else (text, None)
    for index, piece in enumerate(pieces):
        if isinstance(piece, str) and separator in piece:
            before, _, after = piece.partition(separator)
            return Text.of(*pieces[:index], before), Text.of(after, *pieces[index + 1 :])
    return text, None


# --- option handlers --------------------------------------------------------------------


def _url(state: _State, word: Word | None, negated: bool) -> None:
    assert word is not None
    state.urls.append(word)


def _request(state: _State, word: Word | None, negated: bool) -> None:
    assert word is not None
    state.method = _literal(word, "-X")


def _head(state: _State, word: Word | None, negated: bool) -> None:
    state.head = not negated


def _get(state: _State, word: Word | None, negated: bool) -> None:
    state.get = not negated


def _header(state: _State, word: Word | None, negated: bool) -> None:
    assert word is not None
    flat = _flat(word)
    if flat is not None and flat.startswith("@"):
        content = _read_file(state, flat[1:], word)
        for line in content.decode("utf-8", "surrogateescape").splitlines():
            if line.strip():
                _add_header(state, Text.of(line), word)
        return
    if flat is not None and ":" in flat and flat[0] not in " \t":
        # the usual `-H 'Name: value'`, without building intermediate Texts
        name, _, rest = flat.partition(":")
        value = rest.lstrip(" \t")
        if name == name.rstrip(" \t") and value.strip():
            state.headers.append((name, Text.of(value)))
            return
    _add_header(state, _text(word), word)


def _add_header(state: _State, text: Text, word: Word) -> None:
    name_text, value = _split_text(text, ":")
    if not name_text.is_literal:
        raise InputError("a header name cannot use an environment variable", word.line, word.col)
    raw_name = name_text.literal_str()
    name = raw_name.strip(" \t")
    if name != raw_name and value is not None:
        state.warnings.append(
            f"{word.line}:{word.col}: header name {raw_name!r} has white space around it;"
            f" the script sends {name!r}"
        )
    if value is None:
        if name.rstrip().endswith(";"):
            state.headers.append((name.rstrip()[:-1], Text.of("")))
        else:
            state.warnings.append(f"ignored header without a colon: {name!r}")
        return
    value = _lstrip(value)
    if value.is_literal and not value.literal_str().strip():
        # `Name:` removes a header curl itself would send; an earlier -H stays
        state.omitted.append(name)
        return
    state.headers.append((name, value))


def _lstrip(text: Text) -> Text:
    first = text.pieces[0] if text.pieces else None
    if not isinstance(first, str):
        return text
    return Text.of(first.lstrip(" \t"), *text.pieces[1:])


def _data_option(kind: str) -> Handler:
    def handle(state: _State, word: Word | None, negated: bool) -> None:
        assert word is not None
        state.data.append(_Data(kind, _data_value(state, kind, word)))

    return handle


def _data_value(state: _State, kind: str, word: Word) -> Text:
    value = _data(word)
    literal = value.literal_bytes() if value.is_literal else None
    reads_file = kind in ("data", "data-ascii", "data-binary", "json")
    if reads_file and literal is not None and literal.startswith(b"@"):
        content = _read_file(state, literal[1:].decode("utf-8", "surrogateescape"), word)
        if kind in ("data", "data-ascii"):
            content = _text_file_data(content)
        return Text.of(content)
    if kind == "data-urlencode":
        return _urlencoded(state, word)
    return value


def _text_file_data(content: bytes) -> bytes:
    """What `-d @file` sends. curl reads the file with fgets into a 256-byte buffer and
    keeps each chunk as a C string cut at its first CR or LF, so a NUL ends a chunk too."""
    kept = []
    position = 0
    while position < len(content):
        newline = content.find(b"\n", position, position + 255)
        end = newline + 1 if newline >= 0 else min(position + 255, len(content))
        chunk = content[position:end].split(b"\0", 1)[0]
        kept.append(chunk.split(b"\r", 1)[0].split(b"\n", 1)[0])
        position = end
    return b"".join(kept)


def _urlencoded(state: _State, word: Word) -> Text:
    """curl's --data-urlencode forms: content, =content, name=content, @file, name@file."""
    value = _literal(word, "--data-urlencode")
    name, sep, content = value.partition("=")
    if not sep:
        name, sep, content = value.partition("@")
        if sep:
            content_bytes = _read_file(state, content, word)
            encoded = _escape(content_bytes)
            return Text.of(f"{name}={encoded}" if name else encoded).as_bytes()
        name, content = "", value
    encoded = _escape(content.encode("utf-8", "surrogateescape"))
    return Text.of(f"{name}={encoded}" if name else encoded).as_bytes()


def _escape(data: bytes) -> str:
    return quote(data, safe="-._~").replace("%20", "+")


def _form_option(literal_value: bool) -> Handler:
    def handle(state: _State, word: Word | None, negated: bool) -> None:
        assert word is not None
        state.form.append(_form_part(state, word, literal_value))

    return handle


# curl's own guess of a file part's content type, by file name extension (lib/mime.c)
_CONTENT_TYPES = {
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain",
    ".htm": "text/html",
    ".html": "text/html",
    ".pdf": "application/pdf",
    ".xml": "application/xml",
}


def _form_part(state: _State, word: Word, literal_value: bool) -> FormPart:
    text = _text(word)
    name_text, value = _split_text(text, "=")
    if value is None or not name_text.is_literal:
        raise InputError("a form field needs the form name=value", word.line, word.col)
    name = name_text.literal_str()
    if literal_value or not value.is_literal:
        return FormPart(name=name, value=value.as_bytes())
    raw, attributes = _form_value(value.literal_str())
    content_type = attributes.get("type")
    if raw.startswith("@"):
        path = raw[1:]
        _read_file(state, path, word)
        default_type = _CONTENT_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")
        return FormPart(
            name=name,
            file=path,
            filename=attributes.get("filename", Path(path).name),
            type=content_type or default_type,
        )
    if raw.startswith("<"):
        content = _read_file(state, raw[1:], word)
        return FormPart(name=name, value=Text.of(content), type=content_type)
    return FormPart(
        name=name,
        value=Text.of(raw).as_bytes(),
        type=content_type,
        filename=attributes.get("filename"),
    )


def _form_word(text: str, start: int) -> tuple[str, int]:
    """One word of a -F value, as curl reads it: "quoted" (with \\ and \\" escapes) or up
    to the next `;`; returns the word and the index after it."""
    if text.startswith('"', start):
        word = []
        index = start + 1
        while index < len(text) and text[index] != '"':
            if text[index] == "\\" and text[index + 1 : index + 2] in ('"', "\\"):
                index += 1
            word.append(text[index])
            index += 1
        if index < len(text):
            end = text.find(";", index)
            return "".join(word), len(text) if end < 0 else end
    end = text.find(";", start)
    end = len(text) if end < 0 else end
    return text[start:end].rstrip(" "), end


def _form_value(text: str) -> tuple[str, dict[str, str]]:
    """The value (or @file / <file) of a -F argument and its `;type=` and `;filename=`.
    Parameters curl does not know that follow a type belong to it (`type=a/b;charset=x`)."""
    value, index = _form_word(text, 0)
    attributes: dict[str, str] = {}
    while index < len(text):
        index += 1
        while text.startswith(" ", index):
            index += 1
        key, equals, _ = text[index:].partition("=")
        if not equals:
            break
        word, index = _form_word(text, index + len(key) + 1)
        key = key.lower()
        if key in ("type", "filename", "headers", "encoder"):
            attributes[key] = word
        elif "type" in attributes:
            attributes["type"] += f";{key}={word}"
    return value, attributes


def _upload(state: _State, word: Word | None, negated: bool) -> None:
    assert word is not None
    name = _literal(word, "-T")
    _read_file(state, name, word)
    state.upload = Path(name)


def _user(state: _State, word: Word | None, negated: bool) -> None:
    assert word is not None
    text = _text(word)
    if not text.is_literal:
        raise InputError(
            "-u with an environment variable is not supported; use -H 'Authorization: …'",
            word.line,
            word.col,
        )
    if ":" not in text.literal_str():
        raise InputError("-u without a password makes curl prompt for it", word.line, word.col)
    state.user = text


def _bearer(state: _State, word: Word | None, negated: bool) -> None:
    assert word is not None
    state.bearer = _text(word)


def _cookie(state: _State, word: Word | None, negated: bool) -> None:
    assert word is not None
    text = _text(word)
    if not text.is_literal or "=" in text.literal_str():
        state.cookies.append(text)
        return
    name = text.literal_str()
    _read_file(state, name, word)
    state.cookie_jars.append(state.base_dir / name)


def _referer(state: _State, word: Word | None, negated: bool) -> None:
    assert word is not None
    text = _text(word)
    if text.is_literal:
        text = Text.of(text.literal_str().removesuffix(";auto"))
    state.referer = text or None


def _agent(state: _State, word: Word | None, negated: bool) -> None:
    assert word is not None
    state.agent = _text(word)


def _flag(key: str) -> Handler:
    def handle(state: _State, word: Word | None, negated: bool) -> None:
        state.options[key] = not negated

    return handle


def _max_redirects(state: _State, word: Word | None, negated: bool) -> None:
    assert word is not None
    value = _literal(word, "--max-redirs")
    try:
        state.options["max_redirects"] = int(value)
    except ValueError:
        raise InputError(
            f"--max-redirs needs a number, not {value!r}", word.line, word.col
        ) from None


def _http_version(version: str) -> Handler:
    def handle(state: _State, word: Word | None, negated: bool) -> None:
        state.http_version = version

    return handle


HANDLERS: dict[str, Handler] = {
    "url": _url,
    "request": _request,
    "head": _head,
    "get": _get,
    "header": _header,
    "data": _data_option("data"),
    "data-ascii": _data_option("data-ascii"),
    "data-binary": _data_option("data-binary"),
    "data-raw": _data_option("data-raw"),
    "data-urlencode": _data_option("data-urlencode"),
    "json": _data_option("json"),
    "form": _form_option(literal_value=False),
    "form-string": _form_option(literal_value=True),
    "upload-file": _upload,
    "user": _user,
    "oauth2-bearer": _bearer,
    "cookie": _cookie,
    "referer": _referer,
    "user-agent": _agent,
    "insecure": _flag("insecure"),
    "location": _flag("follow_redirects"),
    "compressed": _flag("compressed"),
    "path-as-is": _flag("path_as_is"),
    "globoff": _flag("globoff"),
    "max-redirs": _max_redirects,
    "http1.0": _http_version("HTTP/1.0"),
    "http1.1": _http_version("HTTP/1.1"),
    "http2": _http_version("HTTP/2"),
    "http2-prior-knowledge": _http_version("HTTP/2"),
}

# Options that change only what curl prints or how it reports, never the request sent.
QUIET = frozenset(
    {
        "basic",
        "buffer",
        "fail",
        "fail-with-body",
        "include",
        "keepalive",
        "progress-bar",
        "progress-meter",
        "show-error",
        "silent",
        "verbose",
    }
)


# --- command -> records -----------------------------------------------------------------


def _option_words(command: Command) -> list[tuple[CurlOption, Word | None, bool, Word]]:
    """Resolve the words after `curl` into (option, value word, negated, option word)."""
    resolved: list[tuple[CurlOption, Word | None, bool, Word]] = []
    words = command.words[1:]
    index = 0
    url_option = lookup_long("url")[0]
    while index < len(words):
        word = words[index]
        index += 1
        flat = _flat(word)
        if flat == "--":
            # curl takes every word after `--` as a URL
            resolved.extend((url_option, rest, False, rest) for rest in words[index:])
            break
        if flat is None or not flat.startswith("-"):
            resolved.append((url_option, word, False, word))
            continue
        try:
            if flat.startswith("--"):
                option, negated = lookup_long(flat[2:])
                value = None
                if option.takes_value:
                    if index >= len(words):
                        raise InputError(f"option {flat}: requires a value", word.line, word.col)
                    value = words[index]
                    index += 1
                resolved.append((option, value, negated, word))
                continue
            if flat == "-":
                raise OptionError("option -: is unknown")
            position = 1
            while position < len(flat):
                try:
                    option = lookup_short(flat[position])
                except OptionError:
                    raise OptionError(f"option {flat}: is unknown") from None
                position += 1
                if not option.takes_value:
                    resolved.append((option, None, False, word))
                    continue
                if position < len(flat):
                    rest = _strip_prefix(word, position)
                    resolved.append((option, rest, False, word))
                elif index < len(words):
                    resolved.append((option, words[index], False, word))
                    index += 1
                else:
                    raise InputError(f"option {flat}: requires a value", word.line, word.col)
                break
        except OptionError as error:
            raise InputError(str(error), word.line, word.col) from None
    return resolved


def _strip_prefix(word: Word, characters: int) -> Word:
    """The word without its first `characters` characters (an attached short-option value)."""
    flat = _text(word).literal_str()[characters:].encode("utf-8", "surrogateescape")
    return Word((flat,), word.line, word.col + characters)


def _command_name(word: Word) -> str | None:
    text = _text(word)
    return text.literal_str() if text.is_literal else None


def parse_command(command: Command, base_dir: Path) -> tuple[list[Record], list[str]]:
    first = command.words[0]
    name = _command_name(first)
    if name is None or Path(name.replace("\\", "/")).name.lower() not in ("curl", "curl.exe"):
        shown = name if name is not None else "a variable"
        raise InputError(f"not a curl command (starts with {shown!r})", first.line, first.col)
    state = _State(base_dir=base_dir, warnings=list(command.warnings))
    for option, value, negated, word in _option_words(command):
        handler = HANDLERS.get(option.long)
        if handler is not None:
            handler(state, value, negated)
        elif option.long not in QUIET:
            state.warnings.append(
                f"{word.line}:{word.col}: ignored --{option.long}: the generated script does not"
                " do what it asks"
            )
    if not state.urls:
        raise InputError("no URL in the curl command", first.line, first.col)
    return [_record(state, url) for url in state.urls], state.warnings


def _record(state: _State, where: Word) -> Record:
    """The request curl sends to the URL given by the word `where`."""
    if state.head and (state.form or state.upload or (state.data and not state.get)):
        raise InputError(
            "curl refuses -I/--head with a request body (-d, -F or -T): pick one method",
            where.line,
            where.col,
        )
    body: Text | Multipart | None = None
    query: Text | None = None
    if state.data:
        joined = _join_data(state.data)
        if state.get:
            query = _lowercase_escapes(joined.as_str())
        else:
            body = joined
    if state.form:
        body = Multipart(list(state.form))
    try:
        target = curl_url.normalize(
            _text(where),
            globoff=bool(state.options.get("globoff")),
            path_as_is=bool(state.options.get("path_as_is")),
        )
    except curl_url.URLError as error:
        raise InputError(str(error), where.line, where.col) from None
    url = target.url
    if query is not None:
        url = curl_url.append_query(url, query)
    if state.upload is not None:
        body = Text.of(_read_file(state, str(state.upload), where))
        url = curl_url.append_upload_name(url, state.upload.name)
    custom = {name.lower() for name, _ in state.headers}
    removed = {name.lower() for name in state.omitted}

    def implied(headers: list[tuple[str, Text]]) -> list[tuple[str, Text]]:
        return [(n, v) for n, v in headers if n.lower() not in custom | removed]

    before, after = _implied_headers(state, target.userinfo, body, url)
    options = {k: v for k, v in state.options.items() if k != "globoff"}
    omit = [n for n in state.omitted if n.lower() in CURL_DEFAULT_HEADERS - custom]
    if state.agent is not None and not state.agent and "user-agent" not in custom:
        omit.append("User-Agent")
    if omit:
        options["omit_headers"] = omit
    request = Request(
        method=_method(state, body),
        url=url,
        headers=implied(before) + state.headers + implied(after),
        body=body,
        http_version=state.http_version,
        options=options,
    )
    return Record(request=request, source="curl")


# Headers curl sends on its own; `-H 'Name:'` asks the replaying client not to send them.
CURL_DEFAULT_HEADERS = frozenset({"user-agent", "accept"})

_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def _lowercase_escapes(text: Text) -> Text:
    """-G moves the data into the query with curl writing its %XX escapes in lower case."""
    return Text.of(
        *[p if isinstance(p, Var) else _ESCAPE.sub(lambda m: m.group(0).lower(), p) for p in text]
    )


def _join_data(data: list[_Data]) -> Text:
    joined = Text()
    for index, item in enumerate(data):
        if index and not (item.kind == "json" and data[index - 1].kind == "json"):
            joined = joined + Text.of(b"&")
        joined = joined + item.value
    return joined


def _method(state: _State, body: Text | Multipart | None) -> str:
    if state.method is not None:
        return state.method
    if state.head:
        return "HEAD"
    if state.upload is not None:
        return "PUT"
    if body is not None:
        return "POST"
    return "GET"


def _implied_headers(
    state: _State, userinfo: str | None, body: Text | Multipart | None, url: Text
) -> tuple[list[tuple[str, Text]], list[tuple[str, Text]]]:
    """Headers the options imply: those curl sends before the -H headers, and after them."""
    before: list[tuple[str, Text]] = []
    if state.bearer is not None:
        before.append(("Authorization", Text.of("Bearer ") + state.bearer))
    elif state.user is not None:
        before.append(("Authorization", _basic(state.user.literal_str())))
    elif userinfo is not None:
        before.append(("Authorization", _basic(userinfo if ":" in userinfo else userinfo + ":")))
    if state.agent:
        before.append(("User-Agent", state.agent))
    if state.referer is not None:
        before.append(("Referer", state.referer))
    cookie = _cookie_header(state, url)
    if cookie is not None:
        before.append(("Cookie", cookie))
    after: list[tuple[str, Text]] = []
    if any(item.kind == "json" for item in state.data):
        after.append(("Content-Type", Text.of("application/json")))
        after.append(("Accept", Text.of("application/json")))
    elif isinstance(body, Text) and state.upload is None:
        after.append(("Content-Type", Text.of("application/x-www-form-urlencoded")))
    if state.upload is not None:
        after.append(("Expect", Text.of("100-continue")))
    return before, after


def _basic(credentials: str) -> Text:
    token = base64.b64encode(credentials.encode("utf-8", "surrogateescape")).decode()
    return Text.of(f"Basic {token}")


def _cookie_header(state: _State, url: Text) -> Text | None:
    """Jar cookies come first (joined by "; "), then -b strings (joined by ";"), as curl
    sends them whatever the option order."""
    jar = [pair for path in state.cookie_jars for pair in _jar_cookies(path, url)]
    parts: list[Text] = []
    if jar:
        parts.append(Text.of("; ".join(_ordered(jar))))
    if state.cookies:
        joined = state.cookies[0]
        for cookie in state.cookies[1:]:
            joined = joined + Text.of(";") + cookie
        parts.append(joined)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts[0] + Text.of("; ") + parts[1]


@dataclass(frozen=True)
class _JarCookie:
    name: str
    value: str
    path: str
    position: int


def _ordered(cookies: list[_JarCookie]) -> list[str]:
    """curl's order: longest path first, then longest name, then later in the file first."""
    ranked = sorted(cookies, key=lambda c: (-len(c.path), -len(c.name), -c.position))
    return [f"{c.name}={c.value}" for c in ranked]


def _jar_cookies(jar: Path, url: Text) -> list[_JarCookie]:
    """The cookies of a Netscape cookie file that curl would send to `url`."""
    parsed = urlsplit(url.literal_str()) if url.is_literal else None
    cookies = []
    lines = jar.read_text("utf-8", "surrogateescape").splitlines()
    for position, line in enumerate(lines):
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_") :]
        elif line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 7:
            continue
        domain, _, path, secure, expires, name, value = fields
        if parsed is None or _cookie_matches(parsed, domain, path, secure, expires):
            cookies.append(_JarCookie(name, value, path, position))
    return cookies


# Hosts curl treats as secure contexts, so it sends them Secure cookies over plain http.
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def _cookie_matches(url: SplitResult, domain: str, path: str, secure: str, expires: str) -> bool:
    host = (url.hostname or "").lower()
    domain = domain.lower().lstrip(".")
    if host != domain and not host.endswith("." + domain):
        return False
    if not (url.path or "/").startswith(path):
        return False
    if secure.upper() == "TRUE" and url.scheme != "https" and host not in _LOCAL_HOSTS:
        return False
    return not (expires.isdigit() and 0 < int(expires) < time.time())


# --- entry point ------------------------------------------------------------------------


def read_curl(text: str, base_dir: Path | None = None) -> CurlResult:
    """Every curl command in `text` (bash or Windows cmd syntax) as records."""
    base_dir = base_dir or Path.cwd()
    try:
        commands = split_cmd(text) if looks_like_cmd(text) else split_bash(text)
    except ShellSyntaxError as error:
        raise InputError(error.message, error.line, error.col) from None
    warnings: list[str] = [w for command in commands if not command.words for w in command.warnings]
    commands = [command for command in commands if command.words]
    if not commands:
        raise InputError("no curl command found (the input is empty)")
    records: list[Record] = []
    for command in commands:
        command_records, command_warnings = parse_command(command, base_dir)
        records.extend(command_records)
        warnings.extend(command_warnings)
    for number, record in enumerate(records, start=1):
        record.id = number
    return CurlResult(records, warnings, len(commands))
