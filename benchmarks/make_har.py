"""A large, realistic HAR of a Rancher console session, as Chrome's "Save all as HAR" writes it.

    python3 benchmarks/make_har.py SIZE_MB OUT [--minified] [--seed N]

Full page loads (the HTML page, dozens of script chunks, styles, fonts and images with their
bodies, base64 where binary), in-app navigations (lazy chunks, a few images, API calls),
big JSON API responses (/v1/schemas, resource lists), POST/PUT/DELETE calls with JSON
bodies, and /v1/subscribe websockets with their messages. Entries carry Chrome's fields in
Chrome's order (`_initiator` with call stacks, HTTP/2 pseudo-headers, cookies, timings).
The same SIZE_MB and seed always give the same bytes.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HOST = "rancher.example.test"
ORIGIN = f"https://{HOST}"
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SEC_CH_UA = '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"'
COOKIE = "R_PCS=light; R_LOCALE=en-us; CSRF=5f0c2b1e9a; R_SESS=token-8xk2p:qz7vbq9m5c4w2xh8jf6n"
API_LISTS = [
    "management.cattle.io.clusters",
    "provisioning.cattle.io.clusters",
    "management.cattle.io.nodes",
    "namespaces",
    "apps.deployments",
    "pods",
    "services",
    "catalog.cattle.io.apps",
    "catalog.cattle.io.clusterrepos",
    "management.cattle.io.users",
    "management.cattle.io.globalroles",
    "secrets",
    "configmaps",
    "events",
]
BOOT_CALLS = [
    "/v3/users?me=true",
    "/v1/management.cattle.io.settings?exclude=metadata.managedFields",
    "/v1/schemas",
    "/v3/schemas",
    "/v1/management.cattle.io.features?exclude=metadata.managedFields",
    "/v1/userpreferences",
    "/rancherversion",
    "/v1/counts",
    "/v3-public/authProviders",
    "/v1/management.cattle.io.clusters?exclude=metadata.managedFields",
]


@dataclass
class Body:
    """A response body: the JSON text of `content.text` (already escaped), its size, type."""

    json_text: str
    size: int
    mime: str
    base64: bool


class Pools:
    """Bodies reused across the session, as a browser reloads the same assets."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        source = self._javascript(400_000)
        self.scripts = [
            self._text(self._slice(source, size), "application/javascript")
            for size in self._sizes(70, 15_000, 1_800_000)
        ]
        styles = self._css(120_000)
        self.styles = [self._text(self._slice(styles, s), "text/css") for s in (40_000, 260_000)]
        self.fonts = [self._binary(size, "font/woff2") for size in (48_000, 76_000, 112_000)]
        self.images = [
            self._binary(size, self.rng.choice(["image/png", "image/webp", "image/jpeg"]))
            for size in self._sizes(25, 1_500, 180_000)
        ]
        self.svgs = [self._text(self._svg(), "image/svg+xml") for _ in range(12)]
        self.page = self._text(self._html(), "text/html")
        self.lists = {
            kind: [self._json(self._collection(kind, count)) for count in (2, 25, 250, 1500)]
            for kind in API_LISTS
        }
        self.schemas = self._json(self._schemas(900))
        self.small = [self._json(self._resource("management.cattle.io.setting")) for _ in range(8)]

    def _sizes(self, count: int, low: int, high: int) -> list[int]:
        return [int(min(high, max(low, self.rng.lognormvariate(10.6, 1.3)))) for _ in range(count)]

    def _slice(self, source: str, size: int) -> str:
        start = self.rng.randrange(len(source))
        out = (source[start:] + source) * (size // len(source) + 1)
        return f"/*! chunk {self.rng.getrandbits(32):08x} */\n" + out[:size]

    def _javascript(self, size: int) -> str:
        rng = self.rng
        names = ["e", "t", "n", "r", "o", "i", "a", "s", "l", "c", "u", "d"]
        words = ["cluster", "namespace", "workload", "provisioning", "fleet", "catalog", "node"]
        pieces = []
        total = 0
        while total < size:
            a, b, c = rng.sample(names, 3)
            word = rng.choice(words)
            piece = rng.choice(
                [
                    f'function({a},{b},{c}){{"use strict";var {a}={c}({rng.randrange(99999)});',
                    f'{a}.exports={{name:"{word.title()}",props:{{value:{{type:Object}}}}}};',
                    f'return {b}("div",{{staticClass:"{word}-list",attrs:{{id:"{word}"}}}})',
                    f"const {a}=/^([a-z0-9]+)\\.{word}\\/(\\d+)$/i.test({b});",
                    f"{a}.get(`/v1/{word}s?limit=${{{b}}}&continue=${{{c}}}`);",
                    f'throw new Error("Could not load \\"{word}\\": "+{b}.message)}}',
                    f'JSON.parse(\'{{"kind":"{word}","spec":{{"replicas":{rng.randrange(9)}}}}}\')',
                    f"if({a}&&{b}.length>{rng.randrange(64)}){{{c}.push({a}[{b}])}}else{{{c}=[]}}",
                    f'{a}.t("{word}.detail.title",{{name:{b}.nameDisplay}},"\\u2014")\n',
                ]
            )
            pieces.append(piece)
            total += len(piece)
        return "".join(pieces)

    def _css(self, size: int) -> str:
        rng = self.rng
        rules = []
        total = 0
        while total < size:
            name = f".{rng.choice(['btn', 'card', 'nav', 'tab', 'row'])}-{rng.randrange(999)}"
            rule = (
                f'{name}:not(.disabled)>a[href^="/c/"]{{color:#{rng.getrandbits(24):06x};'
                f'margin:{rng.randrange(20)}px;font-family:"Lato",sans-serif}}\n'
            )
            rules.append(rule)
            total += len(rule)
        return "".join(rules)

    def _svg(self) -> str:
        paths = "".join(
            f'<path d="M{self.rng.randrange(99)} {self.rng.randrange(99)}l5 5" fill="#{i:06x}"/>'
            for i in range(self.rng.randrange(10, 200))
        )
        return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">{paths}</svg>'

    def _html(self) -> str:
        scripts = "".join(
            f'<script src="/dashboard/_nuxt/{i:04x}.js" defer></script>' for i in range(40)
        )
        return (
            f'<!doctype html><html><head><meta charset="utf-8">{scripts}</head><body></body></html>'
        )

    def _resource(self, kind: str) -> dict[str, Any]:
        rng = self.rng
        name = f"{kind.split('.')[0]}-{rng.getrandbits(40):010x}"
        return {
            "id": f"fleet-default/{name}",
            "type": kind,
            "links": {
                "self": f"{ORIGIN}/v1/{kind}/fleet-default/{name}",
                "update": f"{ORIGIN}/v1/{kind}/fleet-default/{name}",
                "remove": f"{ORIGIN}/v1/{kind}/fleet-default/{name}",
            },
            "apiVersion": "v1",
            "kind": kind.split(".")[0].title(),
            "metadata": {
                "name": name,
                "namespace": "fleet-default",
                "uid": f"{rng.getrandbits(128):032x}",
                "resourceVersion": str(rng.randrange(10**7)),
                "creationTimestamp": "2026-11-26T10:00:00Z",
                "labels": {"app.kubernetes.io/managed-by": "rancher", "tier": "control-plane"},
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                        {"spec": {"replicas": rng.randrange(5), "image": "rancher/agent:v2.10"}}
                    ),
                    "field.cattle.io/description": rng.choice(
                        ["Created by the platform team", "Build agents", "Créé par l'équipe ✓"]
                    ),
                },
                "state": {"name": "active", "error": False, "transitioning": False},
            },
            "spec": {
                "replicas": rng.randrange(5),
                "template": {"containers": [{"name": "agent", "image": "rancher/agent:v2.10"}]},
            },
            "status": {"conditions": [{"type": "Ready", "status": "True", "message": ""}] * 3},
        }

    def _collection(self, kind: str, count: int) -> dict[str, Any]:
        return {
            "type": "collection",
            "links": {"self": f"{ORIGIN}/v1/{kind}"},
            "createTypes": {kind: f"{ORIGIN}/v1/{kind}"},
            "actions": {},
            "resourceType": kind,
            "revision": str(self.rng.randrange(10**7)),
            "count": count,
            "data": [self._resource(kind) for _ in range(count)],
        }

    def _schemas(self, count: int) -> dict[str, Any]:
        fields = {
            f"field{i}": {"type": "string", "nullable": True, "create": True} for i in range(30)
        }
        data = [
            {"id": f"schema.{i}", "type": "schema", "resourceFields": fields, "pluralName": f"s{i}"}
            for i in range(count)
        ]
        return {"type": "collection", "resourceType": "schema", "data": data}

    def _text(self, text: str, mime: str) -> Body:
        return Body(json.dumps(text, ensure_ascii=False), len(text.encode()), mime, False)

    def _json(self, value: Any) -> Body:
        return self._text(
            json.dumps(value, separators=(",", ":"), ensure_ascii=False), "application/json"
        )

    def _binary(self, size: int, mime: str) -> Body:
        encoded = base64.b64encode(self.rng.randbytes(size)).decode()
        return Body(json.dumps(encoded), size, mime, True)


class Session:
    """Writes entries in the order a user's clicks cause them."""

    def __init__(self, rng: random.Random, pools: Pools) -> None:
        self.rng = rng
        self.pools = pools
        self.clock = datetime(2026, 11, 27, 8, 0, 0, tzinfo=UTC)
        self.page = 0
        self.connection = 1000

    def _headers(
        self, method: str, path: str, extra: list[tuple[str, str]]
    ) -> list[dict[str, str]]:
        pairs = [
            (":authority", HOST),
            (":method", method),
            (":path", path),
            (":scheme", "https"),
            ("accept", "application/json"),
            ("accept-encoding", "gzip, deflate, br, zstd"),
            ("accept-language", "en-US,en;q=0.9"),
            ("cookie", COOKIE),
            ("priority", "u=1, i"),
            ("referer", f"{ORIGIN}/dashboard/c/local/explorer"),
            ("sec-ch-ua", SEC_CH_UA),
            ("sec-ch-ua-mobile", "?0"),
            ("sec-ch-ua-platform", '"Linux"'),
            ("sec-fetch-dest", "empty"),
            ("sec-fetch-mode", "cors"),
            ("sec-fetch-site", "same-origin"),
            ("user-agent", USER_AGENT),
            *extra,
        ]
        return [{"name": name, "value": value} for name, value in pairs]

    def _initiator(self, kind: str) -> dict[str, Any]:
        if kind in ("document",):
            return {"type": "other"}
        if kind in ("script", "stylesheet", "font", "image"):
            return {"type": "parser", "url": f"{ORIGIN}/dashboard/", "lineNumber": 12}
        frames = [
            {
                "functionName": self.rng.choice(["fetch", "request", "loadAll", ""]),
                "scriptId": str(self.rng.randrange(10, 400)),
                "url": f"{ORIGIN}/dashboard/_nuxt/{self.rng.getrandbits(32):08x}.js",
                "lineNumber": 1,
                "columnNumber": self.rng.randrange(200000),
            }
            for _ in range(self.rng.randrange(3, 9))
        ]
        stack: dict[str, Any] = {"callFrames": frames}
        if self.rng.random() < 0.5:
            stack["parent"] = {"description": "Promise.then", "callFrames": frames[:3]}
        return {"type": "script", "stack": stack}

    def entry(
        self,
        kind: str,
        method: str,
        path: str,
        body: Body | None,
        *,
        status: int = 200,
        post: str | None = None,
        messages: list[dict[str, Any]] | None = None,
    ) -> tuple[dict[str, Any], Body | None]:
        self.clock += timedelta(milliseconds=self.rng.randrange(1, 400))
        mime = body.mime if body is not None else "application/json"
        request: dict[str, Any] = {
            "method": method,
            "url": ORIGIN + path,
            "httpVersion": "http/2.0",
            "headers": self._headers(method, path, [("x-api-csrf", "5f0c2b1e9a")] if post else []),
            "queryString": [
                {"name": k, "value": v}
                for k, _, v in (p.partition("=") for p in path.partition("?")[2].split("&") if p)
            ],
            "cookies": [
                {
                    "name": "R_SESS",
                    "value": "token-8xk2p:qz7vbq9m5c4w2xh8jf6n",
                    "path": "/",
                    "domain": HOST,
                    "expires": "1969-12-31T23:59:59.000Z",
                    "httpOnly": True,
                    "secure": True,
                    "sameSite": "Strict",
                },
            ],
            "headersSize": -1,
            "bodySize": 0 if post is None else len(post.encode()),
        }
        if post is not None:
            request["postData"] = {"mimeType": "application/json", "text": post}
        content: dict[str, Any] = {"size": body.size if body else 0, "mimeType": mime}
        if body is not None:
            content["text"] = "\0BODY\0"
            if body.base64:
                content["encoding"] = "base64"
        entry: dict[str, Any] = {
            "_connectionId": str(self.connection),
            "_initiator": self._initiator(kind),
            "_priority": "High",
            "_resourceType": kind,
        }
        if messages is not None:
            entry["_webSocketMessages"] = messages
        entry |= {
            "cache": {},
            "connection": "443",
            "pageref": f"page_{self.page}",
            "request": request,
            "response": {
                "status": status,
                "statusText": "",
                "httpVersion": "http/2.0",
                "headers": [
                    {"name": name, "value": value}
                    for name, value in (
                        ("cache-control", "no-cache, no-store, must-revalidate"),
                        ("content-encoding", "gzip"),
                        ("content-type", mime),
                        ("date", "Fri, 27 Nov 2026 08:00:00 GMT"),
                        ("expires", "Wed 24 Feb 1982 18:42:00 GMT"),
                        ("strict-transport-security", "max-age=31536000"),
                        ("x-api-cattle-auth", "true"),
                        ("x-content-type-options", "nosniff"),
                    )
                ],
                "cookies": [],
                "content": content,
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": -1,
                "_transferSize": (body.size if body else 0) // 3 + 300,
                "_error": None,
                "_fetchedViaServiceWorker": False,
            },
            "serverIPAddress": "10.43.0.10",
            "startedDateTime": self.clock.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "time": round(self.rng.uniform(5, 900), 3),
            "timings": {
                "blocked": round(self.rng.uniform(0, 5), 3),
                "dns": -1,
                "ssl": -1,
                "connect": -1,
                "send": 0.121,
                "wait": round(self.rng.uniform(5, 800), 3),
                "receive": round(self.rng.uniform(0, 90), 3),
                "_blocked_queueing": 1.084,
                "_workerStart": -1,
                "_workerReady": -1,
                "_workerFetchStart": -1,
                "_workerRespondWithSettled": -1,
            },
        }
        return entry, body

    def api_list(self) -> tuple[dict[str, Any], Body | None]:
        kind = self.rng.choice(API_LISTS)
        body = self.rng.choices(self.pools.lists[kind], weights=(60, 30, 8, 2))[0]
        return self.entry("fetch", "GET", f"/v1/{kind}?exclude=metadata.managedFields", body)

    def change(self) -> tuple[dict[str, Any], Body | None]:
        kind = self.rng.choice(["provisioning.cattle.io.clusters", "apps.deployments", "secrets"])
        name = f"demo-{self.rng.getrandbits(24):06x}"
        spec = {
            "type": kind,
            "metadata": {"name": name, "namespace": "fleet-default", "labels": {"env": "dev"}},
            "spec": {"kubernetesVersion": "v1.30.4+rke2r1", "rkeConfig": {"machinePools": []}},
        }
        method, path = self.rng.choice(
            [("POST", f"/v1/{kind}"), ("PUT", f"/v1/{kind}/fleet-default/{name}")]
        )
        if self.rng.random() < 0.15:
            method, path, post = "DELETE", f"/v1/{kind}/fleet-default/{name}", None
        else:
            post = json.dumps(spec, separators=(",", ":"))
        body = self.pools.small[0] if method != "DELETE" else None
        return self.entry(
            "fetch", method, path, body, status=201 if method == "POST" else 200, post=post
        )

    def websocket(self) -> tuple[dict[str, Any], Body | None]:
        messages = []
        moment = self.clock.timestamp()
        for _ in range(self.rng.randrange(20, 400)):
            moment += self.rng.uniform(0.01, 2)
            if self.rng.random() < 0.1:
                data = json.dumps(
                    {"resourceType": self.rng.choice(API_LISTS), "mode": "resource.changes"}
                )
                messages.append({"type": "send", "time": moment, "opcode": 1, "data": data})
            else:
                change = {
                    "name": "resource.change",
                    "resourceType": "pod",
                    "data": self.pools._resource("pod"),
                }
                messages.append(
                    {"type": "receive", "time": moment, "opcode": 1, "data": json.dumps(change)}
                )
        return self.entry(
            "websocket", "GET", "/v1/subscribe?sockId=1", None, status=101, messages=messages
        )

    def static(self, kind: str) -> tuple[dict[str, Any], Body | None]:
        pools = self.pools
        choices = {
            "script": (pools.scripts, ".js"),
            "stylesheet": (pools.styles, ".css"),
            "font": (pools.fonts, ".woff2"),
            "image": (pools.images + pools.svgs, ".png"),
        }
        bodies, extension = choices[kind]
        index = self.rng.randrange(len(bodies))
        body = bodies[index]
        if body.mime == "image/svg+xml":
            extension = ".svg"
        return self.entry(kind, "GET", f"/dashboard/_nuxt/{kind}-{index:03d}{extension}", body)

    def page_load(self) -> Iterator[tuple[dict[str, Any], Body | None]]:
        self.page += 1
        self.connection += 1
        yield self.entry("document", "GET", "/dashboard/c/local/explorer", self.pools.page)
        for kind, count in (("script", 45), ("stylesheet", 2), ("font", 3), ("image", 12)):
            for _ in range(count):
                yield self.static(kind)
        schemas = {"/v1/schemas": self.pools.schemas, "/v3/schemas": self.pools.schemas}
        for path in BOOT_CALLS:
            yield self.entry(
                "fetch", "GET", path, schemas.get(path, self.rng.choice(self.pools.small))
            )
        yield self.websocket()

    def navigation(self) -> Iterator[tuple[dict[str, Any], Body | None]]:
        for _ in range(self.rng.randrange(2, 9)):
            yield self.static("script")
        for _ in range(self.rng.randrange(1, 6)):
            yield self.static("image")
        for _ in range(self.rng.randrange(2, 9)):
            yield self.api_list()
        for path in self.rng.sample(BOOT_CALLS[5:], 3):
            yield self.entry("xhr", "GET", path, self.rng.choice(self.pools.small))
        if self.rng.random() < 0.3:
            yield self.change()

    def entries(self) -> Iterator[tuple[dict[str, Any], Body | None]]:
        yield from self.page_load()
        while True:
            if self.rng.random() < 0.08:
                yield from self.page_load()
            else:
                yield from self.navigation()


def _render(entry: dict[str, Any], body: Body | None, minified: bool) -> str:
    if minified:
        text = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
    else:
        # Chrome's JSON.stringify(har, null, 2): entries sit six spaces deep.
        text = json.dumps(entry, indent=2, ensure_ascii=False).replace("\n", "\n      ")
        text = "      " + text
    if body is not None:
        text = text.replace('"\\u0000BODY\\u0000"', body.json_text, 1)
    return text


def write_har(path: Path, size: int, *, minified: bool = False, seed: int = 1) -> int:
    """Writes a HAR of about `size` bytes to `path`; returns the number of entries."""
    rng = random.Random(seed)
    session = Session(rng, Pools(rng))
    creator = {"name": "WebInspector", "version": "537.36"}
    page = {
        "startedDateTime": "2026-11-27T08:00:00.000Z",
        "id": "page_1",
        "title": f"{ORIGIN}/dashboard/",
        "pageTimings": {"onContentLoad": 812.4, "onLoad": 1604.9},
    }
    if minified:
        head = json.dumps(
            {"version": "1.2", "creator": creator, "pages": [page]}, separators=(",", ":")
        )
        opening, separator, closing = '{"log":' + head[:-1] + ',"entries":[', ",", "]}}"
    else:
        head = json.dumps({"version": "1.2", "creator": creator, "pages": [page]}, indent=2)
        inner = head[:-2].replace("\n", "\n  ")
        opening, separator, closing = (
            '{\n  "log": ' + inner + ',\n    "entries": [\n',
            ",\n",
            "\n    ]\n  }\n}\n",
        )
    count = 0
    written = 0
    with open(path, "w", encoding="utf-8") as stream:
        written += stream.write(opening)
        for entry, body in session.entries():
            if count:
                written += stream.write(separator)
            written += stream.write(_render(entry, body, minified))
            count += 1
            if written >= size:
                break
        stream.write(closing)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size_mb", type=float)
    parser.add_argument("out", type=Path)
    parser.add_argument("--minified", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    count = write_har(
        args.out, int(args.size_mb * (1 << 20)), minified=args.minified, seed=args.seed
    )
    print(f"{args.out}: {args.out.stat().st_size / (1 << 20):.0f} MB, {count} entries")


if __name__ == "__main__":
    main()
