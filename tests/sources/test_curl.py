"""The curl reader's records. What curl *sends* is checked against the real binary in
tests/test_corpus.py; these tests pin what the records hold beyond the wire bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from capture2code.errors import InputError
from capture2code.record import Multipart, record_to_dict
from capture2code.sources.curl import read_curl
from capture2code.template import Text, Var

FILES = Path(__file__).parents[1] / "corpus" / "bash"


def test_variables_stay_variables() -> None:
    (record,) = read_curl(
        'curl "https://h/api?key=${API_KEY}" -H "Authorization: Bearer $TOKEN" -d "u=$USER_NAME"'
    ).records
    request = record.request
    assert request.url == Text.of("https://h/api?key=", Var("API_KEY"))
    assert request.header("authorization") == Text.of("Bearer ", Var("TOKEN"))
    assert request.body == Text.of(b"u=", Var("USER_NAME"))


def test_form_files_stay_file_references() -> None:
    (record,) = read_curl(
        "curl -F 'logo=@files/avatar.png' -F 'doc=@files/notes.txt;filename=\"a b.txt\"' "
        "-F 'name=x;type=text/x-name' http://h/",
        FILES,
    ).records
    body = record_to_dict(record)["request"]["body"]
    assert body == {
        "multipart": [
            {
                "name": "logo",
                "file": "files/avatar.png",
                "filename": "avatar.png",
                "type": "image/png",
            },
            {"name": "doc", "file": "files/notes.txt", "filename": "a b.txt", "type": "text/plain"},
            {"name": "name", "value": "x", "type": "text/x-name"},
        ]
    }
    assert isinstance(record.request.body, Multipart)


def test_words_after_double_dash_are_urls() -> None:
    records = read_curl("curl -s -- http://h/a -http://h/b").records
    assert [r.request.url.literal_str() for r in records] == ["http://h/a", "http://-http://h/b"]


def test_each_url_is_a_record_and_each_command_counts() -> None:
    result = read_curl("curl http://h/1 http://h/2 ;\ncurl -X DELETE http://h/3")
    assert [r.request.method for r in result.records] == ["GET", "GET", "DELETE"]
    assert [r.id for r in result.records] == [1, 2, 3]
    assert result.commands == 2


def test_ignored_options_warn_once_each_quiet_ones_do_not() -> None:
    result = read_curl("curl -sS -v --retry 3 -o out.json --compressed http://h/")
    assert len(result.warnings) == 2
    assert "--retry" in result.warnings[0] and "--output" in result.warnings[1]
    assert result.records[0].request.options == {"compressed": True}


def test_removed_defaults_become_omit_headers() -> None:
    (record,) = read_curl("curl -H 'User-Agent:' -H 'Accept:' -H 'X-Gone:' http://h/").records
    assert record.request.options["omit_headers"] == ["User-Agent", "Accept"]
    assert record.request.headers == []


def test_header_name_white_space_is_reported() -> None:
    result = read_curl("curl -H 'X-Custom : v' http://h/")
    assert result.records[0].request.headers == [("X-Custom", Text.of("v"))]
    assert "white space" in result.warnings[0]


@pytest.mark.parametrize(
    ("command", "message", "col"),
    [
        ("curl -I -d x=1 http://h/", "-I/--head with a request body", 16),
        ("curl -u admin http://h/", "without a password", 9),
        ("curl -d @files/missing.txt http://h/", "cannot read file 'files/missing.txt'", 9),
        ("curl -sX", "option -sX: requires a value", 6),
        ("curl --no-data x http://h/", "isn't a boolean", 6),
        ("curl --loc http://h/", "ambiguous", 6),
        ("curl -d @- http://h/", "standard input", 9),
    ],
)
def test_bad_commands_are_located(command: str, message: str, col: int) -> None:
    with pytest.raises(InputError, match=message) as caught:
        read_curl(command, FILES)
    assert (caught.value.line, caught.value.col) == (1, col)


def test_windows_cmd_export_is_detected() -> None:
    text = (
        'curl ^"http://h/a?x=1^&y=2^" ^\r\n  -H ^"X-A: ^%^20^" ^\r\n'
        '  --data-raw ^"{^\\^"k^\\^":1}^"'
    )
    (record,) = read_curl(text).records
    assert record.request.url == Text.of("http://h/a?x=1&y=2")
    assert record.request.header("x-a") == Text.of("%20")
    assert record.request.body == Text.of(b'{"k":1}')
