"""mitmproxy flows -> records: the one conversion, and the live capture addon.

`parts_to_record` is shared by the addon (`addons/capture2code.py`, source "addon") and the
flow file reader (`sources/mitm.py`, source "mitm"), so a live capture and the same flows
saved with `mitmdump -w` give the same records.

What a record holds (conventions shared with the HAR reader):
- the request as the client sent it: method, scheme://authority/target with the bytes of
  the request target, headers in order with their case (HTTP/2's pseudo-headers are in the
  URL, never in `headers`), and the body as the bytes on the wire (a Content-Encoding stays
  applied, so a replay sends what the client sent);
- the response as chaining reads it: status, headers, and the body with its
  Content-Encoding undone (as HAR holds it), cut at `body_cap`; static assets' bodies are
  not kept (`filters.is_static`), which is what keeps large captures cheap to read.

The addon hands each completed flow to a writer process that converts, redacts and writes
it: redaction scans whole JSON bodies, and that work must not delay the proxy (the
response is on its way to the browser while the record is made) nor stall it on odd
content. mitmproxy is imported only where a flow object is handled, so the writer
process starts without it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import weakref
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from capture2code.files import replace_file
from capture2code.filters import is_static
from capture2code.record import (
    PROXY_ONLY_HEADERS,
    Record,
    Request,
    Response,
    dumps,
    record_to_dict,
)
from capture2code.template import Text

if TYPE_CHECKING:
    from mitmproxy import http

logger = logging.getLogger(__name__)

# mitmproxy's names for HTTP versions -> the records' names (as HAR readers write them).
HTTP_VERSIONS = {"HTTP/2.0": "HTTP/2", "HTTP/3.0": "HTTP/3"}
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


# --- flow -> record ---------------------------------------------------------------------

Bytes = bytes | memoryview  # a flow file's reader hands out views instead of copies


@dataclass(slots=True)
class RequestParts:
    """A request as mitmproxy stores it: the fields of `http.RequestData`, which are also
    the "request" of a flow file's state."""

    method: bytes
    scheme: bytes
    authority: bytes
    host: str
    port: int
    path: bytes
    http_version: bytes
    headers: Sequence[tuple[bytes, bytes]]  # `Headers.fields`
    content: Bytes | None
    timestamp_start: float


@dataclass(slots=True)
class ResponseParts:
    status_code: int
    headers: Sequence[tuple[bytes, bytes]]
    content: Bytes | None


@dataclass(slots=True)
class FlowParts:
    """What a record is made of: an HTTP flow, from a live flow or a flow file's state."""

    request: RequestParts
    response: ResponseParts | None = None
    error: str | None = None
    # (from the client, a text message, content) per message; None for plain HTTP
    websocket: list[tuple[bool, bool, Bytes]] | None = None


def request_parts(request: http.Request) -> RequestParts:
    d = request.data
    return RequestParts(
        d.method,
        d.scheme,
        d.authority,
        d.host,
        d.port,
        d.path,
        d.http_version,
        d.headers.fields,
        d.content,
        d.timestamp_start,
    )


def flow_parts(flow: http.HTTPFlow) -> FlowParts:
    response = flow.response
    return FlowParts(
        request_parts(flow.request),
        (
            None
            if response is None
            else ResponseParts(
                response.data.status_code, response.data.headers.fields, response.data.content
            )
        ),
        None if flow.error is None else flow.error.msg,
        (
            None
            if flow.websocket is None
            else [(m.from_client, m.is_text, m.content) for m in flow.websocket.messages]
        ),
    )


def _str(data: Bytes) -> str:
    return str(data, "utf-8", "surrogateescape")


def request_url(request: RequestParts) -> str:
    """scheme://authority/target as sent: the authority is the HTTP/2 `:authority` or the
    absolute-form target's, else the Host header (mitmproxy turns HTTP/1 absolute-form
    targets into origin-form before any hook sees them), else the address connected to."""
    authority = request.authority or _first_header(request.headers, b"host")
    if not authority:
        host = f"[{request.host}]" if ":" in request.host else request.host
        default = DEFAULT_PORTS.get(_str(request.scheme).lower())
        authority = (host if request.port == default else f"{host}:{request.port}").encode()
    # An asterisk-form target (OPTIONS *) has no place in a URL; the URL names the server.
    target = b"" if request.path == b"*" else request.path
    return f"{_str(request.scheme)}://{_str(authority)}{_str(target)}"


def _first_header(fields: Sequence[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in fields:
        if key.lower() == name:
            return value
    return None


def _iso_time(timestamp: float | None) -> str | None:
    try:
        moment = datetime.fromtimestamp(timestamp, UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):  # a flow file's odd timestamp
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _zlib_wrapped(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


def _brotli(_: bytes) -> Callable[[Bytes], bytes]:
    import brotli  # a dependency of mitmproxy

    return brotli.Decompressor().process


def _zstd(_: bytes) -> Callable[[Bytes], bytes]:
    # mitmproxy 12 decodes zstd with the standard library's module (or its backport),
    # mitmproxy 11 with `zstandard`: use whichever this environment has.
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14
    except ImportError:
        try:
            from backports import zstd  # type: ignore[import-not-found,no-redef]
        except ImportError:
            import zstandard

            return zstandard.ZstdDecompressor().decompressobj().decompress
    return zstd.ZstdDecompressor().decompress


# Content-coding -> a streaming decompressor for a body (given its bytes to look at).
DECODERS: dict[str, Callable[[bytes], Callable[[Bytes], bytes]]] = {
    "gzip": lambda _: zlib.decompressobj(zlib.MAX_WBITS | 16).decompress,
    "x-gzip": lambda _: zlib.decompressobj(zlib.MAX_WBITS | 16).decompress,
    # zlib-wrapped as the RFC says, or raw deflate as some servers send it.
    "deflate": lambda data: zlib.decompressobj(
        zlib.MAX_WBITS if _zlib_wrapped(data) else -zlib.MAX_WBITS
    ).decompress,
    "br": _brotli,
    "zstd": _zstd,
}
# Compressed input is fed in pieces this small so that a decompression bomb stops soon
# after `body_cap` bytes of output instead of filling memory.
_INFLATE_STEP = 256


def _decoded(raw: Bytes, encodings: str, cap: int) -> tuple[bytes, bool]:
    """(body with its content-encodings undone, cut at `cap`; truncated). Data that does
    not decode as labelled is kept as received, like mitmproxy's non-strict decoding."""
    data = raw
    names = [name.strip().lower() for name in encodings.split(",")]
    for name in reversed([name for name in names if name not in ("", "identity", "none")]):
        factory = DECODERS.get(name)
        if factory is None:  # a coding nobody knows: the bytes as received
            data = raw
            break
        try:
            decompress = factory(bytes(data[:2]))
            out = bytearray()
            for start in range(0, len(data), _INFLATE_STEP):
                out += decompress(data[start : start + _INFLATE_STEP])
                if len(out) > cap:
                    return bytes(out[:cap]), True
        except Exception:  # any decoder's error means "not as labelled"
            data = raw
            break
        data = out
    return bytes(data[:cap]), len(data) > cap


def _static(parts: FlowParts, url: str) -> bool:
    """Whether the flow fetched a static asset, whose body no later stage reads."""
    assert parts.response is not None
    mime = _first_header(parts.response.headers, b"content-type")
    method = _str(parts.request.method).upper()
    return is_static(method, url, None, None if mime is None else _str(mime))


def _response(parts: FlowParts, url: str, body_cap: int) -> Response | None:
    response = parts.response
    if response is None:
        return None
    headers = [(_str(name), _str(value)) for name, value in response.headers]
    raw = response.content
    if raw is None:  # streamed through without being stored
        return Response(response.status_code, headers, None, truncated=True)
    if not raw:
        return Response(response.status_code, headers)
    if _static(parts, url):
        return Response(response.status_code, headers, None, truncated=True)
    encoding = _first_header(response.headers, b"content-encoding")
    body, truncated = _decoded(raw, "" if encoding is None else _str(encoding), body_cap)
    return Response(response.status_code, headers, body, truncated)


def _utf8(data: Bytes) -> str | None:
    try:
        return str(data, "utf-8")
    except UnicodeDecodeError:
        return None


def _websocket_messages(
    messages: list[tuple[bool, bool, Bytes]], cap: int
) -> tuple[list[dict[str, str]], bool]:
    """The messages as {"from", "text" | "base64"}, until `cap` bytes; (messages, truncated)."""
    out = []
    total = 0
    for from_client, is_text, content in messages:
        total += len(content)
        if total > cap:
            return out, True
        item = {"from": "client" if from_client else "server"}
        text = _utf8(content) if is_text else None
        if text is None:
            item["base64"] = base64.b64encode(content).decode("ascii")
        else:
            item["text"] = text
        out.append(item)
    return out, False


def parts_to_record(
    parts: FlowParts, record_id: int, body_cap: int = 1_000_000, *, source: str = "addon"
) -> Record:
    """The record of one HTTP flow (see the module comment). Never raises for what a flow
    holds: every value is taken as bytes and decoded with surrogateescape."""
    request = parts.request
    url = request_url(request)
    options: dict[str, Any] = {}
    body = None
    if request.content is None:  # streamed to the server without being stored
        options["streamed"] = True
    elif request.content:
        body = Text.of(bytes(request.content))
    if parts.websocket is not None:
        options["websocket"] = True
        options["websocket_messages"], cut = _websocket_messages(parts.websocket, body_cap)
        if cut:
            options["websocket_truncated"] = True
    if parts.error is not None:
        options["error"] = parts.error
    headers = [
        (_str(name), Text.of(_str(value)))
        for name, value in request.headers
        if not name.startswith(b":") and _str(name).lower() not in PROXY_ONLY_HEADERS
    ]
    version = _str(request.http_version)
    return Record(
        request=Request(
            method=_str(request.method),
            url=Text.of(url),
            headers=headers,
            body=body,
            http_version=HTTP_VERSIONS.get(version, version),
            options=options,
        ),
        response=_response(parts, url, body_cap),
        id=record_id,
        source=source,
        time=_iso_time(request.timestamp_start),
    )


def _without_static_body(parts: FlowParts) -> FlowParts:
    """The parts with a static asset's response body left out, as the record leaves it out
    (body None, truncated), so the writer is not sent bodies it would drop."""
    response = parts.response
    if response is not None and response.content and _static(parts, request_url(parts.request)):
        response.content = None
    return parts


def flow_to_record(
    flow: http.HTTPFlow, record_id: int, body_cap: int = 1_000_000, *, source: str = "addon"
) -> Record:
    """The record of a live HTTP flow (or one mitmproxy read from a file)."""
    return parts_to_record(flow_parts(flow), record_id, body_cap, source=source)


def is_request_flow(flow: object) -> bool:
    """An HTTP flow with a request that a script could send (CONNECT only opens a tunnel)."""
    from mitmproxy import http

    return (
        isinstance(flow, http.HTTPFlow)
        and flow.request is not None
        and flow.request.data.method.upper() != b"CONNECT"
    )


# --- the addon --------------------------------------------------------------------------


def _host_and_port(url: str) -> tuple[str, int | None]:
    authority = url.split("://", 1)[-1].split("/", 1)[0].rpartition("@")[2]
    if authority.startswith("["):
        host, _, rest = authority[1:].partition("]")
        port = rest[1:]
    else:
        host, _, port = authority.partition(":")
    return host.lower().rstrip("."), int(port) if port.isdigit() else None


def in_scope(url: str, hosts: Sequence[str]) -> bool:
    """Whether a URL's host is one of `hosts` (all hosts when empty); an entry `host:port`
    also requires that port."""
    if not hosts:
        return True
    host, port = _host_and_port(url)
    for entry in hosts:
        wanted_host, wanted_port = _host_and_port(entry)
        if wanted_host == host and wanted_port in (None, port):
            return True
    return False


def encode_line(record: Record) -> bytes:
    """One JSON line. `dumps` keeps non-ASCII as UTF-8; a value with bytes that are not
    UTF-8 (kept as surrogates) cannot be UTF-8, so that record is written with JSON's
    \\u escapes, which read back to the same surrogates."""
    line = dumps(record) + "\n"
    try:
        return line.encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(record_to_dict(record), separators=(",", ":")) + "\n").encode("ascii")


class Writer:
    """The records file and its env file: one JSON line per record, secrets redacted
    first. Each line is one write() to a file opened for appends, so a killed process
    leaves only whole lines."""

    def __init__(self, path: Path, keep_secrets: bool = False, env_file: bool = True) -> None:
        from capture2code.redact import Redactor

        self.descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
        self.env_path = path.with_name(path.name + ".env")
        self.keep_secrets = keep_secrets
        self.env_file = env_file
        self.redactor = Redactor()  # one per file: the same secret, the same name

    def write(self, record: Record) -> None:
        if not self.keep_secrets:
            known = len(self.redactor.env)
            record = self.redactor.record(record)
            if self.env_file and len(self.redactor.env) > known:
                self._write_env()
        view = memoryview(encode_line(record))
        while view:
            view = view[os.write(self.descriptor, view) :]

    def _write_env(self) -> None:
        from capture2code.emit.envfile import env_file
        from capture2code.plan import Plan

        text = env_file(Plan([], env=self.redactor.env))
        replace_file(self.env_path, text.encode("utf-8", "surrogateescape"), 0o600)


# The addon -> writer pipe: messages of (length, pickle). The writer gets
#   ("open", path, keep_secrets, env_file), ("options", keep_secrets, env_file),
#   ("flow", record id, FlowParts).
_LENGTH = struct.Struct("<Q")


def _read_message(stream: IO[bytes]) -> Any:
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    return pickle.loads(stream.read(_LENGTH.unpack(header)[0]))


def writer_main() -> None:
    """The writer process: records from the addon's messages until its pipe closes."""
    # Ctrl-C reaches the whole process group: the writer still drains what the proxy
    # sent, and ends when mitmdump closes the pipe (or dies).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    writer = None
    while (message := _read_message(sys.stdin.buffer)) is not None:
        kind, *args = message
        try:
            if kind == "open":
                writer = Writer(Path(args[0]), *args[1:])
            elif kind == "options" and writer is not None:
                writer.keep_secrets, writer.env_file = args
            elif kind == "flow" and writer is not None:
                writer.write(parts_to_record(args[1], args[0]))
        except Exception as error:  # one bad flow must not stop the capture
            # type and place only: an exception's text may quote a captured secret
            where = error.__traceback__
            while where is not None and where.tb_next is not None:
                where = where.tb_next
            line = f"{where.tb_frame.f_code.co_filename}:{where.tb_lineno}" if where else "?"
            print(
                f"capture2code: could not record a flow: {type(error).__name__} at {line}",
                file=sys.stderr,
                flush=True,
            )


class _WriterProcess:
    """The addon's end of a writer process."""

    def __init__(self, path: Path) -> None:
        # A new capture: like `mitmdump -w`, the file starts empty, and a stale env file
        # would give the new records' variables the last capture's values. It is private
        # like the env file: responses may hold what redaction does not know.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        os.chmod(path, 0o600)
        path.with_name(path.name + ".env").unlink(missing_ok=True)
        # The writer finds this package where this process found it (an addon script in a
        # checkout puts it on sys.path by hand).
        root = str(Path(__file__).resolve().parent.parent)
        code = (
            f"import sys; sys.path.append({root!r})\n"
            "from capture2code.mitm import writer_main; writer_main()"
        )
        self.process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE)
        assert self.process.stdin is not None
        self.pipe = self.process.stdin.fileno()
        # room for a burst of flows while the writer is busy (Linux; best effort)
        with contextlib.suppress(ImportError, AttributeError, OSError):
            import fcntl

            fcntl.fcntl(self.pipe, fcntl.F_SETPIPE_SZ, 1 << 20)
        self.next_id = 1
        self.broken = False

    def send(self, message: tuple[Any, ...]) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(_LENGTH.pack(len(data)) + data)
        while view:
            view = view[os.write(self.pipe, view) :]

    def close(self) -> None:
        assert self.process.stdin is not None
        with contextlib.suppress(OSError):  # a writer that died already
            self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            logger.error("capture2code: the writer is still busy; it finishes on its own")


class Capture2Code:
    """mitmproxy addon: one JSON line per completed HTTP flow, secrets redacted."""

    def __init__(self) -> None:
        self.writer: _WriterProcess | None = None
        self.seen = 0  # completed HTTP flows
        self.kept = 0  # of those, in scope and handed to the writer
        self._ids: weakref.WeakKeyDictionary[http.HTTPFlow, int] = weakref.WeakKeyDictionary()
        # A flow read back from a file reaches both `response` and `error` when it has both.
        self._done: weakref.WeakSet[http.HTTPFlow] = weakref.WeakSet()

    def load(self, loader: Any) -> None:
        loader.add_option(
            "c2c_output", str, "", "capture2code: write records (JSON Lines) to this file."
        )
        loader.add_option(
            "c2c_hosts",
            Sequence[str],
            [],
            "capture2code: record only requests to these hosts (host or host:port); all if empty.",
        )
        loader.add_option(
            "c2c_keep_secrets",
            bool,
            False,
            "capture2code: write secret header values into the records instead of {{NAME}}.",
        )
        loader.add_option(
            "c2c_env_file",
            bool,
            True,
            "capture2code: write the redacted values to <c2c_output>.env (mode 0600).",
        )

    def configure(self, updated: set[str]) -> None:
        from mitmproxy import ctx, exceptions

        options = (ctx.options.c2c_keep_secrets, ctx.options.c2c_env_file)
        if "c2c_output" in updated:
            self.done()
            if ctx.options.c2c_output:
                path = Path(ctx.options.c2c_output).expanduser()
                try:
                    self.writer = _WriterProcess(path)
                except OSError as error:
                    message = f"c2c_output: {path}: {error.strerror}"
                    raise exceptions.OptionsError(message) from None
                self._send(("open", str(path), *options))
        elif {"c2c_keep_secrets", "c2c_env_file"} & updated:
            self._send(("options", *options))

    def done(self) -> None:
        """Close the pipe and wait for the writer: every record is on disk after this."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        # Ids follow the order requests start; records are written as flows complete.
        if self.writer is None or not is_request_flow(flow):
            return
        try:
            wanted = self._wanted(flow)
        except Exception:  # a flow this odd is reported when it completes
            return
        if wanted:
            self._ids[flow] = self.writer.next_id
            self.writer.next_id += 1

    def response(self, flow: http.HTTPFlow) -> None:
        if flow.websocket is None:  # a websocket's record waits for its messages
            self._complete(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._complete(flow)

    def websocket_end(self, flow: http.HTTPFlow) -> None:
        self._complete(flow)

    def _wanted(self, flow: http.HTTPFlow) -> bool:
        from mitmproxy import ctx

        return in_scope(request_url(request_parts(flow.request)), ctx.options.c2c_hosts)

    def _send(self, message: tuple[Any, ...]) -> None:
        writer = self.writer
        if writer is None or writer.broken:
            return
        try:
            writer.send(message)
        except OSError:  # the writer died: say so once; the proxy goes on
            writer.broken = True
            logger.error(
                "capture2code: the record writer ended (exit code %s); no more records are written",
                writer.process.poll(),
            )

    def _complete(self, flow: http.HTTPFlow) -> None:
        writer = self.writer
        if writer is None or flow in self._done or not is_request_flow(flow):
            return
        self._done.add(flow)
        self.seen += 1
        try:
            number = self._ids.pop(flow, None)
            if number is None and self._wanted(flow):  # a flow whose start we did not see
                number = writer.next_id
                writer.next_id += 1
            if number is not None:
                self._send(("flow", number, _without_static_body(flow_parts(flow))))
                self.kept += 1
        except Exception:  # one bad flow must not stop the capture
            logger.exception("capture2code: could not record flow %s", flow.id)
        logger.info("capture2code: %d requests captured (%d kept)", self.seen, self.kept)
