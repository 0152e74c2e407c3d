"""The command line as a user runs it: a real process, real files, real stdin."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.recorder import Recorder

ERROR_LINE = re.compile(r"^capture2code: error: .+\n\Z")


def run(
    *args: str, stdin: bytes = b"", cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "capture2code", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        timeout=60,
    )


BAD_STDIN = [
    ("curl 'http://h/x", r"<stdin>:1:6: .*(unterminated|quote)"),
    ("curl http://h/x -H", r"<stdin>:1:\d+: .*requires a value"),
    ("curl --frobnicate http://h/x", r"<stdin>:1:\d+: .*--frobnicate.*unknown"),
    ("curl -s -k", r"<stdin>:1:1: no URL"),
    ("wget http://h/x", r"<stdin>:1:1: not a curl command"),
    ("", r"<stdin>: no curl command found"),
    ("   \n# only a comment\n", r"<stdin>: no curl command found"),
    ("curl http://h/x\ncurl 'http://h/{a,b}'", r"<stdin>:2:6: URL globbing"),
    ("curl http://h/$(id)", r"<stdin>:1:15: .*command substitution"),
    ("curl --data=foo http://h/", r"<stdin>:1:6: .*--data=foo.*unknown"),
    ("curl 'http://h/a b'", r"<stdin>:1:6: URL using bad/illegal format"),
]


@pytest.mark.parametrize(("text", "message"), BAD_STDIN)
def test_bad_input_is_one_line_exit_2(text: str, message: str, tmp_path: Path) -> None:
    out = tmp_path / "out.py"
    result = run("convert", "--to", "python", "-o", str(out), stdin=text.encode())
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert ERROR_LINE.match(stderr), stderr
    assert re.search(message, stderr), stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_missing_file_directory_and_binary_input(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 4)
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"curl http://h/\xe9")
    cases = [
        (str(tmp_path / "nope.txt"), "nope.txt: No such file or directory"),
        (str(tmp_path), "is a directory"),
        (str(garbage), "garbage.bin: binary data"),
        (str(latin), "latin.txt:1: not UTF-8 text"),
    ]
    for path, message in cases:
        result = run("convert", path, "--to", "curl")
        stderr = result.stderr.decode()
        assert result.returncode == 2, stderr
        assert ERROR_LINE.match(stderr) and message in stderr, stderr


def test_unwritable_output_is_a_clean_error(tmp_path: Path) -> None:
    result = run(
        "convert",
        "--to",
        "curl",
        "-o",
        str(tmp_path / "no" / "such" / "dir.sh"),
        stdin=b"curl http://h/",
    )
    assert result.returncode == 2
    assert ERROR_LINE.match(result.stderr.decode()), result.stderr


def test_version_and_help() -> None:
    version = run("--version")
    assert version.returncode == 0 and re.match(rb"capture2code, version \d", version.stdout)
    help_text = run("convert", "--help").stdout.decode()
    for expected in ["--to", "--env-file", "--no-redact", "Examples:", "capture2code convert"]:
        assert expected in help_text


def test_valid_but_ignored_option_warns_once_and_converts() -> None:
    result = run("convert", "--to", "curl", stdin=b"curl --retry 3 -sS http://h/x")
    assert result.returncode == 0, result.stderr
    warnings = result.stderr.decode().splitlines()
    assert len(warnings) == 1 and "--retry" in warnings[0], warnings
    assert b"curl" in result.stdout


@pytest.mark.parametrize("target", ["python", "curl", "http"])
def test_env_file_replays_captured_credentials(
    target: str, tmp_path: Path, recorder: Recorder
) -> None:
    secret = "Basic czNjcjN0OnB3"
    command = (
        f"curl '{recorder.origin}/api/items?x=1' -H 'Authorization: {secret}' "
        "-b 'sid=abc123' -H 'Content-Type: application/json' --data-raw '{\"a\": 1}'"
    )
    (tmp_path / "copied.txt").write_text(command)
    suffix = {"python": "py", "curl": "sh", "http": "http"}[target]
    out = tmp_path / f"replay.{suffix}"
    result = run(
        "convert", "copied.txt", "--to", target, "-o", out.name, "--env-file", ".env", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    script = out.read_text()
    assert secret not in script and "abc123" not in script
    assert out.name in script  # the run instructions name the file as written
    env_file = tmp_path / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    runner = {
        "python": f"{sys.executable} {out.name}",
        "curl": f"bash {out.name}",
        "http": f"{Path.cwd() / 'node_modules/.bin/httpyac'} send {out.name} --all",
    }[target]
    replay = subprocess.run(
        ["bash", "-c", f"set -a; . ./.env; set +a; {runner}"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )
    assert replay.returncode == 0, replay.stderr
    (received,) = recorder.take()
    assert received.target == b"/api/items?x=1"
    assert received.header("authorization") == secret.encode()
    assert received.header("cookie") == b"sid=abc123"
    assert received.body == b'{"a": 1}'


@pytest.mark.parametrize("target", ["python", "curl"])
def test_script_without_its_variable_stops_before_sending(
    target: str, tmp_path: Path, recorder: Recorder
) -> None:
    command = f"curl {recorder.origin}/x -H 'Authorization: Bearer t0k3n'"
    out = tmp_path / "replay"
    assert run("convert", "--to", target, "-o", str(out), stdin=command.encode()).returncode == 0
    interpreter = sys.executable if target == "python" else "bash"
    result = subprocess.run(
        [interpreter, str(out)],
        capture_output=True,
        timeout=60,
        env={"PATH": os.environ["PATH"]},
    )
    assert result.returncode != 0
    assert b"API_TOKEN" in result.stderr
    assert recorder.take() == []


def test_jsonl_round_trip_through_convert(tmp_path: Path) -> None:
    command = b"curl -X PATCH http://h/p -H 'X-A: 1' --data-binary $'\\xff{{x}}'"
    first = run("convert", "--to", "jsonl", "--no-redact", stdin=command)
    assert first.returncode == 0, first.stderr
    (tmp_path / "records.jsonl").write_bytes(first.stdout)
    second = run("convert", str(tmp_path / "records.jsonl"), "--to", "jsonl", "--no-redact")
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout


def test_records_file_brings_its_captured_values_to_the_env_file(tmp_path: Path) -> None:
    record = (
        '{"v":1,"id":1,"source":"addon","request":{"method":"POST","url":"http://h/a",'
        '"headers":[["Authorization","{{AUTHORIZATION}}"]],"options":{}},'
        '"redacted":[{"where":"header:authorization","var":"AUTHORIZATION"}]}\n'
    )
    (tmp_path / "capture.jsonl").write_text(record)
    (tmp_path / "capture.jsonl.env").write_text("AUTHORIZATION='Bearer it'\\''s'\n")
    result = run(
        "convert",
        "capture.jsonl",
        "--to",
        "curl",
        "-o",
        "replay.sh",
        "--env-file",
        ".env",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Bearer" not in (tmp_path / "replay.sh").read_text()
    assert "header:authorization" in (tmp_path / "replay.sh").read_text()
    assert "AUTHORIZATION='Bearer it'\\''s'" in (tmp_path / ".env").read_text()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"log": {"version": "1.2", "entries": [{"request": {"method": "GET", "url"', "HAR"),
        (b'{"log": {"entries": [}}', ""),
        (b'{"log": 1}', ""),
        (b"12:3:abc,}", ""),
    ],
    ids=["truncated HAR", "invalid JSON", "JSON that is not HAR", "foreign flow file"],
)
def test_bad_captures_are_one_line_exit_2(data: bytes, message: str, tmp_path: Path) -> None:
    capture = tmp_path / "capture.bin"
    capture.write_bytes(data)
    result = run("convert", str(capture), "--to", "python", "-o", str(tmp_path / "out.py"))
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert ERROR_LINE.match(stderr) and f"{capture}" in stderr and message in stderr, stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "out.py").exists()
