"""Write samples/rancher/c_rke2_digitalocean_session.har: an RKE2-on-DigitalOcean session.

    python3 tests/make_rke2_sample.py [-o PATH]

Starts the fake Rancher of tests/fake_rancher.py and drives the provisioning-v2 flow against
it the way the Rancher dashboard does from Chrome (session cookie, CSRF cookie and header,
`sec-*` headers, Origin, Referer), then writes what went over the wire as a Chrome-flavoured
HAR 1.2 for https://rancher.example.test. Every response in the file is the fake's real
answer, so ids chain exactly as a generated script must chain them. The third-party
analytics call and the websocket cannot reach the fake; they are written as Chrome records
them. Secrets the capture holds contain CANARY (the CSRF value excepted), like the RKE1
sample. Running it again gives other ids and timestamps.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a file: the fake lives in tests/

from tests.fake_rancher import FakeRancher  # noqa: E402

JSONObj = dict[str, Any]
TARGET = ROOT / "samples" / "rancher" / "c_rke2_digitalocean_session.har"
HOST = "rancher.example.test"
ORIGIN = f"https://{HOST}"
SERVER_IP = "203.0.113.10"
CLUSTER = "rke2-demo"
NAMESPACE = "fleet-default"
PASSWORD = "CANARY-Rke2-Adm1n-Passw0rd!"
DO_TOKEN = "dop_v1_CANARY5be0c1d27a94f36e8d1b0a4c7e2f9d3b6a8c0e1f4d7b2a9c5e3"  # 64 characters
ANALYTICS = (
    "https://www.google-analytics.com/g/collect?v=2&tid=G-CANARY0000&gtm=45je46o0"
    "&_p=1732700000210&cid=1408722041.1732700000&ul=en-us&sr=1728x1117&en=page_view"
    "&dl=https%3A%2F%2Francher.example.test%2Fdashboard%2Fhome&dt=Rancher"
)
USER_AGENT = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
CLIENT_HINTS = [
    ("sec-ch-ua", '"Not/A)Brand";v="8", "Chromium";v="126", "Google Chrome";v="126"'),
    ("sec-ch-ua-mobile", "?0"),
    ("sec-ch-ua-platform", '"macOS"'),
]
APP_SCRIPT = f"{ORIGIN}/dashboard/js/app.7c2e9f14.js"
ASSETS = [
    ("/dashboard/js/app.7c2e9f14.js", "script", "*/*"),
    ("/dashboard/css/app.3a9d04be.css", "stylesheet", "text/css,*/*;q=0.1"),
    ("/dashboard/img/rancher-logo.6c2b1e0f.svg", "image", "image/avif,image/webp,*/*;q=0.8"),
]
PAGES = {
    "login": "/dashboard/auth/login",
    "home": "/dashboard/home",
    "credential": "/dashboard/c/_/manager/cloudCredential/create",
    "create": "/dashboard/c/_/manager/provisioning.cattle.io.cluster/create?type=digitalocean",
    "detail": f"/dashboard/c/_/manager/provisioning.cattle.io.cluster/{NAMESPACE}/{CLUSTER}",
}
# Milliseconds the server "took": mutations are slower than reads, like the RKE1 sample.
WAIT_MS = {"GET": 48.0, "POST": 211.0, "PUT": 96.0}
API_HEADERS = [
    ("cache-control", "no-cache, no-store, must-revalidate"),
    ("expires", "Wed 24 Feb 1982 18:42:00 GMT"),
    ("strict-transport-security", "max-age=31536000; includeSubDomains"),
    ("x-api-cattle-auth", "true"),
]
KEPT_RESPONSE_HEADERS = ("content-type", "set-cookie", "x-content-type-options")


def timings(wait: float) -> JSONObj:
    return {
        "blocked": 1.2,
        "dns": -1,
        "ssl": -1,
        "connect": -1,
        "send": 0.3,
        "wait": wait,
        "receive": 2.1,
        "_blocked_queueing": 0.8,
    }


def name_values(pairs: list[tuple[str, str]]) -> list[JSONObj]:
    return [{"name": name, "value": value} for name, value in pairs]


def response_cookies(set_cookies: list[str]) -> list[JSONObj]:
    cookies = []
    for line in set_cookies:
        for name, morsel in SimpleCookie(line).items():
            cookies.append(
                {
                    "name": name,
                    "value": morsel.value,
                    "path": morsel["path"] or "/",
                    "expires": None,
                    "httpOnly": bool(morsel["httponly"]),
                    "secure": bool(morsel["secure"]),
                    "sameSite": morsel["samesite"] or "Lax",
                }
            )
    return cookies


@dataclass
class Browser:
    """Chrome on the Rancher dashboard: its headers, its cookie jar and its HAR log."""

    fake: FakeRancher
    started: datetime
    session: requests.Session = field(default_factory=requests.Session)
    cookies: dict[str, str] = field(default_factory=lambda: {"R_PCS": "light", "R_LOCALE": "en-us"})
    pages: list[JSONObj] = field(default_factory=list)
    entries: list[JSONObj] = field(default_factory=list)
    elapsed_ms: float = 0.0
    page_path: str = "/"

    def stamp(self, step_ms: float) -> str:
        self.elapsed_ms += step_ms
        moment = self.started + timedelta(milliseconds=self.elapsed_ms)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def http_date(self) -> str:
        return format_datetime(self.started + timedelta(milliseconds=self.elapsed_ms), usegmt=True)

    def open_page(self, page: str) -> None:
        self.page_path = PAGES[page]
        self.pages.append(
            {
                "startedDateTime": self.stamp(400.0),
                "id": f"page_{len(self.pages) + 1}",
                "title": ORIGIN + self.page_path,
                "pageTimings": {"onContentLoad": 612.4, "onLoad": 1040.8},
            }
        )

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request_headers(
        self, method: str, path: str, kind: str, accept: str, extra: list[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        api = kind in ("fetch", "xhr")
        headers = [
            (":authority", HOST),
            (":method", method),
            (":path", path),
            (":scheme", "https"),
            ("accept", accept),
            ("accept-encoding", "gzip, deflate, br, zstd"),
            ("accept-language", "en-US,en;q=0.9"),
        ]
        if method != "GET":
            headers.append(("content-type", "application/json"))
        headers.append(("cookie", self.cookie_header()))
        if method != "GET":
            headers.append(("origin", ORIGIN))
        headers += [("priority", "u=1, i"), ("referer", ORIGIN + self.page_path), *CLIENT_HINTS]
        mode = {"document": "navigate", "fetch": "cors"}.get(kind, "no-cors")
        dest = {"document": "document", "fetch": "empty"}.get(kind, kind)
        headers += [
            ("sec-fetch-dest", dest),
            ("sec-fetch-mode", mode),
            ("sec-fetch-site", "same-origin"),
            ("user-agent", USER_AGENT),
        ]
        if api and "CSRF" in self.cookies:
            headers.append(("x-api-csrf", self.cookies["CSRF"]))
        return headers + extra

    def fetch(
        self,
        method: str,
        path: str,
        body: JSONObj | None = None,
        *,
        kind: str = "fetch",
        accept: str = "application/json",
        extra: list[tuple[str, str]] | None = None,
        comment: str | None = None,
    ) -> requests.Response:
        """Send one request to the fake as Chrome would, and log it."""
        headers = self.request_headers(method, path, kind, accept, extra or [])
        text = json.dumps(body, separators=(",", ":")) if body is not None else None
        wire = {name: value for name, value in headers if not name.startswith(":")}
        # The fake builds links from Host and the forwarded scheme, as Rancher behind TLS does.
        wire.update({"Host": HOST, "X-Forwarded-Proto": "https"})
        response = self.session.request(
            method, self.fake.origin + path, data=text, headers=wire, timeout=10
        )
        set_cookies = response.raw.headers.getlist("Set-Cookie")
        for cookie in response_cookies(set_cookies):
            self.cookies[cookie["name"]] = cookie["value"]
        self.entries.append(self.entry(method, path, headers, text, response, kind, comment))
        return response

    def entry(
        self,
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        text: str | None,
        response: requests.Response,
        kind: str,
        comment: str | None,
    ) -> JSONObj:
        wait = WAIT_MS.get(method, 48.0) if kind == "fetch" else 6.0
        started = self.stamp(35.0 + wait)
        api = path.startswith(("/v1", "/v3", "/meta/", "/rancherversion"))
        response_headers = [
            (name.lower(), value)
            for name, value in response.raw.headers.items()
            if name.lower() in KEPT_RESPONSE_HEADERS
        ]
        response_headers.append(("date", self.http_date()))
        if api:
            response_headers += API_HEADERS
        mime = response.headers.get("Content-Type", "").split(";")[0]
        content: JSONObj = {"size": len(response.content), "mimeType": mime}
        if kind in ("document", "fetch"):
            content["text"] = response.text
        request: JSONObj = {
            "method": method,
            "url": ORIGIN + path,
            "httpVersion": "http/2.0",
            "headers": name_values(headers),
            "queryString": name_values(parse_qsl(urlsplit(path).query, keep_blank_values=True)),
            "cookies": [
                {"name": name, "value": value, "path": "/", "domain": HOST, "expires": None}
                for name, value in self.cookies_sent(headers)
            ],
            "headersSize": -1,
            "bodySize": len(text.encode()) if text else 0,
        }
        if text is not None:
            request["postData"] = {"mimeType": "application/json", "text": text}
        entry: JSONObj = {
            "_initiator": (
                {"type": "other"}
                if kind == "document"
                else (
                    {"type": "script", "url": APP_SCRIPT}
                    if api
                    else {"type": "parser", "url": ORIGIN + self.page_path}
                )
            ),
            "_priority": "High",
            "_resourceType": kind,
            "cache": {},
            "connection": "443",
            "pageref": self.pages[-1]["id"],
            "request": request,
            "response": {
                "status": response.status_code,
                "statusText": response.reason,
                "httpVersion": "http/2.0",
                "headers": name_values(response_headers),
                "cookies": response_cookies(response.raw.headers.getlist("Set-Cookie")),
                "content": content,
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": len(response.content),
                "_transferSize": len(response.content) + 310,
                "_error": None,
            },
            "serverIPAddress": SERVER_IP,
            "startedDateTime": started,
            "time": round(wait + 3.6, 1),
            "timings": timings(wait),
        }
        if comment:
            entry["comment"] = comment
        return entry

    @staticmethod
    def cookies_sent(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        line = next(value for name, value in headers if name == "cookie")
        return [(part.partition("=")[0], part.partition("=")[2]) for part in line.split("; ")]

    def recorded(self, entry: JSONObj) -> None:
        """Log an entry the fake never saw (another host, a websocket)."""
        entry.update(
            cache={},
            connection="443",
            pageref=self.pages[-1]["id"],
            startedDateTime=self.stamp(60.0),
            time=33.6,
            timings=timings(30.0),
        )
        self.entries.append(entry)


def websocket(browser: Browser) -> JSONObj:
    base = browser.started.timestamp() + browser.elapsed_ms / 1000
    messages = [
        ("send", 0.05, {"resourceType": "provisioning.cattle.io.cluster"}),
        (
            "receive",
            0.1,
            {"name": "resource.start", "resourceType": "provisioning.cattle.io.cluster"},
        ),
        ("send", 0.12, {"resourceType": "count"}),
        ("receive", 30.0, {"name": "ping", "data": {"version": "v2.9.3"}}),
    ]
    headers = [
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Accept-Language", "en-US,en;q=0.9"),
        ("Cache-Control", "no-cache"),
        ("Connection", "Upgrade"),
        ("Cookie", browser.cookie_header()),
        ("Host", HOST),
        ("Origin", ORIGIN),
        ("Pragma", "no-cache"),
        ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
        ("Upgrade", "websocket"),
        ("User-Agent", USER_AGENT),
    ]
    return {
        "_initiator": {"type": "script", "url": APP_SCRIPT},
        "_priority": "High",
        "_resourceType": "websocket",
        "_webSocketMessages": [
            {
                "type": direction,
                "time": round(base + offset, 3),
                "opcode": 1,
                "data": json.dumps(data, separators=(",", ":")),
            }
            for direction, offset, data in messages
        ],
        "request": {
            "method": "GET",
            "url": f"wss://{HOST}/v1/subscribe?sockId=1",
            "httpVersion": "HTTP/1.1",
            "headers": name_values(headers),
            "queryString": [{"name": "sockId", "value": "1"}],
            "cookies": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": 101,
            "statusText": "Switching Protocols",
            "httpVersion": "HTTP/1.1",
            "headers": name_values(
                [
                    ("Connection", "upgrade"),
                    ("Date", browser.http_date()),
                    ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                    ("Upgrade", "websocket"),
                ]
            ),
            "cookies": [],
            "content": {"size": 0, "mimeType": "x-unknown"},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": 0,
            "_transferSize": 0,
            "_error": None,
        },
        "serverIPAddress": SERVER_IP,
    }


def analytics(browser: Browser) -> JSONObj:
    headers = [
        (":authority", "www.google-analytics.com"),
        (":method", "POST"),
        (":path", ANALYTICS.removeprefix("https://www.google-analytics.com")),
        (":scheme", "https"),
        ("accept", "*/*"),
        ("content-length", "0"),
        ("origin", ORIGIN),
        ("referer", f"{ORIGIN}/dashboard/home"),
        *CLIENT_HINTS,
        ("sec-fetch-dest", "empty"),
        ("sec-fetch-mode", "no-cors"),
        ("sec-fetch-site", "cross-site"),
        ("user-agent", USER_AGENT),
    ]
    return {
        "_initiator": {"type": "script", "url": "https://www.googletagmanager.com/gtag/js"},
        "_priority": "Low",
        "_resourceType": "ping",
        "request": {
            "method": "POST",
            "url": ANALYTICS,
            "httpVersion": "http/2.0",
            "headers": name_values(headers),
            "queryString": name_values(parse_qsl(urlsplit(ANALYTICS).query)),
            "cookies": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": 204,
            "statusText": "No Content",
            "httpVersion": "http/2.0",
            "headers": name_values(
                [("access-control-allow-origin", ORIGIN), ("content-type", "text/plain")]
            ),
            "cookies": [],
            "content": {"size": 0, "mimeType": "text/plain"},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": 0,
            "_transferSize": 120,
            "_error": None,
        },
        "serverIPAddress": "198.51.100.7",
    }


def cluster_body(credential_id: str, machine_config: str) -> JSONObj:
    pool = {
        "name": "pool1",
        "etcdRole": True,
        "controlPlaneRole": True,
        "workerRole": True,
        "hostnamePrefix": "",
        "labels": {},
        "quantity": 1,
        "unhealthyNodeTimeout": "0m",
        "machineConfigRef": {"kind": "DigitaloceanConfig", "name": machine_config},
        "drainBeforeDelete": True,
        "machineOS": "linux",
    }
    return {
        "type": "provisioning.cattle.io.cluster",
        "metadata": {"namespace": NAMESPACE, "name": CLUSTER, "annotations": {}, "labels": {}},
        "spec": {
            "rkeConfig": {
                "chartValues": {"rke2-calico": {}},
                "upgradeStrategy": {
                    "controlPlaneConcurrency": "1",
                    "controlPlaneDrainOptions": {"enabled": False},
                    "workerConcurrency": "1",
                    "workerDrainOptions": {"enabled": False},
                },
                "machineGlobalConfig": {"cni": "calico", "disable-kube-proxy": False},
                "machineSelectorConfig": [{"config": {"protect-kernel-defaults": False}}],
                "etcd": {"disableSnapshots": False, "snapshotRetention": 5},
                "registries": {"configs": {}, "mirrors": {}},
                "machinePools": [pool],
            },
            "kubernetesVersion": "v1.30.4+rke2r1",
            "cloudCredentialSecretName": credential_id,
            "localClusterAuthEndpoint": {"enabled": False, "caCerts": "", "fqdn": ""},
        },
    }


def machine_config_body() -> JSONObj:
    return {
        "type": "rke-machine-config.cattle.io.digitaloceanconfig",
        "metadata": {"namespace": NAMESPACE, "generateName": f"nc-{CLUSTER}-pool1-"},
        "backups": False,
        "image": "ubuntu-22-04-x64",
        "ipv6": False,
        "monitoring": False,
        "privateNetworking": False,
        "region": "nyc3",
        "size": "s-2vcpu-4gb",
        "sshPort": "22",
        "sshUser": "root",
        "tags": "",
        "userdata": "",
    }


def session(browser: Browser) -> None:
    """The clicks: log in, add a credential, create the cluster, wait, read, scale up."""
    list_query = "?exclude=metadata.managedFields"
    browser.open_page("login")
    browser.fetch("GET", PAGES["login"], kind="document", accept="text/html,*/*;q=0.8")
    for path, kind, accept in ASSETS:
        browser.fetch("GET", path, kind=kind, accept=accept)
    browser.fetch("GET", "/rancherversion")
    browser.fetch("GET", "/v1/management.cattle.io.settings" + list_query)
    browser.fetch("GET", "/v3-public/authProviders")
    login = {"description": "UI session", "responseType": "cookie", "username": "admin"}
    browser.fetch(
        "POST", "/v3-public/localProviders/local?action=login", {**login, "password": PASSWORD}
    )

    browser.open_page("home")
    browser.fetch("GET", "/v3/users?me=true")
    browser.fetch("GET", "/v3/principals")
    browser.fetch("GET", "/v1/schemas" + list_query, comment="truncated: real lists ~900 schemas")
    browser.fetch("GET", "/v3/schemas", comment="truncated")
    browser.recorded(websocket(browser))
    browser.fetch("GET", "/v1/management.cattle.io.clusters" + list_query)
    browser.fetch("GET", "/v1/counts" + list_query)
    browser.fetch("GET", "/v1/userpreferences" + list_query)
    browser.recorded(analytics(browser))

    browser.open_page("credential")
    browser.fetch(
        "GET",
        "/meta/proxy/api.digitalocean.com/v2/regions?per_page=1000",
        extra=[("x-api-auth-header", f"Bearer {DO_TOKEN}")],
        comment="dashboard cloud-credential test() call, raw provider token in x-api-auth-header",
    )
    credential = browser.fetch(
        "POST",
        "/v3/cloudcredentials",
        {
            "type": "provisioning.cattle.io/cloud-credential",
            "metadata": {"generateName": "cc-", "namespace": NAMESPACE},
            "_name": "do-rke2",
            "annotations": {"provisioning.cattle.io/driver": "digitalocean"},
            "digitaloceancredentialConfig": {"accessToken": DO_TOKEN},
            "_type": "provisioning.cattle.io/cloud-credential",
            "name": "do-rke2",
        },
    ).json()["id"]

    browser.open_page("create")
    cattle_auth = f"Bearer credID={credential} passwordField=accessToken"
    for path in ("v2/regions", "v2/sizes"):
        browser.fetch(
            "GET",
            f"/meta/proxy/api.digitalocean.com/{path}?per_page=1000",
            extra=[("x-api-cattle-auth-header", cattle_auth)],
        )
    browser.fetch("GET", "/v1/provisioning.cattle.io.clusters" + list_query)
    machine_config = browser.fetch(
        "POST",
        f"/v1/rke-machine-config.cattle.io.digitaloceanconfigs/{NAMESPACE}",
        machine_config_body(),
    ).json()["metadata"]["name"]
    browser.fetch(
        "POST", "/v1/provisioning.cattle.io.clusters", cluster_body(credential, machine_config)
    )

    browser.open_page("detail")
    cluster_path = f"/v1/provisioning.cattle.io.clusters/{NAMESPACE}/{CLUSTER}"
    cluster = browser.fetch("GET", cluster_path).json()
    while "clusterName" not in cluster["status"]:
        browser.fetch("GET", "/v1/provisioning.cattle.io.clusters" + list_query)
        cluster = browser.fetch("GET", cluster_path).json()
    management_id = cluster["status"]["clusterName"]
    browser.fetch("GET", f"/v3/clusterregistrationtokens?clusterId={management_id}")
    action = urlsplit(cluster["actions"]["generateKubeconfig"])
    browser.fetch("POST", f"{action.path}?{action.query}")
    # The dashboard saves the object it read, without the server's links and actions.
    edited = {key: value for key, value in cluster.items() if key not in ("links", "actions")}
    edited["spec"]["rkeConfig"]["machinePools"][0]["quantity"] = 2
    browser.fetch("PUT", cluster_path, edited)
    preference = {
        "id": browser.fake.user_id,
        "type": "userpreference",
        "data": {"theme": "ui-auto", "locale": "en-us", "last-visited": '{"name":"home"}'},
    }
    browser.fetch(
        "PUT",
        f"/v1/userpreferences/{browser.fake.user_id}",
        preference,
        comment="UI preference save (noise)",
    )
    browser.fetch("GET", "/v1/counts" + list_query)


def capture() -> JSONObj:
    """Run the session against a fresh fake; the HAR of it."""
    with FakeRancher(password=PASSWORD, secret_prefix="CANARY") as fake:
        started = datetime.now(UTC).replace(microsecond=0)
        browser = Browser(fake, started)
        session(browser)
        if fake.errors:
            raise SystemExit("the fake refused the session:\n" + "\n".join(fake.errors))
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": browser.pages,
            "entries": browser.entries,
            "comment": (
                "SYNTHETIC capture for capture2code tests, made by tests/make_rke2_sample.py "
                "against tests/fake_rancher.py: Rancher v2.9 dashboard, RKE2 on DigitalOcean "
                "(provisioning v2). Secret-like values contain CANARY (CSRF cookie is plain "
                "hex). Not a real server."
            ),
        }
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    har = capture()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(har, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.output} ({len(har['log']['entries'])} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
