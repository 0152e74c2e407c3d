"""Noise filtering: every decision on the Rancher RKE1 sample, the rules one by one, the
precedence of --exclude, --include and --all-requests, --host, and a real Chromium session."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capture2code.filters import (
    Decision,
    FilterOptions,
    classify,
    is_static,
    main_hosts,
    static_kind,
)
from capture2code.record import Record, Request, Response
from capture2code.sources.curl import read_curl
from capture2code.sources.har import read_har_file
from capture2code.template import Text, Var
from tests.recorder import Received, Recorder

DATA = Path(__file__).parent / "data" / "canary"
SAMPLE = DATA / "a_rke1_digitalocean_session.har"
CURL_SAMPLE = DATA / "b_copy_all_as_curl_bash.txt"
R = "https://rancher.example.test"

READ = Decision("if-used", "read")
CHANGES = Decision("keep", "creates or changes something")
BACKGROUND = Decision("drop", "browser background call")
PREFLIGHT = Decision("drop", "CORS preflight")
WEBSOCKET = Decision("drop", "websocket")
LIST_POLLING = Decision("drop", "list polling")
SECRET = Decision("keep", "returns a secret (registration command)")


def static(kind: str) -> Decision:
    return Decision("drop", f"static asset ({kind})")


def rancher(what: str) -> Decision:
    return Decision("drop", f"Rancher {what} fetch")


def record(
    method: str,
    url: str,
    headers: tuple[tuple[str, str], ...] = (),
    mime: str | None = None,
    **options: Any,
) -> Record:
    response = Response(200, [("Content-Type", mime)] if mime else [])
    request = Request(
        method, Text.of(url), [(name, Text.of(value)) for name, value in headers], options=options
    )
    return Record(request, response)


def decide(*records: Record, **options: Any) -> list[Decision]:
    return classify(records, FilterOptions(**options))


# --- the RKE1 sample -------------------------------------------------------------------------

# Each of the sample's 43 entries in file order, read off the HAR: method, the start of the
# path, and what a provisioning script should do with it.
SAMPLE_DECISIONS: list[tuple[str, str, Decision]] = [
    ("GET", "/dashboard/auth/login", static("document")),
    ("GET", "/dashboard/js/chunk-vendors.", static("script")),
    ("GET", "/dashboard/js/app.", static("script")),
    ("GET", "/dashboard/css/chunk-vendors.", static("stylesheet")),
    ("GET", "/dashboard/fonts/lato-", static("font")),
    ("GET", "/dashboard/fonts/poppins-", static("font")),
    ("GET", "/dashboard/img/rancher-logo.", static("image")),
    ("GET", "/rancherversion", rancher("version")),
    ("GET", "/v1/management.cattle.io.settings?", rancher("settings")),
    ("GET", "/v3-public/authProviders", rancher("login providers")),
    ("POST", "/v3-public/localProviders/local?action=login", CHANGES),
    ("GET", "/v3/users?me=true", rancher("current user")),
    ("GET", "/v3/principals", rancher("principals")),
    ("GET", "/v1/schemas?", rancher("schema")),
    ("GET", "/v3/schemas", rancher("schema")),
    ("GET", "/v1/subscribe?", WEBSOCKET),
    ("GET", "/v3/subscribe?", WEBSOCKET),
    ("GET", "/v1/management.cattle.io.clusters?", LIST_POLLING),
    ("GET", "/v1/counts?", rancher("counts")),
    ("GET", "/v1/userpreferences?", LIST_POLLING),
    ("POST", "/g/collect?", Decision("drop", "other origin www.google-analytics.com")),
    ("GET", "/v1/management.cattle.io.nodedrivers?", LIST_POLLING),
    ("GET", "/v1/management.cattle.io.kontainerdrivers?", LIST_POLLING),
    (
        "GET",
        "/meta/proxy/api.digitalocean.com/v2/regions",
        Decision("drop", "cloud provider lookup"),
    ),
    ("POST", "/v3/cloudcredentials", CHANGES),
    ("GET", "/g/clusters/add/launch/digitalocean?", static("document")),
    ("GET", "/assets/vendor-", static("script")),
    ("GET", "/assets/ui-", static("script")),
    ("GET", "/assets/ui-", static("stylesheet")),
    ("GET", "/assets/fonts/rancher-icons-", static("font")),
    ("GET", "/v3/nodetemplates?limit=-1", LIST_POLLING),
    ("GET", "/v3/cloudcredentials?limit=-1", LIST_POLLING),
    (
        "GET",
        "/meta/proxy/api.digitalocean.com/v2/regions",
        Decision("drop", "cloud provider lookup"),
    ),
    ("GET", "/meta/proxy/api.digitalocean.com/v2/sizes", Decision("drop", "cloud provider lookup")),
    ("POST", "/v3/nodetemplate", CHANGES),
    ("POST", "/v3/cluster?_replace=true", CHANGES),
    ("POST", "/v3/nodepool", CHANGES),
    ("GET", "/v3/clusters/c-5nmb8", READ),
    ("GET", "/v3/clusters/c-5nmb8", READ),
    ("GET", "/v1/management.cattle.io.clusters?", LIST_POLLING),
    ("GET", "/v3/clusterregistrationtokens?clusterId=c-5nmb8", SECRET),
    ("POST", "/v3/clusters/c-5nmb8?action=generateKubeconfig", CHANGES),
    ("PUT", "/v1/userpreferences/user-p5d2x", Decision("drop", "user preference write")),
]


def path_of(record: Record) -> str:
    url = record.request.url.literal_str()
    return url[url.index("/", url.index("://") + 3) :]


@pytest.fixture(scope="module")
def sample() -> list[Record]:
    return list(read_har_file(SAMPLE, keep_static=True))


def test_every_entry_of_the_rke1_sample(sample: list[Record]) -> None:
    assert len(sample) == len(SAMPLE_DECISIONS) == 43
    decisions = classify(sample, FilterOptions())
    for number, (found, decision, (method, path, expected)) in enumerate(
        zip(sample, decisions, SAMPLE_DECISIONS, strict=True), start=1
    ):
        assert (found.request.method, path_of(found)[: len(path)]) == (method, path), number
        assert decision == expected, f"entry {number} {method} {path}"


def test_the_sample_keeps_what_changes_something_but_preferences_and_analytics(
    sample: list[Record],
) -> None:
    decisions = classify(sample, FilterOptions())
    changes = {n for n, r in enumerate(sample, start=1) if r.request.method not in ("GET",)}
    kept = {n for n, d in enumerate(decisions, start=1) if d.verdict == "keep"}
    assert changes == {11, 21, 25, 35, 36, 37, 42, 43}
    # login stays here: dropping it is the session rewriting's work
    assert kept - {41} == changes - {21, 43}
    assert [n for n, d in enumerate(decisions, start=1) if d.verdict == "if-used"] == [38, 39]


def test_the_sample_read_without_static_assets_decides_the_same(sample: list[Record]) -> None:
    """The HAR reader leaves static assets out by default: the rest is decided alike."""
    expected = [d for _, _, d in SAMPLE_DECISIONS if not d.reason.startswith("static asset")]
    assert classify(list(read_har_file(SAMPLE)), FilterOptions()) == expected


def test_the_copy_all_as_curl_sample() -> None:
    records = read_curl(CURL_SAMPLE.read_text()).records
    decisions = classify(records, FilterOptions())
    assert [r.request.method for r in records] == ["POST"] * 6 + ["PUT"]
    assert decisions == [CHANGES] * 6 + [Decision("drop", "user preference write")]


def test_main_host_of_the_sample(sample: list[Record]) -> None:
    assert main_hosts(sample) == ("rancher.example.test",)


# --- precedence ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, static("script")),
        ({"include": re.compile(r"app\.js")}, Decision("keep", "--include")),
        ({"all_requests": True}, Decision("keep", "--all-requests")),
        ({"exclude": re.compile("^GET ")}, Decision("drop", "--exclude")),
        (
            {"include": re.compile("app"), "exclude": re.compile("js$")},
            Decision("drop", "--exclude"),
        ),
        ({"include": re.compile("app"), "all_requests": True}, Decision("keep", "--include")),
        ({"exclude": re.compile("app"), "all_requests": True}, Decision("drop", "--exclude")),
        ({"include": re.compile("^POST ")}, static("script")),  # searched in "METHOD URL"
        ({"include": re.compile("rancher\\.example")}, Decision("keep", "--include")),
    ],
)
def test_precedence(options: dict[str, Any], expected: Decision) -> None:
    assert decide(record("GET", f"{R}/dashboard/app.js"), **options) == [expected]


def test_all_requests_keeps_every_kind_of_noise(sample: list[Record]) -> None:
    decisions = classify(sample, FilterOptions(all_requests=True))
    assert set(decisions) == {Decision("keep", "--all-requests")}


def test_exclude_drops_what_the_rules_keep(sample: list[Record]) -> None:
    decisions = classify(sample, FilterOptions(exclude=re.compile(r"/v3/nodepool$")))
    expected = [d for _, _, d in SAMPLE_DECISIONS]
    expected[36] = Decision("drop", "--exclude")
    assert decisions == expected


POOL = [
    ("GET", f"{R}/v3/schemas"),
    ("GET", f"{R}/v3/clusters/c-1"),
    ("POST", f"{R}/v3/cluster"),
    ("PUT", f"{R}/v1/userpreferences/u"),
    ("GET", f"{R}/ui/app.js"),
    ("OPTIONS", f"{R}/v3/x"),
    ("POST", "https://other.test/collect"),
    ("GET", "wss://rancher.example.test/v3/subscribe"),
    ("DELETE", "http://127.0.0.1:8080/api/items/1"),
]
PATTERNS = ["^GET ", "POST", r"/v3/", "app", "collect$", "8080", "x^"]


@settings(max_examples=100, deadline=None)
@given(
    picks=st.lists(st.sampled_from(POOL), min_size=1, max_size=8),
    include=st.none() | st.sampled_from(PATTERNS),
    exclude=st.none() | st.sampled_from(PATTERNS),
    all_requests=st.booleans(),
)
def test_overrides_come_first_in_their_order(
    picks: list[tuple[str, str]], include: str | None, exclude: str | None, all_requests: bool
) -> None:
    records = [record(method, url) for method, url in picks]
    by_rules = classify(records, FilterOptions())
    options = FilterOptions(
        include=None if include is None else re.compile(include),
        exclude=None if exclude is None else re.compile(exclude),
        all_requests=all_requests,
    )
    for (method, url), ruled, got in zip(picks, by_rules, classify(records, options), strict=True):
        line = f"{method} {url}"
        if exclude is not None and re.search(exclude, line):
            assert got == Decision("drop", "--exclude")
        elif include is not None and re.search(include, line):
            assert got == Decision("keep", "--include")
        elif all_requests:
            assert got == Decision("keep", "--all-requests")
        else:
            assert got == ruled


# --- hosts -----------------------------------------------------------------------------------


def test_host_option_replaces_the_inferred_host(sample: list[Record]) -> None:
    decisions = classify(sample, FilterOptions(hosts=("www.google-analytics.com",)))
    # on the host it is a beacon (no-cors, nothing reads the answer): --include keeps it
    assert decisions[20] == BACKGROUND
    other = Decision("drop", "other origin rancher.example.test")
    for number in (11, 25, 35, 36, 37, 38, 41, 42, 43):
        assert decisions[number - 1] == other, number
    # what is noise wherever it goes stays so
    assert decisions[0] == static("document")
    assert decisions[15] == WEBSOCKET


@pytest.mark.parametrize(
    ("host", "url", "on_it"),
    [
        ("h.test", "https://h.test/x", True),
        ("H.Test", "https://h.test/x", True),
        ("h.test", "https://h.test:8443/x", True),  # a host alone: any port
        ("h.test:8443", "https://h.test:8443/x", True),
        ("h.test:8443", "https://h.test/x", False),
        ("h.test:443", "https://h.test/x", True),
        ("h.test:80", "http://h.test/x", True),
        ("h.test:80", "https://h.test/x", False),
        ("h.test", "https://api.h.test/x", False),
        ("h.test", "https://h.test.evil/x", False),
        ("[::1]:8080", "http://[::1]:8080/x", True),
        ("::1", "http://[::1]:8080/x", True),
        ("https://h.test", "https://h.test/x", True),
    ],
)
def test_host_forms(host: str, url: str, on_it: bool) -> None:
    (decision,) = decide(record("POST", url), hosts=(host,))
    assert (decision == CHANGES) is on_it
    if not on_it:
        assert decision.verdict == "drop" and decision.reason.startswith("other origin ")


def test_other_origin_names_the_port_when_not_the_default() -> None:
    records = [
        record("POST", "http://127.0.0.1:8080/api/a"),
        record("GET", "https://cdn.test:8443/x"),
    ]
    assert decide(*records)[1] == Decision("drop", "other origin cdn.test:8443")
    assert main_hosts(records) == ("127.0.0.1:8080",)
    assert main_hosts([record("POST", "https://h.test:443/api")]) == ("h.test",)


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        # one change beats five reads
        ([("POST", "https://a.test/x")] + [("GET", "https://b.test/v1/x")] * 5, "a.test"),
        # as many changes: the API's paths, then the count
        ([("GET", "https://a.test/home")] * 2 + [("GET", "https://b.test/v1/x")], "b.test"),
        ([("GET", "https://a.test/v3-public/x"), ("GET", "https://b.test/v2/x")] * 2, "a.test"),
        ([("GET", "https://a.test/x")] + [("GET", "https://b.test/x")] * 2, "b.test"),
        # static assets, websockets and preflights are not API calls
        (
            [("GET", "https://cdn.test/v1/a.js")] * 3
            + [("OPTIONS", "https://cdn.test/v1/x")]
            + [("GET", "wss://cdn.test/v1/ws")] * 3
            + [("GET", "https://a.test/x")],
            "a.test",
        ),
    ],
)
def test_main_host_inference(records: list[tuple[str, str]], expected: str) -> None:
    built = [
        record(m, u, (("Access-Control-Request-Method", "PUT"),) if m == "OPTIONS" else ())
        for m, u in records
    ]
    assert main_hosts(built) == (expected,)


def test_beacons_do_not_make_the_main_host() -> None:
    beacon = (("Sec-Fetch-Mode", "no-cors"), ("Sec-Fetch-Dest", "empty"))
    records = [record("POST", "https://t.test/collect", beacon)] * 3
    records.append(record("GET", "https://a.test/v3/x", (("Sec-Fetch-Mode", "cors"),)))
    assert main_hosts(records) == ("a.test",)


def test_no_host_no_inference() -> None:
    assert main_hosts([]) == ()
    assert main_hosts([record("GET", "data:text/plain,x")]) == ()
    assert classify([], FilterOptions()) == []


# --- the rules -------------------------------------------------------------------------------

LOGIN = record("POST", f"{R}/v3-public/localProviders/local?action=login")


@pytest.mark.parametrize(
    ("method", "target", "expected"),
    [
        ("GET", "/v3/schemas/cluster", rancher("schema")),
        ("GET", "/v1/schemas?exclude=metadata.managedFields", rancher("schema")),
        ("HEAD", "/rancherversion", rancher("version")),
        ("GET", "/v1/counts", rancher("counts")),
        ("GET", "/v3/settings/ui-pl", rancher("settings")),
        ("GET", "/v1/management.cattle.io.settings/server-url", rancher("settings")),
        ("GET", "/v1-public/authproviders", rancher("login providers")),
        ("GET", "/v3/users?limit=-1&me=true", rancher("current user")),
        ("GET", "/v3/users?me=trueish", READ),
        ("GET", "/v3/principals/local://u-1", rancher("principals")),
        ("POST", "/v3/principals?action=search", Decision("drop", "Rancher principal search")),
        (
            "GET",
            "/meta/proxy/api.digitalocean.com/v2/sizes",
            Decision("drop", "cloud provider lookup"),
        ),
        ("POST", "/meta/proxy/ec2.us-east-1.amazonaws.com/", CHANGES),
        ("POST", "/v1/userpreferences", Decision("drop", "user preference write")),
        ("PUT", "/v3/preferences/p-1", Decision("drop", "user preference write")),
        ("GET", "/v3/clusters", LIST_POLLING),
        ("GET", "/v3/clusters/?limit=-1&sort=name", LIST_POLLING),
        ("GET", "/v1/provisioning.cattle.io.clusters?exclude=metadata.managedFields", LIST_POLLING),
        ("GET", "/k8s/clusters/c-1/v1/pods", LIST_POLLING),
        ("GET", "/v3/clusters/c-5nmb8", READ),
        ("GET", "/v3/nodes?clusterId=c-1", READ),
        ("GET", "/v1/secrets/fleet-default", READ),
        ("GET", "/v3/clusterregistrationtokens", LIST_POLLING),
        ("GET", "/v3/clusterregistrationtoken?limit=-1&clusterId=c-1", SECRET),
        ("GET", "/v3/clusters/c-1/clusterregistrationtokens", SECRET),
        ("POST", "/v3/clusterregistrationtoken", CHANGES),
        ("DELETE", "/v3/clusters/c-1", CHANGES),
        ("PATCH", "/v1/provisioning.cattle.io.clusters/fleet-default/x", CHANGES),
    ],
)
def test_rancher_rules(method: str, target: str, expected: Decision) -> None:
    assert decide(LOGIN, record(method, R + target))[1] == expected


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("GET", "/v1/users?limit=50"),
        ("GET", "/v3/settings/x"),
        ("GET", "/v1/counts"),
        ("GET", "/v3/principals"),
        ("GET", "/v3/users?me=true"),
        ("PUT", "/v3/preferences/p-1"),
    ],
)
def test_rancher_rules_only_in_a_rancher_capture(method: str, target: str) -> None:
    other = record("POST", "https://api.example.test/v1/session")
    decision = decide(other, record(method, "https://api.example.test" + target))[1]
    assert decision == (READ if method == "GET" else CHANGES)


def test_a_rancher_capture_is_known_by_its_csrf_header_too() -> None:
    header = (("X-Api-Csrf", "{{CSRF_TOKEN}}"),)
    assert decide(record("GET", f"{R}/v3/clusters", header)) == [LIST_POLLING]
    assert decide(record("GET", f"{R}/v3/clusters")) == [READ]


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (record("OPTIONS", f"{R}/v3/x", (("Access-Control-Request-Method", "POST"),)), PREFLIGHT),
        (record("OPTIONS", f"{R}/v3/x"), READ),
        (record("OPTIONS", f"{R}/v3/x", resource_type="preflight"), PREFLIGHT),
        (record("GET", "wss://rancher.example.test/v3/subscribe"), WEBSOCKET),
        (record("GET", f"{R}/v1/subscribe", websocket=True), WEBSOCKET),
        (record("GET", f"{R}/favicon.ico", mime="image/x-icon"), BACKGROUND),
        (record("GET", f"{R}/service-worker.js"), BACKGROUND),
        (record("GET", "chrome-extension://abcdef/content.js"), BACKGROUND),
        (record("GET", f"{R}/v3/x", (("Sec-Purpose", "prefetch;prerender"),)), BACKGROUND),
        (record("GET", f"{R}/v3/x", (("Purpose", "prefetch"),)), BACKGROUND),
        (record("POST", f"{R}/api/beacon", resource_type="ping"), BACKGROUND),
        (record("POST", f"{R}/csp", (("Sec-Fetch-Dest", "report"),)), BACKGROUND),
        (
            record(
                "POST",
                f"{R}/api/event",
                (("Sec-Fetch-Mode", "no-cors"), ("Sec-Fetch-Dest", "empty")),
            ),
            BACKGROUND,
        ),
        (
            record(
                "POST", f"{R}/api/items", (("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "empty"))
            ),
            CHANGES,
        ),
        # a page's script asked for it: a read, whatever the type
        (record("GET", f"{R}/api/logo.png", (("Sec-Fetch-Dest", "empty"),), "image/png"), READ),
        (
            record("GET", f"{R}/api/logo", (("Sec-Fetch-Dest", "script"),), "application/json"),
            static("script"),
        ),
        (
            record("GET", f"{R}/api/x", mime="application/json", resource_type="Document"),
            static("document"),
        ),
        (record("GET", f"{R}/api/x", mime="text/html; charset=utf-8"), static("document")),
        (record("POST", f"{R}/login", (("Sec-Fetch-Dest", "document"),), "text/html"), CHANGES),
        (record("GET", "data:image/png;base64,AAAA"), static("data URL")),
        (record("HEAD", f"{R}/v3/x"), READ),
    ],
)
def test_browser_rules(built: Record, expected: Decision) -> None:
    assert decide(record("POST", f"{R}/api/items"), built)[1] == expected


def test_a_url_whose_origin_is_a_variable_is_judged_by_its_path() -> None:
    built = Record(Request("GET", Text.of(Var("BASE_URL"), "/v3/schemas")))
    assert decide(LOGIN, built)[1] == rancher("schema")


@pytest.mark.parametrize(
    ("url", "resource_type", "mime", "kind"),
    [
        ("https://h/a.mjs", None, None, "script"),
        ("https://h/a.css?v=2", None, None, "stylesheet"),
        ("https://h/a.js.map", None, None, "source map"),
        ("https://h/x", None, "font/woff2", "font"),
        ("https://h/x", None, "application/x-font-ttf", "font"),
        ("https://h/x", None, "Video/MP4", "media"),
        ("https://h/x", "texttrack", None, "texttrack"),
        ("https://h/x", "xhr", "text/html", None),
        ("https://h/x", None, "application/json", None),
        ("blob:https://h/1234", None, None, "blob URL"),
    ],
)
def test_static_kind(
    url: str, resource_type: str | None, mime: str | None, kind: str | None
) -> None:
    assert static_kind("GET", url, resource_type, mime) == kind
    assert is_static("GET", url, resource_type, mime) is (kind is not None)
    assert static_kind("POST", url, resource_type, mime) is None


# --- a real browser --------------------------------------------------------------------------

PAGE = b"""<!doctype html><html><head><link rel="stylesheet" href="/s.css">
<script src="/a.js"></script></head><body><img src="/i.png"><script>
async function run() {
  await fetch('/api/items?x=1');
  await fetch('/api/items', {method: 'POST', headers: {'Content-Type': 'application/json'},
                             body: '{"a":1}'});
  navigator.sendBeacon('/api/beacon', 'x=1');
  await fetch(OTHER + '/v1/x', {method: 'PUT', body: '{}',
                                headers: {'X-Thing': '1', 'Content-Type': 'application/json'}});
  document.title = 'done';
}
run();
</script></body></html>"""

ASSETS = {
    b"/s.css": ("text/css", b"body{}"),
    b"/a.js": ("text/javascript", b"1;"),
    b"/i.png": ("image/png", b"\x89PNG\r\n"),
}


def _responder(other: str) -> Any:
    def respond(received: Received) -> tuple[int, list[tuple[str, str]], bytes]:
        cors = [("Access-Control-Allow-Origin", "*")]
        if received.method == "OPTIONS":
            allow = [("Access-Control-Allow-Methods", "PUT")]
            allow.append(("Access-Control-Allow-Headers", "x-thing, content-type"))
            return 204, cors + allow, b""
        if received.target == b"/":
            page = PAGE.replace(b"OTHER", repr(other).encode())
            return 200, [("Content-Type", "text/html")], page
        if received.target in ASSETS:
            mime, body = ASSETS[received.target]
            return 200, [("Content-Type", mime)], body
        return 200, cors + [("Content-Type", "application/json")], b'{"ok":true}'

    return respond


def _received_record(origin: str, received: Received) -> Record:
    headers = [(k.decode(), Text.of(v.decode())) for k, v in received.headers]
    url = Text.of(origin + received.target.decode())
    return Record(Request(received.method, url, headers, options={}))


def test_a_chromium_session(tmp_path: Path) -> None:
    """Chromium loads a page with assets, calls an API on its host, sends a beacon and calls
    another origin (with a CORS preflight): its HAR, and what the servers received, are
    decided as a user expects."""
    from playwright.sync_api import sync_playwright

    other = Recorder().start()
    # another origin for the browser: same server, other host name
    other_origin = other.origin.replace("127.0.0.1", "localhost")
    other.responder = _responder(other_origin)
    main = Recorder(responder=_responder(other_origin)).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
            context = browser.new_context(record_har_path=str(tmp_path / "session.har"))
            page = context.new_page()
            page.goto(main.origin + "/")
            page.wait_for_function("document.title === 'done'")
            context.close()
            browser.close()
        on_main, on_other = main.take(), other.take()
    finally:
        main.stop()
        other.stop()

    records = list(read_har_file(tmp_path / "session.har", keep_static=True))
    host = main.origin.split("://")[1]
    assert main_hosts(records) == (host,)
    found = {
        (r.request.method, path_of(r)): d
        for r, d in zip(records, classify(records, FilterOptions()), strict=True)
        if path_of(r) != "/i.png"  # Chromium may fetch it twice, with different headers
    }
    assert found == {
        ("GET", "/"): static("document"),
        ("GET", "/s.css"): static("stylesheet"),
        ("GET", "/a.js"): static("script"),
        ("GET", "/api/items?x=1"): READ,
        ("POST", "/api/items"): CHANGES,
        ("POST", "/api/beacon"): BACKGROUND,
        ("PUT", "/v1/x"): Decision("drop", f"other origin {other_origin.split('://')[1]}"),
    }
    images = [
        d
        for r, d in zip(records, classify(records, FilterOptions()), strict=True)
        if path_of(r) == "/i.png"
    ]
    assert images and all(d.verdict == "drop" for d in images)
    both = FilterOptions(hosts=(host, other_origin.split("://")[1]))
    assert [
        d
        for r, d in zip(records, classify(records, both), strict=True)
        if r.request.method == "PUT"
    ] == [CHANGES]

    # What the servers received, as records (no responses): the preflight and the favicon
    # that a HAR leaves out.
    received = [_received_record(main.origin, r) for r in on_main]
    received += [_received_record(other_origin, r) for r in on_other]
    decided = {
        (r.request.method, path_of(r)): d
        for r, d in zip(received, classify(received, FilterOptions()), strict=True)
    }
    assert decided[("OPTIONS", "/v1/x")] == PREFLIGHT
    assert decided[("GET", "/s.css")] == static("stylesheet")
    assert decided[("POST", "/api/beacon")] == BACKGROUND
    assert decided[("POST", "/api/items")] == CHANGES
    if ("GET", "/favicon.ico") in decided:
        assert decided[("GET", "/favicon.ico")] == BACKGROUND
