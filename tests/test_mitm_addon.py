"""The mitmproxy addon, driven through mitmproxy's own test harness (taddons, tflow).

What reaches the records file is checked by reading it back with the records reader,
and the env file by sourcing it in real bash.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import stat
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import brotli
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mitmproxy import exceptions, flow, http
from mitmproxy.test import taddons, tflow, tutils

from capture2code.mitm import DECODERS, Capture2Code, flow_to_record
from capture2code.record import Record, read_jsonl
from capture2code.sources.envfile import read_env_file
from capture2code.template import Text, Var

ADDON_SCRIPT = Path(__file__).parent.parent / "addons" / "capture2code.py"


class Capture:
    """The addon in a mitmproxy test context, writing to a records file."""

    def __init__(self, tctx: taddons.context, addon: Capture2Code, output: Path) -> None:
        self.tctx = tctx
        self.addon = addon
        self.output = output

    def cycle(self, *flows: http.HTTPFlow) -> None:
        """Each flow through every hook it would meet in mitmproxy, one after the other."""
        for item in flows:
            self.tctx.master.event_loop.run_until_complete(self.tctx.cycle(self.addon, item))

    def lines(self) -> list[bytes]:
        """The file's lines once the writer has written everything (it stops the capture)."""
        self.addon.done()
        return self.output.read_bytes().splitlines(keepends=True)

    def records(self) -> list[Record]:
        return list(read_jsonl(b"".join(self.lines()).decode("utf-8").split("\n")))

    def env(self) -> dict[str, bytes]:
        """The env file's variables as bash gets them (names from the records' notes)."""
        names = sorted({note["var"] for r in self.records() for note in r.redacted})
        script = 'set -a; . "$1"; set +a; shift; for name; do printf "%s\\0" "${!name}"; done'
        env_path = f"{self.output}.env"
        out = subprocess.run(
            ["bash", "-c", script, "bash", env_path, *names], capture_output=True, check=True
        ).stdout
        return dict(zip(names, out.split(b"\0")[:-1], strict=True))

    def sent(self, text: Text) -> bytes:
        """A recorded value with each placeholder replaced by its captured value."""
        env = self.env()
        return b"".join(
            env[p.name] if isinstance(p, Var) else p.encode("utf-8", "surrogateescape")
            for p in text.as_str().pieces
        )


@pytest.fixture
def capture(tmp_path: Path) -> Iterator[Capture]:
    addon = Capture2Code()
    output = tmp_path / "capture.jsonl"
    with taddons.context(addon) as tctx:
        tctx.configure(addon, c2c_output=str(output))
        yield Capture(tctx, addon, output)
        addon.done()


def request(
    path: bytes = b"/api/v1/items",
    *,
    method: bytes = b"GET",
    host: bytes = b"api.example.test",
    headers: list[tuple[bytes, bytes]] | None = None,
    content: bytes | None = b"",
    **fields: object,
) -> http.Request:
    """A request as mitmproxy holds one that came through as a proxy request (HTTP/1:
    origin-form target, destination in the Host header)."""
    fields.setdefault("host", host.split(b":")[0].decode())
    fields.setdefault("port", 80)
    fields.setdefault("scheme", b"http")
    fields.setdefault("authority", b"")
    return tutils.treq(
        method=method,
        path=path,
        headers=http.Headers([(b"Host", host), *(headers or [])]),
        content=content,
        **fields,
    )


def response(
    content: bytes | None = b'{"id":"c-1"}',
    headers: list[tuple[bytes, bytes]] | None = None,
    status: int = 200,
) -> http.Response:
    fields = headers if headers is not None else [(b"Content-Type", b"application/json")]
    return tutils.tresp(status_code=status, headers=http.Headers(fields), content=content)


def test_options_are_registered_with_their_defaults() -> None:
    addon = Capture2Code()
    with taddons.context(addon) as tctx:
        assert tctx.options.c2c_output == ""
        assert tctx.options.c2c_hosts == []
        assert tctx.options.c2c_keep_secrets is False
        assert tctx.options.c2c_env_file is True
        # without an output the addon records nothing and is no trouble
        tctx.master.event_loop.run_until_complete(tctx.cycle(addon, tflow.tflow(resp=True)))
        assert addon.seen == 0


def test_the_addon_script_loads_through_mitmproxy_and_records(tmp_path: Path) -> None:
    from mitmproxy.addons.script import load_script  # what `mitmdump -s` runs

    # The script is named like the package: mitmproxy's loader must still find the package.
    module = load_script(str(ADDON_SCRIPT))
    assert module is not None
    (addon,) = module.addons
    assert isinstance(addon, Capture2Code)
    output = tmp_path / "out.jsonl"
    with taddons.context(addon) as tctx:
        tctx.configure(addon, c2c_output=str(output))
        tctx.master.event_loop.run_until_complete(tctx.cycle(addon, tflow.tflow(resp=True)))
        addon.done()
    assert len(output.read_bytes().splitlines()) == 1


def test_an_output_that_cannot_be_opened_is_an_option_error(tmp_path: Path) -> None:
    addon = Capture2Code()
    with taddons.context(addon) as tctx, pytest.raises(exceptions.OptionsError, match="c2c_output"):
        tctx.configure(addon, c2c_output=str(tmp_path / "missing" / "out.jsonl"))


def test_one_line_per_flow_in_completion_order_with_ids_in_start_order(capture: Capture) -> None:
    first, second, third = (
        tflow.tflow(req=request(f"/step/{n}".encode()), resp=response()) for n in (1, 2, 3)
    )
    second.response = None
    second.error = flow.Error("Connection killed.")
    for item in (first, second, third):
        capture.addon.requestheaders(item)
    capture.addon.response(third)
    capture.addon.error(second)
    capture.addon.response(first)
    capture.addon.error(first)  # a flow read back from a file meets both hooks: one line

    lines = capture.lines()
    assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in lines)
    records = capture.records()
    assert [(r.id, r.request.url.literal_str()) for r in records] == [
        (3, "http://api.example.test/step/3"),
        (2, "http://api.example.test/step/2"),
        (1, "http://api.example.test/step/1"),
    ]
    assert all(r.source == "addon" for r in records)
    assert records[1].response is None and records[1].request.options["error"] == (
        "Connection killed."
    )


def test_a_new_output_starts_empty_and_drops_a_stale_env_file(tmp_path: Path) -> None:
    output = tmp_path / "capture.jsonl"
    output.write_text("old line\n")
    Path(f"{output}.env").write_text("AUTHORIZATION='old'\n")
    addon = Capture2Code()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, c2c_output=str(output))
        assert output.read_bytes() == b""
        assert not Path(f"{output}.env").exists()
        assert stat.S_IMODE(output.stat().st_mode) == 0o600
        addon.done()


def test_scope_keeps_only_the_hosts_asked_for(
    capture: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    capture.tctx.options.update(c2c_hosts=["API.example.test", "admin.example.test:8443"])
    flows = [
        tflow.tflow(req=request(host=b"api.example.test:8080"), resp=response()),
        tflow.tflow(req=request(host=b"cdn.example.test"), resp=response()),
        tflow.tflow(req=request(host=b"admin.example.test:8443"), resp=response()),
        tflow.tflow(req=request(host=b"admin.example.test"), resp=response()),
        tflow.tflow(req=request(host=b"sub.api.example.test"), resp=response()),
    ]
    with caplog.at_level(logging.INFO):
        capture.cycle(*flows)
    hosts = [r.request.header("Host").literal_str() for r in capture.records()]
    assert hosts == ["api.example.test:8080", "admin.example.test:8443"]
    assert [r.id for r in capture.records()] == [1, 2]
    status = [m for m in caplog.messages if m.startswith("capture2code:")]
    assert status[-1] == "capture2code: 5 requests captured (2 kept)"
    assert len(status) == 5


TOKEN = b"token-x7k2p:9vq4mzl8r2hj5c7n6wtb4k9xdf2s8lq3jv6npz5rc8mw4tyk2h"
OTHER_TOKEN = b"token-q3m8z:2kd9fj4hs7lq1mz6xv3cb8nw5rt2py9gk4ud7ea1ht6ox3js8"
SESSION_COOKIE = b"R_SESS=token-b4n7w:8pf2kq9lz3mx6vc1rt5yh8dj2gs7nw4bk9qe3ua6zt1op5rm"


def test_secrets_never_reach_the_records_and_go_to_a_private_env_file(capture: Capture) -> None:
    flows = [
        tflow.tflow(req=request(headers=[(b"Authorization", b"Bearer " + TOKEN)]), resp=response()),
        tflow.tflow(req=request(headers=[(b"authorization", b"Bearer " + TOKEN)]), resp=response()),
        tflow.tflow(
            req=request(headers=[(b"Authorization", b"Bearer " + OTHER_TOKEN)]), resp=response()
        ),
        tflow.tflow(req=request(headers=[(b"Cookie", SESSION_COOKIE)]), resp=response()),
    ]
    capture.cycle(*flows)
    data = capture.output.read_bytes()
    assert TOKEN not in data and OTHER_TOKEN not in data
    assert SESSION_COOKIE.split(b"=", 1)[1] not in data
    records = capture.records()
    names = [{var.name for _, value in r.request.headers for var in value.vars} for r in records]
    assert names[0] and names[0] == names[1] and names[2] and not names[0] & names[2]
    for name in names[0]:
        assert b"{{" + name.encode() + b"}}" in capture.lines()[0]
    env_path = Path(f"{capture.output}.env")
    assert stat.S_IMODE(env_path.stat().st_mode) == 0o600
    sent = [[capture.sent(v) for n, v in r.request.headers if n != "Host"] for r in records]
    assert sent == [
        [b"Bearer " + TOKEN],
        [b"Bearer " + TOKEN],
        [b"Bearer " + OTHER_TOKEN],
        [SESSION_COOKIE],
    ]


def test_keep_secrets_writes_values_and_no_env_file(capture: Capture) -> None:
    capture.tctx.options.update(c2c_keep_secrets=True)
    capture.cycle(tflow.tflow(req=request(headers=[(b"Cookie", SESSION_COOKIE)]), resp=response()))
    assert capture.records()[0].request.header("cookie").literal_bytes() == SESSION_COOKIE
    assert not Path(f"{capture.output}.env").exists()


def test_env_file_can_be_turned_off(capture: Capture) -> None:
    capture.tctx.options.update(c2c_env_file=False)
    capture.cycle(tflow.tflow(req=request(headers=[(b"Cookie", SESSION_COOKIE)]), resp=response()))
    assert SESSION_COOKIE.split(b"=", 1)[1] not in capture.output.read_bytes()
    assert not Path(f"{capture.output}.env").exists()


def test_websocket_flow_is_one_record_with_its_messages(capture: Capture) -> None:
    ws = tflow.twebsocketflow()
    ws.request = request(b"/v3/subscribe", headers=[(b"Upgrade", b"websocket")])
    capture.addon.requestheaders(ws)
    capture.addon.response(ws)  # the 101 response: the messages are still to come
    assert capture.addon.kept == 0
    capture.addon.websocket_end(ws)
    (record,) = capture.records()
    assert record.request.options["websocket"] is True
    assert record.request.options["websocket_messages"] == [
        {"from": "client", "base64": base64.b64encode(b"hello binary").decode()},
        {"from": "client", "text": "hello text"},
        {"from": "server", "text": "it's me"},
    ]
    assert record.response is not None and record.response.status == 101


def test_websocket_messages_are_cut_at_the_body_cap() -> None:
    ws = tflow.twebsocketflow()
    record = flow_to_record(ws, 1, body_cap=len(b"hello binary") + 3)
    assert len(record.request.options["websocket_messages"]) == 1
    assert record.request.options["websocket_truncated"] is True


def test_error_flow_has_the_error_and_no_response(capture: Capture) -> None:
    capture.cycle(tflow.tflow(req=request(), err=tflow.terr("Server disconnected.")))
    (record,) = capture.records()
    assert record.request.options == {"error": "Server disconnected."}
    assert record.response is None
    assert "response" not in json.loads(capture.lines()[0])


def test_a_flow_still_in_flight_is_not_written(capture: Capture) -> None:
    capture.cycle(tflow.tflow(req=request()))  # request hooks only: no response, no error
    assert capture.lines() == []


def test_a_writer_that_died_is_reported_once_and_the_proxy_goes_on(
    capture: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    assert capture.addon.writer is not None
    process = capture.addon.writer.process
    process.kill()
    process.wait()
    capture.cycle(*(tflow.tflow(req=request(), resp=response()) for _ in range(3)))
    ended = [m for m in caplog.messages if "writer ended" in m]
    assert len(ended) == 1 and "exit code -9" in ended[0]
    assert capture.addon.seen == 3


def test_done_leaves_no_writer_running(capture: Capture) -> None:
    assert capture.addon.writer is not None
    process = capture.addon.writer.process
    capture.cycle(tflow.tflow(req=request(), resp=response()))
    capture.addon.done()
    assert process.poll() == 0
    assert len(capture.lines()) == 1


def test_a_response_whose_body_failed_keeps_status_and_headers(capture: Capture) -> None:
    partial = tflow.tflow(req=request(), resp=response(content=None), err=True)
    capture.addon.error(partial)
    (record,) = capture.records()
    assert record.response is not None
    assert (record.response.status, record.response.body) == (200, None)
    assert record.response.truncated is True
    assert record.request.options["error"] == "error"


def test_http2_flow_uses_the_authority_and_keeps_lower_case_headers(capture: Capture) -> None:
    h2 = tutils.treq(
        method=b"POST",
        scheme=b"https",
        host="api.example.test",
        port=443,
        authority=b"api.example.test:443",
        path=b"/v3/clusters?_replace=true",
        http_version=b"HTTP/2.0",
        headers=http.Headers(
            [
                (b":authority", b"api.example.test:443"),  # never a header in a record
                (b"content-type", b"application/json"),
                (b"cookie", b"a=1"),
                (b"cookie", b"b=2"),
            ]
        ),
        content=b'{"name":"demo"}',
    )
    capture.cycle(tflow.tflow(req=h2, resp=response()))
    (record,) = capture.records()
    assert (
        record.request.url.literal_str() == "https://api.example.test:443/v3/clusters?_replace=true"
    )
    assert record.request.http_version == "HTTP/2"
    assert [name for name, _ in record.request.headers] == ["content-type", "cookie", "cookie"]
    assert record.request.body is not None
    assert record.request.body.literal_bytes() == b'{"name":"demo"}'


def test_binary_bodies_read_back_byte_for_byte(capture: Capture) -> None:
    sent, received = bytes(range(256)) * 4, b"\x89PNG\r\n\x1a\n\x00\xff" * 100
    capture.cycle(
        tflow.tflow(
            req=request(b"/api/upload", method=b"PUT", content=sent),
            resp=response(received, [(b"Content-Type", b"application/octet-stream")]),
        )
    )
    (record,) = capture.records()
    assert record.request.body is not None and record.request.body.literal_bytes() == sent
    assert record.response is not None and record.response.body == received


def test_streamed_bodies_are_marked_and_not_invented(capture: Capture) -> None:
    capture.cycle(
        tflow.tflow(req=request(method=b"POST", content=None), resp=response(content=None))
    )
    (record,) = capture.records()
    assert record.request.body is None
    assert record.request.options["streamed"] is True
    assert record.response is not None
    assert record.response.body is None and record.response.truncated is True


def test_request_bodies_keep_their_content_encoding(capture: Capture) -> None:
    compressed = gzip.compress(b'{"name":"demo"}')
    headers = [(b"Content-Encoding", b"gzip"), (b"Content-Type", b"application/json")]
    capture.cycle(
        tflow.tflow(
            req=request(method=b"POST", headers=headers, content=compressed), resp=response()
        )
    )
    (record,) = capture.records()
    assert record.request.body is not None and record.request.body.literal_bytes() == compressed


def _zstd(data: bytes) -> bytes:
    # the encoder of whichever zstd library this mitmproxy decodes with
    try:
        from backports import zstd  # mitmproxy 12
    except ImportError:
        import zstandard  # mitmproxy 11

        return zstandard.ZstdCompressor().compress(data)
    return zstd.compress(data)


ENCODERS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": _zstd,
}


@pytest.mark.parametrize("coding", sorted(ENCODERS))
def test_response_bodies_are_decoded_for_chaining(capture: Capture, coding: str) -> None:
    body = json.dumps({"id": "c-5nmb8", "items": list(range(500))}).encode()
    headers = [(b"Content-Type", b"application/json"), (b"Content-Encoding", coding.encode())]
    capture.cycle(tflow.tflow(req=request(), resp=response(ENCODERS[coding](body), headers)))
    (record,) = capture.records()
    assert record.response is not None and record.response.body == body
    assert not record.response.truncated


def test_the_test_encoders_make_what_mitmproxy_decodes() -> None:
    from mitmproxy.net import encoding

    assert set(ENCODERS) == set(DECODERS)
    for name in set(ENCODERS) - {"x-gzip"}:  # an alias mitmproxy does not know
        assert encoding.decode(ENCODERS[name](b"x" * 100), name) == b"x" * 100


def test_raw_deflate_and_layered_codings_decode(capture: Capture) -> None:
    body = b'{"id":1}' * 50
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw_deflate = raw.compress(body) + raw.flush()
    capture.cycle(
        tflow.tflow(req=request(), resp=response(raw_deflate, [(b"Content-Encoding", b"deflate")])),
        tflow.tflow(
            req=request(),
            resp=response(
                gzip.compress(brotli.compress(body)), [(b"Content-Encoding", b"br, gzip")]
            ),
        ),
    )
    assert [r.response.body for r in capture.records() if r.response] == [body, body]


def test_decompression_bombs_stop_at_the_cap() -> None:
    bomb = gzip.compress(b"\0" * 200_000_000)  # 200 MB from 200 KB
    flow_ = tflow.tflow(req=request(), resp=response(bomb, [(b"Content-Encoding", b"gzip")]))
    record = flow_to_record(flow_, 1, body_cap=1000)
    assert record.response is not None and record.response.body == b"\0" * 1000
    assert record.response.truncated


def test_a_body_that_does_not_decode_as_labelled_is_kept_as_received(capture: Capture) -> None:
    layered = gzip.compress(b"x" * 100)  # gzip over a coding nobody knows
    capture.cycle(
        tflow.tflow(req=request(), resp=response(b"not gzip", [(b"Content-Encoding", b"gzip")])),
        tflow.tflow(
            req=request(), resp=response(layered, [(b"Content-Encoding", b"mystery, gzip")])
        ),
    )
    assert [r.response.body for r in capture.records() if r.response] == [b"not gzip", layered]


def test_large_response_bodies_are_cut_at_the_cap() -> None:
    record = flow_to_record(tflow.tflow(req=request(), resp=response(b"x" * 5000)), 1, body_cap=100)
    assert record.response is not None
    assert (record.response.body, record.response.truncated) == (b"x" * 100, True)


def test_static_assets_keep_no_response_body(capture: Capture) -> None:
    capture.cycle(
        tflow.tflow(
            req=request(b"/assets/app.3f9a1c.js"),
            resp=response(b"console.log(1)" * 1000, [(b"Content-Type", b"application/javascript")]),
        )
    )
    (record,) = capture.records()
    assert record.response is not None
    assert (record.response.status, record.response.body, record.response.truncated) == (
        200,
        None,
        True,
    )


def test_the_url_is_the_target_as_sent(capture: Capture) -> None:
    targets = [b"/a%2Fb/../c?x=%41&y=1+2&z", b"/p?q=caf\xc3\xa9&r=%zz", b"/only?"]
    capture.cycle(
        *(tflow.tflow(req=request(t, host=b"h.test:81"), resp=response()) for t in targets)
    )
    urls = [
        r.request.url.literal_str().encode("utf-8", "surrogateescape") for r in capture.records()
    ]
    assert urls == [b"http://h.test:81" + t for t in targets]


def test_without_host_header_the_url_names_the_address_connected_to() -> None:
    bare = tutils.treq(host="::1", port=8443, scheme=b"https", headers=http.Headers())
    assert flow_to_record(tflow.tflow(req=bare), 1).request.url.literal_str() == (
        "https://[::1]:8443/path"
    )


def test_a_broken_flow_is_logged_and_the_capture_goes_on(
    capture: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tflow.tflow(req=request(), resp=response())
    broken.request.data.path = None  # type: ignore[assignment]  # no real flow is like this
    good = tflow.tflow(req=request(b"/fine"), resp=response())
    capture.cycle(broken, good)
    assert [r.request.url.literal_str() for r in capture.records()] == [
        "http://api.example.test/fine"
    ]
    assert any("could not record" in m for m in caplog.messages)


def test_header_bytes_that_are_not_utf8_read_back_unchanged(capture: Capture) -> None:
    hostile = [(b"X-Bin", b"\xff\xfe\x00nul"), (b"X-\xc3", b"caf\xc3\xa9"), (b"Empty", b"")]
    capture.cycle(tflow.tflow(req=request(b"/\xff?\x00", headers=hostile), resp=response()))
    (line,) = capture.lines()
    line.decode("utf-8")  # the file stays UTF-8 text
    (record,) = capture.records()
    got = [
        (n.encode("utf-8", "surrogateescape"), v.literal_bytes()) for n, v in record.request.headers
    ]
    assert got == [(b"Host", b"api.example.test"), *hostile]
    assert (
        record.request.url.literal_str().encode("utf-8", "surrogateescape").endswith(b"/\xff?\x00")
    )


def test_a_secret_with_bytes_bash_cannot_hold_reaches_the_env_file(capture: Capture) -> None:
    secret = b"Bearer \xff\x01tok'en-" + TOKEN
    capture.cycle(tflow.tflow(req=request(headers=[(b"Authorization", secret)]), resp=response()))
    (record,) = capture.records()
    assert record.redacted
    assert capture.sent(record.request.header("Authorization")) == secret


def test_huge_headers_are_recorded_whole(capture: Capture) -> None:
    value = b"v" * 1_000_000
    capture.cycle(tflow.tflow(req=request(headers=[(b"X-Huge", value)] * 3), resp=response()))
    (record,) = capture.records()
    assert [v.literal_bytes() for n, v in record.request.headers if n == "X-Huge"] == [value] * 3


header_bytes = st.binary(max_size=40)
header_names = st.sampled_from([b"Authorization", b"cookie", b":authority", b""]) | header_bytes


@dataclass
class Sent:
    method: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes | None


def test_no_flow_content_makes_the_addon_raise(tmp_path: Path) -> None:
    output = tmp_path / "fuzz.jsonl"
    addon = Capture2Code()
    sent: list[Sent] = []
    with taddons.context(addon) as tctx:
        tctx.configure(addon, c2c_output=str(output))

        @settings(max_examples=150, deadline=None)
        @given(
            method=st.binary(min_size=1, max_size=10),
            target=st.binary(max_size=60),
            authority=st.binary(max_size=30),
            headers=st.lists(st.tuples(header_names, header_bytes), max_size=6),
            body=st.none() | st.binary(max_size=200),
            status=st.integers(min_value=100, max_value=999),
            response_headers=st.lists(st.tuples(header_bytes, header_bytes), max_size=4),
            response_body=st.none() | st.binary(max_size=200),
            version=st.sampled_from([b"HTTP/1.0", b"HTTP/1.1", b"HTTP/2.0", b"HTTP/3", b"\xff"]),
            error=st.none() | st.text(max_size=20),
        )
        def one_flow(
            method: bytes,
            target: bytes,
            authority: bytes,
            headers: list[tuple[bytes, bytes]],
            body: bytes | None,
            status: int,
            response_headers: list[tuple[bytes, bytes]],
            response_body: bytes | None,
            version: bytes,
            error: str | None,
        ) -> None:
            req = tutils.treq(
                method=method,
                path=target,
                authority=authority,
                http_version=version,
                headers=http.Headers(headers),
                content=body,
            )
            resp = tutils.tresp(status_code=status, headers=http.Headers(response_headers))
            resp.data.content = response_body
            item = tflow.tflow(req=req, resp=resp, err=flow.Error(error) if error else False)
            tctx.master.event_loop.run_until_complete(tctx.cycle(addon, item))
            if method.upper() != b"CONNECT":  # a tunnel, not a request a script could send
                expected = [h for h in headers if not h[0].startswith(b":")]
                sent.append(Sent(method, expected, body or None))

        one_flow()
        addon.done()
    lines = output.read_bytes().splitlines()
    assert len(lines) == len(sent) == addon.kept
    env_file = Path(f"{output}.env")
    env = read_env_file(env_file.read_text("utf-8", "surrogateescape")) if env_file.exists() else {}

    def resolved(text: Text) -> bytes:
        pieces = (env[p.name] if isinstance(p, Var) else p for p in text.as_str().pieces)
        return "".join(pieces).encode("utf-8", "surrogateescape")

    for line, expected in zip(lines, sent, strict=True):
        (record,) = read_jsonl([line.decode("utf-8")])
        got = [
            (n.encode("utf-8", "surrogateescape"), resolved(v)) for n, v in record.request.headers
        ]
        assert got == expected.headers
        assert record.request.method.encode("utf-8", "surrogateescape") == expected.method
        body = record.request.body
        assert (resolved(body) if isinstance(body, Text) else None) == expected.body
