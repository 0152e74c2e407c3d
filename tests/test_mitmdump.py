"""The addon in the real mitmdump, with the real curl sending through it to the loopback
recorder; the same run saved as a flow file (`-w`) and a HAR (`hardump`) for the readers.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mitmproxy import flow, http
from mitmproxy.io import FlowReader, FlowWriter, tnetstring
from mitmproxy.test import tflow, tutils

from capture2code.mitm import flow_to_record
from capture2code.record import Record, dumps, read_jsonl, record_to_dict
from capture2code.redact import Redactor
from capture2code.sources.mitm import FlowFileError, read_flows
from tests.recorder import Received, Recorder

MITMDUMP = Path(sys.executable).parent / "mitmdump"
ADDON = Path(__file__).parent.parent / "addons" / "capture2code.py"
CURL = "/usr/bin/curl"
LISTENING = re.compile(rb"listening at 127\.0\.0\.1:(\d+)")
# Without proxy variables, so that curl's -x is the only proxy and loopback is not exempt.
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}


@dataclass
class Mitmdump:
    process: subprocess.Popen[bytes]
    port: int
    log: list[bytes] = field(default_factory=list)

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def curl(self, url: str, *args: str) -> subprocess.CompletedProcess[bytes]:
        command = [CURL, "-sS", "--path-as-is", "-x", self.proxy, *args, url]
        return subprocess.run(command, capture_output=True, check=True, env=CLEAN_ENV, timeout=30)

    def stop(self) -> None:
        """As Ctrl-C would: mitmdump runs its shutdown hooks (hardump writes the HAR)."""
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)


@contextmanager
def mitmdump(workdir: Path, *args: str) -> Iterator[Mitmdump]:
    command = [
        str(MITMDUMP),
        "--set",
        f"confdir={workdir / 'mitmproxy-conf'}",  # not the user's ~/.mitmproxy
        "--listen-host",
        "127.0.0.1",
        "--listen-port",
        "0",
        "-s",
        str(ADDON),
        *args,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=workdir, env=CLEAN_ENV
    )
    lines: queue.Queue[bytes] = queue.Queue()
    log: list[bytes] = []

    def drain() -> None:  # mitmdump logs every flow: its pipe must never fill up
        assert process.stdout is not None
        for line in process.stdout:
            log.append(line)
            lines.put(line)
        lines.put(b"")

    threading.Thread(target=drain, daemon=True).start()
    try:
        while True:
            try:
                line = lines.get(timeout=60)
            except queue.Empty:
                line = b""
            listening = LISTENING.search(line)
            if listening:
                break
            if not line:
                raise AssertionError(f"mitmdump did not start: {b''.join(log).decode()}")
        yield Mitmdump(process, int(listening.group(1)), log)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def records_of(path: Path) -> list[Record]:
    return list(read_jsonl(path.read_text("utf-8").split("\n")))


def env_values(env_file: Path, names: set[str]) -> dict[str, str]:
    """The values bash gets for `names` from an env file."""
    script = 'set -a; . "$1"; set +a; shift; for name; do printf "%s\\0" "${!name}"; done'
    ordered = sorted(names)
    out = subprocess.run(
        ["bash", "-c", script, "bash", str(env_file), *ordered], capture_output=True, check=True
    ).stdout
    values = out.decode("utf-8", "surrogateescape").split("\0")[:-1]
    return dict(zip(ordered, values, strict=True))


def resolved(record: Record, env: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """The record's request headers as bytes, each redacted value put back."""
    out = []
    for name, value in record.request.headers:
        text = "".join(env[p.name] if hasattr(p, "name") else p for p in value.as_str().pieces)
        out.append((name.encode(), text.encode("utf-8", "surrogateescape")))
    return out


BINARY = bytes(range(256)) * 4
TOKEN = "token-x7k2p:9vq4mzl8r2hj5c7n6wtb4k9xdf2s8lq3jv6npz5rc8mw4tyk2h"
SESSION = "token-b4n7w:8pf2kq9lz3mx6vc1rt5yh8dj2gs7nw4bk9qe3ua6zt1op5rm"
API_JSON = json.dumps({"id": "c-5nmb8", "items": list(range(300))}).encode()


def respond(received: Received) -> tuple[int, list[tuple[str, str]], bytes]:
    path = received.target.split(b"?")[0]
    if path == b"/blob":
        return 200, [("Content-Type", "application/octet-stream")], BINARY
    if path == b"/v3/clusters" and received.method == "GET":
        headers = [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
        return 200, headers, gzip.compress(API_JSON)
    if received.method == "POST":
        return 201, [("Content-Type", "application/json")], b'{"id":"c-1"}'
    return 200, [("Content-Type", "application/json")], b'{"ok":true}'


@dataclass
class Session:
    records: list[Record]  # what the addon wrote
    env: dict[str, str]  # the addon's env file, read back
    received: list[Received]  # what the recorder got from mitmdump
    flows: Path  # -w
    har: Path  # hardump
    origin: str


def send_requests(proxy: Mitmdump, origin: str, workdir: Path) -> None:
    (workdir / "binary.bin").write_bytes(BINARY)
    (workdir / "body.gz").write_bytes(gzip.compress(b'{"name":"demo"}'))
    proxy.curl(
        f"{origin}/a%2Fb/../c?x=%41&y=1+2&z&e=",
        *("-H", "X-Case: MiXeD", "-H", "X-Rep: 1", "-H", "X-Rep: 2"),
        *("-H", f"Authorization: Bearer {TOKEN}"),
    )
    proxy.curl(
        f"{origin}/v3/clusters?_replace=true",
        *(
            "-H",
            "Content-Type: application/json",
            "-H",
            f"Cookie: R_SESS={SESSION}; CSRF=4f1c9e2ab7d3",
        ),
        *("--data-raw", '{"name":"demo","note":"café"}'),
    )
    proxy.curl(f"{origin}/v3/clusters", "-H", f"Authorization: Bearer {TOKEN}")
    proxy.curl(
        f"{origin}/upload",
        *("-X", "PUT", "-H", "Content-Type: application/octet-stream"),
        *("--data-binary", "@binary.bin"),
    )
    proxy.curl(
        f"{origin}/v3/compressed",
        *("-H", "Content-Encoding: gzip", "-H", "Content-Type: application/json"),
        *("--data-binary", "@body.gz"),
    )
    proxy.curl(f"{origin}/blob")
    proxy.curl(f"{origin}/v3/clusters/c-1", "-X", "DELETE")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    workdir = tmp_path_factory.mktemp("mitmdump")
    recorder = Recorder(responder=respond).start()
    try:
        output = workdir / "capture.jsonl"
        args = ["--set", f"c2c_output={output}", "-w", "flows.mitm", "--set", "hardump=flows.har"]
        with mitmdump(workdir, *args) as proxy:
            send_requests(proxy, recorder.origin, workdir)
            proxy.stop()
            assert proxy.process.returncode == 0, b"".join(proxy.log).decode()
        records = records_of(output)
        names = {note["var"] for record in records for note in record.redacted}
        yield Session(
            records,
            env_values(Path(f"{output}.env"), names),
            recorder.take(),
            workdir / "flows.mitm",
            workdir / "flows.har",
            recorder.origin,
        )
    finally:
        recorder.stop()


def test_records_hold_what_the_server_received(session: Session) -> None:
    assert len(session.records) == len(session.received) == 7
    for record, received in zip(session.records, session.received, strict=True):
        assert record.source == "addon"
        assert record.request.method == received.method
        url = record.request.url.literal_str().encode("utf-8", "surrogateescape")
        assert url == session.origin.encode() + received.target
        # Proxy-Connection went to the proxy (which passed it on); a replay must not send it
        to_server = [h for h in received.headers if h[0].lower() != b"proxy-connection"]
        assert resolved(record, session.env) == to_server
        body = record.request.body.literal_bytes() if record.request.body is not None else b""
        assert body == received.body
        assert record.request.http_version == "HTTP/1.1"
    assert [r.id for r in session.records] == list(range(1, 8))


def test_responses_are_recorded_for_chaining(session: Session) -> None:
    by_path = {r.request.url.literal_str().split("?")[0]: r for r in session.records}
    clusters = by_path[f"{session.origin}/v3/clusters"]
    assert clusters.response is not None
    assert clusters.response.body == API_JSON  # gzip undone
    assert ("Content-Encoding", "gzip") in clusters.response.headers
    blob = by_path[f"{session.origin}/blob"].response
    assert blob is not None and blob.body == BINARY
    created = [r.response.status for r in session.records if r.response]
    assert created == [200, 201, 200, 200, 201, 200, 200]


def test_secrets_are_redacted_in_the_file_and_kept_in_the_env_file(session: Session) -> None:
    output = session.flows.parent / "capture.jsonl"
    data = output.read_bytes()
    assert TOKEN.encode() not in data and SESSION.encode() not in data
    for secret in (TOKEN, SESSION):
        assert any(secret in value for value in session.env.values())
    assert oct(Path(f"{output}.env").stat().st_mode & 0o777) == "0o600"


def test_the_flow_file_reads_back_as_the_records_the_addon_wrote(session: Session) -> None:
    # A flow file holds everything a record does: only `source` tells them apart. The
    # reader does not redact (convert does), so the same Redactor runs over its records.
    redactor = Redactor()
    from_file = [redactor.record(r) for r in read_flows(session.flows)]
    assert all(r.source == "mitm" for r in from_file)

    def comparable(record: Record) -> dict[str, object]:
        return {k: v for k, v in record_to_dict(record).items() if k != "source"}

    assert [comparable(r) for r in from_file] == [comparable(r) for r in session.records]
    assert {var.name: var.value for var in redactor.env} == session.env


def test_the_har_of_the_same_run_reads_back_as_far_as_har_holds(session: Session) -> None:
    har = pytest.importorskip("capture2code.sources.har")
    from_har = list(har.read_har_file(session.har))
    assert len(from_har) == len(session.records)
    for got, wrote in zip(from_har, session.records, strict=True):
        # HAR holds the URL, method, headers, status and the decoded response body. It has
        # no raw request bodies: mitmproxy's hardump writes postData only for POST, PUT and
        # PATCH, as text with any Content-Encoding undone, so binary or encoded request
        # bodies cannot survive. Binary response bodies whose first 100 bytes look like
        # text are written as text in a guessed charset, so only JSON bodies are compared.
        assert got.request.method == wrote.request.method
        assert got.request.url == wrote.request.url
        assert resolved(got, {}) == resolved(wrote, session.env)
        assert got.response is not None and wrote.response is not None
        assert got.response.status == wrote.response.status
        if ("Content-Type", "application/json") in wrote.response.headers:
            assert got.response.body == wrote.response.body


def test_a_har_or_random_bytes_are_not_flow_files(session: Session, tmp_path: Path) -> None:
    with pytest.raises(FlowFileError, match="HAR"):
        list(read_flows(session.har))
    noise = tmp_path / "noise"
    noise.write_bytes(b"\x89PNG" + os.urandom(4000))
    with pytest.raises(FlowFileError, match="not a mitmproxy flow file"):
        list(read_flows(noise))
    for start in (b"12:", b"999999999999:"):  # the second claims a terabyte
        digits = tmp_path / "digits"
        digits.write_bytes(start + os.urandom(4000))
        with pytest.raises(FlowFileError, match="not a mitmproxy flow file"):
            list(read_flows(digits))
    not_a_flow = tmp_path / "tnetstring"
    not_a_flow.write_bytes(tnetstring.dumps({b"a": [1, 2]}))
    with pytest.raises(FlowFileError, match="not a mitmproxy flow file"):
        list(read_flows(not_a_flow))
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(FlowFileError, match="empty"):
        list(read_flows(empty))


def test_a_truncated_flow_file_is_an_error_after_the_whole_flows(
    session: Session, tmp_path: Path
) -> None:
    data = session.flows.read_bytes()
    whole = list(read_flows(session.flows))
    ends = flow_ends(data)
    assert len(ends) == len(whole)
    for cut in (ends[2] + 1, (ends[2] + ends[3]) // 2, len(data) - 1, 5):
        truncated = tmp_path / f"cut-{cut}.mitm"
        truncated.write_bytes(data[:cut])
        got: list[Record] = []
        with pytest.raises(FlowFileError, match="cut short"):
            got.extend(read_flows(truncated))
        assert [r.id for r in got] == [r.id for r in whole if ends[r.id - 1] <= cut]
    at_a_boundary = tmp_path / "boundary.mitm"
    at_a_boundary.write_bytes(data[: ends[2]])  # indistinguishable from a shorter capture
    assert len(list(read_flows(at_a_boundary))) == 3


def flow_ends(data: bytes) -> list[int]:
    """The byte offset where each top-level tnetstring of a flow file ends."""
    ends, position = [], 0
    while position < len(data):
        colon = data.index(b":", position)
        position = colon + 1 + int(data[position:colon]) + 1
        ends.append(position)
    return ends


def test_http2_requests_are_recorded_with_their_authority(
    recorder: Recorder, tmp_path: Path
) -> None:
    # mitmdump as a TLS reverse proxy in front of the recorder: curl speaks HTTP/2 to it.
    output = tmp_path / "h2.jsonl"
    args = ["--mode", f"reverse:{recorder.origin}", "--set", f"c2c_output={output}"]
    with mitmdump(tmp_path, *args) as proxy:
        ca = tmp_path / "mitmproxy-conf" / "mitmproxy-ca-cert.pem"
        command = [CURL, "-sS", "--http2", "--cacert", str(ca), "-H", "X-Case: MiXeD"]
        command += ["--data-raw", '{"name":"demo"}', f"https://127.0.0.1:{proxy.port}/v3/a?b=%41"]
        subprocess.run(command, check=True, capture_output=True, env=CLEAN_ENV, timeout=30)
        proxy.stop()
    (record,) = records_of(output)
    (received,) = recorder.take()
    assert record.request.http_version == "HTTP/2"
    # the reverse proxy sends the request on with the recorder's authority, as recorded
    assert record.request.url.literal_str() == f"{recorder.origin}/v3/a?b=%41"
    assert received.target == b"/v3/a?b=%41"
    headers = [(n.encode(), v.literal_bytes()) for n, v in record.request.headers]
    assert [n for n, _ in headers] == [n.lower() for n, _ in headers]  # HTTP/2: lower case
    assert not any(n.startswith(b":") for n, _ in headers)
    # HTTP/1.1 to the recorder: mitmproxy adds the Host that :authority was
    assert [h for h in received.headers if h[0].lower() != b"host"] == headers
    assert record.request.body is not None
    assert record.request.body.literal_bytes() == received.body == b'{"name":"demo"}'


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; nobody may reap an orphan in a container


def test_kill_9_keeps_every_completed_flow(tmp_path: Path) -> None:
    release = threading.Event()

    def slow(received: Received) -> tuple[int, list[tuple[str, str]], bytes]:
        if received.target == b"/slow":
            release.wait(30)
        return 200, [("Content-Type", "application/json")], b'{"ok":true}'

    recorder = Recorder(responder=slow).start()
    output = tmp_path / "capture.jsonl"
    in_flight = None
    try:
        with mitmdump(tmp_path, "--set", f"c2c_output={output}", "-w", "flows.mitm") as proxy:
            for n in range(5):
                proxy.curl(f"{recorder.origin}/done/{n}", "-H", "Authorization: Bearer t")
            in_flight = subprocess.Popen(
                [CURL, "-sS", "-x", proxy.proxy, f"{recorder.origin}/slow"],
                env=CLEAN_ENV,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            while not any(r.target == b"/slow" for r in recorder.received):
                assert in_flight.poll() is None
                time.sleep(0.02)
            (writer,) = children(proxy.process.pid)  # the addon's record writer
            proxy.process.send_signal(signal.SIGKILL)
            proxy.process.wait()
        # The writer outlives mitmdump: it writes what it was sent, then ends by itself.
        deadline = time.monotonic() + 30
        while running(writer):
            assert time.monotonic() < deadline, "the writer did not end"
            time.sleep(0.02)
    finally:
        release.set()
        if in_flight is not None:
            in_flight.kill()
            in_flight.wait()
        recorder.stop()
    records = records_of(output)
    assert [r.request.url.literal_str() for r in records] == [
        f"{recorder.origin}/done/{n}" for n in range(5)
    ]
    assert output.read_bytes().endswith(b"\n")
    # mitmdump's own -w file: what it flushed before the kill reads back (mitmproxy 11
    # buffers it, so its last flows may be missing or cut; mitmproxy 12 flushes each flow).
    saved: list[Record] = []
    with suppress(FlowFileError):
        saved.extend(read_flows(tmp_path / "flows.mitm"))
    assert [r.request.url for r in saved] == [r.request.url for r in records[: len(saved)]]


# --- the reader's own parse of flow files, against mitmproxy's FlowReader ---------------


def written(*flows: flow.Flow) -> io.BytesIO:
    stream = io.BytesIO()
    writer = FlowWriter(stream)
    for item in flows:
        writer.add(item)
    stream.seek(0)
    return stream


def through_mitmproxy(stream: io.BytesIO) -> list[str]:
    """Records of the file as mitmproxy reads it: FlowReader, then the addon's conversion."""
    stream.seek(0)
    flows = [f for f in FlowReader(stream).stream() if isinstance(f, http.HTTPFlow)]
    return [dumps(flow_to_record(f, n, source="mitm")) for n, f in enumerate(flows, start=1)]


def fast(stream: io.BytesIO) -> list[str]:
    stream.seek(0)
    return [dumps(record) for record in read_flows(stream)]


some_bytes = st.binary(max_size=30)
fields = st.lists(st.tuples(some_bytes, some_bytes), max_size=5)
codings = st.sampled_from([b"gzip", b"br", b"deflate", b"identity", b"bogus"])


@st.composite
def http_flows(draw: st.DrawFn) -> http.HTTPFlow:
    request = tutils.treq(
        method=draw(st.sampled_from([b"GET", b"POST", b"get", b"\xff"])),
        scheme=draw(st.sampled_from([b"http", b"https"])),
        authority=draw(st.sampled_from([b"", b"api.example.test:8443"])),
        path=draw(st.sampled_from([b"/", b"/a.js", b"/x?y=%41"]) | some_bytes),
        http_version=draw(st.sampled_from([b"HTTP/1.1", b"HTTP/2.0"])),
        headers=http.Headers(draw(fields)),
        content=draw(st.none() | some_bytes),
        timestamp_start=draw(st.integers(0, 2**33) | st.floats(0, 2e9)),
    )
    response = None
    if draw(st.booleans()):
        headers = draw(fields)
        body = draw(st.none() | some_bytes)
        if body and draw(st.booleans()):
            coding = draw(codings)
            headers.append((b"Content-Encoding", coding))
            body = gzip.compress(body) if coding == b"gzip" else body
        response = tutils.tresp(
            status_code=draw(st.integers(100, 599)), headers=http.Headers(headers)
        )
        response.data.content = body
    made = tflow.tflow(req=request, resp=response or False)
    if draw(st.booleans()):
        made.error = flow.Error(draw(st.text(max_size=20)))
    if draw(st.booleans()):
        made.websocket = tflow.twebsocket(messages=draw(st.booleans()))
    return made


@settings(max_examples=100, deadline=None)
@given(st.lists(http_flows(), min_size=1, max_size=4))
def test_the_reader_gives_what_mitmproxys_own_reader_gives(flows: list[http.HTTPFlow]) -> None:
    stream = written(*flows)
    assert fast(stream) == through_mitmproxy(stream)


def test_mitmdumps_own_files_need_no_fallback(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reader's own parse must cover what mitmdump writes (the fallback is the slow path).
    import capture2code.sources.mitm as reader

    def fallback(data: bytes, tag: int) -> None:
        raise AssertionError("fell back to mitmproxy's reader")

    monkeypatch.setattr(reader, "_migrated_parts", fallback)
    assert len(list(read_flows(session.flows))) == len(session.records)
    stream = written(tflow.tflow(resp=True), tflow.twebsocketflow(), tflow.tflow(err=True))
    assert len(fast(stream)) == 3


def test_other_flows_and_connect_tunnels_are_skipped() -> None:
    connect = tflow.tflow(req=tutils.treq(method=b"CONNECT", path=b"", authority=b"a.test:443"))
    stream = written(
        tflow.ttcpflow(), tflow.tflow(resp=True), tflow.tudpflow(), connect, tflow.tdnsflow()
    )
    assert [record.id for record in read_flows(stream)] == [1]


def test_other_format_versions_go_through_mitmproxys_migration() -> None:
    old = tflow.tflow(resp=True, err=True).get_state()
    old["version"] = 20  # a mitmproxy 9 flow file: mitmproxy's compat upgrades it
    stream = io.BytesIO(tnetstring.dumps(old) + tnetstring.dumps(tflow.tflow().get_state()))
    current = written(flow.Flow.from_state(dict(old, version=21)), tflow.tflow())
    assert fast(stream) == fast(current)
    future = tflow.tflow().get_state()
    future["version"] = 99
    with pytest.raises(FlowFileError, match="version 99"):
        list(read_flows(io.BytesIO(tnetstring.dumps(future))))


def test_a_flow_the_reader_cannot_parse_itself_is_read_by_mitmproxy() -> None:
    odd = tflow.tflow(resp=True).get_state()
    odd["request"]["headers"] = [[b"a", b"1"], (b"b", b"2")]  # valid, written differently
    assert len(fast(io.BytesIO(tnetstring.dumps(odd)))) == 1
    broken = tflow.tflow(resp=True).get_state()
    del broken["request"]["method"]
    data = tnetstring.dumps(tflow.tflow().get_state()) + tnetstring.dumps(broken)
    with pytest.raises(FlowFileError, match="flow 2 is damaged"):
        list(read_flows(io.BytesIO(data)))
