"""split_bash against the real bash: every argv here is the one bash builds for the same text.

A command-not-found handler prints each command's argv to fd 3 (PATH points nowhere, so
every command name is "not found"), and bash runs in an empty directory, so nothing is
globbed. EnvRef parts are compared after substituting the values bash saw.
"""

from __future__ import annotations

import re
import string
import subprocess
import sys
import timeit
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture2code.sources.shell import Command, EnvRef, ShellSyntaxError, Word, split_bash

DATA = Path(__file__).parent / "data" / "shell"
CORPUS = Path(__file__).parents[1] / "corpus"
BASH = "/bin/bash"
ENV = {
    "LC_ALL": "C.UTF-8",  # bash expands $'\u00e9' only in a UTF-8 locale
    "PATH": "/nonexistent",
    "HOME": "/home/tester",
    "TOKEN": "tok-123",
    "API_KEY": "key-456",
    "USER_NAME": "jane",
    "TOKEN_X": "tx",
    "HOST": "api.example.test",
    "SPACED": "a  b*",
}
PRELUDE = b"""exec 3>"$ARGV_FILE"
command_not_found_handle() { printf '%s\\0' "$#" "$@" >&3; return "${STATUS:-0}"; }
jq() { :; }
trap wait EXIT
"""


def bash_argv(script: bytes, directory: Path, **env: str) -> list[list[bytes]]:
    """The argv of every command bash runs for `script`, in order."""
    run_dir = directory / "run"
    run_dir.mkdir(exist_ok=True)
    (run_dir / "in.txt").write_bytes(b"input\n")
    path = directory / "script.sh"
    path.write_bytes(PRELUDE + script + b"\n")
    out = directory / "argv"
    subprocess.run(
        [BASH, str(path)],
        cwd=run_dir,
        env={**ENV, "ARGV_FILE": str(out), **env},
        capture_output=True,
        timeout=30,
        check=False,
    )
    fields = out.read_bytes().split(b"\0")[:-1]
    commands = []
    index = 0
    while index < len(fields):
        count = int(fields[index])
        commands.append(fields[index + 1 : index + 1 + count])
        index += 1 + count
    return commands


def resolve(word: Word, env: dict[str, str] = ENV) -> bytes:
    return b"".join(p if isinstance(p, bytes) else env[p.name].encode() for p in word.parts)


def our_argv(commands: list[Command]) -> list[list[bytes]]:
    return [[resolve(word) for word in command.words] for command in commands if command.words]


def assert_like_bash(text: str, directory: Path, *, ordered: bool = True, **env: str) -> None:
    ours = our_argv(split_bash(text))
    theirs = bash_argv(text.encode("utf-8", "surrogateescape"), directory, **env)
    if not ordered:  # background jobs finish in any order
        ours, theirs = sorted(ours), sorted(theirs)
    assert ours == theirs


# Each construct the splitter handles, checked against bash.
CONSTRUCTS = [
    r"curl a\ b c\\d \'x\' \"y\" \$HOME \# \é \|\&\;\<\>\(\)\{a,b\} \*",
    "curl a\\\nb c\\\n  d \\\n\te",
    "curl 'single $HOME \\ \" `x` $(y)' 'multi\nline\n' '' ",
    'curl "dq \\" \\\\ \\$ \\` \\a \\n \\\nend" "multi\nline" "" "it\'s"',
    "curl $'\\a\\b\\e\\E\\f\\n\\r\\t\\v\\\\\\'\\\"\\?\\q\\8'",
    "curl $'\\x41\\xff\\x4g\\xg\\x' $'\\u00e9\\u12345\\u\\u0041' $'\\U0001F600\\U110000\\ud800'",
    "curl $'\\UFFFFFFFFab' $'\\U7fffffff' $'\\U80000000z' $'\\U001234567'",
    "curl $'\\101\\0101\\777\\400x' $'a\\0b'c $'\\x00' $'\\u0000z'",
    "curl $'\\cA\\c?\\c\\\\x\\c\\x\\ca\\c1\\c[' $'\\c' $'\\c z' $'\\cé'",
    "curl $'\\'' $'it\\'s' $'a\\\nb' $'tab\\there'",
    'curl $"loc $TOKEN \\"x\\"" $"" $\'\'',
    "curl 'a'\"b\"$'c'$\"d\"e\\ f",
    "# comment\ncurl a # trailing\n  # indented\ncurl b#c '#d' #e\n#last",
    "curl a; curl b ;\ncurl c && curl d\n\n\ncurl e;curl f",
    "curl a &&\n\n  curl b",
    'curl $TOKEN ${TOKEN}x "$TOKEN" "${HOST}/p" a$TOKEN "$SPACED" "${SPACED}"',
    "curl $TOKEN_X.y ${HOST}:8080 \"$HOME/\"$'\\n'",
    'curl $ a$ "$" $/ "$\'x\'" $% "a $ b" $+',
    "curl -o out.json x >out2 2>&1 >/dev/null < in.txt 2> err.txt &>all >>app <>rw",
    "curl x 2x x2>y 10>f {fd}>g >| h 1>&2 < in.txt",
    "curl x | jq .",
    "curl x |& jq . | jq -r .a ; curl y",
    "curl x |\n  jq '.items[] | .name'",
    "FOO=bar BAZ='q x' curl x",
    "A=1\ncurl x",
    'curl ~ ~/f a=~/x a=b:~/y:~/z --x=~/z x~ "~" a=\\~ ~"x" ~$TOKEN a+=~',
    'curl {a} {} "{a,b}" \\{a,b} x{y } a,b {a\\,b} {a}{b} {{a} }a,b{',
    "$ curl x",
    "curl a\tb\t\tc\t",
    "curl a\\",
    "curl a \\",
    "\n\n  \n# only a comment\n",
    "curl x 'y'z\"w\"",
    "curl -d @- <<< 'body' x >&2 2>&- 'a!b' a!b \"a!b\" \"a\"#b a\\#b a=x:~:y ~/",
    "curl x \\\n# a comment ends the command\n  -H y",
    "curl ~:x ~=~ a=~=~ a=~:~ a=x:~=~ ~/a=~ a=~/x:~/y ~,a a=~,b=~ ~,a=~ a=~\\\n&",
]


@pytest.mark.parametrize("text", CONSTRUCTS)
def test_constructs_split_like_bash(text: str, tmp_path: Path) -> None:
    assert_like_bash(text, tmp_path)


def test_background_commands_split_like_bash(tmp_path: Path) -> None:
    assert_like_bash("curl a & curl b &\ncurl c", tmp_path, ordered=False)


def test_or_lists_split_like_bash(tmp_path: Path) -> None:
    assert_like_bash("curl a || curl b\ncurl c", tmp_path, STATUS="1")


def test_crlf_line_ends_read_as_lf(tmp_path: Path) -> None:
    text = "curl 'http://h/' \\\r\n  -H 'a: b' \\\r\n\t--data-raw 'x\r\ny'\r\ncurl z\r\n"
    assert our_argv(split_bash(text)) == bash_argv(text.replace("\r\n", "\n").encode(), tmp_path)
    lf = split_bash(text.replace("\r\n", "\n"))
    assert split_bash(text) == lf


@pytest.mark.parametrize("path", sorted((CORPUS / "bash").glob("*.sh")), ids=lambda p: p.stem)
def test_corpus_commands_split_like_bash(path: Path, tmp_path: Path) -> None:
    assert_like_bash(path.read_text(), tmp_path)


@pytest.mark.parametrize("path", sorted((DATA / "rancher").glob("*.txt")), ids=lambda p: p.stem)
def test_chrome_copy_all_splits_like_bash(path: Path, tmp_path: Path) -> None:
    text = path.read_text()
    commands = split_bash(text)
    assert len(commands) == text.count("\ncurl ") + 1
    assert all(
        command.words[0].parts == (b"curl",) and not command.warnings for command in commands
    )
    assert_like_bash(text, tmp_path)


def test_variables_stay_references() -> None:
    (command,) = split_bash("curl \"$TOKEN\" a${HOST}b \"x$A$B\" ~/f $'$X' '$Y'")
    assert [word.parts for word in command.words[1:]] == [
        (EnvRef("TOKEN"),),
        (b"a", EnvRef("HOST"), b"b"),
        (b"x", EnvRef("A"), EnvRef("B")),
        (EnvRef("HOME"), b"/f"),
        (b"$X",),
        (b"$Y",),
    ]


def test_words_are_bytes_and_empty_words_stay() -> None:
    (command,) = split_bash("curl $'\\xff' $'\\u00e9' '' \"\" $'a\\0b' é")
    assert [word.parts for word in command.words[1:]] == [
        (b"\xff",),
        ("é".encode(),),
        (b"",),
        (b"",),
        (b"a",),
        ("é".encode(),),
    ]


def test_invalid_utf8_read_with_surrogateescape_comes_back() -> None:
    text = b"curl '\xff\xfe' \\\x80".decode("utf-8", "surrogateescape")
    (command,) = split_bash(text)
    assert [word.parts for word in command.words[1:]] == [(b"\xff\xfe",), (b"\x80",)]


def test_dropped_parts_are_reported() -> None:
    commands = split_bash(
        "FOO=bar curl x > out.json 2>&1 | jq . \\\n  | head ;\n>log A=1\ncurl y >/dev/null"
    )
    assert [(len(c.words), c.warnings) for c in commands] == [
        (
            2,
            [
                "ignored variable assignment 'FOO=bar'",
                "ignored redirection '> out.json'",
                "ignored redirection '2>&1'",
                "ignored pipe to 'jq . | head'",
            ],
        ),
        (0, ["ignored redirection '>log'", "ignored variable assignment 'A=1'"]),
        (2, ["ignored redirection '>/dev/null'"]),
    ]


def test_blank_and_comment_lines_make_no_command() -> None:
    assert split_bash("") == []
    assert split_bash("\n  \n# c\n\t# d \\\n") == []
    assert len(split_bash("# a\ncurl x # b\n\n# c\ncurl y")) == 2


def test_prompt_is_a_word() -> None:
    (command,) = split_bash("$ curl x")
    assert [word.parts for word in command.words] == [(b"$",), (b"curl",), (b"x",)]


def test_word_positions() -> None:
    text = "curl 'http://h/' \\\n\t-H 'a:\nb' \\\n  x\"y\" $'z' \\\n  ;\n\n  curl é\tw"
    assert [[(w.line, w.col) for w in c.words] for c in split_bash(text)] == [
        [(1, 1), (1, 6), (2, 2), (2, 5), (4, 3), (4, 8)],
        [(7, 3), (7, 8), (7, 10)],
    ]


# (text, message, line, col, whether bash itself rejects the text as a syntax error)
ERRORS = [
    ("curl 'abc", "unterminated single quote", 1, 6, True),
    ('curl x \\\n  -d "abc', "unterminated double quote", 2, 6, True),
    ('curl a\n  b "c\n\nd', "unterminated double quote", 2, 5, True),
    ("curl $'abc\\'", "unterminated $'", 1, 6, True),
    ("curl $(date)", "command substitution", 1, 6, False),
    ('curl "a `date`"', "command substitution", 1, 9, False),
    ("curl $((1+2))", "arithmetic", 1, 6, False),
    ("curl $[1+2]", "arithmetic", 1, 6, False),
    ("curl ${X:-y}", "parameter expansion '${X:-y}'", 1, 6, False),
    ('curl "${#X}"', "parameter expansion", 1, 7, False),
    ("curl ${X", "unterminated '${'", 1, 6, True),
    ("curl -d @<(echo)", "process substitution", 1, 10, False),
    ("curl x >(cat)", "process substitution", 1, 8, False),
    ("curl -d @- <<EOF\nx\nEOF", "here-documents", 1, 12, False),
    ("curl <<-EOF", "here-documents", 1, 6, False),
    ("curl $1", "special parameter '$1'", 1, 6, False),
    ('curl "$@"', "special parameter '$@'", 1, 7, False),
    ("curl $?", "special parameter", 1, 6, False),
    ("curl $_", "special parameter '$_'", 1, 6, False),
    ("curl\n  http://h/{a,b}", "brace expansion", 2, 3, False),
    ("curl x{1..3}", "brace expansion", 1, 6, False),
    ("curl {a,{c,d}", "brace expansion", 1, 6, False),
    ("curl ~root/x", "'~root'", 1, 6, False),
    ("(curl x)", "'(' is not supported", 1, 1, False),
    ("curl a(b)", "'(' is not supported", 1, 7, True),
    ("curl x; ;", "unexpected ';'", 1, 9, True),
    ("; curl x", "unexpected ';'", 1, 1, True),
    ("curl x ;; y", "unexpected ';;'", 1, 8, True),
    ("curl x | | y", "unexpected '|'", 1, 10, True),
    ("curl x &&", "a command must follow", 1, 8, True),
    ("curl x |\n\n", "a command must follow", 1, 8, True),
    ("if true; then curl x; fi", "'if'", 1, 1, False),
    ("{ curl x; }", "'{'", 1, 1, False),
    ("curl x >", "'>' needs a file name", 1, 8, True),
    ("curl x 2>&", "'>&' needs a file name", 1, 8, True),
]


@pytest.mark.parametrize(("text", "message", "line", "col", "_"), ERRORS)
def test_errors_point_at_the_construct(
    text: str, message: str, line: int, col: int, _: bool
) -> None:
    with pytest.raises(ShellSyntaxError) as caught:
        split_bash(text)
    assert message in caught.value.message
    assert (caught.value.line, caught.value.col) == (line, col)
    assert f"line {line}, column {col}" in str(caught.value)


@pytest.mark.parametrize("text", [error[0] for error in ERRORS if error[4]])
def test_bash_rejects_the_same_syntax_errors(text: str) -> None:
    # `bash -n` only parses: nothing runs.
    result = subprocess.run([BASH, "-n"], input=text.encode(), capture_output=True, env=ENV)
    assert result.returncode != 0


def test_pathological_input_stays_linear() -> None:
    # Nested quantifiers could backtrack exponentially on these.
    texts = ["a" * 5000 + "\\x", "x " + "'a'b" * 2000 + "\\", "$'" + "a\\n" * 3000 + "'"]
    for text in [*texts, "curl " + "{" * 20000]:
        assert split_bash(text)


# Property: arbitrary bytes, quoted in any style and concatenated, come back exactly.

SAFE_PLAIN = string.ascii_letters + string.digits + "_-./:=@%+,^!"
NAMED = {7: "a", 8: "b", 27: "e", 12: "f", 10: "n", 13: "r", 9: "t", 11: "v"}
NAMED.update({ord(c): c for c in "\\'\"?"})
VALUES = {"TOKEN": "tok-123", "HOST": "api.example.test", "SPACED": "a  b*"}


def _split_cr(data: bytes, render: object) -> bytes:
    # A CR before an LF would be read as a CRLF line end: CRs go in $'\r'.
    return b"$'\\r'".join(render(piece) for piece in data.split(b"\r"))  # type: ignore[operator]


def single_quoted(data: bytes) -> bytes:
    return _split_cr(data, lambda d: b"'" + d.replace(b"'", b"'\\''") + b"'")


def double_quoted(data: bytes) -> bytes:
    return _split_cr(data, lambda d: b'"' + re.sub(rb'([\\"$`])', rb"\\\1", d) + b'"')


def backslashed(data: bytes) -> bytes:
    def render(piece: bytes) -> bytes:
        # Backslash-newline would join lines, so a newline goes in '…'.
        return b"'\n'".join(
            b"".join(b"\\" + bytes([c]) for c in part) for part in piece.split(b"\n")
        )

    return _split_cr(data, render) or b"''"


def ansi_c(data: bytes, choices: list[int]) -> bytes:
    out = [b"$'"]
    for char, choice in zip(data.decode("utf-8", "surrogateescape"), choices, strict=False):
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8
            options = [b"\\x%02x" % (code - 0xDC00), b"\\%03o" % (code - 0xDC00)]
        elif code < 0x80:
            options = [b"\\x%02X" % code, b"\\%03o" % code, b"\\u%04x" % code]
            if char.isprintable() and char not in "\\'":
                options.append(char.encode())
            if code in NAMED:
                options.append(b"\\" + NAMED[code].encode())
            if 0 < code < 32:
                options.append(b"\\c" + (b"\\\\" if code == 28 else bytes([code + 0x40])))
            if code == 127:
                options.append(b"\\c?")
        else:
            options = [char.encode(), b"\\U%08x" % code]
            if code <= 0xFFFF:
                options.append(b"\\u%04x" % code)
        out.append(options[choice % len(options)])
    out.append(b"'")
    return b"".join(out)


# Bytes with a bias towards the ones the quoting styles treat specially.
SPECIAL_BYTES = [bytes([b]) for b in b"\a\b\x1b\f\n\r\t\v\x1c\x7f\\'\"?$`!~{},* #"]
SPECIAL_BYTES += ["é".encode(), "€".encode(), "😀".encode(), b"\xff", b"\xc3"]
no_nul = st.one_of(
    st.binary(max_size=12),
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=6).map(str.encode),
    st.lists(st.sampled_from(SPECIAL_BYTES), max_size=8).map(b"".join),
).map(lambda b: b.replace(b"\0", b""))
chunks = st.one_of(
    st.tuples(st.just("single"), no_nul),
    st.tuples(st.just("double"), no_nul),
    st.tuples(st.just("backslash"), no_nul),
    st.tuples(st.just("ansi"), no_nul, st.lists(st.integers(0, 5), min_size=24, max_size=24)),
    st.tuples(st.just("plain"), st.text(SAFE_PLAIN, min_size=1, max_size=8).map(str.encode)),
    st.tuples(st.just("env"), st.sampled_from(sorted(VALUES)), st.booleans()),
)
gaps = st.sampled_from([b" ", b"\t", b"  ", b" \\\n  ", b"\\\n ", b" \\\n\t"])


def render(chunk: tuple) -> tuple[bytes, bytes]:
    """The shell text for a chunk and the bytes bash makes of it."""
    kind = chunk[0]
    if kind == "env":
        _, name, quoted = chunk
        # Unquoted, bash would split and glob the value: only values that survive that.
        quoted = quoted or name == "SPACED"
        return (b'"${%s}"' if quoted else b"${%s}") % name.encode(), VALUES[name].encode()
    data = chunk[1]
    text = {
        "single": single_quoted,
        "double": double_quoted,
        "backslash": backslashed,
        "plain": lambda d: d,
        "ansi": lambda d: ansi_c(d, chunk[2]),
    }[kind](data)
    return text, data


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    words=st.lists(st.lists(chunks, min_size=1, max_size=4), min_size=1, max_size=10),
    data=st.data(),
)
def test_quoted_bytes_split_back_exactly_and_like_bash(
    words: list[list[tuple]], data: st.DataObject, tmp_path: Path
) -> None:
    script = b"p"
    expected = [b"p"]
    starts = [0]
    for word in words:
        script += data.draw(gaps)
        starts.append(len(script))
        rendered = [render(chunk) for chunk in word]
        script += b"".join(text for text, _ in rendered)
        expected.append(b"".join(value for _, value in rendered))
    text = script.decode("utf-8", "surrogateescape")
    (command,) = split_bash(text)
    assert [resolve(word) for word in command.words] == expected
    assert bash_argv(script, tmp_path) == [expected]
    for word, start in zip(command.words, starts, strict=True):
        before = text[: len(script[:start].decode("utf-8", "surrogateescape"))]
        assert (word.line, word.col) == (
            before.count("\n") + 1,
            len(before.rsplit("\n", 1)[-1]) + 1,
        )


# A Chrome "Copy as cURL" request: 20 headers, a cookie and a JSON body.
TIMING_URL = "https://rancher.example.test/v3/cloudcredentials?limit=20&sort=name"
TIMING_HEADERS = [
    "accept: application/json, text/plain, */*",
    "accept-language: en-US,en;q=0.9",
    "cache-control: no-cache",
    "content-type: application/json",
    "dnt: 1",
    "origin: https://rancher.example.test",
    "pragma: no-cache",
    "priority: u=1, i",
    "referer: https://rancher.example.test/dashboard/c/_/manager/cloudCredential/create",
    'sec-ch-ua: "Not/A)Brand";v="8", "Chromium";v="126", "Google Chrome";v="126"',
    "sec-ch-ua-mobile: ?0",
    'sec-ch-ua-platform: "macOS"',
    "sec-fetch-dest: empty",
    "sec-fetch-mode: cors",
    "sec-fetch-site: same-origin",
    "user-agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML,"
    " like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "x-api-action-links: actionLinks",
    "x-api-csrf: 71a6910f6e5c6d41a1316ae1e7a80c02",
    "x-api-no-challenge: true",
    "x-request-id: 6f1c2a9e-0b1d-4c33-9a55-7d2f0c1e8b40",
]
TIMING_COOKIE = "R_PCS=light; R_LOCALE=en-us; CSRF=71a6910f6e5c6d41a1316ae1e7a80c02"
TIMING_BODY = '{"type":"provisioning.cattle.io/cloud-credential","_name":"do-nyc"}'


def _timing() -> None:
    """By hand: python -m tests.sources.test_shell prints the time for a Chrome export."""
    lines = [f"curl '{TIMING_URL}'", *(f"  -H '{h}'" for h in TIMING_HEADERS)]
    lines += [f"  -b '{TIMING_COOKIE}'", f"  --data-raw '{TIMING_BODY}'"]
    text = " \\\n".join(lines)
    assert len(split_bash(text)[0].words) == 46
    seconds = min(timeit.repeat(lambda: split_bash(text), number=2000, repeat=10)) / 2000
    print(f"split_bash, 20-header Chrome command ({len(text)} chars): {seconds * 1e6:.1f} µs")


if __name__ == "__main__":
    _timing()
    sys.exit(0)
