"""Names the user typed become script parameters (`--cluster-name`, CLUSTER_NAME).

A create call names what it creates (`name`, `metadata.name`, `displayName`, a
`metadata.generateName` prefix). Running the same script again needs another name, so each
such value becomes a `param` Var with the captured value as its default, substituted
wherever the value occurs in the kept requests: URL paths and queries, bodies, form parts.

Decisions:
- A value is replaced where it stands alone or between non-alphanumeric characters
  (`demo` in `demo-pool1-`, not in `demonstrate`), so a prefix derived from a name follows it.
- A name that contains another, shorter parameter's value is not a parameter itself: it is
  built from that one (the UI derives `nc-rke2-demo-pool1-` from the cluster name
  `rke2-demo`), so changing the cluster name changes both.
- Short values (under MIN_NAME characters without dashes) and stop words are left alone:
  replacing them everywhere would cut into unrelated text.
- The parameter is named after the type the call creates: the response's `baseType`/`type`
  or `kind`, else the body's `type`, else the URL's collection (`CLOUD_CREDENTIAL_NAME`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from capture2code.plan import JsonPath, Param, json_at, unique_name
from capture2code.record import (
    FormPart,
    Multipart,
    Record,
    parse_json,
    request_target,
    response_json,
)
from capture2code.template import Text, Var

MIN_NAME = 3
STOP_NAMES: frozenset[str] = frozenset(
    {"default", "local", "fleet-default", "fleet-local", "admin", "true", "false", "null"}
)

# Fields of a create body that name the object, and the suffix of the parameter they give.
NAME_FIELDS: tuple[tuple[JsonPath, str], ...] = (
    (("metadata", "name"), "NAME"),
    (("name",), "NAME"),
    (("displayName",), "DISPLAY_NAME"),
    (("metadata", "generateName"), "NAME_PREFIX"),
)
CREATE_METHODS = frozenset({"POST"})
# A POST that runs an action on an existing object (Norman `?action=`) creates nothing.
ACTION = re.compile(r"[?&]action=")


@dataclass
class Parameters:
    params: list[Param]
    # For each record index, the object it creates and its name (a Text with the param).
    names: dict[int, tuple[str, Text]]


def type_word(record: Record) -> str | None:
    """The type a create call makes, as Rancher spells it (`cloudCredential`, `cluster`)."""
    response = response_json(record)
    if isinstance(response, dict):
        for key in ("baseType", "type", "kind"):
            value = response.get(key)
            if isinstance(value, str) and value and value != "collection":
                return _last_word(value)
    body = record.request.body
    if isinstance(body, Text) and body.is_literal:
        parsed = parse_json(body.literal_bytes())
        if isinstance(parsed, dict) and isinstance(parsed.get("type"), str) and parsed["type"]:
            return _last_word(parsed["type"])
    path = _path(record)
    segments = [s for s in path.split("/") if s and not re.fullmatch(r"v\d+(?:-public)?", s)]
    return _last_word(segments[0]) if segments else None


def _last_word(value: str) -> str:
    return re.split(r"[./]", value)[-1]


def constant_case(word: str) -> str:
    """`cloudCredential`, `cloud-credential`, `cloudcredentials` -> CLOUD_CREDENTIAL(S)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", word)
    return re.sub(r"[^A-Za-z0-9]+", "_", spaced).strip("_").upper()


def readable(word: str) -> str:
    return constant_case(word).lower().replace("_", " ")


def _path(record: Record) -> str:
    return request_target(record).split("?", 1)[0]


def _significant(value: str) -> bool:
    return len(value.strip("-_.")) >= MIN_NAME and value not in STOP_NAMES


def _candidates(records: list[Record]) -> Iterator[tuple[int, str, str, str]]:
    """(record index, value, parameter base name, description) of each typed name."""
    for index, record in enumerate(records):
        request = record.request
        if request.method not in CREATE_METHODS or ACTION.search(request_target(record)):
            continue
        body = request.body
        if not isinstance(body, Text):
            continue
        parsed = parse_json(b"".join(p for p in body.pieces if isinstance(p, bytes)))
        if not isinstance(parsed, dict):
            parsed = parse_json(b"".join(p if isinstance(p, bytes) else b"x" for p in body.pieces))
        if not isinstance(parsed, dict):
            continue
        word = type_word(record) or "object"
        for path, suffix in NAME_FIELDS:
            value = json_at(parsed, path)
            if isinstance(value, str) and _significant(value):
                field_name = ".".join(str(p) for p in path)
                yield (
                    index,
                    value,
                    f"{constant_case(word)}_{suffix}",
                    f"{field_name} of the {readable(word)} ({request.method} {_path(record)})",
                )


@functools.cache
def _pattern(*values: str) -> re.Pattern[str]:
    """Any of `values` (the first that matches at a position), standing alone."""
    either = "|".join(re.escape(value) for value in values)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{either})(?![A-Za-z0-9])")


def find_params(records: list[Record], *, taken: set[str]) -> Parameters:
    """The parameters of a capture's create calls (see the module docstring)."""
    chosen: dict[str, Param] = {}  # value -> param
    candidates = list(_candidates(records))
    first_seen: dict[int, str] = {}  # index -> the value of its first name field
    for index, value, *_ in candidates:
        first_seen.setdefault(index, value)
    for _, value, base, description in sorted(candidates, key=lambda c: len(c[1])):
        if value in chosen or any(_pattern(v).search(value) for v in chosen):
            continue
        name = unique_name(base, taken | {p.name for p in chosen.values()})
        option = "--" + name.lower().replace("_", "-")
        chosen[value] = Param(name, option, value, description)
    order = {value: number for number, (_, value, *_) in reversed(list(enumerate(candidates)))}
    params = sorted(chosen.values(), key=lambda p: order[p.default])
    names = {
        index: (type_word(records[index]) or "object", _replace_text(Text.of(value), params))
        for index, value in first_seen.items()
    }
    return Parameters(params, names)


def apply_params(records: list[Record], params: list[Param]) -> list[Record]:
    """Each parameter's captured value replaced by its Var in the literal parts of the
    requests: values already replaced by other Vars (an id the server made from a name)
    stay what they are."""
    return [_substitute(record, params) for record in records]


def _replace_text(text: Text, params: list[Param]) -> Text:
    if not params:
        return text
    longest_first = sorted(params, key=lambda p: len(p.default), reverse=True)
    pattern = _pattern(*(param.default for param in longest_first))
    names = {param.default: param.name for param in params}
    pieces: list[str | bytes | Var] = []
    for piece in text.pieces:
        if isinstance(piece, Var):
            pieces.append(piece)
            continue
        as_str = piece.decode("utf-8", "surrogateescape") if isinstance(piece, bytes) else piece
        position = 0
        for match in pattern.finditer(as_str):
            pieces.append(_like(piece, as_str[position : match.start()]))
            pieces.append(Var(names[match.group(0)], "param"))
            position = match.end()
        pieces.append(_like(piece, as_str[position:]))
    return Text.of(*pieces)


def _like(piece: str | bytes, text: str) -> str | bytes:
    return text.encode("utf-8", "surrogateescape") if isinstance(piece, bytes) else text


def _substitute(record: Record, params: list[Param]) -> Record:
    if not params:
        return record
    request = record.request
    url = request.url
    first = url.pieces[0] if url.pieces else None
    if isinstance(first, str) and "://" in first:
        # The origin is not a name: only the path and query follow a parameter.
        scheme, rest = first.split("://", 1)
        host, slash, target = rest.partition("/")
        url = Text.of(f"{scheme}://{host}{slash}") + _replace_text(
            Text.of(target, *url.pieces[1:]), params
        )
    else:
        url = _replace_text(url, params)
    body = request.body
    if isinstance(body, Text):
        body = _replace_text(body, params)
    elif isinstance(body, Multipart):
        body = Multipart(
            [
                FormPart(
                    part.name,
                    None if part.value is None else _replace_text(part.value, params),
                    part.file,
                    part.filename,
                    part.type,
                )
                for part in body.parts
            ]
        )
    changed = request.changed(url=url)
    changed.body = body
    return record.changed(changed)
