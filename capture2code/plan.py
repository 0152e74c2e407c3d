"""The Plan: what every emitter renders.

A Plan is the ordered steps (each a redacted, chained request), the environment
variables the script reads, and notes for the header comment. Emitters take a Plan
and return text; they never see the raw input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from capture2code.record import Record, record_vars
from capture2code.template import VAR_NAME, Text, Var

Mode = Literal["faithful", "provision"]
# A JSON path into a response body: object keys and list indexes.
JsonPath = tuple[str | int, ...]

# Derived forms of an extracted value that requests use (Rancher names one object
# `ns:name` in /v3 and `ns/name` in /v1). Every emitter implements each one exactly:
DERIVATIONS: dict[str, str] = {
    "colon_to_slash": "the first ':' replaced by '/'",
    "slash_to_colon": "the first '/' replaced by ':'",
    "name": "the part after the last ':' or '/' (the whole value if it has neither)",
}

_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


def unique_name(base: str, taken: Collection[str]) -> str:
    """`base`, or `base_2`, `base_3` … : the first not in `taken`."""
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    return name


def json_at(value: Any, path: JsonPath) -> Any:
    """The value at `path` (keys of objects, indexes of lists), or None where there is none."""
    for step in path:
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value


def path_text(path: JsonPath) -> str:
    """A JSON path as a reader writes it, for comments and messages: `status.clusterName`,
    `data[0].id`, `["a b"]` ("" for the whole response)."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        elif VAR_NAME.fullmatch(key):
            text += f".{key}" if text else key
        else:
            text += f"[{json.dumps(key)}]"
    return text


@dataclass(frozen=True)
class EnvVar:
    """An environment variable the generated script reads.

    `default` is a non-secret value the script may contain (BASE_URL's captured
    origin). `value` is the captured secret: it goes to the env file only, never
    into a script. A variable with neither must be set by the user.
    """

    name: str
    description: str = ""
    default: str | None = None
    value: str | None = None
    # The value holds a NUL byte, which bash cannot hold: the env file stores NAME_B64.
    base64: bool = False


@dataclass(frozen=True)
class Param:
    """A value the user typed when capturing (a name in a create call) that the script takes
    as an option: command line `option` first, then the environment variable `name`, then
    `default` (the captured value). Requests refer to it as `Var(name, "param")`."""

    name: str  # CLUSTER_NAME: the Var name and the environment variable
    option: str  # --cluster-name
    default: str
    description: str  # "name of the cluster (POST /v3/cluster)"


@dataclass(frozen=True)
class Extraction:
    """A value this step's response provides to later steps, which refer to it as
    `Var(var, "extracted")`. Read from the JSON body at `path`, or from response header
    `header` when that is set; then turned into `derive` form (DERIVATIONS) if set. A
    missing field stops the script with a message naming the step and the path."""

    var: str
    path: JsonPath = ()
    header: str | None = None
    derive: str | None = None
    # For the step's comment: what the value is and how it was found ("id of the cluster
    # created here"; "inferred from the API's id shape: the capture has no responses").
    note: str = ""


@dataclass(frozen=True)
class Wait:
    """Send this step's request again until its JSON response holds a value at `path` (not
    missing, null, "", [] or {}): at most WAIT_TIMEOUT seconds (default 600), every
    WAIT_INTERVAL seconds (default 5); both are script options / environment variables."""

    path: JsonPath


@dataclass(frozen=True)
class SavedSecret:
    """A secret the server returns (a kubeconfig, a registration command): the script writes
    the string at `path` in the JSON response to `filename` (mode 0600, in the working
    directory) and prints only the file name."""

    path: JsonPath
    filename: str
    description: str


@dataclass(frozen=True)
class Created:
    """What a step creates, for the summary the script prints at the end."""

    type: str  # "cluster", "node template"
    name: Text | None = None  # literal or a param Var
    id_var: str | None = None  # the extracted Var that holds its id


@dataclass
class Step:
    record: Record
    title: str
    # Facts a reader of the script should know next to this request (a client limit).
    notes: list[str] = field(default_factory=list)
    # Set when the step cannot be replayed (a websocket): emitters write it as a comment.
    skip: str | None = None
    extracts: list[Extraction] = field(default_factory=list)
    wait: Wait | None = None
    saves: list[SavedSecret] = field(default_factory=list)
    creates: Created | None = None


@dataclass
class Plan:
    steps: list[Step]
    env: list[EnvVar] = field(default_factory=list)
    # Lines for the header comment (what was converted, how to run it).
    header: list[str] = field(default_factory=list)
    redacted: bool = True
    # The name of the file the output goes to, for run instructions and side files' names.
    output_name: str | None = None
    params: list[Param] = field(default_factory=list)
    mode: Mode = "faithful"

    def env_var(self, name: str) -> EnvVar | None:
        return next((var for var in self.env if var.name == name), None)


def _origin_of(url: Text) -> tuple[str, str] | None:
    """(origin, rest) of a URL whose scheme and authority are literal."""
    first = url.pieces[0] if url.pieces else None
    if not isinstance(first, str):
        return None
    match = _ORIGIN.match(first)
    if match is None or "@" in match.group(0):
        return None  # userinfo stays in the URL as captured, never in a BASE_URL default
    return match.group(0), first[match.end() :]


def _origin_var_name(origin: str, taken: dict[str, str]) -> str:
    if not taken:
        return "BASE_URL"
    host = origin.split("://", 1)[1]
    return "BASE_URL_" + re.sub(r"[^A-Za-z0-9]+", "_", host).strip("_").upper()


def _path_of(url: Text) -> str:
    literal = "".join(p if isinstance(p, str) else "{" + p.name + "}" for p in url.pieces)
    if "://" not in literal:  # the whole URL is a variable (a link an earlier response gave)
        return literal.split("?", 1)[0]
    path = literal.split("://", 1)[-1]
    path = "/" + path.split("/", 1)[1] if "/" in path else "/"
    return path.split("?", 1)[0]


def _skip_or_notes(record: Record) -> tuple[list[str], str | None]:
    """Why a captured request cannot be replayed, or notes on how it went when captured."""
    options = record.request.options
    if options.get("websocket"):
        count = len(options.get("websocket_messages", []))
        return [], f"websocket connection with {count} messages: replaying it is not supported"
    if options.get("error"):
        return [f"when captured, this request failed: {options['error']}"], None
    return [], None


def build_plan(
    records: list[Record],
    env: list[EnvVar],
    *,
    redacted: bool,
    header: list[str],
    captured: dict[str, str] | None = None,
) -> Plan:
    """Steps from records, each URL's origin read from BASE_URL (BASE_URL_<HOST> for more).
    `captured`: values of variables the records already refer to (a capture's env file)."""
    origins: dict[str, str] = {}
    steps = []
    for record in records:
        url = record.request.url
        split = _origin_of(url)
        headers = record.request.headers
        if split is not None:
            origin, rest = split
            if origin not in origins:
                origins[origin] = _origin_var_name(origin, origins)
            url = Text.of(Var(origins[origin]), rest, *url.pieces[1:])
            # A Host header naming the captured origin must follow BASE_URL: the client sets it.
            authority = Text.of(origin.split("://", 1)[1])
            headers = [(k, v) for k, v in headers if k.lower() != "host" or v != authority]
        request = record.request.changed(url=url, headers=headers)
        title = f"{request.method} {_path_of(record.request.url)}"
        steps.append(Step(record.changed(request), title, *_skip_or_notes(record)))
    known = {var.name for var in env}
    origin_vars = [
        EnvVar(name, "origin the requests go to", default=origin)
        for origin, name in origins.items()
    ]
    referenced = sorted(
        {var.name for step in steps for var in record_vars(step.record) if var.kind == "env"}
        - known
        - set(origins.values())
    )
    captured = captured or {}
    where = {note["var"]: note.get("where", "") for r in records for note in r.redacted}
    user_vars = [
        (
            EnvVar(name, f"captured in {where[name]}", value=captured.get(name))
            if name in where
            else EnvVar(name, f"referenced as ${name} in the input", value=captured.get(name))
        )
        for name in referenced
    ]
    return Plan(steps, [*origin_vars, *user_vars, *env], header, redacted)
