"""Canaries: captures with a distinct planted secret in every position the catalogue names,
run through every input format and every emitter; no canary (nor its base64 or URL-encoded
form) may come out. Then replay: with the captured values exported, each generated script
sends exactly the captured request to the loopback recorder."""

from __future__ import annotations

import base64
import importlib.util
import json
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from capture2code.convert import Conversion, convert
from capture2code.emit.envfile import env_file
from capture2code.plan import Mode
from capture2code.record import Multipart, Record, Request, Response, dumps
from capture2code.sources import Source
from capture2code.sources.curl import read_curl
from capture2code.template import Text
from tests.recorder import Received, Recorder
from tests.runners import curl as curl_runner
from tests.runners import http as http_runner
from tests.runners import python as python_runner
from tests.wire import node_target

DATA = Path(__file__).parent / "data" / "canary"
TARGETS = ["python", "curl", "http", "jsonl"]
HAR_READER = importlib.util.find_spec("capture2code.sources.har") is not None
NO_HAR = "capture2code/sources/har.py is missing: the HAR input is not tested"


def canary(number: int, tail: str = "") -> str:
    # Distinct, and none a part of another: a two-digit number, then letters.
    return f"CANARY{number:02d}q{'zxwvutsrponmlkjh'[number % 16]}{number * 7919:08d}kmwhq{tail}"


def forms(secret: str) -> list[str]:
    """The secret and the forms it may leak in: URL-encoded (both %XX cases, + for space),
    JSON-escaped, and base64 (the part of it that does not depend on what precedes or
    follows, for each of the three alignments)."""
    quoted = quote(secret, safe="")
    found = [secret, quoted, quoted.lower(), quote_plus(secret), json.dumps(secret)[1:-1]]
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret.encode()).decode()
        found.append(encoded[4 if offset else 0 : -4])
        found.append(found[-1].replace("+", "-").replace("/", "_"))
    return found


def assert_no_canary(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        for form in forms(secret):
            assert form not in text, f"{where}: a form of a planted secret leaked: {form[:12]}…"


# --- the planted capture ---------------------------------------------------------------------


@dataclass
class Planted:
    """A capture: curl text for its requests, and records adding what only a capture of
    traffic has (responses, websockets, URL userinfo)."""

    curl: str
    records: list[Record]
    secrets: list[str]


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9." + canary(30)
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJB" + canary(24) + "\n-----END RSA PRIVATE KEY-----"
)


def planted_capture(origin: str = "https://rancher.example.test") -> Planted:
    """Canary n sits in one position: 1-10 headers and cookies, 11-19 query parameters,
    20-33 JSON fields at depth (cloud credentials, a PEM key, JSON in a JSON string, a
    Kubernetes Secret, shaped values in free text), 34-36 a form, 37-38 multipart parts,
    39 URL userinfo, 40-42 and 45 responses, 43-44 websocket messages, 46 a kubeconfig
    sent as YAML. Canaries 20 and 28 come back in a later request's URL path and header."""
    c = {number: canary(number) for number in range(1, 47)}
    c[17] = canary(17, "p@ss!w/rd +x")  # only ever URL-encoded in the capture
    c[34] = canary(34, "&=%")
    c[22] = "AKIACANARY22QX007919"  # the shape of an AWS access key id
    document = {
        "name": "demo",
        "cloudCredentialId": "cattle-global-data:cc-7xk2p",
        "spec": {"items": [{"id": "c-5nmb8", "password": c[20]}]},
        "digitaloceancredentialConfig": {"accessToken": "dop_v1_" + c[21]},
        "amazonec2credentialConfig": {
            "accessKey": c[22],
            "secretKey": c[23],
            "defaultRegion": "us-east-1",
        },
        "privateKey": PEM,
        "sshKeyContents": c[25],
        "kubeconfigContent": c[26],
        "authEncodedJson": c[27],
        "clientSecret": c[28],
        "certificate": c[29],
        "prefs": json.dumps({"theme": "dark", "apiToken": c[31]}),
        "secret": {"kind": "Secret", "metadata": {"name": "db"}, "data": {"pw": c[32]}},
        "note": f"pasted {JWT} and ghp_{c[33]} and xoxb-{c[35]}",
    }
    body = json.dumps(document)
    query = "&".join(
        f"{name}={quote(c[number], safe='')}"
        for name, number in [
            ("token", 11),
            ("access_token", 12),
            ("api_key", 13),
            ("key", 14),
            ("sig", 15),
            ("signature", 16),
            ("password", 17),
            ("secret", 18),
            ("code", 19),
        ]
    )
    basic = base64.b64encode(f"proxy:{c[3]}".encode()).decode()
    commands = [
        [
            "curl",
            f"{origin}/v3/things?clusterId=c-5nmb8&{query}",
            "-H",
            f"Authorization: Bearer {c[1]}",
            "-H",
            f"Proxy-Authorization: Basic {basic}",
            "-b",
            f"R_LOCALE=en-us; R_SESS=token-abcde:{c[4]}; CSRF={c[5]}; sessionid={c[6]}",
            "-H",
            f"X-Api-Csrf: {c[5]}",
            "-H",
            f"X-Api-Auth-Header: Bearer dop_v1_{c[7]}",
            "-H",
            f"X-Amz-Security-Token: {c[8]}",
            "-H",
            f"X-Api-Key: {c[9]}",
            "-H",
            f"X-Auth-Token: {c[10]}",
            "-H",
            "Content-Type: application/json",
            "--data-raw",
            body,
        ],
        ["curl", f"{origin}/v3-public/login", "-u", f"alice:{c[2]}", "-X", "POST"],
        [
            "curl",
            f"{origin}/oauth/token",
            "--data-raw",
            f"username=admin&password={quote_plus(c[34])}&client_secret={c[36]}",
        ],
        [
            "curl",
            f"{origin}/upload",
            "-F",
            f"password={c[37]}",
            "-F",
            f"token={c[38]}",
            "-F",
            "name=demo",
        ],
        # a secret found in an earlier body, again inside a URL path and a header
        ["curl", f"{origin}/v3/users/{c[20]}/x", "-H", f"X-Note: was {c[28]}"],
        [
            "curl",
            f"{origin}/v3/import",
            "-H",
            "Content-Type: application/yaml",
            "--data-binary",
            f"apiVersion: v1\nkind: Config\nclusters:\n- name: x\nusers:\n- user:\n"
            f"    token: {c[46]}\n",
        ],
    ]
    text = " ;\n".join(" ".join(shlex.quote(word) for word in command) for command in commands)
    records = read_curl(text, Path.cwd()).records
    records += traffic_records(origin, c)
    return Planted(text, records, [*c.values(), JWT, PEM])


def traffic_records(origin: str, c: dict[int, str]) -> list[Record]:
    """Records with what curl text cannot hold: userinfo, responses, websockets."""
    host = origin.split("://", 1)[1]
    kubeconfig = (
        'apiVersion: v1\nkind: Config\nclusters:\n- name: "demo"\n'
        f'users:\n- name: "demo"\n  user:\n    token: "kubeconfig-user-abcde:{c[42]}"\n'
    )
    listing = {
        "data": [
            {
                "type": "clusterRegistrationToken",
                "token": c[41],
                "command": f"kubectl apply -f {origin}/v3/import/{c[41]}_c-5nmb8.yaml",
                "nodeCommand": f"docker run rancher/rancher-agent --token {c[41]}",
            }
        ]
    }
    listed = Record(
        # a browser capture keeps userinfo in the URL (curl would make it a header)
        Request("GET", Text.of(f"https://deploy:{c[39]}@{host}/v3/clusterregistrationtokens")),
        Response(
            200,
            [("Content-Type", "application/json"), ("Set-Cookie", f"sessionid={c[40]}; HttpOnly")],
            json.dumps(listing).encode(),
        ),
    )
    kube = Record(
        Request("POST", Text.of(f"{origin}/v3/clusters/c-5nmb8?action=generateKubeconfig")),
        Response(
            200,
            [("Content-Type", "application/json"), ("X-Auth-Token", c[45])],
            json.dumps({"baseType": "generateKubeConfigOutput", "config": kubeconfig}).encode(),
        ),
    )
    messages = [
        {"from": "client", "text": json.dumps({"type": "auth", "token": c[43]})},
        {"from": "server", "base64": base64.b64encode(f"\0bin ghp_{c[44]}".encode()).decode()},
    ]
    options = {"websocket": True, "websocket_messages": messages}
    socket = Record(
        Request("GET", Text.of(f"wss://{host}/v1/subscribe"), options=options),
        Response(101, [("Upgrade", "websocket")]),
    )
    return [listed, kube, socket]


def har_of(records: list[Record]) -> str:
    """A HAR 1.2 file (Chrome's flavour) holding the records."""
    return json.dumps({"log": {"version": "1.2", "entries": [har_entry(r) for r in records]}})


def har_entry(record: Record) -> dict[str, Any]:
    request, response = record.request, record.response or Response(200)
    har_request: dict[str, Any] = {
        "method": request.method,
        "url": request.url.literal_str(),
        "httpVersion": "HTTP/1.1",
        "headers": [{"name": n, "value": v.literal_str()} for n, v in request.headers],
        "queryString": [],
        "cookies": [],
    }
    content_type = request.header("content-type")
    if isinstance(request.body, Multipart):
        params = [
            {"name": p.name, "value": p.value.literal_str()}
            for p in request.body.parts
            if p.value is not None
        ]
        har_request["postData"] = {
            "mimeType": "multipart/form-data; boundary=XyZ",
            "params": params,
        }
    elif isinstance(request.body, Text):
        mime = content_type.literal_str() if content_type else "application/x-www-form-urlencoded"
        har_request["postData"] = {"mimeType": mime, "text": request.body.literal_str()}
    entry: dict[str, Any] = {
        "startedDateTime": "2026-11-27T08:00:00.000Z",
        "time": 1,
        "_resourceType": "websocket" if request.options.get("websocket") else "fetch",
        "request": har_request,
        "response": {
            "status": response.status,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": n, "value": v} for n, v in response.headers],
            "cookies": [],
            "content": {"mimeType": "application/json", "text": (response.body or b"").decode()},
        },
    }
    messages = request.options.get("websocket_messages")
    if messages:
        entry["_webSocketMessages"] = [
            {
                "type": "send" if m["from"] == "client" else "receive",
                "time": 1.0,
                "opcode": 1 if "text" in m else 2,
                "data": m.get("text") or m["base64"],
            }
            for m in messages
        ]
    return entry


def mitm_of(records: list[Record], path: Path) -> None:
    """A mitmproxy flow file (`mitmdump -w`) holding the records, written by mitmproxy's own
    FlowWriter."""
    from mitmproxy import http, io
    from mitmproxy.test import tflow
    from mitmproxy.websocket import WebSocketData, WebSocketMessage
    from wsproto.frame_protocol import Opcode

    with path.open("wb") as stream:
        writer = io.FlowWriter(stream)
        for record in records:
            request, response = record.request, record.response or Response(200)
            headers = [(n.encode(), v.literal_str().encode()) for n, v in request.headers]
            body = request.body
            if isinstance(body, Multipart):
                headers.append((b"content-type", b"multipart/form-data; boundary=XyZ"))
                content = (
                    b"".join(
                        b'--XyZ\r\ncontent-disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                        % (part.name.encode(), part.value.literal_bytes())
                        for part in body.parts
                        if part.value is not None
                    )
                    + b"--XyZ--\r\n"
                )
            else:
                content = b"" if body is None else body.literal_bytes()
            flow = tflow.tflow(
                req=http.Request.make(request.method, request.url.literal_str(), content, headers),
                resp=http.Response.make(
                    response.status,
                    response.body or b"",
                    [(n.encode(), v.encode()) for n, v in response.headers],
                ),
            )
            messages = request.options.get("websocket_messages")
            if messages:
                flow.websocket = WebSocketData(
                    messages=[
                        WebSocketMessage(
                            Opcode.TEXT if "text" in m else Opcode.BINARY,
                            m["from"] == "client",
                            m["text"].encode() if "text" in m else base64.b64decode(m["base64"]),
                        )
                        for m in messages
                    ]
                )
            writer.add(flow)


# --- every input format, every emitter --------------------------------------------------


def check_conversion(conversion: Conversion, secrets: list[str], where: str) -> None:
    emitted = conversion.emitted
    assert_no_canary(emitted.text, secrets, where)
    for name, data in emitted.files.items():
        assert_no_canary(name, secrets, f"{where} file name")
        assert_no_canary(data.decode("utf-8", "surrogateescape"), secrets, f"{where} {name}")
    for warning in conversion.warnings:
        assert_no_canary(warning, secrets, f"{where} warning")
    for var in conversion.plan.env:
        assert_no_canary(var.description, secrets, f"{where} description of {var.name}")


@pytest.fixture(scope="module")
def planted() -> Planted:
    return planted_capture()


def sources_of(fmt: str, planted: Planted, tmp_path: Path) -> list[Source]:
    if fmt == "curl":
        return [Source("planted.sh", text=planted.curl, base_dir=tmp_path)]
    if fmt == "jsonl":
        path = tmp_path / "planted.jsonl"
        path.write_text("".join(dumps(r) + "\n" for r in planted.records), encoding="utf-8")
        return [Source(str(path), path=path)]
    if fmt == "mitm":
        path = tmp_path / "planted.mitm"
        mitm_of(planted.records, path)
        return [Source(str(path), path=path)]
    if not HAR_READER:
        print(NO_HAR)
        pytest.skip(NO_HAR)
    path = tmp_path / "planted.har"
    path.write_text(har_of(planted.records), encoding="utf-8")
    return [Source(str(path), path=path)]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("fmt", ["curl", "jsonl", "har", "mitm"])
def test_no_canary_leaves(fmt: str, target: str, planted: Planted, tmp_path: Path) -> None:
    conversion = convert(sources_of(fmt, planted, tmp_path), target=target)
    check_conversion(conversion, planted.secrets, f"{fmt} -> {target}")
    # ...and none was lost: the env file has what a replay needs
    values = env_file(conversion.plan)
    assert "CANARY01" in values and "CANARY20" in values


@pytest.mark.parametrize("fmt", ["curl", "jsonl", "har", "mitm"])
def test_the_planted_capture_holds_every_canary(fmt: str, planted: Planted, tmp_path: Path) -> None:
    """The suite can fail: the input holds every planted value (curl text the request side
    only), and the same conversion without redaction puts them in its output."""
    [source] = sources_of(fmt, planted, tmp_path)
    text = planted.curl
    if source.path is not None:
        text = source.path.read_bytes().decode("utf-8", "surrogateescape")
    canaries = planted.secrets[:46]
    found = [secret for secret in canaries if any(form in text for form in forms(secret))]
    # Curl text holds requests only; a flow file has no URL userinfo (a proxied request
    # line never carries it: mitmproxy keeps the authority without it).
    expected = {"curl": canaries[:38] + canaries[45:], "mitm": canaries[:38] + canaries[39:]}
    assert found == expected.get(fmt, canaries)
    inlined = convert([source], target="jsonl", redacted=False).emitted.text
    with pytest.raises(AssertionError):
        assert_no_canary(inlined, planted.secrets, fmt)


# --- the Rancher samples ------------------------------------------------------------------

RANCHER_SECRETS = [
    "CANARY-Adm1n-Passw0rd!",
    "token-hx7vq:CANARYngq2cd9wfpxcvjcdrrdkdwrc9xfk22xcxxqckcwgmrgwfxmw",
    "CANARYngq2cd9wfpxcvjcdrrdkdwrc9xfk22xcxxqckcwgmrgwfxmw",
    "71a6910f6e5c6d41a1316ae1e7a80c02",
    "dop_v1_CANARY73e2069a77637a8fc306eed2dc0731c7ed80349fbbee0bf7c16",
    "kubeconfig-user-p5d2xqz7lm:CANARY94hfxx2jpfw5dxczjt4wr7nsxspmk8h57kdxmvtn6smzdfvr",
    "CANARYh7ngtrc4d7wx89nn5pztx8sd9dlt54dc65m2x49sm5q4pbsp",
]
# The analytics call's measurement id is public, not a credential: dropping that call is
# the noise filter's work (see the report); every other CANARY must go.
NOT_A_SECRET = "G-CANARY0000"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "name",
    [
        "b_copy_all_as_curl_bash.txt",
        "b2_copy_as_curl_legacy_chrome.txt",
        "a_rke1_digitalocean_session.har",
    ],
)
@pytest.mark.parametrize("mode", ["faithful", "provision"])
def test_rancher_samples(name: str, target: str, mode: Mode) -> None:
    if name.endswith(".har") and not HAR_READER:
        print(NO_HAR)
        pytest.skip(NO_HAR)
    path = DATA / name
    assert any(secret in path.read_text() for secret in RANCHER_SECRETS)
    conversion = convert([Source(str(path), path=path)], target=target, mode=mode)
    check_conversion(conversion, RANCHER_SECRETS, f"{name} -> {target}")
    outputs = [conversion.emitted.text, *(d.decode() for d in conversion.emitted.files.values())]
    for text in outputs:
        assert "CANARY" not in text.replace(NOT_A_SECRET, "")
    joined = "\n".join(outputs)
    if mode == "faithful":  # ids and names a replay needs are still there
        assert "c-5nmb8" in joined or "cattle-global" in joined
        assert "R_LOCALE=en-us" in joined or name.endswith(".har")
    elif target != "jsonl":  # records stay as captured; a script's session is a token
        assert "RANCHER_TOKEN" in joined and "CSRF_TOKEN" not in joined


# --- replay -----------------------------------------------------------------------------------

RUNNERS = {"python": python_runner.run, "curl": curl_runner.run, "http": http_runner.run}

PASSWORD = "pa\"ss $HOME 'x' w\u00f6rd!"


def replay_captures(origin: str) -> list[str]:
    body = json.dumps(
        {
            "name": "demo",
            "cloudCredentialId": "cattle-global-data:cc-7xk2p",
            "password": PASSWORD,
            "amazonec2credentialConfig": {"secretKey": "s3cr3t/K+y==", "defaultRegion": "eu"},
        },
        ensure_ascii=False,
    )
    first = [
        "curl",
        f"{origin}/v3/things/c-5nmb8?token={quote('t0k&n/=x', safe='')}&limit=5",
        "-H",
        "Authorization: Bearer token-abcde:q8w7e6r5t4y3u2i1o0p9a8s7",
        "-H",
        "X-Api-Key: k3y-'quoted'-$(id)",
        "-b",
        "R_LOCALE=en-us; R_SESS=token-abcde:q8w7e6r5t4y3u2i1o0p9a8s7; CSRF=0a1b2c3d4e5f",
        "-H",
        "X-Api-Csrf: 0a1b2c3d4e5f",
        "-H",
        "Content-Type: application/json",
        "--data-raw",
        body,
    ]
    second = [
        "curl",
        f"{origin}/oauth/token",
        "-u",
        "alice:W0nder land",
        "--data-raw",
        f"grant_type=password&password={quote_plus(PASSWORD)}&client_id=web",
    ]
    return [" ".join(shlex.quote(word) for word in command) for command in (first, second)]


def curl_reference(recorder: Recorder, command: str, cwd: Path) -> Received:
    """What the real curl sends for the captured command."""
    subprocess.run(["bash", "-c", command + " -sS -o /dev/null"], cwd=cwd, check=True, timeout=30)
    [got] = recorder.take()
    return got


def given_headers(received: Received, names: set[str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower(), v) for k, v in received.headers if k.lower().decode() in names]


@pytest.mark.parametrize("target", ["python", "curl", "http"])
def test_replay_sends_the_captured_request(target: str, recorder: Recorder, tmp_path: Path) -> None:
    for index, command in enumerate(replay_captures(recorder.origin)):
        reference = curl_reference(recorder, command, tmp_path)
        conversion = convert(
            [Source("captured.sh", text=command, base_dir=tmp_path)], target=target
        )
        plan = conversion.plan
        secrets = [var for var in plan.env if var.value is not None]
        assert secrets, "nothing was redacted"
        text = conversion.emitted.text
        for var in secrets:
            assert var.value not in text, var.name
        run_dir = tmp_path / f"{target}-{index}"
        run_dir.mkdir()
        env = {var.name: var.value for var in secrets if var.value is not None}
        result = RUNNERS[target](conversion.emitted, env, run_dir)
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        [got] = recorder.take()
        assert got.method == reference.method
        expected_target = node_target(reference.target) if target == "http" else reference.target
        assert got.target == expected_target
        assert got.body == reference.body
        named = {name.lower() for name, _ in conversion.plan.steps[0].record.request.headers}
        assert given_headers(got, named) == given_headers(reference, named)
        # the secrets went over the wire as captured
        as_sent = [json.dumps(PASSWORD, ensure_ascii=False)[1:-1], quote_plus(PASSWORD)]
        assert any(form.encode() in got.body for form in as_sent)


@pytest.mark.parametrize("target", ["python", "curl"])
def test_replay_without_the_variables_stops_before_sending(
    target: str, recorder: Recorder, tmp_path: Path
) -> None:
    [command, _] = replay_captures(recorder.origin)
    conversion = convert([Source("captured.sh", text=command, base_dir=tmp_path)], target=target)
    result = RUNNERS[target](conversion.emitted, {}, tmp_path)
    assert result.returncode != 0
    assert b"RANCHER_TOKEN" in result.stderr or b"CSRF_TOKEN" in result.stderr
    assert recorder.take() == []


@pytest.mark.parametrize(
    "name, variables",
    [
        (
            "b_copy_all_as_curl_bash.txt",
            {"CSRF_TOKEN", "RANCHER_PASSWORD", "RANCHER_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN"},
        ),
        (
            "a_rke1_digitalocean_session.har",
            {"CSRF_TOKEN", "RANCHER_PASSWORD", "RANCHER_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN"}
            | {"CLUSTER_REGISTRATION_TOKEN", "KUBECONFIG"},
        ),
    ],
)
def test_rancher_samples_lose_nothing_else(name: str, variables: set[str]) -> None:
    """Only the planted secrets become variables, and with their values put back the
    records are the captured ones: ids, names, preference cookies, browser headers stay."""
    if name.endswith(".har") and not HAR_READER:
        print(NO_HAR)
        pytest.skip(NO_HAR)
    path = DATA / name
    redacted = convert([Source(str(path), path=path)], target="jsonl")
    inlined = convert([Source(str(path), path=path)], target="jsonl", redacted=False)
    env = {var.name: var.value for var in redacted.plan.env if var.value is not None}
    assert set(env) == variables
    restored = redacted.emitted.text
    for var_name, value in env.items():
        restored = restored.replace("{{" + var_name + "}}", json.dumps(value)[1:-1])
    lines = [json.loads(line) for line in restored.splitlines()]
    expected = [json.loads(line) for line in inlined.emitted.text.splitlines()]
    for line in [*lines, *expected]:
        line.pop("redacted")
    assert lines == expected
