"""`capture2code record` (capture.run_record) with the real mitmdump and our addon, driven
by real curl through the proxy to the loopback recorder, and stopped by a real signal.
"""

from __future__ import annotations

import os
import pty
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from capture2code.capture import (
    LineCounter,
    ScriptKeeper,
    accepts,
    ca_certificate,
    next_command,
)
from capture2code.emit import Emitted
from capture2code.record import read_jsonl
from tests.captured import resolved, sourced_env
from tests.recorder import Recorder
from tests.runners import python as python_runner

TIMEOUT = 30.0
PROXY = re.compile(rb"proxy: +http://(127\.0\.0\.1:\d+)")


def _collect(stream: IO[bytes], into: bytearray) -> None:
    while chunk := stream.read1(65536):  # type: ignore[attr-defined]
        into.extend(chunk)


@dataclass
class Recording:
    """A `record` process, its output collected as it comes."""

    process: subprocess.Popen[bytes]
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)

    def __post_init__(self) -> None:
        self.threads = [
            threading.Thread(target=_collect, args=(stream, into), daemon=True)
            for stream, into in (
                (self.process.stdout, self.stdout),
                (self.process.stderr, self.stderr),
            )
        ]
        for thread in self.threads:
            thread.start()

    def wait_for(self, pattern: bytes) -> re.Match[bytes]:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            match = re.search(pattern, bytes(self.stdout))
            if match is not None:
                return match
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(
            f"no {pattern!r} in the output:\n{self.stdout.decode()}\n{self.stderr.decode()}"
        )

    @property
    def proxy(self) -> str:
        return "http://" + self.wait_for(PROXY.pattern).group(1).decode()

    def stop(self, signal_number: int = signal.SIGINT) -> int:
        self.process.send_signal(signal_number)
        code = self.process.wait(TIMEOUT)
        for thread in self.threads:
            thread.join(TIMEOUT)
        return code

    @property
    def out(self) -> str:
        return self.stdout.decode()

    @property
    def err(self) -> str:
        return self.stderr.decode()


def _command(
    *,
    port: int = 0,
    hosts: tuple[str, ...] = (),
    script: str | None = None,
    target: str = "python",
    args: tuple[str, ...] = (),
) -> list[str]:
    """`capture2code record` as a user types it (port 0: any free port)."""
    command = ["record", "-p", str(port), "-o", "capture.jsonl", "--to", target]
    for host in hosts:
        command += ["--host", host]
    if script is not None:
        command += ["--script", script]
    return [*command, "--", *args]


def _start(
    cwd: Path, *, python: str = sys.executable, env: dict[str, str] | None = None, **given: Any
) -> Recording:
    # mitmproxy's CA in the test's folder, not the user's ~/.mitmproxy.
    given["args"] = ("--set", f"confdir={cwd / 'mitmproxy'}", *given.get("args", ()))
    process = subprocess.Popen(
        [python, "-m", "capture2code", *_command(**given)],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    return Recording(process)


@pytest.fixture
def recordings() -> Iterator[list[Recording]]:
    """Started recordings, killed at the end whatever happened."""
    started: list[Recording] = []
    yield started
    for recording in started:
        _end(recording.process)


def _end(process: subprocess.Popen[bytes]) -> None:
    """Ends a `record` process left running by a failed test: SIGTERM first, so that it
    stops its mitmdump (which has a process group of its own), then SIGKILL."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _curl(proxy: str, url: str, *args: str) -> None:
    subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "--max-time", "20", "-x", proxy, *args, url],
        check=True,
        timeout=TIMEOUT,
        env={"PATH": "/usr/bin:/bin"},
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_records_through_the_proxy_and_prints_the_next_command(
    tmp_path: Path, recorder: Recorder, recordings: list[Recording]
) -> None:
    recording = _start(tmp_path, hosts=("127.0.0.1",))
    recordings.append(recording)
    proxy = recording.proxy
    certificate = tmp_path / "mitmproxy" / "mitmproxy-ca-cert.pem"
    assert f"certificate: {certificate}\n" in recording.out
    assert certificate.exists()
    assert "http://mitm.it" in recording.out
    _curl(proxy, f"{recorder.origin}/v3/things?limit=5", "-H", "Cookie: R_SESS=s3cr3t")
    # Another host: it passes through the proxy, counted but not kept.
    _curl(proxy, f"http://localhost:{recorder.port}/elsewhere")
    _curl(proxy, f"{recorder.origin}/v3/things", "--data-binary", '{"name":"demo"}')
    recording.wait_for(rb"3 requests captured \(2 kept\)\n")

    assert recording.stop() == 0
    lines = recording.out.splitlines()
    assert lines[-2:] == [
        "3 requests captured (2 kept)",
        "Next: capture2code convert capture.jsonl --to python -o provision.py",
    ]
    assert recording.err == ""
    records = list(read_jsonl((tmp_path / "capture.jsonl").read_text().splitlines()))
    assert [(r.request.method, r.request.url.literal_str()) for r in records] == [
        ("GET", f"{recorder.origin}/v3/things?limit=5"),
        ("POST", f"{recorder.origin}/v3/things"),
    ]
    assert records[1].request.body is not None
    assert records[1].request.body.as_bytes().literal_bytes() == b'{"name":"demo"}'
    # The secret is in the env file, not in the records.
    assert "s3cr3t" not in (tmp_path / "capture.jsonl").read_text()
    cookie = records[0].request.header("cookie")
    assert cookie is not None and not cookie.is_literal
    env = sourced_env(tmp_path / "capture.jsonl.env")
    assert resolved(cookie, env) == b"R_SESS=s3cr3t"
    assert [received.target for received in recorder.received] == [
        b"/v3/things?limit=5",
        b"/elsewhere",
        b"/v3/things",
    ]


def test_script_is_regenerated_as_requests_arrive_and_replays(
    tmp_path: Path, recorder: Recorder, recordings: list[Recording]
) -> None:
    recording = _start(tmp_path, hosts=("127.0.0.1",), script="provision.py")
    recordings.append(recording)
    proxy = recording.proxy
    script = tmp_path / "provision.py"
    # Provisioning mode (the default for records) keeps what changes something.
    _curl(proxy, f"{recorder.origin}/first", "-X", "POST", "-H", "Cookie: sid=one")
    _wait_until(lambda: script.exists() and "/first" in script.read_text())
    first = script.stat().st_ino
    _curl(proxy, f"{recorder.origin}/second?x=1", "-X", "PUT", "--data-binary", "a\u00e9b")
    # Still recording: the script already holds the second request.
    _wait_until(lambda: "/second?x=1" in script.read_text())
    assert script.stat().st_ino != first  # replaced by a rename, never rewritten in place
    assert recording.stop(signal.SIGTERM) == 0
    assert not accepts(int(proxy.rsplit(":", 1)[1]))  # mitmdump stopped too
    assert recording.out.endswith(
        "Next: capture2code convert capture.jsonl --to python -o provision.py\n"
    )
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []
    assert os.access(script, os.X_OK)

    sent = [(r.method, r.target, r.header("cookie"), r.body) for r in recorder.received]
    recorder.received.clear()
    env = sourced_env(tmp_path / "capture.jsonl.env")
    result = python_runner.run(Emitted(script.read_text()), env, tmp_path / "replay")
    assert result.returncode == 0, result.stderr.decode()
    assert [(r.method, r.target, r.header("cookie"), r.body) for r in recorder.received] == sent
    assert sent == [
        ("POST", b"/first", b"sid=one", b""),
        ("PUT", b"/second?x=1", None, "a\u00e9b".encode()),
    ]


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_ctrl_c_on_a_terminal_stops_cleanly_and_the_count_is_one_line(
    tmp_path: Path, recorder: Recorder
) -> None:
    """As a user sees it: the command in a terminal (a pseudo-terminal it controls), and
    Ctrl-C typed there."""
    controller, terminal = pty.openpty()
    confdir = ("--set", f"confdir={tmp_path / 'mitmproxy'}")
    process = subprocess.Popen(
        # setsid --ctty: a session of its own whose controlling terminal is stdin.
        ["setsid", "--ctty", sys.executable, "-m", "capture2code"]
        + _command(target="curl", args=confdir),
        cwd=tmp_path,
        stdin=terminal,
        stdout=terminal,
        stderr=subprocess.PIPE,
    )
    os.close(terminal)
    seen = bytearray()
    try:
        proxy = _read_until(controller, seen, PROXY).group(1).decode()
        _curl(f"http://{proxy}", f"{recorder.origin}/one")
        _read_until(controller, seen, re.compile(rb"\r1 requests captured \(1 kept\)"))
        _curl(f"http://{proxy}", f"{recorder.origin}/two")
        _read_until(controller, seen, re.compile(rb"\r2 requests captured \(2 kept\)"))
        os.write(controller, b"\x03")  # Ctrl-C
        assert process.wait(TIMEOUT) == 0
        assert not accepts(int(proxy.rsplit(":", 1)[1]))  # mitmdump stopped too
        _read_until(controller, seen, re.compile(rb"Next: .*\n"))
    finally:
        _end(process)
        os.close(controller)
    assert process.stderr is not None and process.stderr.read() == b""
    text = seen.decode().replace("\r\n", "\n")
    count_lines = text.split("Ctrl-C stops.\n", 1)[1].split("\n")
    # One line on the terminal, rewritten in place (erasing the echoed ^C), and the final
    # count ends it.
    assert count_lines[0].startswith("\r0 requests captured (0 kept)\x1b[K\r1 requests")
    assert count_lines[0].endswith("^C\r2 requests captured (2 kept)\x1b[K")
    assert count_lines[1:] == [
        "Next: capture2code convert capture.jsonl --to curl -o provision.sh",
        "",
    ]
    assert len((tmp_path / "capture.jsonl").read_text().splitlines()) == 2


def _read_until(descriptor: int, seen: bytearray, pattern: re.Pattern[bytes]) -> re.Match[bytes]:
    import select

    deadline = time.monotonic() + TIMEOUT
    while (match := pattern.search(bytes(seen))) is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([descriptor], [], [], remaining)[0]:
            raise AssertionError(f"no {pattern.pattern!r} in {bytes(seen)!r}")
        try:
            seen.extend(os.read(descriptor, 65536))
        except OSError:  # the terminal closed: everything was read
            raise AssertionError(f"no {pattern.pattern!r} in {bytes(seen)!r}") from None
    return match


def test_port_in_use_is_one_line_and_exit_2(tmp_path: Path, recordings: list[Recording]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        recording = _start(tmp_path, port=port)
        recordings.append(recording)
        assert recording.process.wait(TIMEOUT) == 2
    for thread in recording.threads:
        thread.join(TIMEOUT)
    assert recording.out == ""
    assert recording.err == (
        f"capture2code: error: port {port} on 127.0.0.1 is in use; choose another with -p\n"
    )
    assert not (tmp_path / "capture.jsonl").exists()


def test_a_port_out_of_range_is_one_line_and_exit_2(
    tmp_path: Path, recordings: list[Recording]
) -> None:
    recording = _start(tmp_path, port=65536)
    recordings.append(recording)
    assert recording.process.wait(TIMEOUT) == 2
    for thread in recording.threads:
        thread.join(TIMEOUT)
    assert recording.err == (
        "capture2code: error: port 65536 is not a port number (0-65535; 0: any free port)\n"
    )


def test_a_given_port_is_used_also_when_mitmdump_is_quiet(
    tmp_path: Path, recorder: Recorder, recordings: list[Recording]
) -> None:
    # -q: mitmdump logs neither that it listens nor the addon's counts.
    port = _free_port()
    recording = _start(tmp_path, port=port, args=("-q",))
    recordings.append(recording)
    assert recording.proxy == f"http://127.0.0.1:{port}"
    _curl(recording.proxy, f"{recorder.origin}/quiet")
    recording.wait_for(rb"1 requests captured \(1 kept\)\n")
    assert recording.stop() == 0
    assert recording.out.endswith(
        "Next: capture2code convert capture.jsonl --to python -o provision.py\n"
    )


def test_nothing_recorded_is_said(tmp_path: Path, recordings: list[Recording]) -> None:
    recording = _start(tmp_path)
    recordings.append(recording)
    recording.wait_for(rb"0 requests captured \(0 kept\)\n")
    assert recording.stop() == 0
    assert recording.out.endswith("0 requests captured (0 kept)\nNothing was recorded.\n")


def test_missing_mitmdump_is_one_line_and_exit_2(
    tmp_path: Path, recordings: list[Recording]
) -> None:
    # The same environment seen through links, except that its bin/ holds only python3;
    # and a PATH without mitmdump either: it is neither beside sys.executable nor on PATH.
    prefix = tmp_path / "env"
    prefix.mkdir()
    for entry in Path(sys.prefix).iterdir():
        if entry.name != "bin":  # lib/ (site-packages), pyvenv.cfg in a venv, ...
            (prefix / entry.name).symlink_to(entry)
    (prefix / "bin").mkdir()
    (prefix / "bin" / "python3").symlink_to(sys.executable)
    path = f"{prefix / 'bin'}:/usr/bin:/bin"
    assert not any((Path(part) / "mitmdump").exists() for part in path.split(":"))
    recording = _start(tmp_path, python=str(prefix / "bin" / "python3"), env={"PATH": path})
    recordings.append(recording)
    assert recording.process.wait(TIMEOUT) == 2
    for thread in recording.threads:
        thread.join(TIMEOUT)
    assert recording.err == "capture2code: error: mitmdump not found; pip install mitmproxy\n"
    assert recording.out == ""


def test_mitmdump_refusing_the_arguments_is_reported(
    tmp_path: Path, recordings: list[Recording]
) -> None:
    recording = _start(tmp_path, args=("--no-such-flag",))
    recordings.append(recording)
    assert recording.process.wait(TIMEOUT) not in (0, None)
    for thread in recording.threads:
        thread.join(TIMEOUT)
    assert "mitmdump: error: unrecognized arguments: --no-such-flag" in recording.err
    assert recording.err.splitlines()[-1].startswith("capture2code: error: mitmdump did not start")


# --- the parts, on their own --------------------------------------------------------------


def test_line_counter_counts_complete_lines_of_a_growing_file(tmp_path: Path) -> None:
    path = tmp_path / "capture.jsonl"
    counter = LineCounter(path)
    assert counter.update() == 0
    path.write_bytes(b'{"a":1}\n{"b"')
    assert counter.update() == 1
    with path.open("ab") as stream:
        stream.write(b':2}\n{"c":3}\n')
    assert counter.update() == 3
    path.write_bytes(b"{}\n")  # a new capture truncates the file
    assert counter.update() == 1


def test_conversion_error_is_reported_once_and_keeps_the_script(tmp_path: Path) -> None:
    import io

    records = tmp_path / "capture.jsonl"
    line = (
        '{"v":1,"id":1,"source":"addon","request":{"method":"POST",'
        '"url":"http://127.0.0.1:9/x","headers":[]},"redacted":[]}\n'
    )
    records.write_text(line + '{"v":1,"id":2,"source":"add')  # the second is still coming
    err = io.StringIO()
    keeper = ScriptKeeper(tmp_path / "provision.sh", "curl", records, err)
    keeper.regenerate()
    good = (tmp_path / "provision.sh").read_text()
    assert "http://127.0.0.1:9" in good and "/x" in good
    records.write_text(line + "not a record\n" + line)
    keeper.regenerate()
    keeper.regenerate()
    assert (tmp_path / "provision.sh").read_text() == good
    (warning,) = err.getvalue().splitlines()
    assert warning.startswith(f"capture2code: warning: cannot update {tmp_path / 'provision.sh'}")
    assert ":2:" in warning


def test_ca_certificate_follows_confdir() -> None:
    home = Path.home()
    assert ca_certificate([]) == home / ".mitmproxy" / "mitmproxy-ca-cert.pem"
    assert ca_certificate(["--set", "confdir=/srv/ca"]) == Path("/srv/ca/mitmproxy-ca-cert.pem")
    assert ca_certificate(["--set=confdir=~/x"]) == home / "x" / "mitmproxy-ca-cert.pem"
    assert ca_certificate(["-q", "confdir=/no"]) == home / ".mitmproxy" / "mitmproxy-ca-cert.pem"


def test_next_command_quotes_the_paths() -> None:
    assert next_command(Path("my capture.jsonl"), "http") == (
        "capture2code convert 'my capture.jsonl' --to http -o provision.http"
    )
    assert next_command(Path("c.jsonl"), "curl", Path("my run.sh")) == (
        "capture2code convert c.jsonl --to curl -o 'my run.sh'"
    )
