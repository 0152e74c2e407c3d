"""--from auto tells formats apart by content, whatever the file is called."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from capture2code.sources import Source, detect_format, read_input

RECORD = (
    '{"v":1,"id":1,"source":"addon","request":{"method":"GET","url":"http://h/a",'
    '"headers":[],"options":{}},"redacted":[]}'
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"log": {"version": "1.2", "entries": []}}', "har"),
        (b'\xef\xbb\xbf\n  {\n  "log" : {"entries": []}}', "har"),
        (RECORD.encode() + b"\n", "jsonl"),
        (b"348:4:type;4:http;", "mitm"),
        (b"curl 'http://h/' -H 'a: b'", "curl"),
        (b"curl -d '{\"request\": 1}' http://h/", "curl"),
        (b"", "curl"),
    ],
)
def test_formats_are_told_apart_by_their_first_bytes(
    data: bytes, expected: str, tmp_path: Path
) -> None:
    path = tmp_path / "capture.txt"
    path.write_bytes(data)
    assert detect_format(Source("x", path=path)) == expected
    assert detect_format(Source("x", data=data)) == expected


def test_a_torn_last_record_is_skipped_with_a_warning() -> None:
    text = RECORD + "\n" + RECORD.replace('"id":1', '"id":2') + "\n" + RECORD[:40]
    parsed = read_input(Source("capture.jsonl", text=text), "auto")
    assert [record.id for record in parsed.records] == [1, 2]
    assert parsed.warnings == ["line 3: skipped an incomplete last record"]


def test_a_broken_record_before_the_last_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "capture.jsonl"
    path.write_text(RECORD + "\n" + RECORD[:40] + "\n" + RECORD + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "capture2code", "convert", str(path), "--to", "curl"],
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.decode().startswith(f"capture2code: error: {path}:2: not a valid record")
