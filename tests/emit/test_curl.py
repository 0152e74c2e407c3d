"""The bash (curl) emitter, checked by running its scripts with the real bash and curl
against the loopback recorder, and `bash_word` by round trips through the real bash."""

from __future__ import annotations

import gzip
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from capture2code.emit import EmitError
from capture2code.emit.curl import bash_word, emit, message_word
from capture2code.plan import EnvVar, Plan, Step
from capture2code.record import FormPart, Multipart, Record, Request
from capture2code.template import Text, Var
from tests.recorder import Received, Recorder
from tests.runners.curl import run

BASE = Var("BASE_URL")
PROCESS_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# Pieces that would run code, expand, glob or break quoting if they were not data.
TRICKY = [
    b"$(touch PWNED)",
    b"`touch PWNED`",
    b"'",
    b'"',
    b"\\",
    b"'\\''",
    b"$'",
    b"${HOME}",
    b"$HOME",
    b"!!",
    b"*",
    b"?",
    b"[ab]",
    b"x*",
    b"~",
    b"~root",
    b"{a,b}",
    b"\n",
    b"\r\n",
    b"\t",
    b" ",
    b"%s%n",
    b"-n",
    b"\xff",
    b"\xc3",
    b"\xe2\x80\xae",
    b"\xc2\xa0",
    b"{{x}}",
    b"; touch PWNED #",
]


def tricky_bytes(nul: bool) -> st.SearchStrategy[bytes]:
    raw = st.binary(max_size=24)
    if not nul:
        raw = raw.map(lambda b: b.replace(b"\0", b""))
    return st.lists(st.one_of(raw, st.sampled_from(TRICKY)), max_size=8).map(b"".join)


def request(
    method: str = "GET",
    target: str = "/",
    headers: list[tuple[str, Text | str]] | None = None,
    body: Text | Multipart | None = None,
    **options: object,
) -> Request:
    pairs = [(k, v if isinstance(v, Text) else Text.of(v)) for k, v in headers or []]
    return Request(method, Text.of(BASE, target), pairs, body, options=dict(options))


def plan_for(recorder: Recorder, *requests: Request, env: list[EnvVar] | None = None) -> Plan:
    base = EnvVar("BASE_URL", "server origin", default=recorder.origin)
    steps = [Step(Record(r), f"{r.method} {number}") for number, r in enumerate(requests, 1)]
    return Plan(steps, env=[base, *(env or [])], header=["test plan"])


def send(
    recorder: Recorder, tmp_path: Path, plan: Plan, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[bytes], list[Received]]:
    result = run(emit(plan), env or {}, tmp_path)
    return result, recorder.take()


def sent_one(recorder: Recorder, tmp_path: Path, req: Request) -> Received:
    result, received = send(recorder, tmp_path, plan_for(recorder, req))
    assert result.returncode == 0, result.stderr
    assert len(received) == 1
    return received[0]


def custom(received: Received) -> list[tuple[bytes, bytes]]:
    """Headers other than the ones curl adds itself."""
    own = {b"host", b"user-agent", b"accept", b"content-length"}
    return [(k, v) for k, v in received.headers if k.lower() not in own]


# --- bash_word --------------------------------------------------------------------------


def bash_round_trip(words: list[str], cwd: Path, locale: str) -> list[bytes]:
    """What bash makes of each word: `printf '%s\\0'` prints every word NUL-terminated."""
    script = "printf '%s\\0' " + " ".join(words) + "\n"
    (cwd / "words.sh").write_bytes(script.encode("utf-8"))
    result = subprocess.run(
        ["bash", "words.sh"],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": locale, "HOME": "/nonexistent"},
        capture_output=True,
        check=True,
    )
    return result.stdout.split(b"\0")[:-1]


@pytest.fixture
def glob_dir(tmp_path: Path) -> Path:
    """A directory where globs, if expanded, would match files."""
    for name in ["a", "b", "ab", "x", "xy", "*", "?", "~"]:
        (tmp_path / name).write_text("")
    return tmp_path


@pytest.mark.parametrize("locale", ["C", "C.UTF-8"])
@PROCESS_SETTINGS
@given(values=st.lists(tricky_bytes(nul=False), min_size=1, max_size=25))
def test_bash_word_round_trips_bytes(glob_dir: Path, locale: str, values: list[bytes]) -> None:
    assert bash_round_trip([bash_word(v) for v in values], glob_dir, locale) == values
    assert bash_round_trip([bash_word(v, bare=False) for v in values], glob_dir, locale) == values
    assert not (glob_dir / "PWNED").exists()


text_values = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\0")),
    tricky_bytes(nul=False).map(lambda b: b.decode("utf-8", "surrogateescape")),
)


@PROCESS_SETTINGS
@given(values=st.lists(text_values, min_size=1, max_size=25))
def test_bash_word_round_trips_text(glob_dir: Path, values: list[str]) -> None:
    expected = [v.encode("utf-8", "surrogateescape") for v in values]
    assert bash_round_trip([bash_word(v) for v in values], glob_dir, "C.UTF-8") == expected
    assert not (glob_dir / "PWNED").exists()


@given(value=text_values)
def test_bash_word_shows_only_visible_characters(value: str) -> None:
    word = bash_word(value)
    assert all(c in "\n\t" or not unicodedata.category(c).startswith("C") for c in word)
    word.encode("utf-8")  # no surrogates left: the script is valid UTF-8


def test_bash_word_forms() -> None:
    assert bash_word("abc-1.2/x") == "abc-1.2/x"
    assert bash_word("abc", bare=False) == "'abc'"
    assert bash_word("") == "''"
    assert bash_word("it's") == "'it'\\''s'"
    assert bash_word(b"a\rb\xff") == "'a'$'\\x0d''b'$'\\xff'"
    assert bash_word("l1\nl2") == "'l1\nl2'"
    with pytest.raises(ValueError, match="NUL"):
        bash_word(b"a\0b")


# --- what the script sends --------------------------------------------------------------


def test_get_sends_given_headers_exactly(recorder: Recorder, tmp_path: Path) -> None:
    req = request(
        "GET",
        "/v3/clusters?limit=5&x=%7c|{}^'\"",
        [
            ("X-Lower", "one"),
            ("x-dup", "1"),
            ("x-dup", "2"),
            ("X-Empty", ""),
            ("Accept", "application/json"),
            ("Host", "api.example.test"),
            ("X-Bytes", "caf\u00e9 \udcff"),
            ("X-Trail", "t "),
        ],
    )
    got = sent_one(recorder, tmp_path, req)
    assert got.method == "GET"
    assert got.target == b"/v3/clusters?limit=5&x=%7c|{}^'\""
    assert got.header("Host") == b"api.example.test"
    assert got.header("Accept") == b"application/json"
    assert custom(got) == [
        (b"X-Lower", b"one"),
        (b"x-dup", b"1"),
        (b"x-dup", b"2"),
        (b"X-Empty", b""),
        (b"X-Bytes", b"caf\xc3\xa9 \xff"),
        (b"X-Trail", b"t "),
    ]


header_names = st.from_regex(r"X-[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}", fullmatch=True)
header_values = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\0"), max_size=40),
    tricky_bytes(nul=False).map(
        lambda b: b.replace(b"\r", b"").replace(b"\n", b"").decode("utf-8", "surrogateescape")
    ),
)


@PROCESS_SETTINGS
@given(headers=st.lists(st.tuples(header_names, header_values), max_size=5))
@example(headers=[("X-A", "  "), ("X-B", "\t"), ("X-C", " \x0bx"), ("X-D", "\xa0")])
def test_header_values_are_sent_as_data(
    recorder: Recorder, tmp_path: Path, headers: list[tuple[str, str]]
) -> None:
    got = sent_one(recorder, tmp_path, request("GET", "/h", headers))
    assert custom(got) == [
        (name.encode(), value.encode("utf-8", "surrogateescape").lstrip(b" \t"))
        for name, value in headers
    ]
    assert not (tmp_path / "PWNED").exists()


methods = st.sampled_from(["POST", "PUT", "PATCH", "GET", "DELETE", "PURGE", "OPTIONS", "`id`"])


@PROCESS_SETTINGS
@given(method=methods, body=tricky_bytes(nul=True), content_type=st.booleans())
def test_bodies_are_sent_exactly(
    recorder: Recorder, tmp_path: Path, method: str, body: bytes, content_type: bool
) -> None:
    headers = [("Content-Type", "application/octet-stream")] if content_type else []
    got = sent_one(recorder, tmp_path, request(method, "/b", headers, Text.of(body)))
    assert (got.method, got.body) == (method, body)
    assert got.header("Content-Length") == str(len(body)).encode()
    expected = [(b"Content-Type", b"application/octet-stream")] if content_type else []
    assert custom(got) == expected
    assert not (tmp_path / "PWNED").exists()


segment_chars = st.one_of(
    st.sampled_from(list("abcXYZ09-._~!$&'()*+,;=:@%|{}^\\\"`<>[]#/")),
    st.sampled_from(["%7c", "%7C", "%zz", "..", ".", "\u00e9", "\u20ac", "\udcff", "\udc80"]),
)
targets = st.builds(
    lambda path, query: "/" + path + query,
    st.lists(segment_chars, max_size=12).map("".join),
    st.one_of(
        st.just(""),
        st.lists(segment_chars | st.just("?"), max_size=8).map(lambda q: "?" + "".join(q)),
    ),
)


@PROCESS_SETTINGS
@given(target=targets)
def test_targets_are_sent_exactly(recorder: Recorder, tmp_path: Path, target: str) -> None:
    got = sent_one(recorder, tmp_path, request("GET", target))
    assert got.target == target.encode("utf-8", "surrogateescape")
    assert not (tmp_path / "PWNED").exists()


def test_dot_segments_and_double_slashes_are_kept(recorder: Recorder, tmp_path: Path) -> None:
    for target in ["//a/./b/../c", "/a/b/..", "/x?", "/caf\u00e9/x#frag?q"]:
        got = sent_one(recorder, tmp_path, request("GET", target))
        assert got.target == target.encode()


def test_url_without_base_var_is_split_for_request_target(
    recorder: Recorder, tmp_path: Path
) -> None:
    url = Text.of(recorder.origin + "/caf\u00e9?q=\u00e9")
    got = sent_one(recorder, tmp_path, Request("GET", url))
    assert got.target == "/caf\u00e9?q=\u00e9".encode()


def test_non_ascii_path_with_redirects_is_noted(recorder: Recorder, tmp_path: Path) -> None:
    # --request-target would be resent to every redirect, so curl's encoding stays.
    req = request("GET", "/caf\u00e9", follow_redirects=True)
    text = emit(plan_for(recorder, req)).text
    assert "# Differs from the capture: curl percent-encodes non-ASCII bytes" in text
    assert sent_one(recorder, tmp_path, req).target == b"/caf%c3%a9"


def test_methods_and_implied_bodies(recorder: Recorder, tmp_path: Path) -> None:
    plan = plan_for(
        recorder,
        request("HEAD", "/head"),
        request("POST", "/post-empty"),
        request("GET", "/get-body", body=Text.of(b"q=1")),
        request("POST", "/post-zero", body=Text.of(b"")),
        request("PURGE", "/purge"),
    )
    result, got = send(recorder, tmp_path, plan)
    assert result.returncode == 0, result.stderr
    assert [(r.method, r.target, r.body) for r in got] == [
        ("HEAD", b"/head", b""),
        ("POST", b"/post-empty", b""),
        ("GET", b"/get-body", b"q=1"),
        ("POST", b"/post-zero", b""),
        ("PURGE", b"/purge", b""),
    ]
    assert [r.header("Content-Length") for r in got] == [None, None, b"3", b"0", None]
    assert all(r.header("Content-Type") is None for r in got)


def test_head_with_body_is_refused(recorder: Recorder) -> None:
    req = request("HEAD", "/hb", body=Text.of(b"x"))
    with pytest.raises(EmitError, match="HEAD request with a body"):
        emit(plan_for(recorder, req))


def test_given_content_length_keeps_its_name(recorder: Recorder, tmp_path: Path) -> None:
    req = request("POST", "/cl", [("content-length", "2")], Text.of(b"ab"))
    got = sent_one(recorder, tmp_path, req)
    assert [(k, v) for k, v in got.headers if k.lower() == b"content-length"] == [
        (b"content-length", b"2")
    ]


def test_omit_headers_are_not_sent(recorder: Recorder, tmp_path: Path) -> None:
    req = request("GET", "/o", [("Accept", "text/plain")], omit_headers=["User-Agent", "Accept"])
    got = sent_one(recorder, tmp_path, req)
    assert got.header("User-Agent") is None
    assert got.header("Accept") == b"text/plain"


def test_big_body_has_no_expect(recorder: Recorder, tmp_path: Path) -> None:
    body = bytes(range(256)) * 4800  # 1.2 MB, NUL bytes included
    got = sent_one(recorder, tmp_path, request("PUT", "/big", body=Text.of(body)))
    assert got.body == body
    assert got.header("Expect") is None


def test_body_longer_than_an_argument_is_sent(recorder: Recorder, tmp_path: Path) -> None:
    body = b"{'$(touch PWNED)'}\n" * 12000  # 228 KB: over Linux's 128 KiB argument limit
    got = sent_one(recorder, tmp_path, request("POST", "/long", body=Text.of(body)))
    assert (got.body, got.header("Expect")) == (body, None)
    assert not (tmp_path / "PWNED").exists()


def test_given_expect_is_sent(recorder: Recorder, tmp_path: Path) -> None:
    req = request("POST", "/e", [("Expect", "100-continue")], Text.of(b"x" * 10))
    got = sent_one(recorder, tmp_path, req)
    assert (got.header("Expect"), got.body) == (b"100-continue", b"x" * 10)


# --- environment variables --------------------------------------------------------------


def token_plan(recorder: Recorder) -> Plan:
    return plan_for(
        recorder,
        request("GET", "/first"),
        request(
            "POST",
            "/second",
            [("Authorization", Text.of("Bearer ", Var("API_TOKEN")))],
            Text.of(b'{"t":"', Var("API_TOKEN"), b'"}'),
        ),
        env=[EnvVar("API_TOKEN", "API token; captured as header 'Authorization'", value="x")],
    )


def test_required_var_unset_stops_before_any_request(recorder: Recorder, tmp_path: Path) -> None:
    for env in ({}, {"API_TOKEN": ""}):
        result, got = send(recorder, tmp_path, token_plan(recorder), env)
        assert result.returncode != 0
        assert got == []
        assert b"API_TOKEN" in result.stderr
        assert b"API token" in result.stderr


def test_required_var_is_sent_as_data(recorder: Recorder, tmp_path: Path) -> None:
    token = "t0k'$(touch PWNED)\"`x`"
    result, got = send(recorder, tmp_path, token_plan(recorder), {"API_TOKEN": token})
    assert result.returncode == 0, result.stderr
    assert got[1].header("Authorization") == b"Bearer " + token.encode()
    assert got[1].body == b'{"t":"' + token.encode() + b'"}'
    assert not (tmp_path / "PWNED").exists()


def test_var_not_in_plan_env_is_required(recorder: Recorder, tmp_path: Path) -> None:
    plan = plan_for(recorder, request("GET", "/", [("X-Key", Text.of(Var("SOME_KEY")))]))
    result, got = send(recorder, tmp_path, plan)
    assert (result.returncode != 0, got) == (True, [])
    assert b"SOME_KEY" in result.stderr
    assert "SOME_KEY: required" in emit(plan).text


def test_base_url_override_redirects_the_request(recorder: Recorder, tmp_path: Path) -> None:
    other = Recorder().start()
    try:
        result, got = send(
            recorder, tmp_path, token_plan(recorder), {"BASE_URL": other.origin, "API_TOKEN": "t"}
        )
        assert result.returncode == 0, result.stderr
        assert (got, [r.target for r in other.take()]) == ([], [b"/first", b"/second"])
    finally:
        other.stop()


def test_base64_var_is_decoded_into_the_body(recorder: Recorder, tmp_path: Path) -> None:
    blob = "\0\x01bin\udcff\0"
    req = request("PUT", "/blob", body=Text.of(b"<", Var("BLOB"), b"\0>"))
    plan = plan_for(recorder, req, env=[EnvVar("BLOB", "file content", value=blob, base64=True)])
    encoded = "AAFiaW7/AA=="
    got = send(recorder, tmp_path, plan, {"BLOB_B64": encoded})[1]
    assert got[0].body == b"<\0\x01bin\xff\0\0>"
    result, got = send(recorder, tmp_path, plan)
    assert (result.returncode != 0, got) == (True, [])
    assert b"BLOB_B64" in result.stderr


# --- multipart --------------------------------------------------------------------------


def parse_multipart(received: Received) -> list[tuple[str, str | None, bytes | None, bytes]]:
    """(name, filename, content type, content) of each part."""
    content_type = (received.header("Content-Type") or b"").decode()
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = b"--" + content_type.split("boundary=", 1)[1].encode()
    chunks = received.body.split(b"\r\n" + boundary)
    assert chunks[0].startswith(boundary) and chunks[-1] == b"--\r\n"
    parts = []
    for chunk in [chunks[0][len(boundary) :], *chunks[1:-1]]:
        head, _, content = chunk[2:].partition(b"\r\n\r\n")
        headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n"))
        disposition = headers[b"Content-Disposition"].decode("utf-8", "surrogateescape")
        name = re.search(r'; name="([^"]*)"', disposition)
        filename = re.search(r'; filename="([^"]*)"', disposition)
        assert name is not None
        parts.append(
            (
                name.group(1),
                filename.group(1) if filename else None,
                headers.get(b"Content-Type"),
                content,
            )
        )
    return parts


def test_multipart_parts_are_sent(recorder: Recorder, tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "photo 1;x.jpg").write_bytes(b"\xff\xd8\0jpeg")
    (tmp_path / "notes.txt").write_bytes(b"line\r\n")
    body = Multipart(
        [
            FormPart("plain", value=Text.of("@/etc/passwd;type=text/x,<x")),
            FormPart("unicode", value=Text.of("caf\u00e9 $(touch PWNED)")),
            FormPart("token", value=Text.of("k=", Var("API_TOKEN"))),
            FormPart(
                "photo", file="files/photo 1;x.jpg", filename="me \\ \u00e9.jpg", type="image/jpeg"
            ),
            FormPart("notes", file="notes.txt"),
            FormPart(
                "inline",
                value=Text.of(' "q" \\ ;type=x '),
                filename="i.txt",
                type="text/plain; charset=utf-8",
            ),
            FormPart("typed", value=Text.of("v"), type="application/json"),
        ]
    )
    req = request(
        "POST", "/upload", [("Content-Type", "multipart/form-data; boundary=captured")], body
    )
    plan = plan_for(recorder, req, env=[EnvVar("API_TOKEN")])
    result, got = send(recorder, tmp_path, plan, {"API_TOKEN": "s3cr'et"})
    assert result.returncode == 0, result.stderr
    assert parse_multipart(got[0]) == [
        ("plain", None, None, b"@/etc/passwd;type=text/x,<x"),
        ("unicode", None, None, "caf\u00e9 $(touch PWNED)".encode()),
        ("token", None, None, b"k=s3cr'et"),
        ("photo", "me \\ \u00e9.jpg", b"image/jpeg", b"\xff\xd8\0jpeg"),
        ("notes", "notes.txt", b"text/plain", b"line\r\n"),
        ("inline", "i.txt", b"text/plain; charset=utf-8", b' "q" \\ ;type=x '),
        ("typed", None, b"application/json", b"v"),
    ]
    assert got[0].header("Expect") is None
    assert not (tmp_path / "PWNED").exists()


def test_big_multipart_file_has_no_expect(recorder: Recorder, tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(b"\0" * 1_100_000)
    req = request("POST", "/m", body=Multipart([FormPart("f", file="big.bin")]))
    got = sent_one(recorder, tmp_path, req)
    assert got.header("Expect") is None
    assert parse_multipart(got) == [
        ("f", "big.bin", b"application/octet-stream", b"\0" * 1_100_000)
    ]


def test_multipart_keeps_a_given_type_but_not_its_boundary(
    recorder: Recorder, tmp_path: Path
) -> None:
    body = Multipart([FormPart("a", value=Text.of("b"))])
    req = request(
        "POST", "/m", [("Content-Type", "multipart/form-data; charset=utf-8; boundary=zz")], body
    )
    got = sent_one(recorder, tmp_path, req)
    content_type = got.header("Content-Type") or b""
    assert content_type.startswith(b"multipart/form-data; charset=utf-8; boundary=")
    assert b"zz" not in content_type


@pytest.mark.parametrize(
    "part, message",
    [
        (FormPart("a=b", value=Text.of("x")), "containing '='"),
        (FormPart("a", value=Text.of(Var("T")), type="text/plain"), "cannot quote a variable"),
        (FormPart("a", value=Text.of("x\0y")), "NUL"),
        (FormPart("a", file="f", type="text/plain;filename=x"), "content type"),
        (FormPart("a", file="f", type="nonsense"), "content type"),
        (FormPart("a\r\nX: y", value=Text.of("x")), "line break"),
        (FormPart("a"), "neither"),
    ],
)
def test_multipart_that_curl_cannot_send(part: FormPart, message: str) -> None:
    plan = Plan([Step(Record(request("POST", "/", body=Multipart([part]))), "POST /")])
    with pytest.raises(EmitError, match=message):
        emit(plan)


# --- options ----------------------------------------------------------------------------


def redirecting(received: Received) -> tuple[int, list[tuple[str, str]], bytes]:
    if received.target == b"/start":
        return 302, [("Location", "/landed")], b""
    if received.target == b"/missing":
        return 404, [], b"not here"
    return 200, [], b"landed"


def test_follow_redirects(tmp_path: Path) -> None:
    server = Recorder(responder=redirecting).start()
    try:
        result, got = send(
            server, tmp_path, plan_for(server, request("GET", "/start", follow_redirects=True))
        )
        assert (result.returncode, result.stdout) == (0, b"landed")
        assert [r.target for r in got] == [b"/start", b"/landed"]
        result, got = send(server, tmp_path, plan_for(server, request("GET", "/start")))
        assert (result.returncode, [r.target for r in got]) == (0, [b"/start"])
        capped = request("GET", "/start", follow_redirects=True, max_redirects=0)
        result, got = send(server, tmp_path, plan_for(server, capped))
        assert result.returncode != 0
        assert [r.target for r in got] == [b"/start"]
    finally:
        server.stop()


def test_http_error_stops_the_script(tmp_path: Path) -> None:
    server = Recorder(responder=redirecting).start()
    try:
        plan = plan_for(server, request("GET", "/missing"), request("GET", "/never"))
        result, got = send(server, tmp_path, plan)
        assert result.returncode != 0
        assert result.stdout == b"not here"
        assert [r.target for r in got] == [b"/missing"]
    finally:
        server.stop()


def test_compressed_response_is_decoded(tmp_path: Path) -> None:
    server = Recorder(
        responder=lambda _: (200, [("Content-Encoding", "gzip")], gzip.compress(b"plain text"))
    ).start()
    try:
        result, got = send(
            server, tmp_path, plan_for(server, request("GET", "/z", compressed=True))
        )
        assert (result.returncode, result.stdout) == (0, b"plain text")
        assert b"gzip" in (got[0].header("Accept-Encoding") or b"")
    finally:
        server.stop()


def test_insecure_flag_is_emitted_and_runs(recorder: Recorder, tmp_path: Path) -> None:
    req = request("GET", "/k", insecure=True)
    assert "  --insecure \\\n" in emit(plan_for(recorder, req)).text
    assert sent_one(recorder, tmp_path, req).target == b"/k"


# --- script text ------------------------------------------------------------------------


def test_script_shape() -> None:
    recorder = Recorder()  # not started: only its origin is used
    text = emit(token_plan(recorder)).text
    assert text.startswith("#!/usr/bin/env bash\n# test plan\n")
    assert "\nset -euo pipefail\n" in text
    assert f"\nBASE_URL=${{BASE_URL:-{recorder.origin}}}\n" in text
    assert (
        '\n: "${API_TOKEN:?set API_TOKEN (API token; captured as header Authorization)}"\n' in text
    )
    assert "# Run: set -a; . ./.env; set +a; bash script.sh" in text
    assert (
        "\n\n# Step 2: POST 2\nstatus=$(curl -q -sS --fail-with-body --path-as-is --globoff" in text
    )
    assert "--connect-timeout 30 --max-time 300 \\\n" in text
    assert text.count("status=$(curl ") == 2
    assert emit(token_plan(recorder)).text == text


def test_captured_text_in_comments_stays_comment(recorder: Recorder, tmp_path: Path) -> None:
    evil = "x\ntouch PWNED\r\u202e $(touch PWNED) `touch PWNED` it's"
    steps = [
        Step(Record(request("GET", "/a")), evil, notes=[evil]),
        Step(Record(request("GET", "/ws")), "GET /ws", skip=evil),
    ]
    env = [EnvVar("BASE_URL", evil, default=recorder.origin + "/"), EnvVar("K", evil, value="v")]
    plan = Plan(steps, env=env, header=[evil], redacted=False)
    text = emit(plan).text
    # outside comments, the title is only in the quoted message naming the step
    where = message_word(f"step 1 ({evil})")
    assert "\n" not in where
    pwned = [line for line in text.splitlines() if "PWNED" in line]
    assert all(line.startswith("#") or line.endswith(f"failed {where} $? ''") for line in pwned)
    assert "Secrets are written into this script (--no-redact)" in text
    result, got = send(recorder, tmp_path, plan)
    assert result.returncode == 0, result.stderr
    assert [r.target for r in got] == [b"//a"]
    assert not (tmp_path / "PWNED").exists()


def test_quote_in_description_keeps_the_check_working(recorder: Recorder, tmp_path: Path) -> None:
    req = request("GET", "/", [("X-K", Text.of(Var("K")))])
    plan = plan_for(recorder, req, env=[EnvVar("K", 'it\'s "${x}" $(touch PWNED) }')])
    result, got = send(recorder, tmp_path, plan)
    assert (result.returncode != 0, got) == (True, [])
    assert b"set K (its x (touch PWNED))" in result.stderr
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize(
    "req, message",
    [
        (request("GET", "/", [("X-A", "a\r\nInjected: 1")]), "line break"),
        (request("GET", "/", [("X-A", "a\nb")]), "line break"),
        (request("GET", "/", [("X-A", "a\0b")]), "NUL"),
        (request("GET", "/", [("X-A", " \x0b")]), "vertical white space"),
        (request("GET", "/", [("Bad Name", "v")]), "not a valid header name"),
        (request("GET", "/", omit_headers=["Bad:Name"]), "not a valid header name"),
        (request("GET", "/a b"), "space or control"),
        (request("GET", "/a\tb"), "space or control"),
        (request("GET /x HTTP/1.1\r\n", "/"), "not a valid HTTP method"),
        (request("GET", "/", [("X-A", Text.of(Var("ID", "extracted")))]), "'extracted'"),
        (request("GET", "/", [("X-A", Text.of(Var("B64")))]), "only a body"),
        (request("GET", "/", [("X-A", Text.of(Var("A;B")))]), "not a valid environment"),
    ],
)
def test_what_curl_cannot_send_is_an_error(req: Request, message: str) -> None:
    plan = Plan([Step(Record(req), "GET /")], env=[EnvVar("B64", base64=True)])
    with pytest.raises(EmitError, match=message):
        emit(plan)
