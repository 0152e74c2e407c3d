"""The env file, checked by sourcing it with the real bash."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture2code.emit import EmitError
from capture2code.emit.curl import emit
from capture2code.emit.envfile import env_file
from capture2code.plan import EnvVar, Plan, Step
from capture2code.record import Record, Request
from capture2code.template import Text, Var
from tests.emit.test_curl import tricky_bytes
from tests.recorder import Recorder

PROCESS_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
values = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\0")),
    tricky_bytes(nul=False).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.sampled_from(["", "'", "''", "x\n", "\n\n", "a\\", "$x", "it's", " lead", "trail "]),
)


def sourced(tmp_path: Path, text: str, locale: str = "C.UTF-8") -> dict[bytes, bytes]:
    """The exported environment of a process started after `set -a; . ./.env; set +a`."""
    (tmp_path / ".env").write_bytes(text.encode("utf-8"))
    result = subprocess.run(
        ["bash", "-c", "set -a; . ./.env; set +a; exec env -0"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": locale},
        capture_output=True,
        check=True,
    )
    pairs = [item.partition(b"=") for item in result.stdout.split(b"\0")[:-1]]
    return {name: value for name, _, value in pairs}


@pytest.mark.parametrize("locale", ["C", "C.UTF-8"])
@PROCESS_SETTINGS
@given(captured=st.lists(values, min_size=1, max_size=8))
def test_sourcing_restores_every_value(tmp_path: Path, locale: str, captured: list[str]) -> None:
    env = [EnvVar(f"V{i}", "secret", value=value) for i, value in enumerate(captured)]
    plan = Plan([], env=[EnvVar("BASE_URL", default="http://x"), *env])
    restored = sourced(tmp_path, env_file(plan), locale)
    for i, value in enumerate(captured):
        assert restored[f"V{i}".encode()] == value.encode("utf-8", "surrogateescape")
    assert b"BASE_URL" not in restored
    assert not (tmp_path / "PWNED").exists()


@PROCESS_SETTINGS
@given(value=st.binary(max_size=64).map(lambda b: b"\0" + b))
def test_value_with_nul_is_stored_base64(tmp_path: Path, value: bytes) -> None:
    text = value.decode("utf-8", "surrogateescape")
    plan = Plan([], env=[EnvVar("BLOB", "file", value=text, base64=True)])
    restored = sourced(tmp_path, env_file(plan))
    assert b"BLOB" not in restored
    assert base64.b64decode(restored[b"BLOB_B64"]) == value


def test_file_shape() -> None:
    plan = Plan([], env=[EnvVar("TOKEN", value="it's"), EnvVar("UNSET")])
    lines = env_file(plan).splitlines()
    assert lines[0].startswith("# capture2code env file") and "SECRETS" in lines[0]
    assert lines[1] == "# Use: set -a; . ./<this file>; set +a; then run the generated script."
    assert lines[2:] == ["TOKEN='it'\\''s'"]


@pytest.mark.parametrize(
    "env, message",
    [
        (EnvVar("X", value="a\0b"), "not marked base64"),
        (EnvVar("X;touch PWNED", value="v"), "not a valid environment variable name"),
    ],
)
def test_what_the_file_cannot_hold(env: EnvVar, message: str) -> None:
    with pytest.raises(EmitError, match=message):
        env_file(Plan([], env=[env]))


def test_script_runs_with_the_env_file(recorder: Recorder, tmp_path: Path) -> None:
    """The run line from the script's header: the env file feeds the curl script."""
    token = "t'k $(touch PWNED)\n\udcff"
    blob = "\0bin\0"
    request = Request(
        "PUT",
        Text.of(Var("BASE_URL"), "/upload"),
        [("Authorization", Text.of("Bearer ", Var("TOKEN")))],
        Text.of(Var("BLOB")),
    )
    plan = Plan(
        [Step(Record(request), "PUT /upload")],
        env=[
            EnvVar("BASE_URL", default=recorder.origin),
            EnvVar("TOKEN", "API token", value=token.replace("\n", "")),
            EnvVar("BLOB", "file content", value=blob, base64=True),
        ],
    )
    (tmp_path / ".env").write_bytes(env_file(plan).encode("utf-8"))
    (tmp_path / "script.sh").write_bytes(emit(plan).text.encode("utf-8"))
    result = subprocess.run(
        ["bash", "-c", "set -a; . ./.env; set +a; bash script.sh"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [got] = recorder.take()
    assert got.header("Authorization") == b"Bearer t'k $(touch PWNED)\xff"
    assert got.body == b"\0bin\0"
    assert not (tmp_path / "PWNED").exists()
