"""Which captured requests a provisioning script sends: rules over a request's method, URL,
headers and response type.

Static assets (scripts, styles, images, fonts, page loads) are most of a browser capture by
count and by size, and never part of what a script should replay. Readers ask `is_static`
before decoding a body, so that large captures stay cheap to read.

`classify` decides for every record of a capture, the first match winning:

1. `--exclude REGEX` found in "METHOD URL": dropped.
2. `--include REGEX` found in "METHOD URL": kept.
3. `--all-requests`: kept, whatever the rules below say.
4. Noise, dropped: websockets; CORS preflights; browser background calls (favicon, service
   worker, extension URLs, prefetches, beacons, reports); static assets and page loads;
   requests to hosts other than the API's (`--host HOST` or `HOST:PORT`, repeatable; by
   default the host with the most requests that change something, see `main_hosts`).
5. Reads that return a secret the user came for (a cluster's registration command): kept.
6. In a Rancher capture, the UI's own fetches, dropped: schemas, version, settings, counts,
   login providers, the current user, principals, cloud provider lookups (`/meta/proxy`),
   list polling (GETs of a whole collection) and user preference writes.
7. Requests that create or change something (any method but GET, HEAD, OPTIONS, TRACE):
   kept.
8. Other reads: kept only when a later kept request uses a value from the response
   (verdict "if-used"; chaining decides).

The Rancher rules apply only to a capture that talks to Rancher (RANCHER_MARKERS): on
another API, `GET /v1/users?limit=50` is a read like any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import SplitResult, parse_qsl, urlsplit

from capture2code.record import Record
from capture2code.template import Text, to_placeholders

# --- static assets ----------------------------------------------------------------------

# Chrome's `_resourceType` (DevTools' resource type names, lower-cased) of requests the
# browser made for the page itself rather than for a script's call. A top-level "document"
# GET is a page load (the browser's address bar, a link), not an API call; a form POST
# stays, since only GETs are static.
STATIC_RESOURCE_TYPES: frozenset[str] = frozenset(
    {
        "document",
        "stylesheet",
        "script",
        "image",
        "font",
        "media",
        "manifest",
        "texttrack",
        "wasm",
        "sm-script",  # source maps DevTools fetched
        "sm-stylesheet",
    }
)

# Types a page's script asked for: the browser's word wins over a static-looking URL or
# response type (a fetch of `/v1/…/logo.png` may be an API the script depends on).
API_RESOURCE_TYPES: frozenset[str] = frozenset({"xhr", "fetch", "eventsource", "websocket"})

# Extension -> the kind of asset `show` names.
STATIC_EXTENSIONS: dict[str, str] = {
    ".js": "script",
    ".mjs": "script",
    ".cjs": "script",
    ".css": "stylesheet",
    ".map": "source map",
    ".html": "document",
    ".htm": "document",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".gif": "image",
    ".webp": "image",
    ".avif": "image",
    ".bmp": "image",
    ".svg": "image",
    ".ico": "image",
    ".cur": "image",
    ".woff": "font",
    ".woff2": "font",
    ".ttf": "font",
    ".otf": "font",
    ".eot": "font",
    ".mp3": "media",
    ".mp4": "media",
    ".m4a": "media",
    ".ogg": "media",
    ".wav": "media",
    ".webm": "media",
    ".vtt": "texttrack",
    ".wasm": "wasm",
    ".webmanifest": "manifest",
}

# Compared with the start of the response's media type (lower-cased, parameters removed).
STATIC_MIME_KINDS: dict[str, str] = {
    "image/": "image",
    "font/": "font",
    "audio/": "media",
    "video/": "media",
    "text/css": "stylesheet",
    "text/html": "document",
    "text/javascript": "script",
    "text/vtt": "texttrack",
    "application/javascript": "script",
    "application/x-javascript": "script",
    "application/ecmascript": "script",
    "application/wasm": "wasm",
    "application/font-": "font",
    "application/x-font-": "font",
    "application/vnd.ms-fontobject": "font",
    "application/manifest+json": "manifest",
}
_STATIC_MIME_PREFIXES = tuple(STATIC_MIME_KINDS)

# URLs that never reach a server: the page's own inline or local resources.
STATIC_SCHEMES: tuple[str, ...] = ("data:", "blob:", "chrome-extension:", "moz-extension:")


def url_extension(url: str) -> str:
    """The lower-cased extension of the URL path's last segment (".js"), or ""."""
    rest = url.split("://", 1)[-1]
    path = rest.split("?", 1)[0].split("#", 1)[0]
    segment = path.rsplit("/", 1)[-1] if "/" in path else ""
    stem, dot, extension = segment.rpartition(".")
    return "." + extension.lower() if dot and stem else ""


def _media_type(mime: str | None) -> str:
    return "" if mime is None else mime.split(";", 1)[0].strip().lower()


def static_kind(
    method: str, url: str, resource_type: str | None, response_mime: str | None
) -> str | None:
    """What kind of static asset a request fetched ("script", "document", "data URL"), or
    None when it is not one. Only GETs are: a POST is never static."""
    if method.upper() != "GET":
        return None
    head = url[:20].lower()
    if head.startswith(STATIC_SCHEMES):
        return head.split(":", 1)[0] + " URL"
    kind = (resource_type or "").lower()
    if kind in STATIC_RESOURCE_TYPES:
        return kind
    if kind in API_RESOURCE_TYPES:
        return None
    by_extension = STATIC_EXTENSIONS.get(url_extension(url))
    if by_extension is not None:
        return by_extension
    media = _media_type(response_mime)
    if media and media.startswith(_STATIC_MIME_PREFIXES):
        return next(kind for prefix, kind in STATIC_MIME_KINDS.items() if media.startswith(prefix))
    return None


def is_static(method: str, url: str, resource_type: str | None, response_mime: str | None) -> bool:
    """Whether a request fetched a static asset. Only GETs are: a POST is never static."""
    return static_kind(method, url, resource_type, response_mime) is not None


# --- what classify decides --------------------------------------------------------------

Verdict = Literal["keep", "drop", "if-used"]


@dataclass(frozen=True)
class Decision:
    """keep, drop, or "if-used": a read kept only when chaining finds that a later kept
    request uses a value from its response. `reason` is short, for the `show` table."""

    verdict: Verdict
    reason: str


@dataclass(frozen=True)
class FilterOptions:
    # --host: host or host:port (a host alone matches it on any port); empty: inferred.
    hosts: tuple[str, ...] = ()
    include: re.Pattern[str] | None = None  # --include REGEX, searched in "METHOD URL"
    exclude: re.Pattern[str] | None = None  # --exclude REGEX, searched in "METHOD URL"
    all_requests: bool = False


EXCLUDED = Decision("drop", "--exclude")
INCLUDED = Decision("keep", "--include")
ALL_REQUESTS = Decision("keep", "--all-requests")
WEBSOCKET = Decision("drop", "websocket")
PREFLIGHT = Decision("drop", "CORS preflight")
BACKGROUND = Decision("drop", "browser background call")
LIST_POLLING = Decision("drop", "list polling")
CHANGES = Decision("keep", "creates or changes something")
READ = Decision("if-used", "read")

# Methods that only read: every other method creates or changes something.
SAFE_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
READS: frozenset[str] = frozenset({"GET", "HEAD"})
WRITES: frozenset[str] = frozenset({"POST", "PUT", "PATCH"})

DEFAULT_PORTS: dict[str, int] = {"http": 80, "ws": 80, "https": 443, "wss": 443}

WEBSOCKET_SCHEMES: frozenset[str] = frozenset({"ws", "wss"})

# `sec-fetch-dest` -> the resource type Chrome's HAR would give, for records without one
# (mitmproxy flows, HARs of other browsers). "empty" is a page script's fetch or XHR.
DEST_RESOURCE_TYPES: dict[str, str] = {
    "empty": "fetch",
    "document": "document",
    "iframe": "document",
    "frame": "document",
    "embed": "document",
    "object": "document",
    "script": "script",
    "worker": "script",
    "sharedworker": "script",
    "serviceworker": "script",
    "style": "stylesheet",
    "image": "image",
    "font": "font",
    "audio": "media",
    "video": "media",
    "track": "texttrack",
    "manifest": "manifest",
    "report": "csp-violation-report",
}

# --- browser background calls -------------------------------------------------------------

BACKGROUND_SCHEMES: frozenset[str] = frozenset(
    {"chrome-extension", "moz-extension", "safari-web-extension"}
)
# What the browser fetches on its own: icons, a service worker, DevTools' probe.
BACKGROUND_PATHS = re.compile(
    r"^/(?:favicon\.ico|apple-touch-icon[^/]*|service-worker|sw\.js|\.well-known/appspecific/)"
)
# Header -> a word in its value that marks a speculative load (Chrome, older Chrome,
# Firefox).
BACKGROUND_HEADERS: dict[str, str] = {
    "sec-purpose": "prefetch",
    "purpose": "prefetch",
    "x-moz": "prefetch",
}
# Resource types of requests no script awaits: sendBeacon and <a ping>, CSP reports,
# speculative loads.
BACKGROUND_RESOURCE_TYPES: frozenset[str] = frozenset(
    {"ping", "beacon", "csp-violation-report", "prefetch"}
)
# (sec-fetch-mode, sec-fetch-dest) of a beacon or ping without a resource type: sent for
# no script to read the answer (an API client's fetch has mode "cors" or "same-origin").
BEACON_FETCH: tuple[str, str] = ("no-cors", "empty")

# --- Rancher ------------------------------------------------------------------------------

# Hosts whose traffic shows these paths or headers are Rancher servers.
RANCHER_MARKERS = re.compile(
    r"^/(?:v3-public/|v1-public/|rancherversion|meta/proxy/|v1/management\.cattle\.io\."
    r"|v[13]/schemas|v1/userpreferences)"
)
RANCHER_HEADERS: frozenset[str] = frozenset({"x-api-csrf"})


@dataclass(frozen=True)
class TargetRule:
    """Requests with one of `methods` whose target (path and query, as sent) matches."""

    methods: frozenset[str]
    target: re.Pattern[str]
    decision: Decision


def _rule(methods: frozenset[str], pattern: str, verdict: Verdict, reason: str) -> TargetRule:
    return TargetRule(methods, re.compile(pattern), Decision(verdict, reason))


# The end of a path segment: `/`, the query, or the end.
_END = r"(?:[/?]|$)"

# Reads whose response holds a secret the script should save (SavedSecret): kept even
# though nothing later uses them.
SECRET_READS: tuple[TargetRule, ...] = (
    _rule(
        READS,
        r"^/v3/clusterregistrationtokens?\?(?:[^#]*&)?clusterId=",
        "keep",
        "returns a secret (registration command)",
    ),
    _rule(
        READS,
        r"^/v3/clusters/[^/?]+/clusterregistrationtokens?" + _END,
        "keep",
        "returns a secret (registration command)",
    ),
)

# What the Rancher UI fetches for itself; a script that provisions needs none of it.
RANCHER_NOISE: tuple[TargetRule, ...] = (
    _rule(READS, r"^/v[13]/schemas" + _END, "drop", "Rancher schema fetch"),
    _rule(READS, r"^/rancherversion" + _END, "drop", "Rancher version fetch"),
    _rule(READS, r"^/v1/counts" + _END, "drop", "Rancher counts fetch"),
    _rule(
        READS,
        r"^/(?:v3/settings|v1/management\.cattle\.io\.settings)" + _END,
        "drop",
        "Rancher settings fetch",
    ),
    _rule(
        READS,
        r"^/(?:v3-public/authProviders|v1-public/authproviders)" + _END,
        "drop",
        "Rancher login providers fetch",
    ),
    _rule(READS, r"^/v3/users\?(?:[^#]*&)?me=true(?:&|$)", "drop", "Rancher current user fetch"),
    _rule(READS, r"^/v3/principals" + _END, "drop", "Rancher principals fetch"),
    _rule(
        frozenset({"POST"}),
        r"^/v3/principals\?(?:[^#]*&)?action=search(?:&|$)",
        "drop",
        "Rancher principal search",
    ),
    # The UI asks cloud providers for regions, sizes and images through Rancher's proxy.
    _rule(READS, r"^/meta/proxy/", "drop", "cloud provider lookup"),
    # The dashboard (/v1) and the older cluster manager UI (/v3) store UI preferences.
    _rule(
        WRITES | {"DELETE"},
        r"^/(?:v1/userpreferences|v3/preferences)" + _END,
        "drop",
        "user preference write",
    ),
)

# A whole collection: `/v3/<type>`, `/v1/<type>`, also through a downstream cluster's
# proxy. Listed with only these parameters, it is the UI refreshing a list; a filter
# (`?clusterId=…`) makes it a read of particular objects.
COLLECTION_PATH = re.compile(r"^(?:/k8s/clusters/[^/?]+)?/v[13]/[^/?]+/?$")
LIST_PARAMETERS: frozenset[str] = frozenset(
    {
        "limit",
        "exclude",
        "sort",
        "order",
        "marker",
        "pagesize",
        "page",
        "revision",
        "continue",
        "resourceVersion",
        "_",
    }
)

# Paths of API calls, for telling the API's host from others.
API_PATH = re.compile(r"^/(?:v\d+(?:-public)?|api|apis)(?:/|$)")


# --- what the rules look at -----------------------------------------------------------------

_LEADING_VAR = re.compile(r"^\{\{[A-Za-z_][A-Za-z0-9_]*\}\}")


@dataclass(frozen=True)
class _Seen:
    """What the rules look at in a record (values with `{{NAME}}` placeholders)."""

    method: str
    url: str
    scheme: str
    host: str  # lower-cased; "" when the URL names none
    port: int | None  # as given, else the scheme's default
    explicit_port: bool
    target: str  # path and query, as sent
    path: str
    query: str
    headers: dict[str, str]  # lower-cased name -> last value
    resource_type: str | None
    mime: str | None
    websocket: bool

    @property
    def origin_name(self) -> str:
        """host, or host:port when the port is not the scheme's default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.explicit_port else host


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:  # not a number, or out of range: as if none were given
        return None


def _text(text: Text) -> str:
    return to_placeholders(text)


def _seen(record: Record) -> _Seen:
    request = record.request
    url = _text(request.url)
    # An origin already turned into a variable leaves the path and query to look at.
    parts = urlsplit(_LEADING_VAR.sub("", url))
    host = (parts.hostname or "").lower()
    given = _port(parts)
    scheme = parts.scheme.lower()
    port = given if given is not None else DEFAULT_PORTS.get(scheme)
    path = parts.path or "/"
    target = path + ("?" + parts.query if parts.query else "")
    headers = {name.lower(): _text(value) for name, value in request.headers}
    response_headers = record.response.headers if record.response is not None else []
    mime = next(
        (value for name, value in reversed(response_headers) if name.lower() == "content-type"),
        None,
    )
    resource_type = request.options.get("resource_type")
    if not isinstance(resource_type, str):
        dest = headers.get("sec-fetch-dest", "").strip().lower()
        resource_type = DEST_RESOURCE_TYPES.get(dest)
    return _Seen(
        method=request.method.upper(),
        url=url,
        scheme=scheme,
        host=host,
        port=port,
        explicit_port=given is not None and given != DEFAULT_PORTS.get(scheme),
        target=target,
        path=path,
        query=parts.query,
        headers=headers,
        resource_type=resource_type.lower() if resource_type else None,
        mime=mime,
        websocket=bool(request.options.get("websocket")) or scheme in WEBSOCKET_SCHEMES,
    )


def _host_and_port(wanted: str) -> tuple[str, int | None]:
    """`--host` forms: host, host:port, [v6]:port, or a URL."""
    if "://" in wanted:
        parts = urlsplit(wanted)
        return (parts.hostname or "").lower(), _port(parts)
    if wanted.startswith("["):
        host, _, rest = wanted[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif wanted.count(":") == 1:
        host, _, port = wanted.partition(":")
    else:
        host, port = wanted, ""
    return host.lower(), int(port) if port.isdigit() else None


def _on_hosts(request: _Seen, hosts: Sequence[str]) -> bool:
    """Whether a request goes to one of `hosts` (a host alone matches any port)."""
    for wanted in hosts:
        host, port = _host_and_port(wanted)
        if host == request.host and (port is None or port == request.port):
            return True
    return False


# --- the rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What the rules know about the whole capture."""

    hosts: tuple[str, ...]
    rancher: bool


def _websocket(request: _Seen, context: _Context) -> Decision | None:
    return WEBSOCKET if request.websocket else None


def _preflight(request: _Seen, context: _Context) -> Decision | None:
    asks = request.method == "OPTIONS" and "access-control-request-method" in request.headers
    return PREFLIGHT if asks or request.resource_type == "preflight" else None


def _browser_own(request: _Seen, context: _Context) -> Decision | None:
    """What the browser asks for by itself, on any host."""
    marked = any(
        word in request.headers.get(name, "").lower() for name, word in BACKGROUND_HEADERS.items()
    )
    if (
        marked
        or request.scheme in BACKGROUND_SCHEMES
        or (request.method in READS and BACKGROUND_PATHS.match(request.path) is not None)
    ):
        return BACKGROUND
    return None


def _beacon(request: _Seen, context: _Context) -> Decision | None:
    """Beacons, pings and reports, after the host rule: one to another host (analytics) is
    named by its host."""
    fetch = (
        request.headers.get("sec-fetch-mode", "").strip().lower(),
        request.headers.get("sec-fetch-dest", "").strip().lower(),
    )
    if request.resource_type in BACKGROUND_RESOURCE_TYPES or fetch == BEACON_FETCH:
        return BACKGROUND
    return None


def _static(request: _Seen, context: _Context) -> Decision | None:
    kind = static_kind(request.method, request.url, request.resource_type, request.mime)
    return None if kind is None else Decision("drop", f"static asset ({kind})")


def _other_origin(request: _Seen, context: _Context) -> Decision | None:
    if not request.host or not context.hosts or _on_hosts(request, context.hosts):
        return None
    return Decision("drop", f"other origin {request.origin_name}")


def _matching(rules: tuple[TargetRule, ...], request: _Seen) -> Decision | None:
    for rule in rules:
        if request.method in rule.methods and rule.target.search(request.target):
            return rule.decision
    return None


def _secret_read(request: _Seen, context: _Context) -> Decision | None:
    return _matching(SECRET_READS, request)


def _rancher_noise(request: _Seen, context: _Context) -> Decision | None:
    return _matching(RANCHER_NOISE, request) if context.rancher else None


def _list_polling(request: _Seen, context: _Context) -> Decision | None:
    if not context.rancher or request.method not in READS:
        return None
    if COLLECTION_PATH.match(request.path) is None:
        return None
    names = {name for name, _ in parse_qsl(request.query, keep_blank_values=True)}
    return LIST_POLLING if names <= LIST_PARAMETERS else None


# In order: the first rule with a decision decides.
RULES: tuple[Callable[[_Seen, _Context], Decision | None], ...] = (
    _websocket,
    _preflight,
    _browser_own,
    _static,
    _other_origin,
    _beacon,
    _secret_read,
    _rancher_noise,
    _list_polling,
)

# Rules whose requests are never API calls: left out when looking for the API's host.
NOT_API_CALLS = (_websocket, _preflight, _browser_own, _static, _beacon)


def _is_rancher(requests: Sequence[_Seen]) -> bool:
    return any(
        RANCHER_MARKERS.match(request.path) is not None
        or not RANCHER_HEADERS.isdisjoint(request.headers)
        for request in requests
    )


def _main_hosts(requests: Sequence[_Seen]) -> tuple[str, ...]:
    nothing = _Context((), False)
    tally: dict[str, tuple[int, int, int]] = {}
    for request in requests:
        if not request.host or any(rule(request, nothing) for rule in NOT_API_CALLS):
            continue
        changes, api, total = tally.get(request.origin_name, (0, 0, 0))
        tally[request.origin_name] = (
            changes + (request.method not in SAFE_METHODS),
            api + (API_PATH.match(request.path) is not None),
            total + 1,
        )
    if not tally:
        return ()
    best = min(tally, key=lambda name: (tuple(-count for count in tally[name]), name))
    return (best,)


def main_hosts(records: Sequence[Record]) -> tuple[str, ...]:
    """The API's host (host, or host:port when not the default port): the one with the
    most requests that create or change something, then the most `/v1`, `/v3`,
    `/v3-public` (any `/vN`, `/api`) calls, then the most requests. Static assets,
    websockets, preflights and background calls do not count. Empty when no request
    names a host."""
    return _main_hosts([_seen(record) for record in records])


def _decide(request: _Seen, options: FilterOptions, context: _Context) -> Decision:
    line = f"{request.method} {request.url}"
    if options.exclude is not None and options.exclude.search(line):
        return EXCLUDED
    if options.include is not None and options.include.search(line):
        return INCLUDED
    if options.all_requests:
        return ALL_REQUESTS
    for rule in RULES:
        decision = rule(request, context)
        if decision is not None:
            return decision
    return READ if request.method in SAFE_METHODS else CHANGES


# Reads whose answer the chaining stage consults even though the filter drops them: the
# API's own description of its types (see chain.py).
SCHEMA_PATHS = re.compile(r"^/v[13]/schemas/?$")


# The request headers the rules read: a record the filter drops needs no others.
RULE_HEADERS: frozenset[str] = frozenset(
    {
        "access-control-request-method",
        "sec-fetch-mode",
        "sec-fetch-dest",
        *BACKGROUND_HEADERS,
        *RANCHER_HEADERS,
    }
)


class Lightener:
    """While a capture streams in: each record as later stages can use it.

    A read that the rules drop whatever the rest of the capture holds (a static asset, a
    websocket, a Rancher schema or count fetch, list polling) has an answer no later stage
    reads, and headers only the rules look at, so a reader may forget the rest at once:
    that is what bounds the memory a large capture needs. Only the host rule waits for the
    whole capture, so it is not used here; the Rancher rules apply from the first request
    that shows Rancher. The first schema fetch of each kind keeps its answer for chaining.
    `all_headers` keeps every request header (for `show --secrets`, which lists where each
    secret was seen).
    """

    def __init__(self, options: FilterOptions, *, all_headers: bool = False) -> None:
        self.options = options
        self.headers = None if all_headers else RULE_HEADERS
        self.rancher = False
        self.schemas: set[str] = set()

    def __call__(self, record: Record) -> Record:
        if record.request.method not in READS:  # most of a large capture: decided cheaply
            self.rancher = self.rancher or any(
                name.lower() in RANCHER_HEADERS for name, _ in record.request.headers
            )
            return record
        request = _seen(record)
        self.rancher = self.rancher or _is_rancher([request])
        if SCHEMA_PATHS.match(request.path) and request.path not in self.schemas:
            self.schemas.add(request.path)
            return record
        if _decide(request, self.options, _Context((), self.rancher)).verdict != "drop":
            return record
        return record.slimmed(self.headers)


def classify(records: Sequence[Record], options: FilterOptions) -> list[Decision]:
    """One Decision per record, in order (precedence: this module's docstring)."""
    requests = [_seen(record) for record in records]
    context = _Context(options.hosts or _main_hosts(requests), _is_rancher(requests))
    return [_decide(request, options, context) for request in requests]
