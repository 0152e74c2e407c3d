"""End to end with real components: headless Chromium (Debian's, driven by Playwright) clicks
through the web app in tests/webapp via mitmdump with our addon (`addons/capture2code.py`);
the records are converted to every target, and each script replays against a fresh
instance of the app, which must receive the same mutating requests.

Faithful replays go to an app that issues the same session tokens and ids on every start,
so the captured cookie, CSRF token and thing id are valid again on the fresh instance.
Provisioning replays go to an app with random ids and tokens: the script must read the
new thing's id from the create response and authenticate with an API token.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import stat
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import sync_playwright

from capture2code.capture import find_mitmdump
from capture2code.convert import convert
from capture2code.provision import ProvisionOptions
from capture2code.record import Record, read_jsonl
from capture2code.sources import Source
from capture2code.template import Text
from tests.captured import resolved, sourced_env
from tests.runners import curl as curl_runner
from tests.runners import http as http_runner
from tests.runners import python as python_runner
from tests.webapp import Mutation, WebApp
from tests.webapp.app import PASSWORD, USERNAME

ADDON = Path(__file__).parent.parent / "addons" / "capture2code.py"
CHROMIUM = "/usr/bin/chromium"
# Flags for Chromium on a machine without a network: no background calls to Google's hosts.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LISTENING = re.compile(r"proxy listening at 127\.0\.0\.1:(\d+)")
TIMEOUT = 30
RUNNERS = {"python": python_runner.run, "curl": curl_runner.run, "http": http_runner.run}
BUTTONS = ("login", "create", "start")


@dataclass
class Capture:
    records_path: Path
    records: list[Record]
    env: dict[str, str]  # the addon's env file, as bash reads it
    mutations: list[Mutation]  # what the app received from the browser
    origin: str


def _mitmdump(records: Path, confdir: Path) -> tuple[subprocess.Popen[str], int]:
    mitmdump = find_mitmdump()
    assert mitmdump is not None, "mitmdump is not installed"
    command = [mitmdump, "--listen-host", "127.0.0.1", "-p", "0", "-s", str(ADDON)]
    command += ["--set", f"c2c_output={records}", "--set", "c2c_hosts=127.0.0.1"]
    command += ["--set", f"confdir={confdir}", "--set", "flow_detail=0"]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    ports: queue.Queue[int | None] = queue.Queue()

    def read() -> None:  # to the end: a full pipe would stall mitmdump
        assert process.stdout is not None
        for line in process.stdout:
            if (match := LISTENING.search(line)) is not None:
                ports.put(int(match.group(1)))
        ports.put(None)

    threading.Thread(target=read, daemon=True).start()
    port = ports.get(timeout=TIMEOUT)
    assert port is not None, "mitmdump stopped before listening"
    return process, port


def _click_through(origin: str, proxy: str) -> None:
    # Without "<-loopback>" Chromium would send to 127.0.0.1 directly, past the proxy.
    flags = [*CHROMIUM_FLAGS, f"--proxy-server={proxy}", "--proxy-bypass-list=<-loopback>"]
    with sync_playwright() as playwright:
        # launch() starts Chromium with a new, empty profile of its own.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            page = browser.new_page()
            page.goto(f"{origin}/", timeout=TIMEOUT * 1000)
            for button in BUTTONS:
                page.click(f"#{button}")
                # The page adds "<button>-done" or "<button>-error" when the call returns.
                done = page.wait_for_selector(
                    f"#{button}-done, #{button}-error", timeout=TIMEOUT * 1000
                )
                assert done is not None
                assert done.get_attribute("id") == f"{button}-done", done.inner_text()
        finally:
            browser.close()


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Capture]:
    """One browser session through mitmdump, recorded once for every test here."""
    folder = tmp_path_factory.mktemp("browser")
    records_path = folder / "capture.jsonl"
    app = WebApp(seed="things").start()
    process = None
    try:
        process, port = _mitmdump(records_path, folder / "mitmproxy")
        _click_through(app.origin, f"http://127.0.0.1:{port}")
        process.send_signal(signal.SIGINT)  # as Ctrl-C: the addon closes its file
        assert process.wait(TIMEOUT) == 0
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        app.stop()
    records = list(read_jsonl(records_path.read_text(encoding="utf-8").splitlines()))
    env = sourced_env(folder / "capture.jsonl.env")
    yield Capture(records_path, records, env, list(app.mutations), app.origin)


def test_the_browser_session_is_recorded(capture: Capture) -> None:
    # Chromium's own calls go to other hosts; c2c_hosts kept only the app's.
    steps = [(r.request.method, r.request.url.literal_str()) for r in capture.records]
    thing_id = re.fullmatch(r"/v3/things/(t-[0-9a-f]+)\?action=start", capture.mutations[2].target)
    assert thing_id is not None
    assert steps == [
        ("GET", f"{capture.origin}/"),
        ("POST", f"{capture.origin}/v3-public/localProviders/local?action=login"),
        ("POST", f"{capture.origin}/v3/things"),
        ("POST", f"{capture.origin}/v3/things/{thing_id.group(1)}?action=start"),
    ]
    assert [m.status for m in capture.mutations] == [200, 201, 200]
    # Secrets are variables in the records and values in the env file; with those values
    # the records hold exactly what the app received.
    for value in capture.env.values():
        assert value not in capture.records_path.read_text()
    assert any(not value.is_literal for _, value in capture.records[2].request.headers)
    for record, mutation in zip(capture.records[1:], capture.mutations, strict=True):
        request = record.request
        assert request.body is not None and isinstance(request.body, Text)
        assert resolved(request.body, capture.env) == mutation.body
        for name, value in mutation.headers.items():
            header = request.header(name)
            assert header is not None and resolved(header, capture.env) == value.encode()
        assert record.response is not None and record.response.status == mutation.status
    env_file = capture.records_path.with_name("capture.jsonl.env")
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


@pytest.mark.parametrize("target", sorted(RUNNERS))
def test_each_script_replays_the_session_on_a_fresh_app(
    capture: Capture, target: str, tmp_path: Path
) -> None:
    source = Source(str(capture.records_path), path=capture.records_path)
    emitted = convert([source], target=target, mode="faithful").emitted
    fresh = WebApp(seed="things").start()
    try:
        result = RUNNERS[target](emitted, {**capture.env, "BASE_URL": fresh.origin}, tmp_path)
    finally:
        fresh.stop()
    assert result.returncode == 0, (result.stdout + result.stderr).decode(errors="replace")
    assert fresh.received() == [mutation.request for mutation in capture.mutations]
    # The same cookies and CSRF header too: the fresh app accepted them as the first did.
    assert fresh.mutations == capture.mutations


def test_a_faithful_replay_is_refused_where_ids_are_new(capture: Capture, tmp_path: Path) -> None:
    """Against an app that issues random tokens, the captured session is unknown: the app
    really checks what the replay test relies on."""
    source = Source(str(capture.records_path), path=capture.records_path)
    emitted = convert([source], target="python", mode="faithful").emitted
    fresh = WebApp(seed=None).start()
    try:
        result = python_runner.run(emitted, {**capture.env, "BASE_URL": fresh.origin}, tmp_path)
    finally:
        fresh.stop()
    assert result.returncode != 0
    assert [(m.target, m.status) for m in fresh.mutations] == [
        ("/v3-public/localProviders/local?action=login", 200),
        ("/v3/things", 401),
    ]


# --- the app's own rules, with a plain client ---------------------------------------------


@pytest.fixture
def app() -> Iterator[WebApp]:
    server = WebApp(seed="things").start()
    yield server
    server.stop()


def _login(app: WebApp) -> requests.Session:
    session = requests.Session()
    body = {"username": "admin", "password": "it's a secret", "responseType": "cookie"}
    response = session.post(
        f"{app.origin}/v3-public/localProviders/local?action=login", json=body, timeout=TIMEOUT
    )
    assert response.status_code == 200
    return session


def test_app_requires_session_and_csrf_and_known_ids(app: WebApp) -> None:
    session = _login(app)
    csrf = {"X-Api-Csrf": session.cookies["CSRF"]}
    things = f"{app.origin}/v3/things"

    def post(client: Any, url: str, **kwargs: Any) -> requests.Response:
        return client.post(url, json={"name": "x"}, timeout=TIMEOUT, **kwargs)

    assert post(requests, things, headers=csrf).status_code == 401  # no session cookie
    assert post(session, things).status_code == 403  # no CSRF header
    assert post(session, things, headers={"X-Api-Csrf": "0" * 16}).status_code == 403
    created = post(session, things, headers=csrf)
    assert created.status_code == 201
    started = post(session, f"{things}/{created.json()['id']}?action=start", headers=csrf)
    assert started.json()["state"] == "active"
    assert post(session, f"{things}/t-00000000?action=start", headers=csrf).status_code == 404
    assert [m.status for m in app.mutations] == [200, 401, 403, 403, 201, 200, 404]


def test_app_ids_repeat_with_a_seed_and_differ_without(app: WebApp) -> None:
    def first_ids(server: WebApp) -> tuple[str, str]:
        session = _login(server)
        csrf = session.cookies["CSRF"]
        created = session.post(
            f"{server.origin}/v3/things",
            json={"name": "x"},
            headers={"X-Api-Csrf": csrf},
            timeout=TIMEOUT,
        )
        return session.cookies["R_SESS"], created.json()["id"]

    seeded = first_ids(app)
    for seed, same in (("things", True), (None, False)):
        other = WebApp(seed=seed).start()
        try:
            assert (first_ids(other) == seeded) is same
        finally:
            other.stop()


def _login_token(app: WebApp) -> str:
    """A token for the fresh app, as a user would create one for the script."""
    answer = requests.post(
        f"{app.origin}/v3-public/localProviders/local?action=login",
        json={"username": USERNAME, "password": PASSWORD, "responseType": "token"},
        timeout=TIMEOUT,
    )
    answer.raise_for_status()
    return str(answer.json()["token"])


@pytest.mark.parametrize("keep_login", [False, True], ids=["token", "keep-login"])
@pytest.mark.parametrize("target", sorted(RUNNERS))
def test_each_script_provisions_again_on_an_app_with_fresh_ids(
    capture: Capture, target: str, keep_login: bool, tmp_path: Path
) -> None:
    """Provisioning mode against random ids: the created thing's id is read from the create
    response, and the session is an API token (from the environment, or from the login)."""
    source = Source(str(capture.records_path), path=capture.records_path)
    conversion = convert([source], target=target, options=ProvisionOptions(keep_login=keep_login))
    fresh = WebApp(seed=None).start()
    try:
        env = {**capture.env, "BASE_URL": fresh.origin}
        if not keep_login:
            env["RANCHER_TOKEN"] = _login_token(fresh)
        before = len(fresh.mutations)  # the test's own login is not the script's
        result = RUNNERS[target](conversion.emitted, env, tmp_path)
    finally:
        fresh.stop()
    mutations = fresh.mutations[before:]
    assert result.returncode == 0, (result.stdout + result.stderr).decode(errors="replace")
    captured = [(m.method, re.sub(r"t-[0-9a-f]+", "t-ID", m.target)) for m in capture.mutations]
    replayed = [(m.method, re.sub(r"t-[0-9a-f]+", "t-ID", m.target)) for m in mutations]
    assert replayed == (captured if keep_login else captured[1:])
    assert [m.status for m in mutations] == [m.status for m in capture.mutations][
        (0 if keep_login else 1) :
    ]
    created, started = mutations[-2:]
    assert json.loads(created.body) == json.loads(capture.mutations[1].body)
    assert started.target.startswith("/v3/things/t-") and started.target not in {
        m.target for m in capture.mutations
    }
