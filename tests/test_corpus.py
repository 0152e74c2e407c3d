"""Every corpus command, run by the real curl and by each generated script, must reach the
loopback recorder as the same request (byte-exact, or semantically equal where a client
cannot do better; see tests/wire.py)."""

from __future__ import annotations

import importlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from capture2code.convert import convert
from capture2code.sources import Source
from tests.recorder import Received, Recorder
from tests.wire import TALLY, compare, node_target

CORPUS = Path(__file__).parent / "corpus"
BASH_DIR = CORPUS / "bash"
CASES = sorted(BASH_DIR.glob("*.sh")) + sorted((CORPUS / "cmd").glob("*.cmd"))
USER_ENV = {"TOKEN": "tok-123", "API_KEY": "key-456", "USER_NAME": "jane"}
TARGETS = ["python", "curl", "http"]

# Documented limits of each client (tests/corpus/SOURCE.md): kind -> reason.
LIMITS: dict[str, dict[str, str]] = {
    "python": {
        "content-length-zero": "requests sends Content-Length: 0 for a bodiless POST",
        "header-dup": "requests collapses repeated header names",
    },
    "curl": {},
    "http": {
        "content-length-zero": "Node sends Content-Length: 0 for a bodiless POST",
        "method-case": "got upper-cases the method",
        "target": "httpyac resolves dot segments and percent-encodes quotes and non-ASCII",
    },
}


@pytest.fixture(scope="module")
def corpus_recorder() -> Iterator[Recorder]:
    server = Recorder().start()
    yield server
    server.stop()


_references: dict[Path, list[Received]] = {}


def _command_text(case: Path, recorder: Recorder) -> str:
    return case.read_text(encoding="utf-8").replace("ECHO", f"127.0.0.1:{recorder.port}")


def _reference(case: Path, recorder: Recorder, home: Path) -> list[Received]:
    """What the real curl sends for the case (bash; the bash equivalent of a cmd case)."""
    if case not in _references:
        script = (
            case.with_name(case.stem + ".bash-equivalent.sh") if case.suffix == ".cmd" else case
        )
        recorder.take()
        subprocess.run(
            ["bash", "-c", _command_text(script, recorder)],
            env={"PATH": os.environ["PATH"], "LC_ALL": "C.UTF-8", "HOME": str(home), **USER_ENV},
            cwd=BASH_DIR,
            check=True,
            capture_output=True,
            timeout=30,
        )
        _references[case] = recorder.take()
    return _references[case]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name)
def test_corpus_case(
    case: Path, target: str, corpus_recorder: Recorder, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = tmp_path_factory.mktemp("home")
    reference = _reference(case, corpus_recorder, home)
    assert reference, "real curl sent nothing"
    text = _command_text(case, corpus_recorder)
    # Faithful: the real curl is the reference for what each command sends.
    conversion = convert([Source(case.name, text, BASH_DIR)], target=target, mode="faithful")
    env = dict(USER_ENV)
    for var in conversion.plan.env:
        if var.value is not None:
            env[var.name] = var.value
    workdir = tmp_path_factory.mktemp("run")
    (workdir / "files").symlink_to(BASH_DIR / "files")
    corpus_recorder.take()
    runner = importlib.import_module(f"tests.runners.{target}")
    result = runner.run(conversion.emitted, env, workdir)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    actual = corpus_recorder.take()
    assert len(actual) == len(reference)
    for step, ref, act in zip(conversion.plan.steps, reference, actual, strict=True):
        request = step.record.request
        given = {name.lower() for name, _ in request.headers}
        omitted = {name.lower() for name in request.options.get("omit_headers", [])}
        rule = node_target if target == "http" else None
        verdict = compare(ref, act, given, omitted, LIMITS[target], rule)
        kind = "exact" if verdict.exact else ("limit" if verdict.limits else "semantic")
        TALLY.setdefault(target, {}).setdefault(kind, 0)
        TALLY[target][kind] += 1
