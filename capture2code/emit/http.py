"""The .http emitter: JetBrains HTTP Client syntax, run (and tested) with httpyac.

Every rule here answers something httpyac (the version pinned in package.json) does to
a .http file; each was checked against the real httpyac and the loopback recorder:

- `{{…}}` on one line is evaluated (a variable, a file include, JavaScript) and the result
  is scanned again; `\\{\\{…\\}\\}` is unescaped to `{{…}}`. So captured text never forms
  `{{` or `\\{`: text that would is written as ONE JavaScript expression `{{ … }}` of
  escaped string literals, whose result httpyac does not scan again. Variable values are
  checked by the prologue script before the first request.
- A header value loses a trailing comma and surrounding blanks; `Authorization: Basic
  user:pass` (and Digest, AWS, OAuth2 forms) is rewritten; a Cookie header is fed to a
  cookie jar (so every request says `# @no-cookie-jar`); Node sends values as Latin-1.
  Such values are written as `{{ ["…"] }}`: httpyac passes an array on untouched.
- Body lines that look like .http syntax (`#`, `//`, `@`, `<`, `>`, request lines,
  `query`…) are parsed as such, leading and trailing blank lines are dropped, CR and
  invalid UTF-8 cannot be held, form-urlencoded bodies are trimmed and re-encoded. Such a
  body goes to a side file included with `< ./file` (sent byte-exact), or, where httpyac
  drops includes (form bodies) or a variable is needed, into `{{ Buffer.concat([…]) }}`,
  which is sent as the bytes it builds.
- Only a fixed list of methods is read from the request line; others are set by a
  `{{@request}}` script. URLs go through the WHATWG URL parser: a note says what is sent
  where that differs (dot segments resolved; `'`, `"`, non-ASCII percent-encoded…).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from capture2code.emit import EmitError, Emitted
from capture2code.emit.envfile import HTTP_CLIENT_ENVIRONMENT
from capture2code.plan import DERIVATIONS, Param, Plan, Step, path_text
from capture2code.record import FormPart, Multipart, Request, record_vars
from capture2code.template import VAR_NAME, Piece, Text, Var

# The httpyac release these rules were verified with (package.json pins the same).
HTTPYAC_VERSION = "6.16.7"
# The .http file's name in the run command, and the prefix of its side files.
STEM = "replay"
BOUNDARY = "capture2code-boundary-4f0a9c2e71d8"

# httpyac's request-line methods (GRAPHQL left out: httpyac makes it a GraphQL POST).
_LINE_METHODS = (
    "GET POST PUT DELETE PATCH HEAD OPTIONS CONNECT TRACE PROPFIND PROPPATCH MKCOL COPY MOVE "
    "LOCK UNLOCK CHECKOUT CHECKIN REPORT MERGE MKACTIVITY MKWORKSPACE VERSION-CONTROL "
    "BASELINE-CONTROL MKCALENDAR ACL SEARCH"
)
LINE_METHODS = frozenset(_LINE_METHODS.split())
# Node sends `Content-Length: 0` for a request without body unless its method is one of these.
NO_BODY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
# got's default redirect limit.
GOT_MAX_REDIRECTS = 10
# got refuses to send a body with these (httpyac allows it for GET).
GOT_BODYLESS = frozenset({"HEAD"})

# Variable names httpyac will not set from a script (JavaScript keywords and its own names).
_RESERVED_NAMES = (
    "await break case catch class const continue debugger default delete do else enum export "
    "extends false finally for function if implements import in instanceof interface let new "
    "null package private protected public return super switch static this throw try true "
    "typeof var void while with yield httpFile httpRegion request test sleep"
)
RESERVED_NAMES = frozenset(_RESERVED_NAMES.split())

# Client headers httpyac sends unless the request sets them, and whether `{{ [] }}` removes
# one (Node itself adds Host, Connection and Content-Length regardless).
CLIENT_HEADERS = {
    "user-agent": True,
    "accept": True,
    "accept-encoding": True,
    "host": False,
    "connection": False,
    "content-length": False,
}

# Headers httpyac sets when the request has none, or only an empty value.
HTTPYAC_DEFAULTS = frozenset({"accept", "user-agent"})

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# JavaScript's \s, which httpyac's patterns use, includes U+FEFF; Python's does not.
WS = r"[\s\ufeff]"
# Body lines httpyac would read as something other than body text.
BODY_LINE_HAZARDS = tuple(
    re.compile(pattern)
    for pattern in (
        rf"^{WS}*(#|//|/\*|@|>|\?\?)",  # metadata, comments, variables, scripts, asserts
        rf"^{WS}*<(?![A-Za-z!?/])",  # `< file` includes, `<>` refs (XML tags are fine)
        rf"^{WS}*(query|mutation|fragment{WS}|gql{WS}|proto{WS})",  # GraphQL and gRPC
        rf"^{WS}*[A-Z][A-Z-]*{WS}",  # request lines of every protocol: `GET x`, `MQTT x`
        rf"^{WS}*(HTTP/|(WS|MQTT|AMQP|SSE|GRPC){WS}*-?[0-9])",  # response lines
        rf"==={WS}*(wait-for-server)?{WS}*$",  # streaming body separator
        r"<--->",  # request separator, dropped when on the last line
    )
)
BLANK_LINE = re.compile(rf"{WS}*")
# Authorization values one of httpyac's replacers would rewrite (a superset of its patterns).
AUTH_REWRITES = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"{WS}*(basic|digest){WS}+.*:",
        rf"{WS}*(basic|digest){WS}+\S*{WS}+\S",
        rf"{WS}*aws{WS}",
        rf"{WS}*(openid|oauth2)({WS}|$)",
    )
)
AUTH_SCHEMES = frozenset({"basic", "digest", "aws", "openid", "oauth2"})
# Form bodies the `encodeurl` package (which httpyac applies to them) leaves alone.
FORM_UNCHANGED = re.compile(rb"([!#$&-;=?-_a-z|~]|%[0-9A-Fa-f]{2})*")
# Values the prologue refuses; a default must pass too.
UNSAFE_VALUE = re.compile(r"\{\{|\\\{|^\{|[{\\]$")

# Milliseconds httpyac (got) allows each request, as the other emitters' 60 seconds.
REQUEST_TIMEOUT_MS = 60_000
# Wait options (Step.wait): the variables and their defaults in seconds.
WAIT_VARS = (
    ("WAIT_TIMEOUT", "600", "seconds a waiting step polls before it gives up"),
    ("WAIT_INTERVAL", "5", "seconds between the polls of a waiting step"),
)
# Derivations (plan.DERIVATIONS) the runtime below implements.
JS_DERIVATIONS = frozenset({"colon_to_slash", "slash_to_colon", "name"})

PROLOGUE = """\
{{
  // capture2code: resolve every variable before the first request. The environment wins,
  // then httpyac variables (--var, .env, http-client.env.json), then the default.
  const variables = [
    // [name, default (null: required), read NAME_B64, used in "header", "other" or "both"]
%(variables)s
  ];
  const files = [%(files)s];
  const fail = (message) => {
    process.stderr.write(`capture2code: ${message}\\n`);
    process.exitCode = 2;
    throw new Error(message);
  };
  for (const [name, fallback, base64, use] of variables) {
    const source = base64 ? `${name}_B64` : name;
    let value = process.env[source] ?? $context.variables[source] ?? fallback;
    if (value === null || value === undefined) {
      fail(`variable ${source} is not set: export ${source}=... or pass --var ${source}=...`);
    }
    value = base64 ? Buffer.from(String(value), "base64").toString() : String(value);
    // httpyac would evaluate "{{" (and unescape "\\{\\{") in the text the value lands in.
    if (/\\{\\{|\\\\\\{|^\\{|[{\\\\]$/.test(value)) {
      fail(`variable ${name} holds "{{" or "\\\\{", which httpyac would evaluate`);
    }
    if (use !== "other" && /[^\\x00-\\x7f]/.test(value)) {
      if (use === "both") {
        fail(`variable ${name} is used in a header and elsewhere and is not ASCII`);
      }
      // Node sends header values as Latin-1: hand it the UTF-8 bytes, one per character.
      value = Buffer.from(value).toString("latin1");
    }
    exports[name] = value;
  }
  for (const file of files) {
    if (!require("fs").existsSync(require("path").resolve(__dirname, file))) {
      fail(`file ${file} not found (paths are relative to the .http file's directory)`);
    }
  }
%(runtime)s
}}"""

# What each step's response script calls. Values read from responses are kept in
# `capture2code.values`, never in httpyac's variables: httpyac evaluates `{{…}}` in those
# (a server-issued `{{ require(…) }}` would run), and requests read them only inside one
# `{{ … }}` expression, whose result httpyac does not scan again.
RUNTIME = r"""  const fs = require("fs");
  const path = require("path");
  const c2c = (globalThis.capture2code ??= { values: {}, waits: {} });
  c2c.waitTimeout = Number(exports.WAIT_TIMEOUT ?? 600);
  c2c.waitInterval = Number(exports.WAIT_INTERVAL ?? 5);
  if (!(c2c.waitTimeout >= 0 && c2c.waitInterval >= 0)) {
    fail("WAIT_TIMEOUT and WAIT_INTERVAL must be numbers of seconds");
  }
  c2c.stop = (message) => {
    process.stderr.write(`capture2code: ${message}\n`);
    process.exit(3);
  };
  c2c.json = (response) => {
    try {
      return JSON.parse(String(response.body ?? ""));
    } catch (error) {
      return undefined;
    }
  };
  // The value at `keys` (object keys, list indexes), or undefined.
  c2c.at = (data, keys) => {
    let value = data;
    for (const key of keys) {
      const list = Array.isArray(value);
      const object = value !== null && typeof value === "object" && !list;
      const holds = typeof key === "number" ? list : object;
      if (!holds || !Object.prototype.hasOwnProperty.call(value, key)) {
        return undefined;
      }
      value = value[key];
    }
    return value;
  };
  c2c.text = (value) => (typeof value === "string" ? value : JSON.stringify(value));
  c2c.derive = {
    colon_to_slash: (value) => value.replace(":", "/"),
    slash_to_colon: (value) => value.replace("/", ":"),
    name: (value) => value.slice(Math.max(value.lastIndexOf(":"), value.lastIndexOf("/")) + 1),
  };
  c2c.message = (response) => {
    const data = c2c.json(response);
    if (data !== null && typeof data === "object" && typeof data.message === "string") {
      return data.message;
    }
    return String(response.body ?? "").slice(0, 300);
  };
  c2c.check = (response, step, params) => {
    if (response.statusCode < 400) {
      return;
    }
    let message = `${step}: HTTP ${response.statusCode}: ${c2c.message(response)}`;
    if (response.statusCode === 409 && params.length > 0) {
      const options = params.map((name) => `${name} (--var ${name}=...)`);
      message += `\nalready exists? choose another value: ${options.join(", ")}`;
    }
    c2c.stop(message);
  };
  c2c.extract = (response, step, name, keys, readable, header, derive) => {
    let value;
    if (header !== null) {
      value = response.headers?.[header.toLowerCase()];
      value = Array.isArray(value) ? value.join(", ") : value;
      if (value === undefined) {
        c2c.stop(`${step}: the response has no header ${header}`);
      }
    } else {
      value = c2c.at(c2c.json(response), keys);
      if (value === undefined || value === null) {
        c2c.stop(`${step}: the response has no field ${readable}`);
      }
    }
    value = c2c.text(value);
    c2c.values[name] = derive === null ? value : c2c.derive[derive](value);
  };
  // A waiting step: `ready` records each response, `again` (its @loop condition) says
  // whether to send the request (again), sleeping WAIT_INTERVAL first, up to WAIT_TIMEOUT.
  c2c.ready = (response, number, step, keys, readable) => {
    const value = c2c.at(c2c.json(response), keys);
    const empty = value === undefined || value === null || value === "";
    const wait = (c2c.waits[number] ??= { start: Date.now() });
    wait.ready = !(empty || (typeof value === "object" && Object.keys(value).length === 0));
    const waited = `after waiting ${c2c.waitTimeout} seconds (WAIT_TIMEOUT)`;
    wait.message = `${step}: no ${readable} in the response ${waited}`;
    return wait.ready;
  };
  c2c.again = async (number) => {
    const wait = (c2c.waits[number] ??= { start: Date.now() });
    if (wait.ready === undefined) {
      return true;
    }
    if (wait.ready) {
      delete c2c.waits[number];
      return false;
    }
    const left = c2c.waitTimeout * 1000 - (Date.now() - wait.start);
    if (left <= 0) {
      c2c.stop(wait.message);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(c2c.waitInterval * 1000, left)));
    return true;
  };
  // A secret from a response goes to a file created with mode 0600; only its name is shown.
  c2c.save = (response, step, keys, readable, filename, description) => {
    const value = c2c.at(c2c.json(response), keys);
    if (value === undefined || value === null) {
      c2c.stop(`${step}: the response has no field ${readable}`);
    }
    const file = path.resolve(filename);
    fs.rmSync(file, { force: true });
    fs.writeFileSync(file, c2c.text(value), { mode: 0o600, flag: "wx" });
    process.stdout.write(`${description} written to ${filename}\n`);
  };
  c2c.summary = (created) => {
    for (const [type, name, id] of created) {
      const words = [type, ...(name === null ? [] : [name]), ...(id === null ? [] : [`(${id})`])];
      process.stdout.write(`created ${words.join(" ")}\n`);
    }
  };"""


@dataclass(frozen=True)
class FileRef:
    """A file the script reads at run time, by the path written in the .http file."""

    path: str


Segment = bytes | Var | FileRef


@dataclass
class _Collector:
    """What the steps need from the file as a whole: side files, variables, included files."""

    stem: str = STEM
    files: dict[str, bytes] = field(default_factory=dict)
    uses: dict[str, set[str]] = field(default_factory=dict)
    included: list[str] = field(default_factory=list)
    # Names earlier steps' responses have set (Var kind "extracted").
    extracted: set[str] = field(default_factory=set)

    def var(self, var: Var, where: str, use: str) -> None:
        if var.kind == "extracted":
            if var.name not in self.extracted:
                raise EmitError(f"{where}: extracted variable {var.name} is set by no earlier step")
            return
        if not VAR_NAME.fullmatch(var.name) or var.name in RESERVED_NAMES:
            raise EmitError(f"{where}: httpyac cannot use a variable named {var.name!r}")
        self.uses.setdefault(var.name, set()).add(use)

    def include(self, path: str) -> str:
        if path not in self.included:
            self.included.append(path)
        return path


# --- text shared by every context ----------------------------------------------------------


def js_string(text: str) -> str:
    """A JavaScript string literal for `text` in printable ASCII without braces (`{{ … }}`
    ends at the first `}}`) or angle brackets (a body line holding `<--->` is dropped)."""
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F and char not in "{}<>":
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            high, low = divmod(code - 0x10000, 0x400)
            out.append(f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}")
    return '"' + "".join(out) + '"'


def js_ref(var: Var, header: bool = False) -> str:
    """JavaScript for the variable's value: a value from a response is kept by the runtime (as
    text; in a header as its UTF-8 bytes, one character each: Node sends Latin-1), others are
    httpyac variables the prologue set."""
    if var.kind == "extracted":
        value = f"capture2code.values[{js_string(var.name)}]"
        return f'Buffer.from({value}).toString("latin1")' if header else value
    return f"$context.variables[{js_string(var.name)}]"


def _js_sum(terms: Iterable[str]) -> str:
    return " + ".join(terms) or '""'


def _as_str(piece: str | bytes) -> str:
    return piece.decode("utf-8", "surrogateescape") if isinstance(piece, bytes) else piece


def plain_ok(pieces: tuple[Piece, ...]) -> bool:
    """True when the pieces, written with `{{NAME}}` references, can never form `{{` or
    `\\{` — given values the prologue accepts (no `{{`, no `\\{`, not starting with `{`, not
    ending with `{` or `\\`)."""
    for index, piece in enumerate(pieces):
        if isinstance(piece, Var):
            if piece.kind == "extracted":
                return False  # a server's value may hold anything: only expressions carry it
            continue
        text = _as_str(piece)
        if "{{" in text or "\\{" in text:
            return False
        if index + 1 < len(pieces) and text.endswith(("{", "\\")):
            return False
        if index > 0 and text.startswith("{"):
            return False
    return True


def _with_refs(pieces: Iterable[Piece]) -> str:
    return "".join("{{" + p.name + "}}" if isinstance(p, Var) else _as_str(p) for p in pieces)


def _comment(text: str) -> list[str]:
    """`# text` lines with control characters escaped, never read as metadata (`# @x`)."""
    lines = []
    for line in text.split("\n"):
        line = "".join(
            repr(char)[1:-1] if not char.isprintable() and char != "\t" else char for char in line
        )
        if line.lstrip().startswith("@"):
            line = "\\" + line
        lines.append(f"# {line}" if line else "#")
    return lines


# --- URL -----------------------------------------------------------------------------------

ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*")
# WHATWG percent-encode sets (besides C0 controls and non-ASCII), as Node applies them.
PATH_ENCODED = frozenset(' "<>`{}')
QUERY_ENCODED = frozenset(" \"<>'")
SINGLE_DOT = frozenset({".", "%2e"})
DOUBLE_DOT = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})
# Private-use characters stand for variables while a target is emulated.
PLACEHOLDER = 0xE000


def _is_placeholder(char: str) -> bool:
    return PLACEHOLDER <= ord(char) < PLACEHOLDER + 0x100


def _percent(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogateescape"))


def _encode(text: str, encoded: frozenset[str]) -> str:
    return "".join(
        (
            _percent(char)
            if not _is_placeholder(char) and (char in encoded or not 0x20 <= ord(char) < 0x7F)
            else char
        )
        for char in text
    )


def whatwg_target(target: str) -> str:
    """The request target Node's WHATWG URL parser makes of `target` (path and query of an
    http(s) URL): fragment dropped, `\\` read as `/`, dot segments resolved, an empty query
    dropped, and the path and special-query percent-encode sets applied."""
    path, _, query = target.partition("#")[0].partition("?")
    segments = path.replace("\\", "/").split("/")[1:] if path else [""]
    out: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment.lower() in DOUBLE_DOT:
            if out:
                out.pop()
            if last:
                out.append("")
        elif segment.lower() in SINGLE_DOT:
            if last:
                out.append("")
        else:
            out.append(_encode(segment, PATH_ENCODED))
    query = _encode(query, QUERY_ENCODED)
    return "/" + "/".join(out) + ("?" + query if query else "")


def _malformed_percent(text: str) -> bool:
    """True when got's `decodeURI(url)` would throw: a `%` without two hex digits, or escapes
    that do not decode as UTF-8 (a variable placeholder may complete either)."""
    pending = b""
    chunks = re.split(r"(%[0-9A-Fa-f]{2})", text)
    for index, chunk in enumerate(chunks):
        if index % 2:
            pending += bytes([int(chunk[1:], 16)])
            continue
        if not chunk and index < len(chunks) - 1:
            continue  # between two escapes: one UTF-8 sequence goes on
        if not (chunk and _is_placeholder(chunk[0])):
            try:
                pending.decode("utf-8")
            except UnicodeDecodeError:
                return True
        pending = b""
        stray = chunk.find("%")
        if stray >= 0 and not any(_is_placeholder(c) for c in chunk[stray : stray + 3]):
            return True
    return False


def _split_origin(url: Text, where: str) -> tuple[Piece, tuple[Piece, ...]]:
    """The URL's origin (a leading variable, or a literal scheme://host) and its target."""
    first = url.pieces[0] if url.pieces else ""
    if isinstance(first, Var):
        return first, url.pieces[1:]
    origin = ORIGIN.match(first)
    if origin is None:
        raise EmitError(f"{where}: the URL {first!r} does not start with scheme://host")
    rest = first[origin.end() :]
    return origin.group(), (rest,) * bool(rest) + url.pieces[1:]


def _written_target(target: tuple[Piece, ...], where: str) -> tuple[Piece, ...]:
    """The target's pieces as written. Node percent-encodes braces in the path anyway, so they
    are written encoded; a `\\` before a brace in the query is written `%5C`, as httpyac would
    turn `\\{\\{a\\}\\}` into `{{a}}`; and the request line stays one line of UTF-8."""
    pieces: list[Piece] = []
    in_query = False
    for piece in target:
        if isinstance(piece, Var):
            pieces.append(piece)
            continue
        out = []
        for index, char in enumerate(piece):
            if ord(char) < 0x21 or ord(char) == 0x7F:
                raise EmitError(f"{where}: the URL holds {char!r}, which cannot be sent")
            in_query = in_query or char == "?"
            if (
                "\udc80" <= char <= "\udcff"  # a byte that is not UTF-8
                or char in "\u2028\u2029"
                or (not in_query and char in "{}")
                or (in_query and char == "\\" and piece[index + 1 : index + 2] in ("{", "}"))
            ):
                char = _percent(char)
            out.append(char)
        pieces.append("".join(out))
    return tuple(pieces)


def _placeholders(pieces: tuple[Piece, ...]) -> tuple[str, dict[str, str]]:
    """The pieces as one string with each variable as a private-use character, and a map
    back to `{{NAME}}`."""
    names: dict[str, str] = {}
    for piece in pieces:
        if isinstance(piece, Var) and "{{" + piece.name + "}}" not in names.values():
            names[chr(PLACEHOLDER + len(names))] = "{{" + piece.name + "}}"
    lookup = {ref: char for char, ref in names.items()}
    text = "".join(lookup["{{" + p.name + "}}"] if isinstance(p, Var) else p for p in pieces)
    return text, names


def url_text(url: Text, collector: _Collector, where: str) -> str:
    """The URL as written on the request line: `{{BASE_URL}}/path?query`, or one JavaScript
    expression where the plain text would form `{{` or `\\{`."""
    origin, target = _split_origin(url, where)
    written = (origin, *_written_target(target, where))
    if _malformed_percent(_placeholders(written[1:])[0]):
        raise EmitError(
            f"{where}: httpyac (got) refuses a URL whose %-escapes are not UTF-8: "
            + _with_refs(written)
        )
    if plain_ok(written):
        for var in url.vars:
            collector.var(var, where, "other")
        return _with_refs(written)
    for var in url.vars:
        collector.var(var, where, "other")
    terms = (js_ref(p) if isinstance(p, Var) else js_string(p) for p in written)
    return "{{ " + _js_sum(terms) + " }}"


def sent_target(url: Text, where: str) -> str:
    """The target httpyac sends for `url` (variables as `{{NAME}}`): as written, then as
    Node's WHATWG URL parser serializes it."""
    _, target = _split_origin(url, where)
    text, names = _placeholders(_written_target(target, where))
    sent = whatwg_target(text)
    for char, ref in names.items():
        sent = sent.replace(char, ref)
    return sent


def url_notes(url: Text, where: str) -> list[str]:
    """What httpyac sends instead of the captured target, if that differs."""
    sent = sent_target(url, where)
    captured = _with_refs(_split_origin(url, where)[1])
    if sent == captured:
        return []
    return [f"httpyac sends the target {sent} (WHATWG URL rules), not {captured}"]


# --- headers -------------------------------------------------------------------------------


def _check_header(name: str, value: Text, where: str) -> None:
    for piece in value.pieces:
        if isinstance(piece, Var):
            continue
        wire = piece.encode("utf-8", "surrogateescape")
        if re.search(rb"[\r\n\0]", wire):
            raise EmitError(f"{where}: header {name} holds CR, LF or NUL, which .http cannot send")
        if re.search(rb"[\x01-\x08\x0b-\x1f\x7f]", wire):
            raise EmitError(f"{where}: header {name} holds a control character Node refuses")


def _plain_header_value(name: str, value: Text) -> str | None:
    """The value as plain text after `Name:`, if httpyac would send that unchanged."""
    pieces = value.pieces
    if not plain_ok(pieces) or name.lower().endswith("clientcert"):
        return None
    literal = "".join(p for p in pieces if isinstance(p, str))
    if not literal.isascii():
        return None
    if not pieces and name.lower() in HTTPYAC_DEFAULTS:
        return None  # httpyac would put its default in place of an empty value
    first, last = (pieces[0], pieces[-1]) if pieces else ("", "")
    if isinstance(first, str) and first[:1] in (" ", "\t"):
        return None
    if isinstance(last, str) and last[-1:] in (" ", "\t", ","):
        return None
    if name.lower() == "authorization":
        if value.vars:
            scheme = re.match(r"[ \t]*(\S+)[ \t]", first) if isinstance(first, str) else None
            if scheme is None or scheme.group(1).lower() in AUTH_SCHEMES:
                return None
        elif any(rewrite.match(literal) for rewrite in AUTH_REWRITES):
            return None
    return _with_refs(pieces)


def header_lines(name: str, values: list[Text], collector: _Collector, where: str) -> list[str]:
    """The lines for every value of one header name (values are str Texts): `Name: value`
    each, or one `Name: {{ ["…", …] }}` (sent as given) where a plain value would change."""
    if not TOKEN.fullmatch(name):
        raise EmitError(f"{where}: {name!r} is not a valid header name")
    for value in values:
        _check_header(name, value, where)
        for var in value.vars:
            collector.var(var, where, "header")
    plain = [_plain_header_value(name, value) for value in values]
    if all(text is not None for text in plain):
        return [f"{name}: {text}".rstrip() for text in plain]
    items = (
        _js_sum(
            (
                js_ref(p, header=True)
                if isinstance(p, Var)
                else js_string(p.encode("utf-8", "surrogateescape").decode("latin1"))
            )
            for p in value.pieces
        )
        for value in values
    )
    return [f"{name}: {{{{ [{', '.join(items)}] }}}}"]


def _header_section(
    request: Request, extra: list[tuple[str, Text]], collector: _Collector, where: str
) -> tuple[list[str], list[str]]:
    """Header lines (all values of a name together, spelled as first captured) and notes."""
    groups: dict[str, tuple[str, list[Text]]] = {}
    for name, value in [*request.headers, *extra]:
        groups.setdefault(name.lower(), (name, []))[1].append(value.as_str())
    lines = [
        line
        for name, values in groups.values()
        for line in header_lines(name, values, collector, where)
    ]
    notes = []
    for name in request.options.get("omit_headers") or []:
        removable = CLIENT_HEADERS.get(name.lower())
        if name.lower() in groups or removable is None:
            continue
        if removable:
            lines.append(f"{name}: {{{{ [] }}}}")
        else:
            notes.append(f"httpyac (Node) sends a {name} header, which the capture omitted")
    return lines, notes


# --- bodies --------------------------------------------------------------------------------


def _mime(headers: list[str]) -> str | None:
    """The media type httpyac reads from the written header lines (when there is one value)."""
    found = [line.partition(":")[2] for line in headers if line.lower().startswith("content-type:")]
    return found[0].split(";")[0].strip() if len(found) == 1 else None


def _inline_body(body: Text, mime: str | None) -> list[str] | None:
    """The body's lines (variables as `{{NAME}}`) if httpyac would send them as written."""
    if not plain_ok(body.pieces):
        return None
    if mime in ("multipart/form-data", "multipart/mixed", "application/x-ndjson"):
        return None  # lines joined with CRLF, a region delimiter, an added newline
    try:
        text = "".join(
            "{{" + p.name + "}}" if isinstance(p, Var) else p.decode("utf-8") for p in body.pieces
        )
    except UnicodeDecodeError:
        return None
    if mime == "application/x-www-form-urlencoded" and (
        body.vars or not FORM_UNCHANGED.fullmatch(text.encode("utf-8"))
    ):
        return None  # httpyac trims, joins and re-encodes form bodies
    lines = text.split("\n")
    if "\r" in text or BLANK_LINE.fullmatch(lines[0]) or BLANK_LINE.fullmatch(lines[-1]):
        return None
    if any(hazard.search(line) for line in lines for hazard in BODY_LINE_HAZARDS):
        return None
    return lines


def _js_buffers(segments: Iterable[Segment], collector: _Collector, where: str) -> str:
    """`{{ Buffer.concat([…]) }}` building exactly the segments' bytes: httpyac sends a
    Buffer as it is (no form re-encoding, no second `{{` scan)."""
    terms = []
    for segment in segments:
        if isinstance(segment, Var):
            collector.var(segment, where, "other")
            terms.append(f"Buffer.from({js_ref(segment)})")
        elif isinstance(segment, FileRef):
            path = js_string(collector.include(segment.path))
            terms.append(f'require("fs").readFileSync(require("path").resolve(__dirname, {path}))')
        elif segment:
            terms.append(f'Buffer.from({js_string(segment.decode("latin1"))}, "latin1")')
    return "{{ Buffer.concat([" + ", ".join(terms) + "]) }}"


def body_lines(
    body: Text, mime: str | None, collector: _Collector, side: str, where: str
) -> list[str]:
    """The lines after the blank line that send `body` (a bytes Text) exactly: the text
    itself, a `< ./side` include of a side file, or a Buffer expression."""
    lines = _inline_body(body, mime)
    if lines is not None:
        for var in body.vars:
            collector.var(var, where, "other")
        return lines
    if body.is_literal and mime != "application/x-www-form-urlencoded":
        collector.files[side] = body.literal_bytes()
        return ["< " + collector.include("./" + side)]
    return [_js_buffers(body.pieces, collector, where)]


def _quoted(text: str) -> str:
    """A Content-Disposition parameter as curl writes it: `"`, CR and LF percent-encoded."""
    return '"' + text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A") + '"'


def _part_head(part: FormPart, boundary: str, where: str) -> list[str]:
    filename = part.filename
    if filename is None and part.file is not None:
        filename = posixpath.basename(part.file)  # what curl sends for `-F name=@path`
    disposition = f"form-data; name={_quoted(part.name)}"
    if filename is not None:
        disposition += f"; filename={_quoted(filename)}"
    head = [f"--{boundary}", f"Content-Disposition: {disposition}"]
    if part.type is not None:
        if re.search(r"[\r\n\0]", part.type):
            raise EmitError(f"{where}: multipart part {part.name!r}'s type holds CR, LF or NUL")
        head.append(f"Content-Type: {part.type}")
    return [*head, ""]


def _include_path(path: str) -> str | None:
    """`path` as written after `< ` (httpyac trims it and evaluates `{{` in it), if it can be."""
    if path != path.strip() or "\n" in path or "\r" in path or not plain_ok((path,)):
        return None
    return path if path.startswith(("/", "./", "../")) else "./" + path


def boundary_for(body: Multipart) -> str:
    """A boundary that occurs in no inline value (files cannot be checked: it is long)."""
    values = [p.value.as_bytes() for p in body.parts if p.value is not None]
    data = b"\0".join(p for v in values for p in v.pieces if isinstance(p, bytes))
    boundary = BOUNDARY
    while boundary.encode() in data:
        boundary += "x"
    return boundary


def multipart_lines(
    body: Multipart, boundary: str, plain: bool, collector: _Collector, step: int, where: str
) -> list[str]:
    """The multipart body in JetBrains syntax: `--boundary` parts, a file part as `< ./path`
    and a value a line cannot hold from a side file (httpyac joins the lines with CRLF).
    Where the part headers cannot be written so (or `plain` is false: a media type other
    than multipart/form-data), one Buffer expression of the same bytes."""
    lines: list[str] = []
    heads: list[str] = [f"--{boundary}--"]
    segments: list[Segment] = []
    includes: list[str] = []
    files: dict[str, bytes] = {}
    for number, part in enumerate(body.parts, start=1):
        head = _part_head(part, boundary, where)
        heads += head
        lines += head
        segments.append("\r\n".join(head).encode("utf-8", "surrogateescape") + b"\r\n")
        value = (part.value or Text()).as_bytes()
        inline = _inline_body(value, None) if value else [""]
        if part.file is not None:
            segments.append(FileRef(part.file))
            include = _include_path(part.file)
            plain = plain and include is not None
            includes.append(include or "")
            lines.append(f"< {include}")
        elif inline is not None and len(inline) == 1:
            segments += value.pieces
            lines += inline
        elif value.is_literal:
            segments.append(value.literal_bytes())
            side = f"{collector.stem}.step{step}.part{number}"
            files[side] = value.literal_bytes()
            includes.append(f"./{side}")
            lines.append(f"< ./{side}")
        else:
            segments += value.pieces
            plain = False
        segments.append(b"\r\n")
    segments.append(f"--{boundary}--".encode())
    lines.append(f"--{boundary}--")
    if not plain or not all(
        plain_ok((line,))
        and not any(hazard.search(line) for hazard in BODY_LINE_HAZARDS)
        and not re.search("[\udc80-\udcff]", line)  # a byte that is not UTF-8
        for line in heads
    ):
        return [_js_buffers(_joined(segments), collector, where)]
    collector.files.update(files)
    for include in includes:
        collector.include(include)
    for part in body.parts:
        for var in part.value.vars if part.value is not None else ():
            collector.var(var, where, "other")
    return lines


def _joined(segments: list[Segment]) -> list[Segment]:
    """Adjacent bytes segments as one."""
    out: list[Segment] = []
    for segment in segments:
        if isinstance(segment, bytes) and out and isinstance(out[-1], bytes):
            out[-1] += segment
        else:
            out.append(segment)
    return out


# --- the file --------------------------------------------------------------------------------


def emit(plan: Plan) -> Emitted:
    collector = _Collector(Path(plan.output_name).stem if plan.output_name else STEM)
    # The summary goes at the end of the last step that sends a request.
    last = max((n for n, step in enumerate(plan.steps, 1) if step.skip is None), default=0)
    steps = [
        _step(plan, number, step, collector, number == last)
        for number, step in enumerate(plan.steps, start=1)
    ]
    if any(step.wait is not None for step in plan.steps):
        for name, _, _ in WAIT_VARS:
            collector.uses.setdefault(name, {"other"})
    lines = [*_header(plan, collector), *_prologue(plan, collector)]
    for step in steps:
        lines += ["", "###", *step]
    return Emitted("\n".join(lines) + "\n", collector.files)


def _step(plan: Plan, number: int, step: Step, collector: _Collector, last: bool) -> list[str]:
    where = f"step {number} ({step.title})"
    lines = _comment(f"Step {number}: {step.title}")
    if step.skip is not None:
        return lines + _comment(f"skipped: {step.skip}")
    for extraction in step.extracts:
        if extraction.derive is not None and extraction.derive not in JS_DERIVATIONS:
            raise EmitError(f"{where}: unknown derivation {extraction.derive!r}")
    lines += [line for text in _step_facts(step) for line in _comment(text)]
    request = step.record.request
    method = request.method
    if not TOKEN.fullmatch(method):
        raise EmitError(f"{where}: {method!r} is not a valid HTTP method")
    url = url_text(request.url, collector, where)
    headers, content, header_notes = _headers_and_body(number, request, collector, where)
    notes = [*step.notes, *url_notes(request.url, where), *_method_notes(request), *header_notes]
    for note in notes:
        lines += _comment(f"note: {note}")
    lines += _metadata(request.options)
    lines.append(f"# @timeout {REQUEST_TIMEOUT_MS}")
    if plan.mode == "provision":
        lines.append("# @noLog")  # responses can hold secrets
    if step.wait is not None:
        lines.append(f"# @loop while capture2code.again({number})")
    script = _request_script(method, request.options)
    if script:
        lines += ["{{@request", *(f"  {line}" for line in script), "}}"]
    collector.extracted.update(extraction.var for extraction in step.extracts)
    response = _response_script(number, step) + (_summary(plan, collector) if last else [])
    lines += ["{{@response", *(f"  {line}" for line in response), "}}"]
    lines.append(f"{method if method in LINE_METHODS else 'GET'} {url}")
    lines += headers
    if content:
        lines += ["", *content]
    return lines


def _comment_text(text: Text) -> str:
    return "".join("{" + p.name + "}" if isinstance(p, Var) else _as_str(p) for p in text)


def _step_facts(step: Step) -> list[str]:
    """What the step's comment says besides its title: values it sets, waits, files, objects."""
    facts = []
    for extraction in step.extracts:
        source = f"header {extraction.header}" if extraction.header else path_text(extraction.path)
        derived = f", {DERIVATIONS[extraction.derive]}" if extraction.derive else ""
        note = f": {extraction.note}" if extraction.note else ""
        facts.append(f"sets {extraction.var}{note} (from {source}{derived})")
    if step.wait is not None:
        facts.append(
            f"waits until the response has {path_text(step.wait.path)}"
            " (WAIT_TIMEOUT, WAIT_INTERVAL)"
        )
    for saved in step.saves:
        facts.append(f"saves {saved.description} to {saved.filename} (mode 0600)")
    if step.creates is not None:
        name = f" {_comment_text(step.creates.name)}" if step.creates.name else ""
        facts.append(f"creates {step.creates.type}{name}")
    return facts


def _js_path(path: tuple[str | int, ...]) -> str:
    return "[" + ", ".join(str(k) if isinstance(k, int) else js_string(k) for k in path) + "]"


def _response_script(number: int, step: Step) -> list[str]:
    """The step's response script: stop on an error status, wait, extract, save."""
    where = f"step {number} ({step.title})"
    params = sorted({var.name for var in record_vars(step.record) if var.kind == "param"})
    lines = [
        f"const step = {js_string(where)};",
        f"capture2code.check(response, step, [{', '.join(map(js_string, params))}]);",
    ]
    if step.wait is not None:
        path = step.wait.path
        ready = f"{number}, step, {_js_path(path)}, {js_string(path_text(path))}"
        lines += [f"if (!capture2code.ready(response, {ready})) {{", "  return;", "}"]
    for extraction in step.extracts:
        args = [
            js_string(extraction.var),
            _js_path(extraction.path),
            js_string(path_text(extraction.path)),
            "null" if extraction.header is None else js_string(extraction.header),
            "null" if extraction.derive is None else js_string(extraction.derive),
        ]
        lines.append(f"capture2code.extract(response, step, {', '.join(args)});")
    for saved in step.saves:
        args = [
            _js_path(saved.path),
            js_string(path_text(saved.path)),
            js_string(saved.filename),
            js_string(saved.description),
        ]
        lines.append(f"capture2code.save(response, step, {', '.join(args)});")
    return lines


def _summary(plan: Plan, collector: _Collector) -> list[str]:
    """The lines the last step's response script ends with: what the run created."""
    rows = []
    for step in plan.steps:
        created = step.creates
        if created is None or step.skip is not None:
            continue
        where = f"the summary of {step.title}"
        for var in created.name.vars if created.name else ():
            collector.var(var, where, "other")
        if created.id_var is not None and created.id_var not in collector.extracted:
            raise EmitError(f"{where}: no step sets {created.id_var}")
        terms = (js_ref(p) if isinstance(p, Var) else js_string(p) for p in created.name or ())
        name = _js_sum(terms) if created.name else "null"
        ident = "null" if created.id_var is None else js_ref(Var(created.id_var, "extracted"))
        rows.append(f"  [{js_string(created.type)}, {name}, {ident}],")
    return ["capture2code.summary([", *rows, "]);"] if rows else []


def _headers_and_body(
    number: int, request: Request, collector: _Collector, where: str
) -> tuple[list[str], list[str], list[str]]:
    """The header lines, the body lines and notes about the headers."""
    body = request.body
    if isinstance(body, Multipart):
        mime = _multipart_mime(request)
        boundary = boundary_for(body)
        # The captured type and length name curl's boundary; ours replace them.
        own = _without_headers(request, {"content-type", "content-length"})
        ctype = ("Content-Type", Text.of(f"{mime}; boundary={boundary}"))
        headers, notes = _header_section(own, [ctype], collector, where)
        plain = mime == "multipart/form-data"
        return headers, multipart_lines(body, boundary, plain, collector, number, where), notes
    headers, notes = _header_section(request, [], collector, where)
    if not body:
        return headers, [], notes
    if request.method.upper() in GOT_BODYLESS:
        raise EmitError(f"{where}: httpyac (got) cannot send a {request.method} with a body")
    side = f"{collector.stem}.step{number}.body"
    return headers, body_lines(body.as_bytes(), _mime(headers), collector, side, where), notes


def _method_notes(request: Request) -> list[str]:
    method = request.method.upper()
    notes = []
    if request.method != method:
        notes.append(f"httpyac (got) sends the method in upper case: {method}")
    if not request.body and method not in NO_BODY_METHODS:
        notes.append(f"Node adds Content-Length: 0 to a {method} without a body")
    return notes


def _multipart_mime(request: Request) -> str:
    """The captured multipart media type, if the request gave one, else multipart/form-data."""
    given = request.header("content-type")
    mime = given.as_str().literal_str().split(";")[0].strip() if given and given.is_literal else ""
    return mime if mime.lower().startswith("multipart/") else "multipart/form-data"


def _without_headers(request: Request, names: set[str]) -> Request:
    headers = [(name, value) for name, value in request.headers if name.lower() not in names]
    return Request(request.method, request.url, headers, request.body, options=request.options)


def _metadata(options: dict[str, object]) -> list[str]:
    # Cookies go as captured: httpyac's cookie jar would otherwise parse the Cookie header
    # as a Set-Cookie line (keeping only the first cookie) and add cookies of responses.
    lines = ["# @no-cookie-jar"]
    if not options.get("follow_redirects"):
        lines.append("# @no-redirect")
    if options.get("insecure"):
        lines.append("# @no-reject-unauthorized")
    return lines


def _request_script(method: str, options: dict[str, object]) -> list[str]:
    """JavaScript for what the request line and metadata cannot say."""
    script = []
    if method not in LINE_METHODS:
        script.append(f"request.method = {js_string(method)};")
    limit = options.get("max_redirects")
    if options.get("follow_redirects") and isinstance(limit, int) and limit != GOT_MAX_REDIRECTS:
        bound = "Infinity" if limit < 0 else str(limit)  # curl's -1 is "no limit"
        script.append(f"request.options = {{ ...request.options, maxRedirects: {bound} }};")
    return script


def _header(plan: Plan, collector: _Collector) -> list[str]:
    count = sum(step.skip is None for step in plan.steps)
    run = f"npx httpyac@{HTTPYAC_VERSION} send {plan.output_name or STEM + '.http'} --all --bail"
    required = [name for name in collector.uses if _default(plan, name) is None]
    lines = [
        f"capture2code: {count} request(s) in JetBrains HTTP Client syntax, run with httpyac.",
        *plan.header,
    ]
    if not plan.redacted:
        lines.append("WARNING: made with --no-redact: captured secrets are written in this file.")
    lines += [
        "",
        "Run it (side files and `< ./file` paths are relative to this file's directory):",
        "  " + run + "".join(f" --var {_source(plan, name)}=..." for name in required),
        "or with the variables in the environment, e.g. from the env file:",
        f"  set -a; . ./.env; set +a; {run}",
        "or from http-client.private.env.json beside this file (written by --env-file):",
        f"  {run} --env {HTTP_CLIENT_ENVIRONMENT}",
    ]
    if collector.uses:
        lines.append("Variables (the environment wins, then --var, .env, http-client.env.json):")
    for name in collector.uses:
        var = plan.env_var(name)
        default = _default(plan, name)
        state = "required" if default is None else f"default: {default}"
        encoded = ", base64-encoded" if var is not None and var.base64 else ""
        lines.append(f"  {_source(plan, name)}: {_description(plan, name)}{encoded} ({state})")
    params = [param.name for param in plan.params if param.name in collector.uses]
    if params:
        lines += [
            "Parameters: values this script creates objects with; choose your own, e.g.",
            "  " + run + "".join(f" --var {name}=..." for name in params),
        ]
    if plan.mode == "provision":
        lines += [
            "Responses are not printed (they can hold secrets); the run ends with a list of what",
            "it created. Each request may take 60 seconds; an HTTP status of 400 or more stops it.",
        ]
    lines += [
        "httpyac sends header names in lower case and in its own order, and adds",
        "accept: */*, user-agent: httpyac and accept-encoding unless the request sets them.",
    ]
    return [line for text in lines for line in _comment(text)]


def _param(plan: Plan, name: str) -> Param | None:
    return next((param for param in plan.params if param.name == name), None)


def _default(plan: Plan, name: str) -> str | None:
    var, param = plan.env_var(name), _param(plan, name)
    wait = {wait_name: default for wait_name, default, _ in WAIT_VARS}
    if var is not None:
        return var.default
    return param.default if param is not None else wait.get(name)


def _description(plan: Plan, name: str) -> str:
    var, param = plan.env_var(name), _param(plan, name)
    wait = {wait_name: description for wait_name, _, description in WAIT_VARS}
    if var is not None and var.description:
        return var.description
    if param is not None:
        return f"{param.description}; parameter {param.option}"
    return wait.get(name, name)


def _source(plan: Plan, name: str) -> str:
    var = plan.env_var(name)
    return f"{name}_B64" if var is not None and var.base64 else name


def _prologue(plan: Plan, collector: _Collector) -> list[str]:
    """The global script that resolves and checks variables and files before any request, and
    defines what the steps' response scripts call."""
    rows = []
    for name, uses in collector.uses.items():
        default = _default(plan, name)
        if default is not None and UNSAFE_VALUE.search(default):
            raise EmitError(f"the default of {name} holds '{{{{' or '\\{{', which httpyac reads")
        var = plan.env_var(name)
        use = "both" if len(uses) > 1 else next(iter(uses))
        fields = [
            js_string(name),
            "null" if default is None else js_string(default),
            "true" if var is not None and var.base64 else "false",
            js_string(use),
        ]
        rows.append(f"    [{', '.join(fields)}],")
    files = ", ".join(js_string(path) for path in collector.included)
    text = PROLOGUE % {"variables": "\n".join(rows), "files": files, "runtime": RUNTIME}
    return ["", *text.split("\n")]
