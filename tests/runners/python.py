"""Runs a generated Python script with the real interpreter (the one running the tests,
which has requests installed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from capture2code.emit import Emitted

SCRIPT = "script.py"


def run(
    emitted: Emitted, env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """Writes the script (and the files it refers to) under `cwd` and runs it there.

    The environment is minimal (no proxy or CA variables from the caller) plus `env`.
    """
    cwd.mkdir(parents=True, exist_ok=True)
    (cwd / SCRIPT).write_text(emitted.text, encoding="utf-8")
    for name, data in emitted.files.items():
        path = cwd / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "HOME": str(cwd)}
    return subprocess.run(
        # -I: ignore PYTHON* variables and the user's site directory; -B: no .pyc files.
        [sys.executable, "-I", "-B", SCRIPT],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        timeout=timeout,
    )
