"""Helpers for tests of captures: the values an env file sets, and what a Text sends."""

from __future__ import annotations

import subprocess
from pathlib import Path

from capture2code.template import Text, Var


def sourced_env(path: Path) -> dict[str, str]:
    """The variables a bash-sourceable env file sets, as bash itself reads them."""
    script = 'set -a; . "$1"; set +a; env -0'
    before = subprocess.run(
        ["bash", "-c", "env -0"], capture_output=True, check=True, env={}
    ).stdout.split(b"\0")
    after = subprocess.run(
        ["bash", "-c", script, "bash", str(path)], capture_output=True, check=True, env={}
    ).stdout.split(b"\0")
    return dict(item.decode().split("=", 1) for item in after if item and item not in before)


def resolved(text: Text, env: dict[str, str]) -> bytes:
    """A record's Text with its variables set from `env`: what a script sends."""
    pieces = [env[piece.name] if isinstance(piece, Var) else piece for piece in text.pieces]
    return b"".join(
        piece if isinstance(piece, bytes) else piece.encode("utf-8", "surrogateescape")
        for piece in pieces
    )
