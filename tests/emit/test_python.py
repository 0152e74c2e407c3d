"""The Python emitter, tested by running the scripts it writes against the loopback recorder.

Expected requests come from the test's own Records (the bytes they say to send) or from
real curl 7.88.1 sending the same command to the same recorder.
"""

from __future__ import annotations

import base64
import json
import pickle
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import black
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from capture2code.emit import EmitError
from capture2code.emit.python import _join, emit, format_generated, python_literal, script_blocks
from capture2code.plan import EnvVar, Param, Plan, Step
from capture2code.record import FormPart, Multipart, Record, Request
from capture2code.template import Text, Var
from tests.emit.test_python_provision import provisioning_plans
from tests.recorder import Received, Recorder
from tests.runners.python import run

# Each example writes and runs a script: keep counts moderate.
RUNS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CLIENT_DEFAULTS = {b"host", b"user-agent", b"accept", b"accept-encoding", b"connection"}
PWNED = "PWNED"
# Captured text that would run code if it ever left a literal.
HOSTILE = [
    '"); open("PWNED", "w")  #',
    "'); open('PWNED', 'w')  #",
    '"""); open("PWNED", "w")  #',
    "\\",
    "\\'",
    '\\"',
    "\n__import__('pathlib').Path('PWNED').touch()\n",
    "$(touch PWNED)",
    "`touch PWNED`",
    "{{PWNED}}",
    "{0}{1}%s%(x)s",
    "\x00\r\n\x85\u2028\u2029\x0c\x0b\ufeff\u202e",
    "# -*- coding: latin-1 -*-",
]


def at(path: str) -> Text:
    return Text.of(Var("BASE_URL"), path)


def make_plan(to: Recorder | None, *requests: Request, env: tuple[EnvVar, ...] = (), **kw) -> Plan:
    """A plan whose BASE_URL defaults to the recorder `to` (None: a plan only emitted)."""
    steps = [Step(Record(request), f"{request.method} step") for request in requests]
    origin = to.origin if to is not None else "http://127.0.0.1:9"
    base = EnvVar("BASE_URL", "where to send the requests", default=origin)
    return Plan(steps, env=[base, *env], **kw)


def replay(
    plan: Plan, recorder: Recorder, cwd: Path, env: dict[str, str] | None = None
) -> list[Received]:
    result = run(emit(plan), env or {}, cwd)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return recorder.take()


def given_headers(received: Received) -> list[tuple[bytes, bytes]]:
    """The headers a client sends only when told to."""
    skip = CLIENT_DEFAULTS | {b"content-length"}
    return [(name, value) for name, value in received.headers if name.lower() not in skip]


def wire_headers(request: Request) -> list[tuple[bytes, bytes]]:
    """What `request` says to send, as the recorder reads it (leading blanks dropped)."""
    return [
        (name.encode(), value.literal_bytes().lstrip(b" \t"))
        for name, value in request.headers
        if name.lower().encode() not in CLIENT_DEFAULTS | {b"content-length"}
    ]


def parts_of(received: Received) -> list[tuple[bytes, bytes | None, bytes | None, bytes]]:
    """The parts of a multipart body: name, filename, content type, data."""
    content_type = received.header("content-type") or b""
    boundary = b"--" + content_type.split(b"boundary=")[1].strip(b'"')
    assert received.body.endswith(boundary + b"--\r\n")
    parts = []
    for chunk in received.body.split(boundary)[1:-1]:
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n"))
        fields = {name.lower(): value for name, value in fields.items()}
        disposition = fields[b"content-disposition"]
        name = re.search(rb'; name="([^"]*)"', disposition)
        filename = re.search(rb'; filename="([^"]*)"', disposition)
        parts.append(
            (
                name.group(1) if name else b"",
                filename.group(1) if filename else None,
                fields.get(b"content-type"),
                data.removesuffix(b"\r\n"),
            )
        )
    return parts


# --- python_literal -----------------------------------------------------------------------

# Text with lone surrogates (surrogateescape'd bytes) and the characters that end lines or
# change how source reads, besides whatever hypothesis picks.
texts = st.text(
    st.one_of(
        st.characters(),
        st.characters(categories=["Cs"]),
        st.sampled_from("\"'\\\n\r\x00\x85\u2028\u2029\x0b\x0c\ufeff\u202e{}$`%#"),
    )
)
literals = st.lists(
    st.one_of(texts, st.binary(), st.sampled_from(HOSTILE)), min_size=1, max_size=40
)

_LOAD_VALUES = """
import pickle, sys
values = []
for path in sys.argv[1:]:
    scope = {}
    exec(open(path, encoding="utf-8").read(), scope)
    values.append(scope["VALUES"])
sys.stdout.buffer.write(pickle.dumps(values))
"""


@settings(max_examples=40, deadline=None)
@given(literals)
def test_python_literal_round_trips_through_the_interpreter_and_black(values):
    source = "VALUES = [\n" + "".join(f"    {python_literal(v)},\n" for v in values) + "]\n"
    formatted = black.format_str(source, mode=black.Mode(line_length=100))
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp, "plain.py"), Path(tmp, "black.py")]
        paths[0].write_text(source, encoding="utf-8")
        paths[1].write_text(formatted, encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-I", "-c", _LOAD_VALUES, *map(str, paths)],
            capture_output=True,
            check=True,
        )
    assert pickle.loads(result.stdout) == [values, values]


@given(st.one_of(texts, st.binary()))
def test_python_literal_is_one_line_of_printable_source(value):
    literal = python_literal(value)
    assert literal.isprintable()
    literal.encode("utf-8")


# --- the script's shape -------------------------------------------------------------------


def test_json_post_script_reads_clearly_and_sends_the_captured_bytes(recorder, tmp_path):
    body = b'{"name":"demo","labels":{"env":"prod"},"enabled":true,"nodes":[1,2.5,null]}'
    request = Request(
        "POST",
        at("/v3/clusters?_replace=true"),
        headers=[
            ("Content-Type", Text.of("application/json")),
            ("Cookie", Text.of("R_SESS=", Var("RANCHER_TOKEN"))),
        ],
        body=Text.of(body),
    )
    token = EnvVar("RANCHER_TOKEN", "API token; captured as cookie R_SESS")
    plan = make_plan(recorder, request, env=(token,), header=["Converted from 1 curl command"])
    plan.steps[0].title = "POST /v3/clusters"
    text = emit(plan).text

    assert text.startswith("#!/usr/bin/env python3\n")
    assert "# Converted from 1 curl command\n" in text
    assert "#   RANCHER_TOKEN: API token; captured as cookie R_SESS; required\n" in text
    assert f"#   BASE_URL: where to send the requests; default: {recorder.origin}\n" in text
    assert "# Run: set -a; . ./.env; set +a; python3 script.py\n" in text
    assert "# Step 1: POST /v3/clusters\n" in text
    assert 'RANCHER_TOKEN = env("RANCHER_TOKEN")\n' in text
    assert '"labels": {"env": "prod"}' in text  # a readable dict literal ...
    assert 'separators=(",", ":")' in text  # ... dumped the way it was captured
    assert "response.status_code >= 400" in text and "timeout=TIMEOUT" in text
    imports = set(re.findall(r"^(?:import|from) (\S+)", text, re.MULTILINE))
    assert imports <= set(sys.stdlib_module_names) | {"http.cookiejar", "requests", "urllib3"}
    assert black.format_str(text, mode=black.Mode(line_length=100)) == text
    assert emit(plan).text == text

    [received] = replay(plan, recorder, tmp_path, {"RANCHER_TOKEN": "tok-1"})
    assert (received.method, received.target, received.body) == (
        "POST",
        b"/v3/clusters?_replace=true",
        body,
    )
    assert given_headers(received) == [
        (b"Content-Type", b"application/json"),
        (b"Cookie", b"R_SESS=tok-1"),
    ]


def test_no_redact_plan_says_so_in_the_header():
    plan = make_plan(None, Request("GET", at("/")), redacted=False)
    assert "--no-redact" in emit(plan).text
    assert "--no-redact" not in emit(make_plan(None, Request("GET", at("/")))).text


def test_import_does_not_load_black():
    code = "import sys, capture2code.emit.python; print('black' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert result.stdout == b"False\n"


def test_skipped_step_is_a_comment_and_sends_nothing(recorder, tmp_path):
    plan = make_plan(recorder, Request("GET", at("/ws")), Request("GET", at("/after")))
    plan.steps[0].skip = "a websocket; requests cannot replay it"
    text = emit(plan).text
    assert "# Step 1: GET step (skipped: a websocket; requests cannot replay it)\n" in text
    assert [r.target for r in replay(plan, recorder, tmp_path)] == [b"/after"]


def test_skipped_step_may_use_what_emitters_do_not_support(recorder, tmp_path):
    skipped = Request("GET", at("/ws"), headers=[("X-Id", Text.of(Var("ID", "extracted")))])
    plan = make_plan(recorder, skipped, Request("GET", at("/ok")))
    plan.steps[0].skip = "websocket"
    assert [r.target for r in replay(plan, recorder, tmp_path)] == [b"/ok"]


def test_comments_cannot_become_code(recorder, tmp_path):
    hostile = "\n".join(HOSTILE)
    request = Request("GET", at("/x"), headers=[("X-Hostile", Text.of(HOSTILE[0]))])
    plan = make_plan(
        recorder,
        request,
        env=(EnvVar("TOKEN", hostile),),
        header=HOSTILE,
    )
    plan.steps[0].title = hostile
    plan.steps[0].notes = HOSTILE
    request.headers.append(("X-Token", Text.of(Var("TOKEN"))))
    [received] = replay(plan, recorder, tmp_path, {"TOKEN": "t"})
    assert received.header("x-hostile") == HOSTILE[0].encode()
    assert not (tmp_path / PWNED).exists()


# --- URLs ---------------------------------------------------------------------------------

TARGETS = [
    "/a/%7c/%7C?x=%7c",  # percent-encoding case
    "/a|b{c}^d'e\"f`g<h>i\\j?q=|{}^'\"",
    "/café/Zürich?q=München&e=€",
    "/static/./css/../js/app.js",
    "//api//v1/items/",
    "/search?",
    "/x%zz?y=%&z=%2",
    "/articles?filter[author]=42",
    "/cgi-bin/report;jsessionid=ABC123?a=1;b=2",
    "/raw/\udcff\udc80?q=\udcfe",  # bytes that are not UTF-8
    "/plain/v3/clusters?limit=10&marker=c-1",
]


@pytest.mark.parametrize("target", TARGETS)
def test_request_target_is_sent_exactly(recorder, tmp_path, target):
    plan = make_plan(recorder, Request("GET", at(target)))
    [received] = replay(plan, recorder, tmp_path)
    assert received.target == target.encode("utf-8", "surrogateescape")


def test_plain_targets_need_no_workaround(recorder, tmp_path):
    targets = ["/static/./a/../b.js", "//a//b/", "/v3/x?a=1&b=%2F&c=%E2%82%AC", "/", "?q=1"]
    plan = make_plan(recorder, *(Request("GET", at(t)) for t in targets))
    assert "request_target" not in emit(plan).text
    sent = [r.target for r in replay(plan, recorder, tmp_path)]
    assert sent == [
        b"/static/./a/../b.js",
        b"//a//b/",
        b"/v3/x?a=1&b=%2F&c=%E2%82%AC",
        b"/",
        b"/?q=1",
    ]


def test_literal_url_without_variables(recorder, tmp_path):
    plan = Plan([Step(Record(Request("GET", Text.of(recorder.origin + "/lit?a=%7c"))), "GET")])
    [received] = replay(plan, recorder, tmp_path)
    assert received.target == b"/lit?a=%7c"


# Characters that can stand in a request target on the wire (no space, control or "#").
target_chars = st.one_of(
    st.sampled_from("abcXYZ019-._~!$&'()*+,;=:@/?%[]{}|^\"`<>\\"),
    st.sampled_from(["%7c", "%7C", "%2f", "%zz", "..", "./", "//", "é", "€", "🌃"]),
    st.characters(min_codepoint=0xA0, exclude_categories=["Cs"]),
    st.sampled_from([chr(0xDC00 + b) for b in (0x80, 0xC3, 0xFF)]),  # lone non-UTF-8 bytes
)
target_texts = st.lists(target_chars, max_size=20).map("".join)
targets = st.builds(
    lambda path, query: "/" + path.replace("?", "") + query,
    target_texts,
    st.one_of(st.just(""), target_texts.map("?".__add__)),
)


@RUNS
@given(st.lists(targets, min_size=1, max_size=6))
def test_any_legal_target_is_sent_exactly(recorder, values):
    recorder.take()
    plan = make_plan(recorder, *(Request("GET", at(t)) for t in values))
    with tempfile.TemporaryDirectory() as tmp:
        sent = [r.target for r in replay(plan, recorder, Path(tmp))]
    assert sent == [t.encode("utf-8", "surrogateescape") for t in values]


@pytest.mark.parametrize("bad", ["/a b", "/a\tb", "/a\x00"])
def test_target_that_cannot_be_sent_is_an_error(bad):
    with pytest.raises(EmitError, match="step 1"):
        emit(make_plan(None, Request("GET", at(bad))))


# --- headers ------------------------------------------------------------------------------


def test_headers_keep_repeats_order_case_empty_values_and_bytes(recorder, tmp_path):
    headers = [
        ("X-Dup", "1"),
        ("X-Dup", "2"),
        ("x-lower-case", "v"),
        ("X-Empty", ""),
        ("Cookie", "a=1"),
        ("Cookie", "b=2"),
        ("X-Utf8", "Zürich 🌃"),
        ("X-Raw", b"\xff\xfe latin-1 \xe9".decode("utf-8", "surrogateescape")),
        ("X-Nul", "a\x00b"),
        ("accept", "text/html"),
        ("X-Padded", "  inner  spaces  "),
    ]
    request = Request("GET", at("/h"), headers=[(n, Text.of(v)) for n, v in headers])
    [received] = replay(make_plan(recorder, request), recorder, tmp_path)
    assert given_headers(received) == wire_headers(request)
    assert received.header("accept") == b"text/html"
    assert [name for name, _ in received.headers].count(b"accept") == 1


def test_given_client_headers_replace_the_defaults(recorder, tmp_path):
    given = [("User-Agent", "agent/1"), ("Accept-Encoding", "br"), ("Connection", "close")]
    request = Request("GET", at("/"), headers=[(n, Text.of(v)) for n, v in given])
    [received] = replay(make_plan(recorder, request), recorder, tmp_path)
    assert [(n, v) for n, v in received.headers if n.lower() not in (b"host", b"accept")] == [
        (b"User-Agent", b"agent/1"),
        (b"Accept-Encoding", b"br"),
        (b"Connection", b"close"),
    ]


def test_omitted_client_headers_are_not_sent(recorder, tmp_path):
    omit = ["User-Agent", "Accept", "Accept-Encoding", "Connection", "Host"]
    request = Request("GET", at("/bare"), headers=[("X-Mode", Text.of("bare"))])
    request.options["omit_headers"] = omit
    [received] = replay(make_plan(recorder, request), recorder, tmp_path)
    assert received.headers == [(b"X-Mode", b"bare")]


header_values = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n")),
    st.binary()
    .filter(lambda b: b"\r" not in b and b"\n" not in b)
    .map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.sampled_from([h for h in HOSTILE if "\r" not in h and "\n" not in h]),
)


@RUNS
@given(st.lists(header_values, min_size=1, max_size=8))
def test_any_header_value_is_sent_exactly_and_stays_data(recorder, values):
    recorder.take()
    headers = [(f"X-P{i}", Text.of(v)) for i, v in enumerate(values)]
    request = Request("GET", at("/p"), headers=headers)
    with tempfile.TemporaryDirectory() as tmp:
        [received] = replay(make_plan(recorder, request), recorder, Path(tmp))
        assert not (Path(tmp) / PWNED).exists()
    assert given_headers(received) == wire_headers(request)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("X-Bad", "a\r\nInjected: 1", "header X-Bad has a line break"),
        ("X-Bad", "a\nb", "header X-Bad has a line break"),
        ("X:Bad", "v", "header name 'X:Bad'"),
        ("", "v", "header name ''"),
    ],
)
def test_header_that_cannot_be_sent_is_an_error(name, value, message):
    request = Request("GET", at("/"), headers=[(name, Text.of(value))])
    with pytest.raises(EmitError, match=f"step 1 .*{re.escape(message)}"):
        emit(make_plan(None, request))


def test_method_is_sent_as_is_even_with_a_body(recorder, tmp_path):
    requests = [
        Request("PURGE", at("/cache")),
        Request("GET", at("/with-body"), body=Text.of(b"q=1")),
        Request("HEAD", at("/head")),
        Request("DELETE", at("/gone")),
    ]
    received = replay(make_plan(recorder, *requests), recorder, tmp_path)
    assert [(r.method, r.body) for r in received] == [
        ("PURGE", b""),
        ("GET", b"q=1"),
        ("HEAD", b""),
        ("DELETE", b""),
    ]
    assert received[3].header("content-length") is None  # as curl: no body, no length


def test_bodiless_post_gets_a_note_about_content_length(recorder, tmp_path):
    plan = make_plan(recorder, Request("POST", at("/run")))
    assert '# Note: requests (urllib3) sends "Content-Length: 0"' in emit(plan).text
    [received] = replay(plan, recorder, tmp_path)
    assert received.header("content-length") == b"0"  # the limit the note describes


def test_invalid_method_is_an_error():
    with pytest.raises(EmitError, match="method 'GET X'"):
        emit(make_plan(None, Request("GET X", at("/"))))


# --- bodies -------------------------------------------------------------------------------

JSON_BODIES = [
    b'{"a":1,"b":[true,false,null],"c":{"d":"\xc3\xa9"}}',  # compact, raw UTF-8 (browsers)
    b'{"a": 1, "b": "\\u00e9"}',  # Python's json.dumps defaults
    # JSON.stringify(value, null, 2)
    b'{\n  "name": "x",\n  "list": [\n    1,\n    2\n  ],\n  "empty": {}\n}',
    b'[{"op":"replace","path":"/spec/replicas","value":3}]',
    b'{"big":123456789012345678901234567890,"f":0.1,"e":1e+21,"neg":-2.5}',
    b'{"lone":"\\ud800"}',  # a lone surrogate escape: the literal holds it, dumps escapes it
]
NOT_REDUMPABLE = [
    b'{"a":1e5}',  # exponent written differently
    b'{"a":1,"a":2}',  # repeated key
    b'{"a":-0}',
    b'{"a" : 1}',
    b'{"a":1}\n',
    b'{\n  "customer": "c_123",\n  "items": [\n    {"sku": "A-1", "qty": 2}\n  ]\n}',
    b'{"a":NaN}',
    b"[" * 30 + b"]" * 30,
    b'"just a string"',
]


@pytest.mark.parametrize("body", JSON_BODIES)
def test_json_body_is_a_literal_dumped_exactly(recorder, tmp_path, body):
    plan = make_plan(recorder, Request("POST", at("/j"), body=Text.of(body)))
    assert "body=json.dumps(" in emit(plan).text
    [received] = replay(plan, recorder, tmp_path)
    assert received.body == body


@pytest.mark.parametrize("body", NOT_REDUMPABLE)
def test_json_like_body_json_cannot_reproduce_is_sent_as_text(recorder, tmp_path, body):
    plan = make_plan(recorder, Request("POST", at("/j"), body=Text.of(body)))
    assert "json.dumps(" not in emit(plan).text
    [received] = replay(plan, recorder, tmp_path)
    assert received.body == body


def test_long_text_body_is_split_into_readable_lines(recorder, tmp_path):
    body = ("line one,\r\n" + "k=v&" * 40 + "\n" + "x" * 200 + "\nend").encode()
    plan = make_plan(recorder, Request("POST", at("/t"), body=Text.of(body)))
    text = emit(plan).text
    assert max(len(line) for line in text.splitlines()) <= 100
    [received] = replay(plan, recorder, tmp_path)
    assert received.body == body


def test_large_body_is_one_literal_sent_exactly(recorder, tmp_path):
    body = json.dumps([{"id": i, "tags": ["a", "b"]} for i in range(3000)]).encode()
    plan = make_plan(recorder, Request("POST", at("/big"), body=Text.of(body)))
    text = emit(plan).text
    assert "json.dumps(" not in text and text.count("\n") < 200
    [received] = replay(plan, recorder, tmp_path)
    assert received.body == body


def test_body_with_variables(recorder, tmp_path):
    body = Text.of(b'{"user":"admin","password":"', Var("PASSWORD"), b'"}\xff', Var("RAW"))
    plan = make_plan(
        recorder,
        Request("POST", at("/login"), body=body),
        Request("POST", at("/login2"), body=Text.of(b"p=", Var("PASSWORD"))),
        env=(EnvVar("PASSWORD", "login password"), EnvVar("RAW")),
    )
    received = replay(plan, recorder, tmp_path, {"PASSWORD": 'pa"ss\\é', "RAW": "\udcfe"})
    assert received[0].body == b'{"user":"admin","password":"pa"ss\\\xc3\xa9"}\xff\xfe'
    assert received[1].body == b'p=pa"ss\\\xc3\xa9'


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
json_bodies = st.builds(
    lambda value, style: json.dumps(value, **style).encode("utf-8", "surrogatepass"),
    st.one_of(st.lists(json_values, max_size=4), st.dictionaries(st.text(max_size=8), json_values)),
    st.sampled_from(
        [{}, {"separators": (",", ":"), "ensure_ascii": False}, {"indent": 2}, {"indent": 3}]
    ),
)
bodies = st.one_of(
    st.binary(),
    json_bodies,
    st.text().map(lambda s: s.encode()),
    st.lists(st.sampled_from(HOSTILE)).map(lambda xs: "".join(xs).encode()),
)


@RUNS
@given(st.lists(bodies, min_size=1, max_size=5))
def test_any_body_is_sent_exactly_and_stays_data(recorder, values):
    recorder.take()
    plan = make_plan(recorder, *(Request("POST", at("/b"), body=Text.of(v)) for v in values))
    with tempfile.TemporaryDirectory() as tmp:
        received = replay(plan, recorder, Path(tmp))
        assert not (Path(tmp) / PWNED).exists()
    assert [r.body for r in received] == values


# --- environment variables ----------------------------------------------------------------


def test_unset_required_variable_stops_before_any_request(recorder, tmp_path):
    plan = make_plan(
        recorder,
        Request("GET", at("/first")),
        Request(
            "GET", at("/second"), headers=[("Authorization", Text.of("Bearer ", Var("TOKEN")))]
        ),
        env=(EnvVar("TOKEN", "API token"),),
    )
    result = run(emit(plan), {}, tmp_path)
    assert result.returncode != 0
    assert b"TOKEN" in result.stderr
    assert recorder.take() == []


def test_variables_are_read_from_the_environment(recorder, tmp_path):
    request = Request(
        "POST",
        at("/v/"),
        headers=[("X-Token", Text.of("t=", Var("TOKEN"))), ("X-Region", Text.of(Var("REGION")))],
        body=Text.of(b"id=", Var("TOKEN")),
    )
    request.url = request.url + Text.of(Var("TOKEN"))
    plan = make_plan(
        recorder,
        request,
        env=(
            EnvVar("TOKEN", "API token", value="CANARY-captured-secret"),
            EnvVar("REGION", "region", default="eu-1"),
        ),
    )
    assert "CANARY" not in emit(plan).text  # the captured value belongs in the env file only
    [received] = replay(plan, recorder, tmp_path, {"TOKEN": "abc|é\udcff"})
    assert received.target == b"/v/abc|\xc3\xa9\xff"
    assert received.header("x-token") == b"t=abc|\xc3\xa9\xff"
    assert received.header("x-region") == b"eu-1"  # the default, as REGION is unset
    assert received.body == b"id=abc|\xc3\xa9\xff"


def test_base64_variable_is_decoded(recorder, tmp_path):
    secret = b"nul\x00byte\xff"
    request = Request("POST", at("/b64"), body=Text.of(b"[", Var("BLOB"), b"]"))
    plan = make_plan(recorder, request, env=(EnvVar("BLOB", "binary secret", base64=True),))
    text = emit(plan).text
    assert "#   BLOB_B64: BLOB, base64-encoded; binary secret; required" in text
    [received] = replay(plan, recorder, tmp_path, {"BLOB_B64": base64.b64encode(secret).decode()})
    assert received.body == b"[" + secret + b"]"


def test_base_url_override_sends_elsewhere(recorder, tmp_path):
    other = Recorder().start()
    try:
        plan = make_plan(recorder, Request("GET", at("/moved?x=1")))
        assert run(emit(plan), {"BASE_URL": other.origin}, tmp_path).returncode == 0
        assert recorder.take() == []
        [received] = other.take()
        assert received.target == b"/moved?x=1"
    finally:
        other.stop()


def test_variable_names_that_clash_with_python_names(recorder, tmp_path):
    names = ["None", "str", "send", "session", "json", "TIMEOUT", "str_"]
    headers = [(f"X-{i}", Text.of(Var(name))) for i, name in enumerate(names)]
    plan = make_plan(recorder, Request("GET", at("/"), headers=headers))
    [received] = replay(plan, recorder, tmp_path, {name: f"v-{name}" for name in names})
    assert given_headers(received) == [
        (f"X-{i}".encode(), f"v-{n}".encode()) for i, n in enumerate(names)
    ]


@pytest.mark.parametrize(
    ("kind", "message"),
    [("extracted", "ID is not extracted by an earlier step"), ("param", "parameter ID is not")],
)
def test_undefined_extracted_or_param_variable_is_an_error(kind, message):
    request = Request("GET", at("/"), headers=[("X-Id", Text.of(Var("ID", kind)))])
    with pytest.raises(EmitError, match=f"step 1 .*{message}"):
        emit(make_plan(None, request))


# --- multipart ----------------------------------------------------------------------------


def test_multipart_keeps_order_filenames_types_and_bytes(recorder, tmp_path):
    (tmp_path / "files").mkdir()
    png = bytes(range(256)) + b"\r\n--\r\n"
    (tmp_path / "files" / "avatar.png").write_bytes(png)
    (tmp_path / "notes.txt").write_bytes(b"Z\xc3\xbcrich\n")
    parts = [
        FormPart("caption", value=Text.of("Zürich bei Nacht 🌃")),
        FormPart("photo", file="files/avatar.png", type="image/png"),
        FormPart("token", value=Text.of("t-", Var("TOKEN"))),
        FormPart("notes", file="notes.txt", filename="renamed.txt", type="text/plain"),
        FormPart("inline-file", value=Text.of(b"raw \xff"), filename="x.bin"),
        FormPart("typed", value=Text.of("{}"), type="application/json"),
    ]
    request = Request(
        "POST",
        at("/upload"),
        headers=[("Content-Type", Text.of("multipart/form-data")), ("X-Kept", Text.of("1"))],
        body=Multipart(parts),
    )
    plan = make_plan(recorder, request, env=(EnvVar("TOKEN"),))
    [received] = replay(plan, recorder, tmp_path, {"TOKEN": "abc"})
    assert parts_of(received) == [
        (b"caption", None, None, "Zürich bei Nacht 🌃".encode()),
        (b"photo", b"avatar.png", b"image/png", png),
        (b"token", None, None, b"t-abc"),
        (b"notes", b"renamed.txt", b"text/plain", b"Z\xc3\xbcrich\n"),
        (b"inline-file", b"x.bin", None, b"raw \xff"),
        (b"typed", None, b"application/json", b"{}"),
    ]
    assert received.header("x-kept") == b"1"


# --- options ------------------------------------------------------------------------------


def _redirecting(received: Received) -> tuple[int, list[tuple[str, str]], bytes]:
    if received.target.startswith(b"/start") or received.target == b"/loop":
        return 302, [("Location", "/loop" if b"loop" in received.target else "/final")], b""
    return 200, [], b"done"


def test_redirects_are_followed_only_when_captured(recorder, tmp_path):
    recorder.responder = _redirecting
    follow = Request("GET", at("/start?a"), options={"follow_redirects": True})
    stay = Request("GET", at("/start?b"))
    received = replay(make_plan(recorder, follow, stay), recorder, tmp_path)
    assert [r.target for r in received] == [b"/start?a", b"/final", b"/start?b"]


def test_redirect_keeps_captured_headers_like_curl_except_cookie(recorder, tmp_path):
    def redirect_once(received: Received) -> tuple[int, list[tuple[str, str]], bytes]:
        if received.target == b"/start":
            return 302, [("Location", "/final"), ("Set-Cookie", "sid=1; Path=/")], b""
        return 200, [], b"done"

    recorder.responder = redirect_once
    command = ["curl", "-sS", "-L", "-H", "X-Dup: 1", "-H", "X-Dup: 2", "-H", "Cookie: a=1"]
    subprocess.run([*command, "-H", b"X-Raw: \xff\xe9", recorder.origin + "/start"], check=True)
    by_curl = recorder.take()
    headers = [("X-Dup", "1"), ("X-Dup", "2"), ("Cookie", "a=1"), ("X-Raw", "\udcff\udce9")]
    request = Request(
        "GET",
        at("/start"),
        [(name, Text.of(value)) for name, value in headers],
        options={"follow_redirects": True},
    )
    plan = make_plan(recorder, request)
    assert "drops the captured Cookie header" in emit(plan).text
    by_python = replay(plan, recorder, tmp_path)

    assert [r.target for r in by_python] == [r.target for r in by_curl] == [b"/start", b"/final"]
    assert given_headers(by_python[0]) == given_headers(by_curl[0])
    without_cookie = [(n, v) for n, v in given_headers(by_curl[1]) if n != b"Cookie"]
    assert given_headers(by_python[1]) == [*without_cookie, (b"Cookie", b"sid=1")]  # the limit


def test_response_cookies_are_not_sent_by_later_steps(recorder, tmp_path):
    recorder.responder = lambda received: (200, [("Set-Cookie", "sid=1; Path=/")], b"")
    plan = make_plan(recorder, Request("GET", at("/login")), Request("GET", at("/next")))
    received = replay(plan, recorder, tmp_path)
    assert [r.header("cookie") for r in received] == [None, None]


def test_max_redirects_stops_like_curl(recorder, tmp_path):
    recorder.responder = _redirecting
    subprocess.run(["curl", "-sS", "-L", "--max-redirs", "3", recorder.origin + "/loop"])
    curl_count = len(recorder.take())
    options = {"follow_redirects": True, "max_redirects": 3}
    result = run(
        emit(make_plan(recorder, Request("GET", at("/loop"), options=options))), {}, tmp_path
    )
    assert result.returncode != 0 and b"TooManyRedirects" in result.stderr
    assert len(recorder.take()) == curl_count == 4


def test_insecure_sets_verify_false_and_runs(recorder, tmp_path):
    plan = make_plan(recorder, Request("GET", at("/k"), options={"insecure": True}))
    text = emit(plan).text
    assert "verify=False" in text and "InsecureRequestWarning" in text
    [received] = replay(plan, recorder, tmp_path)
    assert received.target == b"/k"


def test_compressed_notes_codings_requests_does_not_decode():
    compressed = Request("GET", at("/"), options={"compressed": True})
    asked = Request("GET", at("/"), headers=[("Accept-Encoding", Text.of("gzip, br"))])
    plain = Request("GET", at("/"), headers=[("Accept-Encoding", Text.of("gzip, deflate"))])
    notes = [
        emit(make_plan(None, r)).text.count("requests decodes br")
        for r in (compressed, asked, plain)
    ]
    assert notes == [1, 1, 0]


def test_error_status_stops_the_script(recorder, tmp_path):
    recorder.responder = lambda received: (404, [], b"missing")
    plan = make_plan(recorder, Request("GET", at("/a")), Request("GET", at("/b")))
    result = run(emit(plan), {}, tmp_path)
    assert result.returncode != 0
    assert result.stderr == b"error: step 1 (GET step): HTTP 404: missing\n"
    assert [r.target for r in recorder.take()] == [b"/a"]


# --- against curl -------------------------------------------------------------------------

# (curl command, the Request it means). Expected bytes come from curl itself.
CURL_CASES = [
    (
        "curl 'http://ECHO/api/search?q=café&city=München'",
        Request("GET", at("/api/search?q=café&city=München")),
    ),
    (
        "curl 'http://ECHO/api/articles?filter\\[author\\]=42&include=comments'",
        Request("GET", at("/api/articles?filter[author]=42&include=comments")),
    ),
    (
        "curl --path-as-is 'http://ECHO/static/./css/../js/app.js'",
        Request("GET", at("/static/./css/../js/app.js"), options={"path_as_is": True}),
    ),
    ("curl 'http://ECHO//api//v1/items/'", Request("GET", at("//api//v1/items/"))),
    ("curl $'http://ECHO/api/search?q=it\\'s'", Request("GET", at("/api/search?q=it's"))),
    ("curl 'http://ECHO/a/%7c/b?'", Request("GET", at("/a/%7c/b?"))),
    (
        "curl -H 'User-Agent:' -H 'X-Mode: bare' http://ECHO/api/raw",
        Request(
            "GET",
            at("/api/raw"),
            [("X-Mode", Text.of("bare"))],
            options={"omit_headers": ["User-Agent"]},
        ),
    ),
    (
        "curl -X DELETE 'http://ECHO/api/items' -H 'Content-Type: application/json'"
        " -d '{\"ids\":[4,8,15]}'",
        Request(
            "DELETE",
            at("/api/items"),
            [("Content-Type", Text.of("application/json"))],
            Text.of(b'{"ids":[4,8,15]}'),
        ),
    ),
    (
        "curl http://ECHO/api/orders -H 'Content-Type: application/json' -d '{\n"
        '  "customer": "c_123",\n  "items": [\n    {"sku": "A-1", "qty": 2}\n  ]\n}\'',
        Request(
            "POST",
            at("/api/orders"),
            [("Content-Type", Text.of("application/json"))],
            Text.of(
                b'{\n  "customer": "c_123",\n  "items": [\n    {"sku": "A-1", "qty": 2}\n  ]\n}'
            ),
        ),
    ),
    (
        "curl 'http://ECHO/v3/secrets' -H 'content-type: application/json'"
        " -b 'R_SESS=token-abc:xyz; CSRF=4f'"
        ' --data-raw $\'{"description":"owner\\\'s secret\\\\nrotated"}\'',
        Request(
            "POST",
            at("/v3/secrets"),
            [
                ("content-type", Text.of("application/json")),
                ("Cookie", Text.of("R_SESS=token-abc:xyz; CSRF=4f")),
            ],
            Text.of(b'{"description":"owner\'s secret\\nrotated"}'),
        ),
    ),
    (
        "curl -H 'X-Dup: 1' -H 'X-Dup: 2' -H 'X-Empty;' -H $'X-Raw: \\xff\\xe9' http://ECHO/h",
        Request(
            "GET",
            at("/h"),
            [
                ("X-Dup", Text.of("1")),
                ("X-Dup", Text.of("2")),
                ("X-Empty", Text.of("")),
                ("X-Raw", Text.of(b"\xff\xe9".decode("utf-8", "surrogateescape"))),
            ],
        ),
    ),
    (
        "curl -X PURGE http://ECHO/cache --data-binary @payload.bin",
        Request(
            "PURGE",
            at("/cache"),
            [("Content-Type", Text.of("application/x-www-form-urlencoded"))],
            Text.of(b"a\x00b\r\n"),
        ),
    ),
    (
        "curl -F 'caption=Zürich bei Nacht 🌃' -F 'photo=@files/avatar.png;type=image/png'"
        " -F 'files=@notes.txt' http://ECHO/api/photos",
        Request(
            "POST",
            at("/api/photos"),
            body=Multipart(
                [
                    FormPart("caption", value=Text.of("Zürich bei Nacht 🌃")),
                    FormPart("photo", file="files/avatar.png", type="image/png"),
                    FormPart("files", file="notes.txt", type="text/plain"),
                ]
            ),
        ),
    ),
]


@pytest.mark.parametrize(("command", "request_"), CURL_CASES, ids=[c for c, _ in CURL_CASES])
def test_sends_what_curl_sends(recorder, tmp_path, command, request_):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "avatar.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00" + bytes(range(256)))
    (tmp_path / "notes.txt").write_bytes("Meeting notes — Zürich\n".encode())
    (tmp_path / "payload.bin").write_bytes(b"a\x00b\r\n")
    subprocess.run(
        ["bash", "-c", command.replace("http://ECHO", recorder.origin)],
        cwd=tmp_path,
        env={"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    [by_curl] = recorder.take()
    [by_python] = replay(make_plan(recorder, request_), recorder, tmp_path)

    assert (by_python.method, by_python.target) == (by_curl.method, by_curl.target)
    if isinstance(request_.body, Multipart):
        assert parts_of(by_python) == parts_of(by_curl)
        by_curl.headers = [(n, v) for n, v in by_curl.headers if n.lower() != b"content-type"]
        by_python.headers = [(n, v) for n, v in by_python.headers if n.lower() != b"content-type"]
    else:
        assert by_python.body == by_curl.body
        assert by_python.header("content-length") == by_curl.header("content-length")
    assert sorted(given_headers(by_python)) == sorted(given_headers(by_curl))
    omitted = {name.lower().encode() for name in request_.options.get("omit_headers", [])}
    assert not omitted & {name.lower() for name, _ in by_python.headers + by_curl.headers}


# --- many shapes through black ------------------------------------------------------------

shape_texts = st.one_of(st.text(max_size=20), st.sampled_from(HOSTILE))
var_names = st.sampled_from(["TOKEN", "None", "str", "A_B", "send", "x"])


@st.composite
def shape_texts_with_vars(draw, as_bytes: bool) -> Text:
    pieces = draw(st.lists(st.one_of(shape_texts, var_names.map(Var)), max_size=4))
    return Text.of(
        *(
            p.encode("utf-8", "surrogateescape") if as_bytes and isinstance(p, str) else p
            for p in pieces
        )
    )


@st.composite
def shape_requests(draw) -> Request:
    url = Text.of(Var("BASE_URL"), "/" + draw(target_texts))
    if draw(st.booleans()):
        url = url + Text.of(draw(var_names.map(Var)))
    headers = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["X-A", "x-a", "Cookie", "Content-Type", "Accept"]),
                shape_texts_with_vars(False).filter(
                    lambda t: not any(isinstance(p, str) and ("\r" in p or "\n" in p) for p in t)
                ),
            ),
            max_size=4,
        )
    )
    body = draw(
        st.one_of(
            st.none(),
            bodies.map(Text.of),
            shape_texts_with_vars(True),
            st.lists(
                st.builds(
                    FormPart,
                    name=shape_texts,
                    value=st.one_of(st.none(), shape_texts_with_vars(False)),
                    file=st.one_of(st.none(), shape_texts),
                    filename=st.one_of(st.none(), shape_texts),
                    type=st.one_of(st.none(), shape_texts),
                ),
                max_size=3,
            ).map(Multipart),
        )
    )
    options = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "insecure": st.booleans(),
                "follow_redirects": st.booleans(),
                "max_redirects": st.integers(0, 50),
                "compressed": st.booleans(),
                "omit_headers": st.lists(st.sampled_from(["User-Agent", "Accept", "Host"])),
                "unknown": st.just([1]),
            },
        )
    )
    method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "PURGE", "HEAD"]))
    return Request(method, url, headers, body, options=options)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(shape_requests(), min_size=1, max_size=4),
    st.lists(shape_texts, max_size=3),
    st.lists(
        st.builds(EnvVar, var_names, shape_texts, st.one_of(st.none(), shape_texts)), max_size=3
    ),
)
def test_any_plan_shape_formats_and_compiles(requests, header, env):
    seen: set[str] = set()
    env = [var for var in env if not (var.name in seen or seen.add(var.name))]
    plan = Plan(
        [Step(Record(r), t) for r, t in zip(requests, header * 4 + ["t"] * 4, strict=False)],
        env=[EnvVar("BASE_URL", default="http://127.0.0.1:1"), *env],
        header=header,
    )
    text = emit(plan).text
    compile(text, "script.py", "exec")
    assert black.format_str(text, mode=black.Mode(line_length=100)) == text


# --- black in pieces and processes --------------------------------------------------------

# Step titles with black's directives: a comment that turns formatting off reaches further
# than a piece.
titles = st.one_of(
    shape_texts,
    st.sampled_from(
        ["x # fmt: off", "# fmt: on", "y # fmt: skip", "z; fmt: off", "# yapf: disable"]
    ),
)


@st.composite
def large_plans(draw: st.DrawFn) -> Plan:
    """A provisioning plan with many options, then many steps of any shape, some skipped."""
    base = draw(provisioning_plans())
    extra = [
        Param(f"EXTRA_{n}", f"--extra-{n}", draw(shape_texts), draw(shape_texts))
        for n in range(draw(st.integers(0, 20)))
    ]
    steps = [
        Step(Record(request), draw(titles), skip=draw(st.none() | st.just("websocket")))
        for request in draw(st.lists(shape_requests(), min_size=5, max_size=20))
    ]
    return Plan(
        [*base.steps, *steps],
        env=[EnvVar("BASE_URL", default="http://127.0.0.1:1")],
        header=base.header,
        params=[*base.params, *extra],
        mode="provision",
    )


def whole_by_black(generated: list[str]) -> str:
    """How the script's generated part was formatted before: black on all of it at once."""
    return black.format_str(_join(generated) + "\n", mode=black.Mode(line_length=100)).strip()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(large_plans(), st.integers(0, 3000))
def test_black_in_pieces_and_two_processes_is_black_on_the_whole(plan, piece_size):
    assert threading.active_count() == 1  # else no second process is started
    try:
        fixed, generated = script_blocks(plan)
    except EmitError:  # a name both extracted and read from the environment
        assume(False)
    whole = whole_by_black(generated)
    assert format_generated(generated, piece_size, parallel_from=10**9) == whole
    assert format_generated(generated, piece_size, parallel_from=0) == whole
    assert emit(plan).text == _join([*fixed, whole]) + "\n"


def test_large_script_is_black_on_the_whole():
    """The defaults (pieces, a second process) on a script of 300 steps and 100 options."""
    requests = [
        Request(
            "POST" if n % 3 else "GET",
            at(f"/v1/items/{n}?page={n}&filter[name]=x"),
            [("Authorization", Text.of("Bearer ", Var("TOKEN"))), ("X-N", Text.of(str(n)))],
            Text.of(json.dumps({"id": n, "tags": ["a"] * (n % 7)}).encode()) if n % 3 else None,
        )
        for n in range(300)
    ]
    params = [Param(f"P_{n}", f"--p-{n}", f"value {n}", f"option {n}") for n in range(100)]
    plan = make_plan(None, *requests, params=params, mode="provision")
    fixed, generated = script_blocks(plan)
    assert len(_join(generated)) > 64 * 1024  # many pieces, two processes
    assert emit(plan).text == _join([*fixed, whole_by_black(generated)]) + "\n"
