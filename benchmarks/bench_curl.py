"""Pasted-command speed: capture2code beside curlconverter, measured in the same run.

    cd benchmarks && npm install && python3 bench_curl.py

Reports, on 1,000 varied Chrome-style commands, the in-process time per command to parse,
to parse and plan, and to parse, plan and emit each target (median and p95), and the
whole-process time of one `capture2code convert` next to curlconverter's CLI.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.chrome_commands import commands  # noqa: E402
from capture2code.emit import get_emitter  # noqa: E402
from capture2code.plan import build_plan  # noqa: E402
from capture2code.redact import redact  # noqa: E402
from capture2code.sources.curl import read_curl  # noqa: E402

PROCESS_RUNS = 15


def percentiles(durations: list[float]) -> tuple[float, float]:
    ordered = sorted(durations)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95)]


def time_each(items: list[str], work: Callable[[str], object]) -> list[float]:
    for item in items[:50]:
        work(item)
    durations = []
    for item in items:
        start = time.perf_counter()
        work(item)
        durations.append((time.perf_counter() - start) * 1000)
    return durations


def plan_of(text: str) -> object:
    redaction = redact(read_curl(text, HERE).records)
    return build_plan(redaction.records, redaction.env, redacted=True, header=[])


def in_process(items: list[str]) -> dict[str, list[float]]:
    results = {
        "parse": time_each(items, lambda text: read_curl(text, HERE)),
        "parse+plan": time_each(items, plan_of),
    }
    for target in ("curl", "http", "python"):
        emitter = get_emitter(target)
        results[f"parse+plan+emit {target}"] = time_each(
            items,
            lambda text, emitter=emitter: emitter(plan_of(text)),  # type: ignore[arg-type]
        )
    return results


def curlconverter_in_process(items: list[str]) -> list[float]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as stream:
        json.dump(items, stream)
    output = subprocess.run(
        ["node", str(HERE / "curlconverter_inprocess.mjs"), stream.name],
        cwd=HERE,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    Path(stream.name).unlink()
    return json.loads(output)["python"]


# As a user's machine runs it: bytecode cached (some shells here set PYTHONDONTWRITEBYTECODE).
PROCESS_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def process_time(argv: list[str], text: str) -> float:
    durations = []
    for _ in range(PROCESS_RUNS):
        start = time.perf_counter()
        subprocess.run(argv, input=text.encode(), capture_output=True, check=True, env=PROCESS_ENV)
        durations.append((time.perf_counter() - start) * 1000)
    return statistics.median(durations)


def main() -> None:
    items = commands()
    print(f"in-process, per command, {len(items)} Chrome-style commands (ms)")
    print(f"  {'step':<28} {'median':>8} {'p95':>8}")
    for name, durations in in_process(items).items():
        median, p95 = percentiles(durations)
        print(f"  {'capture2code ' + name:<28} {median:8.3f} {p95:8.3f}")
    baseline = HERE / "node_modules" / ".bin" / "curlconverter"
    if not baseline.exists():
        print("curlconverter is not installed here: run `npm install` in benchmarks/")
        return
    median, p95 = percentiles(curlconverter_in_process(items))
    print(f"  {'curlconverter toPython':<28} {median:8.3f} {p95:8.3f}")

    text = items[0]
    print(f"\nwhole process, one command, median of {PROCESS_RUNS} runs (ms)")
    theirs = process_time([str(baseline), "--language", "python", "-"], text)
    print(f"  {'curlconverter --language python':<44} {theirs:8.1f}")
    with tempfile.TemporaryDirectory() as folder:
        installs = {"own venv (as pipx installs it)": own_venv(Path(folder))}
        installs["this environment"] = this_environment()
        for where, command in installs.items():
            for target in ("curl", "http", "python"):
                ours_ms = process_time([*command, "convert", "--to", target], text)
                label = f"capture2code --to {target}, {where}"
                print(f"  {label:<44} {ours_ms:8.1f}   ({ours_ms / theirs:.2f} x curlconverter)")


def own_venv(folder: Path) -> list[str]:
    """capture2code installed alone in a new virtual environment, as `pipx install .` does."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    subprocess.run(
        [str(folder / "bin" / "pip"), "install", "-q", str(HERE.parent)],
        check=True,
        env=PROCESS_ENV,
        capture_output=True,
    )
    return [str(folder / "bin" / "capture2code")]


def this_environment() -> list[str]:
    """The console script beside this interpreter (not a version manager's shim)."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(HERE.parent / "capture2code")],
        check=True,
        env=PROCESS_ENV,
        stdout=subprocess.DEVNULL,
    )
    script = Path(sys.executable).parent / "capture2code"
    return [str(script)] if script.exists() else [sys.executable, "-m", "capture2code"]


if __name__ == "__main__":
    main()
