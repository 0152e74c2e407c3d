import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capture2code.record import (
    FormPart,
    Multipart,
    Record,
    RecordError,
    Request,
    Response,
    read_jsonl,
    record_to_dict,
    write_jsonl,
)
from capture2code.template import Text, Var

DESIGN_EXAMPLE = {
    "v": 1,
    "id": 7,
    "source": "har",
    "time": "2026-11-27T08:00:00.123Z",
    "request": {
        "method": "POST",
        "url": "https://rancher.example.test/v3/clusters?_replace=true",
        "http_version": "HTTP/1.1",
        "headers": [["content-type", "application/json"], ["cookie", "R_SESS={{RANCHER_TOKEN}}"]],
        "body": {"text": '{"name":"demo"}'},
        "options": {"insecure": True, "follow_redirects": False, "compressed": False},
    },
    "response": {
        "status": 201,
        "headers": [["content-type", "application/json"]],
        "body": {"text": '{"id":"c-5nmb8"}'},
    },
    "redacted": [{"where": "header:cookie:R_SESS", "var": "RANCHER_TOKEN"}],
}


def test_design_example_reads_and_writes_back_identically() -> None:
    (record,) = read_jsonl([json.dumps(DESIGN_EXAMPLE)])
    assert record.request.header("Cookie") == Text.of("R_SESS=", Var("RANCHER_TOKEN"))
    assert record.request.body == Text.of(b'{"name":"demo"}')
    assert record.response is not None and record.response.status == 201
    assert record_to_dict(record) == DESIGN_EXAMPLE


body_pieces = st.lists(st.one_of(st.binary(max_size=20), st.just(Var("SECRET"))), max_size=5)


@given(
    url=st.text(max_size=30),
    value=st.text(max_size=30),
    body=body_pieces,
    response=st.binary(max_size=30),
)
def test_any_record_round_trips_through_jsonl(
    url: str, value: str, body: list[bytes | Var], response: bytes
) -> None:
    record = Record(
        request=Request(
            method="PUT",
            url=Text.of("http://h/", url),
            headers=[("X-A", Text.of(value, Var("SECRET")))],
            body=Text.of(*body),
        ),
        response=Response(status=200, body=response),
        redacted=[{"where": "header:x-a", "var": "SECRET"}],
    )
    stream = io.StringIO()
    write_jsonl([record], stream)
    assert stream.getvalue().count("\n") == 1
    (back,) = read_jsonl(stream.getvalue().split("\n"))
    assert back == record


def test_multipart_keeps_file_references() -> None:
    record = Record(
        request=Request(
            method="POST",
            url=Text.of("http://h/up"),
            body=Multipart(
                [
                    FormPart("title", value=Text.of(b"x")),
                    FormPart("f", file="a.png", filename="a.png", type="image/png"),
                ]
            ),
        )
    )
    data = record_to_dict(record)
    assert data["request"]["body"] == {
        "multipart": [
            {"name": "title", "value": "x"},
            {"name": "f", "file": "a.png", "filename": "a.png", "type": "image/png"},
        ]
    }
    (back,) = read_jsonl([json.dumps(data)])
    assert back.request.body == record.request.body


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"v": 2, "request": {}}', "unsupported record version"),
        ('{"v": 1, "request": {"method": 5, "url": "x"}}', "request.method"),
        ("{not json", "not a valid record"),
    ],
)
def test_malformed_records_name_the_line(line: str, message: str) -> None:
    with pytest.raises(RecordError, match=message) as caught:
        list(read_jsonl(["", line]))
    assert caught.value.line == 2
