"""Readers: one per input format, each text -> records. `--from auto` detects by content."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from capture2code.errors import InputError
from capture2code.record import Record


@dataclass
class Parsed:
    records: list[Record]
    warnings: list[str] = field(default_factory=list)
    # How many requests the user pasted or captured; decides the default mode.
    count: int = 0


def _read_curl(text: str, base_dir: Path) -> Parsed:
    from capture2code.sources.curl import read_curl

    result = read_curl(text, base_dir)
    return Parsed(result.records, result.warnings, result.commands)


def _read_jsonl(text: str, base_dir: Path) -> Parsed:
    from capture2code.record import RecordError, read_jsonl

    try:
        # Only "\n" ends a record: str.splitlines would also split inside values at U+2028.
        records = list(read_jsonl(text.split("\n")))
    except RecordError as error:
        raise InputError(str(error), error.line) from None
    if not records:
        raise InputError("no records in the input (it is empty)")
    return Parsed(records, [], len(records))


READERS: dict[str, Callable[[str, Path], Parsed]] = {
    "curl": _read_curl,
    "jsonl": _read_jsonl,
}


def detect_format(text: str) -> str:
    """`jsonl` when the first non-blank line is a record object, else `curl`."""
    first = next((line for line in text.split("\n") if line.strip()), "")
    if first.lstrip().startswith("{"):
        import json  # not needed for the usual pasted curl command

        try:
            value = json.loads(first)
        except ValueError:
            return "curl"
        if isinstance(value, dict) and "request" in value:
            return "jsonl"
    return "curl"


def read_input(text: str, fmt: str, base_dir: Path) -> Parsed:
    return READERS[detect_format(text) if fmt == "auto" else fmt](text, base_dir)
