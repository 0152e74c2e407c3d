"""The .http emitter, run by the real httpyac (package.json) against the loopback recorder.

httpyac takes about half a second to start, so property tests put many requests into one
.http file per example and keep example counts small.
"""

from __future__ import annotations

import base64
import json
import shlex
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture2code.emit import EmitError, Emitted
from capture2code.emit.http import HTTPYAC_VERSION, emit, js_string, sent_target
from capture2code.plan import EnvVar, Plan, Step
from capture2code.record import FormPart, Multipart, Record, Request
from capture2code.template import Text, Var
from tests.recorder import Received, Recorder
from tests.runners.http import HTTPYAC, ROOT, run

BASE = Var("BASE_URL")
PWN = "{{ require('fs').writeFileSync('PWNED', '') }}"
# Captured text httpyac would act on if it were written as it is.
TRAPS = [
    PWN,
    "{{ process.exit(1) }}",
    "{{$processEnv PATH}}",
    "{{< /etc/hostname}}",
    "{{BASE_URL}}",
    "\\{\\{a\\}\\}",
    "{{",
    "}}",
    "$(touch PWNED)",
    "`touch PWNED`",
]
PROPERTY = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def make_plan(origin: str, requests: list[Request], env: tuple[EnvVar, ...] = ()) -> Plan:
    steps = [Step(Record(r), f"{r.method} step") for r in requests]
    return Plan(steps, env=[EnvVar("BASE_URL", "where to send", default=origin), *env])


def replay(
    recorder: Recorder,
    plan: Plan | list[Request],
    env: dict[str, str] | None = None,
    files: dict[str, bytes] | None = None,
    ok: bool = True,
) -> tuple[Emitted, subprocess.CompletedProcess[bytes], list[Received]]:
    """Emit, run with httpyac in a fresh directory, and return what the recorder got."""
    recorder.take()
    if not isinstance(plan, Plan):
        plan = make_plan(recorder.origin, plan)
    emitted = emit(plan)
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in (files or {}).items():
            (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / name).write_bytes(data)
        result = run(emitted, env or {}, Path(tmp))
        assert not (Path(tmp) / "PWNED").exists(), "captured text was executed"
    if ok:
        assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    return emitted, result, recorder.take()


def values(received: Received, name: str) -> list[bytes]:
    return [value for key, value in received.headers if key.lower() == name.lower().encode()]


def wire(text: Text, env: dict[str, str]) -> bytes:
    return b"".join(
        env[p.name].encode() if isinstance(p, Var) else Text.of(p).literal_bytes() for p in text
    )


def blocks(emitted: Emitted) -> list[str]:
    """The text of each step (after the `###` separators)."""
    return emitted.text.split("\n###\n")[1:]


# --- escaping, through the real runtimes --------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=())), max_size=30))
def test_js_string_round_trips_through_node(strings: list[str]) -> None:
    literals = [js_string(s) for s in strings]
    for literal in literals:
        assert literal.isascii() and literal.isprintable() and not set("{}<>") & set(literal)
    script = f"process.stdout.write(JSON.stringify([{', '.join(literals)}]))"
    out = subprocess.run(["node", "-e", script], capture_output=True, check=True).stdout
    assert json.loads(out) == strings


PATH_CHARS = [chr(c) for c in range(0x21, 0x7F) if chr(c) not in "?#%"] + list("é☃\u2028😀")
QUERY_CHARS = [chr(c) for c in range(0x21, 0x7F) if chr(c) not in "#%"] + list("é☃")
segments = st.one_of(
    st.text(PATH_CHARS, max_size=6),
    st.sampled_from([".", "..", "%2e", "%2E%2e", "", "%41", "%C3%A9", "%7c", "{{x}}"]),
)
queries = st.one_of(
    st.text(QUERY_CHARS, max_size=8),
    # Request targets hold no blanks: the traps without them.
    st.sampled_from([*(t.replace(" ", "") for t in TRAPS), "%25", "%7b%7B", "a=1&b=2", "?"]),
)
targets = st.builds(
    lambda path, query: "/" + "/".join(path) + query,
    st.lists(segments, min_size=1, max_size=5),
    st.one_of(st.just(""), st.lists(queries, max_size=4).map(lambda q: "?" + "".join(q))),
)


@PROPERTY
@given(st.lists(targets, min_size=1, max_size=10))
def test_url_targets_are_sent_exactly_or_noted(recorder: Recorder, batch: list[str]) -> None:
    requests = [Request("GET", Text.of(BASE, target)) for target in batch]
    emitted, _, received = replay(recorder, requests)
    # What httpyac sends is predicted exactly, and said in a note whenever it differs.
    predicted = [sent_target(request.url, "") for request in requests]
    assert [r.target for r in received] == [target.encode() for target in predicted]
    for target, sent, block in zip(batch, predicted, blocks(emitted), strict=True):
        assert ("httpyac sends the target" in block) == (sent != target)


TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
header_names = st.one_of(
    st.sampled_from(["Authorization", "Cookie", "X-ClientCert", "x-Token"]),
    st.text(TOKEN_CHARS, min_size=1, max_size=8).map(lambda name: "X-" + name),
)
header_values = st.lists(
    st.one_of(
        st.text(
            st.characters(
                min_codepoint=0x20, blacklist_characters="\x7f", blacklist_categories=("Cs",)
            ),
            max_size=10,
        ),
        st.sampled_from(
            [*TRAPS, ",", " ", "\t", "é", "\udcff", "Basic a:b", "Digest u p", "aws a b", "oauth2"]
        ),
    ),
    max_size=4,
).map("".join)


@PROPERTY
@given(
    st.lists(
        st.lists(
            st.tuples(header_names, header_values),
            min_size=1,
            max_size=3,
            unique_by=lambda h: h[0].lower(),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_header_values_are_sent_exactly(
    recorder: Recorder, batch: list[list[tuple[str, str]]]
) -> None:
    requests = [
        Request("GET", Text.of(BASE, "/h"), [(name, Text.of(value)) for name, value in headers])
        for headers in batch
    ]
    _, _, received = replay(recorder, requests)
    assert len(received) == len(batch)
    for headers, got in zip(batch, received, strict=True):
        for name, value in headers:
            # The recorder, like HTTP, does not count blanks before a value.
            expected = value.encode("utf-8", "surrogateescape").lstrip(b" \t")
            assert values(got, name) == [expected]


BODY_TRAPS = [
    t.encode()
    for t in [
        *TRAPS,
        "# x",
        "// c",
        "/*",
        "@a = b",
        "< ./x",
        "<> x",
        "> {% x %}",
        ">> out",
        "GET /x HTTP/1.1",
        "MQTT x",
        "HTTP/1.1 200",
        "?? status == 200",
        "###",
        "a===",
        "<--->",
        "query=1",
        "mutation",
        "\n",
        "\r\n",
        "\r",
        "  ",
        "\x00",
        "\ufeff",
        "a=1&b=2",
        " = ",
        "é",
    ]
] + [b"\xff", b"\xc3"]
# Text in lines, some starting like .http syntax (the lines httpyac could misread).
LINE_STARTS = [
    "# ",
    "## x",
    "###",
    "// ",
    "/*",
    "@a = b",
    "< ./x",
    "<> x",
    "<@ x",
    "> {% x %}",
    ">> x",
    "{{",
    "{{x}}",
    "}}",
    "GET /x",
    "POST http://h",
    "MQTT x",
    "WS 1000",
    "HTTP/1.1 200",
    "?? status",
    "query",
    "mutation",
    "fragment A on B",
    "gql x < y",
    "proto < x",
    " ",
    "\t",
    "a=1 & b = 2",
    "x===",
    "<--->",
    "\ufeff#",
    "%",
    "\u2028",
]
line_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=8
)
text_bodies = st.lists(
    st.builds(str.__add__, st.one_of(st.sampled_from(LINE_STARTS), line_text), line_text),
    min_size=1,
    max_size=5,
).map(lambda lines: "\n".join(lines).encode())
byte_soup = st.lists(
    st.one_of(
        st.binary(max_size=12), st.text(max_size=12).map(str.encode), st.sampled_from(BODY_TRAPS)
    ),
    max_size=8,
).map(b"".join)
bodies = st.one_of(text_bodies, byte_soup)
CONTENT_TYPES = [
    None,
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/x-ndjson",
    "multipart/form-data; boundary=x",
    "multipart/mixed; boundary=x",
    "text/markdown",
]


@PROPERTY
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["POST", "PUT", "GET", "PURGE"]), st.sampled_from(CONTENT_TYPES), bodies
        ),
        min_size=1,
        max_size=10,
    )
)
def test_bodies_are_sent_exactly(
    recorder: Recorder, batch: list[tuple[str, str | None, bytes]]
) -> None:
    requests = [
        Request(
            method,
            Text.of(BASE, "/b"),
            [] if ctype is None else [("Content-Type", Text.of(ctype))],
            Text.of(body),
        )
        for method, ctype, body in batch
    ]
    _, _, received = replay(recorder, requests)
    assert [(r.method, r.body) for r in received] == [(m, body) for m, _, body in batch]


var_values = st.text(
    st.characters(
        min_codepoint=0x20, blacklist_characters="{}\\\x7f", blacklist_categories=("Cs",)
    ),
    max_size=8,
).map(lambda s: s + "é")


@PROPERTY
@given(
    st.lists(
        st.tuples(
            st.sampled_from(CONTENT_TYPES[:4]),
            st.lists(st.one_of(bodies, st.sampled_from([Var("ONE"), Var("TWO")])), max_size=5),
        ),
        min_size=1,
        max_size=8,
    ),
    var_values,
    var_values,
)
def test_bodies_with_variables_are_sent_exactly(
    recorder: Recorder, batch: list[tuple[str | None, list[bytes | Var]]], one: str, two: str
) -> None:
    env = {"ONE": one, "TWO": two}
    texts = [Text.of(*pieces) for _, pieces in batch]
    requests = [
        Request("POST", Text.of(BASE, "/v"), [] if c is None else [("Content-Type", Text.of(c))], t)
        for (c, _), t in zip(batch, texts, strict=True)
    ]
    plan = make_plan(recorder.origin, requests, (EnvVar("ONE"), EnvVar("TWO")))
    _, _, received = replay(recorder, plan, env)
    assert [r.body for r in received] == [wire(t, env) for t in texts]


def test_captured_template_text_is_sent_as_data(recorder: Recorder) -> None:
    trap = "".join(TRAPS)
    requests = [
        Request(
            "POST",
            Text.of(BASE, "/t?q=" + trap.replace(" ", "")),
            [("X-Trap", Text.of(trap)), ("Content-Type", Text.of("application/json"))],
            Text.of(f'{{"a": "{trap}"}}'.encode()),
        ),
        Request("POST", Text.of(BASE, "/t"), [], Text.of(trap.encode())),
        Request(
            "POST",
            Text.of(BASE, "/t"),
            [("Content-Type", Text.of("application/x-www-form-urlencoded"))],
            Text.of(f"a={trap}".encode()),
        ),
    ]
    emitted, _, received = replay(recorder, requests)
    assert received[0].target == sent_target(requests[0].url, "").encode()
    assert values(received[0], "x-trap") == [trap.encode()]
    assert [r.body for r in received] == [requests[i].body.literal_bytes() for i in range(3)]
    assert "process.exit(1) }}" not in emitted.text  # never written where httpyac evaluates


# --- the file ------------------------------------------------------------------------------


def rancher_plan(origin: str) -> Plan:
    request = Request(
        "POST",
        Text.of(BASE, "/v3/clusters?_replace=true"),
        [
            ("Content-Type", Text.of("application/json")),
            ("Cookie", Text.of("R_SESS=", Var("TOKEN"))),
        ],
        Text.of(b'{"name":"demo"}'),
    )
    return Plan(
        [Step(Record(request), "POST /v3/clusters", notes=["a note"])],
        env=[
            EnvVar("BASE_URL", "where to send", default=origin),
            EnvVar("TOKEN", "API token; captured as cookie R_SESS"),
        ],
        header=["Converted from: curl"],
    )


def test_file_shape(recorder: Recorder) -> None:
    emitted, _, received = replay(recorder, rancher_plan(recorder.origin), {"TOKEN": "t0k"})
    text = emitted.text
    assert text.startswith("# capture2code: 1 request(s)")
    assert "# Converted from: curl\n" in text
    assert f"npx httpyac@{HTTPYAC_VERSION} send replay.http --all --bail --var TOKEN=..." in text
    assert "#   TOKEN: API token; captured as cookie R_SESS (required)\n" in text
    assert f"#   BASE_URL: where to send (default: {recorder.origin})\n" in text
    step = blocks(emitted)[0]
    assert step.startswith("# Step 1: POST /v3/clusters\n# note: a note\n")
    assert "\nPOST {{BASE_URL}}/v3/clusters?_replace=true\n" in step
    assert "\nCookie: R_SESS={{TOKEN}}\n" in step
    assert '\n\n{"name":"demo"}\n' in step
    assert emitted.files == {}
    assert received[0].body == b'{"name":"demo"}'
    assert values(received[0], "cookie") == [b"R_SESS=t0k"]
    assert emit(rancher_plan(recorder.origin)) == emitted  # deterministic


def test_the_command_line_in_the_header_runs_it(recorder: Recorder, tmp_path: Path) -> None:
    emitted = emit(rancher_plan(recorder.origin))
    line = next(line for line in emitted.text.splitlines() if "npx httpyac@" in line)
    argv = shlex.split(line.removeprefix("#").replace("=...", "=from-cli"))
    assert argv[:2] == ["npx", f"httpyac@{HTTPYAC_VERSION}"]
    (tmp_path / "replay.http").write_text(emitted.text)
    result = subprocess.run(
        [str(HTTPYAC), *argv[2:]], cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, capture_output=True
    )
    assert result.returncode == 0, result.stdout
    assert values(recorder.take()[0], "cookie") == [b"R_SESS=from-cli"]


def test_no_redact_is_said(recorder: Recorder) -> None:
    plan = make_plan(recorder.origin, [Request("GET", Text.of(BASE, "/"))])
    plan.redacted = False
    assert "--no-redact" in emit(plan).text.split("\n###\n")[0]


def test_side_files_are_named_by_step_and_sent_byte_exact(recorder: Recorder) -> None:
    binary = bytes(range(256)) + b"\r\n\n"
    requests = [
        Request("POST", Text.of(BASE, "/a"), [], Text.of(b"inline")),
        Request("POST", Text.of(BASE, "/b"), [], Text.of(binary)),
    ]
    emitted, _, received = replay(recorder, requests)
    assert emitted.files == {"replay.step2.body": binary}
    assert "\n< ./replay.step2.body\n" in blocks(emitted)[1]
    assert [r.body for r in received] == [b"inline", binary]


def test_skipped_steps_are_comments(recorder: Recorder) -> None:
    plan = make_plan(
        recorder.origin, [Request("GET", Text.of(BASE, "/1")), Request("GET", Text.of(BASE, "/2"))]
    )
    plan.steps[0].skip = "a websocket"
    emitted, _, received = replay(recorder, plan)
    assert "# skipped: a websocket" in blocks(emitted)[0]
    assert [r.target for r in received] == [b"/2"]


# --- variables -----------------------------------------------------------------------------


def test_required_variable_unset_stops_before_any_request(recorder: Recorder) -> None:
    requests = [
        Request("GET", Text.of(BASE, "/first")),
        Request("GET", Text.of(BASE, "/later"), [("X-Key", Text.of(Var("API_KEY")))]),
    ]
    _, result, received = replay(recorder, requests, ok=False)
    assert result.returncode != 0
    assert b"API_KEY" in result.stderr
    assert received == []


def test_variables_are_sent_in_url_header_and_body(recorder: Recorder) -> None:
    request = Request(
        "PUT",
        Text.of(BASE, "/items/", Var("ID"), "?key=", Var("KEY")),
        [("Authorization", Text.of("Bearer ", Var("TOKEN")))],
        Text.of(b'{"password":"', Var("PASSWORD"), b'"}'),
    )
    env = {"ID": "42", "KEY": "k&v", "TOKEN": "abc.def", "PASSWORD": 'p"w$(x)`y`'}
    emitted, _, received = replay(recorder, [request], env)
    assert "Authorization: Bearer {{TOKEN}}" in emitted.text
    assert received[0].target == b"/items/42?key=k&v"
    assert values(received[0], "authorization") == [b"Bearer abc.def"]
    assert received[0].body == b'{"password":"p"w$(x)`y`"}'


def test_variable_sources_in_the_order_the_header_gives(recorder: Recorder, tmp_path: Path) -> None:
    request = Request("GET", Text.of(BASE, "/x?t=", Var("TOKEN")))
    emitted = emit(make_plan(recorder.origin, [request]))
    (tmp_path / ".env").write_text("TOKEN=dotenv\n")
    (tmp_path / "http-client.private.env.json").write_text('{"dev": {"TOKEN": "envjson"}}')
    assert run(emitted, {}, tmp_path).returncode == 0
    assert run(emitted, {"TOKEN": "environment"}, tmp_path).returncode == 0
    (tmp_path / ".env").unlink()
    with_env = [str(HTTPYAC), "send", "replay.http", "--all", "--env", "dev"]
    subprocess.run(with_env, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, check=True)
    assert [r.target for r in recorder.take()] == [
        b"/x?t=dotenv",
        b"/x?t=environment",
        b"/x?t=envjson",
    ]


def test_base64_variable_is_decoded(recorder: Recorder) -> None:
    request = Request("POST", Text.of(BASE, "/b"), [], Text.of(b"[", Var("BLOB"), b"]"))
    plan = make_plan(recorder.origin, [request], (EnvVar("BLOB", "with NUL", base64=True),))
    assert "BLOB_B64" in emit(plan).text
    env = {"BLOB_B64": base64.b64encode("a\0é".encode()).decode()}
    _, _, received = replay(recorder, plan, env)
    assert received[0].body == "[a\0é]".encode()


def test_base_url_override_redirects_the_requests(recorder: Recorder) -> None:
    other = Recorder().start()
    try:
        _, _, received = replay(
            recorder, [Request("GET", Text.of(BASE, "/x"))], {"BASE_URL": other.origin}
        )
        assert received == []
        assert [r.target for r in other.take()] == [b"/x"]
    finally:
        other.stop()


def test_variable_value_httpyac_would_evaluate_is_refused(recorder: Recorder) -> None:
    request = Request("GET", Text.of(BASE, "/x"), [("X-T", Text.of(Var("TOKEN")))])
    _, result, received = replay(recorder, [request], {"TOKEN": PWN}, ok=False)
    assert result.returncode == 2
    assert b"TOKEN" in result.stderr
    assert received == []


def test_non_ascii_variable_in_a_header_is_sent_as_utf8(recorder: Recorder) -> None:
    header = Request("GET", Text.of(BASE, "/x"), [("X-T", Text.of(Var("TOKEN")))])
    _, _, received = replay(recorder, [header], {"TOKEN": "café ☃"})
    assert values(received[0], "x-t") == ["café ☃".encode()]
    both = Request("GET", Text.of(BASE, "/", Var("TOKEN")), [("X-T", Text.of(Var("TOKEN")))])
    _, result, received = replay(recorder, [both], {"TOKEN": "café"}, ok=False)
    assert result.returncode == 2 and received == []


# --- requests and options ------------------------------------------------------------------


def test_methods(recorder: Recorder) -> None:
    recorder.responder = lambda _: (200, [], b"")  # no body: a HEAD response must not have one
    requests = [
        Request("HEAD", Text.of(BASE, "/0")),
        Request("PURGE", Text.of(BASE, "/1")),
        Request("M-SEARCH", Text.of(BASE, "/2")),
        Request("GET", Text.of(BASE, "/3"), [], Text.of(b"get body")),
        Request("DELETE", Text.of(BASE, "/4")),
        Request("patch", Text.of(BASE, "/5"), [], Text.of(b"x")),
        Request("POST", Text.of(BASE, "/6")),
    ]
    emitted, _, received = replay(recorder, requests)
    assert [(r.method, r.body) for r in received] == [
        ("HEAD", b""),
        ("PURGE", b""),
        ("M-SEARCH", b""),
        ("GET", b"get body"),
        ("DELETE", b""),
        ("PATCH", b"x"),
        ("POST", b""),
    ]
    notes = blocks(emitted)
    assert "upper case: PATCH" in notes[5]
    assert "Content-Length: 0 to a POST" in notes[6]
    assert "Content-Length" not in notes[4]


def test_repeated_headers_keep_their_values_in_order(recorder: Recorder) -> None:
    plain = [("X-A", Text.of("1")), ("x-a", Text.of("2")), ("X-A", Text.of("3"))]
    mixed = [("X-B", Text.of("1")), ("X-B", Text.of("two,")), ("X-B", Text.of(""))]
    requests = [
        Request("GET", Text.of(BASE, "/"), plain),
        Request("GET", Text.of(BASE, "/"), mixed),
    ]
    _, _, received = replay(recorder, requests)
    assert values(received[0], "x-a") == [b"1", b"2", b"3"]
    assert values(received[1], "x-b") == [b"1", b"two,", b""]


def test_client_headers_given_or_omitted(recorder: Recorder) -> None:
    given = [("User-Agent", Text.of("curl/7.88.1")), ("Accept", Text.of("application/json"))]
    omit = ["User-Agent", "Accept", "Accept-Encoding", "Connection"]
    requests = [
        Request("GET", Text.of(BASE, "/given"), given),
        Request("GET", Text.of(BASE, "/omit"), [], options={"omit_headers": omit}),
    ]
    emitted, _, received = replay(recorder, requests)
    assert values(received[0], "user-agent") == [b"curl/7.88.1"]
    assert values(received[0], "accept") == [b"application/json"]
    for name in ["user-agent", "accept", "accept-encoding"]:
        assert values(received[1], name) == []
    assert "sends a Connection header" in blocks(emitted)[1]


def test_empty_headers_are_sent_empty(recorder: Recorder) -> None:
    empty = [("X-Empty", Text.of("")), ("Accept", Text.of("")), ("User-Agent", Text.of(""))]
    _, _, received = replay(recorder, [Request("GET", Text.of(BASE, "/"), empty)])
    for name, _ in empty:
        assert values(received[0], name) == [b""]


def redirecting(received: Received) -> tuple[int, list[tuple[str, str]], bytes]:
    if received.target == b"/landed":
        return 200, [], b"ok"
    return 302, [("Location", "/landed" if received.target == b"/start" else "/loop")], b""


def test_redirects_followed_only_when_captured(recorder: Recorder) -> None:
    recorder.responder = redirecting
    requests = [
        Request("GET", Text.of(BASE, "/start"), options={"follow_redirects": True}),
        Request("GET", Text.of(BASE, "/start")),
    ]
    emitted, _, received = replay(recorder, requests)
    assert [r.target for r in received] == [b"/start", b"/landed", b"/start"]
    assert "# @no-redirect" not in blocks(emitted)[0]
    assert "# @no-redirect" in blocks(emitted)[1]


def test_max_redirects(recorder: Recorder) -> None:
    recorder.responder = redirecting
    request = Request(
        "GET", Text.of(BASE, "/loop"), options={"follow_redirects": True, "max_redirects": 2}
    )
    _, result, received = replay(recorder, [request], ok=False)
    assert result.returncode != 0
    assert len(received) == 3


def test_http_error_fails_and_stops(recorder: Recorder) -> None:
    def fail(received: Received) -> tuple[int, list[tuple[str, str]], bytes]:
        return (500 if received.target == b"/fail" else 200), [], b""

    recorder.responder = fail
    requests = [Request("GET", Text.of(BASE, path)) for path in ["/ok", "/fail", "/after"]]
    _, result, received = replay(recorder, requests, ok=False)
    assert result.returncode != 0
    assert [r.target for r in received] == [b"/ok", b"/fail"]


@pytest.fixture
def tls_origin(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """An HTTPS server with a self-signed certificate, and the paths it was asked for."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=x"],
        check=True,
        capture_output=True,
    )
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def test_insecure_skips_certificate_checks(
    tls_origin: tuple[str, list[str]], tmp_path: Path
) -> None:
    origin, hits = tls_origin
    for insecure in (True, False):
        request = Request("GET", Text.of(BASE, f"/{insecure}"), options={"insecure": insecure})
        emitted = emit(make_plan(origin, [request]))
        assert ("# @no-reject-unauthorized" in emitted.text) == insecure
        result = run(emitted, {}, tmp_path)
        assert (result.returncode == 0) == insecure
    assert hits == ["/True"]


# --- multipart -----------------------------------------------------------------------------


def parts_of(received: Received) -> list[tuple[bytes, bytes]]:
    """(part headers, content) of a multipart/form-data body, boundary from its header."""
    ctype = values(received, "content-type")[0]
    boundary = b"--" + ctype.split(b"boundary=")[1]
    sections = received.body.split(boundary)
    assert sections[0] == b"" and sections[-1].startswith(b"--")
    out = []
    for section in sections[1:-1]:
        head, _, content = section.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        assert content.endswith(b"\r\n")
        out.append((head, content[:-2]))
    return out


def test_multipart_values_and_files(recorder: Recorder) -> None:
    parts = [
        FormPart("plain", value=Text.of(b"value")),
        FormPart("lines", value=Text.of(b"# one\r\ntwo\n")),
        FormPart("empty", value=Text.of(b"")),
        FormPart("secret", value=Text.of(b"pw=", Var("PW"))),
        FormPart("upload", file="files/data.bin", filename="d.bin", type="application/x-thing"),
        FormPart("default", file="files/data.bin"),
        FormPart('q"uote', value=Text.of(PWN.encode())),
    ]
    request = Request("POST", Text.of(BASE, "/upload"), [], Multipart(parts))
    plan = make_plan(recorder.origin, [request], (EnvVar("PW"),))
    data = b"\x00\xffbinary\r\n"
    emitted, _, received = replay(recorder, plan, {"PW": "s3cret"}, {"files/data.bin": data})
    assert "\n< ./files/data.bin\n" in emitted.text
    assert parts_of(received[0]) == [
        (b'Content-Disposition: form-data; name="plain"', b"value"),
        (b'Content-Disposition: form-data; name="lines"', b"# one\r\ntwo\n"),
        (b'Content-Disposition: form-data; name="empty"', b""),
        (b'Content-Disposition: form-data; name="secret"', b"pw=s3cret"),
        (
            b'Content-Disposition: form-data; name="upload"; filename="d.bin"\r\n'
            b"Content-Type: application/x-thing",
            data,
        ),
        (b'Content-Disposition: form-data; name="default"; filename="data.bin"', data),
        (b'Content-Disposition: form-data; name="q%22uote"', PWN.encode()),
    ]


def test_multipart_that_lines_cannot_hold_is_one_expression(recorder: Recorder) -> None:
    parts = [
        FormPart(PWN, value=Text.of(b"a\r\n", Var("PW"), b"\n")),
        FormPart("f", file="{{x}}.txt", filename=PWN),
        FormPart("n\udcff", value=Text.of(b"v")),
    ]
    request = Request("POST", Text.of(BASE, "/upload"), [], Multipart(parts))
    plan = make_plan(recorder.origin, [request], (EnvVar("PW"),))
    emitted, _, received = replay(recorder, plan, {"PW": "pw"}, {"{{x}}.txt": b"file"})
    assert "Buffer.concat" in emitted.text
    name = PWN.replace('"', "%22").encode()
    assert parts_of(received[0]) == [
        (b'Content-Disposition: form-data; name="' + name + b'"', b"a\r\npw\n"),
        (b'Content-Disposition: form-data; name="f"; filename="' + name + b'"', b"file"),
        (b'Content-Disposition: form-data; name="n\xff"', b"v"),
    ]


def test_missing_multipart_file_stops_before_any_request(recorder: Recorder) -> None:
    parts = [FormPart("f", file="absent.txt")]
    requests = [
        Request("GET", Text.of(BASE, "/first")),
        Request("POST", Text.of(BASE, "/upload"), [], Multipart(parts)),
    ]
    _, result, received = replay(recorder, requests, ok=False)
    assert result.returncode == 2
    assert b"absent.txt" in result.stderr
    assert received == []


# --- what .http cannot say -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (Request("GET", Text.of(BASE, "/"), [("X-A", Text.of("a\nb"))]), "header X-A"),
        (Request("GET", Text.of(BASE, "/"), [("X-A", Text.of("a\rb"))]), "header X-A"),
        (Request("GET", Text.of(BASE, "/"), [("X-A", Text.of("a\0b"))]), "header X-A"),
        (Request("GET", Text.of(BASE, "/"), [("X-A", Text.of("a\x1bb"))]), "header X-A"),
        (Request("GET", Text.of(BASE, "/"), [("X A", Text.of("a"))]), "header name"),
        (Request("GET", Text.of(BASE, "/a b")), "cannot be sent"),
        (Request("GET", Text.of(BASE, "/%zz")), "not UTF-8"),
        (Request("GET", Text.of(BASE, "/%e2%98")), "not UTF-8"),
        (Request("GET", Text.of(BASE, "/caf%E9")), "not UTF-8"),
        (Request("GET", Text.of(BASE, "/caf\udce9")), "not UTF-8"),
        (Request("GET", Text.of(BASE, "/", Var("ID", "extracted"))), "extracted variable ID"),
        (Request("GET", Text.of(BASE, "/", Var("request"))), "'request'"),
        (Request("GE T", Text.of(BASE, "/")), "HTTP method"),
        (Request("HEAD", Text.of(BASE, "/"), [], Text.of(b"x")), "HEAD with a body"),
    ],
)
def test_what_http_cannot_express_is_an_error(request_: Request, message: str) -> None:
    plan = Plan([Step(Record(request_), "GET /things")])
    with pytest.raises(EmitError, match="step 1 \\(GET /things\\)") as error:
        emit(plan)
    assert message in str(error.value)


def test_package_json_pins_the_httpyac_the_emitter_knows() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["httpyac"]
    installed = json.loads((ROOT / "node_modules/httpyac/package.json").read_text())["version"]
    assert pinned == installed == HTTPYAC_VERSION
