"""Emitters: one module per output language, each a function Plan -> Emitted.

Modules are imported on first use so that a conversion pays only for the emitter it
runs (black alone costs about 80 ms to import).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from capture2code.plan import Plan


class EmitError(ValueError):
    """The target language cannot express something in the plan; the message says what."""


@dataclass
class Emitted:
    """The generated file, plus files it refers to by relative name (bodies a .http file
    cannot hold inline), written beside it."""

    text: str
    files: dict[str, bytes] = field(default_factory=dict)


Emitter = Callable[[Plan], Emitted]

EMITTERS: dict[str, str] = {
    "python": "capture2code.emit.python",
    "curl": "capture2code.emit.curl",
    "http": "capture2code.emit.http",
    "jsonl": "capture2code.emit.jsonl",
}


def get_emitter(name: str) -> Emitter:
    emitter: Emitter = importlib.import_module(EMITTERS[name]).emit
    return emitter
