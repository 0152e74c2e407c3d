"""`capture2code record`: mitmdump with our addon on 127.0.0.1, a live count of what it
captures, optionally a script kept regenerated from the capture, and on Ctrl-C (or SIGTERM)
a clean stop and the `convert` command to run next.
"""

from __future__ import annotations

import os
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from capture2code.files import replace_file

LISTEN_HOST = "127.0.0.1"
# mitmdump loads addons from a script file. This one lives in a temporary folder for the
# capture, so `record` works from a wheel install too, where the repository's
# addons/capture2code.py is not on disk.
ADDON_SCRIPT = "from capture2code.mitm import Capture2Code\n\naddons = [Capture2Code()]\n"
# Our flow count is in mitmdump's log, so the log stays at "info"; these are lines of it
# that say nothing a user needs while recording.
CHATTER = re.compile(
    r"(?:\[[^\]]*\])*\s*(?:(?:client|server) (?:connect|disconnect)\b|Loading script )"
)
COUNT = re.compile(r"capture2code: (\d+) requests? captured \((\d+) kept\)")
LISTENING = re.compile(r"proxy listening at (\S+):(\d+)\.?\s*$")
# Seconds: how often the loop looks at the file; the least time between two count lines
# when the output is not a terminal; how long mitmdump gets to stop on each signal.
POLL = 0.25
PRINT_INTERVAL = 1.0
STOP_WAIT = (10.0, 5.0)
SCRIPT_SUFFIXES = {"python": ".py", "curl": ".sh", "http": ".http"}


@dataclass(frozen=True)
class Settings:
    port: int
    output: Path
    hosts: list[str]
    script: Path | None
    target: str
    mitmdump_args: list[str]


class RecordFailure(Exception):
    """Recording cannot start: the message is the one line the user sees."""


def find_mitmdump() -> str | None:
    """mitmdump of the environment capture2code runs in, else the first one on PATH."""
    beside = Path(sys.executable).parent / "mitmdump"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("mitmdump")


def port_in_use(port: int) -> bool:
    """Whether binding LISTEN_HOST:port fails the way mitmdump's bind would."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Like mitmdump's own listener, so a port in TIME_WAIT counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LISTEN_HOST, port))
        except OSError:
            return True
    return False


def accepts(port: int) -> bool:
    """Whether something listens on LISTEN_HOST:port."""
    try:
        with socket.create_connection((LISTEN_HOST, port), timeout=POLL):
            return True
    except OSError:
        return False


def ca_certificate(mitmdump_args: list[str]) -> Path:
    """Where mitmproxy keeps its CA certificate: in its confdir, which the user's extra
    arguments may move (`--set confdir=DIR`)."""
    pairs = zip(mitmdump_args, mitmdump_args[1:], strict=False)
    values = [value for flag, value in pairs if flag == "--set"]
    values += [arg.removeprefix("--set=") for arg in mitmdump_args if arg.startswith("--set=")]
    confdirs = [value.split("=", 1)[1] for value in values if value.startswith("confdir=")]
    confdir = confdirs[-1] if confdirs else "~/.mitmproxy"
    return Path(confdir).expanduser() / "mitmproxy-ca-cert.pem"


def mitmdump_command(mitmdump: str, addon: Path, settings: Settings) -> list[str]:
    command = [mitmdump, "--listen-host", LISTEN_HOST, "-p", str(settings.port)]
    command += ["-s", str(addon), "--set", f"c2c_output={settings.output.absolute()}"]
    for host in settings.hosts:
        command += ["--set", f"c2c_hosts={host}"]
    # One line per flow would bury the live count; the user's own arguments come last,
    # so they can turn it back on.
    return [*command, "--set", "flow_detail=0", *settings.mitmdump_args]


class LineCounter:
    """Counts the complete lines of a growing file, reading only what was appended."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.lines = 0

    def update(self) -> int:
        try:
            with self.path.open("rb") as stream:
                if os.fstat(stream.fileno()).st_size < self.offset:  # a new file began
                    self.offset = self.lines = 0
                stream.seek(self.offset)
                data = stream.read()
        except FileNotFoundError:
            return self.lines
        complete = data.rfind(b"\n") + 1
        self.lines += data.count(b"\n", 0, complete)
        self.offset += complete
        return self.lines


@dataclass
class ScriptKeeper:
    """Keeps `path` a `target` script of the whole capture, replaced atomically so that an
    editor watching it sees each version whole. A failed conversion keeps the last file
    and is reported once."""

    path: Path
    target: str
    records: Path
    err: TextIO
    reported: set[str] = field(default_factory=set)

    def regenerate(self) -> None:
        from capture2code.convert import SourceError, convert
        from capture2code.emit import EmitError
        from capture2code.sources import Source

        data = self.records.read_bytes()
        data = data[: data.rfind(b"\n") + 1]  # a record still being written waits
        source = Source(str(self.records), data=data, base_dir=self.records.parent)
        try:
            conversion = convert(
                [source], input_format="jsonl", target=self.target, output_name=self.path.name
            )
        except (SourceError, EmitError) as error:
            self._report(f"cannot update {self.path}: {error}")
            return
        except Exception as error:  # noqa: BLE001  a bug here must not end the capture
            self._report(
                f"cannot update {self.path}: internal error {type(error).__name__}; "
                "please report it"
            )
            return
        for warning in conversion.warnings:
            self._report(warning)
        emitted = conversion.emitted
        try:
            for name, content in emitted.files.items():
                replace_file(self.path.parent / name, content, 0o644)
            mode = 0o755 if self.target in ("python", "curl") else 0o644
            replace_file(self.path, emitted.text.encode("utf-8"), mode)
        except OSError as error:
            self._report(f"cannot write {self.path}: {error.strerror}")

    def _report(self, message: str) -> None:
        if message not in self.reported:
            self.reported.add(message)
            print(f"capture2code: warning: {message}", file=self.err, flush=True)


# ANSI "erase to the end of the line": what a longer line before, or an echoed ^C, left.
ERASE_LINE = "\x1b[K"


@dataclass
class LiveLine:
    """The "N requests captured (K kept)" line: rewritten in place on a terminal, else
    printed when it changes, at most once per PRINT_INTERVAL."""

    out: TextIO
    tty: bool
    shown: str = ""
    printed_at: float = 0.0

    def show(self, text: str, *, final: bool = False) -> None:
        if self.tty:
            if text == self.shown and not final:
                return
            self.out.write(f"\r{text}{ERASE_LINE}" + ("\n" if final else ""))
        elif text != self.shown and (final or time.monotonic() - self.printed_at >= PRINT_INTERVAL):
            self.out.write(text + "\n")
            self.printed_at = time.monotonic()
        else:
            return
        self.shown = text
        self.out.flush()

    def interrupt(self) -> Callable[[], None]:
        """Clears the line for other output; the returned function draws it again."""
        if not (self.tty and self.shown):
            return lambda: None
        self.out.write(f"\r{ERASE_LINE}")
        self.out.flush()
        shown, self.shown = self.shown, ""
        return lambda: self.show(shown)


def _read_lines(stream: TextIO, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


@dataclass
class Session:
    """One recording: mitmdump's log lines in, the user's terminal out."""

    process: subprocess.Popen[str]
    output: Path
    live: LiveLine
    err: TextIO
    keeper: ScriptKeeper | None
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    listening: str | None = None
    captured: int = 0
    ended: bool = False  # mitmdump's log is closed

    def __post_init__(self) -> None:
        self.counter = LineCounter(self.output)
        self.converted = 0  # records in the script
        self.converted_at = 0.0
        assert self.process.stdout is not None
        reader = threading.Thread(
            target=_read_lines, args=(self.process.stdout, self.lines), daemon=True
        )
        reader.start()
        self.reader = reader

    def drain(self, timeout: float) -> None:
        """Handle mitmdump's log lines that arrive within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not self.ended:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return
            if line is None:
                self.ended = True
            else:
                self._handle(line)

    def _handle(self, line: str) -> None:
        if (count := COUNT.search(line)) is not None:
            self.captured = max(self.captured, int(count.group(1)))
        elif self.listening is None and (listen := LISTENING.search(line)) is not None:
            self.listening = f"{listen.group(1)}:{listen.group(2)}"
        elif not CHATTER.match(line):
            redraw = self.live.interrupt()
            print(f"mitmdump: {line}", file=self.err, flush=True)
            redraw()

    def update(self, *, final: bool = False) -> int:
        kept = self.counter.update()
        # A long capture makes each conversion slower: at most one per PRINT_INTERVAL.
        due = final or time.monotonic() - self.converted_at >= PRINT_INTERVAL
        if self.keeper is not None and kept > self.converted and due:
            self.converted, self.converted_at = kept, time.monotonic()
            self.keeper.regenerate()
        captured = max(self.captured, kept)
        self.live.show(f"{captured} requests captured ({kept} kept)", final=final)
        return kept

    def stop(self) -> int:
        """Stops mitmdump as Ctrl-C would, then harder if it hangs; its exit code."""
        for send, wait in zip(
            (lambda: self.process.send_signal(signal.SIGINT), self.process.terminate),
            STOP_WAIT,
            strict=True,
        ):
            if self.process.poll() is None:
                send()
            try:
                code = self.process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            self.process.kill()
            code = self.process.wait()
        self.reader.join(STOP_WAIT[1])
        self.drain(0)
        return code


class _Stopping:
    """SIGINT, SIGTERM and SIGHUP (the terminal closed) set a flag the loop reads, so
    cleanup is never cut short."""

    def __init__(self) -> None:
        self.requested = False
        self.previous: dict[int, object] = {}

    def __enter__(self) -> _Stopping:
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            self.previous[number] = signal.signal(number, self._request)
        return self

    def _request(self, number: int, frame: object) -> None:
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]


def next_command(output: Path, target: str, script: Path | None = None) -> str:
    name = str(script) if script else "provision" + SCRIPT_SUFFIXES[target]
    words = ["capture2code", "convert", str(output), "--to", target, "-o", name]
    return " ".join(shlex.quote(word) for word in words)


def _banner(proxy: str, output: Path, hosts: list[str], certificate: Path) -> list[str]:
    scope = ", ".join(hosts) + " (other hosts pass through, not recorded)" if hosts else "all"
    return [
        f"capture2code: recording to {output}",
        f"  proxy:       http://{proxy}  (the browser's HTTP and HTTPS proxy), e.g.",
        f"               chromium --proxy-server=http://{proxy} --user-data-dir=$(mktemp -d)",
        f"  certificate: {certificate}",
        "               trust it for HTTPS in the browser or system, or open http://mitm.it",
        "               through the proxy for instructions",
        f"  hosts:       {scope}",
        "  Ctrl-C stops.",
    ]


def run_record(
    *,
    port: int,
    output: Path,
    hosts: list[str],
    script: Path | None,
    target: str,
    mitmdump_args: list[str],
    out: TextIO,
    err: TextIO,
) -> int:
    """Records until SIGINT, SIGTERM or SIGHUP; the exit code (2: cannot start). Call it
    from the main thread: it handles those signals while it runs."""
    settings = Settings(port, output, hosts, script, target, mitmdump_args)
    try:
        with tempfile.TemporaryDirectory(prefix="capture2code-") as folder:
            return _record(settings, Path(folder), out, err)
    except RecordFailure as failure:
        print(f"capture2code: error: {failure}", file=err, flush=True)
        return 2


def _record(settings: Settings, folder: Path, out: TextIO, err: TextIO) -> int:
    mitmdump = find_mitmdump()
    if mitmdump is None:
        raise RecordFailure("mitmdump not found; pip install mitmproxy")
    port = settings.port
    if not 0 <= port <= 65535:
        raise RecordFailure(f"port {port} is not a port number (0-65535; 0: any free port)")
    if port and port_in_use(port):
        raise RecordFailure(f"port {port} on {LISTEN_HOST} is in use; choose another with -p")
    output = settings.output
    if not output.absolute().parent.is_dir():
        raise RecordFailure(f"{output.parent}: no such folder")
    addon = folder / "capture2code_addon.py"
    addon.write_text(ADDON_SCRIPT, encoding="utf-8")
    command = mitmdump_command(mitmdump, addon, settings)
    script = settings.script
    keeper = None if script is None else ScriptKeeper(script, settings.target, output, err)
    with _Stopping() as stopping:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            # mitmdump's log reaches us through a pipe: line by line, not in blocks.
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            # Its own process group: Ctrl-C in the terminal reaches only us, and we stop it
            # with one SIGINT. A second one during its shutdown would kill it mid-way.
            process_group=0,
        )
        session = Session(process, output, LiveLine(out, out.isatty()), err, keeper)
        try:
            return _watch(session, stopping, settings, out, err)
        finally:
            if process.poll() is None:
                session.stop()


def _watch(
    session: Session, stopping: _Stopping, settings: Settings, out: TextIO, err: TextIO
) -> int:
    port = settings.port
    while session.listening is None and not session.ended and not stopping.requested:
        session.drain(POLL)
        # A quiet mitmdump (`-q`) does not log that it listens: a given port tells.
        if session.listening is None and port and accepts(port):
            session.listening = f"{LISTEN_HOST}:{port}"
    if session.listening is None:
        code = session.stop()
        if stopping.requested:
            return 0
        print(f"capture2code: error: mitmdump did not start (exit {code})", file=err, flush=True)
        return code or 1
    certificate = ca_certificate(settings.mitmdump_args)
    for line in _banner(session.listening, settings.output, settings.hosts, certificate):
        print(line, file=out)
    out.flush()
    session.update()
    while not stopping.requested and not session.ended:
        session.drain(POLL)
        session.update()
    code = session.stop()
    kept = session.update(final=True)
    if not stopping.requested:
        print(f"capture2code: error: mitmdump stopped (exit {code})", file=err, flush=True)
        return code or 1
    if kept:
        command = next_command(settings.output, settings.target, settings.script)
        print(f"Next: {command}", file=out, flush=True)
    else:
        print("Nothing was recorded.", file=out, flush=True)
    return 0
