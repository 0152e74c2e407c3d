"""Write curl's option table into capture2code/sources/curl_options.py.

    python3 tools/gen_curl_options.py PATH/TO/src/tool_getparam.c [--curl /usr/bin/curl]

The rows come from the `aliases[]` array of the given tool_getparam.c (check out the tag
of the installed curl, e.g. curl-7_88_1); `curl --help all` of the installed binary decides
which of several names sharing one letter code is the canonical one. Only the block between
the GENERATED markers of the target module is replaced.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "capture2code" / "sources" / "curl_options.py"
BEGIN = "# --- BEGIN GENERATED (tools/gen_curl_options.py) ---\n"
END = "# --- END GENERATED ---\n"

KINDS = {"ARG_NONE": "none", "ARG_BOOL": "bool", "ARG_STRING": "string", "ARG_FILENAME": "filename"}

ROW = re.compile(r'\{\s*"([^"]+)"\s*,\s*"([^"]+)"\s*,\s*(ARG_[A-Z]+)\s*\}')
HELP_OPTION = re.compile(r"^\s*(?:-(\S), )?--(\S+)")


@dataclass(frozen=True)
class Row:
    code: str  # curl's letter code: one character is a short option, more is long-only
    name: str
    kind: str


def parse_aliases(source: str) -> tuple[list[Row], list[Row]]:
    """Rows of `aliases[]` in order, and the rows left out because they sit under #if."""
    start = source.index("aliases[]")
    body = source[start : source.index("\n};", start)]
    rows: list[Row] = []
    conditional: list[Row] = []
    depth = 0
    for line in body.splitlines():
        directive = line.strip()
        if directive.startswith("#if"):
            depth += 1
        elif directive.startswith("#endif"):
            depth -= 1
        for code, name, kind in ROW.findall(line):
            row = Row(code, name, KINDS[kind])
            # The Linux build defines none of the macros that guard rows (7.88.1: USE_WATT32).
            (conditional if depth else rows).append(row)
    return rows, conditional


def help_names(curl: str) -> set[str]:
    """Long names `curl --help all` documents, with a documented `--no-` form stripped."""
    text = subprocess.run([curl, "--help", "all"], capture_output=True, text=True, check=True)
    names = set()
    for line in text.stdout.splitlines():
        match = HELP_OPTION.match(line)
        if match:
            names.add(match.group(2).removeprefix("no-"))
    return names


def canonical_names(rows: list[Row], documented: set[str]) -> dict[str, str]:
    """Map each name to the documented name among those sharing its letter code; when
    several are documented, to the later row, as curl adds a new name after the old one
    (7.88.1: socks5-gssapi-service, then proxy-service-name)."""
    by_code: dict[str, list[str]] = {}
    for row in rows:
        by_code.setdefault(row.code, []).append(row.name)
    canonical = {}
    for names in by_code.values():
        chosen = [name for name in names if name in documented] if len(names) > 1 else names
        if not chosen:
            sys.exit(f"none of {names} is in curl --help all")
        canonical.update((name, chosen[-1]) for name in names)
    return canonical


def check_short_letters(rows: list[Row]) -> None:
    """curl resolves `-X` to the first row whose code starts with X; the table must agree."""
    first: dict[str, Row] = {}
    for row in rows:
        first.setdefault(row.code[0], row)
    for row in rows:
        if len(row.code) == 1 and first[row.code] is not row:
            sys.exit(f"-{row.code} resolves to {first[row.code].name}, not {row.name}")


def render(rows: list[Row], canonical: dict[str, str], left_out: list[Row], version: str) -> str:
    lines = [
        BEGIN,
        f"# From src/tool_getparam.c aliases[] and `curl --help all` of {version}.\n",
        "# Left out, compiled only under #if: "
        + (", ".join(row.name for row in left_out) or "nothing")
        + ".\n",
        "# Rows in curl's order: long name, canonical long name (the documented one of the names\n",
        "# that share a letter code), short letter, argument kind (curl's ARG_*).\n",
        "_TABLE: tuple[tuple[str, str, str | None, str], ...] = (\n",
    ]
    for row in rows:
        name = canonical[row.name]
        short = f'"{row.code}"' if len(row.code) == 1 and name == row.name else "None"
        lines.append(f'    ("{row.name}", "{name}", {short}, "{row.kind}"),\n')
    lines += [")\n", END]
    return "".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="curl's src/tool_getparam.c")
    parser.add_argument("--curl", default="/usr/bin/curl", help="the installed curl binary")
    parser.add_argument("--target", type=Path, default=TARGET, help="module to update")
    args = parser.parse_args()

    rows, left_out = parse_aliases(args.source.read_text())
    if any(row.name != row.name.lower() for row in rows):
        sys.exit("curl's long names are expected in lower case")
    check_short_letters(rows)
    canonical = canonical_names(rows, help_names(args.curl))
    version = subprocess.run(
        [args.curl, "--version"], capture_output=True, text=True, check=True
    ).stdout.split(" (")[0]

    module = args.target.read_text()
    head, rest = module.split(BEGIN)
    _, tail = rest.split(END)
    args.target.write_text(head + render(rows, canonical, left_out, version) + tail)
    print(f"{len(rows)} names, {len(set(canonical.values()))} options -> {args.target}")


if __name__ == "__main__":
    main()
