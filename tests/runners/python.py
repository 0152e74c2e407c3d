"""Runs a generated Python script with the real interpreter (the one running the tests,
which has requests installed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from capture2code.emit import Emitted

SCRIPT = "script.py"


def option_of(emitted: Emitted, param: str) -> str:
    """The command-line option of parameter `param`, as the script's header lists it."""
    match = re.search(rf"^#   (--[A-Za-z0-9-]+), {re.escape(param)}:", emitted.text, re.MULTILINE)
    if match is None:
        raise KeyError(f"the script has no option for parameter {param}")
    return match.group(1)


def run(
    emitted: Emitted,
    env: dict[str, str],
    cwd: Path,
    timeout: float = 60,
    params: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Writes the script (and the files it refers to) under `cwd` and runs it there.

    The environment is minimal (no proxy or CA variables from the caller) plus `env`.
    `params` (parameter name -> value) are given as command-line options, `--option=value`
    (the `=` form also takes a value that starts with "-").
    """
    cwd.mkdir(parents=True, exist_ok=True)
    (cwd / SCRIPT).write_text(emitted.text, encoding="utf-8")
    for name, data in emitted.files.items():
        path = cwd / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    options = [f"{option_of(emitted, name)}={value}" for name, value in (params or {}).items()]
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "HOME": str(cwd)}
    return subprocess.run(
        # -I: ignore PYTHON* variables and the user's site directory; -B: no .pyc files.
        [sys.executable, "-I", "-B", SCRIPT, *options],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        timeout=timeout,
    )
