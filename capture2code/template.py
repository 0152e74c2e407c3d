"""Text: captured values as literal pieces and variable references.

Every value an emitter renders (URL, header value, body) is a `Text`. A piece is
either literal data (`str` for URLs and headers, `bytes` for bodies) or a `Var`
that the generated script resolves at run time. Emitters escape literal pieces for
their target context and render each `Var` as a reference, so captured data can
never become code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

VarKind = Literal["env", "extracted", "param"]

VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Var:
    """A value the script reads at run time: from the environment, an earlier
    response, or a script parameter."""

    name: str
    kind: VarKind = "env"


Piece = str | bytes | Var


@dataclass(frozen=True)
class Text:
    """A sequence of literal pieces and `Var`s; literal pieces are all `str` or all `bytes`."""

    pieces: tuple[Piece, ...] = ()

    @classmethod
    def of(cls, *pieces: Piece) -> Text:
        if len(pieces) == 1:  # the common case, kept cheap: one literal or one Var
            piece = pieces[0]
            return cls((piece,) if isinstance(piece, Var) or piece else ())
        return cls(_merge(pieces))

    def __add__(self, other: Text) -> Text:
        return Text(_merge(self.pieces + other.pieces))

    def __iter__(self) -> Iterator[Piece]:
        return iter(self.pieces)

    def __bool__(self) -> bool:
        return bool(self.pieces)

    @property
    def vars(self) -> tuple[Var, ...]:
        return tuple(p for p in self.pieces if isinstance(p, Var))

    @property
    def is_literal(self) -> bool:
        for piece in self.pieces:  # noqa: SIM110 - a plain loop is faster; runs for every value
            if isinstance(piece, Var):
                return False
        return True

    def literal_str(self) -> str:
        """The value as text; only for a Text without Vars."""
        if len(self.pieces) == 1 and isinstance(self.pieces[0], str):
            return self.pieces[0]
        return "".join(_as_str(p) for p in self.pieces)

    def literal_bytes(self) -> bytes:
        """The value as bytes; only for a Text without Vars."""
        return b"".join(_as_bytes(p) for p in self.pieces)

    def as_str(self) -> Text:
        """The same Text with every literal piece as `str` (UTF-8, surrogateescape)."""
        return Text.of(*(p if isinstance(p, Var) else _as_str(p) for p in self.pieces))

    def as_bytes(self) -> Text:
        """The same Text with every literal piece as `bytes` (UTF-8, surrogateescape)."""
        return Text.of(*(p if isinstance(p, Var) else _as_bytes(p) for p in self.pieces))


def _as_str(piece: Piece) -> str:
    if isinstance(piece, Var):
        raise ValueError(f"Text has a variable {piece.name}, not a literal value")
    if isinstance(piece, bytes):
        return piece.decode("utf-8", "surrogateescape")
    return piece


def _as_bytes(piece: Piece) -> bytes:
    if isinstance(piece, Var):
        raise ValueError(f"Text has a variable {piece.name}, not a literal value")
    if isinstance(piece, str):
        return piece.encode("utf-8", "surrogateescape")
    return piece


def _merge(pieces: Iterable[Piece]) -> tuple[Piece, ...]:
    """Join adjacent literals of the same type and drop empty ones."""
    merged: list[Piece] = []
    for piece in pieces:
        if not isinstance(piece, Var) and not piece:
            continue
        if merged and type(merged[-1]) is type(piece) and not isinstance(piece, Var):
            merged[-1] = merged[-1] + piece  # type: ignore[operator]
        else:
            merged.append(piece)
    return tuple(merged)


# Placeholder encoding, used where Texts are stored as plain strings (records on disk):
# `{{NAME}}` is a Var, and a captured `{{` is written `{{{{`.
_PLACEHOLDER = re.compile(r"\{\{\{\{|\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}")


def to_placeholders(text: Text) -> str:
    pieces = text.pieces
    if len(pieces) == 1 and type(pieces[0]) is str and "{{" not in pieces[0]:
        return pieces[0]  # the common case, kept cheap: stages call this for every header
    return "".join(
        "{{" + p.name + "}}" if isinstance(p, Var) else _as_str(p).replace("{{", "{{{{")
        for p in text.pieces
    )


def from_placeholders(encoded: str, kinds: dict[str, VarKind] | None = None) -> Text:
    """Inverse of `to_placeholders`; `kinds` gives the kind of each named Var (default env)."""
    kinds = kinds or {}
    pieces: list[Piece] = []
    position = 0
    for match in _PLACEHOLDER.finditer(encoded):
        pieces.append(encoded[position : match.start()])
        name = match.group(1)
        pieces.append("{{" if name is None else Var(name, kinds.get(name, "env")))
        position = match.end()
    pieces.append(encoded[position:])
    return Text.of(*pieces)
