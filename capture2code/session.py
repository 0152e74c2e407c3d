"""Provisioning mode's view of authentication: a browser session becomes an API token.

A browser authenticates with a session cookie, guards writes with a CSRF cookie echoed in a
header, and sends headers only a browser sends (`User-Agent: Mozilla…`, `sec-ch-*`,
`Origin`, …). A script should do what an API client does: send `Authorization: Bearer
$TOKEN` and nothing browser-shaped, since Rancher checks CSRF exactly when the User-Agent
says "mozilla". A pure function over redacted records; the secret values already live in
env Vars, so nothing here handles a captured secret.

Decisions:
- The session is recognised by API (SESSION_SCHEMES, data): its session cookie names the
  token variable (the Var the redactor put in `R_SESS=…`); a sanitized HAR without cookies
  still gets the header, with the variable described as one the user must set.
- Requests keep an `Authorization` header they already have (a script of API calls);
  only requests that carried the browser session, or go to the API's paths, get the token.
- The whole `Cookie` header goes: what remains after the session and CSRF pair is browser
  state (theme, locale) that no API call needs.
- Transport headers (`Content-Length`, `Host`, `Accept-Encoding`, `Connection`) are the
  replaying client's business: chaining and parameters change body lengths, and a
  captured `br, zstd` would ask for encodings the script's client cannot decode.
- A login call is dropped (the token comes from the environment) unless `keep_login`: then
  it asks for a token in the response body (`responseType: token`) and later requests take
  the token from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from capture2code.plan import EnvVar, Extraction
from capture2code.record import Record, Request, request_target
from capture2code.template import Text, Var

# Headers only a browser sends; none of them changes what an API does.
BROWSER_HEADERS: frozenset[str] = frozenset(
    {
        "origin",
        "referer",
        "priority",
        "accept-language",
        "upgrade-insecure-requests",
        "dnt",
        "sec-gpc",
        "pragma",
        "cache-control",
        "x-requested-with",
    }
)
BROWSER_HEADER_PREFIXES: tuple[str, ...] = ("sec-ch-", "sec-fetch-")
TRANSPORT_HEADERS: frozenset[str] = frozenset(
    {"content-length", "host", "accept-encoding", "connection", "keep-alive", "te"}
)
# A User-Agent naming a browser engine: Rancher and others treat such a client as a
# browser (CSRF checks, login redirects).
BROWSER_AGENT = re.compile(r"mozilla|chrome|safari|firefox|gecko", re.IGNORECASE)


@dataclass(frozen=True)
class SessionScheme:
    api: str
    session_cookie: str
    csrf_cookie: str
    csrf_header: str
    token_var: str
    token_description: str
    # Paths (with query) of the login call, and of the API that takes the token.
    login: re.Pattern[str]
    api_paths: re.Pattern[str]
    # The login body field that chooses a cookie or a token in the response.
    login_response_type: tuple[bytes, bytes]
    login_token_path: tuple[str, ...]


SESSION_SCHEMES: tuple[SessionScheme, ...] = (
    SessionScheme(
        api="Rancher",
        session_cookie="R_SESS",
        csrf_cookie="CSRF",
        csrf_header="x-api-csrf",
        token_var="RANCHER_TOKEN",
        token_description="Rancher API token (Bearer); create one under Account & API Keys",
        login=re.compile(r"^/v3-public/[A-Za-z]+Providers/[^/?]+\?(?:.*&)?action=login\b"),
        api_paths=re.compile(r"^/(?:v1|v3|k8s|meta)(?:[/?]|$)"),
        login_response_type=(b'"responseType":"cookie"', b'"responseType":"token"'),
        login_token_path=("token",),
    ),
)


@dataclass
class SessionRewrite:
    records: list[Record]  # same length and order as the input
    dropped: dict[int, str] = field(default_factory=dict)  # index -> why
    extracts: dict[int, list[Extraction]] = field(default_factory=dict)
    env: list[EnvVar] = field(default_factory=list)  # variables this rewrite introduced
    notes: list[str] = field(default_factory=list)  # for the script's header comment
    # Env variables whose values now come from a response instead (`keep_login`).
    replaced: set[str] = field(default_factory=set)
    # New descriptions of env variables whose role changed (the session cookie's value).
    described: dict[str, str] = field(default_factory=dict)


def cookies(value: Text) -> list[tuple[str, Text]]:
    """The `name=value` pairs of a Cookie header whose Vars sit inside values."""
    pairs: list[tuple[str, list[str | bytes | Var]]] = []
    for piece in value.pieces:
        if isinstance(piece, Var):
            if pairs:
                pairs[-1][1].append(piece)
            continue
        for index, chunk in enumerate(str(piece).split(";")):
            if index > 0 or not pairs:
                name, _, rest = chunk.strip().partition("=")
                pairs.append((name, [rest]))
            else:
                pairs[-1][1].append(chunk)
    return [(name, Text.of(*pieces)) for name, pieces in pairs if name]


def _scheme_of(records: list[Record]) -> SessionScheme | None:
    for scheme in SESSION_SCHEMES:
        for record in records:
            request = record.request
            if scheme.login.match(request_target(record)):
                return scheme
            if request.header(scheme.csrf_header) is not None:
                return scheme
            cookie = request.header("cookie")
            if cookie is not None and any(
                name == scheme.session_cookie for name, _ in cookies(cookie)
            ):
                return scheme
    return None


def _browser_only(name: str, value: Text) -> bool:
    lower = name.lower()
    if lower in BROWSER_HEADERS or lower in TRANSPORT_HEADERS:
        return True
    if lower.startswith(BROWSER_HEADER_PREFIXES):
        return True
    return (
        lower == "user-agent"
        and value.is_literal
        and bool(BROWSER_AGENT.search(value.literal_str()))
    )


def _session_token(record: Record, scheme: SessionScheme) -> Text | None:
    """The session cookie's value: an env Var once redacted, the captured text otherwise."""
    cookie = record.request.header("cookie")
    for name, value in cookies(cookie) if cookie is not None else ():
        if name == scheme.session_cookie and value:
            return value
    return None


def provision_auth(
    records: list[Record], env: list[EnvVar], *, keep_login: bool, session: bool = True
) -> SessionRewrite:
    """Browser headers dropped everywhere; where a known API's session is recognised (and
    `session`), its session cookie and CSRF pair become `Authorization: Bearer <token>`."""
    scheme = _scheme_of(records)
    out = SessionRewrite(list(records))
    token: Text | None = None
    for index, record in enumerate(records):
        request = record.request
        headers = [(k, v) for k, v in request.headers if not _browser_only(k, v)]
        target = request_target(record)
        if scheme is not None and scheme.login.match(target):
            if not keep_login:
                out.dropped[index] = (
                    f"login: the script takes {scheme.token_var} from the environment"
                )
                continue
            if session:
                token = Text.of(Var(scheme.token_var, "extracted"))
                out.replaced.add(scheme.token_var)
                out.extracts[index] = [
                    Extraction(
                        scheme.token_var,
                        scheme.login_token_path,
                        note=f"the {scheme.api} API token this login issues",
                    )
                ]
                headers = [(k, v) for k, v in headers if k.lower() != "cookie"]
                request = _with_body(request, *scheme.login_response_type)
        elif scheme is not None and session:
            own = _session_token(record, scheme)
            if own is not None or scheme.api_paths.match(target):
                token = token or own or Text.of(Var(scheme.token_var))
                has_authorization = any(k.lower() == "authorization" for k, _ in headers)
                headers = [
                    (k, v) for k, v in headers if k.lower() not in ("cookie", scheme.csrf_header)
                ]
                if not has_authorization:
                    headers.append(("authorization", Text.of("Bearer ") + token))
        out.records[index] = record.changed(request.changed(headers=headers))
    if scheme is not None and token is not None:
        names = {var.name for var in token.vars if var.kind == "env"}
        if scheme.token_var in names and not any(var.name == scheme.token_var for var in env):
            out.env.append(EnvVar(scheme.token_var, scheme.token_description))
        for var in env:
            if var.name in names:  # the captured session is the token the script now sends
                out.described[var.name] = (
                    f"{scheme.api} API token, sent as Authorization: Bearer (captured as "
                    f"cookie {scheme.session_cookie}: any API token of the user works)"
                )
        out.notes.append(
            f"The {scheme.api} browser session became an API token: requests send "
            "an Authorization: Bearer header" + (f" with ${next(iter(names))}." if names else ".")
        )
    return out


def _with_body(request: Request, old: bytes, new: bytes) -> Request:
    body = request.body
    if not isinstance(body, Text):
        return request
    pieces = tuple(p.replace(old, new) if isinstance(p, bytes) else p for p in body.pieces)
    return Request(
        request.method,
        request.url,
        request.headers,
        Text(pieces),
        request.http_version,
        request.options,
    )
