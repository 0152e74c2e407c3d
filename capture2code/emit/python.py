"""Python emitter: a runnable script that replays the plan with `requests`, formatted by black.

The script defines two helpers, `env` (read a variable or stop) and `send` (send one
request as captured; stop with the step, status and server's message on an error), reads
every variable up front, then has one commented block per step. Every literal goes through
`python_literal`, so captured data stays data.

A provisioning plan adds, only where the plan needs them: argparse options for its
parameters and the wait settings (each defaulting to its environment variable), `field` and
`header` (a value from a response, or stop naming the step and the path), `wait_for` (a
bounded polling loop), `save_secret` (a returned secret to a new 0600 file, never printed),
the derivations of plan.DERIVATIONS, and a closing summary of what was created.

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
import gc
import json
import keyword
import os
import pickle
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from capture2code.emit import EmitError, Emitted
from capture2code.plan import DERIVATIONS, EnvVar, JsonPath, Plan, Step
from capture2code.record import FormPart, Multipart, Request
from capture2code.template import VAR_NAME, Text, Var

LINE_LENGTH = 100
TIMEOUT_SECONDS = 60
# Width of one piece of a long body literal (split for reading; the pieces concatenate).
_CHUNK = 80
# Nesting depth up to which a JSON body is written as a dict/list literal.
_JSON_DEPTH = 20
# Generated code is formatted in pieces of about this many characters (format_generated):
# black takes the same time for the code in one piece or in many small ones.
_BLACK_PIECE = 4 * 1024
# From this much generated code on (black: about 75 ms), a second process formats half of
# it: forking the converter (80 MB) and taking back the result costs about 5 ms.
_PARALLEL_FROM = 16 * 1024
# black's directives (fmt: off, fmt: on, fmt: skip, yapf: disable), in a comment
_FMT_DIRECTIVE = re.compile(r"#.*(?:fmt|yapf):")
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
    "prepare",
    "session",
    "step",
    "sys",
    "urllib3",
    # what provisioning scripts add
    "WAIT_INTERVAL",
    "WAIT_TIMEOUT",
    "argparse",
    "args",
    "colon_to_slash",
    "field",
    "header",
    "lookup",
    "name_part",
    "parser",
    "path_text",
    "response",
    "save_secret",
    "server_message",
    "slash_to_colon",
    "time",
    "wait_for",
}

# The wait loop's settings: option, environment variable, default (seconds), meaning.
_WAIT_SETTINGS = (
    ("--wait-timeout", "WAIT_TIMEOUT", 600, "seconds to wait for a step's result"),
    ("--wait-interval", "WAIT_INTERVAL", 5, "seconds between tries while waiting"),
)
# What the script does, for its first comment line and --help.
_DOES = {
    "faithful": "Replays captured HTTP requests",
    "provision": "Does the captured provisioning again",
}
_OPTION = re.compile(r"--[A-Za-z0-9][A-Za-z0-9-]*")

_ENV_HELPER = '''
def env(name, default=None):
    """The value of environment variable `name`; stops the script when it is unset."""
    value = os.environ.get(name, default)
    if value is None:
        sys.exit(f"error: set the environment variable {name} (see the top of {sys.argv[0]})")
    return value
'''

_SEND_HELPER = """
def send(
    session,
    step,
    method,
    url,
    headers=(),
    body=None,
    files=None,
    omit=(),
    verify=True,
    follow_redirects=False,
    max_redirects=requests.models.DEFAULT_REDIRECT_LIMIT,
    params=(),
):
    \"\"\"Sends one request as captured (`prepare`); stops the script when it fails or gets an
    HTTP error status. `step` names the step in messages; `params` are the options whose
    values the request uses: the ones to change when the server says the object exists.
    \"\"\"
    session.max_redirects = max_redirects
    settings = session.merge_environment_settings(url, {}, None, verify, None)
    try:
        prepared = prepare(session, method, url, headers, body, files, omit)
        response = session.send(
            prepared, timeout=TIMEOUT, allow_redirects=follow_redirects, **settings
        )
    except requests.RequestException as error:
        sys.exit(f"error: {step}: {type(error).__name__}: {error}")
    except ValueError:  # http.client's, naming the value (which may be a secret)
        sys.exit(f"error: {step}: the URL or a header value has a line break or control character")
    if response.status_code >= 400:
        message = f"error: {step}: HTTP {response.status_code}: {server_message(response)}"
        if response.status_code == 409 and params:
            message += f"\\nalready exists? choose another value: {', '.join(params)}"
        sys.exit(message)
    return response


def prepare(session, method, url, headers, body, files, omit):
    \"\"\"The request as captured: `headers` are (name, value) pairs sent in this order, repeats
    included; `omit` names client default headers (User-Agent, Accept, ...) it did not send.\"\"\"
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
    return prepared


def server_message(response):
    \"\"\"The error message in a response: its JSON "message", else the start of the body.\"\"\"
    try:
        message = response.json()["message"]
    except (ValueError, TypeError, KeyError, IndexError):
        return response.text[:300]
    return str(message)
"""

_FIELD_HELPERS = '''
def path_text(path):
    """A JSON path as JavaScript writes it: status.clusterName, data[0].id."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        elif key.isidentifier() and key.isascii():
            text += f".{key}" if text else key
        else:
            text += f"[{json.dumps(key)}]"
    return text


def lookup(response, path):
    """The value at `path` (object keys, list indexes) in a JSON response; None if missing."""
    try:
        value = response.json()
    except ValueError:
        return None
    for key in path:
        if isinstance(key, int) and isinstance(value, list) and -len(value) <= key < len(value):
            value = value[key]
        elif isinstance(key, str) and isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return None
    return value


def field(response, step, path):
    """The text of the value at `path` in a JSON response; stops the script if it is missing."""
    value = lookup(response, path)
    if value is None:
        sys.exit(f"error: {step}: the response has no field {path_text(path)}")
    return value if isinstance(value, str) else json.dumps(value)

'''

_HEADER_HELPER = '''
def header(response, step, name):
    """The value of response header `name`; stops the script if there is none."""
    value = response.headers.get(name)
    if value is None:
        sys.exit(f"error: {step}: the response has no header {name}")
    return value.encode("latin-1").decode("utf-8", "surrogateescape")  # http.client read Latin-1
'''

_WAIT_HELPER = '''
def wait_for(step, path, request):
    """Sends `request()` until its response has a value at `path` (not null, "", [] or {}),
    every WAIT_INTERVAL seconds for at most WAIT_TIMEOUT seconds."""
    deadline = time.monotonic() + WAIT_TIMEOUT
    while True:
        response = request()
        if lookup(response, path) not in (None, "", [], {}):
            return response
        if time.monotonic() + WAIT_INTERVAL > deadline:
            sys.exit(
                f"error: {step}: no {path_text(path)} in the response after waiting"
                f" {WAIT_TIMEOUT:g} seconds (set --wait-timeout or WAIT_TIMEOUT)"
            )
        time.sleep(WAIT_INTERVAL)
'''

_SAVE_HELPER = '''
def save_secret(response, step, path, filename, description):
    """Writes the value at `path` to `filename`, readable only by the user; prints the name."""
    value = field(response, step, path)
    if os.path.lexists(filename):
        os.remove(filename)  # a new file gets the mode below; an old one would keep its own
    descriptor = os.open(filename, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(descriptor, "w", encoding="utf-8", errors="surrogateescape") as file:
        file.write(value)
    print(f"{description} written to {filename}")
'''

# Each derived form of an extracted value (plan.DERIVATIONS): its function in the script.
_DERIVE_HELPERS: dict[str, tuple[str, str]] = {
    "colon_to_slash": (
        "colon_to_slash",
        '''
def colon_to_slash(value):
    """`value` with its first ":" replaced by "/" (Rancher's ns:name as ns/name)."""
    return value.replace(":", "/", 1)
''',
    ),
    "slash_to_colon": (
        "slash_to_colon",
        '''
def slash_to_colon(value):
    """`value` with its first "/" replaced by ":" (Rancher's ns/name as ns:name)."""
    return value.replace("/", ":", 1)
''',
    ),
    "name": (
        "name_part",
        '''
def name_part(value):
    """The part of `value` after its last ":" or "/" (all of it when it has neither)."""
    return value[max(value.rfind(":"), value.rfind("/")) + 1 :]
''',
    ),
}

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


# --- the plan's variables -----------------------------------------------------------------


def _check_provisioning(plan: Plan) -> None:
    """Every parameter and extracted value a step uses is defined before it; the pieces a
    provisioning script names (options, derivations, files) are ones it can write."""
    params = {param.name for param in plan.params}
    options = [param.option for param in plan.params]
    if _waits(plan):
        options += [option for option, _, _, _ in _WAIT_SETTINGS]
    for param in plan.params:
        if not _OPTION.fullmatch(param.option) or param.option == "--help":
            raise EmitError(f"parameter {param.name}: {param.option!r} is not a usable option")
        if options.count(param.option) > 1:
            raise EmitError(f"parameter {param.name}: option {param.option} is used twice")
    extracted: set[str] = set()
    for number, step in enumerate(plan.steps, start=1):
        if step.skip is not None:
            continue
        where = f"step {number} ({step.title})"
        for var in _vars(step.record.request):
            if var.kind == "param" and var.name not in params:
                raise EmitError(f"{where}: parameter {var.name} is not in the plan's parameters")
            if var.kind == "extracted" and var.name not in extracted:
                raise EmitError(f"{where}: {var.name} is not extracted by an earlier step")
        for extraction in step.extracts:
            if extraction.derive is not None and extraction.derive not in _DERIVE_HELPERS:
                raise EmitError(f"{where}: unknown derivation {extraction.derive!r}")
            extracted.add(extraction.var)
        for saved in step.saves:
            name = saved.filename
            if name in ("", ".", "..") or os.path.basename(name) != name or "\x00" in name:
                raise EmitError(f"{where}: {name!r} is not a file name in the working directory")
    for number, step in enumerate(plan.steps, start=1):
        created = step.creates
        if step.skip is not None or created is None:
            continue
        used = [var.name for var in (created.name or Text()).vars if var.kind != "env"]
        for name in used + ([created.id_var] if created.id_var is not None else []):
            if name not in params | extracted:
                raise EmitError(f"step {number} ({step.title}): {name} is never set")


def _active(plan: Plan) -> list[Step]:
    return [step for step in plan.steps if step.skip is None]


def _waits(plan: Plan) -> bool:
    return any(step.wait is not None for step in _active(plan))


def _step_vars(step: Step) -> list[Var]:
    """The variables a step's request and its summary line use."""
    name = step.creates.name if step.creates is not None else None
    return _vars(step.record.request) + list(name.vars if name else ())


def _env_vars(plan: Plan) -> list[EnvVar]:
    """The environment variables the steps refer to: the plan's order, then first use."""
    used: dict[str, None] = {}
    for step in _active(plan):
        for var in _step_vars(step):
            if var.kind == "env":
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


def _python_names(variables: list[str], waits: bool) -> _Names:
    """A Python name for each variable (environment, parameter, extracted), unique in the
    script; the wait settings keep their own names."""
    taken = set(_SCRIPT_NAMES) | set(dir(builtins)) | set(keyword.kwlist) | set(keyword.softkwlist)
    by_var: dict[str, str] = {}
    for variable in variables:
        if not VAR_NAME.fullmatch(variable):
            raise EmitError(f"variable name {variable!r} is not a valid name")
        if variable in by_var:
            raise EmitError(f"variable {variable} has two meanings in the plan")
        if waits and variable in {env for _, env, _, _ in _WAIT_SETTINGS}:
            raise EmitError(f"variable {variable} is the wait loop's setting")
        name = variable
        while name in taken:
            name += "_"
        taken.add(name)
        by_var[variable] = name
    return _Names(by_var)


def _extracted(plan: Plan) -> list[str]:
    """The extracted variables in order of first setting (a later step may set one again: a
    resourceVersion after an update)."""
    names = (extraction.var for step in _active(plan) for extraction in step.extracts)
    return list(dict.fromkeys(names))


def _env_name(var: EnvVar) -> str:
    return f"{var.name}_B64" if var.base64 else var.name


def _header(plan: Plan, env: list[EnvVar]) -> list[str]:
    # Line 2 is fixed text: a captured line there could declare a source encoding (PEP 263).
    lines = [
        "#!/usr/bin/env python3",
        f"# {_DOES[plan.mode]} with Python requests (generated by capture2code).",
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
    options = _options(plan)
    if options:
        lines.append("# Options (on the command line, else the environment variable):")
    for option, variable, default, about in options:
        lines.append(f"#   {option}, {variable}: {_comment(f'{about}; default: {default}')}")
    if options:
        lines.append("#")
    example = "".join(f" [{param.option} VALUE]" for param in plan.params)
    script = plan.output_name or "script.py"
    lines.append(f"# Run: set -a; . ./.env; set +a; python3 {_comment(script)}{example}")
    return lines


def _options(plan: Plan) -> list[tuple[str, str, str, str]]:
    """The script's options: (option, environment variable, default, what it sets)."""
    options = [(p.option, p.name, p.default, p.description) for p in plan.params]
    if _waits(plan):
        options += [(o, v, str(d), about) for o, v, d, about in _WAIT_SETTINGS]
    return options


def _arguments(plan: Plan, names: _Names) -> list[str]:
    """The argparse code: each option defaults to its environment variable, else its default."""
    if not _options(plan):
        return []
    lines = [f"parser = argparse.ArgumentParser(description={python_literal(_DOES[plan.mode])})"]
    waits = [(o, v, str(d), about) for o, v, d, about in _WAIT_SETTINGS] if _waits(plan) else []
    for option, variable, default, about in [
        *((p.option, p.name, p.default, p.description) for p in plan.params),
        *waits,
    ]:
        dest = names.by_var.get(variable, variable)
        # argparse formats help text with %: only its own %(default)s stays unescaped
        text = f"{about}; environment variable {variable}; default: ".replace("%", "%%")
        arguments = [
            python_literal(option),
            f"dest={python_literal(dest)}",
            *(["type=float"] if variable in {v for _, v, _, _ in waits} else []),
            f"default=os.environ.get({python_literal(variable)}, {python_literal(default)})",
            f"help={python_literal(text + '%(default)s')}",
        ]
        lines.append(f"parser.add_argument({', '.join(arguments)},)")
    lines.append("args = parser.parse_args()")
    lines += [f"{names.by_var[p.name]} = args.{names.by_var[p.name]}" for p in plan.params]
    lines += [f"{v} = args.{v}" for _, v, _, _ in waits]
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


# --- steps --------------------------------------------------------------------------------


def _path_text(path: JsonPath) -> str:
    """A JSON path as the script's messages write it (the script's path_text)."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += (f".{key}" if text else key) if key.isidentifier() else f"[{json.dumps(key)}]"
    return text


def _path(path: JsonPath) -> str:
    return (
        "["
        + ", ".join(python_literal(k) if isinstance(k, str) else str(int(k)) for k in path)
        + "]"
    )


def _readable(text: Text) -> str:
    return "".join(f"{{{p.name}}}" if isinstance(p, Var) else p for p in text.as_str())


def _step_comments(step: Step) -> list[str]:
    """What a step does for the provisioning, beside the notes on how it is sent."""
    lines = []
    created = step.creates
    if created is not None:
        name = f" {_readable(created.name)}" if created.name else ""
        lines.append(f"Creates {created.type}{name}.")
    for extraction in step.extracts:
        source = (
            f"response header {extraction.header}"
            if extraction.header is not None
            else f"response field {_path_text(extraction.path)}"
        )
        if extraction.derive is not None:
            source += f", {DERIVATIONS[extraction.derive]}"
        note = f": {extraction.note}" if extraction.note else ""
        lines.append(f"Sets {extraction.var}{note} ({source}).")
    if step.wait is not None:
        lines.append(
            f"Sends this until the response has {_path_text(step.wait.path)}"
            " (--wait-timeout, --wait-interval)."
        )
    for saved in step.saves:
        lines.append(
            f"Writes {saved.description} (response field {_path_text(saved.path)})"
            f" to {saved.filename} (mode 0600; not printed)."
        )
    return lines


def _conflict_hints(plan: Plan, request: Request) -> list[str]:
    """The options to change when the server reports that what this request creates exists."""
    used = {var.name for var in _vars(request) if var.kind == "param"}
    return [f"{param.option} ({param.name})" for param in plan.params if param.name in used]


def _step(plan: Plan, number: int, step: Step, body: str | None, names: _Names) -> list[str]:
    """The block for one step; `body` is the rendered body or files argument."""
    request = step.record.request
    title = f"# Step {number}: {_comment(step.title)}"
    if step.skip is not None:
        return [f"{title} (skipped: {_comment(step.skip)})"]
    notes = [*step.notes, *_step_notes(request)]
    lines = [
        title,
        *(f"# {_comment(line)}" for line in _step_comments(step)),
        *(f"# Note: {_comment(note)}" for note in notes),
    ]
    # The step's name for messages, in a variable: the helpers of one step all take it.
    lines.append(f"step = {python_literal(f'step {number} ({step.title})')}")
    where = "step"
    url = _expression(request.url.as_str(), names, False, python_literal)  # requests wants str
    arguments = ["session", where, python_literal(request.method), url]
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
    hints = _conflict_hints(plan, request)
    if hints:
        arguments.append(f"params={_list([python_literal(hint) for hint in hints])}")
    call = f"send({', '.join(arguments)},)"
    if step.wait is not None:
        call = f"wait_for({where}, {_path(step.wait.path)}, lambda: {call})"
    lines.append(f"response = {call}" if step.extracts or step.saves or step.wait else call)
    for extraction in step.extracts:
        if extraction.header is not None:
            value = f"header(response, {where}, {python_literal(extraction.header)})"
        else:
            value = f"field(response, {where}, {_path(extraction.path)})"
        if extraction.derive is not None:
            value = f"{_DERIVE_HELPERS[extraction.derive][0]}({value})"
        lines.append(f"{names.by_var[extraction.var]} = {value}")
    for saved in step.saves:
        arguments = [
            "response",
            where,
            _path(saved.path),
            python_literal(saved.filename),
            python_literal(saved.description),
        ]
        lines.append(f"save_secret({', '.join(arguments)})")
    return lines


def _summary(plan: Plan, names: _Names) -> list[str]:
    """A line for each object the script created: "created cluster demo (c-m-4xk2p)"."""
    lines = []
    for step in _active(plan):
        created = step.creates
        if created is None:
            continue
        text = Text.of(f"created {created.type}")
        if created.name:
            text = text + Text.of(" ") + created.name.as_str()
        if created.id_var is not None:
            text = text + Text.of(" (", Var(created.id_var, "extracted"), ")")
        lines.append(f"print({_expression(text, names, False, python_literal)})")
    return lines


def _body_argument(request: Request, names: _Names) -> str | None:
    if isinstance(request.body, Multipart):
        return f"files={_list([_part(part, names) for part in request.body.parts])}"
    if isinstance(request.body, Text):
        return f"body={_body(request.body, names)}"
    return None


def emit(plan: Plan) -> Emitted:
    fixed, generated = script_blocks(plan)
    return Emitted(_join([*fixed, format_generated(generated)]) + "\n")


def script_blocks(plan: Plan) -> tuple[list[str], list[str]]:
    """The script's top-level blocks: the fixed ones, written as black writes them, and the
    ones made from the plan, for format_generated (one statement or comment a line)."""
    active = _active(plan)
    for number, step in enumerate(plan.steps, start=1):
        if step.skip is None:
            _check(f"step {number} ({step.title})", step.record.request)
    _check_provisioning(plan)
    env = _env_vars(plan)
    waits = _waits(plan)
    extracts = [extraction for step in active for extraction in step.extracts]
    saves = any(step.saves for step in active)
    names = _python_names(
        [var.name for var in env] + [p.name for p in plan.params] + _extracted(plan), waits
    )
    bodies = [
        _body_argument(step.record.request, names) if step.skip is None else None
        for step in plan.steps
    ]
    exact = any(_needs_exact_target(step.record.request.url) for step in active)
    insecure = any(step.record.request.options.get("insecure") for step in active)
    fields = bool(extracts) or saves or waits
    derivations = sorted({e.derive for e in extracts if e.derive is not None})

    stdlib = {"http.cookiejar", "sys"}
    stdlib |= {"os"} if env or plan.params or waits or saves else set()
    stdlib |= {"argparse"} if plan.params or waits else set()
    stdlib |= {"time"} if waits else set()
    stdlib |= {"base64"} if any(var.base64 for var in env) else set()
    json_body = any(body and body.startswith("body=json.") for body in bodies)
    stdlib |= {"json"} if json_body or fields else set()
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
        _FIELD_HELPERS if fields else "",
        _HEADER_HELPER if any(e.header is not None for e in extracts) else "",
        _WAIT_HELPER if waits else "",
        _SAVE_HELPER if saves else "",
        *(_DERIVE_HELPERS[derive][1] for derive in derivations),
    ]
    generated = [
        "\n".join(_arguments(plan, names)),
        "\n".join(_read_env(var, names) for var in env),
        _SESSION,
        *(
            "\n".join(_step(plan, number, step, body, names))
            for number, (step, body) in enumerate(zip(plan.steps, bodies, strict=True), start=1)
        ),
        "\n".join(_summary(plan, names)),
    ]
    return fixed, generated


def format_generated(
    blocks: list[str], piece_size: int = _BLACK_PIECE, parallel_from: int = _PARALLEL_FROM
) -> str:
    """What black makes of `_join(blocks)` (stripped), byte for byte, in less time.

    black formats each top-level statement by itself, and every line of a generated block is
    one statement or a comment: the code is formatted in pieces of about `piece_size`
    characters, cut before a statement, and the pieces joined with the text they were cut
    at. From `parallel_from` characters on, a second process (fork) formats half of them.
    """
    source = _join(blocks)
    if _FMT_DIRECTIVE.search(source):
        # A comment can turn black off up to a later comment: only the whole code says where.
        return _black(source)
    pieces = _pieces(source, piece_size)
    texts = [text for _, text in pieces]
    # Only a process without threads is forked: a lock another thread holds would never be
    # released in the child.
    forkable = hasattr(os, "fork") and threading.active_count() == 1
    if len(source) >= parallel_from and len(texts) > 1 and forkable:
        formatted = _black_in_two(texts, _half(texts))
    else:
        formatted = _black_all(texts)
    return "".join(glue + text for (glue, _), text in zip(pieces, formatted, strict=True))


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


def _pieces(source: str, size: int) -> list[tuple[str, str]]:
    """`source` cut into pieces of at least `size` characters, each with the line breaks
    before it ("" for the first). A cut is between two top-level lines, never after a
    comment: a comment stays with the statement it is about."""
    pieces: list[tuple[str, str]] = []
    glue, start, position, previous = "", 0, 0, ""
    for line in source.split("\n"):
        after_statement = _top_level(previous) and not previous.startswith("#")
        if position - start >= size and _top_level(line) and after_statement:
            end = start + len(source[start:position].rstrip("\n"))
            pieces.append((glue, source[start:end]))
            glue, start = source[end:position], position
        previous = line or previous
        position += len(line) + 1
    pieces.append((glue, source[start:]))
    return pieces


def _top_level(line: str) -> bool:
    return line[:1] not in ("", " ", "\t")


def _half(texts: list[str]) -> int:
    """Where to split `texts` in two parts of about the same length."""
    total = sum(map(len, texts))
    used = 0
    for index, text in enumerate(texts):
        used += len(text)
        if 2 * used >= total:
            return index + 1
    return len(texts)


def _black(source: str) -> str:
    """`source` formatted by black (stripped)."""
    import black  # costs about 70 ms: only when a Python script is written

    return black.format_str(source + "\n", mode=black.Mode(line_length=LINE_LENGTH)).strip()


def _black_all(texts: list[str]) -> list[str]:
    """Each of `texts` formatted by black."""
    # black's syntax tree is a graph of cycles: the collector, running again and again while
    # black builds it, takes up to 40% of the time. Each piece's tree is collected once, when
    # the piece is done, among the young objects only.
    automatic = gc.isenabled()
    gc.disable()
    try:
        formatted = []
        for text in texts:
            formatted.append(_black(text))
            gc.collect(0)
    finally:
        if automatic:
            gc.enable()
    return formatted


def _black_in_two(texts: list[str], half: int) -> list[str]:
    """`_black_all(texts)`, its second part formatted in a forked process at the same time.
    If that process fails, this one formats its part too (and shows the error)."""
    reader, writer = os.pipe()
    try:
        child = os.fork()
    except OSError:  # at a limit of processes or memory
        os.close(reader)
        os.close(writer)
        return _black_all(texts)
    if child == 0:
        status = 1
        try:
            os.close(reader)
            with open(writer, "wb") as pipe:
                pickle.dump(_black_all(texts[half:]), pipe)
            status = 0
        finally:
            os._exit(status)  # nothing of the parent's (buffers, atexit) runs twice
    os.close(writer)
    with open(reader, "rb") as pipe:
        try:
            first = _black_all(texts[:half])
            data = pipe.read()
        finally:
            pipe.close()  # a child still writing gets an error and ends
            _, status = os.waitpid(child, 0)
    second = pickle.loads(data) if status == 0 else _black_all(texts[half:])
    return first + second
