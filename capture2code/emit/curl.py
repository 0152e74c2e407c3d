"""A bash script of curl calls: one `curl` per step, every value a single bash word.

Every literal goes through `bash_word`, the one escaping function for bash words; a
variable becomes a `"${NAME}"` reference next to the quoted literal pieces. Facts about
curl 7.88.1 that shape the calls (checked against the real curl by tests/emit/test_curl.py):

- Even with `--path-as-is --globoff`, curl percent-encodes bytes >= 0x80 in the path
  (not in the query), drops everything from `#`, and refuses spaces and control bytes;
  `--request-target` sends a target verbatim, but curl reuses it after a redirect.
- `-H 'Name: value'` sends the value verbatim; a value that is empty or only blanks
  removes the header, so an empty header is `-H 'Name;'`; CR or LF inside a value start
  a new header line. A given `Host`, `Content-Length` or `User-Agent` replaces curl's.
- `--data-raw` sends its argument exactly (no `@file`, no CR/LF stripping) and adds
  `Content-Type: application/x-www-form-urlencoded`; one argument is at most 128 KiB
  (Linux MAX_ARG_STRLEN), and `@<(…)` reads a whole process substitution first, so
  Content-Length stays exact. Bodies over 1 MiB get `Expect: 100-continue`.
- `--head` is the only HEAD that does not wait for a response body; a HEAD with a body
  would need `-X HEAD`, which hangs waiting for a body the server never sends: refused.
- `-F` parts from a pipe are sent chunked, so multipart content comes from real files or
  from the argument itself; inside `-F`, `"…"` quotes a value (`\\` and `\"` escaped).

Every call writes the body to a scratch file and the status to `status`; `--fail-with-body`
makes an HTTP error fail the call, and the script's `failed` function then names the step,
its status and the server's message. Values later steps need are read from that file with
`jq` (paths built by `jq_filter`), and derived forms with bash expansions, so a value from
the server is only ever data in a variable. Faithful scripts print each response; scripts
in provision mode print only the files they write and, at the end, what they created.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable

from capture2code.emit import EmitError, Emitted
from capture2code.plan import (
    DERIVATIONS,
    EnvVar,
    Extraction,
    JsonPath,
    Param,
    Plan,
    SavedSecret,
    Step,
)
from capture2code.plan import path_text as plan_path_text
from capture2code.record import FormPart, Multipart, Request, record_vars
from capture2code.template import VAR_NAME, Text, Var

# Characters that never need quoting in a bash word: no globs, braces, tilde, quotes,
# expansions, separators or whitespace.
_BARE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
# Unicode categories a reader cannot see (controls, format marks such as bidi overrides,
# surrogates that stand for invalid UTF-8, unassigned, separators): written as escapes.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")
# Characters kept in the `: "${NAME:?message}"` text; inside that expansion bash still
# parses quotes and `$`, so anything else is dropped from the message.
_MESSAGE_UNSAFE = re.compile(r"[^A-Za-z0-9 _.,;:/()+=@%-]")
# Longest literal body sent as one argument; longer ones are streamed (argv limit 128 KiB).
_ARGUMENT_LIMIT = 64 * 1024
# curl 7.88 adds `Expect: 100-continue` to bodies over 1 MiB.
_EXPECT_THRESHOLD = 1024 * 1024
# What curl counts as blank in a header value (C isspace).
_CURL_SPACE = " \t\n\v\f\r"
_CURL = "curl -q -sS --fail-with-body --path-as-is --globoff"
_MAX_TIME = 300
_LIMITS = f"--connect-timeout 30 --max-time {_MAX_TIME}"
# The body goes to a file and the status to `status`, for `failed` and the readers below.
_CAPTURE = "-o \"$scratch/body\" -w '%{http_code}'"
_DUMP_HEADERS = '-D "$scratch/headers"'
_FLAGS = (
    ("insecure", "--insecure"),
    ("follow_redirects", "--location"),
    ("compressed", "--compressed"),
)
# Names the script's own code uses: a plan variable of the same name would overwrite them.
_RESERVED = frozenset(
    {
        "status",
        "field",
        "scratch",
        "deadline",
        "wait_fraction",
        "WAIT_TIMEOUT",
        "WAIT_TIMEOUT_US",
        "WAIT_INTERVAL",
        "EPOCHREALTIME",
        "SECONDS",
    }
    | {"IFS", "PATH"}
)
# Each derived form of an extracted value (plan.DERIVATIONS) as a bash expansion of `field`:
# `${v/p/r}` replaces the first match, `${v##*[:/]}` drops up to the last ':' or '/'.
_DERIVED: dict[str | None, str] = {
    None: "$field",
    "colon_to_slash": "${field/:/\\/}",
    "slash_to_colon": "${field/\\//:}",
    "name": "${field##*[:/]}",
}
_JQ_CHECK = """\
if ! command -v jq >/dev/null; then
  echo "error: this script needs jq to read the responses: install jq" >&2
  exit 1
fi"""
_WAIT_PARAMS = [
    ("WAIT_TIMEOUT", "seconds to wait for a step's result", "600"),
    ("WAIT_INTERVAL", "seconds between tries while waiting", "5"),
]
# Both values go into arithmetic or `sleep`: anything but a number stops the script.
_WAIT_SETTINGS = """\
WAIT_TIMEOUT=${WAIT_TIMEOUT:-600}
WAIT_INTERVAL=${WAIT_INTERVAL:-5}
if [[ ! $WAIT_TIMEOUT =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  echo "error: WAIT_TIMEOUT must be a number of seconds" >&2
  exit 1
fi
if [[ ! $WAIT_INTERVAL =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  echo "error: WAIT_INTERVAL must be a number of seconds" >&2
  exit 1
fi
# WAIT_TIMEOUT in microseconds: deadlines are kept with EPOCHREALTIME (bash 5), since
# SECONDS ticks on whole wall-clock seconds and would end a short wait early.
wait_fraction=
[[ $WAIT_TIMEOUT == *.* ]] && wait_fraction=${WAIT_TIMEOUT#*.}
wait_fraction=${wait_fraction}000000
WAIT_TIMEOUT_US=$((10#${WAIT_TIMEOUT%.*} * 1000000 + 10#${wait_fraction:0:6}))"""
_SHOW_BODY = 'cat "$scratch/body"'
_SHOW_ERROR = '  cat "$scratch/body"\n'
_SCRATCH = """\
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT"""
# {show}: faithful scripts print the error response's body, as `curl --fail-with-body` does.
_FAILED = """\
# Stops the script after the request of step $1 failed with curl exit code $2, naming the
# HTTP status and the server's message; on a conflict (409), $3 names the values to change.
failed() {
  local message
  if [[ $status == 000 || $status -lt 400 ]]; then
    echo "error: $1: the request failed (curl exit code $2)" >&2
    exit 1
  fi
{show}
  message=$(jq -r '.message // empty | strings // tojson' "$scratch/body" 2>/dev/null) ||
    message=
  if [[ -z $message ]]; then
    message=$(head -c 1200 "$scratch/body" | tr -d '\\0')
    message=${message:0:300}
  fi
  echo "error: $1: HTTP $status: $message" >&2
  if [[ $status == 409 && -n $3 ]]; then
    echo "already exists? choose another value: $3" >&2
  fi
  exit 1
}"""
_HELPERS = {
    "read_field": """\
# Sets `field` to the value at jq path $2 in the response (a string as is, anything else as
# JSON text); stops the script when step $1's response has none ($3 names the path).
read_field() {
  field=$(jq -j "($2"' | if type == "string" then . elif . == null then error("missing")
    else tojson end | if explode | any(. == 0) then error("NUL byte") else . end), "."' \\
    "$scratch/body" 2>/dev/null) || {
    echo "error: $1: the response has no field $3" >&2
    exit 1
  }
  field=${field%.}
}""",
    "read_header": """\
# Sets `field` to the value of header $2 in the last response of step $1 (of the last
# header of that name); stops the script when there is none.
read_header() {
  local line found=
  shopt -s nocasematch # header names are case-insensitive
  while IFS= read -r line; do
    line=${line%$'\\r'}
    if [[ $line == HTTP/* ]]; then
      found=
    elif [[ $line == *:* && ${line%%:*} == "$2" ]]; then
      IFS=$' \\t' read -r field <<<"${line#*:}"
      found=1
    fi
  done <"$scratch/headers"
  shopt -u nocasematch
  if [[ -z $found ]]; then
    echo "error: $1: the response has no header $2" >&2
    exit 1
  fi
}""",
    "one_line": """\
# Stops the script when variable $2, which goes into a header of step $1, holds a line
# break: curl would send the rest as another header.
one_line() {
  if [[ ${!2} == *[$'\\r\\n']* ]]; then
    echo "error: $1: $2 has a line break, which a header cannot carry" >&2
    exit 1
  fi
}""",
    "wait": """\
# Whether the response has a value at jq path $1: not missing, null, "", [] or {}.
has_value() {
  jq -e "$1"' | . != null and . != "" and . != [] and . != {}' "$scratch/body" >/dev/null 2>&1
}

# Sleeps WAIT_INTERVAL seconds before step $1 is sent again, or stops the script when the
# deadline $3 has passed without a value at $2.
keep_waiting() {
  if ((${EPOCHREALTIME/[.,]/} >= $3)); then
    echo "error: $1: no $2 in the response after waiting $WAIT_TIMEOUT seconds" \\
      "(set WAIT_TIMEOUT)" >&2
    exit 1
  fi
  sleep "$WAIT_INTERVAL"
}""",
    "save_secret": """\
# Writes `field` to file $1, created readable only by the user (never printed); says so
# with the description $2.
save_secret() {
  rm -f -- "$1"
  (umask 077 && set -C && printf '%s' "$field" >"$1")
  printf '%s written to %s\\n' "$2" "$1"
}""",
}


# --- bash words -------------------------------------------------------------------------


def _visible(char: str) -> bool:
    return char == " " or unicodedata.category(char) not in _HIDDEN


def _kind(char: str) -> str:
    if char == "'":
        return "quote"
    return "plain" if char in "\n\t" or _visible(char) else "escape"


def _render_run(kind: str, run: str) -> str:
    if kind == "quote":
        return "\\'" * len(run)
    if kind == "plain":
        return f"'{run}'"
    data = run.encode("utf-8", "surrogateescape")
    return "$'" + "".join(f"\\x{byte:02x}" for byte in data) + "'"


def bash_word(value: str | bytes, *, bare: bool = True) -> str:
    """One bash word that expands to exactly these bytes (str: UTF-8, surrogateescape).

    Visible text goes in single quotes, `'` as `\\'`, and invisible or invalid bytes as
    `$'\\xHH'`, so the word is data in any locale. With `bare`, a word of only safe
    characters is left unquoted. A NUL byte cannot be in a bash word: ValueError.
    """
    data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
    if b"\0" in data:
        raise ValueError("a bash word cannot hold a NUL byte")
    text = data.decode("utf-8", "surrogateescape")
    if not text:
        return "''"
    if bare and _BARE.fullmatch(text):
        return text
    return "".join(_render_run(kind, "".join(run)) for kind, run in itertools.groupby(text, _kind))


def _shown(text: str) -> str:
    """`text` on one line: line breaks and invisible characters as Python escapes."""
    return "".join(c if _visible(c) else c.encode("unicode_escape").decode("ascii") for c in text)


def comment(text: str) -> str:
    """A bash comment line showing `text`; line breaks and invisible characters escaped."""
    return f"# {_shown(text)}".rstrip()


def message_word(text: str) -> str:
    """A bash word for a message the script prints: `text` as `comment` shows it."""
    return bash_word(_shown(text))


# --- variables --------------------------------------------------------------------------


def _shell_name(var: Var, plan: Plan) -> str:
    return f"{var.name}_B64" if _is_base64(var, plan) else var.name


def _check_name(name: str, where: str) -> None:
    if not VAR_NAME.fullmatch(name):
        raise EmitError(f"{where}: {name!r} is not a valid environment variable name")
    if name in _RESERVED:
        raise EmitError(f"{where}: the variable name {name} is one the script uses itself")


def _is_base64(var: Var, plan: Plan) -> bool:
    env = plan.env_var(var.name)
    return var.kind == "env" and env is not None and env.base64


def _word(text: Text, plan: Plan, where: str) -> str:
    """A bash word for a Text: quoted literal pieces joined with `"${NAME}"` references."""
    words = []
    for piece in text:
        if isinstance(piece, Var):
            _check_name(piece.name, where)
            if _is_base64(piece, plan):
                raise EmitError(
                    f"{where}: variable {piece.name} holds NUL bytes, which only a body can carry"
                )
            words.append(f'"${{{piece.name}}}"')
        elif ("\0" if isinstance(piece, str) else b"\0") in piece:
            raise EmitError(f"{where}: a NUL byte cannot be passed to curl here")
        else:
            words.append(bash_word(piece, bare=False))
    return "".join(words) or "''"


def _literal_word(value: str, where: str) -> str:
    try:
        return bash_word(value)
    except ValueError:
        raise EmitError(f"{where}: a NUL byte cannot be in {value!r}") from None


def _step_vars(step: Step) -> set[Var]:
    named = step.creates.name if step.creates and step.creates.name else Text()
    return record_vars(step.record) | set(named.vars)


def _check_sources(plan: Plan) -> None:
    """Every param Var has its Param; every extracted Var is set by an earlier sent step (or,
    in the summary of what a step creates, by that step)."""
    params = {param.name for param in plan.params}
    extracted: set[str] = set()

    def check(variables: Iterable[Var], where: str) -> None:
        for var in sorted(variables, key=lambda var: var.name):
            if var.kind == "param" and var.name not in params:
                raise EmitError(f"{where}: parameter {var.name} is not among the plan's params")
            if var.kind == "extracted" and var.name not in extracted:
                raise EmitError(
                    f"{where}: variable {var.name} is 'extracted' but no earlier step sets it"
                )

    for number, step in enumerate(plan.steps, 1):
        if step.skip:
            continue
        where = f"step {number} ({step.title})"
        check(record_vars(step.record), where)
        for extraction in step.extracts:
            _check_name(extraction.var, where)
            if extraction.derive not in _DERIVED:
                raise EmitError(
                    f"{where}: unknown derived form {extraction.derive!r} of {extraction.var}"
                )
        extracted |= {extraction.var for extraction in step.extracts}
        if step.creates is not None:
            named = step.creates.name.vars if step.creates.name else ()
            id_var = step.creates.id_var
            check([*named, *([Var(id_var, "extracted")] if id_var else [])], where)


def _used_vars(plan: Plan, kind: str) -> list[Var]:
    """Vars of one kind that the sent steps refer to: plan order first, then by name."""
    used = {
        var for step in plan.steps if not step.skip for var in _step_vars(step) if var.kind == kind
    }
    declared = [*plan.env] if kind == "env" else [*plan.params]
    order = {item.name: index for index, item in enumerate(declared)}
    return sorted(used, key=lambda var: (order.get(var.name, len(order)), var.name))


def _params(plan: Plan) -> list[Param]:
    used = {var.name for var in _used_vars(plan, "param")}
    return [param for param in plan.params if param.name in used]


def _message(description: str) -> str:
    return " ".join(_MESSAGE_UNSAFE.sub("", description).split())


def _env_line(var: Var, plan: Plan) -> str:
    _check_name(var.name, "environment")
    env = plan.env_var(var.name) or EnvVar(var.name)
    name = _shell_name(var, plan)
    if env.default is not None:
        default = env.default
        if env.base64:
            default = base64.b64encode(default.encode("utf-8", "surrogateescape")).decode()
        elif "\0" in default:
            raise EmitError(f"the default of {name} holds a NUL byte; mark it base64")
        return f"{name}=${{{name}:-{bash_word(default)}}}"
    description = _message(env.description)
    hint = f"set {name} ({description})" if description else f"set {name}"
    return f': "${{{name}:?{hint}}}"'


def _param_line(param: Param) -> str:
    _check_name(param.name, "parameters")
    default = _literal_word(param.default, f"the default of parameter {param.name}")
    return f"{param.name}=${{{param.name}:-{default}}}"


def _needs_jq(plan: Plan) -> bool:
    """Whether the script reads JSON responses (header values need no jq)."""
    return any(
        s.wait or s.saves or any(e.header is None for e in s.extracts)
        for s in plan.steps
        if not s.skip
    )


def _waits(plan: Plan) -> bool:
    return any(step.wait for step in plan.steps if not step.skip)


def _settings(plan: Plan) -> list[str]:
    """Lines that check and set every value the script reads, before any request."""
    lines = [_JQ_CHECK] if _needs_jq(plan) else []
    lines += [_env_line(var, plan) for var in _used_vars(plan, "env")]
    lines += [_param_line(param) for param in _params(plan)]
    if _waits(plan):
        lines.append(_WAIT_SETTINGS)
    return lines


def _header_comment(plan: Plan) -> list[str]:
    lines = [comment(line) for line in plan.header]
    if not plan.redacted:
        lines.append("# Secrets are written into this script (--no-redact): keep it private.")
    # only what the steps use: secrets found in responses alone are not the script's to read
    listed = [plan.env_var(v.name) or EnvVar(v.name) for v in _used_vars(plan, "env")]
    if listed:
        lines += ["#", "# Environment variables:"]
    for env in listed:
        name = f"{env.name}_B64" if env.base64 else env.name
        facts = [env.description or "required"]
        if env.base64:
            facts.append("base64-encoded, the value holds NUL bytes")
        if env.default is not None:
            facts.append(f"default: {env.default}")
        lines.append(comment(f"  {name}: {'; '.join(facts)}"))
    script = plan.output_name or "script.sh"
    params = [(p.name, p.description, p.default) for p in _params(plan)]
    if _waits(plan):
        params += _WAIT_PARAMS
    if params:
        example = f"{params[0][0]}=... bash {script}"
        lines += ["#", comment(f"Parameters (environment variables, e.g. {example}):")]
    for name, description, default in params:
        lines.append(comment(f"  {name}: {description}; default: {default}"))
    needs = "bash 5, curl 7.76 or newer (--fail-with-body)" + (" and jq" if _needs_jq(plan) else "")
    lines += [
        "#",
        comment(f"Run: set -a; . ./.env; set +a; bash {script}"),
        f"# Needs {needs}.",
        f"# Each request times out after {_MAX_TIME} seconds; an HTTP error stops the script.",
    ]
    return lines


# --- one request ------------------------------------------------------------------------


def _literal_bytes(text: Text) -> bytes:
    return b"".join(
        piece.encode("utf-8", "surrogateescape") if isinstance(piece, str) else piece
        for piece in text
        if not isinstance(piece, Var)
    )


def _split_origin(url: Text) -> tuple[Text, Text] | None:
    """(origin, target) when the URL starts with a variable or a literal scheme://host."""
    if not url:
        return None
    first, rest = url.pieces[0], Text(url.pieces[1:])
    if isinstance(first, Var):
        if rest and not (isinstance(rest.pieces[0], str) and rest.pieces[0][0] in "/?"):
            return None
        return Text.of(first), rest
    match = _ORIGIN.match(str(first))
    if match is None:
        return None
    return Text.of(match.group()), Text.of(str(first)[match.end() :], *rest.pieces)


def _url_options(request: Request, plan: Plan, where: str) -> tuple[list[str], list[str]]:
    url = request.url.as_str()
    if re.search(rb"[\x00-\x20\x7f]", _literal_bytes(url)):
        raise EmitError(f"{where}: the URL has a space or control character, which curl refuses")
    split = _split_origin(url)
    target = _literal_bytes(split[1] if split else url)
    if re.search(rb"[\x80-\xff]", target.split(b"?", 1)[0]):
        problem = "percent-encodes non-ASCII bytes in the path"
    elif b"#" in target:
        problem = "drops everything from '#' in the URL"
    else:
        return [f"--url {_word(url, plan, where)}"], []
    if split is None or request.options.get("follow_redirects"):
        # --request-target would be sent again to every redirect's location.
        return [f"--url {_word(url, plan, where)}"], [f"Differs from the capture: curl {problem}."]
    origin, target_text = split
    if not str(target_text.pieces[0] if target_text else "").startswith("/"):
        target_text = Text.of("/") + target_text
    note = (
        f"curl {problem}: the target is sent with --request-target (the origin's path is ignored)."
    )
    return [
        f"--request-target {_word(target_text, plan, where)}",
        f"--url {_word(origin, plan, where)}",
    ], [note]


def _method_options(request: Request, where: str) -> tuple[list[str], list[str]]:
    method = request.method
    if not _TOKEN.fullmatch(method):
        raise EmitError(f"{where}: {method!r} is not a valid HTTP method")
    has_body = request.body is not None
    if method == "HEAD" and not has_body:
        return ["--head"], []
    if method == "HEAD":
        raise EmitError(
            f"{where}: curl cannot send a HEAD request with a body: -X HEAD waits for a"
            " response body that the server never sends"
        )
    implied = "POST" if has_body else "GET"
    return ([] if method == implied else [f"-X {bash_word(method)}"]), []


def _header_option(name: str, value: Text, plan: Plan, where: str) -> str:
    where = f"{where}, header {name!r}"
    if not _TOKEN.fullmatch(name):
        raise EmitError(f"{where}: not a valid header name")
    if re.search(rb"[\r\n]", _literal_bytes(value)):
        raise EmitError(f"{where}: the value has a line break, which curl sends as a new header")
    if value.is_literal and not value.literal_str().strip(_CURL_SPACE):
        # curl removes a header whose value is blank; `Name;` sends it empty, which is the
        # same on the wire for spaces and tabs (optional white space), not for others.
        if value.literal_str().strip(" \t"):
            raise EmitError(f"{where}: curl cannot send a value of only vertical white space")
        return f"-H {bash_word(name + ';', bare=False)}"
    return f"-H {_word(Text.of(name + ': ') + value, plan, where)}"


def _stream(body: Text, plan: Plan, where: str) -> str:
    """`@<(…)`: commands printing the body, for bytes that no argument can carry."""
    commands = []
    for piece in body:
        if isinstance(piece, Var):
            _check_name(piece.name, where)
            decode = " | base64 -d" if _is_base64(piece, plan) else ""
            commands.append(f'printf %s "${{{_shell_name(piece, plan)}}}"{decode}')
        elif b"\0" in piece:
            encoded = base64.b64encode(bytes(piece)).decode()
            commands.append(f"printf %s {bash_word(encoded)} | base64 -d")
        else:
            commands.append(f"printf %s {bash_word(piece)}")
    return "@<(" + "; ".join(commands) + ")"


def _text_body(body: Text, plan: Plan, where: str) -> tuple[str, bool]:
    """The body option, and whether the body may be big enough for curl to add Expect."""
    body = body.as_bytes()
    literal = _literal_bytes(body)
    if (
        b"\0" in literal
        or len(literal) > _ARGUMENT_LIMIT
        or any(_is_base64(var, plan) for var in body.vars)
    ):
        return f"--data-binary {_stream(body, plan, where)}", True
    return f"--data-raw {_word(body, plan, where)}", False


def _form_word(value: str) -> str:
    """A file name or path inside `-F`: quoted where curl would split or trim it."""
    if value and value == value.strip() and not re.search(r'[;,"\\]', value):
        return value
    return _form_quoted(value)


def _form_quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _form_type(content_type: str, where: str) -> str:
    # curl reads `major/minor`, then parameters up to a `;filename=`-like keyword or `,`.
    keyword = re.search(r";\s*(type|filename|headers|encoder)=", content_type, re.IGNORECASE)
    if keyword or not re.fullmatch(r"[^/ ]+/[^;, ]+[^,]*", content_type):
        raise EmitError(f"{where}: curl -F cannot send the content type {content_type!r}")
    return content_type


def _form_option(part: FormPart, plan: Plan, where: str) -> str:
    where = f"{where}, form part {part.name!r}"
    for field in (part.name, part.filename or "", part.type or "", part.file or ""):
        if re.search("[\r\n\0]", field):
            raise EmitError(f"{where}: a line break or NUL in the part's name, file or type")
    if "=" in part.name:
        raise EmitError(f"{where}: curl -F cannot send a part name containing '='")
    extras = "" if part.filename is None else f";filename={_form_word(part.filename)}"
    # Last, because curl reads the content type up to the next keyword.
    extras += "" if part.type is None else f";type={_form_type(part.type, where)}"
    if part.file is not None:
        return f"-F {bash_word(f'{part.name}=@{_form_word(part.file)}{extras}', bare=False)}"
    if part.value is None:
        raise EmitError(f"{where}: the part has neither a value nor a file")
    value = part.value.as_str()
    if not extras:
        # --form-string: no `@file`, `<file` or `;type=` parsing in the value.
        return f"--form-string {_word(Text.of(part.name + '=') + value, plan, where)}"
    if not value.is_literal:
        raise EmitError(
            f"{where}: curl -F cannot quote a variable in a part with a filename or type"
        )
    if "\0" in value.literal_str():
        raise EmitError(f"{where}: a NUL byte cannot be passed to curl here")
    return f"-F {bash_word(f'{part.name}={_form_quoted(value.literal_str())}{extras}', bare=False)}"


def _multipart_body(body: Multipart, plan: Plan, where: str) -> tuple[list[str], bool]:
    if not body.parts:
        raise EmitError(f"{where}: curl cannot send an empty multipart form")
    inline = sum(len(_literal_bytes(p.value)) for p in body.parts if p.value is not None)
    has_file = any(part.file is not None for part in body.parts)
    # Part headers and boundaries add some bytes on top of the values.
    big = has_file or inline + 256 * len(body.parts) > _EXPECT_THRESHOLD
    return [_form_option(part, plan, where) for part in body.parts], big


def _multipart_type(value: Text) -> Text | None:
    """A given multipart Content-Type without its boundary (curl appends its own); None
    where curl's own `multipart/form-data` is the same."""
    if not value.is_literal:
        return value
    kept = [
        p for p in value.literal_str().split(";") if not p.strip().lower().startswith("boundary=")
    ]
    rest = ";".join(kept).strip()
    return None if rest.lower() == "multipart/form-data" else Text.of(rest)


def _keeps_content_length(value: Text, request: Request) -> bool:
    body = request.body
    if body is None:
        return True
    return (
        isinstance(body, Text)
        and body.is_literal
        and value.is_literal
        and value.literal_str().strip() == str(len(body.literal_bytes()))
    )


def _header_options(request: Request, plan: Plan, where: str) -> tuple[list[str], list[str]]:
    options, notes = [], []
    for name, value in request.headers:
        key = name.lower()
        if key == "content-length" and not _keeps_content_length(value, request):
            notes.append("curl computes Content-Length.")
            continue
        if key == "content-type" and isinstance(request.body, Multipart):
            kept = _multipart_type(value)
            if kept is None:
                continue
            value = kept
        options.append(_header_option(name, value, plan, where))
    return options, notes


def _removed_headers(request: Request, big_body: bool, where: str) -> list[str]:
    """`-H 'Name:'` for headers curl would add that the request does not have."""
    removed = [n for n in request.options.get("omit_headers", []) if request.header(n) is None]
    for name in removed:
        if not _TOKEN.fullmatch(name):
            raise EmitError(f"{where}: {name!r} is not a valid header name")
    present = {name.lower() for name, _ in request.headers} | {n.lower() for n in removed}
    if isinstance(request.body, Text) and "content-type" not in present:
        removed.append("Content-Type")
    if big_body and "expect" not in present:
        removed.append("Expect")
    return [f"-H {bash_word(name + ':', bare=False)}" for name in removed]


def _curl_options(request: Request, plan: Plan, where: str) -> tuple[list[str], list[str]]:
    options, notes = _method_options(request, where)
    options += [flag for key, flag in _FLAGS if request.options.get(key)]
    max_redirects = request.options.get("max_redirects")
    if request.options.get("follow_redirects") and max_redirects is not None:
        options.append(f"--max-redirs {int(max_redirects)}")
    header_options, header_notes = _header_options(request, plan, where)
    if isinstance(request.body, Multipart):
        body_options, big_body = _multipart_body(request.body, plan, where)
    elif request.body is not None:
        body_option, big_body = _text_body(request.body, plan, where)
        body_options = [body_option]
    else:
        body_options, big_body = [], False
    url_options, url_notes = _url_options(request, plan, where)
    options += header_options + _removed_headers(request, big_body, where)
    return options + body_options + url_options, notes + header_notes + url_notes


# --- responses --------------------------------------------------------------------------


def jq_filter(path: JsonPath) -> str:
    """The jq filter for a JSON path: keys as jq string literals, list indexes as numbers.

    A JSON string literal is a jq string literal that never interpolates: json.dumps writes
    every backslash as `\\\\`, so no `\\(` can appear.
    """
    steps = [f".[{key}]" if isinstance(key, int) else f".[{json.dumps(key)}]" for key in path]
    return " | ".join(steps) or "."


def path_text(path: JsonPath) -> str:
    """plan.path_text, naming an empty path too."""
    return plan_path_text(path) or "(the whole response)"


def _field_line(path: JsonPath, where: str) -> str:
    words = [message_word(where), bash_word(jq_filter(path)), message_word(path_text(path))]
    return f"read_field {' '.join(words)}"


def _extraction_lines(extraction: Extraction, where: str) -> list[str]:
    if extraction.header is None:
        read = _field_line(extraction.path, where)
    elif _TOKEN.fullmatch(extraction.header):
        read = f"read_header {message_word(where)} {bash_word(extraction.header)}"
    else:
        raise EmitError(f"{where}: {extraction.header!r} is not a valid header name")
    return [read, f"{extraction.var}={_DERIVED[extraction.derive]}"]


def _save_lines(saved: SavedSecret, where: str) -> list[str]:
    filename = _literal_word(saved.filename, f"{where}: file name")
    description = message_word(saved.description)
    return [_field_line(saved.path, where), f"save_secret {filename} {description}"]


def _text_shown(text: Text) -> str:
    return "".join(f"${{{p.name}}}" if isinstance(p, Var) else str(p) for p in text)


def _step_facts(step: Step) -> list[str]:
    """What the step's comment says besides the title: what it creates, sets, waits for."""
    facts = []
    if step.creates is not None:
        name = f" {_text_shown(step.creates.name)}" if step.creates.name else ""
        facts.append(f"Creates {step.creates.type}{name}.")
    for extraction in step.extracts:
        source = f"header {extraction.header}" if extraction.header else path_text(extraction.path)
        derived = f", {DERIVATIONS[extraction.derive]}" if extraction.derive else ""
        note = f": {extraction.note}" if extraction.note else ""
        facts.append(f"Sets {extraction.var} from {source}{derived}{note}")
    if step.wait is not None:
        facts.append(
            f"Sent again until the response has {path_text(step.wait.path)}"
            " (every WAIT_INTERVAL seconds, at most WAIT_TIMEOUT seconds)."
        )
    for saved in step.saves:
        facts.append(f"Writes {saved.description} to {saved.filename} (mode 0600).")
    return facts


def _conflict_hint(step: Step, plan: Plan) -> str:
    """The parameters to change when the server says the object exists (409)."""
    used = {var.name for var in record_vars(step.record) if var.kind == "param"}
    return ", ".join(param.name for param in plan.params if param.name in used)


def _call(options: list[str], step: Step, plan: Plan, where: str, indent: str) -> str:
    """The curl call: body to the scratch file, status to `status`, a failure to `failed`."""
    capture = _CAPTURE + (" " + _DUMP_HEADERS if any(e.header for e in step.extracts) else "")
    command = f" \\\n{indent}  ".join([f"{_CURL} {_LIMITS}", capture, *options])
    hint = bash_word(_conflict_hint(step, plan))
    return f"{indent}status=$({command}) || failed {message_word(where)} $? {hint}"


def _wait_lines(options: list[str], step: Step, plan: Plan, where: str) -> list[str]:
    path = step.wait.path if step.wait else ()
    return [
        "deadline=$((${EPOCHREALTIME/[.,]/} + WAIT_TIMEOUT_US))",
        "while true; do",
        _call(options, step, plan, where, "  "),
        f"  has_value {bash_word(jq_filter(path))} && break",
        f'  keep_waiting {message_word(where)} {message_word(path_text(path))} "$deadline"',
        "done",
    ]


def _header_vars(step: Step) -> list[str]:
    """Variables from responses or the user that go into a header: checked for line breaks."""
    headers = step.record.request.headers
    return sorted({var.name for _, value in headers for var in value.vars if var.kind != "env"})


def _step_lines(number: int, step: Step, plan: Plan) -> list[str]:
    lines = [comment(f"Step {number}: {step.title}")]
    if step.skip:
        return [*lines, comment(f"Skipped: {step.skip}")]
    where = f"step {number} ({step.title})"
    options, notes = _curl_options(step.record.request, plan, where)
    lines += [comment(note) for note in [*step.notes, *notes, *_step_facts(step)]]
    lines += [f"one_line {message_word(where)} {name}" for name in _header_vars(step)]
    if step.wait is not None:
        lines += _wait_lines(options, step, plan, where)
    else:
        lines.append(_call(options, step, plan, where, ""))
    if plan.mode == "faithful":
        lines.append(_SHOW_BODY)
    for extraction in step.extracts:
        lines += _extraction_lines(extraction, where)
    for saved in step.saves:
        lines += _save_lines(saved, where)
    return lines


def _summary(plan: Plan) -> list[str]:
    """`printf` lines naming what the script created: "created cluster demo (c-m-4xk2p)"."""
    lines = []
    for step in plan.steps:
        created = step.creates
        if created is None or step.skip:
            continue
        line = Text.of(f"created {created.type}")
        if created.name:
            line = line + Text.of(" ") + created.name.as_str()
        if created.id_var is not None:
            line = line + Text.of(" (", Var(created.id_var, "extracted"), ")")
        lines.append(f"printf '%s\\n' {_word(line, plan, 'summary')}")
    return ["# What the script created", *lines] if lines else []


def _helpers(plan: Plan) -> list[str]:
    sent = [step for step in plan.steps if not step.skip]
    used = {
        "failed": True,
        "read_field": any(s.saves or any(not e.header for e in s.extracts) for s in sent),
        "read_header": any(e.header for s in sent for e in s.extracts),
        "one_line": any(_header_vars(step) for step in sent),
        "wait": _waits(plan),
        "save_secret": any(step.saves for step in sent),
    }
    failed = _FAILED.replace("{show}\n", _SHOW_ERROR if plan.mode == "faithful" else "")
    texts = {**_HELPERS, "failed": failed}
    return [_SCRATCH, *(texts[name] for name, needed in used.items() if needed)]


def emit(plan: Plan) -> Emitted:
    _check_sources(plan)
    steps = [_step_lines(number, step, plan) for number, step in enumerate(plan.steps, 1)]
    settings = _settings(plan)
    lines = ["#!/usr/bin/env bash", *_header_comment(plan), "set -euo pipefail"]
    if settings:
        lines += ["", *settings]
    for helper in _helpers(plan):
        lines += ["", helper]
    for block in steps:
        lines += ["", *block]
    summary = _summary(plan)
    if summary:
        lines += ["", *summary]
    return Emitted("\n".join(lines) + "\n")
