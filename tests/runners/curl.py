"""Runs a generated bash script with the real bash and curl."""

from __future__ import annotations

import subprocess
from pathlib import Path

from capture2code.emit import Emitted

SCRIPT = "script.sh"
# A minimal environment: no proxies, no ~/.curlrc, a UTF-8 locale.
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C.UTF-8"}


def run(
    emitted: Emitted,
    env: dict[str, str],
    cwd: Path,
    timeout: float = 60,
    *,
    params: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Write the script (and its files) under `cwd` and run it there with bash.

    `params` (Param name -> value) are passed as a user of the script does: as environment
    variables of the same name.
    """
    cwd.mkdir(parents=True, exist_ok=True)
    (cwd / SCRIPT).write_bytes(emitted.text.encode("utf-8"))
    for name, data in emitted.files.items():
        path = cwd / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return subprocess.run(
        ["bash", SCRIPT],
        cwd=cwd,
        env={**BASE_ENV, "HOME": str(cwd), **env, **(params or {})},
        capture_output=True,
        timeout=timeout,
        check=False,
    )
