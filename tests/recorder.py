"""A loopback HTTP/1.1 server that records exactly what it receives.

It parses requests itself (not through http.server's header parser), so the recorded
method, raw request target, header names and values, and body are the bytes on the wire.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

Responder = Callable[["Received"], tuple[int, list[tuple[str, str]], bytes]]


@dataclass
class Received:
    method: str
    target: bytes
    version: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    chunked: bool = False

    def header(self, name: str) -> bytes | None:
        wanted = name.lower().encode()
        values = [value for key, value in self.headers if key.lower() == wanted]
        return values[-1] if values else None


def _ok(_: Received) -> tuple[int, list[tuple[str, str]], bytes]:
    return 200, [("Content-Type", "application/json")], b'{"ok":true}'


@dataclass
class Recorder:
    responder: Responder = _ok
    received: list[Received] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: socketserver.ThreadingTCPServer | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Recorder:
        recorder = self

        class Handler(socketserver.StreamRequestHandler):
            disable_nagle_algorithm = True
            wbufsize = -1  # buffered writes, flushed once per response

            def handle(self) -> None:
                while self._one():
                    pass

            def _one(self) -> bool:
                line = self.rfile.readline(65537)
                if not line:
                    return False
                parts = line.rstrip(b"\r\n").split(b" ")
                if len(parts) != 3:
                    return False
                method, target, version = parts
                headers: list[tuple[bytes, bytes]] = []
                while True:
                    header = self.rfile.readline(65537)
                    if header in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = header.rstrip(b"\r\n").partition(b":")
                    # keep trailing white space: clients that strip it must show up
                    headers.append((name, value.lstrip(b" \t")))
                received = Received(method.decode(), target, version.decode(), headers, b"")
                if (received.header("expect") or b"").lower() == b"100-continue":
                    self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self.wfile.flush()
                if (received.header("transfer-encoding") or b"").lower() == b"chunked":
                    received.chunked = True
                    received.body = self._chunked()
                else:
                    length = int(received.header("content-length") or b"0")
                    received.body = self.rfile.read(length)
                with recorder._lock:
                    recorder.received.append(received)
                status, out_headers, body = recorder.responder(received)
                head = [f"HTTP/1.1 {status} X".encode()]
                head += [f"{k}: {v}".encode() for k, v in out_headers]
                head.append(f"Content-Length: {len(body)}".encode())
                if received.method.upper() == "HEAD":
                    body = b""  # the length is announced, the body never sent
                self.wfile.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
                self.wfile.flush()
                return (received.header("connection") or b"").lower() != b"close"

            def _chunked(self) -> bytes:
                body = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return body
                    body += self.rfile.read(size)
                    self.rfile.readline()

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def take(self) -> list[Received]:
        """What was received since the last call, in arrival order."""
        with self._lock:
            taken, self.received = self.received, []
        return taken
