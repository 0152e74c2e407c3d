"""Provisioning scripts from the Python emitter: parameters, values taken from responses,
wait loops, saved secrets, failures and the summary, run against the loopback recorder.

The recorder's responder plays the server: it issues fresh ids on every run, so a script
passes only if it carries what the server said, not what the test wrote.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import black
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture2code.emit import EmitError
from capture2code.emit.python import emit
from capture2code.plan import (
    Created,
    EnvVar,
    Extraction,
    Param,
    Plan,
    SavedSecret,
    Step,
    Wait,
)
from capture2code.record import FormPart, Multipart, Record, Request
from capture2code.template import Text, Var
from tests.recorder import Received, Recorder
from tests.runners.python import run

Response = tuple[int, list[tuple[str, str]], bytes]
JSON = [("Content-Type", "application/json")]
PWNED = "PWNED"
CLUSTER_NAME = Param("CLUSTER_NAME", "--cluster-name", "rke2-demo", "name of the cluster")


def at(*pieces: str | Var) -> Text:
    return Text.of(Var("BASE_URL"), *pieces)


def extracted(name: str) -> Var:
    return Var(name, "extracted")


def param(name: str) -> Var:
    return Var(name, "param")


def step(request: Request, title: str | None = None, **provisioning) -> Step:
    """A step titled like the plan titles it: method and path, a Var as {NAME}."""
    url = "".join(f"{{{p.name}}}" if isinstance(p, Var) else p for p in request.url.as_str())
    path = url.removeprefix("{BASE_URL}").split("?")[0]
    return Step(Record(request), title or f"{request.method} {path}", **provisioning)


def make_plan(to: Recorder | None, *steps: Step, params: tuple[Param, ...] = (), **kw) -> Plan:
    origin = to.origin if to is not None else "http://127.0.0.1:9"
    base = EnvVar("BASE_URL", "where to send the requests", default=origin)
    return Plan(list(steps), env=[base], params=list(params), mode="provision", **kw)


def by_target(routes: dict[str, Callable[[Received], Response]]) -> Callable[[Received], Response]:
    """A responder choosing by the request target's path (before "?")."""

    def respond(received: Received) -> Response:
        path = received.target.split(b"?")[0].decode("utf-8", "surrogateescape")
        return routes[path](received) if path in routes else (200, JSON, b"{}")

    return respond


def json_reply(value: object, status: int = 200) -> Callable[[Received], Response]:
    return lambda _: (status, JSON, json.dumps(value).encode())


def derived(value: str, derive: str) -> str:
    """plan.DERIVATIONS, written again from their descriptions."""
    if derive == "colon_to_slash":
        return value.replace(":", "/", 1)
    if derive == "slash_to_colon":
        return value.replace("/", ":", 1)
    cut = max(value.rfind(":"), value.rfind("/"))
    return value[cut + 1 :]


# --- the script's shape -------------------------------------------------------------------


def _cluster_plan(to: Recorder | None) -> Plan:
    create = Request(
        "POST",
        at("/v3/cluster"),
        headers=[("Content-Type", Text.of("application/json"))],
        body=Text.of(b'{"name":"', param("CLUSTER_NAME"), b'"}'),
    )
    show = Request("GET", at("/v3/cluster/", extracted("CLUSTER_ID")))
    return make_plan(
        to,
        step(
            create,
            extracts=[Extraction("CLUSTER_ID", ("id",), note="id of the cluster created here")],
            creates=Created("cluster", Text.of(param("CLUSTER_NAME")), "CLUSTER_ID"),
        ),
        step(show, "GET /v3/cluster/{id}", wait=Wait(("status", "clusterName"))),
        params=(CLUSTER_NAME,),
    )


def test_script_documents_options_and_steps_and_is_black_formatted():
    text = emit(_cluster_plan(None)).text
    assert "# Does the captured provisioning again with Python requests" in text
    assert "#   --cluster-name, CLUSTER_NAME: name of the cluster; default: rke2-demo\n" in text
    assert "#   --wait-timeout, WAIT_TIMEOUT: " in text and "; default: 600\n" in text
    assert "#   --wait-interval, WAIT_INTERVAL: " in text and "; default: 5\n" in text
    assert "python3 script.py [--cluster-name VALUE]\n" in text
    assert "# Step 1: POST /v3/cluster\n# Creates cluster {CLUSTER_NAME}.\n" in text
    assert "# Sets CLUSTER_ID: id of the cluster created here (response field id).\n" in text
    assert "until the response has status.clusterName" in text
    compile(text, "script.py", "exec")
    assert black.format_str(text, mode=black.Mode(line_length=100)) == text
    assert emit(_cluster_plan(None)).text == text


def test_help_lists_the_options(tmp_path):
    (tmp_path / "script.py").write_text(emit(_cluster_plan(None)).text)
    shown = subprocess.run(
        [sys.executable, "-I", "script.py", "--help"], cwd=tmp_path, capture_output=True
    )
    assert shown.returncode == 0
    assert b"--cluster-name CLUSTER_NAME" in shown.stdout
    assert b"environment variable CLUSTER_NAME; default: rke2-demo" in b" ".join(
        shown.stdout.split()
    )


# --- extracted values ---------------------------------------------------------------------


def test_server_issued_values_reach_every_place_in_later_requests(recorder, tmp_path):
    issued = {}

    def create(_: Received) -> Response:
        issued["id"] = "c-" + secrets.token_hex(4)
        issued["nt"] = "cattle-global-nt:nt-" + secrets.token_hex(3)
        issued["count"] = secrets.randbelow(1000)
        body = {"id": issued["id"], "data": [{"nt": issued["nt"]}], "n": issued["count"]}
        location = "/v3/cluster/" + issued["id"]
        return 201, [*JSON, ("LOCATION", location)], json.dumps(body).encode()

    recorder.responder = by_target({"/v3/cluster": create})
    first = step(
        Request("POST", at("/v3/cluster")),
        extracts=[
            Extraction("CLUSTER_ID", ("id",)),
            Extraction("NT_ID", ("data", 0, "nt")),
            Extraction("NT_PATH", ("data", 0, "nt"), derive="colon_to_slash"),
            Extraction("NT_NAME", ("data", 0, "nt"), derive="name"),
            Extraction("NT_BACK", ("data", 0, "nt"), derive="slash_to_colon"),
            Extraction("COUNT", ("n",)),
            Extraction("WHERE", header="location"),
        ],
    )
    use = Request(
        "PUT",
        at(
            "/v1/",
            extracted("NT_PATH"),
            "/x?cluster=",
            extracted("CLUSTER_ID"),
            "&n=",
            Var("COUNT", "extracted"),
        ),
        headers=[
            ("X-Pool", Text.of(extracted("CLUSTER_ID"), ":np-1")),
            ("X-Where", Text.of(extracted("WHERE"))),
        ],
        body=Text.of(
            b'{"clusterId":"',
            extracted("CLUSTER_ID"),
            b'","nodeTemplateId":"',
            extracted("NT_ID"),
            b'","name":"',
            extracted("NT_NAME"),
            b'","back":"',
            extracted("NT_BACK"),
            b'"}',
        ),
    )
    upload = Request(
        "POST",
        at("/upload"),
        body=Multipart([FormPart("cluster", value=Text.of("id=", extracted("CLUSTER_ID")))]),
    )
    plan = make_plan(recorder, first, step(use), step(upload))
    for run_number in range(2):  # fresh ids each run: nothing captured is replayed
        result = run(emit(plan), {}, tmp_path / str(run_number))
        assert result.returncode == 0, result.stderr.decode()
        _, second, third = recorder.take()
        nt = issued["nt"]
        assert (
            second.target
            == (
                f"/v1/{derived(nt, 'colon_to_slash')}/x?cluster={issued['id']}&n={issued['count']}"
            ).encode()
        )
        assert second.header("x-pool") == f"{issued['id']}:np-1".encode()
        assert second.header("x-where") == f"/v3/cluster/{issued['id']}".encode()
        assert json.loads(second.body) == {
            "clusterId": issued["id"],
            "nodeTemplateId": nt,
            "name": derived(nt, "name"),
            "back": nt,
        }
        assert f'name="cluster"\r\n\r\nid={issued["id"]}\r\n'.encode() in third.body


@pytest.mark.parametrize(
    ("reply", "extraction", "message"),
    [
        ({"id": "c-1"}, Extraction("X", ("data", 0, "id")), "the response has no field data[0].id"),
        ({"data": []}, Extraction("X", ("data", 0, "id")), "the response has no field data[0].id"),
        (
            {"status": None},
            Extraction("X", ("status", "clusterName")),
            "the response has no field status.clusterName",
        ),
        ({"a b": 1}, Extraction("X", ("a b", "c")), 'the response has no field ["a b"].c'),
        (b"<html>not json", Extraction("X", ("id",)), "the response has no field id"),
        ({"id": "c-1"}, Extraction("X", header="Location"), "the response has no header Location"),
    ],
)
def test_missing_field_stops_before_the_next_request(
    recorder, tmp_path, reply, extraction, message
):
    body = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
    recorder.responder = lambda _: (201, JSON, body)
    first = step(Request("POST", at("/v3/cluster")), extracts=[extraction])
    second = step(Request("GET", at("/next/", extracted("X"))))
    result = run(emit(make_plan(recorder, first, second)), {}, tmp_path)
    assert result.returncode != 0
    assert result.stderr.decode() == f"error: step 1 (POST /v3/cluster): {message}\n"
    assert [r.target for r in recorder.take()] == [b"/v3/cluster"]


def test_values_are_read_as_json_text(recorder, tmp_path):
    reply = {"s": 'a"b', "i": 42, "f": 1.5, "t": True, "f2": False, "o": {"k": [1]}}
    recorder.responder = by_target({"/v": json_reply(reply)})
    keys = list(reply)
    first = step(Request("GET", at("/v")), extracts=[Extraction(k.upper(), (k,)) for k in keys])
    second = step(
        Request(
            "POST",
            at("/echo"),
            body=Text.of(*(x for k in keys for x in (extracted(k.upper()), b"|"))),
        )
    )
    result = run(emit(make_plan(recorder, first, second)), {}, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert recorder.take()[1].body == b'a"b|42|1.5|true|false|{"k": [1]}|'


# --- parameters ---------------------------------------------------------------------------


def test_param_from_option_then_environment_then_default(recorder, tmp_path):
    create = Request(
        "POST",
        at("/v3/cluster?name=", param("CLUSTER_NAME")),
        headers=[("X-Name", Text.of("n-", param("CLUSTER_NAME")))],
        body=Text.of(b'{"name":"', param("CLUSTER_NAME"), b'"}'),
    )
    plan = make_plan(recorder, step(create), params=(CLUSTER_NAME,))
    cases = [
        ({}, {}, "rke2-demo"),
        ({"CLUSTER_NAME": "from-env"}, {}, "from-env"),
        ({"CLUSTER_NAME": "from-env"}, {"CLUSTER_NAME": "from-option"}, "from-option"),
        ({}, {"CLUSTER_NAME": "-dash"}, "-dash"),
    ]
    for number, (env, params, expected) in enumerate(cases):
        result = run(emit(plan), env, tmp_path / str(number), params=params)
        assert result.returncode == 0, result.stderr.decode()
        [received] = recorder.take()
        assert received.target == f"/v3/cluster?name={expected}".encode()
        assert received.header("x-name") == f"n-{expected}".encode()
        assert received.body == f'{{"name":"{expected}"}}'.encode()


def test_param_names_that_clash_with_script_names(recorder, tmp_path):
    names = [Param(n, f"--{n.lower()}", f"d-{n}", "x") for n in ("args", "send", "response")]
    request = Request(
        "GET", at("/p"), headers=[(f"X-{p.name}", Text.of(param(p.name))) for p in names]
    )
    plan = make_plan(recorder, step(request), params=tuple(names))
    result = run(emit(plan), {"send": "e-send"}, tmp_path, params={"args": "o-args"})
    assert result.returncode == 0, result.stderr.decode()
    [received] = recorder.take()
    assert [received.header(f"x-{n}") for n in ("args", "send", "response")] == [
        b"o-args",
        b"e-send",
        b"d-response",
    ]


# --- waiting ------------------------------------------------------------------------------


def _waiting_plan(to: Recorder) -> Plan:
    create = step(Request("POST", at("/v1/cluster")), extracts=[Extraction("NAME", ("name",))])
    poll = step(
        Request("GET", at("/v1/cluster/", extracted("NAME"))),
        wait=Wait(("status", "clusterName")),
        extracts=[Extraction("INTERNAL", ("status", "clusterName"))],
    )
    after = step(Request("GET", at("/v3/clusters/", extracted("INTERNAL"))))
    return make_plan(to, create, poll, after)


def _slow_server(empty_answers: int) -> tuple[Callable[[Received], Response], str]:
    """A cluster whose status.clusterName appears after `empty_answers` polls (never if < 0):
    the responder, and the clusterName it issues."""
    polls = []
    internal = "c-m-" + secrets.token_hex(4)
    empty = [{}, {"status": None}, {"status": {"clusterName": ""}}, {"status": {}}]

    def poll(_: Received) -> Response:
        polls.append(time.monotonic())
        if empty_answers < 0 or len(polls) <= empty_answers:
            return 200, JSON, json.dumps(empty[len(polls) % len(empty)]).encode()
        return 200, JSON, json.dumps({"status": {"clusterName": internal}}).encode()

    def respond(received: Received) -> Response:
        if received.target == b"/v1/cluster":
            return 201, JSON, b'{"name":"fleet-default/demo"}'
        if received.target == b"/v1/cluster/fleet-default/demo":
            return poll(received)
        return 200, JSON, json.dumps({"got": received.target.decode()}).encode()

    return respond, internal


def test_wait_polls_until_the_field_appears(recorder, tmp_path):
    recorder.responder, internal = _slow_server(4)
    env = {"WAIT_INTERVAL": "0.05"}
    result = run(emit(_waiting_plan(recorder)), env, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    targets = [r.target for r in recorder.take()]
    assert targets == [
        b"/v1/cluster",
        *[b"/v1/cluster/fleet-default/demo"] * 5,
        f"/v3/clusters/{internal}".encode(),
    ]


def test_wait_gives_up_after_the_timeout(recorder, tmp_path):
    recorder.responder, _ = _slow_server(-1)
    started = time.monotonic()
    plan = _waiting_plan(recorder)
    result = run(emit(plan), {"WAIT_TIMEOUT": "0.5"}, tmp_path)
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    assert result.stderr.decode() == (
        "error: step 2 (GET /v1/cluster/{NAME}): no status.clusterName in the response after"
        " waiting 0.5 seconds (set --wait-timeout or WAIT_TIMEOUT)\n"
    )
    targets = [r.target for r in recorder.take()]
    assert targets[0] == b"/v1/cluster" and set(targets[1:]) == {b"/v1/cluster/fleet-default/demo"}
    assert elapsed < 5


def test_wait_options_on_the_command_line(recorder, tmp_path):
    recorder.responder, _ = _slow_server(-1)
    (tmp_path / "script.py").write_text(emit(_waiting_plan(recorder)).text)
    result = subprocess.run(
        [sys.executable, "-I", "script.py", "--wait-timeout", "0.3", "--wait-interval=0.1"],
        cwd=tmp_path,
        capture_output=True,
        env={"PATH": os.environ["PATH"], "WAIT_TIMEOUT": "600"},
        timeout=20,
    )
    assert result.returncode != 0 and b"after waiting 0.3 seconds" in result.stderr
    polls = len(recorder.take()) - 1
    assert 2 <= polls <= 5


def test_bad_wait_setting_is_a_usage_error(recorder, tmp_path):
    result = run(emit(_waiting_plan(recorder)), {"WAIT_TIMEOUT": "soon"}, tmp_path)
    assert result.returncode == 2 and b"--wait-timeout: invalid float value" in result.stderr
    assert recorder.take() == []


# --- failures -----------------------------------------------------------------------------


def test_conflict_names_the_parameter_to_change(recorder, tmp_path):
    recorder.responder = json_reply({"message": 'cluster "rke2-demo" already exists'}, 409)
    create = Request("POST", at("/v3/cluster"), body=Text.of(b"n=", param("CLUSTER_NAME")))
    plan = make_plan(
        recorder, step(create), step(Request("GET", at("/after"))), params=(CLUSTER_NAME,)
    )
    result = run(emit(plan), {}, tmp_path)
    assert result.returncode != 0
    assert result.stderr.decode() == (
        'error: step 1 (POST /v3/cluster): HTTP 409: cluster "rke2-demo" already exists\n'
        "already exists? choose another value: --cluster-name (CLUSTER_NAME)\n"
    )
    assert len(recorder.take()) == 1


def test_conflict_without_parameters_has_no_hint(recorder, tmp_path):
    recorder.responder = json_reply({"message": "exists"}, 409)
    result = run(emit(make_plan(recorder, step(Request("POST", at("/x"))))), {}, tmp_path)
    assert result.stderr.decode() == "error: step 1 (POST /x): HTTP 409: exists\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"type":"error","message":"internal failure","code":"ServerError"}', "internal failure"),
        (b'["message"]', '["message"]'),
        (b"x" * 400, "x" * 300),
        ("plain: café".encode(), "plain: café"),
    ],
)
def test_server_error_names_step_method_path_status_and_message(recorder, tmp_path, body, message):
    plan = make_plan(
        recorder,
        step(Request("GET", at("/ok"))),
        step(Request("DELETE", at("/v3/cluster/c-1?x=1"))),
        step(Request("GET", at("/never"))),
    )
    recorder.responder = by_target(
        {"/ok": json_reply({}), "/v3/cluster/c-1": lambda _: (500, JSON, body)}
    )
    result = run(emit(plan), {}, tmp_path)
    assert result.returncode == 1
    assert (
        result.stderr.decode() == f"error: step 2 (DELETE /v3/cluster/c-1): HTTP 500: {message}\n"
    )
    assert [r.target for r in recorder.take()] == [b"/ok", b"/v3/cluster/c-1?x=1"]


def test_connection_failure_names_the_step(tmp_path):
    plan = make_plan(None, step(Request("GET", at("/x"))))  # port 9: nothing listens
    result = run(emit(plan), {}, tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(b"error: step 1 (GET /x): ConnectionError: ")
    assert b"Traceback" not in result.stderr


# --- secrets and summary ------------------------------------------------------------------


def test_secret_is_written_to_a_0600_file_and_never_printed(recorder, tmp_path):
    kubeconfig = "apiVersion: v1\nclusters:\n- token: kubeconfig-user-" + secrets.token_hex(8)
    token = "registration-" + secrets.token_hex(8)
    recorder.responder = by_target(
        {
            "/v3/clusters/c-1": json_reply({"config": kubeconfig}),
            "/v3/token": json_reply({"data": [{"command": token}]}),
        }
    )
    plan = make_plan(
        recorder,
        step(
            Request("POST", at("/v3/clusters/c-1?action=generateKubeconfig")),
            saves=[SavedSecret(("config",), "kubeconfig.yaml", "kubeconfig of the cluster")],
        ),
        step(
            Request("GET", at("/v3/token")),
            saves=[SavedSecret(("data", 0, "command"), "register.sh", "registration command")],
        ),
    )
    stale = tmp_path / "kubeconfig.yaml"
    tmp_path.mkdir(exist_ok=True)
    stale.write_text("old")
    stale.chmod(0o644)  # a previous run's file, readable by others: replaced, not reused
    result = run(emit(plan), {}, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode() == (
        "kubeconfig of the cluster written to kubeconfig.yaml\n"
        "registration command written to register.sh\n"
    )
    for name, value in [("kubeconfig.yaml", kubeconfig), ("register.sh", token)]:
        path = tmp_path / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text() == value
        assert value.encode() not in result.stdout + result.stderr
    assert "kubeconfig-user-" not in emit(plan).text


def test_missing_secret_stops_and_writes_no_file(recorder, tmp_path):
    recorder.responder = json_reply({"other": 1})
    plan = make_plan(
        recorder, step(Request("GET", at("/t")), saves=[SavedSecret(("token",), "t.txt", "token")])
    )
    result = run(emit(plan), {}, tmp_path)
    assert result.returncode != 0
    assert result.stderr == b"error: step 1 (GET /t): the response has no field token\n"
    assert not (tmp_path / "t.txt").exists()


def test_summary_lists_what_was_created(recorder, tmp_path):
    ids = {}

    def issue(kind: str) -> Callable[[Received], Response]:
        def respond(_: Received) -> Response:
            ids[kind] = f"{kind}-{secrets.token_hex(3)}"
            return 201, JSON, json.dumps({"id": ids[kind]}).encode()

        return respond

    recorder.responder = by_target({"/v3/cluster": issue("c"), "/v3/nodetemplate": issue("nt")})
    plan = make_plan(
        recorder,
        step(
            Request("POST", at("/v3/nodetemplate")),
            extracts=[Extraction("NT_ID", ("id",))],
            creates=Created("node template", Text.of("do-", param("CLUSTER_NAME")), "NT_ID"),
        ),
        step(
            Request("POST", at("/v3/cluster")),
            extracts=[Extraction("CLUSTER_ID", ("id",))],
            creates=Created("cluster", Text.of(param("CLUSTER_NAME")), "CLUSTER_ID"),
        ),
        step(Request("POST", at("/v3/thing")), creates=Created("thing")),
        params=(CLUSTER_NAME,),
    )
    result = run(emit(plan), {}, tmp_path, params={"CLUSTER_NAME": "demo2"})
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode() == (
        f"created node template do-demo2 ({ids['nt']})\n"
        f"created cluster demo2 ({ids['c']})\n"
        "created thing\n"
    )


def test_responses_are_not_printed(recorder, tmp_path):
    recorder.responder = json_reply({"token": "secret-" + secrets.token_hex(8)})
    for mode in ("faithful", "provision"):
        plan = make_plan(recorder, step(Request("GET", at("/t"))))
        plan.mode = mode
        result = run(emit(plan), {}, tmp_path / mode)
        assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")


# --- plans the script cannot express ------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.steps[0].extracts.append(Extraction("X", derive="upper")), "derivation"),
        (lambda p: p.steps[0].saves.append(SavedSecret(("a",), "../k", "k")), "file name"),
        (lambda p: p.steps[0].saves.append(SavedSecret(("a",), "", "k")), "file name"),
        (lambda p: p.params.append(Param("P", "-p", "d", "x")), "usable option"),
        (lambda p: p.params.append(Param("P", "--wait-timeout", "d", "x")), "used twice"),
        (lambda p: p.params.append(Param("WAIT_TIMEOUT", "--t", "d", "x")), "wait loop"),
        (lambda p: setattr(p.steps[0], "creates", Created("x", None, "NOPE")), "NOPE is never"),
        (
            lambda p: p.steps[0].record.request.headers.append(("X", Text.of(extracted("ID")))),
            "ID is not extracted by an earlier step",
        ),
    ],
)
def test_plan_the_script_cannot_express_is_an_error(change, message):
    plan = make_plan(
        None,
        step(
            Request("GET", at("/a")),
            extracts=[Extraction("ID", ("id",))],
            wait=Wait(("id",)),
        ),
    )
    change(plan)
    with pytest.raises(EmitError, match=message):
        emit(plan)


# --- hostile values -----------------------------------------------------------------------

HOSTILE = [
    '"); open("PWNED", "w")  #',
    "'); open('PWNED', 'w')  #",
    "$(touch PWNED)",
    "`touch PWNED`",
    "{{PWNED}}",
    "%(default)s%s{0}",
    "\\",
    "ns:name/x",
]
# What a server may issue that can stand in a URL (no space, control character or "#").
url_values = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.sampled_from(list("\"'$()`{}:/%;&|<>\\é"))),
    max_size=8,
).map(lambda pieces: "".join(pieces).replace(" ", "").replace("#", ""))
header_values = st.text(
    st.characters(blacklist_characters="\r\n\x00", blacklist_categories=["Cs"]), max_size=20
).map(str.strip)
body_values = st.text(st.characters(blacklist_categories=["Cs"]), max_size=20) | st.sampled_from(
    HOSTILE + ["line\nbreak", "\x00nul"]
)
RUNS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@RUNS
@given(
    url_values,
    header_values,
    body_values,
    st.sampled_from(["colon_to_slash", "slash_to_colon", "name"]),
    st.sampled_from(HOSTILE),
)
def test_hostile_server_values_and_params_arrive_as_data(
    recorder, in_url, in_header, in_body, derive, name
):
    recorder.take()
    reply = {"url": in_url, "header": in_header, "body": in_body}
    recorder.responder = by_target({"/issue": json_reply(reply)})
    first = step(
        Request("POST", at("/issue")),
        extracts=[
            Extraction("IN_URL", ("url",)),
            Extraction("IN_URL_D", ("url",), derive=derive),
            Extraction("IN_HEADER", ("header",)),
            Extraction("IN_BODY", ("body",)),
        ],
        creates=Created("thing", Text.of(param("NAME")), "IN_URL"),
    )
    use = Request(
        "POST",
        at("/use/", extracted("IN_URL"), "?d=", extracted("IN_URL_D")),
        headers=[("X-Value", Text.of(extracted("IN_HEADER"))), ("X-Name", Text.of(param("NAME")))],
        body=Text.of(b"<", extracted("IN_BODY"), b"|", param("NAME"), b">"),
    )
    plan = make_plan(
        recorder, first, step(use), params=(Param("NAME", "--name", name, "the name"),)
    )
    with tempfile.TemporaryDirectory() as tmp:
        result = run(emit(plan), {}, Path(tmp), params={"NAME": name})
        assert result.returncode == 0, result.stderr.decode()
        assert not (Path(tmp) / PWNED).exists()
    _, received = recorder.take()
    expected_target = f"/use/{in_url}?d={derived(in_url, derive)}"
    assert received.target == expected_target.encode()
    assert received.header("x-value") == in_header.encode()
    assert received.header("x-name") == name.encode()
    assert received.body == f"<{in_body}|{name}>".encode()
    assert result.stdout.decode() == f"created thing {name} ({in_url})\n"


def test_header_value_keeps_its_bytes(recorder, tmp_path):
    recorder.responder = by_target({"/new": lambda _: (201, [("Location", "/v3/café/ü:x")], b"")})
    first = step(
        Request("POST", at("/new")),
        extracts=[
            Extraction("WHERE", header="location"),
            Extraction("NAME", header="LOCATION", derive="name"),
        ],
    )
    second = step(
        Request(
            "GET",
            Text.of(Var("BASE_URL"), extracted("WHERE")),
            headers=[("X-Name", Text.of(extracted("NAME")))],
        )
    )
    result = run(emit(make_plan(recorder, first, second)), {}, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    received = recorder.take()[1]
    assert received.target == "/v3/café/ü:x".encode()
    assert received.header("x-name") == b"x"


# --- any plan -----------------------------------------------------------------------------

shape_texts = st.one_of(st.text(max_size=12), st.sampled_from(HOSTILE))
json_paths = st.lists(st.one_of(shape_texts, st.integers(-3, 3)), max_size=3).map(tuple)


@st.composite
def provisioning_plans(draw: st.DrawFn) -> Plan:
    """Plans of one to three steps; each may extract, wait, save and create."""
    count = draw(st.integers(1, 3))
    # names that clash with the script's own are renamed in it
    names = draw(st.permutations(["P_A", "args", "response", "V0", "field", "ID", "send"]))
    params = [
        Param(name, "--" + name.lower().replace("_", "-"), draw(shape_texts), draw(shape_texts))
        for name in names[:2]
        if draw(st.booleans())
    ]
    steps: list[Step] = []

    def some(choices: list[Var]) -> list[Var]:
        return draw(st.lists(st.sampled_from(choices))) if choices else []

    available = [param(p.name) for p in params]
    for number in range(count):
        var = names[2 + number]
        body = Text.of(b"b", *some(available))
        request = Request("POST", at("/x/", *some(available)), body=body)
        extraction = Extraction(
            var,
            draw(json_paths),
            draw(st.one_of(st.none(), st.sampled_from(["Location", "x-Id"]))),
            draw(
                st.one_of(st.none(), st.sampled_from(["colon_to_slash", "slash_to_colon", "name"]))
            ),
            draw(shape_texts),
        )
        saves = draw(
            st.lists(
                st.builds(
                    SavedSecret, json_paths, st.sampled_from(["k.yaml", "t x'$.txt"]), shape_texts
                ),
                max_size=2,
            )
        )
        created = draw(
            st.one_of(
                st.none(),
                st.builds(
                    Created,
                    shape_texts,
                    st.none() | st.just(Text.of("n-", *available[:1])),
                    st.just(var),
                ),
            )
        )
        wait = draw(st.one_of(st.none(), st.builds(Wait, json_paths)))
        steps.append(
            step(
                request,
                draw(shape_texts),
                extracts=[extraction],
                wait=wait,
                saves=saves,
                creates=created,
            )
        )
        available.append(extracted(var))
    return make_plan(None, *steps, params=tuple(params), header=[draw(shape_texts)])


@settings(max_examples=80, deadline=None)
@given(provisioning_plans())
def test_any_provisioning_plan_formats_and_compiles(plan):
    text = emit(plan).text
    compile(text, "script.py", "exec")
    assert black.format_str(text, mode=black.Mode(line_length=100)) == text


def test_hostile_descriptions_stay_text_in_comments_and_help(recorder, tmp_path):
    hostile = "\n".join(HOSTILE) + "\r\x00%"
    recorder.responder = json_reply({"id": "c-1", "k": "secret"})
    plan = make_plan(
        recorder,
        step(
            Request("POST", at("/x"), body=Text.of(b"n=", param("NAME"))),
            hostile,
            extracts=[Extraction("ID", ("id",), note=hostile)],
            saves=[SavedSecret(("k",), "k.txt", hostile)],
            creates=Created(hostile, Text.of(hostile, param("NAME")), "ID"),
        ),
        params=(Param("NAME", "--name", hostile, hostile),),
        header=[hostile],
    )
    text = emit(plan).text
    (tmp_path / "script.py").write_text(text)
    shown = subprocess.run(
        [sys.executable, "-I", "script.py", "--help"], cwd=tmp_path, capture_output=True
    )
    assert shown.returncode == 0 and b"--name NAME" in shown.stdout
    result = run(emit(plan), {}, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    [received] = recorder.take()
    assert received.body == b"n=" + hostile.encode()
    assert result.stdout.decode() == (
        f"{hostile} written to k.txt\ncreated {hostile} {hostile}{hostile} (c-1)\n"
    )
    assert not (tmp_path / PWNED).exists()


def test_a_later_step_may_set_a_value_again(recorder, tmp_path):
    versions = iter(range(100, 200))
    recorder.responder = lambda _: (200, JSON, json.dumps({"v": str(next(versions))}).encode())
    version = Text.of(extracted("VERSION"))
    plan = make_plan(
        recorder,
        step(Request("GET", at("/a")), extracts=[Extraction("VERSION", ("v",))]),
        step(Request("PUT", at("/b"), body=version), extracts=[Extraction("VERSION", ("v",))]),
        step(Request("PUT", at("/c"), body=version)),
    )
    result = run(emit(plan), {}, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert [r.body for r in recorder.take()] == [b"", b"100", b"101"]


def test_header_value_that_cannot_be_sent_stops_without_showing_it(recorder, tmp_path):
    secret = "tok-" + secrets.token_hex(6)
    recorder.responder = by_target({"/login": json_reply({"token": secret + "\r\nX-Evil: 1"})})
    use = Request(
        "GET", at("/use"), headers=[("Authorization", Text.of("Bearer ", extracted("TOKEN")))]
    )
    plan = make_plan(
        recorder,
        step(Request("POST", at("/login")), extracts=[Extraction("TOKEN", ("token",))]),
        step(use),
    )
    result = run(emit(plan), {}, tmp_path)
    assert (result.returncode, result.stderr.decode()) == (
        1,
        "error: step 2 (GET /use): the URL or a header value has a line break or control"
        " character\n",
    )
    assert [r.target for r in recorder.take()] == [b"/login"]


def test_url_that_cannot_be_sent_stops_with_the_step(recorder, tmp_path):
    recorder.responder = by_target({"/login": json_reply({"id": "a\r\nb"})})
    plan = make_plan(
        recorder,
        step(Request("POST", at("/login")), extracts=[Extraction("ID", ("id",))]),
        step(Request("GET", at("/use/", extracted("ID")))),
    )
    result = run(emit(plan), {}, tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(b"error: step 2 (GET /use/{ID}): ")
    assert b"Traceback" not in result.stderr
    assert [r.target for r in recorder.take()] == [b"/login"]


def test_base_url_without_scheme_stops_with_the_reason(tmp_path):
    plan = make_plan(None, step(Request("GET", at("/x"))))
    result = run(emit(plan), {"BASE_URL": "localhost:1"}, tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(b"error: step 1 (GET /x): ")
    assert b"Traceback" not in result.stderr
