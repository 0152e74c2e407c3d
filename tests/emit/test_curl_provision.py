"""Provisioning scripts from the bash (curl) emitter: parameters, values read from responses,
wait loops, saved secrets, failures and the summary, checked by running the scripts with the
real bash, curl and jq against a loopback server that issues fresh ids on every run."""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture2code.emit import EmitError
from capture2code.emit.curl import emit, jq_filter, path_text
from capture2code.plan import (
    Created,
    EnvVar,
    Extraction,
    Mode,
    Param,
    Plan,
    SavedSecret,
    Step,
    Wait,
)
from capture2code.record import FormPart, Multipart, Record, Request
from capture2code.template import Piece, Text, Var
from tests.recorder import Received, Recorder
from tests.runners.curl import run

BASE = Var("BASE_URL")
CLUSTER_ID = Var("CLUSTER_ID", "extracted")
CLUSTER_NAME = Var("CLUSTER_NAME", "param")
NAME_PARAM = Param("CLUSTER_NAME", "--cluster-name", "rke2-demo", "name of the cluster")
PROCESS_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
Reply = tuple[int, list[tuple[str, str]], bytes]
JSON = [("Content-Type", "application/json")]


def reply(status: int, document: object, headers: list[tuple[str, str]] | None = None) -> Reply:
    return status, [*JSON, *(headers or [])], json.dumps(document).encode()


@contextmanager
def serving(responder: Callable[[Received], Reply]) -> Iterator[Recorder]:
    server = Recorder(responder=responder).start()
    try:
        yield server
    finally:
        server.stop()


def step(
    title: str,
    method: str,
    *target: Piece,
    body: Text | Multipart | None = None,
    headers: list[tuple[str, Text]] | None = None,
    **facts: object,
) -> Step:
    request = Request(method, Text.of(BASE, *target), headers or [], body)
    return Step(Record(request), title, **facts)  # type: ignore[arg-type]


def plan_of(server: Recorder, *steps: Step, mode: Mode = "provision") -> Plan:
    base = EnvVar("BASE_URL", "server origin", default=server.origin)
    return Plan(list(steps), env=[base], params=[NAME_PARAM], mode=mode)


def create_step(**facts: object) -> Step:
    body = Text.of(b'{"name":"', CLUSTER_NAME, b'"}')
    return step("POST /v3/cluster", "POST", "/v3/cluster", body=body, **facts)


def run_plan(
    plan: Plan, cwd: Path, env: dict[str, str] | None = None, **params: str
) -> subprocess.CompletedProcess[bytes]:
    return run(emit(plan), env or {}, cwd, params=params)


def fresh_id() -> str:
    return "c-" + secrets.token_hex(4)


# --- values read from responses ---------------------------------------------------------


def test_issued_values_reach_later_requests_in_every_place_and_form(tmp_path: Path) -> None:
    issued = fresh_id()

    def api(received: Received) -> Reply:
        if received.method == "POST":
            document = {
                "id": issued,
                "ns": f"fleet-default:{issued}",
                "path": f"fleet-default/{issued}",
                "links": {"items": [{"rev": 7}]},
                "ready": True,
            }
            return reply(201, document, [("LOCATION", f"/v3/clusters/{issued}")])
        return reply(200, {})

    ids = {
        "NS_SLASH": Extraction("NS_SLASH", ("ns",), derive="colon_to_slash"),
        "SHORT": Extraction("SHORT", ("ns",), derive="name"),
        "NS_COLON": Extraction("NS_COLON", ("path",), derive="slash_to_colon"),
        "REV": Extraction("REV", ("links", "items", 0, "rev")),
        "READY": Extraction("READY", ("ready",)),
        "WHERE": Extraction("WHERE", header="Location", derive="name"),
    }
    extracts = [Extraction("CLUSTER_ID", ("id",), note="id of the cluster"), *ids.values()]
    v = {name: Var(name, "extracted") for name in ids}
    body = Text.of(
        b'{"id":"', CLUSTER_ID, b'","ns":"', v["NS_SLASH"], b'","short":"', v["SHORT"],
        b'","colon":"', v["NS_COLON"], b'","rev":', v["REV"], b',"ready":', v["READY"], b"}",
    )  # fmt: skip
    use = step(
        "PUT /v3/clusters/{CLUSTER_ID}",
        "PUT",
        "/v3/clusters/", CLUSTER_ID, "?ns=", v["NS_SLASH"], "&x=a", CLUSTER_ID, "b",
        body=body,
        headers=[("X-Id", Text.of("id=", CLUSTER_ID, ";")), ("X-Where", Text.of(v["WHERE"]))],
    )  # fmt: skip
    with serving(api) as server:
        result = run_plan(plan_of(server, create_step(extracts=extracts), use), tmp_path)
        got = server.take()
    assert result.returncode == 0, result.stderr
    assert [r.method for r in got] == ["POST", "PUT"]
    assert got[1].target == f"/v3/clusters/{issued}?ns=fleet-default/{issued}&x=a{issued}b".encode()
    assert got[1].header("X-Id") == f"id={issued};".encode()
    assert got[1].header("X-Where") == issued.encode()
    assert json.loads(got[1].body) == {
        "id": issued,
        "ns": f"fleet-default/{issued}",
        "short": issued,
        "colon": f"fleet-default:{issued}",
        "rev": 7,
        "ready": True,
    }


def test_issued_value_in_a_multipart_value(tmp_path: Path) -> None:
    issued = fresh_id()
    api = lambda r: reply(200, {"id": issued} if r.target == b"/first" else {})  # noqa: E731
    form = Multipart([FormPart("id", value=Text.of("x-", CLUSTER_ID))])
    first = step("GET /first", "GET", "/first", extracts=[Extraction("CLUSTER_ID", ("id",))])
    with serving(api) as server:
        plan = plan_of(server, first, step("POST /form", "POST", "/form", body=form))
        result = run_plan(plan, tmp_path)
        got = server.take()
    assert result.returncode == 0, result.stderr
    assert f'name="id"\r\n\r\nx-{issued}\r\n'.encode() in got[1].body


@pytest.mark.parametrize(
    "path, document, shown",
    [
        (("id",), {"name": "x"}, "id"),
        (("id",), {"id": None}, "id"),
        (("status", "clusterName"), {"status": "active"}, "status.clusterName"),
        (("data", 0, "id"), {"data": []}, "data[0].id"),
        (("data", 0, "id"), {"data": {"0": {"id": "x"}}}, "data[0].id"),
        (("a key",), {"a key ": 1}, '["a key"]'),
    ],
)
def test_missing_field_stops_the_script(
    tmp_path: Path, path: tuple[str | int, ...], document: object, shown: str
) -> None:
    with serving(lambda _: reply(201, document)) as server:
        first = create_step(extracts=[Extraction("CLUSTER_ID", path)])
        plan = plan_of(server, first, step("GET /next", "GET", "/next/", CLUSTER_ID))
        result = run_plan(plan, tmp_path)
        got = server.take()
    assert result.returncode != 0
    assert len(got) == 1
    message = f"step 1 (POST /v3/cluster): the response has no field {shown}"
    assert message.encode() in result.stderr


def test_non_json_response_is_a_missing_field(tmp_path: Path) -> None:
    with serving(lambda _: (200, [], b"<html>id</html>")) as server:
        first = create_step(extracts=[Extraction("CLUSTER_ID", ("id",))])
        plan = plan_of(server, first, step("GET /next", "GET", "/next/", CLUSTER_ID))
        result = run_plan(plan, tmp_path)
        assert (result.returncode != 0, len(server.take())) == (True, 1)
    assert b"step 1 (POST /v3/cluster): the response has no field id" in result.stderr


def test_missing_header_stops_the_script(tmp_path: Path) -> None:
    with serving(lambda _: reply(201, {"id": "x"})) as server:
        first = create_step(extracts=[Extraction("CLUSTER_ID", header="Location")])
        plan = plan_of(server, first, step("GET /next", "GET", "/next/", CLUSTER_ID))
        result = run_plan(plan, tmp_path)
        assert (result.returncode != 0, len(server.take())) == (True, 1)
    assert b"step 1 (POST /v3/cluster): the response has no header Location" in result.stderr


def test_header_of_the_last_response_after_a_redirect(tmp_path: Path) -> None:
    def api(received: Received) -> Reply:
        if received.target == b"/start":
            return 302, [("Location", "/landed"), ("X-Id", "first")], b""
        return reply(200, {}, [("x-id", "  second  ")])

    with serving(api) as server:
        first = step(
            "GET /start", "GET", "/start", extracts=[Extraction("CLUSTER_ID", header="X-ID")]
        )
        first.record.request.options["follow_redirects"] = True
        plan = plan_of(server, first, step("GET /next", "GET", "/next/", CLUSTER_ID))
        result = run_plan(plan, tmp_path)
        got = server.take()
    assert result.returncode == 0, result.stderr
    assert got[-1].target == b"/next/second"


# --- derived forms, jq paths: batches through the real bash and jq ---------------------


def derive(form: str | None, value: str) -> str:
    """plan.DERIVATIONS, written from their descriptions."""
    if form == "colon_to_slash":
        return value.replace(":", "/", 1)
    if form == "slash_to_colon":
        return value.replace("/", ":", 1)
    if form == "name":
        return value[max(value.rfind(":"), value.rfind("/")) + 1 :]
    return value


# Values a body can carry: no NUL (a bash variable cannot hold it), no lone surrogates.
body_text = st.lists(
    st.one_of(
        st.characters(blacklist_categories=["Cs"], blacklist_characters="\0"),
        st.sampled_from([":", "/", "'", '"', "$(touch PWNED)", "`touch PWNED`", "{{x}}", "\n"]),
    ),
    max_size=12,
).map("".join)


# each value is read four times, one jq run each: fewer examples than elsewhere
@settings(PROCESS_SETTINGS, max_examples=20)
@given(values=st.lists(body_text, min_size=1, max_size=4))
def test_derived_forms_and_data_arrive_exactly(tmp_path: Path, values: list[str]) -> None:
    forms = [None, "colon_to_slash", "slash_to_colon", "name"]
    extracts = [
        Extraction(f"V{i}_{j}", ("values", i), derive=form)
        for i in range(len(values))
        for j, form in enumerate(forms)
    ]
    pieces: list[Piece] = []
    for extraction in extracts:
        pieces += [Var(extraction.var, "extracted"), b"|"]
    expected = "".join(derive(e.derive, values[e.path[1]]) + "|" for e in extracts)  # type: ignore[index]
    with serving(lambda _: reply(200, {"values": values})) as server:
        plan = plan_of(
            server,
            step("GET /values", "GET", "/values", extracts=extracts),
            step("POST /echo", "POST", "/echo", body=Text.of(*pieces)),
        )
        result = run_plan(plan, tmp_path)
        got = server.take()
    assert result.returncode == 0, result.stderr
    assert got[1].body == expected.encode()
    assert not (tmp_path / "PWNED").exists()


json_key = st.one_of(
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=8),
    st.sampled_from(["\\(1)", '"', "\\", "a.b", "$x", "0"]),
)
json_path = st.lists(st.one_of(json_key, st.integers(0, 2)), max_size=5)


def nest(path: list[str | int], value: object) -> object:
    for key in reversed(path):
        value = {key: value} if isinstance(key, str) else [None] * key + [value]
    return value


@settings(max_examples=25, deadline=None)
@given(paths=st.lists(json_path, min_size=1, max_size=10))
def test_jq_filter_reads_the_value_at_the_path(paths: list[list[str | int]]) -> None:
    # one jq run per path list: each document holds its index at the path
    documents = "".join(json.dumps(nest(path, index)) + "\n" for index, path in enumerate(paths))
    program = " , ".join(f"(input | {jq_filter(tuple(path))})" for path in paths)
    result = subprocess.run(
        ["jq", "-n", "-c", f"[{program}]"],
        input=documents.encode(),
        capture_output=True,
        check=True,
    )
    assert json.loads(result.stdout) == list(range(len(paths)))


def test_path_text() -> None:
    assert path_text(("status", "clusterName")) == "status.clusterName"
    assert path_text(("data", 0, "id")) == "data[0].id"
    assert path_text(("a b", "c")) == '["a b"].c'


# --- parameters -------------------------------------------------------------------------


def test_param_default_and_environment_value(tmp_path: Path) -> None:
    with serving(lambda _: reply(201, {})) as server:
        plan = plan_of(server, create_step())
        assert run_plan(plan, tmp_path).returncode == 0
        assert server.take()[0].body == b'{"name":"rke2-demo"}'
        result = run_plan(plan, tmp_path, CLUSTER_NAME="it's $(touch PWNED) `x`")
        assert result.returncode == 0, result.stderr
        assert server.take()[0].body == b'{"name":"it\'s $(touch PWNED) `x`"}'
    assert not (tmp_path / "PWNED").exists()
    text = emit(plan).text
    assert "#   CLUSTER_NAME: name of the cluster; default: rke2-demo\n" in text
    assert "e.g. CLUSTER_NAME=... bash script.sh" in text


def test_param_default_is_a_literal(tmp_path: Path) -> None:
    evil = Param("CLUSTER_NAME", "--cluster-name", "a'$(touch PWNED)`x`{{y}}", "name")
    with serving(lambda _: reply(201, {})) as server:
        plan = plan_of(server, create_step())
        plan.params = [evil]
        result = run_plan(plan, tmp_path)
        assert result.returncode == 0, result.stderr
        assert server.take()[0].body == b'{"name":"a\'$(touch PWNED)`x`{{y}}"}'
    assert not (tmp_path / "PWNED").exists()


# --- waiting ----------------------------------------------------------------------------


def test_wait_polls_until_the_field_appears(tmp_path: Path) -> None:
    issued = fresh_id()
    answers = iter([{}, {"status": None}, {"status": {"clusterName": ""}}, {"status": {}}])

    def api(received: Received) -> Reply:
        if received.target == b"/poll":
            document = next(answers, {"status": {"clusterName": issued}})
            return reply(200, document)
        return reply(200, {})

    poll = step(
        "GET /poll",
        "GET",
        "/poll",
        wait=Wait(("status", "clusterName")),
        extracts=[Extraction("CLUSTER_ID", ("status", "clusterName"))],
    )
    with serving(api) as server:
        plan = plan_of(server, poll, step("GET /next", "GET", "/next/", CLUSTER_ID))
        result = run_plan(plan, tmp_path, {"WAIT_INTERVAL": "0.05"})
        got = server.take()
    assert result.returncode == 0, result.stderr
    assert [r.target for r in got] == [b"/poll"] * 5 + [f"/next/{issued}".encode()]


@pytest.mark.parametrize("empty", [None, "", [], {}])
def test_wait_gives_up_after_the_timeout(tmp_path: Path, empty: object) -> None:
    poll = step("GET /poll", "GET", "/poll", wait=Wait(("data", 0)))
    with serving(lambda _: reply(200, {"data": [empty]})) as server:
        plan = plan_of(server, poll, step("GET /next", "GET", "/next"))
        env = {"WAIT_TIMEOUT": "0.5", "WAIT_INTERVAL": "0.2"}
        started = time.monotonic()
        result = run_plan(plan, tmp_path, env)
        waited = time.monotonic() - started
        got = server.take()
    assert result.returncode != 0
    assert 0.5 <= waited < 5
    assert 2 <= len(got) <= 10
    assert all(r.target == b"/poll" for r in got)
    message = b"error: step 1 (GET /poll): no data[0] in the response after waiting 0.5 seconds"
    assert message in result.stderr


@pytest.mark.parametrize(
    "name, value",
    [
        ("WAIT_TIMEOUT", "1; touch PWNED"),
        ("WAIT_TIMEOUT", "a[$(touch PWNED)]"),
        ("WAIT_INTERVAL", "1."),
    ],
)
def test_wait_settings_must_be_numbers(tmp_path: Path, name: str, value: str) -> None:
    poll = step("GET /poll", "GET", "/poll", wait=Wait(("a",)))
    with serving(lambda _: reply(200, {"a": 1})) as server:
        result = run_plan(plan_of(server, poll), tmp_path, {name: value})
        assert (result.returncode != 0, server.take()) == (True, [])
    assert name.encode() in result.stderr
    assert not (tmp_path / "PWNED").exists()


# --- failures ---------------------------------------------------------------------------


def test_conflict_names_the_parameter(tmp_path: Path) -> None:
    body = {"type": "error", "code": "AlreadyExists", "message": 'cluster "rke2-demo" exists'}
    with serving(lambda _: reply(409, body)) as server:
        plan = plan_of(server, create_step(), step("GET /next", "GET", "/next"))
        result = run_plan(plan, tmp_path)
        assert len(server.take()) == 1
    assert result.returncode != 0
    lines = result.stderr.decode().splitlines()
    assert 'error: step 1 (POST /v3/cluster): HTTP 409: cluster "rke2-demo" exists' in lines
    assert "already exists? choose another value: CLUSTER_NAME" in lines
    assert result.stdout == b""  # provisioning scripts do not print responses


def test_conflict_without_params_has_no_hint(tmp_path: Path) -> None:
    with serving(lambda _: reply(409, {"message": "busy"})) as server:
        result = run_plan(plan_of(server, step("POST /x", "POST", "/x")), tmp_path)
    assert result.returncode != 0
    assert b"HTTP 409: busy" in result.stderr
    assert b"already exists" not in result.stderr


@pytest.mark.parametrize(
    "body, message",
    [
        (b'{"message": "boom: quota"}', "boom: quota"),
        (b'{"message": 5}', "5"),
        (b'{"message": null, "a": 1}', '{"message": null, "a": 1}'),
        (b"x" * 299 + b"\xc3\xa9" + b"rest", "x" * 299 + "\u00e9"),
        (b"plain failure", "plain failure"),
    ],
)
def test_server_error_stops_before_the_next_request(
    tmp_path: Path, body: bytes, message: str
) -> None:
    with serving(lambda _: (500, [], body)) as server:
        plan = plan_of(server, create_step(), step("GET /next", "GET", "/next"))
        result = run_plan(plan, tmp_path)
        assert len(server.take()) == 1
    assert result.returncode != 0
    stderr = result.stderr.decode("utf-8", "replace")
    assert f"error: step 1 (POST /v3/cluster): HTTP 500: {message}\n" in stderr
    assert "already exists" not in stderr


def test_faithful_scripts_print_responses_and_name_the_failing_step(tmp_path: Path) -> None:
    def api(received: Received) -> Reply:
        if received.target == b"/ok":
            return 200, [], b"first body"
        return 503, [], b'{"message": "down"}'

    with serving(api) as server:
        steps = [step("GET /ok", "GET", "/ok"), step("GET /down", "GET", "/down")]
        plan = plan_of(server, *steps, step("GET /never", "GET", "/never"), mode="faithful")
        result = run_plan(plan, tmp_path)
        assert [r.target for r in server.take()] == [b"/ok", b"/down"]
    assert result.returncode != 0
    assert result.stdout == b'first body{"message": "down"}'
    assert b"error: step 2 (GET /down): HTTP 503: down\n" in result.stderr


def test_connection_failure_names_the_step(tmp_path: Path) -> None:
    server = Recorder().start()
    origin = server.origin
    server.stop()  # nothing listens there any more
    plan = plan_of(server, step("GET /x", "GET", "/x"))
    result = run_plan(plan, tmp_path, {"BASE_URL": origin})
    assert result.returncode != 0
    assert b"error: step 1 (GET /x): the request failed (curl exit code 7)" in result.stderr


def test_requests_have_timeouts() -> None:
    text = emit(plan_of(Recorder(), create_step(), step("GET /x", "GET", "/x"))).text
    assert text.count("--connect-timeout 30 --max-time 300 \\\n") == 2


def test_missing_jq_stops_before_any_request(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "bash").symlink_to("/bin/bash")
    with serving(lambda _: reply(200, {"id": "x"})) as server:
        first = create_step(extracts=[Extraction("CLUSTER_ID", ("id",))])
        result = run_plan(plan_of(server, first), tmp_path, {"PATH": str(bin_dir)})
        assert (result.returncode != 0, server.take()) == (True, [])
    assert b"needs jq" in result.stderr


# --- secrets and the summary ------------------------------------------------------------


def test_saved_secret_is_written_0600_and_never_printed(tmp_path: Path) -> None:
    secret = f"apiVersion: v1\n# token {secrets.token_hex(8)} $(touch PWNED)\n\n"
    saves = [SavedSecret(("config",), "kube config.yaml", "kubeconfig of the cluster")]
    with serving(lambda _: reply(200, {"config": secret})) as server:
        plan = plan_of(server, step("POST /kc", "POST", "/kc", saves=saves))
        old = tmp_path / "kube config.yaml"
        old.write_text("old")
        old.chmod(0o644)  # a second run must not keep an old file's mode
        for _ in range(2):
            result = run_plan(plan, tmp_path)
            assert result.returncode == 0, result.stderr
            assert result.stdout == b"kubeconfig of the cluster written to kube config.yaml\n"
            assert secret.encode() not in result.stderr
            mode = stat.S_IMODE(os.stat(tmp_path / "kube config.yaml").st_mode)
            assert mode == 0o600
            assert (tmp_path / "kube config.yaml").read_bytes() == secret.encode()
    assert not (tmp_path / "PWNED").exists()


def test_missing_secret_stops_the_script(tmp_path: Path) -> None:
    saves = [SavedSecret(("data", "token"), "token.txt", "registration token")]
    with serving(lambda _: reply(200, {"data": {}})) as server:
        result = run_plan(plan_of(server, step("GET /t", "GET", "/t", saves=saves)), tmp_path)
    assert result.returncode != 0
    assert b"step 1 (GET /t): the response has no field data.token" in result.stderr
    assert not (tmp_path / "token.txt").exists()


def test_summary_names_what_was_created(tmp_path: Path) -> None:
    ids = iter([fresh_id(), fresh_id()])
    issued: list[str] = []

    def api(_: Received) -> Reply:
        issued.append(next(ids))
        return reply(201, {"id": issued[-1]})

    created = create_step(
        extracts=[Extraction("CLUSTER_ID", ("id",))],
        creates=Created("cluster", Text.of(CLUSTER_NAME), "CLUSTER_ID"),
    )
    template = step(
        "POST /v3/nodetemplate",
        "POST",
        "/v3/nodetemplate",
        extracts=[Extraction("TEMPLATE_ID", ("id",))],
        creates=Created("node template", Text.of("it's {{t}}"), "TEMPLATE_ID"),
    )
    with serving(api) as server:
        plan = plan_of(server, created, template)
        result = run_plan(plan, tmp_path, CLUSTER_NAME="prod")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines() == [
        f"created cluster prod ({issued[0]})",
        f"created node template it's {{{{t}}}} ({issued[1]})",
    ]


def test_step_comments_say_what_the_step_does() -> None:
    first = create_step(
        extracts=[Extraction("CLUSTER_ID", ("id",), note="id of the cluster created here")],
        creates=Created("cluster", Text.of(CLUSTER_NAME), "CLUSTER_ID"),
        wait=Wait(("status", "ready")),
        saves=[SavedSecret(("config",), "kube.yaml", "kubeconfig")],
    )
    text = emit(plan_of(Recorder(), first)).text
    assert "\n# Step 1: POST /v3/cluster\n# Creates cluster ${CLUSTER_NAME}.\n" in text
    assert "\n# Sets CLUSTER_ID from id: id of the cluster created here\n" in text
    assert "\n# Sent again until the response has status.ready" in text
    assert "\n# Writes kubeconfig to kube.yaml (mode 0600).\n" in text
    assert "#   WAIT_TIMEOUT: " in text
    assert emit(plan_of(Recorder(), first)).text == text


# --- data from the server stays data ----------------------------------------------------

# What a URL or header can carry: printable ASCII without space, '#' (curl drops the rest)
# and nothing curl would treat as the end of a header.
url_text = st.lists(
    st.one_of(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="#"),
        st.sampled_from(["$(touch${IFS}PWNED)", "`touch${IFS}PWNED`", "{{x}}", "'", '"']),
    ),
    min_size=1,
    max_size=16,
).map("".join)


@PROCESS_SETTINGS
@given(in_url=url_text, in_header=url_text, in_body=body_text)
def test_issued_values_arrive_as_data(
    tmp_path: Path, in_url: str, in_header: str, in_body: str
) -> None:
    document = {"u": in_url, "h": in_header, "b": in_body}
    extracts = [Extraction(name.upper(), (name,)) for name in document]
    u, h, b = (Var(name.upper(), "extracted") for name in document)
    use = step(
        "POST /use", "POST", "/use/", u, body=Text.of(b"<", b, b">"), headers=[("X-H", Text.of(h))]
    )
    with serving(lambda _: reply(200, document)) as server:
        plan = plan_of(server, step("GET /ids", "GET", "/ids", extracts=extracts), use)
        result = run_plan(plan, tmp_path)
        got = server.take()
    assert result.returncode == 0, result.stderr
    assert got[1].target == b"/use/" + in_url.encode()
    assert got[1].header("X-H") == in_header.encode()
    assert got[1].body == b"<" + in_body.encode() + b">"
    assert not (tmp_path / "PWNED").exists()


# --- what the emitter refuses -----------------------------------------------------------


@pytest.mark.parametrize(
    "steps, message",
    [
        ([step("GET /", "GET", "/", CLUSTER_ID)], "'extracted' but no earlier step"),
        (
            [step("GET /", "GET", "/", Var("OTHER", "param"))],
            "parameter OTHER is not among the plan's params",
        ),
        (
            [step("GET /", "GET", "/", extracts=[Extraction("status", ("id",))])],
            "uses itself",
        ),
        (
            [step("GET /", "GET", "/", extracts=[Extraction("X", ("id",), derive="upper")])],
            "unknown derived form",
        ),
        (
            [step("GET /", "GET", "/", creates=Created("cluster", None, "NOPE"))],
            "NOPE is 'extracted' but no earlier step sets it",
        ),
        (
            [
                step(
                    "GET /",
                    "GET",
                    "/",
                    skip="websocket",
                    extracts=[Extraction("CLUSTER_ID", ("id",))],
                ),
                step("GET /a", "GET", "/a/", CLUSTER_ID),
            ],
            "'extracted' but no earlier step",
        ),
    ],
)
def test_what_the_emitter_refuses(steps: list[Step], message: str) -> None:
    with pytest.raises(EmitError, match=message):
        emit(plan_of(Recorder(), *steps))


@pytest.mark.parametrize("value", ["a\r\nInjected: 1", "a\nb", "a\r"])
def test_issued_line_break_cannot_go_into_a_header(tmp_path: Path, value: str) -> None:
    first = step("GET /ids", "GET", "/ids", extracts=[Extraction("CLUSTER_ID", ("id",))])
    use = step("GET /use", "GET", "/use", headers=[("X-Id", Text.of("v=", CLUSTER_ID))])
    with serving(lambda _: reply(200, {"id": value})) as server:
        result = run_plan(plan_of(server, first, use), tmp_path)
        assert [r.target for r in server.take()] == [b"/ids"]
    assert result.returncode != 0
    assert b"error: step 2 (GET /use): CLUSTER_ID has a line break" in result.stderr
