"""The one data model every input becomes, and its JSON Lines form (DESIGN.md schema v1).

In memory, request values are `Text`s so that later stages can replace secrets and
server ids by `Var`s; on disk a Var is the placeholder `{{NAME}}` (and a captured
`{{` is `{{{{`), listed in the record's `redacted` array.
"""

from __future__ import annotations

import base64
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from capture2code.template import Text, Var, VarKind, from_placeholders, to_placeholders

SCHEMA_VERSION = 1


# Headers a client sends to its proxy, never to the server: a record of a request through
# a proxy (the addon, mitmproxy's HAR) must not make the replay send them.
PROXY_ONLY_HEADERS = frozenset({"proxy-connection", "proxy-authorization"})


class RecordError(ValueError):
    """A records file that does not follow the schema; `line` is 1-based."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class FormPart:
    """One part of a multipart form: an inline `value`, or a `file` the script reads."""

    name: str
    value: Text | None = None
    file: str | None = None
    filename: str | None = None
    type: str | None = None


@dataclass
class Multipart:
    parts: list[FormPart]


Body = Text | Multipart


@dataclass
class Request:
    method: str
    url: Text
    headers: list[tuple[str, Text]] = field(default_factory=list)
    body: Body | None = None
    http_version: str = "HTTP/1.1"
    # Client behaviour a faithful replay needs. Keys the emitters act on:
    # insecure, follow_redirects, max_redirects, compressed, path_as_is,
    # omit_headers (client default headers the command removed).
    options: dict[str, Any] = field(default_factory=dict)

    def changed(
        self, *, url: Text | None = None, headers: list[tuple[str, Text]] | None = None
    ) -> Request:
        """A copy with a new URL or headers (dataclasses.replace costs ten times as much,
        and stages run this for every request)."""
        return Request(
            self.method,
            self.url if url is None else url,
            self.headers if headers is None else headers,
            self.body,
            self.http_version,
            self.options,
        )

    def header(self, name: str) -> Text | None:
        """The last value of header `name` (case-insensitive), if any."""
        wanted = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == wanted:
                found = value
        return found


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    truncated: bool = False


@dataclass
class Record:
    request: Request
    response: Response | None = None
    id: int = 0
    source: str = "curl"
    time: str | None = None
    redacted: list[dict[str, str]] = field(default_factory=list)

    def slimmed(self, request_headers: Collection[str] | None) -> Record:
        """A copy without its response body and, unless `request_headers` is None, with only
        the request headers named there (lower case) and the response's content type."""
        request, response = self.request, self.response
        if request_headers is not None:
            request = request.changed(
                headers=[(k, v) for k, v in request.headers if k.lower() in request_headers]
            )
        if response is not None:
            headers = response.headers
            if request_headers is not None:
                headers = [(k, v) for k, v in headers if k.lower() == "content-type"]
            truncated = response.truncated or response.body is not None
            response = Response(response.status, headers, None, truncated)
        return Record(request, response, self.id, self.source, self.time, self.redacted)

    def changed(self, request: Request, redacted: list[dict[str, str]] | None = None) -> Record:
        """A copy with another request (and `redacted` notes)."""
        notes = self.redacted if redacted is None else redacted
        return Record(request, self.response, self.id, self.source, self.time, notes)


def parse_json(data: str | bytes | None) -> Any:
    """`data` as JSON, or None when it is empty or not JSON (any depth is fine)."""
    if not data:
        return None
    import json  # only where a stage reads JSON: a conversion of curl text needs none

    try:
        return json.loads(data, strict=False)
    except (ValueError, RecursionError):
        return None


def response_json(record: Record) -> Any:
    """The record's response body as JSON, or None."""
    response = record.response
    if response is None:
        return None
    body = response.body
    return parse_json(body.decode("utf-8", "surrogateescape") if body else None)


def request_target(record: Record) -> str:
    """The path and query of a record's URL, {{NAME}} placeholders for Vars (the whole URL
    when it does not start with a literal scheme and authority)."""
    url = to_placeholders(record.request.url)
    scheme_end = url.find("://")
    if scheme_end < 0 or "/" in url[:scheme_end]:
        return url  # already a target, or an origin turned into a variable
    authority = scheme_end + 3
    ends = [at for at in (url.find(mark, authority) for mark in "/?#") if at >= 0]
    rest = url[min(ends) :] if ends else ""
    return rest if rest.startswith("/") else "/" + rest


# --- JSON Lines -------------------------------------------------------------------------


def _text_to_json(text: Text) -> str:
    return to_placeholders(text)


def _body_to_json(body: Body) -> dict[str, Any]:
    if isinstance(body, Multipart):
        parts = []
        for part in body.parts:
            item: dict[str, Any] = {"name": part.name}
            if part.value is not None:
                item["value"] = _text_to_json(part.value)
            if part.file is not None:
                item["file"] = part.file
            if part.filename is not None:
                item["filename"] = part.filename
            if part.type is not None:
                item["type"] = part.type
            parts.append(item)
        return {"multipart": parts}
    encoded = to_placeholders(body)
    try:
        encoded.encode("utf-8")
    except UnicodeEncodeError:
        return {"base64": base64.b64encode(encoded.encode("utf-8", "surrogateescape")).decode()}
    return {"text": encoded}


def record_to_dict(record: Record) -> dict[str, Any]:
    request = record.request
    req: dict[str, Any] = {
        "method": request.method,
        "url": _text_to_json(request.url),
        "http_version": request.http_version,
        "headers": [[name, _text_to_json(value)] for name, value in request.headers],
    }
    if request.body is not None:
        req["body"] = _body_to_json(request.body)
    req["options"] = request.options
    out: dict[str, Any] = {"v": SCHEMA_VERSION, "id": record.id, "source": record.source}
    if record.time is not None:
        out["time"] = record.time
    out["request"] = req
    if record.response is not None:
        response = record.response
        resp: dict[str, Any] = {
            "status": response.status,
            "headers": [[name, value] for name, value in response.headers],
        }
        if response.body is not None:
            resp["body"] = _bytes_to_json(response.body)
        if response.truncated:
            resp["truncated"] = True
        out["response"] = resp
    out["redacted"] = record.redacted
    return out


def _bytes_to_json(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode()}


def dumps(record: Record) -> str:
    """One JSON line (no trailing newline); non-ASCII kept as UTF-8 so diffs stay readable."""
    import json  # only where records are written: a conversion of curl text needs no JSON

    data = record_to_dict(record)
    line = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        # bytes that are not UTF-8 (a header as captured) travel as \udcXX escapes
        line = json.dumps(data, separators=(",", ":"))
    return line


def write_jsonl(records: Iterable[Record], stream: IO[str]) -> None:
    for record in records:
        stream.write(dumps(record) + "\n")


# --- reading ----------------------------------------------------------------------------


def _expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind):
        raise RecordError(f"{what} has the wrong type")
    return value


def _body_from_json(raw: dict[str, Any], kinds: dict[str, VarKind]) -> Body:
    _expect(raw, dict, "request.body")
    if "multipart" in raw:
        parts = []
        for item in _expect(raw["multipart"], list, "request.body.multipart"):
            _expect(item, dict, "multipart part")
            value = item.get("value")
            parts.append(
                FormPart(
                    name=_expect(item.get("name"), str, "multipart part name"),
                    value=None if value is None else from_placeholders(value, kinds).as_bytes(),
                    file=item.get("file"),
                    filename=item.get("filename"),
                    type=item.get("type"),
                )
            )
        return Multipart(parts)
    if "text" in raw:
        return from_placeholders(_expect(raw["text"], str, "request.body.text"), kinds).as_bytes()
    if "base64" in raw:
        decoded = base64.b64decode(_expect(raw["base64"], str, "request.body.base64"))
        return from_placeholders(decoded.decode("utf-8", "surrogateescape"), kinds).as_bytes()
    raise RecordError("request.body has none of text, base64, multipart")


def _response_body(raw: dict[str, Any]) -> bytes:
    if "text" in raw:
        return _expect(raw["text"], str, "response.body.text").encode("utf-8")
    return base64.b64decode(_expect(raw.get("base64", ""), str, "response.body.base64"))


def record_from_dict(raw: dict[str, Any]) -> Record:
    _expect(raw, dict, "record")
    if raw.get("v") != SCHEMA_VERSION:
        raise RecordError(f"unsupported record version {raw.get('v')!r}")
    redacted = _expect(raw.get("redacted", []), list, "redacted")
    kinds: dict[str, VarKind] = {
        item["var"]: item.get("kind", "env") for item in redacted if isinstance(item, dict)
    }
    req = _expect(raw.get("request"), dict, "request")
    headers = [
        (_expect(name, str, "header name"), from_placeholders(_expect(value, str, "header"), kinds))
        for name, value in _expect(req.get("headers", []), list, "request.headers")
    ]
    request = Request(
        method=_expect(req.get("method"), str, "request.method"),
        url=from_placeholders(_expect(req.get("url"), str, "request.url"), kinds),
        headers=headers,
        body=None if req.get("body") is None else _body_from_json(req["body"], kinds),
        http_version=req.get("http_version", "HTTP/1.1"),
        options=_expect(req.get("options", {}), dict, "request.options"),
    )
    response = None
    if raw.get("response") is not None:
        resp = _expect(raw["response"], dict, "response")
        response = Response(
            status=_expect(resp.get("status"), int, "response.status"),
            headers=[(str(k), str(v)) for k, v in resp.get("headers", [])],
            body=None if resp.get("body") is None else _response_body(resp["body"]),
            truncated=bool(resp.get("truncated", False)),
        )
    return Record(
        request=request,
        response=response,
        id=int(raw.get("id", 0)),
        source=str(raw.get("source", "jsonl")),
        time=raw.get("time"),
        redacted=redacted,
    )


def read_jsonl(lines: Iterable[str]) -> Iterator[Record]:
    """Records from JSON Lines; blank lines are skipped, anything else malformed is an error."""
    import json

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield record_from_dict(json.loads(line))
        except RecordError as error:
            raise RecordError(str(error), number) from None
        except (ValueError, TypeError, KeyError) as error:
            raise RecordError(f"not a valid record: {error}", number) from None


def record_vars(record: Record) -> set[Var]:
    """Every Var a record's request refers to."""
    request = record.request
    texts: list[Text] = [request.url, *(value for _, value in request.headers)]
    if isinstance(request.body, Text):
        texts.append(request.body)
    elif isinstance(request.body, Multipart):
        texts.extend(p.value for p in request.body.parts if p.value is not None)
    return {piece for text in texts for piece in text.pieces if isinstance(piece, Var)}
