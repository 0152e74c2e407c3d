"""Provisioning plans in .http: parameters, values read from responses, waits, saved secrets,
failures and the summary, run by the real httpyac against a loopback server that issues
fresh ids on every run."""

from __future__ import annotations

import itertools
import json
import os
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture2code.emit import EmitError, Emitted
from capture2code.emit.http import emit
from capture2code.plan import (
    Created,
    EnvVar,
    Extraction,
    Param,
    Plan,
    SavedSecret,
    Step,
    Wait,
    path_text,
)
from capture2code.record import FormPart, Multipart, Record, Request
from capture2code.template import Text, Var
from tests.recorder import Received, Recorder
from tests.runners.http import HTTPYAC, run

BASE = Var("BASE_URL")
NAME = Var("CLUSTER_NAME", "param")
CLUSTER_ID = Var("CLUSTER_ID", "extracted")
NAME_PARAM = Param("CLUSTER_NAME", "--cluster-name", "rke2-demo", "name of the cluster")
JSON_TYPE = ("Content-Type", "application/json")
Response = tuple[int, list[tuple[str, str]], bytes]


def json_response(data: object, status: int = 200) -> Response:
    return status, [JSON_TYPE], json.dumps(data).encode()


class Server:
    """Answers by the longest matching path prefix first (the routes are given so)."""

    def __init__(self, recorder: Recorder, routes: dict[str, Callable[[Received], Response]]):
        self.routes = routes
        recorder.responder = self.respond

    def respond(self, received: Received) -> Response:
        path = received.target.split(b"?")[0].decode()
        for prefix, route in self.routes.items():
            if path.startswith(prefix):
                return route(received)
        return json_response({})


def plan_of(recorder: Recorder, steps: list[Step], params: list[Param] | None = None) -> Plan:
    return Plan(
        steps,
        env=[EnvVar("BASE_URL", "origin the requests go to", default=recorder.origin)],
        params=[NAME_PARAM] if params is None else params,
        mode="provision",
    )


def provision(
    recorder: Recorder,
    plan: Plan,
    env: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[Emitted, subprocess.CompletedProcess[bytes], list[Received]]:
    recorder.take()
    emitted = emit(plan)
    with tempfile.TemporaryDirectory() as tmp:
        where = cwd or Path(tmp)
        result = run(emitted, env or {}, where, params)
        assert not (where / "PWNED").exists(), "a server's value was executed"
    return emitted, result, recorder.take()


def create_step(extracts: list[Extraction], **kwargs: object) -> Step:
    request = Request(
        "POST",
        Text.of(BASE, "/v3/cluster"),
        [("Content-Type", Text.of("application/json"))],
        Text.of(b'{"name":"', NAME, b'"}'),
    )
    return Step(Record(request), "POST /v3/cluster", extracts=extracts, **kwargs)  # type: ignore[arg-type]


def get_step(path: Text, title: str = "GET /v3/cluster/{CLUSTER_ID}", **kwargs: object) -> Step:
    request = Request("GET", Text.of(BASE) + path)
    return Step(Record(request), title, **kwargs)  # type: ignore[arg-type]


# --- values from responses -------------------------------------------------------------------


def test_an_issued_id_is_carried_everywhere_in_each_derived_form(recorder: Recorder) -> None:
    issued: list[dict[str, object]] = []

    def created(_: Received) -> Response:
        number = len(issued)
        data = {
            "id": f"fleet-default:c-{number}x",
            "links": {"self": f"ns/n{number}"},
            "data": [{"id": f"d{number}"}, {"id": "other"}],
            "count": 40 + number,
            "ok": True,
        }
        issued.append(data)
        return 201, [JSON_TYPE, ("X-Request-Id", f"rq-{number}")], json.dumps(data).encode()

    Server(recorder, {"/v3/cluster": created})
    extracts = [
        Extraction("CLUSTER_ID", ("id",), note="id of the cluster created here"),
        Extraction("SLASHED", ("id",), derive="colon_to_slash"),
        Extraction("SHORT", ("id",), derive="name"),
        Extraction("COLONED", ("links", "self"), derive="slash_to_colon"),
        Extraction("FIRST", ("data", 0, "id")),
        Extraction("COUNT", ("count",)),
        Extraction("OK", ("ok",)),
        Extraction("REQUEST_ID", header="x-request-id"),
    ]
    body = Text.of(
        b'{"cluster":"',
        CLUSTER_ID,
        b'","n":',
        Var("COUNT", "extracted"),
        b',"ok":',
        Var("OK", "extracted"),
        b"}",
    )
    use = Request(
        "PUT",
        Text.of(BASE, "/v1/", Var("SLASHED", "extracted"), "?short=", Var("SHORT", "extracted")),
        [
            ("X-Cluster", Text.of("id=", CLUSTER_ID, ";")),
            ("X-Coloned", Text.of(Var("COLONED", "extracted"))),
            ("X-Request", Text.of(Var("REQUEST_ID", "extracted"))),
            ("Content-Type", Text.of("application/json")),
        ],
        body,
    )
    part = Request(
        "POST",
        Text.of(BASE, "/v3/first/", Var("FIRST", "extracted")),
        [],
        Multipart([FormPart("id", value=Text.of(b"<", CLUSTER_ID, b">"))]),
    )
    steps = [
        create_step(extracts),
        Step(Record(use), "PUT /v1/{SLASHED}"),
        Step(Record(part), "POST /v3/first/{FIRST}"),
    ]
    for _ in range(2):  # a second run gets (and sends) new ids
        _, result, received = provision(recorder, plan_of(recorder, steps))
        assert result.returncode == 0, result.stderr
        n = len(issued) - 1
        assert [r.target for r in received] == [
            b"/v3/cluster",
            f"/v1/fleet-default/c-{n}x?short=c-{n}x".encode(),
            f"/v3/first/d{n}".encode(),
        ]
        put = received[1]
        assert put.header("x-cluster") == f"id=fleet-default:c-{n}x;".encode()
        assert put.header("x-coloned") == f"ns:n{n}".encode()
        assert put.header("x-request") == f"rq-{n}".encode()
        assert put.body == f'{{"cluster":"fleet-default:c-{n}x","n":{40 + n},"ok":true}}'.encode()
        assert f"<fleet-default:c-{n}x>".encode() in received[2].body


def test_a_missing_field_stops_naming_the_step_and_path(recorder: Recorder) -> None:
    bodies = iter([b'{"data": [{"name": "x"}]}', b"<html>not json</html>"])
    Server(recorder, {"/v3/cluster": lambda _: (200, [JSON_TYPE], next(bodies))})
    steps = [
        create_step([Extraction("CLUSTER_ID", ("data", 0, "id"))]),
        get_step(Text.of("/v3/cluster/", CLUSTER_ID)),
    ]
    for _ in range(2):  # a JSON body without the field, then a body that is not JSON
        _, result, received = provision(recorder, plan_of(recorder, steps))
        assert result.returncode != 0
        message = b"step 1 (POST /v3/cluster): the response has no field data[0].id"
        assert message in result.stderr
        assert [r.target for r in received] == [b"/v3/cluster"]


def test_a_missing_header_stops(recorder: Recorder) -> None:
    Server(recorder, {"/v3/cluster": lambda _: json_response({"id": "c-1"})})
    steps = [
        create_step([Extraction("CLUSTER_ID", header="Location")]),
        get_step(Text.of("/v3/cluster/", CLUSTER_ID)),
    ]
    _, result, received = provision(recorder, plan_of(recorder, steps))
    assert result.returncode != 0
    assert b"step 1 (POST /v3/cluster): the response has no header Location" in result.stderr
    assert len(received) == 1


def test_null_counts_as_missing(recorder: Recorder) -> None:
    Server(recorder, {"/v3/cluster": lambda _: json_response({"id": None})})
    steps = [create_step([Extraction("CLUSTER_ID", ("id",))])]
    _, result, _ = provision(recorder, plan_of(recorder, steps))
    assert result.returncode != 0 and b"has no field id" in result.stderr


def test_path_text() -> None:
    assert path_text(("status", "clusterName")) == "status.clusterName"
    assert path_text(("data", 0, "id")) == "data[0].id"
    assert path_text(("a b", 1)) == '["a b"][1]'


# Server-issued values that a careless script would execute or misparse.
HOSTILE = [
    "{{ require('fs').writeFileSync('PWNED', '') }}",
    "$(touch PWNED)",
    "`touch PWNED`",
    "\"'\\",
    "{{BASE_URL}}",
    "\\{\\{a\\}\\}",
    "%s%n%%",
    "line\nbreak",
    "${process.exit(1)}",
]
hostile = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(hostile, min_size=1, max_size=4))
def test_server_values_arrive_as_data(recorder: Recorder, values: list[str]) -> None:
    Server(recorder, {"/v3/cluster": lambda _: json_response({"values": values})})
    extracts = [Extraction(f"V{i}", ("values", i)) for i in range(len(values))]
    refs = [Var(f"V{i}", "extracted") for i in range(len(values))]
    body = Text.of(*(piece for ref in refs for piece in (b"<", ref, b">")))
    # Node refuses control characters in a header (and the recorder drops leading blanks).
    printable = [ref for ref, v in zip(refs, values, strict=True) if header_safe(v)]
    headers = [(f"X-V{i}", Text.of(ref)) for i, ref in enumerate(printable)]
    use = Request("POST", Text.of(BASE, "/use"), headers, body)
    steps = [create_step(extracts), Step(Record(use), "POST /use")]
    _, result, received = provision(recorder, plan_of(recorder, steps))
    assert result.returncode == 0, result.stderr
    assert received[1].body == b"".join(b"<" + v.encode() + b">" for v in values)
    sent = [received[1].header(f"x-v{i}") for i in range(len(printable))]
    assert sent == [v.encode() for v in values if header_safe(v)]


def header_safe(value: str) -> bool:
    return value.isprintable() and not value.startswith(" ")


# --- parameters ------------------------------------------------------------------------------


def test_a_parameter_comes_from_var_then_environment_then_default(recorder: Recorder) -> None:
    Server(recorder, {"/v3/cluster": lambda _: json_response({"id": "c-1"})})
    plan = plan_of(recorder, [create_step([])])
    cases = [
        ({}, {"CLUSTER_NAME": "from-var"}, b"from-var"),
        ({"CLUSTER_NAME": "from-env"}, {}, b"from-env"),
        ({}, {}, b"rke2-demo"),
    ]
    for env, params, name in cases:
        _, result, received = provision(recorder, plan, env=env, params=params)
        assert result.returncode == 0, result.stderr
        assert received[0].body == b'{"name":"' + name + b'"}'


def test_the_header_says_how_to_set_parameters(recorder: Recorder) -> None:
    text = emit(plan_of(recorder, [create_step([])])).text
    head = text.split("\n###\n")[0]
    described = "name of the cluster; parameter --cluster-name (default: rke2-demo)"
    assert f"#   CLUSTER_NAME: {described}\n" in head
    assert "send replay.http --all --bail --var CLUSTER_NAME=..." in head


# --- waiting ---------------------------------------------------------------------------------


def waiting_server(recorder: Recorder, empty_answers: int | None) -> list[float]:
    """The cluster is ready after `empty_answers` polls (never if None); returns poll times."""
    polls: list[float] = []
    empty: list[object] = [{}, {"ready": None}, {"ready": ""}, {"ready": []}, {"ready": {}}]

    def status(_: Received) -> Response:
        polls.append(time.monotonic())
        if empty_answers is None or len(polls) <= empty_answers:
            return json_response({"status": empty[len(polls) % len(empty)]})
        return json_response({"status": {"ready": "c-ready", "name": "done"}})

    Server(
        recorder,
        {"/v3/cluster/": status, "/v3/cluster": lambda _: json_response({"id": "c-7"})},
    )
    return polls


def wait_plan(recorder: Recorder) -> Plan:
    steps = [
        create_step([Extraction("CLUSTER_ID", ("id",))]),
        get_step(
            Text.of("/v3/cluster/", CLUSTER_ID),
            wait=Wait(("status", "ready")),
            extracts=[Extraction("READY", ("status", "ready"))],
        ),
        get_step(Text.of("/after/", Var("READY", "extracted")), "GET /after/{READY}"),
    ]
    return plan_of(recorder, steps)


def test_a_wait_polls_until_the_field_appears(recorder: Recorder) -> None:
    polls = waiting_server(recorder, 4)
    env = {"WAIT_INTERVAL": "0.3"}
    _, result, received = provision(recorder, wait_plan(recorder), env=env)
    assert result.returncode == 0, result.stderr
    assert [r.target for r in received] == [
        b"/v3/cluster",
        *[b"/v3/cluster/c-7"] * 5,
        b"/after/c-ready",
    ]
    gaps = [later - earlier for earlier, later in itertools.pairwise(polls)]
    assert all(gap >= 0.25 for gap in gaps), gaps


def test_a_wait_gives_up_after_the_timeout(recorder: Recorder) -> None:
    polls = waiting_server(recorder, None)
    params = {"WAIT_TIMEOUT": "1.2", "WAIT_INTERVAL": "0.3"}  # as --var, like a parameter
    start = time.monotonic()
    _, result, received = provision(recorder, wait_plan(recorder), params=params)
    assert result.returncode != 0
    assert time.monotonic() - start < 20
    message = b"step 2 (GET /v3/cluster/{CLUSTER_ID}): no status.ready in the response after"
    assert message in result.stderr
    assert b"WAIT_TIMEOUT" in result.stderr
    assert 3 <= len(polls) <= 7
    assert received[-1].target == b"/v3/cluster/c-7"  # the next step was not sent


def test_wait_options_are_in_the_header(recorder: Recorder) -> None:
    head = emit(wait_plan(recorder)).text.split("\n###\n")[0]
    assert (
        "#   WAIT_TIMEOUT: seconds a waiting step polls before it gives up (default: 600)" in head
    )
    assert "#   WAIT_INTERVAL: seconds between the polls of a waiting step (default: 5)" in head


# --- failures --------------------------------------------------------------------------------


def test_a_conflict_names_the_parameter_to_change(recorder: Recorder) -> None:
    message = {"message": 'cluster "rke2-demo" already exists'}
    Server(recorder, {"/v3/cluster": lambda _: json_response(message, 409)})
    steps = [create_step([]), get_step(Text.of("/never"), "GET /never")]
    _, result, received = provision(recorder, plan_of(recorder, steps))
    assert result.returncode != 0
    assert b'step 1 (POST /v3/cluster): HTTP 409: cluster "rke2-demo" already exists' in (
        result.stderr
    )
    assert b"already exists? choose another value: CLUSTER_NAME" in result.stderr
    assert len(received) == 1


def test_a_conflict_without_parameters_names_none(recorder: Recorder) -> None:
    Server(recorder, {"/x": lambda _: json_response({"message": "taken"}, 409)})
    _, result, _ = provision(recorder, plan_of(recorder, [get_step(Text.of("/x"), "GET /x")]))
    assert b"step 1 (GET /x): HTTP 409: taken" in result.stderr
    assert b"choose another value" not in result.stderr


@pytest.mark.parametrize("mode", ["provision", "faithful"])
def test_a_server_error_stops_with_step_status_and_message(recorder: Recorder, mode: str) -> None:
    long_text = b"boom " * 100
    Server(
        recorder,
        {
            "/json": lambda _: json_response({"message": "disk full", "code": 7}, 500),
            "/text": lambda _: (502, [], long_text),
        },
    )
    for path, expected in [("/json", b"HTTP 500: disk full"), ("/text", b"HTTP 502: boom boom")]:
        steps = [get_step(Text.of(path), f"GET {path}"), get_step(Text.of("/next"), "GET /next")]
        plan = plan_of(recorder, steps)
        plan.mode = mode  # type: ignore[assignment]
        _, result, received = provision(recorder, plan)
        assert result.returncode != 0
        assert f"step 1 (GET {path}): ".encode() + expected in result.stderr
        assert [r.target for r in received] == [path.encode()]
        if path == "/text":  # the first 300 characters only
            assert long_text[:300] in result.stderr and long_text[:305] not in result.stderr


def test_every_request_has_a_timeout(recorder: Recorder) -> None:
    def slow(_: Received) -> Response:
        time.sleep(3)
        return json_response({})

    Server(recorder, {"/slow": slow})
    steps = [get_step(Text.of("/slow"), "GET /slow"), get_step(Text.of("/next"), "GET /next")]
    emitted = emit(plan_of(recorder, steps))
    assert emitted.text.count("# @timeout 60000\n") == 2
    # The same file with a short timeout: httpyac gives up on the slow request and stops.
    short = Emitted(emitted.text.replace("# @timeout 60000", "# @timeout 500"))
    recorder.take()
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        result = run(short, {}, Path(tmp))
    assert result.returncode != 0 and time.monotonic() - start < 2.8
    assert [r.target for r in recorder.take()] == [b"/slow"]


# --- secrets and the summary ------------------------------------------------------------------

SECRET = "apiVersion: v1\nclusters: [token-s3cr3t-{n}]\n"


def secret_server(recorder: Recorder) -> list[str]:
    issued: list[str] = []

    def kubeconfig(_: Received) -> Response:
        issued.append(SECRET.format(n=len(issued)))
        return json_response({"config": issued[-1], "baseType": "generateKubeConfigOutput"})

    Server(
        recorder,
        {
            "/v3/cluster/": kubeconfig,
            "/v3/cluster": lambda _: json_response({"id": f"c-{len(issued)}"}),
        },
    )
    return issued


def secret_plan(recorder: Recorder) -> Plan:
    created = Created("cluster", Text.of(NAME), "CLUSTER_ID")
    steps = [
        create_step([Extraction("CLUSTER_ID", ("id",))], creates=created),
        get_step(
            Text.of("/v3/cluster/", CLUSTER_ID, "?action=generateKubeconfig"),
            saves=[SavedSecret(("config",), "kubeconfig.yaml", "the cluster's kubeconfig")],
            creates=Created("kubeconfig", Text.of("admin")),
        ),
    ]
    return plan_of(recorder, steps)


def test_a_secret_goes_to_a_0600_file_and_is_never_printed(
    recorder: Recorder, tmp_path: Path
) -> None:
    issued = secret_server(recorder)
    (tmp_path / "kubeconfig.yaml").write_text("stale")
    os.chmod(tmp_path / "kubeconfig.yaml", 0o644)  # a file from elsewhere: replaced, not reused
    emitted, result, _ = provision(recorder, secret_plan(recorder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "kubeconfig.yaml"
    assert path.read_text() == issued[-1]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"the cluster's kubeconfig written to kubeconfig.yaml\n" in result.stdout
    # The default output of the command the header gives prints no response either.
    os.remove(path)
    plain = subprocess.run(
        [str(HTTPYAC), "send", "replay.http", "--all", "--bail"],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "NO_COLOR": "1"},
        capture_output=True,
    )
    assert plain.returncode == 0, plain.stderr
    for out in (result.stdout, result.stderr, plain.stdout, plain.stderr):
        assert b"s3cr3t" not in out
    assert path.read_text() == issued[-1] and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "s3cr3t" not in emitted.text


def test_the_run_ends_with_a_summary_of_what_it_created(recorder: Recorder) -> None:
    secret_server(recorder)
    _, result, _ = provision(recorder, secret_plan(recorder), params={"CLUSTER_NAME": "prod-1"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    # After the last step's checks; httpyac then prints its count of requests.
    assert lines[:3] == [
        "the cluster's kubeconfig written to kubeconfig.yaml",
        "created cluster prod-1 (c-0)",
        "created kubeconfig admin",
    ], lines


def test_step_comments_say_what_each_step_does(recorder: Recorder) -> None:
    text = emit(secret_plan(recorder)).text
    first, second = text.split("\n###\n")[1:]
    assert first.startswith(
        "# Step 1: POST /v3/cluster\n"
        "# sets CLUSTER_ID (from id)\n"
        "# creates cluster {CLUSTER_NAME}\n"
    )
    assert "# saves the cluster's kubeconfig to kubeconfig.yaml (mode 0600)\n" in second
    assert "# @noLog\n" in first
    assert emit(secret_plan(recorder)).text == text  # deterministic


# --- what cannot be emitted ------------------------------------------------------------------


@pytest.mark.parametrize(
    "steps, message",
    [
        ([get_step(Text.of("/", CLUSTER_ID))], "extracted variable CLUSTER_ID"),
        ([create_step([Extraction("X", ("id",), derive="upper")])], "unknown derivation"),
        ([create_step([], creates=Created("cluster", None, "NOPE"))], "NOPE"),
    ],
)
def test_plans_the_file_cannot_run_are_errors(steps: list[Step], message: str) -> None:
    plan = Plan(steps, env=[EnvVar("BASE_URL", default="http://x")], params=[NAME_PARAM])
    with pytest.raises(EmitError, match=message):
        emit(plan)
