"""mitmproxy side: reading a large flow file, and the addon's cost per flow, in one run.

    python3 benchmarks/bench_flows.py [--size-mb 1024] [--requests 2000] [--keep DIR]

1. Writes a flow file like `mitmdump -w` leaves after a long web-console session (mostly
   static assets with big bodies, API calls with gzip JSON, a few writes and websockets)
   with mitmproxy's FlowWriter, then times reading it to records with `read_flows`, beside
   mitmproxy's FlowReader alone and a plain read of the bytes: wall time and peak RSS, each
   in its own process (warm page cache: the file was just written).
2. Sends the same requests through mitmdump with and without the addon to the loopback
   recorder over one keep-alive connection, and compares the median round trips.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from mitmproxy import http  # noqa: E402
from mitmproxy.io import FlowWriter  # noqa: E402

from tests.recorder import Received, Recorder  # noqa: E402

MITMDUMP = Path(sys.executable).parent / "mitmdump"
ADDON = HERE.parent / "addons" / "capture2code.py"
HOST = b"rancher.example.test"

# --- the flow file ----------------------------------------------------------------------

# (share of requests, path pattern, content-type, body sizes to pick from)
STATIC_ASSETS = [
    (30, "/dashboard/_nuxt/{h}.js", "application/javascript", [15_000, 60_000, 250_000, 900_000]),
    (8, "/dashboard/_nuxt/{h}.css", "text/css", [10_000, 60_000]),
    (6, "/dashboard/_nuxt/img/{h}.png", "image/png", [5_000, 60_000, 300_000]),
    (4, "/dashboard/_nuxt/fonts/{h}.woff2", "font/woff2", [30_000, 90_000]),
    (4, "/dashboard/_nuxt/img/{h}.svg", "image/svg+xml", [2_000, 15_000]),
]
API_PATHS = [
    "/v1/management.cattle.io.clusters",
    "/v1/catalog.cattle.io.apps?exclude=metadata.managedFields",
    "/v3/users?me=true",
    "/v1/namespaces",
    "/v1/management.cattle.io.settings",
    "/v3/principals",
]
BROWSER_HEADERS = [
    (b"sec-ch-ua", b'"Chromium";v="131", "Not_A Brand";v="24"'),
    (b"sec-ch-ua-mobile", b"?0"),
    (
        b"user-agent",
        b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    ),
    (b"accept-encoding", b"gzip, deflate, br, zstd"),
    (b"accept-language", b"en-US,en;q=0.9"),
    (b"sec-fetch-site", b"same-origin"),
    (b"sec-fetch-mode", b"cors"),
    (b"referer", b"https://rancher.example.test/dashboard/c/local/explorer"),
    (b"cookie", b"R_SESS=token-abcde:0123456789abcdef0123456789; CSRF=8f3c2a1b9d"),
    (b"priority", b"u=1, i"),
]


def _api_json(rng: random.Random, items: int) -> bytes:
    entries = [
        {
            "id": f"c-{rng.randrange(16**5):05x}",
            "type": "cluster",
            "metadata": {"name": f"demo-{n}", "labels": {"env": "test", "n": str(n)}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}] * 3},
        }
        for n in range(items)
    ]
    return json.dumps({"type": "collection", "data": entries}).encode()


@dataclass
class Session:
    """Builds the flows of one console session, in the order a browser sends them."""

    rng: random.Random
    blob: bytes  # incompressible bytes that asset bodies are cut from
    api_bodies: list[bytes]  # gzip JSON bodies of list calls
    clock: float = 1_795_000_000.0

    def flow(
        self,
        request: tuple[bytes, bytes, list[tuple[bytes, bytes]], bytes],
        response: tuple[int, list[tuple[bytes, bytes]], bytes],
    ) -> http.HTTPFlow:
        """An HTTP/2 flow: (method, path, extra headers, body) and (status, headers, body)."""
        from mitmproxy.test import tflow

        method, path, headers, body = request
        status, response_headers, response_body = response
        self.clock += self.rng.uniform(0.001, 0.05)
        flow = http.HTTPFlow(tflow.tclient_conn(), tflow.tserver_conn())
        flow.request = http.Request(
            HOST.decode(),
            443,
            method,
            b"https",
            HOST,
            path,
            b"HTTP/2.0",
            http.Headers([*BROWSER_HEADERS, *headers]),
            body,
            None,
            self.clock,
            self.clock + 0.001,
        )
        flow.response = http.Response(
            b"HTTP/2.0",
            status,
            b"",
            http.Headers(response_headers),
            response_body,
            None,
            self.clock + 0.01,
            self.clock + 0.02,
        )
        return flow

    def asset(self) -> http.HTTPFlow:
        weights = [share for share, *_ in STATIC_ASSETS]
        _, pattern, mime, sizes = self.rng.choices(STATIC_ASSETS, weights)[0]
        size = self.rng.choice(sizes)
        start = self.rng.randrange(len(self.blob) - size)
        path = pattern.format(h=f"{self.rng.randrange(16**8):08x}").encode()
        headers = [
            (b"content-type", mime.encode()),
            (b"content-encoding", b"br"),
            (b"cache-control", b"max-age=31536000, immutable"),
        ]
        return self.flow(
            (b"GET", path, [(b"accept", b"*/*")], b""),
            (200, headers, self.blob[start : start + size]),
        )

    def api_call(self) -> http.HTTPFlow:
        headers = [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")]
        path = self.rng.choice(API_PATHS).encode()
        return self.flow(
            (b"GET", path, [(b"accept", b"application/json")], b""),
            (200, headers, self.rng.choice(self.api_bodies)),
        )

    def write_call(self) -> http.HTTPFlow:
        name = f"demo-{self.rng.randrange(1000)}"
        body = json.dumps({"type": "provisioning.cattle.io.cluster", "metadata": {"name": name}})
        headers = [(b"content-type", b"application/json"), (b"x-api-csrf", b"8f3c2a1b9d")]
        return self.flow(
            (b"POST", b"/v1/provisioning.cattle.io.clusters", headers, body.encode()),
            (201, [(b"content-type", b"application/json")], b'{"id":"fleet-default/demo"}'),
        )

    def flows(self) -> Iterator[http.HTTPFlow]:
        kinds = [self.asset] * 45 + [self.api_call] * 50 + [self.write_call] * 5
        while True:
            yield self.rng.choice(kinds)()


def write_flow_file(path: Path, size: int, seed: int = 3) -> int:
    """A flow file of about `size` bytes; returns the number of flows."""
    rng = random.Random(seed)
    api = [gzip.compress(_api_json(rng, items), 1) for items in (5, 40, 150, 400)]
    session = Session(rng, rng.randbytes(8_000_000), api)
    count = 0
    with path.open("wb") as stream:
        writer = FlowWriter(stream)
        for flow in session.flows():
            writer.add(flow)
            count += 1
            if stream.tell() >= size:
                break
    return count


# --- reading it -------------------------------------------------------------------------

READERS = {
    "read the bytes (I/O floor)": ("with open(path, 'rb') as f:\n    while f.read(1 << 20): pass"),
    "mitmproxy FlowReader, flows only": (
        "from mitmproxy.io import FlowReader\n"
        "with open(path, 'rb') as f:\n    n = sum(1 for _ in FlowReader(f).stream())"
    ),
    "capture2code read_flows -> records": (
        "from capture2code.sources.mitm import read_flows\nn = len(list(read_flows(path)))"
    ),
}


# Each reader reports its own peak RSS: VmHWM starts anew at exec, while ru_maxrss would
# count the benchmark's own memory that the child had before it.
PEAK = "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"


def measure(code: str) -> tuple[float, float]:
    """Wall seconds of a Python process running `code`, and its peak RSS (MB)."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\n{PEAK}"], capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - start
    return seconds, int(result.stdout.split()[-1]) / 1024


def bench_read(path: Path) -> None:
    size = path.stat().st_size
    print(f"\nreading a {size / 2**20:.0f} MB flow file (each in its own process, warm cache)")
    for name, code in READERS.items():
        seconds, rss = measure(f"path = {str(path)!r}\n{code}")
        print(f"  {name:40} {seconds:6.2f} s  {rss:7.0f} MB peak RSS")


# --- the addon's latency ----------------------------------------------------------------

LISTENING = re.compile(rb"listening at 127\.0\.0\.1:(\d+)")
API_BODY = json.dumps({"data": [{"id": f"c-{n}", "name": f"demo-{n}"} for n in range(40)]})


def _api(_: Received) -> tuple[int, list[tuple[str, str]], bytes]:
    return 200, [("Content-Type", "application/json")], API_BODY.encode()


@contextmanager
def proxy(workdir: Path, *args: str) -> Iterator[int]:
    """mitmdump on a free loopback port; yields the port."""
    command = [str(MITMDUMP), "--set", f"confdir={workdir / 'conf'}", "--listen-host"]
    command += ["127.0.0.1", "--listen-port", "0", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            found = LISTENING.search(line)
            if found:
                break
        else:
            raise SystemExit("mitmdump did not start")
        # mitmdump prints every flow: keep reading so that its pipe never fills up
        drain = subprocess.Popen(["cat"], stdin=process.stdout, stdout=subprocess.DEVNULL)
        yield int(found.group(1))
    finally:
        process.kill()
        process.wait()
    drain.wait()


def round_trips(port: int, origin: str, count: int) -> list[float]:
    """Milliseconds per request through the proxy on one keep-alive connection."""
    connection = HTTPConnection("127.0.0.1", port)
    headers = {k.decode(): v.decode() for k, v in BROWSER_HEADERS}
    headers["authorization"] = "Bearer token-x7k2p:9vq4mzl8r2hj5c7n6wtb4k9xdf2s8lq3jv6npz5rc8"
    body = json.dumps({"name": "demo", "labels": {"env": "test"}, "spec": "x" * 800}).encode()
    durations = []
    for n in range(count):
        method, content = ("POST", body) if n % 5 == 0 else ("GET", None)
        start = time.perf_counter()
        connection.request(method, f"{origin}/v3/items/{n}?limit=50", content, headers)
        connection.getresponse().read()
        durations.append((time.perf_counter() - start) * 1000)
    connection.close()
    return durations


def addon_cost_in_process(count: int) -> list[float]:
    """Milliseconds the addon's response hook takes per flow, in mitmproxy's test harness."""
    from mitmproxy.test import taddons, tflow, tutils

    from capture2code.mitm import Capture2Code

    addon = Capture2Code()
    durations = []
    with tempfile.TemporaryDirectory() as folder, taddons.context(addon) as tctx:
        tctx.configure(addon, c2c_output=str(Path(folder) / "capture.jsonl"))
        for n in range(count):
            request = tutils.treq(
                path=f"/v3/items/{n}".encode(),
                headers=http.Headers(
                    [*BROWSER_HEADERS, (b"authorization", b"Bearer tok-" + b"x" * 40)]
                ),
            )
            flow = tflow.tflow(req=request, resp=tutils.tresp(content=API_BODY.encode()))
            addon.requestheaders(flow)
            start = time.perf_counter()
            addon.response(flow)
            durations.append((time.perf_counter() - start) * 1000)
            time.sleep(0.002)  # flows at the pace of the proxied run, not a burst
        addon.done()
    return durations


def bench_latency(requests: int) -> None:
    recorder = Recorder(responder=_api).start()
    print(f"\nlatency through mitmdump, {requests} requests each after 200 warm-up (ms)")
    medians = {}
    try:
        with tempfile.TemporaryDirectory() as folder:
            workdir = Path(folder)
            output = workdir / "capture.jsonl"
            setups = {
                "bare mitmdump": [],
                "mitmdump + capture2code": ["-s", str(ADDON), "--set", f"c2c_output={output}"],
                "  the same, keeping secrets": [
                    *("-s", str(ADDON), "--set", f"c2c_output={output}"),
                    *("--set", "c2c_keep_secrets=true"),
                ],
            }
            for round_number in (1, 2, 3):
                for name, args in setups.items():
                    with proxy(workdir, *args) as port:
                        round_trips(port, recorder.origin, 200)
                        durations = sorted(round_trips(port, recorder.origin, requests))
                    median = statistics.median(durations)
                    medians.setdefault(name, []).append(median)
                    p95 = durations[int(len(durations) * 0.95)]
                    print(f"  round {round_number} {name:26} median {median:.3f}  p95 {p95:.3f}")
            lines = len(output.read_bytes().splitlines())
            print(f"  (the addon wrote {lines} records in its last round)")
    finally:
        recorder.stop()
    for name in list(setups)[1:]:
        added = [a - b for a, b in zip(medians[name], medians["bare mitmdump"], strict=True)]
        print(f"  added by {name.strip()}: {statistics.median(added):+.3f} ms (median of rounds)")
    hook = sorted(addon_cost_in_process(requests))
    print(
        f"  the addon's response hook alone: median {statistics.median(hook):.3f} ms, "
        f"p95 {hook[int(len(hook) * 0.95)]:.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="flow file size")
    parser.add_argument("--requests", type=int, default=2000, help="requests per latency run")
    parser.add_argument("--keep", type=Path, help="keep the flow file in this folder")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = (options.keep or Path(folder)) / f"console-{options.size_mb}mb.mitm"
        if not path.exists():
            start = time.perf_counter()
            count = write_flow_file(path, options.size_mb * 2**20)
            print(f"wrote {path.name}: {count} flows in {time.perf_counter() - start:.1f} s")
        bench_read(path)
    bench_latency(options.requests)


if __name__ == "__main__":
    main()
