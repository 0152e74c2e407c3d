"""Python emitter: a runnable script that replays the plan with `requests`, formatted by black.

The script defines two helpers, `env` (read a variable or stop) and `send` (send one
request as captured), reads every variable up front, then has one commented block per
step. Every literal goes through `python_literal`, so captured data stays data.

What `send` works around, all verified on the wire (tests/emit/test_python.py):
- requests rebuilds the URL (resolves "." and ".." segments): the prepared request gets
  the captured URL back.
- urllib3 re-encodes the request target ("[" as "%5B", "%7c" as "%7C", non-ASCII as %XX),
  requests drops a trailing "?", and http.client sends only ASCII: a script with such a
  target replaces these three functions (`_EXACT_TARGETS`).
- requests keeps one value per header name: the prepared headers become urllib3's
  HTTPHeaderDict, which sends repeats in order (with the first occurrence's name case).
- http.client sends str header values as Latin-1 (and requests' redirect code needs str
  values): each value is the str whose Latin-1 encoding is its captured bytes.
- omitted defaults: removed, and urllib3's SKIP_HEADER stops urllib3 and http.client from
  adding their own User-Agent, Accept-Encoding or Host.
What it cannot do is written as a note beside the step (`_step_notes`).
"""

from __future__ import annotations

import base64
import builtins
import json
import keyword
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from capture2code.emit import EmitError, Emitted
from capture2code.plan import EnvVar, Plan, Step
from capture2code.record import FormPart, Multipart, Request
from capture2code.template import VAR_NAME, Text, Var

LINE_LENGTH = 100
TIMEOUT_SECONDS = 60
# Width of one piece of a long body literal (split for reading; the pieces concatenate).
_CHUNK = 80
# Nesting depth up to which a JSON body is written as a dict/list literal.
_JSON_DEPTH = 20
# A larger body is one literal on one line: nobody reads it, and black needs seconds to
# lay out the thousands of pieces of a dict or split string that size.
_READABLE_BODY = 64 * 1024

# A request target that requests and urllib3 send unchanged once the prepared URL is
# restored: RFC 3986 path/query characters and uppercase %XX, and no empty query.
_STABLE_TARGET = re.compile(
    r"/(?:[\w.~!$&'()*+,;=:@/-]|%[0-9A-F]{2})*(?:\?(?:[\w.~!$&'()*+,;=:@/?-]|%[0-9A-F]{2})+)?",
    re.ASCII,
)
_URL_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")
# What http.client sends: a method is a token, a header name has no colon or line break.
_METHOD = re.compile(r"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
_HEADER_NAME = re.compile(r"[^:\s][^:\r\n]*", re.ASCII)
# urllib3 sends "Content-Length: 0" for a request without body unless its method is one of
# these (urllib3.util.request._METHODS_NOT_EXPECTING_BODY).
_BODYLESS_METHODS = {"GET", "HEAD", "DELETE", "TRACE", "OPTIONS", "CONNECT"}
# Content codings requests decodes without extra packages.
_DECODED_CODINGS = {"gzip", "x-gzip", "deflate", "identity", "*"}
# What `curl --compressed` (7.88.1, Debian 12) asks for.
_CURL_COMPRESSED = "deflate, gzip, br, zstd"
# Headers requests makes itself for a multipart body (the boundary is its own).
_MULTIPART_OWNED = {"content-type", "content-length"}

# json.dumps keyword sets tried, shortest first, to find one that reproduces a captured
# JSON body byte for byte.
_JSON_STYLES: tuple[dict[str, Any], ...] = (
    {},
    {"ensure_ascii": False},
    {"separators": (",", ":")},
    {"separators": (",", ":"), "ensure_ascii": False},
    {"indent": 2},
    {"indent": 2, "ensure_ascii": False},
    {"indent": 4},
    {"indent": 4, "ensure_ascii": False},
)

# Names the script defines or imports; an environment variable gets another Python name.
_SCRIPT_NAMES = {
    "TIMEOUT",
    "base64",
    "env",
    "http",
    "json",
    "os",
    "re",
    "request_target",
    "requests",
    "send",
    "session",
    "sys",
    "urllib3",
}

_ENV_HELPER = '''
def env(name, default=None):
    """The value of environment variable `name`; stops the script when it is unset."""
    value = os.environ.get(name, default)
    if value is None:
        sys.exit(f"error: set the environment variable {name} (see the top of {sys.argv[0]})")
    return value
'''

_SEND_HELPER = '''
def send(
    session,
    method,
    url,
    headers=(),
    body=None,
    files=None,
    omit=(),
    verify=True,
    follow_redirects=False,
    max_redirects=requests.models.DEFAULT_REDIRECT_LIMIT,
):
    """Sends one request as captured; stops the script on an HTTP error status.

    `headers` are (name, value) pairs sent in this order, repeats included. `omit` names
    client default headers (User-Agent, Accept, ...) the captured request did not send.
    """
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogateescape")
    prepared = session.prepare_request(requests.Request(method, url, data=body, files=files))
    prepared.url = url  # requests would resolve "." and ".." segments
    prepared.method = method  # requests would upper-case it
    wire = urllib3.HTTPHeaderDict(prepared.headers)  # sends repeated names, in order
    if body is None and files is None:
        wire.discard("Content-Length")  # requests' "0" (urllib3 still sends it for POST, PUT, ...)
    for name in omit:
        wire.discard(name)
        if name.lower() in urllib3.util.SKIPPABLE_HEADERS:  # or urllib3 adds its own
            wire[name] = urllib3.util.SKIP_HEADER
    for name, _ in headers:
        wire.discard(name)
    for name, value in headers:
        if isinstance(value, str):
            value = value.encode("utf-8", "surrogateescape")
        wire.add(name, value.decode("latin-1"))  # http.client sends it as Latin-1: these bytes
    prepared.headers = wire
    session.max_redirects = max_redirects
    settings = session.merge_environment_settings(url, {}, None, verify, None)
    response = session.send(prepared, timeout=TIMEOUT, allow_redirects=follow_redirects, **settings)
    response.raise_for_status()
    return response
'''

_EXACT_TARGETS = '''
def request_target(url):
    """The path and query of `url` as written ("/" when it has none)."""
    target = re.sub(r"^[^:/?#]*://[^/?#]*", "", url)
    return target if target.startswith("/") else "/" + target


# urllib3 would re-encode request targets ("[" as "%5B", "%7c" as "%7C", non-ASCII as %XX),
# requests would drop a trailing "?", and http.client sends only ASCII: send each target as
# captured instead. (Through an HTTP proxy, urllib3 still re-encodes the absolute URL.)
urllib3.connectionpool._encode_target = lambda target: target
requests.PreparedRequest.path_url = property(lambda prepared: request_target(prepared.url))
http.client.HTTPConnection._encode_request = lambda _, line: line.encode("utf-8", "surrogateescape")
'''

_INSECURE = """
# Some requests skip TLS certificate verification, as captured (curl -k).
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
"""

_SESSION = """
session = requests.Session()
# Send only the captured Cookie headers, like the captured client: keep no response cookies.
session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
"""


def python_literal(value: str | bytes) -> str:
    """A Python literal that evaluates to exactly `value`.

    repr() is that literal: it escapes quotes, backslashes and every character that
    str.isprintable() rejects (control characters, NUL, line and paragraph separators,
    bidirectional controls, lone surrogates), so the result is one line of valid source
    that encodes as UTF-8 whatever `value` holds. black may change its quotes, never its
    value.
    """
    return repr(value)


def _comment(text: str) -> str:
    """`text` for a `#` comment: one line, non-printable characters written as escapes."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


# --- values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Names:
    """Python names of the environment variables a script reads."""

    by_var: dict[str, str]

    def of(self, var: Var, as_bytes: bool) -> str:
        name = self.by_var[var.name]
        return f'{name}.encode("utf-8", "surrogateescape")' if as_bytes else name


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _expression(
    text: Text, names: _Names, as_bytes: bool, literal: Callable[[str | bytes], str]
) -> str:
    """`text` as a `+` concatenation of literals and variable names."""
    parts = [
        names.of(piece, as_bytes) if isinstance(piece, Var) else literal(piece)
        for piece in (text.as_bytes() if as_bytes else text.as_str())
    ]
    return " + ".join(parts) or literal(b"" if as_bytes else "")


def _value(
    text: Text, names: _Names, literal: Callable[[str | bytes], str] = python_literal
) -> str:
    """A str expression for UTF-8 text, a bytes expression for anything else."""
    as_bytes = not all(_is_utf8(piece) for piece in text.as_bytes() if not isinstance(piece, Var))
    return _expression(text, names, as_bytes, literal)


def _chunks(value: str, width_of: Callable[[str], int]) -> list[str]:
    """`value` split after each newline, and where a line would grow past _CHUNK literal
    characters: after its last "," or "&" if it has one."""
    chunks: list[str] = []
    start = used = 0
    cut_at: int | None = None
    for index, char in enumerate(value):
        used += width_of(char)
        if used > _CHUNK and index > start:
            cut = cut_at or index
            chunks.append(value[start:cut])
            start, cut_at = cut, None
            used = sum(map(width_of, value[start : index + 1]))
        if char == "\n":
            chunks.append(value[start : index + 1])
            start, used, cut_at = index + 1, 0, None
        elif char in ",&":
            cut_at = index + 1
    return chunks + [value[start:]] if start < len(value) else chunks


def _long_literal(value: str | bytes) -> str:
    """A literal; as implicitly concatenated pieces in parentheses when it is long."""
    if isinstance(value, bytes):
        # latin-1 maps each byte to one character and back, so the split is exact.
        text = value.decode("latin-1")
        pieces: list[str | bytes] = [
            chunk.encode("latin-1")
            for chunk in _chunks(text, lambda c: len(python_literal(c.encode("latin-1"))) - 3)
        ]
    else:
        pieces = list(_chunks(value, lambda c: len(python_literal(c)) - 2))
    if len(pieces) < 2:
        return python_literal(value)
    return "(" + " ".join(python_literal(piece) for piece in pieces) + ")"


def _python_value(value: Any) -> str:
    """A JSON value (from json.loads) as a Python literal."""
    if isinstance(value, dict):
        items = ", ".join(f"{python_literal(k)}: {_python_value(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_python_value(item) for item in value) + "]"
    if isinstance(value, str):
        return python_literal(value)
    return repr(value)  # int, finite float, True, False, None


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _reject_constant(name: str) -> None:
    raise ValueError(f"JSON constant {name} has no exact Python literal")


def _json_call(data: bytes) -> str | None:
    """`json.dumps(<literal>, ...)` that reproduces `data` exactly, if there is one."""
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict | list) or _depth(value) > _JSON_DEPTH:
        return None
    for style in _JSON_STYLES:
        try:
            same = json.dumps(value, **style).encode("utf-8", "surrogateescape") == data
        except UnicodeEncodeError:
            continue
        if same:
            options = "".join(f", {key}={option!r}" for key, option in style.items())
            return f"json.dumps({_python_value(value)}{options})"
    return None


def _body(body: Text, names: _Names) -> str:
    size = sum(len(piece) for piece in body.as_bytes() if not isinstance(piece, Var))
    if size > _READABLE_BODY:
        return _value(body, names)
    call = _json_call(body.literal_bytes()) if body.is_literal else None
    return call if call is not None else _value(body, names, _long_literal)


def _list(items: list[str]) -> str:
    """A list display; a trailing comma keeps black writing one item per line."""
    return f"[{', '.join(items)},]" if items else "[]"


def _part(part: FormPart, names: _Names) -> str:
    if part.file is not None:
        filename = part.filename if part.filename is not None else os.path.basename(part.file)
        content = f'open({python_literal(part.file)}, "rb")'
    else:
        filename = part.filename
        content = _value(part.value or Text(), names, _long_literal)
    fields = [python_literal(filename) if filename is not None else "None", content]
    if part.type is not None:
        fields.append(python_literal(part.type))
    return f"({python_literal(part.name)}, ({', '.join(fields)}))"


# --- checks and notes ---------------------------------------------------------------------


def _check(step_name: str, request: Request) -> None:
    if not _METHOD.fullmatch(request.method):
        raise EmitError(f"{step_name}: method {request.method!r} is not an HTTP token")
    for name, value in request.headers:
        if not _HEADER_NAME.fullmatch(name):
            raise EmitError(f"{step_name}: header name {name!r} cannot be sent by requests")
        literal = "".join(p for p in value.as_str() if not isinstance(p, Var))
        if "\r" in literal or "\n" in literal:
            raise EmitError(f"{step_name}: header {name} has a line break in its value")
    url = request.url.as_str()
    literal = "".join(p for p in url if not isinstance(p, Var))
    if re.search(r"[\x00-\x20\x7f]", literal):
        raise EmitError(f"{step_name}: the URL has a space or control character")
    if url.pieces and not isinstance(url.pieces[0], Var) and not _URL_ORIGIN.match(literal):
        raise EmitError(f"{step_name}: the URL does not start with scheme://host")
    for var in _vars(request):
        if var.kind != "env":
            raise EmitError(f"{step_name}: {var.kind} variable {var.name} is not supported yet")


def _needs_exact_target(url: Text) -> bool:
    """Whether requests and urllib3 could change this URL's request target."""
    pieces = url.as_str().pieces
    if pieces and isinstance(pieces[0], Var):
        pieces = pieces[1:]  # an origin such as BASE_URL
        rest = "".join(p for p in pieces if isinstance(p, str))
    else:
        rest = _URL_ORIGIN.sub("", "".join(p for p in pieces if isinstance(p, str)), count=1)
    if any(isinstance(p, Var) for p in pieces):
        return True  # a value known only at run time
    target = rest if rest.startswith("/") else "/" + rest
    return not (rest[:1] in ("", "/", "?") and _STABLE_TARGET.fullmatch(target))


def _step_notes(request: Request) -> list[str]:
    """What requests sends differently from the capture, for a comment beside the step."""
    notes = []
    names = {name.lower() for name, _ in request.headers}
    if (
        request.body is None
        and request.method not in _BODYLESS_METHODS
        and "content-length" not in names
    ):
        notes.append(
            f'requests (urllib3) sends "Content-Length: 0" with this bodiless {request.method};'
            " the captured request had no Content-Length."
        )
    if any(name.lower() == "content-length" for name in request.options.get("omit_headers", ())):
        notes.append("requests sends Content-Length, which the captured request left out.")
    first: dict[str, str] = {}
    for name, _ in request.headers:
        if first.setdefault(name.lower(), name) != name:
            notes.append(f"repeated header {name} is sent as {first[name.lower()]}.")
    if request.options.get("follow_redirects"):
        notes.append(
            "after a redirect, requests sends the cookies the redirect set"
            + (" and drops the captured Cookie header." if "cookie" in names else ".")
        )
    if isinstance(request.body, Multipart) and names & _MULTIPART_OWNED:
        notes.append("requests writes its own multipart boundary, Content-Type and Content-Length.")
    undecoded = _undecoded_codings(request)
    if undecoded:
        notes.append(
            f"the capture accepts {', '.join(undecoded)} responses: requests decodes br and zstd"
            " only with the brotli and zstandard packages installed."
        )
    return notes


def _undecoded_codings(request: Request) -> list[str]:
    """Content codings the captured request asked for that plain requests cannot decode."""
    header = request.header("accept-encoding")
    if header is not None:
        asked = "".join(p for p in header.as_str() if isinstance(p, str))
    else:
        asked = _CURL_COMPRESSED if request.options.get("compressed") else ""
    codings = (item.split(";")[0].strip() for item in asked.split(","))
    return [coding for coding in codings if coding and coding.lower() not in _DECODED_CODINGS]


# --- the script ---------------------------------------------------------------------------


def _env_vars(plan: Plan) -> list[EnvVar]:
    """The environment variables the steps refer to: the plan's order, then first use."""
    used: dict[str, None] = {}
    for step in plan.steps:
        if step.skip is None:
            for var in _vars(step.record.request):
                used.setdefault(var.name)
    listed = [var for var in plan.env if var.name in used]
    listed_names = {var.name for var in listed}
    return listed + [EnvVar(name) for name in used if name not in listed_names]


def _vars(request: Request) -> list[Var]:
    texts = [request.url, *(value for _, value in request.headers)]
    if isinstance(request.body, Text):
        texts.append(request.body)
    elif isinstance(request.body, Multipart):
        texts.extend(part.value for part in request.body.parts if part.value is not None)
    return [var for text in texts for var in text.vars]


def _python_names(env: list[EnvVar]) -> _Names:
    taken = set(_SCRIPT_NAMES) | set(dir(builtins)) | set(keyword.kwlist) | set(keyword.softkwlist)
    by_var = {}
    for var in env:
        if not VAR_NAME.fullmatch(var.name):
            raise EmitError(f"environment variable name {var.name!r} is not a valid name")
        name = var.name
        while name in taken:
            name += "_"
        taken.add(name)
        by_var[var.name] = name
    return _Names(by_var)


def _env_name(var: EnvVar) -> str:
    return f"{var.name}_B64" if var.base64 else var.name


def _header(plan: Plan, env: list[EnvVar]) -> list[str]:
    # Line 2 is fixed text: a captured line there could declare a source encoding (PEP 263).
    lines = [
        "#!/usr/bin/env python3",
        "# Replays captured HTTP requests with Python requests (generated by capture2code).",
        *(f"# {_comment(line)}" for line in plan.header),
    ]
    if not plan.redacted:
        lines.append(
            "# WARNING: secrets are written into this script (--no-redact): keep it private."
        )
    lines.append("#")
    if env:
        lines.append("# Environment variables:")
    for var in env:
        about = [f"{var.name}, base64-encoded"] if var.base64 else []
        about += [var.description] if var.description else []
        about += [f"default: {var.default}" if var.default is not None else "required"]
        lines.append(f"#   {_env_name(var)}: {_comment('; '.join(about))}")
    if env:
        lines.append("#")
    lines.append(f"# Run: set -a; . ./.env; set +a; python3 {plan.output_name or 'script.py'}")
    return lines


def _read_env(var: EnvVar, names: _Names) -> str:
    default = var.default
    if var.base64 and default is not None:
        default = _b64(default)
    call = f"env({python_literal(_env_name(var))}"
    call += f", {python_literal(default)})" if default is not None else ")"
    if var.base64:
        call = f'base64.b64decode({call}).decode("utf-8", "surrogateescape")'
    return f"{names.by_var[var.name]} = {call}"


def _b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8", "surrogateescape")).decode("ascii")


def _step(number: int, step: Step, body: str | None, names: _Names) -> list[str]:
    """The block for one step; `body` is the rendered body or files argument."""
    request = step.record.request
    title = f"# Step {number}: {_comment(step.title)}"
    if step.skip is not None:
        return [f"{title} (skipped: {_comment(step.skip)})"]
    lines = [title, *(f"# Note: {_comment(note)}" for note in [*step.notes, *_step_notes(request)])]
    url = _expression(request.url.as_str(), names, False, python_literal)  # requests wants str
    arguments = ["session", python_literal(request.method), url]
    multipart = isinstance(request.body, Multipart)
    headers = [
        f"({python_literal(name)}, {_value(value.as_str(), names)})"
        for name, value in request.headers
        if not (multipart and name.lower() in _MULTIPART_OWNED)
    ]
    if headers:
        arguments.append(f"headers={_list(headers)}")
    if body is not None:
        arguments.append(body)
    options = request.options
    if options.get("omit_headers"):
        omitted = ", ".join(python_literal(name) for name in options["omit_headers"])
        arguments.append(f"omit=[{omitted}]")
    if options.get("insecure"):
        arguments.append("verify=False")
    if options.get("follow_redirects"):
        arguments.append("follow_redirects=True")
    if isinstance(options.get("max_redirects"), int):
        arguments.append(f"max_redirects={options['max_redirects']}")
    lines.append(f"send({', '.join(arguments)},)")
    return lines


def _body_argument(request: Request, names: _Names) -> str | None:
    if isinstance(request.body, Multipart):
        return f"files={_list([_part(part, names) for part in request.body.parts])}"
    if isinstance(request.body, Text):
        return f"body={_body(request.body, names)}"
    return None


def emit(plan: Plan) -> Emitted:
    active = [step for step in plan.steps if step.skip is None]
    for number, step in enumerate(plan.steps, start=1):
        if step.skip is None:
            _check(f"step {number} ({step.title})", step.record.request)
    env = _env_vars(plan)
    names = _python_names(env)
    bodies = [
        _body_argument(step.record.request, names) if step.skip is None else None
        for step in plan.steps
    ]
    exact = any(_needs_exact_target(step.record.request.url) for step in active)
    insecure = any(step.record.request.options.get("insecure") for step in active)

    stdlib = {"http.cookiejar"} | ({"os", "sys"} if env else set())
    stdlib |= {"base64"} if any(var.base64 for var in env) else set()
    stdlib |= {"json"} if any(body and body.startswith("body=json.") for body in bodies) else set()
    stdlib |= {"http.client", "re"} if exact else set()
    imports = [f"import {module}" for module in sorted(stdlib)]
    imports += ["", "import requests", "import urllib3"]
    # The fixed part is written as black writes it; only the part made from the plan goes
    # through black, which takes time in proportion to the code it formats.
    fixed = [
        "\n".join(line.rstrip() for line in _header(plan, env)),
        "\n".join(imports),
        f"TIMEOUT = {TIMEOUT_SECONDS}  # seconds for each request",
        _EXACT_TARGETS if exact else "",
        _INSECURE if insecure else "",
        _ENV_HELPER if env else "",
        _SEND_HELPER,
    ]
    generated = [
        "\n".join(_read_env(var, names) for var in env),
        _SESSION,
        *(
            "\n".join(_step(number, step, body, names))
            for number, (step, body) in enumerate(zip(plan.steps, bodies, strict=True), start=1)
        ),
    ]
    formatted = _black(_join(generated) + "\n").strip()
    return Emitted(_join([*fixed, formatted]) + "\n")


def _join(blocks: list[str]) -> str:
    """Top-level blocks with the blank lines black puts between them: two around a function
    definition, one elsewhere."""
    kept = [block.strip() for block in blocks if block.strip()]
    joined = kept[0]
    for before, after in zip(kept, kept[1:], strict=False):
        first_code = next((line for line in after.splitlines() if not line.startswith("#")), "")
        around_def = first_code.startswith("def ") or before.splitlines()[-1].startswith(" ")
        joined += ("\n\n\n" if around_def else "\n\n") + after
    return joined


def _black(source: str) -> str:
    import black  # costs about 70 ms: only when a Python script is written

    return black.format_str(source, mode=black.Mode(line_length=LINE_LENGTH))
