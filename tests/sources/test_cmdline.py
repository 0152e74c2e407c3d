"""split_cmd: cmd.exe's caret and quote processing, then the Microsoft C runtime's argv rules.

There is no Windows here, so expectations come from three places, each named at its test:
the corpus's bash equivalents (run with the real bash), CPython's subprocess.list2cmdline
(an independent implementation of the runtime's rules, used to build command lines), and
the documented rules themselves.
"""

from __future__ import annotations

import re
import subprocess
import sys
import timeit
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture2code.sources.cmdline import looks_like_cmd, split_cmd
from capture2code.sources.shell import EnvRef, ShellSyntaxError
from tests.sources.test_shell import (
    TIMING_BODY,
    TIMING_COOKIE,
    TIMING_HEADERS,
    TIMING_URL,
    bash_argv,
    resolve,
)

DATA = Path(__file__).parent / "data" / "shell"
CORPUS = Path(__file__).parents[1] / "corpus"
CMD_FILES = sorted((CORPUS / "cmd").glob("*.cmd"))
ENV = {"TOKEN": "tok-123", "ACCESS_TOKEN": "at-9", "USERPROFILE": r"C:\Users\ada"}


def argv(text: str) -> list[list[bytes]]:
    return [[resolve(word, ENV) for word in command.words] for command in split_cmd(text)]


def equivalent(path: Path) -> Path:
    return path.with_name(path.stem + ".bash-equivalent.sh")


@pytest.mark.parametrize("path", CMD_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("line_end", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_chrome_exports_give_the_argv_of_their_bash_equivalent(
    path: Path, line_end: str, tmp_path: Path
) -> None:
    text = path.read_text().replace("\n", line_end)
    # argv[0] (curl or curl.exe) is not part of what curl receives as options
    ours = [words[1:] for words in argv(text)]
    assert ours == [words[1:] for words in bash_argv(equivalent(path).read_bytes(), tmp_path)]
    assert all(not command.warnings for command in split_cmd(text))


def test_copy_all_joins_commands_with_ampersand_crlf(tmp_path: Path) -> None:
    # Chrome's "Copy all as cURL (cmd)" joins the commands with " &\r\n".
    texts = [path.read_text().rstrip("\n").replace("\n", "\r\n") for path in CMD_FILES]
    script = b"\n".join(equivalent(path).read_bytes() for path in CMD_FILES)
    ours = [words[1:] for words in argv(" &\r\n".join(texts))]
    assert ours == [words[1:] for words in bash_argv(script, tmp_path)]


# The examples table of Microsoft's "Parsing C command-line arguments"
# (learn.microsoft.com/cpp/c-language/parsing-c-command-line-arguments); none of these
# characters is special to cmd.exe.
DOCUMENTED = [
    ('"a b c" d e', ["a b c", "d", "e"]),
    ('"ab\\"c" "\\\\" d', ['ab"c', "\\", "d"]),
    ('a\\\\\\b d"e f"g h', ["a\\\\\\b", "de fg", "h"]),
    ('a\\\\\\"b c d', ['a\\"b', "c", "d"]),
    ('a\\\\\\\\"b c" d e', ["a\\\\b c", "d", "e"]),
    # "" inside a quoted run is one literal " and the run goes on: the rule in the page's
    # text and the UCRT's startup/argv_parsing.cpp. (The table's row `a"b"" c d` was changed
    # to CommandLineToArgvW's answer, which the C runtime does not give; and a run left open
    # at the end is an error here, see ERRORS.)
    ('a"b"" c d"', ['ab" c d']),
    ('"a""b" """" c', ['a"b', '"', "c"]),
    # Backslashes not before a quote are literal; an empty "" is an empty argument.
    ('C:\\dir\\ "" "x\\\\" x\\\\\\\\', ["C:\\dir\\", "", "x\\", "x\\\\\\\\"]),
    ("\ta\t\tb ", ["a", "b"]),
]


@pytest.mark.parametrize(("line", "expected"), DOCUMENTED)
def test_documented_runtime_examples(line: str, expected: list[str]) -> None:
    assert argv("curl " + line) == [[b"curl", *(arg.encode() for arg in expected)]]


def test_program_name_keeps_backslashes_and_drops_quotes() -> None:
    # The runtime's rule for argv[0]: quotes group, backslashes are plain (same page).
    assert argv('"C:\\Program Files\\curl\\curl.exe" -s') == [
        [b"C:\\Program Files\\curl\\curl.exe", b"-s"]
    ]
    assert argv('curl\\"x y" z') == [[b"curl\\x y", b"z"]]
    assert argv("curl.exe -s") == [[b"curl.exe", b"-s"]]


# cmd.exe's phase 2 (carets, quotes, operators), as described in the SS64 pages on escape
# characters and in the "How does the Windows Command Interpreter parse scripts" analysis:
# outside quotes a caret takes the next character literally and is removed; a caret at a
# line end appends the next line and takes its first character literally; inside quotes
# carets and & | < > are plain; a newline ends the command even inside quotes.
CARET_RULES = [
    ("curl a^&b ^|c ^<d^> ^^e ^(f^)", [["curl", "a&b", "|c", "<d>", "^e", "(f)"]]),
    ('curl "a&b|c<d>e^f" ^"x^"', [["curl", "a&b|c<d>e^f", "x"]]),
    ("curl a^\nb", [["curl", "ab"]]),
    ("curl a ^\n  b ^\n\tc", [["curl", "a", "b", "c"]]),
    ("curl ^\n&b", [["curl", "&b"]]),
    ("curl a^\n\nb", [["curl", "a\nb"]]),
    ('curl ^"line1^\n\nline2^"', [["curl", "line1\nline2"]]),
    (
        "curl a&curl b & curl c&&curl d||curl e",
        [["curl", "a"], ["curl", "b"], ["curl", "c"], ["curl", "d"], ["curl", "e"]],
    ),
    ('curl ^"a\\^"b^" "x\\"y"', [["curl", 'a"b', 'x"y']]),
    ("curl a\nb c\n\n\ncurl d", [["curl", "a"], ["b", "c"], ["curl", "d"]]),
    ("curl a\r\ncurl b\r\n", [["curl", "a"], ["curl", "b"]]),
    ("curl a\rb", [["curl", "ab"]]),
    ("curl x^", [["curl", "x"]]),
    ("curl ^\t^ x", [["curl", "x"]]),
]


@pytest.mark.parametrize(("text", "expected"), CARET_RULES)
def test_caret_and_quote_rules(text: str, expected: list[list[str]]) -> None:
    assert argv(text) == [[arg.encode() for arg in command] for command in expected]


# Phase 1 expands %NAME% before carets or quotes are seen; a caret inside the name makes
# it a name no variable has, and on the command line such text stays as it is.
PERCENT = [
    ("curl -H %TOKEN%", [b"-H", (EnvRef("TOKEN"),)]),
    (
        'curl "Bearer %TOKEN%" x%TOKEN%y',
        [(b"Bearer ", EnvRef("TOKEN")), (b"x", EnvRef("TOKEN"), b"y")],
    ),
    ("curl ^%TOKEN^% %TOKEN^% ^%TOKEN%", [(b"%TOKEN%",), (b"%TOKEN%",), (EnvRef("TOKEN"),)]),
    ("curl %ACCESS_TOKEN%:%TOKEN%", [(EnvRef("ACCESS_TOKEN"), b":", EnvRef("TOKEN"))]),
    # URL percent-escapes are not variables.
    (
        "curl caf%C3%A9 %2Fa%2F %AB%CD %C3%ABc%20 100% %% %1",
        [
            (b"caf%C3%A9",),
            (b"%2Fa%2F",),
            (b"%AB%CD",),
            (b"%C3%ABc%20",),
            (b"100%",),
            (b"%%",),
            (b"%1",),
        ],
    ),
    ("curl ^\n%TOKEN%", [(EnvRef("TOKEN"),)]),
    ("curl %USERPROFILE%\\x | find %TOKEN%", [(EnvRef("USERPROFILE"), b"\\x")]),
]


@pytest.mark.parametrize(("text", "parts"), PERCENT)
def test_percent_references(text: str, parts: list[object]) -> None:
    command, *_ = split_cmd(text)
    assert [word.parts for word in command.words[1:]] == [
        (part,) if isinstance(part, bytes) else part for part in parts
    ]


def test_redirections_and_pipes_are_dropped_and_reported() -> None:
    text = 'curl x >out.json 2>nul x2>y <in.txt 2>&1 >> "a b.log" | findstr /i ^"a^" & curl z'
    commands = split_cmd(text)
    assert argv(text) == [[b"curl", b"x", b"x2"], [b"curl", b"z"]]
    assert commands[0].warnings == [
        "ignored redirection '>out.json'",
        "ignored redirection '2>nul'",
        "ignored redirection '>y'",
        "ignored redirection '<in.txt'",
        "ignored redirection '2>&1'",
        "ignored redirection '>> \"a b.log\"'",
        "ignored pipe to 'findstr /i ^\"a^\"'",
    ]
    assert commands[1].warnings == []


def test_word_positions() -> None:
    text = 'curl ^"http://h/^" ^\r\n  -H ^"a: b^" ^\r\n\t--data ^"x^" &\r\ncurl "a" b'
    assert [[(w.line, w.col) for w in c.words] for c in split_cmd(text)] == [
        [(1, 1), (1, 6), (2, 3), (2, 6), (3, 2), (3, 9)],
        [(4, 1), (4, 6), (4, 10)],
    ]
    # The same positions when the slow path reads the text (a % reference forces it).
    slow = text + " %TOKEN%"
    assert [[(w.line, w.col) for w in c.words] for c in split_cmd(slow)] == [
        [(1, 1), (1, 6), (2, 3), (2, 6), (3, 2), (3, 9)],
        [(4, 1), (4, 6), (4, 10), (4, 12)],
    ]


ERRORS = [
    ('curl "abc', "unterminated double quote", 1, 6),
    ('curl ^"abc', "unterminated double quote", 1, 6),
    ('curl ^"a^" ^\n  -d ^"x\ncurl y', "unterminated double quote", 2, 6),
    ('curl -d "multi\nline"', "unterminated double quote", 1, 9),
    # The runtime would take the rest of the line; in a paste an open quote means lost text.
    ('curl a"b"" c d', "unterminated double quote", 1, 7),
    ("& curl x", "unexpected '&'", 1, 1),
    ("curl x && && y", "unexpected '&&'", 1, 11),
    ("curl x &&", "a command must follow", 1, 8),
    ("curl x |\ncurl y", "a command must follow", 1, 8),
    ("curl x >", "'>' needs a file name", 1, 8),
    ("curl %TOKEN:~0,3%", "substring or substitution", 1, 6),
]


@pytest.mark.parametrize(("text", "message", "line", "col"), ERRORS)
def test_errors_point_at_the_construct(text: str, message: str, line: int, col: int) -> None:
    with pytest.raises(ShellSyntaxError) as caught:
        split_cmd(text)
    assert message in caught.value.message
    assert (caught.value.line, caught.value.col) == (line, col)


def test_looks_like_cmd() -> None:
    assert all(looks_like_cmd(path.read_text()) for path in CMD_FILES)
    bash_texts = [
        *sorted((CORPUS / "bash").glob("*.sh")),
        *sorted((DATA / "rancher").glob("*.txt")),
    ]
    assert not any(looks_like_cmd(path.read_text()) for path in bash_texts)
    assert looks_like_cmd("\r\n  curl.exe -s http://h/")
    assert looks_like_cmd("curl http://h/ ^\r\n  -s")
    assert not looks_like_cmd("curl 'http://h/' -H 'a: ^\"b'")
    assert not looks_like_cmd("")


def test_pathological_input_stays_linear() -> None:
    # Nested quantifiers could backtrack exponentially on these.
    for text in [
        "x " + "a" * 5000 + '\\"x\\"',
        "x " + 'a"b"' * 3000 + "\\",
        '^"' + "a^b" * 3000 + '^" x',
    ]:
        assert split_cmd(text)
    with pytest.raises(ShellSyntaxError):
        split_cmd('^"' + "a^b" * 3000 + '^"^"')


# Properties: CPython's subprocess.list2cmdline writes an argv as a runtime command line.

ARG = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\0\r"), max_size=12)


@settings(max_examples=200)
@given(st.lists(ARG.filter(lambda a: not set(a) & set("%^&|<>\n")), max_size=8))
def test_runtime_command_lines_split_back(args: list[str]) -> None:
    # Without cmd's special characters, cmd passes the line on unchanged.
    line = subprocess.list2cmdline(["curl", *args])
    assert argv(line) == [[b"curl", *(arg.encode() for arg in args)]]


def caret_escaped(line: str, choices: list[bool]) -> str:
    """cmd text that hands `line` to the program: specials get a caret, others maybe."""
    out = []
    for char, choice in zip(line, choices + [False] * len(line), strict=False):
        if char == "\n":
            out.append("^\n\n")  # Chrome's way: the second newline is taken literally
        elif char in '^&|<>%"' or choice:
            out.append("^" + char)
        else:
            out.append(char)
    return "".join(out)


@settings(max_examples=200)
@given(st.lists(ARG, max_size=8), st.lists(st.booleans(), max_size=60))
def test_caret_escaped_command_lines_split_back(args: list[str], choices: list[bool]) -> None:
    text = caret_escaped(subprocess.list2cmdline(["curl", *args]), choices)
    assert argv(text) == [[b"curl", *(arg.encode() for arg in args)]]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=st.lists(ARG.filter(lambda a: "\n" not in a), min_size=1, max_size=6))
def test_chrome_style_lines_agree_with_bash(args: list[str], tmp_path: Path) -> None:
    # The same argv through both splitters: cmd text from list2cmdline, bash from quoting.
    cmd_text = " ^\r\n  ".join(caret_escaped(subprocess.list2cmdline([a]), []) for a in args)
    bash_text = " \\\n  ".join("'" + a.replace("'", "'\\''") + "'" for a in args)
    assert argv("curl " + cmd_text) == bash_argv(("curl " + bash_text).encode(), tmp_path)


def _chrome_quoted(value: str) -> str:
    # How Chrome's "Copy as cURL (cmd)" quotes a value (for the timing text only).
    value = value.replace("\\", "\\\\").replace('"', '\\"')
    return '^"' + re.sub(r"[^a-zA-Z0-9\s_\-:=+~'/.,?;()*`]", r"^\g<0>", value) + '^"'


def _timing() -> None:
    """By hand: python -m tests.sources.test_cmdline prints the time for a Chrome export."""
    lines = [f"curl {_chrome_quoted(TIMING_URL)}"]
    lines += [f"  -H {_chrome_quoted(header)}" for header in TIMING_HEADERS]
    lines += [
        f"  -b {_chrome_quoted(TIMING_COOKIE)}",
        f"  --data-raw {_chrome_quoted(TIMING_BODY)}",
    ]
    text = " ^\r\n".join(lines)
    (command,) = split_cmd(text)
    assert argv(text)[0][3:42:2] == [header.encode() for header in TIMING_HEADERS]
    seconds = min(timeit.repeat(lambda: split_cmd(text), number=2000, repeat=10)) / 2000
    print(f"split_cmd, 20-header Chrome command ({len(text)} chars): {seconds * 1e6:.1f} µs")


if __name__ == "__main__":
    _timing()
    sys.exit(0)
