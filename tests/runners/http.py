"""Runs an emitted .http file with the httpyac pinned in package.json (`npm ci` installs it).

`httpyac send FILE --all --bail` runs every request in order and stops at the first that
fails; its exit code is then non-zero: 2 when the prologue refuses to start (a variable
unset, a file missing), 10 when a request errors (connection, bad URL), 20 when a status
check fails (HTTP status 400 or more).

Parameters (plan.params) are passed as a user would: `--var NAME=value` on the command line.
A response script that stops the run (an HTTP status of 400 or more, a missing field, a wait
that timed out) exits with 3.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from capture2code.emit import Emitted
from capture2code.emit.http import STEM

ROOT = Path(__file__).resolve().parents[2]
HTTPYAC = ROOT / "node_modules" / ".bin" / "httpyac"
TIMEOUT = 120


def command(path: Path, params: dict[str, str] | None = None) -> list[str]:
    options = [f"--var={name}={value}" for name, value in (params or {}).items()]
    return [str(HTTPYAC), "send", str(path), "--all", "--bail", "--output", "short", *options]


def write(emitted: Emitted, cwd: Path) -> Path:
    """The .http file and its side files, written under `cwd`."""
    path = cwd / f"{STEM}.http"
    path.write_text(emitted.text, encoding="utf-8")
    for name, data in emitted.files.items():
        (cwd / name).write_bytes(data)
    return path


def run(
    emitted: Emitted, env: dict[str, str], cwd: Path, params: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    if not HTTPYAC.exists():
        raise FileNotFoundError(f"{HTTPYAC} is missing: run `npm ci` in {ROOT}")
    path = write(emitted, cwd)
    # A minimal environment: node on PATH, HOME inside the run directory (httpyac keeps
    # sessions there), colour off; nothing else of ours leaks into the variables.
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "NO_COLOR": "1"}
    return subprocess.run(
        command(path, params), cwd=cwd, env={**base, **env}, capture_output=True, timeout=TIMEOUT
    )
