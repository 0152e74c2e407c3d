"""Values from an env file that capture2code wrote (emit/envfile.py): `NAME=word` lines whose
word is made of '…' runs, \\' quotes and $'\\xHH' bytes, and NAME_B64 for values with NUL.

The records a capture writes hold `{{NAME}}` placeholders; their values sit in the env file
beside them, and `convert` reads them back from here for `--env-file`.
"""

from __future__ import annotations

import base64
import re

from capture2code.errors import InputError

_ASSIGNMENT = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*)=((?:'[^']*'|\\'|\$'(?:\\x[0-9a-fA-F]{2})*')*)(?:\n|\Z)"
)
_PIECE = re.compile(r"'([^']*)'|(\\')|\$'((?:\\x[0-9a-fA-F]{2})*)'")


def _value(word: str) -> str:
    data = bytearray()
    for plain, quote, escaped in _PIECE.findall(word):
        if quote:
            data += b"'"
        elif escaped:
            data += bytes.fromhex(escaped.replace("\\x", ""))
        else:
            data += plain.encode("utf-8", "surrogateescape")
    return data.decode("utf-8", "surrogateescape")


def read_env_file(text: str) -> dict[str, str]:
    """NAME -> value; a NAME_B64 line gives NAME its decoded value."""
    values: dict[str, str] = {}
    position = 0
    while position < len(text):
        if text.startswith("#", position) or text.startswith("\n", position):
            end = text.find("\n", position)
            position = len(text) if end < 0 else end + 1
            continue
        match = _ASSIGNMENT.match(text, position)
        if match is None:
            line = text.count("\n", 0, position) + 1
            raise InputError("not a line of a capture2code env file", line)
        name, word = match.groups()
        value = _value(word)
        if name.endswith("_B64"):
            raw = base64.b64decode(value.encode("ascii", "surrogateescape"))
            values[name.removesuffix("_B64")] = raw.decode("utf-8", "surrogateescape")
        else:
            values[name] = value
        position = match.end()
    return values
