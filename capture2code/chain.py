"""Chaining: values the server made become `extracted` Vars read from its response.

A script that repeats a capture on another server (or the same one again) must not send
the ids the server issued when the capture was made: it reads each one from the response
of the request that created it, and follows the URLs the API offered instead of
rebuilding them. Decisions, in the order `chain` applies them:

- Producers (with responses). Every response header value (Location as a URL) and every
  JSON string or integer at any depth is a candidate, except: responses of calls that only
  relay a catalogue or the server's configuration (`NOT_PRODUCERS`: `/meta/proxy`,
  settings, version, counts), elements of lists of scalars (options offered to choose
  from, not things made), and values that are not id-like (`_id_like`: shorter than 5
  characters, the `STOP_VALUES` table, numbers below 10000 (version fields are chained by
  key, see below), values with whitespace, timestamps and version numbers, and words: a value whose
  every part is letters with a vowel, such as `ui-auto` or `management.cattle.io.cluster`;
  Rancher's random ids are drawn from an alphabet without vowels, so `c-bxkzt` stays).
  The producer of a value is the earliest response that holds it; within one response an
  `id` key wins over other keys, then the shorter path. One exception: an item of a list
  of several yields to a later response (still before any request holds the value) that
  holds it outside such a list, because a list's order may differ on another server.
- Never invent links: a value is chained only if no request up to and including its
  producer's request holds it (or one of its derived or percent-encoded forms) anywhere,
  also inside a longer string. A name the user typed that the server echoes back was sent
  first, so it stays literal; so does a value the server returns only after it was sent.
- Consumers: URL, header values, bodies (JSON at any depth, form and multipart values),
  as a whole or as part of a longer string between non-alphanumeric characters; longest
  match first, so `c-5nmb8:np-2fgh7` is the node pool's id, not the cluster's plus text.
  Percent-encoded forms (`%3A`) are found for values without URL delimiters and replaced
  by the plain value (`:` and `%3A` mean the same in a path or a query value).
  Derived forms (`DERIVATIONS`): a produced `ns:name` is found as `ns/name` and `name`,
  a produced `ns/name` as `ns:name` and `name`; a direct producer of the same text wins.
- Whole URLs: when a request's URL is a URL an earlier response offered under `links`,
  `actions` or `actionLinks` (or a `Location` header), alone or followed by a query, the URL
  is read from that response, as the Rancher API guide asks of clients. The key is chosen
  by method (`self` for GET, `update` for PUT, `remove` for DELETE). Only URLs the server
  made are taken (an id-like path segment or query value that no request up to the
  producer's holds): any other URL is the same on every server (the origin is BASE_URL
  already), and reading it would make a noise request necessary.
- Schemas (`/v3/schemas`, `/v1/schemas`, from `schemas` or `records`): a JSON body field
  whose schema type is `reference[T]` chains only to an id of an object of type T, even a
  short one; a field the schema types otherwise (`string`, `int`, ...) is never chained.
  The schema of a body object is named by its `type`, by the schema type of the field
  that holds it, or for the top object by the request's collection URL.
- Version fields (`VERSION_KEYS`, also under `metadata`: Steve's `resourceVersion`) in a
  body are chained by key from the most recent earlier response that holds the same
  object (same `id`, or its `links.self`/`update` is the URL the request goes to),
  whatever its value.
- Waits: if earlier responses to the producer's method and URL lacked the field (polls
  before the value appeared), the producer becomes a `Wait` on it.
- Inference (no record has a response, as in pasted curl text): `INFERRED_IDS` gives the
  id shape of what a creating call makes (`POST /v3/cluster` makes `c-xxxxx`); a Norman
  create of another type makes `<initials of its type>-<5 of Rancher's id alphabet>`
  (projectRoleTemplateBinding: `prtb-xxxxx`), a Steve create with `generateName` makes
  that prefix plus 5 characters. The first later value of that shape that no earlier
  request holds is read from the earliest such call not yet bound to another value.
- Names: `<TYPE>_<FIELD>` from the producing object's type (`baseType`, `type`, `kind`, or
  the collection in its URL) and the field (`CLUSTER_ID`, `DIGITALOCEANCONFIG_NAME`); a
  value first consumed in an `xxxId` field and produced under another key is named by
  that field (`status.clusterName` used as `clusterId` is `CLUSTER_ID`); links are
  `<TYPE>_<KEY>_URL`; derived forms add `_SLASHED`, `_COLONED` or `_NAME` to the name of
  the value they derive from. Names in `taken` or used already get `_2`, `_3`, ...
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from json.decoder import scanstring
from typing import Any
from urllib.parse import quote

from capture2code.plan import Extraction, JsonPath, Wait, json_at, unique_name
from capture2code.record import FormPart, Multipart, Record, Request, parse_json, response_json
from capture2code.template import Piece, Text, Var

# --- data tables ------------------------------------------------------------------------

# Values that recur on every server or are plain words, never ids of something made here.
STOP_VALUES = frozenset(
    {
        "local",
        "fleet-default",
        "fleet-local",
        "default",
        "active",
        "true",
        "false",
        "null",
        "none",
        "cattle-global-data",
        "cattle-global-nt",
        "cattle-system",
        "cattle-fleet-system",
        "cattle-impersonation-system",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "application/json",
        "application/yaml",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "text/plain",
        "text/html",
        "no-cache",
        "gzip",
        "x509",
        "canal",
        "calico",
        "nginx",
        "overlay2",
    }
)
# Object states, lower case: words the word rule may miss once digits are involved.
STATES = frozenset(
    {
        "provisioning",
        "pending",
        "running",
        "updating",
        "removing",
        "removed",
        "unavailable",
        "waiting",
        "ready",
        "inactive",
        "succeeded",
        "failed",
        "unknown",
        "error",
    }
)
# Keys whose values (small numbers too) are versions of an object: chained by key from the
# latest response for the same object, never by value.
VERSION_KEYS = frozenset({"resourceVersion", "revision", "generation", "observedGeneration"})
# Shapes of values that are data, not ids: times, version numbers, decimals.
NOT_ID_SHAPES = (
    re.compile(r"\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]\d\d:?\d\d)?)?"),
    re.compile(r"v?\d+(\.\d+)+([-+][\w.-]*)?"),
    re.compile(r"-?\d+\.\d+(e[+-]?\d+)?"),
)
# Responses that relay a catalogue or the server's configuration: their values are what the
# user picked from a list (a region, a size, a default version), the same on every server.
NOT_PRODUCERS = re.compile(
    r"/meta/proxy/|/v3/settings\b|/v1/management\.cattle\.io\.settings\b|/rancherversion\b"
    r"|/v1/counts\b|/v[13]/schemas\b|/version\b"
)
# Response headers that describe the transfer, never a value a client sends back.
SKIPPED_RESPONSE_HEADERS = frozenset(
    {
        "date",
        "expires",
        "last-modified",
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "server",
        "vary",
        "cache-control",
        "pragma",
        "age",
        "strict-transport-security",
        "x-content-type-options",
        "x-frame-options",
        "x-xss-protection",
        "set-cookie",
        "access-control-allow-origin",
        "access-control-allow-headers",
        "access-control-allow-methods",
        "access-control-allow-credentials",
        "access-control-expose-headers",
        "x-api-schemas",
        "x-api-cattle-auth",
        "location",  # a URL: offered as a link instead
    }
)
LINK_KEYS = frozenset({"links", "actions", "actionLinks"})
# Which of several equal links a request follows, by its method.
LINK_KEY_FOR_METHOD = {"GET": "self", "PUT": "update", "PATCH": "update", "DELETE": "remove"}
# Keys that name an object's type, most specific first.
TYPE_KEYS = ("baseType", "type", "kind")
NOT_TYPES = frozenset({"collection", "schema", "error"})
# A derived form in a variable name: `CLUSTER_ID` read in `name` form is `CLUSTER_ID_NAME`
# (not CLUSTER_NAME: that is the name the user gives, a script parameter).
DERIVED_SUFFIX = {"colon_to_slash": "_SLASHED", "slash_to_colon": "_COLONED", "name": "_NAME"}

# Rancher's random ids (Kubernetes' rand.String): no vowels, no 0, 1, 3.
RANCHER_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_RANDOM = f"[{RANCHER_ALPHABET}]{{5}}"


@dataclass(frozen=True)
class InferredId:
    """What a creating call makes, for captures without responses."""

    method: str
    path: re.Pattern[str]  # the request path, without the query
    type: str
    shape: str  # a regular expression for the id
    field: JsonPath = ("id",)


INFERRED_IDS: tuple[InferredId, ...] = (
    InferredId(
        "POST",
        re.compile(r"/v3/cloud[Cc]redentials?"),
        "cloudCredential",
        r"cattle-global-data:cc-[a-z0-9]{5}",
    ),
    InferredId(
        "POST",
        re.compile(r"/v3/node[Tt]emplates?"),
        "nodeTemplate",
        r"cattle-global-nt:nt-[a-z0-9]{5}",
    ),
    InferredId(
        "POST", re.compile(r"/v3/node[Pp]ools?"), "nodePool", r"c-[a-z0-9]{5}:np-[a-z0-9]{5}"
    ),
    InferredId("POST", re.compile(r"/v3/clusters?"), "cluster", r"c-[a-z0-9]{5}"),
    InferredId("POST", re.compile(r"/v3/projects?"), "project", r"c-[a-z0-9]{5}:p-[a-z0-9]{5}"),
)
_NORMAN_CREATE = re.compile(r"/v3/[A-Za-z]+")
_STEVE_CREATE = re.compile(r"/v1/([a-z0-9.-]+)(?:/[a-z0-9-]+)?")  # a type, maybe a namespace
NO_RESPONSES = "the capture has no responses"
INFERRED_NOTE = f"inferred from the id shape: {NO_RESPONSES}"

# --- the result -------------------------------------------------------------------------


@dataclass
class Chaining:
    records: list[Record]  # same length and order, extracted Vars in place
    extracts: dict[int, list[Extraction]]  # by index into records: what its response provides
    waits: dict[int, Wait]  # by index: this GET must be repeated until path appears
    uses: dict[int, set[int]]  # consumer index -> producer indexes it reads from
    notes: dict[int, list[str]]  # per index: comment lines ("CLUSTER_ID inferred from ...")


@dataclass(frozen=True)
class _Site:
    """Where a response provides a value."""

    index: int
    path: JsonPath = ()
    header: str | None = None
    type: str = ""  # the type of the object that holds it
    key: str = ""  # the field (or link) name
    link: bool = False
    inferred: bool = False
    listed: bool = False  # an item of a list of several: its place may differ on replay


@dataclass(frozen=True)
class _Candidate:
    value: str  # as the response holds it
    site: _Site
    derive: str | None = None


@dataclass
class _Use:
    """One occurrence to replace: `start:end` of a flattened text."""

    start: int
    end: int
    candidate: _Candidate
    consumer_key: str = ""


# --- value rules ------------------------------------------------------------------------

_ALNUM = re.compile(r"[A-Za-z0-9]")
_PARTS = re.compile(r"[-._/:]+")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")
_URL_DELIMITERS = set("/?#&=+% ")


def _is_word(value: str) -> bool:
    parts = [part for part in _PARTS.split(value) if part]
    return all(part.isalpha() and _VOWEL.search(part) for part in parts)


def _id_like(value: str) -> bool:
    """Whether a value can be an id the server made (see the module docstring)."""
    if value.isascii() and value.isdigit():
        return int(value) >= 10000
    if len(value) < 5 or len(value) > 2048 or value.lower() in STOP_VALUES:
        return False
    if value.lower() in STATES or any(c.isspace() or c in '"\\\0' for c in value):
        return False
    if not (_ALNUM.match(value) and _ALNUM.match(value[-1])):
        return False
    return not _is_word(value) and not any(s.fullmatch(value) for s in NOT_ID_SHAPES)


def _derived(value: str) -> dict[str, str]:
    """The derived forms of an `ns:name` or `ns/name` value, by DERIVATIONS key."""
    forms: dict[str, str] = {}
    for separator, other, derive in ((":", "/", "colon_to_slash"), ("/", ":", "slash_to_colon")):
        if value.count(separator) == 1 and other not in value and "://" not in value:
            namespace, name = value.split(separator)
            if namespace and name:
                forms[derive] = f"{namespace}{other}{name}"
                forms["name"] = name
    return forms


def _encoded(value: str) -> list[str]:
    """Percent-encoded spellings of a value that mean the same in a URL."""
    if _URL_DELIMITERS & set(value):
        return []
    upper = quote(value, safe="")
    return [] if upper == value else [upper, re.sub(r"%[0-9A-F]{2}", _lower, upper)]


def _lower(match: re.Match[str]) -> str:
    return match.group(0).lower()


# --- flattened texts --------------------------------------------------------------------

_MARK = "\0"  # stands for a Var: never part of a value


@dataclass
class _Flat:
    """A Text as one string, `_MARK` where a Var is, so that values can be found in it."""

    text: str
    source: Text
    binary: bool = False  # literal pieces are bytes (a body), not str
    marks: tuple[int, ...] = ()  # where each Var of `source` is in `text`

    @classmethod
    def of(cls, text: Text, binary: bool = False) -> _Flat:
        parts, marks, length = [], [], 0
        for piece in text.pieces:
            if isinstance(piece, Var):
                marks.append(length)
                part = _MARK
            elif isinstance(piece, bytes):
                part = piece.decode("utf-8", "surrogateescape")
            else:
                part = piece
            parts.append(part)
            length += len(part)
        return cls("".join(parts), text, binary, tuple(marks))

    def replaced(self, uses: list[_Use], names: dict[_Candidate, str]) -> Text:
        cuts = [
            (mark, mark + 1, var) for mark, var in zip(self.marks, self.source.vars, strict=True)
        ]
        cuts += [(u.start, u.end, Var(names[u.candidate], "extracted")) for u in uses]
        pieces: list[Piece] = []
        position = 0
        for start, end, var in sorted(cuts, key=lambda cut: cut[0]):
            pieces += [self._literal(position, start), var]
            position = end
        pieces.append(self._literal(position, len(self.text)))
        return Text.of(*pieces)

    def _literal(self, start: int, end: int) -> str | bytes:
        part = self.text[start:end]
        return part.encode("utf-8", "surrogateescape") if self.binary else part


def _request_texts(request: Request) -> list[Text]:
    texts = [request.url, *(value for _, value in request.headers)]
    if isinstance(request.body, Text):
        texts.append(request.body)
    elif isinstance(request.body, Multipart):
        texts += [part.value for part in request.body.parts if part.value is not None]
    return texts


def _blob(request: Request) -> str:
    return "\n".join(_Flat.of(text).text for text in _request_texts(request))


# --- JSON with positions ----------------------------------------------------------------

_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class _Scalar:
    path: JsonPath
    start: int  # the string's content (inside the quotes), or the number
    end: int


class _BadJson(ValueError):
    pass


def _json_scalars(text: str) -> list[_Scalar] | None:
    """Strings and numbers of a JSON text with their paths and positions; None if the text
    is not JSON (a Var outside a string, a form body)."""
    found: list[_Scalar] = []
    try:
        end = _value(text, _SPACE.match(text, 0).end(), (), found)  # type: ignore[union-attr]
    except (_BadJson, ValueError, IndexError, RecursionError):
        return None
    if _SPACE.match(text, end).end() != len(text):  # type: ignore[union-attr]
        return None
    return found


def _value(text: str, at: int, path: JsonPath, found: list[_Scalar]) -> int:
    char = text[at]
    if char == '"':
        _, end = scanstring(text, at + 1, False)
        found.append(_Scalar(path, at + 1, end - 1))
        return end
    if char in "{[":
        return _container(text, at, path, found)
    for word in ("true", "false", "null"):
        if text.startswith(word, at):
            return at + len(word)
    number = _NUMBER.match(text, at)
    if number is None:
        raise _BadJson(at)
    found.append(_Scalar(path, at, number.end()))
    return number.end()


def _container(text: str, at: int, path: JsonPath, found: list[_Scalar]) -> int:
    closing = "}" if text[at] == "{" else "]"
    at = _skip(text, at + 1)
    index = 0
    while text[at] != closing:
        if closing == "}":
            if text[at] != '"':
                raise _BadJson(at)
            key, at = scanstring(text, at + 1, False)
            at = _skip(text, at)
            if text[at] != ":":
                raise _BadJson(at)
            at = _value(text, _skip(text, at + 1), (*path, key), found)
        else:
            at = _value(text, at, (*path, index), found)
            index += 1
        at = _skip(text, at)
        if text[at] == ",":
            at = _skip(text, at + 1)
        elif text[at] != closing:
            raise _BadJson(at)
    return at + 1


def _skip(text: str, at: int) -> int:
    return _SPACE.match(text, at).end()  # type: ignore[union-attr]


# --- names ------------------------------------------------------------------------------

_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+|[A-Z]")


def _words(name: str) -> list[str]:
    return [
        word.upper() for part in re.split(r"[^A-Za-z0-9]+", name) for word in _CAMEL.findall(part)
    ]


def _type_words(type_: str) -> list[str]:
    """`provisioning.cattle.io.cluster` -> CLUSTER; `cloudCredential` -> CLOUD, CREDENTIAL."""
    return _words(re.split(r"[./]", type_)[-1]) if type_ else ["VALUE"]


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _base_name(candidate: _Candidate, consumer_key: str) -> str:
    site = candidate.site
    prefix = _type_words(site.type)
    if site.link:
        words = [*prefix, *_words(site.key), "URL"] if site.key != "location" else [*prefix, "URL"]
    elif site.header is not None:
        words = [*prefix, *_unprefixed(_words(site.header), prefix)]
    elif site.key == "id":
        words = [*prefix, "ID"]
    elif consumer_key.endswith("Id") and len(consumer_key) > 2:
        words = _words(consumer_key)
    else:
        words = [*prefix, *_unprefixed(_words(site.key), prefix)]
    name = "_".join(words)
    return name + DERIVED_SUFFIX.get(candidate.derive or "", "")


def _unprefixed(words: list[str], prefix: list[str]) -> list[str]:
    """A field's words without an `X` header mark or the type they repeat (clusterName of a
    cluster is CLUSTER_NAME, X-Job-Token of a job JOB_TOKEN)."""
    words = words[1:] if words[:1] == ["X"] and len(words) > 1 else words
    return words[len(prefix) :] if words[: len(prefix)] == prefix else words


# --- schemas ----------------------------------------------------------------------------


@dataclass
class _Schemas:
    fields: dict[str, dict[str, str]] = field(default_factory=dict)  # schema id -> field types
    collections: dict[str, str] = field(default_factory=dict)  # URL path or name -> id

    def add(self, data: Any) -> None:
        """Schemas from a response: a collection of them, or one."""
        if not isinstance(data, dict):
            return
        listed = data.get("data")
        for schema in listed if isinstance(listed, list) else [data]:
            if not isinstance(schema, dict) or schema.get("type") != "schema":
                continue
            name = str(schema.get("id", "")).lower()
            fields = schema.get("resourceFields") or {}
            types = {
                key: str(value.get("type", ""))
                for key, value in fields.items()
                if isinstance(value, dict)
            }
            if not any("reference[" in declared for declared in types.values()):
                # A schema that types no reference (Steve's, a leaf type) says nothing about
                # which strings are ids: its `string` fields may hold any id.
                continue
            self.fields[name] = types
            self.collections[name] = name
            if isinstance(schema.get("pluralName"), str):
                self.collections[schema["pluralName"].lower()] = name
            link = (schema.get("links") or {}).get("collection")
            if isinstance(link, str):
                self.collections[_url_path(link).lower()] = name

    def of_request(self, url: str) -> str | None:
        path = _url_path(url).lower()
        return self.collections.get(path) or self.collections.get(path.rsplit("/", 1)[-1])

    def field_type(self, body: Any, path: JsonPath, top: str | None) -> str | None:
        """The schema type of the value at `path` of a request body, if a schema says: a
        field's declared type, or the item type of a declared list or map."""
        if not self.fields:
            return None
        schema = _own_schema(body, self) or top
        declared: str | None = None
        node = body
        for step in path:
            wrapped = _WRAPPED.fullmatch(declared or "")
            if isinstance(step, str) and schema in self.fields:
                declared = self.fields[schema].get(step)
            else:
                declared = wrapped.group(1) if wrapped else None
            node = json_at(node, (step,))
            named = (declared or "").lower()
            schema = _own_schema(node, self) or (named if named in self.fields else None)
        return declared


def _own_schema(node: Any, schemas: _Schemas) -> str | None:
    if isinstance(node, dict) and isinstance(node.get("type"), str):
        name = node["type"].lower()
        return name if name in schemas.fields else None
    return None


_SCHEMAS = re.compile(r"/schemas(/|$)")
_WRAPPED = re.compile(r"(?:array|map)\[(.*)\]")


def _inner(declared: str) -> str:
    while match := _WRAPPED.fullmatch(declared):
        declared = match.group(1)
    return declared.lower()


def _reference(declared: str) -> str | None:
    inner = _inner(declared)
    return inner[len("reference[") : -1] if inner.startswith("reference[") else None


def _same_type(site_type: str, wanted: str) -> bool:
    name = site_type.lower()
    return name == wanted or name.rsplit(".", 1)[-1] == wanted.rsplit(".", 1)[-1]


def _url_path(url: str) -> str:
    rest = url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path.split("?", 1)[0].split("#", 1)[0].rstrip("/")


# --- producers --------------------------------------------------------------------------


def _rank(candidate: _Candidate) -> tuple[bool, int, int, int]:
    """Which producer a value is read from, best first: not an item of a list of several
    (their order may differ on another server), the earliest, an `id` key, the shortest
    path."""
    site = candidate.site
    specific = 0 if site.key == "id" else 1 if site.key.endswith(("Id", "Name", "name")) else 2
    return site.listed, site.index, specific, len(site.path)


@dataclass
class _Table:
    """Candidates by the text a request would hold, and ids by the type that holds them."""

    values: dict[str, list[_Candidate]] = field(default_factory=dict)  # best per response
    links: dict[str, list[_Candidate]] = field(default_factory=dict)
    ids: dict[str, dict[str, _Candidate]] = field(default_factory=dict)
    # Alphanumeric runs of all requests: a value whose last run no request holds (in any
    # spelling: derived and encoded forms end the same) is never used, so not looked at.
    words: frozenset[str] = frozenset()

    def used(self, value: str) -> bool:
        runs = _HEAD.findall(value)
        return bool(runs) and runs[-1] in self.words

    def add_value(self, candidate: _Candidate) -> None:
        known = self.values.setdefault(candidate.value, [])
        if not known or known[-1].site.index != candidate.site.index:
            known.append(candidate)
        elif _rank(candidate) < _rank(known[-1]):
            known[-1] = candidate

    def add_link(self, candidate: _Candidate) -> None:
        sites = self.links.setdefault(candidate.value, [])
        if not sites or sites[0].site.index == candidate.site.index:
            sites.append(candidate)

    def add_id(self, candidate: _Candidate) -> None:
        self.ids.setdefault(candidate.site.type.lower(), {}).setdefault(candidate.value, candidate)


def _owner_type(node: dict[str, Any], outer: str) -> str:
    for key in TYPE_KEYS:
        value = node.get(key)
        if isinstance(value, str) and value and value not in NOT_TYPES:
            return value
    resource = node.get("resourceType")
    return resource if isinstance(resource, str) and resource else outer


def _walk(
    data: Any, index: int, table: _Table, path: JsonPath = (), type_: str = "", listed: bool = False
) -> None:
    if isinstance(data, dict):
        type_ = _owner_type(data, type_)
        for key, value in data.items():
            if key in LINK_KEYS and isinstance(value, dict):
                for name, url in value.items():
                    if isinstance(url, str) and "://" in url and _MARK not in url:
                        site = _Site(index, (*path, key, name), None, type_, name, link=True)
                        table.add_link(_Candidate(url, site))
            elif isinstance(value, (dict, list)):
                _walk(value, index, table, (*path, key), type_, listed)
            elif isinstance(value, (str, int)) and not isinstance(value, bool):
                text = str(value)
                site = _Site(index, (*path, key), None, type_, key, listed=listed)
                if key == "id" and type_:
                    table.add_id(_Candidate(text, site))
                if table.used(text) and _id_like(text):
                    table.add_value(_Candidate(text, site))
    elif isinstance(data, list):
        # Only values under a key are candidates: scalars in a list are options to choose from.
        for number, item in enumerate(data):
            _walk(item, index, table, (*path, number), type_, listed or len(data) > 1)


def _collection_type(url: str) -> str:
    segments = [s for s in _url_path(url).split("/") if s]
    for segment in reversed(segments):
        if not _id_like(segment) and not re.fullmatch(r"v\d+(-public)?", segment):
            return _singular(segment)
    return ""


def _response_table(records: list[Record], datas: list[Any], blobs: list[str]) -> _Table:
    table = _Table(words=frozenset(w for blob in blobs for w in _HEAD.findall(blob)))
    for index, record in enumerate(records):
        if record.response is None:
            continue
        url = _Flat.of(record.request.url).text
        if NOT_PRODUCERS.search(_url_path(url)):
            continue
        data = datas[index]
        root_type = _owner_type(data, "") if isinstance(data, dict) else ""
        root_type = root_type or _collection_type(url)
        # Nested deeper than Python recurses: the values found until then are kept.
        with suppress(RecursionError):
            _walk(data, index, table, (), root_type)
        for name, value in record.response.headers:
            lower = name.lower()
            if lower == "location" and "://" in value:
                site = _Site(index, (), name, root_type, "location", link=True)
                table.add_link(_Candidate(value, site))
            elif lower not in SKIPPED_RESPONSE_HEADERS and table.used(value) and _id_like(value):
                table.add_value(_Candidate(value, _Site(index, (), name, root_type, lower)))
    return table


# --- inference --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Create:
    index: int
    type: str
    shape: re.Pattern[str]
    path: JsonPath


def _initials(type_: str) -> str:
    return "".join(word[0] for word in _words(type_)).lower()


def _bounded(shape: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9-])(?:{shape})(?![A-Za-z0-9-])")


def _create_of(index: int, record: Record) -> _Create | None:
    request = record.request
    if request.method != "POST":
        return None
    path = _url_path(_Flat.of(request.url).text)
    for rule in INFERRED_IDS:
        if rule.method == request.method and rule.path.fullmatch(path):
            return _Create(index, rule.type, _bounded(rule.shape), rule.field)
    body = parse_json(_Flat.of(request.body).text) if isinstance(request.body, Text) else None
    if not isinstance(body, dict):
        return None
    type_ = body.get("type")
    if _NORMAN_CREATE.fullmatch(path) and isinstance(type_, str) and type_.isalnum():
        shape = rf"(?:[a-z0-9]+(?:-[a-z0-9]+)*:)?{_initials(type_)}-{_RANDOM}"
        return _Create(index, type_, _bounded(shape), ("id",))
    steve = _STEVE_CREATE.fullmatch(path)
    prefix = json_at(body, ("metadata", "generateName"))
    if steve and isinstance(prefix, str) and len(prefix) >= 2 and _MARK not in prefix:
        shape = re.escape(prefix) + "[a-z0-9]{5}"
        return _Create(index, _singular(steve.group(1)), _bounded(shape), ("metadata", "name"))
    return None


def _inferred_table(records: list[Record], blobs: list[str]) -> _Table:
    """Candidates bound to the calls that made them, from id shapes alone."""
    table = _Table()
    creates = [c for i, r in enumerate(records) if (c := _create_of(i, r)) is not None]
    bound: dict[str, _Create] = {}
    for index, blob in enumerate(blobs):
        earlier = [c for c in creates if c.index < index]
        for value, create_type in _shape_values(blob, earlier):
            if value in bound or any(value in b for b in blobs[:index]):
                continue
            free = [c for c in earlier if c.type == create_type and c not in bound.values()]
            if not free:
                continue
            create = free[0]
            bound[value] = create
            key = str(create.path[-1])
            site = _Site(create.index, create.path, None, create.type, key, inferred=True)
            table.add_value(_Candidate(value, site))
            table.add_id(_Candidate(value, site))
    return table


def _shape_values(blob: str, creates: list[_Create]) -> list[tuple[str, str]]:
    """Values of the creates' shapes in a text: leftmost first, the longest at a place."""
    spans = sorted(
        (
            (m.start(), -m.end(), m.group(0), c.type)
            for c in creates
            for m in c.shape.finditer(blob)
        ),
    )
    found, end = [], 0
    for start, negative_end, value, type_ in spans:
        if start >= end:
            found.append((value, type_))
            end = -negative_end
    return found


# --- finding values in requests ---------------------------------------------------------


@dataclass
class _Finder:
    """All spellings of every candidate, by their first alphanumeric run: finding values in
    a text costs one dictionary look-up per word."""

    heads: dict[str, list[tuple[str, _Spelling]]] = field(default_factory=dict)

    @classmethod
    def of(cls, table: _Table) -> _Finder:
        spellings: dict[str, _Spelling] = {}
        for value in table.values:  # in the order values first appeared: the first one wins
            for derive, form in _derived(value).items():
                if _id_like(form) and form not in table.values:
                    spellings.setdefault(form, (value, derive))
        spellings.update((value, (value, None)) for value in table.values)
        finder = cls()
        for form, meaning in spellings.items():
            for spelling in [form, *_encoded(form)]:
                head = _HEAD.match(spelling)
                if head is not None:
                    finder.heads.setdefault(head.group(0), []).append((spelling, meaning))
        for options in finder.heads.values():
            options.sort(key=lambda option: -len(option[0]))
        return finder

    def find(self, text: str) -> Iterator[tuple[int, int, _Spelling]]:
        position = 0
        for word in _HEAD.finditer(text):
            start = word.start()
            if start < position or (start and text[start - 1].isalnum()):
                continue
            for spelling, meaning in self.heads.get(word.group(0), ()):
                end = start + len(spelling)
                if text.startswith(spelling, start) and not text[end : end + 1].isalnum():
                    yield start, end, meaning
                    position = end
                    break


_HEAD = re.compile(r"[A-Za-z0-9]+")
# A spelling found in a request means a produced value, in a derived form or as it is.
_Spelling = tuple[str, str | None]


# --- the pass over the requests ---------------------------------------------------------


@dataclass
class _Context:
    records: list[Record]
    datas: list[Any]  # each record's response JSON, None if it has none
    table: _Table
    finder: _Finder
    schemas: _Schemas
    blobs: list[str]
    first_sent: dict[str, int] = field(default_factory=dict)
    producers: dict[str, _Candidate | None] = field(default_factory=dict)

    def chainable(self, candidate: _Candidate) -> bool:
        """No request up to the producer's holds the value in any spelling."""
        return candidate.site.index < self._first_sent(candidate.value)

    def _first_sent(self, value: str) -> int:
        """The first request that holds a value in any spelling, also in a longer string."""
        if value not in self.first_sent:
            forms = {value, *_derived(value).values()}
            forms |= {e for form in forms for e in _encoded(form)}
            self.first_sent[value] = next(
                (i for i, blob in enumerate(self.blobs) if any(f in blob for f in forms)),
                len(self.blobs),
            )
        return self.first_sent[value]

    def producer(self, value: str) -> _Candidate | None:
        """The best response a value is read from, among those before any request held it."""
        if value not in self.producers:
            sent = self._first_sent(value)
            found = [c for c in self.table.values[value] if c.site.index < sent]
            self.producers[value] = min(found, key=_rank, default=None)
        return self.producers[value]

    def made(self, url: str, index: int) -> bool:
        """A URL the server made: it holds an id-like path segment or query value that no
        request up to `index` holds, and no such request holds the URL."""
        sent = self.blobs[: index + 1]
        if any(url in blob for blob in sent):
            return False
        parts = re.split(r"[/?&=#]", url.split("://", 1)[-1])[1:]
        return any(_id_like(p) and not any(p in blob for blob in sent) for p in parts)

    def values_in(self, text: str, index: int) -> list[_Use]:
        uses = []
        for start, end, (value, derive) in self.finder.find(text):
            producer = self.producer(value)
            if producer is not None and producer.site.index < index:
                uses.append(_Use(start, end, _Candidate(value, producer.site, derive)))
        return uses


def _url_uses(context: _Context, flat: _Flat, index: int, method: str) -> list[_Use]:
    """The URL from an earlier response's links, if the request goes there, and values in the
    rest of it."""
    text = flat.text
    cuts = [len(text), *(m.start() for m in re.finditer(r"[?&]", text))]
    for cut in sorted(cuts, reverse=True):
        link = text[:cut]
        offered = context.table.links.get(link)
        if not offered or (cut < len(text) and text[cut] != ("&" if "?" in link else "?")):
            continue
        wanted = LINK_KEY_FOR_METHOD.get(method)
        chosen = next((c for c in offered if c.site.key == wanted), offered[0])
        if chosen.site.index < index and context.made(link, chosen.site.index):
            rest = context.values_in(text[cut:], index)
            shifted = [_Use(u.start + cut, u.end + cut, u.candidate) for u in rest]
            return [_Use(0, cut, chosen), *shifted]
    return context.values_in(text, index)


def _body_uses(context: _Context, flat: _Flat, index: int, record: Record) -> list[_Use]:
    scalars = _json_scalars(flat.text)
    uses = context.values_in(flat.text, index)
    if scalars is None:
        return uses
    body = parse_json(flat.text)
    url = _Flat.of(record.request.url).text
    top = context.schemas.of_request(url)
    starts = [scalar.start for scalar in scalars]
    kept: list[_Use] = []
    claimed: list[_Scalar] = []
    for scalar in scalars:
        found = _typed_use(context, body, scalar, flat.text, index, top)
        found = found or _version_use(context, body, scalar, index, record)
        if found is not None:
            kept.append(found)
            claimed.append(scalar)
    for use in uses:
        at = bisect_right(starts, use.start) - 1
        scalar = scalars[at] if at >= 0 and use.end <= scalars[at].end else None
        if scalar is None:
            kept.append(use)
            continue
        declared = context.schemas.field_type(body, scalar.path, top) if scalar.path else None
        if scalar in claimed or declared is not None:
            # Chained by type or version already; or a field the schema types: a reference
            # _typed_use found no producer of its type for, or a coincidence in another type.
            continue
        key = scalar.path[-1] if scalar.path else ""
        use.consumer_key = key if isinstance(key, str) else ""
        kept.append(use)
    return kept


def _typed_use(
    context: _Context, body: Any, scalar: _Scalar, text: str, index: int, top: str | None
) -> _Use | None:
    """A reference[T] field holding an id of an object of type T made earlier."""
    if not scalar.path:
        return None
    declared = context.schemas.field_type(body, scalar.path, top)
    wanted = _reference(declared) if declared else None
    if wanted is None:
        return None
    value = text[scalar.start : scalar.end]
    for type_, ids in context.table.ids.items():
        candidate = ids.get(value)
        if (
            candidate is not None
            and _same_type(type_, wanted)
            and candidate.site.index < index
            and value.lower() not in STOP_VALUES
            and context.chainable(candidate)
        ):
            key = scalar.path[-1]
            return _Use(scalar.start, scalar.end, candidate, key if isinstance(key, str) else "")
    return None


def _version_use(
    context: _Context, body: Any, scalar: _Scalar, index: int, record: Record
) -> _Use | None:
    """A version field (`metadata.resourceVersion`, `revision`), from the latest earlier
    response that holds the same object."""
    key = scalar.path[-1] if scalar.path else None
    if key not in VERSION_KEYS:
        return None
    field_path: JsonPath = ("metadata", key) if scalar.path[-2:-1] == ("metadata",) else (key,)
    owner = json_at(body, scalar.path[: -len(field_path)])
    url = _url_path(_Flat.of(record.request.url).text)
    wanted = owner.get("id") if isinstance(owner, dict) else None
    for earlier in range(index - 1, -1, -1):
        data = context.datas[earlier]
        for path, node in _objects(data):
            links = node.get("links") if isinstance(node.get("links"), dict) else {}
            same = (wanted is not None and node.get("id") == wanted) or any(
                isinstance(links.get(k), str) and _url_path(links[k]) == url
                for k in ("self", "update")
            )
            version = json_at(node, field_path)
            if same and version is not None:
                site = _Site(earlier, (*path, *field_path), None, _owner_type(node, ""), str(key))
                return _Use(scalar.start, scalar.end, _Candidate(str(version), site))
    return None


def _objects(data: Any) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    """The response's object and those in its `data` list (a collection)."""
    if isinstance(data, dict):
        yield (), data
        if isinstance(data.get("data"), list):
            for number, item in enumerate(data["data"]):
                if isinstance(item, dict):
                    yield ("data", number), item


def _no_overlap(uses: list[_Use]) -> list[_Use]:
    """Earlier and longer uses win; typed and URL uses come first in `uses`."""
    chosen: list[_Use] = []
    for use in uses:
        if all(use.end <= c.start or use.start >= c.end for c in chosen):
            chosen.append(use)
    return chosen


# --- assembling -------------------------------------------------------------------------


def _request_uses(context: _Context, index: int) -> list[tuple[_Flat, list[_Use]]]:
    record = context.records[index]
    request = record.request
    texts = _request_texts(request)
    head = 1 + len(request.headers)  # URL and headers are str, the rest body bytes
    flats = [_Flat.of(text, number >= head) for number, text in enumerate(texts)]
    found = [_no_overlap(_url_uses(context, flats[0], index, request.method))]
    found += [_no_overlap(context.values_in(f.text, index)) for f in flats[1:]]
    if isinstance(request.body, Text):
        found[-1] = _no_overlap(_body_uses(context, flats[-1], index, record))
    return list(zip(flats, found, strict=True))


def _rebuilt(request: Request, texts: list[Text]) -> Request:
    url, rest = texts[0], texts[1:]
    headers = [(name, text) for (name, _), text in zip(request.headers, rest, strict=False)]
    rest = rest[len(request.headers) :]
    body = request.body
    if isinstance(body, Text):
        body = rest[0]
    elif isinstance(body, Multipart):
        values = iter(rest)
        body = Multipart(
            [
                (
                    FormPart(p.name, next(values), p.file, p.filename, p.type)
                    if p.value is not None
                    else p
                )
                for p in body.parts
            ]
        )
    return Request(request.method, url, headers, body, request.http_version, request.options)


def _extraction_of(records: list[Record], candidate: _Candidate, name: str) -> Extraction:
    site = candidate.site
    if site.inferred:
        note = f"{site.key} of the {_readable(site.type)} created here, {INFERRED_NOTE}"
    elif site.header is not None and site.link:
        note = f"the URL of the {_readable(site.type)} ({site.header} header)"
    elif site.header is not None:
        note = f"the {site.header} header of the response"
    elif site.link and site.path[-2] == "links":
        note = f"the {site.key} link of the {_readable(site.type)}"
    elif site.link:
        note = f"the {site.key} action URL offered by the {_readable(site.type)}"
    elif site.key == "id" and records[site.index].request.method == "POST":
        note = f"id of the {_readable(site.type)} created here"
    elif site.key == "id":
        note = f"id of the {_readable(site.type)}"
    else:
        note = f"{site.key} of the {_readable(site.type)}"
    if site.header is not None:
        return Extraction(name, header=site.header, derive=candidate.derive, note=note)
    return Extraction(name, site.path, derive=candidate.derive, note=note)


def _inferred_note(records: list[Record], candidate: _Candidate, name: str) -> str:
    request = records[candidate.site.index].request
    call = f"{request.method} {_url_path(_Flat.of(request.url).text)}"
    made = _readable(candidate.site.type)
    return f"{name} is inferred from the id shape of the {made} that {call} creates: {NO_RESPONSES}"


def _readable(type_: str) -> str:
    return " ".join(_type_words(type_)).lower() or "response"


def _wait_of(context: _Context, index: int, path: JsonPath) -> Wait | None:
    """Wait on `path` if earlier responses to the same request lacked it."""
    request = context.records[index].request
    url = _Flat.of(request.url).text
    for earlier, record in enumerate(context.records[:index]):
        if record.request.method == request.method and _Flat.of(record.request.url).text == url:
            data = context.datas[earlier]
            if data is not None and json_at(data, path) in (None, "", [], {}):
                return Wait(path)
    return None


def chain(
    records: list[Record], *, taken: Collection[str] = (), schemas: Iterable[Record] = ()
) -> Chaining:
    """Server-made values in later requests replaced by Vars read from their producers."""
    blobs = [_blob(record.request) for record in records]
    inference = all(record.response is None for record in records)
    datas = [response_json(record) for record in records]
    table = _inferred_table(records, blobs) if inference else _response_table(records, datas, blobs)
    known = _Schemas()
    for record in schemas:
        if _SCHEMAS.search(_url_path(_Flat.of(record.request.url).text)):
            known.add(response_json(record))
    for data in datas:
        known.add(data)
    context = _Context(records, datas, table, _Finder.of(table), known, blobs)
    per_record = [_request_uses(context, index) for index in range(len(records))]

    used_names = set(taken)
    names: dict[_Candidate, str] = {}
    result = Chaining(list(records), {}, {}, {}, {})
    for index, found in enumerate(per_record):
        for use in sorted((u for _, uses in found for u in uses), key=lambda u: u.start):
            candidate = use.candidate
            if candidate not in names:
                names[candidate] = unique_name(_base_name(candidate, use.consumer_key), used_names)
                used_names.add(names[candidate])
                producer = candidate.site.index
                extraction = _extraction_of(records, candidate, names[candidate])
                result.extracts.setdefault(producer, []).append(extraction)
                wait = _wait_of(context, producer, candidate.site.path) if extraction.path else None
                if wait is not None and producer not in result.waits:
                    result.waits[producer] = wait
            result.uses.setdefault(index, set()).add(candidate.site.index)
            if candidate.site.inferred:
                note = _inferred_note(records, candidate, names[candidate])
                lines = result.notes.setdefault(index, [])
                if note not in lines:
                    lines.append(note)
        if any(uses for _, uses in found):
            texts = [flat.replaced(uses, names) for flat, uses in found]
            record = records[index]
            result.records[index] = record.changed(_rebuilt(record.request, texts))
    return result
