"""HAR reading time and memory beside `json.load`, measured in the same run.

    python3 benchmarks/bench_har.py [--sizes 100 1024] [--dir DIR]

Generates Chrome-style HARs of a Rancher console session with make_har.py (100 MB and
1 GB indented, and a minified 100 MB one) in a temporary folder (or DIR, kept), then runs
each of these as its own process under /usr/bin/time and reports wall time, CPU time and
peak RSS:

- `json.load` of the file (the baseline);
- `read_har_file` consuming the records one at a time (the reader alone);
- `read_har_file` keeping all records in a list, as `convert` holds them before planning;
- `capture2code convert FILE --to python -o /dev/null`, once the CLI reads HAR files.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.make_har import write_har  # noqa: E402

JSON_LOAD = "import json, sys; json.load(open(sys.argv[1], 'rb'))"
STREAM = (
    "import sys; from pathlib import Path; from capture2code.sources.har import read_har_file\n"
    "print(sum(1 for _ in read_har_file(Path(sys.argv[1]))), 'records')"
)
KEEP = (
    "import sys; from pathlib import Path; from capture2code.sources.har import read_har_file\n"
    "records = list(read_har_file(Path(sys.argv[1])))\n"
    "kept = sum(len(r.response.body or b'') for r in records if r.response)\n"
    "print(len(records), 'records,', kept >> 20, 'MB of response bodies')"
)
# As a user's machine runs it: bytecode cached (some shells here set PYTHONDONTWRITEBYTECODE).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(argv: list[str]) -> tuple[float, float, int, str]:
    """(wall s, cpu s, peak RSS MB, last output line) of one process. /usr/bin/time reports
    its child's own peak: a child's ru_maxrss seen from here would include this process."""
    run = subprocess.run(
        ["/usr/bin/time", "-f", "%e %U %S %M", *argv],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    wall, user, system, peak_kb = run.stderr.strip().splitlines()[-1].split()
    output = run.stdout.strip().splitlines()
    return (
        float(wall),
        float(user) + float(system),
        int(peak_kb) >> 10,
        output[-1] if output else "",
    )


def cli_reads_har() -> bool:
    from capture2code.sources import READERS

    return "har" in READERS


def runs(path: Path) -> list[tuple[str, list[str]]]:
    python = sys.executable
    commands = [
        ("json.load", [python, "-c", JSON_LOAD, str(path)]),
        ("read_har_file, streamed", [python, "-c", STREAM, str(path)]),
        ("read_har_file, kept in a list", [python, "-c", KEEP, str(path)]),
    ]
    if cli_reads_har():
        convert = [python, "-m", "capture2code", "convert", str(path), "--to", "python"]
        commands.append(("capture2code convert --to python", [*convert, "-o", "/dev/null"]))
    return commands


def bench(folder: Path, sizes: list[int]) -> None:
    files = [(f"{size} MB indented", folder / f"session-{size}.har", size, False) for size in sizes]
    files.append(
        (f"{sizes[0]} MB minified", folder / f"session-{sizes[0]}-min.har", sizes[0], True)
    )
    for _, path, size, minified in files:
        if not path.exists():
            count = write_har(path, size << 20, minified=minified)
            print(f"generated {path.name}: {path.stat().st_size >> 20} MB, {count} entries")
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "capture2code")], env=ENV, check=True
    )
    if not cli_reads_har():
        print("(the CLI does not read HAR files yet: convert is not timed)")
    print(f"\n{'file':<18} {'what':<34} {'wall s':>7} {'cpu s':>7} {'peak MB':>8}  output")
    for label, path, _, _ in files:
        for what, argv in runs(path):
            wall, cpu, peak, output = measure(argv)
            print(f"{label:<18} {what:<34} {wall:7.2f} {cpu:7.2f} {peak:8d}  {output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1024], help="in MB")
    parser.add_argument("--dir", type=Path, help="keep the generated files here")
    args = parser.parse_args()
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
        bench(args.dir, args.sizes)
        return
    with tempfile.TemporaryDirectory(prefix="bench-har-") as folder:
        bench(Path(folder), args.sizes)


if __name__ == "__main__":
    main()
