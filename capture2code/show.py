"""`capture2code show`: the requests of a capture, what a script keeps of them and why, and
the secrets found, as plain aligned tables.

Both tables are deterministic and end no line with a space, so that two runs diff cleanly.
They only ever see redacted records, names and reasons: a captured secret is a `{{NAME}}`
placeholder by then. `secrets_table` gets the EnvVars for their descriptions, and replaces
any value it would print by its placeholder all the same.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from capture2code.plan import EnvVar
from capture2code.record import Record
from capture2code.redact import MIN_SECRET

GAP = "  "
ELLIPSIS = "…"
# A shortened path keeps at least this many columns, however narrow the terminal.
MIN_PATH = 20


@dataclass(frozen=True)
class Row:
    number: int  # 1-based position in the input
    method: str
    target: str  # path + query, from the redacted record ({{NAME}} placeholders)
    status: int | None
    kept: bool
    reason: str


def _printable(text: str) -> str:
    """Control and format characters (a newline, an escape sequence, a bidi override) as
    escapes: a captured URL must not break the table nor drive the terminal."""
    if text.isprintable():
        return text
    return "".join(
        (
            char
            if char == " " or not unicodedata.category(char).startswith(("C", "Z"))
            else _escape(char)
        )
        for char in text
    )


def _escape(char: str) -> str:
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    )


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _width(text: str) -> int:
    return sum(_char_width(char) for char in text)


def _fit(text: str, limit: int) -> str:
    """`text` shortened in the middle to `limit` columns, with an ellipsis."""
    if _width(text) <= limit:
        return text
    room = limit - 1
    head, tail = _take(text, (room + 1) // 2), _take(text[::-1], room // 2)[::-1]
    return head + ELLIPSIS + tail


def _take(text: str, columns: int) -> str:
    used = 0
    for index, char in enumerate(text):
        used += _char_width(char)
        if used > columns:
            return text[:index]
    return text


def _table(header: Sequence[str], lines: Sequence[Sequence[str]], right: int = -1) -> list[str]:
    """Aligned columns; column `right` is aligned right. The last column is not padded."""
    widths = [max(_width(line[i]) for line in [header, *lines]) for i in range(len(header))]
    out = []
    for line in [header, *lines]:
        cells = []
        for index, (cell, width) in enumerate(zip(line, widths, strict=True)):
            pad = " " * (width - _width(cell))
            cells.append(pad + cell if index == right else cell + pad)
        out.append(GAP.join(cells).rstrip())
    return out


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


REQUEST_HEADER = ("#", "METHOD", "PATH", "STATUS", "KEPT", "WHY")


def requests_table(rows: Sequence[Row], *, width: int | None = None) -> str:
    """`#  METHOD  PATH  STATUS  KEPT  WHY`, one line per row, then "N requests, K kept,
    D dropped". With `width` (the terminal's), paths too long for it are shortened in the
    middle; without, they are shown whole."""
    cells = [
        [
            str(row.number),
            _printable(row.method),
            _printable(row.target),
            "-" if row.status is None else str(row.status),
            "kept" if row.kept else "dropped",
            _printable(row.reason),
        ]
        for row in rows
    ]
    if width is not None and cells:
        others = sum(
            max(_width(line[i]) for line in [REQUEST_HEADER, *cells])
            for i in range(len(REQUEST_HEADER))
            if i != 2
        )
        limit = max(MIN_PATH, width - others - len(GAP) * (len(REQUEST_HEADER) - 1))
        for line in cells:
            line[2] = _fit(line[2], limit)
    kept = sum(row.kept for row in rows)
    summary = f"{_count(len(rows), 'request')}, {kept} kept, {len(rows) - kept} dropped"
    return "\n".join([*_table(REQUEST_HEADER, cells, right=0), summary]) + "\n"


def _ranges(numbers: Sequence[int]) -> str:
    """1, 2, 3, 5 -> "1-3, 5"."""
    spans: list[list[int]] = []
    for number in sorted(set(numbers)):
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


SECRETS_HEADER = ("VARIABLE", "WHERE", "REQUESTS", "DESCRIPTION")


def secrets_table(records: Sequence[Record], env: Sequence[EnvVar]) -> str:
    """One line per (variable, where) of the records' `redacted` notes, with the request
    numbers (1-based positions in `records`), grouped by variable in the order they first
    appear; the variable's description on its first line. Then "N secrets in V variables",
    N counting (variable, where) lines. Never a value: the records are redacted, and a
    value of `env` that would appear anyway is shown as its placeholder."""
    places: dict[str, dict[str, list[int]]] = {}
    for number, record in enumerate(records, start=1):
        for note in record.redacted:
            if note.get("kind", "env") != "env" or "var" not in note:
                continue  # extracted ids and parameters are not secrets
            where = places.setdefault(note["var"], {}).setdefault(note.get("where", "-"), [])
            where.append(number)
    descriptions = {var.name: var.description for var in env}
    lines = []
    for name, wheres in places.items():
        ordered = sorted(wheres.items(), key=lambda item: (min(item[1]), item[0]))
        for index, (where, numbers) in enumerate(ordered):
            description = descriptions.get(name, "") if index == 0 else ""
            lines.append([name, where, _ranges(numbers), description])
    values = _values(env)
    cells = [[_printable(_without(values, cell)) for cell in line] for line in lines]
    summary = f"{_count(len(lines), 'secret')} in {_count(len(places), 'variable')}"
    return "\n".join([*_table(SECRETS_HEADER, cells), summary]) + "\n"


def _values(env: Sequence[EnvVar]) -> list[tuple[str, str]]:
    """(value, placeholder) of each secret, longest first: a value inside another is not
    replaced in part."""
    pairs = [
        (var.value, "{{" + var.name + "}}")
        for var in env
        if var.value is not None and len(var.value) >= MIN_SECRET
    ]
    return sorted(pairs, key=lambda pair: -len(pair[0]))


def _without(values: list[tuple[str, str]], text: str) -> str:
    for value, placeholder in values:
        text = text.replace(value, placeholder)
    return text
