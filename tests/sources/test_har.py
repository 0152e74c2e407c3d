"""The HAR reader.

Writers' shapes: hand-written fixtures in the forms Chrome, Firefox, Playwright and
mitmproxy's savehar write (tests/sources/data/har), and HARs that real Chromium (through
Playwright) and real mitmdump write during the test, checked against what the loopback
recorder received. The scanner is checked against `json.loads` on generated HARs in many
layouts; bad input must fail with a position; a large file must be read in bounded memory.
"""

from __future__ import annotations

import base64
import json
import mmap
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture2code.filters import FilterOptions, Lightener, is_static
from capture2code.record import Record, record_to_dict
from capture2code.sources import har
from capture2code.sources.har import HarError, read_har, read_har_file
from tests.recorder import Received, Recorder

DATA = Path(__file__).parent / "data" / "har"
ROOT = Path(__file__).parents[2]
H = "https://rancher.example.test"


def records(name: str, **options: Any) -> list[Record]:
    return list(read_har_file(DATA / name, **options))


def body(record: Record) -> bytes | None:
    value = record.request.body
    return None if value is None else value.literal_bytes()  # type: ignore[union-attr]


def headers(record: Record) -> list[tuple[str, str]]:
    return [(name, value.literal_str()) for name, value in record.request.headers]


# --- writers' shapes ----------------------------------------------------------------------


def test_chrome_api_calls_are_kept_and_assets_dropped() -> None:
    found = records("chrome.har")
    assert [(r.id, r.request.method, r.request.url.literal_str()) for r in found] == [
        (1, "GET", f"{H}/v3/users?me=true"),
        (2, "POST", f"{H}/v1/provisioning.cattle.io.clusters"),
        (3, "GET", "wss://rancher.example.test/v1/subscribe?sockId=1"),
        (4, "GET", f"{H}/v1/counts"),
        (5, "POST", f"{H}/v3-public/localProviders/local?action=login"),
    ]
    users = found[0]
    assert users.source == "har" and users.time == "2026-11-27T08:00:01.250Z"
    assert users.request.http_version == "HTTP/2"
    names = [name for name, _ in headers(users)]
    assert not [name for name in names if name.startswith(":")]
    assert names[:4] == ["accept", "accept-encoding", "accept-language", "cookie"]
    assert ("x-api-csrf", "5f0c2b1e9a") in headers(users)
    assert users.response is not None and users.response.status == 200
    assert (
        users.response.body
        == b'{"data":[{"id":"user-4x9","username":"admin","name":"Default Admin"}]}'
    )
    assert users.response.truncated is False


def test_chrome_bodies_both_ways() -> None:
    created = records("chrome.har")[1]
    assert body(created) == (
        b'{"metadata":{"name":"demo","namespace":"fleet-default"},'
        b'"spec":{"kubernetesVersion":"v1.30.4+rke2r1"}}'
    )
    # JSON's \/ escape, a raw U+2028 and an emoji in the response text
    assert created.response is not None
    assert (
        created.response.body
        == (
            '{"id":"fleet-default/demo","links":{"self":"https:\\/\\/rancher.example.test\\/v1\\/x"},'
            '"note":"café \u2028 😀"}'
        ).encode()
    )
    login = records("chrome.har")[4]
    assert body(login) == b"username=admin&password=p%40ss+word%7E"  # text wins over params
    assert login.response is not None and login.response.status == 302


def test_chrome_websocket_and_failed_request() -> None:
    socket_record, failed = records("chrome.har")[2:4]
    assert socket_record.request.options == {
        "websocket": True,
        "websocket_messages": [
            {"from": "client", "text": '{"resourceType":"pod"}'},
            {"from": "server", "text": '{"name":"resource.change","data":{"id":"p1"}}'},
            {"from": "server", "base64": "AAEC/w=="},
        ],
    }
    assert socket_record.request.http_version == "HTTP/1.1"
    assert socket_record.response is not None and socket_record.response.status == 101
    assert failed.response is None
    assert failed.request.options == {"error": "net::ERR_CONNECTION_REFUSED"}


def test_keep_static_keeps_assets_without_their_bodies() -> None:
    found = records("chrome.har", keep_static=True)
    assert [r.id for r in found] == list(range(1, 9))
    page, script, image = found[:3]
    assert [r.request.url.literal_str() for r in (page, script, image)] == [
        f"{H}/dashboard/",
        f"{H}/dashboard/_nuxt/app.js",
        f"{H}/dashboard/_nuxt/logo.png",
    ]
    for record in (page, script, image):
        assert record.response is not None
        assert record.response.body is None and record.response.truncated is True


def test_firefox_shape() -> None:
    found = records("firefox.har")
    settings_call, login, upload = found
    assert [r.request.url.literal_str() for r in found] == [
        f"{H}/v3/settings/ui-pl",
        f"{H}/v3/tokens?action=login",
        f"{H}/v3/users/user-4x9?action=upload",
    ]
    assert settings_call.time == "2026-11-27T08:00:02.345Z"  # from +01:00
    assert settings_call.request.http_version == "HTTP/2"
    assert headers(settings_call)[0] == ("Host", "rancher.example.test")
    assert settings_call.response is not None
    assert settings_call.response.body is not None
    assert settings_call.response.body.startswith(b'{"id":"ui-pl"')
    # params without text, serialized as browsers do (WHATWG urlencoded: ~ is escaped)
    assert (
        body(login)
        == b"description=UI+session+%7E+caf%C3%A9+%26+more&responseType=cookie&ttl=57600000"
    )
    boundary = "---------------------------40391427312345678901234567890"
    assert (
        body(upload)
        == (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\navatar\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="me %221%22.png"\r\nContent-Type: image/png\r\n\r\n\r\n'
            f"--{boundary}--\r\n"
        ).encode()
    )
    assert upload.request.options == {
        "notes": ["file contents of multipart field 'file' are not in the HAR"]
    }


def test_playwright_shape() -> None:
    found = records("playwright.har")
    listed, created, updated = found
    assert listed.request.url.literal_str() == "http://127.0.0.1:8080/api/items?page=1&q=a%20b"
    assert body(created) == b'{"name":"a \\"quoted\\" name"}'
    # content left out ("omit"): there was a body of 532 bytes, the record has none
    assert created.response is not None
    assert created.response.body is None and created.response.truncated is True
    assert body(updated) == b"done=true&note=a+b%21"


def test_mitmproxy_savehar_shape() -> None:
    found = records("mitmproxy.har")
    clusters, token, patch, login, websocket, failed = found
    assert clusters.time == "2026-11-27T08:20:00.123Z"
    assert clusters.request.http_version == "HTTP/2"
    assert clusters.response is not None
    assert (
        clusters.response.body
        == '{"data":[{"id":"local","spec":{"displayName":"café ✓"}}]}'.encode()
    )
    assert body(token) == b'{"type":"token","ttl":0}'
    assert body(patch) is None  # savehar writes text "" for an empty body
    assert body(login) == b"user=admin&pass=a%26b"
    assert websocket.request.options == {
        "websocket": True,
        "websocket_messages": [
            {"from": "client", "text": "ping é"},
            {"from": "server", "base64": "/wA="},
        ],
    }
    assert failed.response is None and failed.request.options == {"error": "Connection killed."}


def test_mitmproxy_binary_body_is_base64_decoded() -> None:
    logo = records("mitmproxy.har", keep_static=True)[1]
    assert logo.request.url.literal_str() == f"{H}/assets/logo.png"
    assert logo.response is not None and logo.response.body is None  # static: never decoded
    har_data = json.loads((DATA / "mitmproxy.har").read_text())
    har_data["log"]["entries"][1]["request"]["method"] = "POST"  # not static any more
    (record,) = [
        r
        for r in read_har(json.dumps(har_data).encode())
        if r.request.url.literal_str().endswith(".png")
    ]
    assert record.response is not None and record.response.body == bytes(range(256)) * 2


def test_pseudo_headers_name_the_server_when_the_url_does_not() -> None:
    entry = {
        "request": {
            "method": "GET",
            "url": "/v1/things?a=1#frag",
            "httpVersion": "h2",
            "headers": [
                {"name": ":authority", "value": "api.example.test:8443"},
                {"name": ":scheme", "value": "https"},
                {"name": "accept", "value": "*/*"},
            ],
        },
        "response": {"status": 200, "headers": [], "content": {"size": 0, "mimeType": ""}},
    }
    (record,) = read_har(json.dumps({"log": {"entries": [entry]}}).encode())
    assert record.request.url.literal_str() == "https://api.example.test:8443/v1/things?a=1"
    assert headers(record) == [("accept", "*/*")]


@pytest.mark.parametrize(
    ("written", "version"),
    [
        ("h2", "HTTP/2"),
        ("HTTP/2.0", "HTTP/2"),
        ("http/2.0", "HTTP/2"),
        ("HTTP/2", "HTTP/2"),
        ("h3", "HTTP/3"),
        ("http/1.1", "HTTP/1.1"),
        ("HTTP/1.0", "HTTP/1.0"),
        ("", "HTTP/1.1"),
        ("unknown", "HTTP/1.1"),
    ],
)
def test_http_versions(written: str, version: str) -> None:
    entry = {"request": {"method": "GET", "url": f"{H}/v1/x", "httpVersion": written}}
    (record,) = read_har(json.dumps({"log": {"entries": [entry]}}).encode())
    assert record.request.http_version == version
    assert record.response is None


def test_sanitized_export_and_utf8_bom() -> None:
    """Chrome's "sanitized" export leaves Cookie and Authorization out: fewer headers."""
    data = json.loads((DATA / "chrome.har").read_text())
    for entry in data["log"]["entries"]:
        request = entry["request"]
        request["headers"] = [h for h in request["headers"] if h["name"] != "cookie"]
        request["cookies"] = []
    text = json.dumps(data, indent=2, ensure_ascii=False).encode()
    found = list(read_har(b"\xef\xbb\xbf" + text))
    assert len(found) == 5
    assert all(name != "cookie" for record in found for name, _ in headers(record))


def test_body_from_post_data_mime_type_when_the_header_is_gone() -> None:
    entry = {
        "request": {
            "method": "POST",
            "url": f"{H}/v1/x",
            "headers": [{"name": "Accept", "value": "*/*"}],
            "postData": {"mimeType": "application/json", "text": "{}"},
        }
    }
    (record,) = read_har(json.dumps({"log": {"entries": [entry]}}).encode())
    assert headers(record) == [("Accept", "*/*"), ("Content-Type", "application/json")]


def har_of(*items: dict[str, Any], style: str = "indent 2") -> bytes:
    return layout({"log": {"version": "1.2", "entries": list(items)}}, style)


def api_entry(request: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"request": {"method": "POST", "url": f"{H}/v1/x", **request}, **more}


@pytest.mark.parametrize("style", ["minified", "indent 2"])
def test_request_body_forms(style: str) -> None:
    posts = [
        {"mimeType": "application/octet-stream", "text": "AAH/", "encoding": "base64"},
        {"mimeType": "text/plain", "text": "not base64!", "encoding": "base64"},
        {"mimeType": "multipart/form-data", "params": [{"name": "a", "value": "1"}]},
        {"mimeType": "application/json", "params": [{"name": "a", "value": "1"}]},
        {"mimeType": "application/zip", "_file": "3f2a.dat"},
        {
            "mimeType": 'multipart/form-data; boundary="b c"',
            "params": [{"name": "a", "value": "1"}, "junk"],
        },
    ]
    found = list(read_har(har_of(*(api_entry({"postData": post}) for post in posts), style=style)))
    assert [body(r) for r in found] == [
        b"\x00\x01\xff",
        b"not base64!",
        None,
        None,
        None,
        b'--b c\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b c--\r\n',
    ]
    assert [r.request.options.get("notes") for r in found] == [
        None,
        None,
        ["multipart body without a boundary: not rebuilt"],
        ["request body of type application/json given only as params: not rebuilt"],
        ["request body is in the separate file '3f2a.dat'"],
        None,
    ]


@pytest.mark.parametrize("style", ["minified", "indent 2"])
def test_times_urls_and_odd_values(style: str) -> None:
    items = [
        api_entry({}, startedDateTime="2026-11-27T08:00:00"),  # no zone: taken as UTC
        api_entry({}, startedDateTime="yesterday"),
        api_entry({"method": "GET", "url": "data:image/png;base64,AAAA"}, startedDateTime=None),
        api_entry(
            {},
            response={
                "status": 200,
                "content": {"mimeType": "image/png", "text": "%%", "encoding": "base64"},
            },
        ),
        api_entry(
            {},
            _resourceType="websocket",
            _webSocketMessages=[1, {"type": "send"}, {"type": "send", "opcode": 1, "data": "hi"}],
        ),
    ]
    found = list(read_har(har_of(*items, style=style), keep_static=True))
    assert [r.time for r in found] == ["2026-11-27T08:00:00.000Z", None, None, None, None]
    assert found[2].request.url.literal_str() == "data:image/png;base64,AAAA"
    assert found[3].response is not None and found[3].response.body == b"%%"
    assert found[4].request.options["websocket_messages"] == [{"from": "client", "text": "hi"}]


@pytest.mark.parametrize("style", ["minified", "indent 2"])
def test_escaped_keys_are_keys(style: str) -> None:
    plain = har_of(api_entry({"postData": {"text": "x"}}), style=style)
    escaped = plain.replace(b'"request"', b'"re\\u0071uest"').replace(b'"url"', b'"u\\u0072l"')
    assert escaped != plain
    assert [record_to_dict(r) for r in read_har(escaped)] == [
        record_to_dict(r) for r in read_har(plain)
    ]


@pytest.mark.parametrize("style", ["minified", "indent 2"])
def test_multibyte_text_is_cut_on_a_character_or_at_the_cap(style: str) -> None:
    text = "é€😀" * 3000
    for cap in (999, 1000, 1001, 1002):
        response = {"status": 200, "content": {"mimeType": "text/plain", "text": text}}
        (record,) = read_har(har_of(api_entry({}, response=response), style=style), body_cap=cap)
        assert record.response is not None
        assert record.response.body == text.encode()[:cap] and record.response.truncated


def test_a_wrong_guess_about_a_string_end_is_caught(tmp_path: Path) -> None:
    """Several members on the line of a long string with escaped quotes: the line's last
    quote is not where that string ends."""
    text = 'say \\"hi\\" ' * 1000
    response = {"status": 200, "content": {"mimeType": "text/plain", "text": text, "comment": "a"}}
    item = api_entry({"postData": {"text": text, "mimeType": "text/plain"}}, response=response)
    path = tmp_path / "joined.har"
    path.write_bytes(har_of(item, item, style="joined after strings"))
    assert b'", "comment": "a"' in path.read_bytes()
    found = list(read_har_file(path))
    assert [body(r) for r in found] == [text.encode()] * 2
    assert [r.response.body for r in found if r.response] == [text.encode()] * 2


@pytest.mark.parametrize("style", ["minified", "indent 2"])
def test_entry_with_a_huge_structure_is_walked(style: str) -> None:
    """A websocket with thousands of short messages is too much to parse in one piece."""
    messages = [{"type": "receive", "opcode": 1, "data": f"m{n}"} for n in range(100_000)]
    item = api_entry({"method": "GET", "url": "wss://h.test/ws"}, _webSocketMessages=messages)
    data = har_of(item, style=style)
    assert len(data) > har.PARSED_MAX
    (record,) = read_har(data, body_cap=300)
    # m0 … m9 take 20 bytes, m10 … m99 270, m100 and m101 8 more: 298; m102 is too many
    assert record.request.options["websocket_messages"][-1] == {"from": "server", "text": "m101"}
    assert record.request.options["websocket_truncated"] is True


# --- the same HAR in every layout ---------------------------------------------------------

LAYOUTS: dict[str, dict[str, Any]] = {
    "minified": {"separators": (",", ":")},
    "spaced": {},
    "indent 1": {"indent": 1},
    "indent 4 ascii": {"indent": 4, "ensure_ascii": True},
    "tabs": {"indent": "\t"},
    "sorted keys": {"indent": 2, "sort_keys": True},
}


# Indented, with several members on one line as some formatters write them: a long
# string's line may go on after it (and an entry may end and the next begin on a line).
JOINED = {"joined": re.compile(r",\n\s*"), "joined after strings": re.compile(r'",\n\s*')}


def layout(value: Any, style: str) -> bytes:
    options = {"ensure_ascii": False} | LAYOUTS.get(style, {"indent": 2})
    text = json.dumps(value, **options)
    if style == "crlf":
        text = text.replace("\n", "\r\n")
    if style in JOINED:
        text = JOINED[style].sub(lambda match: match.group(0)[:-1].rstrip() + " ", text)
    return text.encode()


@pytest.mark.parametrize("name", ["chrome.har", "firefox.har", "playwright.har", "mitmproxy.har"])
@pytest.mark.parametrize("style", [*LAYOUTS, "crlf", *JOINED])
def test_layout_does_not_change_records(name: str, style: str, tmp_path: Path) -> None:
    original = [record_to_dict(r) for r in records(name, keep_static=True)]
    path = tmp_path / name
    path.write_bytes(layout(json.loads((DATA / name).read_text()), style))
    assert [record_to_dict(r) for r in read_har_file(path, keep_static=True)] == original


# --- the scanner against json.loads -------------------------------------------------------

# Characters that matter to a JSON scanner, and some that do not.
TRICKY = '"\\{}[],: \n\t/éü€😀\u2028x0'
short_text = st.text(alphabet=st.sampled_from(TRICKY) | st.characters(codec="utf-8"), max_size=30)
long_text = st.builds(
    lambda piece, times: (piece * times)[:12_000],
    st.text(alphabet=st.sampled_from(TRICKY), min_size=1, max_size=40),
    st.integers(10, 600),
)
texts = short_text | long_text
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(short_text, children, max_size=4),
    max_leaves=12,
)
EXTRA_KEYS = st.sampled_from(["_custom", "_initiator", "comment", "aaa", "zzz", "cache"])


@st.composite
def shuffled(draw: st.DrawFn, mapping: dict[str, Any]) -> dict[str, Any]:
    """The same members in another order, and a few more unknown ones."""
    extra = draw(st.dictionaries(EXTRA_KEYS, json_values, max_size=2))
    items = [*mapping.items(), *((k, v) for k, v in extra.items() if k not in mapping)]
    return dict(draw(st.permutations(items)))


@st.composite
def entries(draw: st.DrawFn) -> dict[str, Any]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
    path = "/v1/" + draw(st.text(alphabet="abcxyz019-_~%!$&'()*+,;=:@/?", max_size=20))
    request: dict[str, Any] = {
        "method": method,
        "url": "https://h.test" + path,
        "httpVersion": "h2",
        "headers": [
            {"name": name, "value": value}
            for name, value in draw(
                st.lists(
                    st.tuples(st.sampled_from([":path", "accept", "X-A", "cookie"]), texts),
                    max_size=4,
                )
            )
        ],
    }
    post = draw(st.none() | texts) if method != "GET" else None
    if post is not None:
        request["postData"] = draw(shuffled({"mimeType": "text/plain", "text": post}))
    status = draw(st.sampled_from([200, 201, 0]))
    content: dict[str, Any] = {"size": 0, "mimeType": "application/json"}
    if draw(st.booleans()):
        content |= {
            "text": base64.b64encode(draw(st.binary(max_size=6000))).decode(),
            "encoding": "base64",
        }
    else:
        content["text"] = draw(st.none() | texts | json_values.map(json.dumps))
    response = {
        "status": status,
        "headers": [{"name": "content-type", "value": "application/json"}] if status else [],
        "content": draw(shuffled(content)),
        "_error": None if status else "net::ERR_FAILED",
    }
    entry = {
        "_resourceType": draw(st.sampled_from(["xhr", "fetch", "image", "script"])),
        "startedDateTime": "2026-11-27T08:00:00.000Z",
        "request": draw(shuffled(request)),
        "response": draw(shuffled(response)),
    }
    return draw(shuffled(entry))


def expected(entry: dict[str, Any], cap: int) -> dict[str, Any] | None:
    """What a record of `entry` holds, from the entry as json.loads reads it."""
    request, response = entry["request"], entry["response"]
    if request["method"] == "GET" and entry["_resourceType"] in ("image", "script"):
        return None  # static: left out
    post = request.get("postData", {}).get("text")
    sent = [(h["name"], h["value"]) for h in request["headers"] if h["name"][0] != ":"]
    if post and not any(name.lower() == "content-type" for name, _ in sent):
        sent.append(("content-type", "text/plain"))  # postData.mimeType, as HTTP/2 names it
    out: dict[str, Any] = {
        "method": request["method"],
        "url": request["url"],
        "headers": sent,
        "body": post.encode() if post else None,
        "error": None if response["status"] else "net::ERR_FAILED",
        "response": None,
    }
    if response["status"]:
        text = response["content"]["text"]
        data = None
        if text is not None:
            base64_text = response["content"].get("encoding") == "base64"
            data = base64.b64decode(text) if base64_text else text.encode()
        out["response"] = (
            response["status"],
            [("content-type", "application/json")],
            None if data is None else data[:cap],
            data is not None and len(data) > cap,
        )
    return out


def seen(record: Record) -> dict[str, Any]:
    response = record.response
    return {
        "method": record.request.method,
        "url": record.request.url.literal_str(),
        "headers": headers(record),
        "body": body(record),
        "error": record.request.options.get("error"),
        "response": (
            None
            if response is None
            else (response.status, response.headers, response.body, response.truncated)
        ),
    }


@given(
    st.lists(entries(), min_size=1, max_size=4),
    st.sampled_from([*LAYOUTS, "indent 2", "crlf", *JOINED]),
    st.sampled_from([40, 3000, 1_000_000]),
)
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_records_match_json_loads(items: list[dict[str, Any]], style: str, cap: int) -> None:
    data = layout({"log": {"version": "1.2", "entries": items}}, style)
    want = [e for e in (expected(entry, cap) for entry in json.loads(data)["log"]["entries"]) if e]
    found = list(read_har(data, body_cap=cap))
    assert [seen(record) for record in found] == want
    assert [record.id for record in found] == list(range(1, len(want) + 1))


# --- records lightened as they are read -------------------------------------------------


class Slimming:
    """A `lighten` that slims the records whose turn comes in `verdicts` (cycled), keeping
    only `headers`, and keeps the others as they are; `seen` holds the (body, truncated)
    of each response it was given, as it was given."""

    def __init__(self, verdicts: list[bool], headers: frozenset[str] | None = None) -> None:
        self.verdicts = verdicts
        self.headers = headers
        self.seen: list[tuple[bytes | None, bool]] = []

    def __call__(self, record: Record) -> Record:
        slim = self.verdicts[len(self.seen) % len(self.verdicts)]
        response = record.response
        self.seen.append((None, False) if response is None else (response.body, response.truncated))
        return record.slimmed(self.headers) if slim else record


@given(
    st.lists(entries(), min_size=1, max_size=4),
    st.sampled_from([*LAYOUTS, "indent 2", "crlf", *JOINED]),
    st.sampled_from([40, 3000, 1_000_000]),
    st.lists(st.booleans(), min_size=1, max_size=4),
    st.sampled_from([None, frozenset({"accept"})]),
    st.booleans(),
)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_lighten_while_reading_gives_the_full_records_lightened(
    items: list[dict[str, Any]],
    style: str,
    cap: int,
    verdicts: list[bool],
    kept_headers: frozenset[str] | None,
    keep_static: bool,
) -> None:
    data = layout({"log": {"version": "1.2", "entries": items}}, style)
    options: dict[str, Any] = {"body_cap": cap, "keep_static": keep_static}
    after = Slimming(verdicts, kept_headers)
    want = [after(record) for record in read_har(data, **options)]
    during = Slimming(verdicts, kept_headers)
    found = list(read_har(data, lighten=during, **options))
    assert [record_to_dict(r) for r in found] == [record_to_dict(r) for r in want]
    # given before its body is read, each record says whether it has one
    assert during.seen == [(None, truncated or body is not None) for body, truncated in after.seen]


@pytest.mark.parametrize("minified", [False, True])
def test_lightener_while_reading_a_console_session(minified: bool, tmp_path: Path) -> None:
    """The filter's Lightener, given each record as it is read (as convert does), makes
    the same records as when given the records read whole."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.make_har import write_har

    path = tmp_path / "session.har"
    write_har(path, 20 << 20, minified=minified)
    whole = list(read_har_file(path))
    after = Lightener(FilterOptions())
    want = [record_to_dict(after(record)) for record in read_har_file(path)]
    found = list(read_har_file(path, lighten=Lightener(FilterOptions())))
    assert [record_to_dict(record) for record in found] == want
    pairs = zip(whole, found, strict=True)
    bodies = [(a.response.body, b.response.body) for a, b in pairs if a.response and b.response]
    assert any(full is not None and light is None for full, light in bodies)  # some slimmed
    assert any(light is not None and light == full for full, light in bodies)  # some kept


def bad_escape_har(style: str, **request: Any) -> tuple[bytes, int, int]:
    """A HAR whose one entry has a long response body with an invalid escape; (data, line
    and col of the escape)."""
    response = {"status": 200, "content": {"mimeType": "text/plain", "text": "x" * 5000 + "@"}}
    data = har_of(api_entry({"method": "GET", **request}, response=response), style=style)
    data = data.replace(b"@", b"\\q")
    return data, *located(data, data.index(b"\\q"))


def located(data: bytes, at: int) -> tuple[int, int]:
    """The line and col of an ASCII byte."""
    return data.count(b"\n", 0, at) + 1, at - data.rfind(b"\n", 0, at)


@pytest.mark.parametrize("style", ["minified", "indent 2"])
def test_a_body_lighten_drops_is_never_decoded(style: str) -> None:
    data, line, col = bad_escape_har(style)
    with pytest.raises(HarError) as error:
        list(read_har(data, lighten=lambda record: record))
    assert (error.value.message, error.value.line, error.value.col) == (
        "Invalid \\escape",
        line,
        col,
    )
    (record,) = read_har(data, lighten=Slimming([True]))
    assert record.response is not None
    assert record.response.body is None and record.response.truncated


@pytest.mark.parametrize("style", ["minified", "indent 2"])
def test_an_error_before_the_body_is_the_one_reported(style: str) -> None:
    """An entry with two errors, an invalid escape in a long cookie that no record needs
    and one in its body: the error reported is the exact walk's, the first."""
    data, _, _ = bad_escape_har(style, cookies=[{"name": "c", "value": "y" * 5000 + "^"}])
    data = data.replace(b"^", b"\\u12")
    with pytest.raises(HarError) as error:
        list(read_har(data, lighten=lambda record: record))
    at = data.index(b"\\u12") + 1  # json points at the u
    assert (error.value.message, error.value.line, error.value.col) == (
        "Invalid \\uXXXX escape",
        *located(data, at),
    )


def test_a_quote_after_no_backslash_is_found_where_steps_meet(tmp_path: Path) -> None:
    """A guessed string end is checked in steps over a mapped file: a quote at the start
    of a step is escaped or not by the byte before it, in the step before."""
    start = 1000
    for before, escaped in ((b"\\", True), (b"x", False)):
        data = bytearray(b"a" * (start + har._CHUNK + 100))
        data[start + har._CHUNK - 1 : start + har._CHUNK + 1] = before + b'"'
        path = tmp_path / "data"
        path.write_bytes(bytes(data))
        with open(path, "rb") as stream:
            mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            scan = har._Scanner(mapped)
            assert scan._all_escaped(start, len(data)) is escaped
            assert har._Scanner(bytes(data))._all_escaped(start, len(data)) is escaped
        finally:
            mapped.close()


@given(st.text(alphabet='"\\ax', max_size=40), st.integers(1, 5))
@settings(max_examples=200, deadline=None)
def test_all_escaped_is_every_quote_after_a_backslash(text: str, start: int) -> None:
    data = ("." * 5 + text).encode()
    want = all(data[at - 1 : at] == b"\\" for at in range(start, len(data)) if data[at] == 0x22)
    assert har._Scanner(data)._all_escaped(start, len(data)) is want


@given(json_values, st.sampled_from([*LAYOUTS, "indent 2", "crlf", *JOINED]))
@settings(max_examples=300, deadline=None)
def test_scanner_finds_where_any_value_ends(value: Any, style: str) -> None:
    data = layout(value, style)
    exact = har._Scanner(data)
    exact.exact = True
    assert exact.skip_value(0) == len(data)
    guessing = har._Scanner(data)
    try:
        end = guessing.skip_value(0)
    except har._Bad:
        assert guessing.guessed  # only a wrong guess can make valid JSON fail
    else:
        # a guess that held, or one that is found out (and the reader walks again)
        assert end == len(data) or (guessing.guessed and not guessing.verified())


def outside_strings(data: bytes) -> Iterator[int]:
    """Offsets of the structural characters, by a plain reading of JSON's string rule."""
    inside = escaped = False
    for at, byte in enumerate(data):
        if inside:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                inside = False
        elif byte == 0x22:
            inside = True
        elif byte in b"{}[],:":
            yield at


@given(
    st.lists(entries(), min_size=1, max_size=3), st.sampled_from([*LAYOUTS, "indent 2"]), st.data()
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_broken_structure_is_an_error(
    items: list[dict[str, Any]], style: str, data: st.DataObject
) -> None:
    text = layout({"log": {"version": "1.2", "entries": items}}, style)
    at = data.draw(st.sampled_from(list(outside_strings(text))))
    broken = text[:at] + data.draw(st.sampled_from([b"", text[at : at + 1] * 2])) + text[at + 1 :]
    try:
        json.loads(broken)
    except ValueError:
        with pytest.raises(HarError) as error:
            list(read_har(broken, keep_static=data.draw(st.booleans())))
        assert error.value.line is not None and error.value.col is not None


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message", "line", "col"),
    [
        (b"", "the file is empty", 1, 1),
        (b"  \n ", "the file is empty", 2, 2),
        (b"[]", 'not a HAR file: expected an object with a "log"', 1, 1),
        (b'{"log": 1}', 'not a HAR file: "log" is not an object', 1, 9),
        (b'{"log": {"version": "1.2"}}', 'not a HAR file: "log" has no "entries"', 1, 9),
        (b'{"log": {"entries": {}}}', 'not a HAR file: "log.entries" is not an array', 1, 21),
        (b'{"lug": {}}', 'not a HAR file: no "log" object', 1, 1),
        (
            b'{"v":1,"id":1,"request":{"method":"GET"}}\n{"v":1}\n',
            'not a HAR file: no "log" object',
            1,
            1,
        ),
        (b'{"log": {"entries": []}} x', "unexpected data after the HAR object", 1, 26),
        (b'{"log": {"entries": [1]}}', "expected an entry object", 1, 22),
        (
            b'{"log": {"entries": [{"request": {}}]}}',
            "request.method or request.url is missing or not a string",
            1,
            22,
        ),
        (b'{"log": {"entries": [{}]}}', "entry has no request object", 1, 22),
        (b'{"log": {"entries": [{"a": NaN}]}}', "expected a value", 1, 28),
        (b'{"log": {"entries": [{"a" 1}]}}', "expected ':'", 1, 27),
        (b'{"log": {"entries": [{"a": 1,}]}}', "expected a property name", 1, 30),
        (b'{"log": {"entries": [], "x": [1 2]}}', "expected ',' or ']'", 1, 33),
        (
            b'{"log": {"entries": [{"request": {"method": "GET", "url": "https://h/"}} {}]}}',
            "expected ',' or ']'",
            1,
            74,
        ),
        (
            b'{"log": {"entries": [{"request": {"method": "GET", "url": "/x"}}]}}',
            "request.url '/x' names no server",
            1,
            22,
        ),
        (
            b'{"log": {"entries": [{"request": {"method": "GET", "url": "https://h/", '
            b'"headers": {}}}]}}',
            "request.headers is not a list",
            1,
            22,
        ),
        (
            b'{"log": {"entries": [{"request": {"method": "GET", "url": "https://h/", '
            b'"headers": [{"name": "a"}]}}]}}',
            "request.headers: each needs a string name and value",
            1,
            22,
        ),
        (
            b'{"log": {"entries": [{"request": {"method": "GET", "url": "https://h/\\q"}}]}}',
            "Invalid \\escape",
            1,
            70,
        ),
        (
            b'{"log": {"entries": [\n  {"request": {"method": "GET", "url": "https://h/\\q"}}]}}',
            "Invalid \\escape",
            2,
            51,
        ),
        (b'{"log": {"entries": [\n  {"a": Infinity}\n]}}', "expected a value", 2, 9),
        (
            b'{"log": {"entries": [\n  {"a": "\xc3\xa9bc',
            "unexpected end of file: the HAR is cut short",
            2,
            13,
        ),
        (
            b'{"log": {"entries": [\n  {"a": 12',
            "unexpected end of file: the HAR is cut short",
            2,
            11,
        ),
        (b"\xff\xfe{\x00}\x00", "the HAR is UTF-16 encoded; save it as UTF-8", 1, 1),
    ],
)
def test_bad_input(data: bytes, message: str, line: int, col: int) -> None:
    with pytest.raises(HarError) as error:
        list(read_har(data))
    assert (error.value.message, error.value.line, error.value.col) == (message, line, col)
    assert str(error.value) == message


def test_invalid_utf8_in_a_kept_field_is_located() -> None:
    data = (
        b'{"log": {"entries": [{"request": {"method": "GET", "url": "https://h/\xc3\xa9\xff"}}]}}'
    )
    with pytest.raises(HarError) as error:
        list(read_har(data))
    col = len(data[: data.index(b"\xff")].decode()) + 1
    assert (error.value.message, error.value.line, error.value.col) == ("invalid UTF-8", 1, col)


@pytest.mark.parametrize("name", ["chrome.har", "firefox.har", "playwright.har", "mitmproxy.har"])
def test_truncated_file_is_an_error_at_its_end(name: str, tmp_path: Path) -> None:
    data = (DATA / name).read_bytes()
    for cut in range(1, len(data) - 1, max(1, len(data) // 37)):
        piece = data[:cut].rstrip()
        (tmp_path / "cut.har").write_bytes(piece)
        with pytest.raises(HarError) as error:
            list(read_har_file(tmp_path / "cut.har", keep_static=True))
        text = piece.decode("utf-8", "replace")
        assert error.value.line is not None and error.value.col is not None
        # the position is in the file, at its end or before it
        assert error.value.line <= text.count("\n") + 1


def test_syntax_error_position_in_an_indented_entry() -> None:
    data = (DATA / "chrome.har").read_bytes()
    at = data.index(b'"_priority": "High",', data.index(b'"/v3/users?me=true"') - 3000)
    broken = data[: at + 19] + b";" + data[at + 20 :]  # the comma after "High"
    with pytest.raises(HarError) as error:
        list(read_har(broken))
    line = broken[:at].count(b"\n") + 1
    col = at + 19 - broken.rindex(b"\n", 0, at)
    assert (error.value.message, error.value.line, error.value.col) == (
        "expected ',' or '}'",
        line,
        col,
    )


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.har").write_bytes(b"")
    with pytest.raises(HarError, match="the file is empty"):
        list(read_har_file(tmp_path / "empty.har"))


def test_file_mapping_is_closed(tmp_path: Path) -> None:
    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    before = open_files()
    assert len(records("chrome.har")) == 5
    reader = read_har_file(DATA / "chrome.har")
    next(reader)
    reader.close()  # a caller that stops early
    assert open_files() == before


# --- body cap -----------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["minified", "indent 2"])
@pytest.mark.parametrize("cap", [1, 999, 1000, 1001, 4096, 70_000])
def test_body_cap(style: str, cap: int) -> None:
    text = ('{"a": "caf\u00e9 \\"q\\" \\\\ \u2028 😀", "b": [1, 2]}\n' * 400)[:20_000]
    binary = bytes(range(256)) * 40
    content = [
        {"size": 1, "mimeType": "application/json", "text": text},
        {
            "size": 1,
            "mimeType": "application/octet-stream",
            "text": base64.b64encode(binary).decode(),
            "encoding": "base64",
        },
    ]
    items = [
        {
            "request": {"method": "POST", "url": f"{H}/{n}"},
            "response": {"status": 200, "content": c},
        }
        for n, c in enumerate(content)
    ]
    found = list(read_har(layout({"log": {"entries": items}}, style), body_cap=cap))
    for record, full in zip(found, [text.encode(), binary], strict=True):
        assert record.response is not None
        assert record.response.body == full[:cap]
        assert record.response.truncated is (len(full) > cap)


@pytest.mark.parametrize("style", ["minified", "indent 2"])
def test_websocket_messages_are_cut_at_the_cap(style: str) -> None:
    messages = [{"type": "receive", "opcode": 1, "data": "x" * 300} for _ in range(10)]
    entry = {
        "_resourceType": "websocket",
        "_webSocketMessages": messages,
        "request": {"method": "GET", "url": "wss://h.test/ws"},
        "response": {"status": 101},
    }
    (record,) = read_har(layout({"log": {"entries": [entry]}}, style), body_cap=1000)
    assert len(record.request.options["websocket_messages"]) == 3
    assert record.request.options["websocket_truncated"] is True


# --- filters.is_static --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "kind", "mime", "static"),
    [
        ("GET", f"{H}/dashboard/", "document", "text/html", True),
        ("POST", f"{H}/dashboard/", "document", "text/html", False),
        ("GET", f"{H}/_nuxt/app.3f2a.js?v=1", None, None, True),
        ("GET", f"{H}/img/logo.SVG#x", None, None, True),
        ("GET", f"{H}/v3/users?me=true", "xhr", "application/json", False),
        ("GET", f"{H}/v1/avatar.png", "fetch", "image/png", False),  # a script asked for it
        ("GET", f"{H}/v1/avatar", None, "image/png", True),
        ("GET", f"{H}/v1/styles", None, "text/css; charset=utf-8", True),
        ("GET", f"{H}/v1/x", "font", None, True),
        ("GET", f"{H}/v1/x", "other", "application/json", False),
        ("GET", f"{H}/.hidden", None, None, False),
        ("GET", "data:image/png;base64,AAAA", None, None, True),
        ("PUT", f"{H}/a.js", "script", "application/javascript", False),
        ("GET", f"{H}/v1/subscribe", "websocket", None, False),
    ],
)
def test_is_static(method: str, url: str, kind: str | None, mime: str | None, static: bool) -> None:
    assert is_static(method, url, kind, mime) is static


# --- HARs written by real programs --------------------------------------------------------

PAGE = textwrap.dedent("""\
    <!doctype html><html><body><script>
    async function run() {
      await fetch('/api/list?x=1&y=a%20b', {headers: {'X-Token': 'abc'}});
      await fetch('/api/items', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                 body: JSON.stringify({name: 'a "q" \\\\ caf\\u00e9'})});
      await fetch('/api/form', {method: 'PUT', body: new URLSearchParams(FORM)});
      const data = new FormData();
      for (const [name, value] of Object.entries(FORM)) data.append(name, value);
      const file = new Blob(['hello\\r\\nworld'], {type: 'text/plain'});
      data.append('file', file, 'n\\u00f6tes "1".txt');
      await fetch('/api/upload', {method: 'POST', body: data});
      document.title = 'done';
    }
    const FORM = {'a': 'x y~*', 'na"me': 'caf\\u00e9&=+', 'c': ''};
    run();
    </script></body></html>""").encode()
FORM = {"a": "x y~*", 'na"me': "café&=+", "c": ""}


def respond(received: Received) -> tuple[int, list[tuple[str, str]], bytes]:
    if received.target == b"/":
        return 200, [("Content-Type", "text/html; charset=utf-8")], PAGE
    return 200, [("Content-Type", "application/json")], b'{"ok":true}'


def same_request(record: Record, received: Received, origin: str) -> None:
    assert record.request.method == received.method
    assert record.request.url.literal_str() == origin + received.target.decode()
    assert body(record) == (received.body or None)


def test_chromium_har_through_playwright(tmp_path: Path) -> None:
    """Playwright's record_har on headless Chromium: the records are the requests the
    recorder received; and bodies rebuilt from `params` are the bytes Chromium sent."""
    from playwright.sync_api import sync_playwright

    recorder = Recorder(responder=respond).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
            context = browser.new_context(record_har_path=str(tmp_path / "chromium.har"))
            page = context.new_page()
            page.goto(recorder.origin + "/")
            page.wait_for_function("document.title === 'done'")
            context.close()
            browser.close()
        received = {(r.method, r.target): r for r in recorder.take()}
    finally:
        recorder.stop()
    found = list(read_har_file(tmp_path / "chromium.har", keep_static=True))
    api = [r for r in found if "/api/" in r.request.url.literal_str()]
    assert [r.request.method for r in api] == ["GET", "POST", "PUT", "POST"]
    assert [r.request.url.literal_str() for r in read_har_file(tmp_path / "chromium.har")] == [
        r.request.url.literal_str() for r in api
    ]  # the page itself is a static asset
    upload = api[3]
    for record in found:
        if record is upload:
            continue  # Playwright leaves a multipart body with a file out
        target = record.request.url.literal_str().removeprefix(recorder.origin).encode()
        sent = received[(record.request.method, target)]
        same_request(record, sent, recorder.origin)
        assert sorted((n.lower(), v) for n, v in headers(record)) == sorted(
            (n.decode().lower(), v.decode()) for n, v in sent.headers
        )

    # The same requests given as params only, as Firefox writes them.
    sent_form = received[("PUT", b"/api/form")]
    sent_upload = received[("POST", b"/api/upload")]
    content_type = (sent_upload.header("content-type") or b"").decode()
    params = [{"name": k, "value": v} for k, v in FORM.items()]
    file_param = {
        "name": "file",
        "fileName": 'nötes "1".txt',
        "contentType": "text/plain",
        "value": "hello\r\nworld",
    }
    rebuilt = [
        {"mimeType": "application/x-www-form-urlencoded;charset=UTF-8", "params": params},
        {"mimeType": content_type, "params": [*params, file_param]},
    ]
    items = [
        {"request": {"method": "POST", "url": f"{recorder.origin}/{n}", "postData": post}}
        for n, post in enumerate(rebuilt)
    ]
    form_record, upload_record = read_har(json.dumps({"log": {"entries": items}}).encode())
    assert body(form_record) == sent_form.body
    assert body(upload_record) == sent_upload.body


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_mitmdump_hardump(tmp_path: Path) -> None:
    """`mitmdump --set hardump=`: curl through it to the recorder; the records are the
    requests the recorder received, headers and all."""
    recorder = Recorder().start()
    port = free_port()
    dump = tmp_path / "flows.har"
    mitmdump = Path(sys.executable).parent / "mitmdump"
    proxy = subprocess.Popen(
        [
            str(mitmdump),
            "--listen-host",
            "127.0.0.1",
            "-p",
            str(port),
            "-q",
            "--set",
            f"hardump={dump}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "mitmdump did not start"
                time.sleep(0.05)
        via = ["curl", "-sS", "--fail", "-x", f"http://127.0.0.1:{port}"]
        calls = [
            [recorder.origin + "/api/list?x=1&y=a%20b", "-H", "X-Token: abc"],
            [
                recorder.origin + "/api/items",
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                '{"n":"café \\"q\\""}',
            ],
            [recorder.origin + "/api/form", "-X", "PUT", "--data", "a=x+y%7E&b=caf%C3%A9"],
        ]
        for call in calls:
            subprocess.run([*via, *call], check=True, capture_output=True)
    finally:
        proxy.send_signal(signal.SIGINT)
        proxy.communicate(timeout=20)
        received = recorder.take()
        recorder.stop()
    found = list(read_har_file(dump))
    assert len(found) == len(received) == 3
    for record, sent in zip(found, received, strict=True):
        same_request(record, sent, recorder.origin)
        # Proxy-Connection was meant for the proxy: records leave it out, a replay must not send it
        to_server = [(n.decode(), v.decode()) for n, v in sent.headers]
        assert headers(record) == [h for h in to_server if h[0].lower() != "proxy-connection"]
        assert record.response is not None and record.response.body == b'{"ok":true}'


# --- memory -------------------------------------------------------------------------------


PEAK = textwrap.dedent("""\
    import re, sys
    from pathlib import Path
    from capture2code.sources.har import read_har_file
    count = sum(1 for _ in read_har_file(Path(sys.argv[1]), keep_static=True))
    status = Path("/proc/self/status").read_text()
    print(count, re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
    """)


def peak_rss_mb(path: Path) -> tuple[int, int]:
    """(records, peak RSS in MB) of reading `path` in a child process. The peak is the
    child's own (VmHWM): a child's ru_maxrss would also count this process."""
    run = subprocess.run(
        [sys.executable, "-c", PEAK, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    count, peak_kb = map(int, run.stdout.split())
    return count, peak_kb >> 10


def test_large_har_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """A 200 MB HAR of a console session, mostly static assets: the peak RSS stays far
    below the file's size (pages read are handed back; dropped bodies are never held)."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.make_har import write_har

    path = tmp_path / "session.har"
    write_har(path, 200 << 20)
    count, peak = peak_rss_mb(path)
    assert count > 500
    assert peak < 150, f"peak RSS {peak} MB for a 200 MB HAR"


@pytest.mark.parametrize("style", ["indent 2", "minified"])
def test_huge_strings_are_crossed_in_bounded_memory(style: str, tmp_path: Path) -> None:
    """Bodies of 120 MB each (base64, and script text full of escaped quotes), on a line
    of their own or in a file that is one line: crossing them never maps them in at once."""
    size = 120 << 20
    entries = [
        {
            "request": {"method": "GET", "url": f"{H}/{n}.js"},
            "response": {"status": 200, "content": {"text": f"@{n}"}},
        }
        for n in range(2)
    ]
    start, rest = layout({"log": {"entries": entries}}, style).split(b'"@0"')
    middle, end = rest.split(b'"@1"')
    path = tmp_path / "huge.har"
    with open(path, "wb") as stream:
        for part in (start, b'"', b"QUJD" * (size // 4), b'"', middle, b'"'):
            stream.write(part)
        for _ in range(size >> 20):
            stream.write(b'say \\"hi\\" \\\\ ' * (1 << 16))
        stream.write(b'"' + end)
    count, peak = peak_rss_mb(path)
    assert count == 2
    assert peak < 100, f"peak RSS {peak} MB for two 120 MB bodies"
