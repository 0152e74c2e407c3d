"""A small web app for end-to-end capture tests, on 127.0.0.1 in a thread.

Its page (index.html) has buttons that log in, create a thing and start it with `fetch`,
talking to the API the way the Rancher UI does: a cookie session (`R_SESS`) and a CSRF
cookie whose value every call repeats in the `X-Api-Csrf` header. The app checks both,
rejects ids it did not issue, and logs every mutating request it receives, so that a test
can compare what the browser sent with what a generated script replays. Like Rancher, it
also takes the session token as `Authorization: Bearer` (without CSRF) and hands it out in
the login response to a client that does not ask for `"responseType": "cookie"`.

With a `seed`, session tokens and thing ids are the same on every start (each kind of id
is its own seeded sequence), so a faithful replay against a fresh instance is accepted;
without one they are random, as a real server's are.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PAGE = (Path(__file__).parent / "index.html").read_bytes()
USERNAME = "admin"
PASSWORD = "it's a secret"
SESSION_COOKIE = "R_SESS"
CSRF_COOKIE = "CSRF"
CSRF_HEADER = "X-Api-Csrf"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Request headers the log keeps (lower-case names): what the app's checks read.
LOGGED_HEADERS = ("content-type", "cookie", "x-api-csrf")


@dataclass(frozen=True)
class Mutation:
    """A mutating request as received, and the status the app answered."""

    method: str
    target: str  # the raw request target: path and query
    body: bytes
    headers: dict[str, str]
    status: int

    @property
    def request(self) -> tuple[str, str, bytes]:
        """What a replay must send again: method, target and body."""
        return self.method, self.target, self.body


@dataclass
class Reply:
    status: int
    data: Any  # a JSON value, or the page's bytes
    cookies: list[str] = field(default_factory=list)


class Ids:
    """Tokens and ids: one seeded sequence per kind, or random when there is no seed."""

    def __init__(self, seed: str | None) -> None:
        self._seed = seed
        self._sequences: dict[str, random.Random] = {}

    def next(self, kind: str, bits: int) -> str:
        if self._seed is None:
            return secrets.token_hex(bits // 8)
        sequence = self._sequences.setdefault(kind, random.Random(f"{self._seed}:{kind}"))
        return f"{sequence.getrandbits(bits):0{bits // 4}x}"


def _error(status: int, message: str) -> Reply:
    return Reply(status, {"type": "error", "status": status, "message": message})


class Things:
    """The app's state and its API; each handler takes the request and returns a Reply."""

    def __init__(self, seed: str | None) -> None:
        self.ids = Ids(seed)
        self.sessions: dict[str, str] = {}  # session token -> its CSRF token
        self.things: dict[str, dict[str, Any]] = {}

    def page(self, request: Incoming) -> Reply:
        return Reply(200, PAGE)

    def login(self, request: Incoming) -> Reply:
        body = request.json()
        if body is None:
            return _error(422, "the body is not a JSON object")
        if body.get("username") != USERNAME or body.get("password") != PASSWORD:
            return _error(401, "wrong username or password")
        token, csrf = self.ids.next("session", 128), self.ids.next("csrf", 64)
        self.sessions[token] = csrf
        cookies = [
            f"{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax",
            f"{CSRF_COOKIE}={csrf}; Path=/; SameSite=Lax",
        ]
        if body.get("responseType") != "cookie":  # an API client gets the token itself
            return Reply(200, {"type": "token", "userId": f"u-{USERNAME}", "token": token})
        return Reply(200, {"type": "token", "userId": f"u-{USERNAME}"}, cookies)

    def create(self, request: Incoming) -> Reply:
        body = request.json()
        if body is None or not isinstance(body.get("name"), str):
            return _error(422, "the body must be a JSON object with a name")
        thing_id = "t-" + self.ids.next("thing", 32)
        self.things[thing_id] = {**body, "id": thing_id, "state": "inactive"}
        return Reply(201, self.things[thing_id])

    def start(self, request: Incoming, thing_id: str) -> Reply:
        thing = self.things.get(thing_id)
        if thing is None:
            return _error(404, f"no thing {thing_id}")
        if request.json() is None:
            return _error(422, "the body is not a JSON object")
        thing["state"] = "active"
        return Reply(200, thing)

    def authorized(self, request: Incoming) -> Reply | None:
        """None if the request carries a live session and its CSRF token, or the session's
        token as `Authorization: Bearer` (an API client: no CSRF), else the refusal."""
        authorization = request.header("authorization") or ""
        if authorization.startswith("Bearer "):
            if authorization[len("Bearer ") :] in self.sessions:
                return None
            return _error(401, "unknown token")
        cookies = request.cookies()
        session = cookies.get(SESSION_COOKIE)
        if session is None or session not in self.sessions:
            return _error(401, "not logged in")
        csrf = self.sessions[session]
        if cookies.get(CSRF_COOKIE) != csrf or request.header(CSRF_HEADER) != csrf:
            return _error(403, "CSRF token missing or wrong")
        return None


@dataclass
class Incoming:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None

    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.header("cookie") or "")
        except CookieError:
            return {}
        return {name: morsel.value for name, morsel in jar.items()}

    def json(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


Route = tuple[str, re.Pattern[str], Callable[..., Reply], bool]


def _routes(things: Things) -> list[Route]:
    """(method, target pattern, handler, needs a session): groups become handler arguments."""
    return [
        ("GET", re.compile(r"/"), things.page, False),
        ("POST", re.compile(r"/v3-public/localProviders/local\?action=login"), things.login, False),
        ("POST", re.compile(r"/v3/things"), things.create, True),
        ("POST", re.compile(r"/v3/things/([^/?]+)\?action=start"), things.start, True),
    ]


@dataclass
class WebApp:
    seed: str | None = "things"
    host: str = "127.0.0.1"
    port: int = 0
    mutations: list[Mutation] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._things = Things(self.seed)
        self._routes = _routes(self._things)
        self._server: ThreadingHTTPServer | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def received(self) -> list[tuple[str, str, bytes]]:
        """Method, target and body of each mutating request, in the order received."""
        with self._lock:
            return [mutation.request for mutation in self.mutations]

    def answer(self, request: Incoming) -> Reply:
        with self._lock:
            reply = self._dispatch(request)
            if request.method in MUTATING:
                headers = {
                    name: value
                    for name in LOGGED_HEADERS
                    if (value := request.header(name)) is not None
                }
                self.mutations.append(
                    Mutation(request.method, request.target, request.body, headers, reply.status)
                )
            return reply

    def _dispatch(self, request: Incoming) -> Reply:
        for method, pattern, handler, needs_session in self._routes:
            match = pattern.fullmatch(request.target)
            if match is None or method != request.method:
                continue
            refusal = self._things.authorized(request) if needs_session else None
            return refusal or handler(request, *match.groups())
        return _error(404, f"no route for {request.method} {request.target}")

    def start(self) -> WebApp:
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one_request(self) -> None:
                # Every method goes through one place; BaseHTTPRequestHandler would look
                # for a do_<METHOD> per method.
                self.raw_requestline = self.rfile.readline(65537)
                if not self.raw_requestline or not self.parse_request():
                    self.close_connection = True
                    return
                if self.headers.get("Transfer-Encoding"):
                    self._send(_error(411, "send a Content-Length"))
                    self.close_connection = True
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                request = Incoming(self.command, self.path, list(self.headers.items()), body)
                self._send(app.answer(request))

            def _send(self, reply: Reply) -> None:
                is_page = isinstance(reply.data, bytes)
                data = reply.data if is_page else json.dumps(reply.data).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "text/html" if is_page else "application/json")
                self.send_header("Content-Length", str(len(data)))
                for cookie in reply.cookies:
                    self.send_header("Set-Cookie", cookie)
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # the mutations list is the log a test reads

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
