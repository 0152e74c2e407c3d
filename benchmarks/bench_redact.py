"""Redaction time on a large capture beside `json.loads` of its bodies, in the same run.

    python3 benchmarks/bench_redact.py [--size 100] [--dir DIR] [--repeat 3]

Generates a Chrome-style HAR of a Rancher console session with make_har.py (SIZE MB,
indented) in a temporary folder (or DIR, kept), reads it with `read_har_file` and times,
in this process, best of REPEAT:

- `json.loads` of every kept response body once (the baseline: the least any scanner that
  reads JSON pays);
- `redact(records)` over all kept records;

and prints both and their ratio. Timings of other processes on the machine show in both.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.make_har import write_har  # noqa: E402
from capture2code.record import Record  # noqa: E402
from capture2code.redact import redact  # noqa: E402
from capture2code.sources.har import read_har_file  # noqa: E402


def load_bodies(records: list[Record]) -> int:
    """`json.loads` of every response body; returns how many were JSON."""
    parsed = 0
    for record in records:
        if record.response is not None and record.response.body:
            try:
                json.loads(record.response.body)
            except ValueError:
                continue
            parsed += 1
    return parsed


def best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def bench(folder: Path, size: int, repeat: int) -> None:
    path = folder / f"session-{size}.har"
    if not path.exists():
        count = write_har(path, size << 20)
        print(f"generated {path.name}: {path.stat().st_size >> 20} MB, {count} entries")
    records = list(read_har_file(path))
    bodies = [r.response.body for r in records if r.response is not None and r.response.body]
    megabytes = sum(len(body) for body in bodies) / (1 << 20)
    print(
        f"{len(records)} records kept, {len(bodies)} response bodies, "
        f"{megabytes:.1f} MB of them, {load_bodies(records)} JSON"
    )
    baseline = best(lambda: load_bodies(records), repeat)
    redaction = best(lambda: redact(records), repeat)
    ratio = redaction / baseline
    print(f"{'json.loads of the bodies':<28} {baseline:7.3f} s")
    print(f"{'redact(records)':<28} {redaction:7.3f} s   {ratio:5.1f} x the baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100, help="HAR size in MB")
    parser.add_argument("--dir", type=Path, help="keep the generated file here")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
        bench(args.dir, args.size, args.repeat)
        return
    with tempfile.TemporaryDirectory(prefix="bench-redact-") as folder:
        bench(Path(folder), args.size, args.repeat)


if __name__ == "__main__":
    main()
