"""A fake Rancher on loopback, for replaying generated provisioning scripts.

It serves only what the RKE1 (Norman `/v3`) and RKE2 (Steve `/v1`) DigitalOcean flows need,
but strictly: every id it hands out is fresh and random, and a reference to an id it did not
issue, a stale `resourceVersion`, a duplicate cluster name, bad auth or a missing CSRF token
from a browser user agent is refused the way Rancher refuses it and recorded in `errors`.
GETs the dashboard makes for its own sake (schemas, counts, settings, static assets) get a
plausible answer, so that a script replaying noise is caught by counting, not by a 404.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

JSONObj = dict[str, Any]

# Kubernetes' generateName alphabet (no vowels, no look-alikes); Rancher's ids use it too.
ID_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
TOKEN_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
VERSION = "v2.9.3"
FLEET_NAMESPACE = "fleet-default"
PUBLIC_PREFIXES = (
    "/v3-public/",
    "/rancherversion",
    "/v3/settings/",
    "/v1/management.cattle.io.settings",
)
API_PREFIXES = ("/v1", "/v3", "/meta/", "/k8s/")
# Methods that change nothing; everything else counts as a mutation.
SAFE_METHODS = frozenset({"GET", "HEAD"})


def random_text(length: int, alphabet: str = ID_ALPHABET) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Seen:
    """One request as the fake received it, and the status it answered."""

    method: str
    path: str  # the request target as sent: path and query
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None


class Refusal(Exception):
    """An error answer; the handler records each one in `FakeRancher.errors`."""

    def __init__(
        self, status: int, code: str, message: str, *, field_name: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field_name = field_name

    def body(self) -> JSONObj:
        if self.status == 401:
            # Rancher's auth filter answers before Norman, with a string status.
            return {"type": "error", "status": "401", "message": self.message}
        body: JSONObj = {
            "type": "error",
            "baseType": "error",
            "code": self.code,
            "message": self.message,
            "status": self.status,
        }
        if self.field_name:
            body["fieldName"] = self.field_name
        return body


@dataclass
class Reply:
    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json"


@dataclass
class Call:
    """A parsed request: what every route handler gets."""

    method: str
    target: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes
    base: str
    params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> JSONObj:
        try:
            data = json.loads(self.body or b"{}")
        except ValueError as error:
            raise Refusal(400, "InvalidBodyContent", f"invalid JSON body: {error}") from None
        if not isinstance(data, dict):
            raise Refusal(400, "InvalidBodyContent", "the body must be a JSON object")
        return data

    @property
    def is_browser(self) -> bool:
        return "mozilla" in self.headers.get("user-agent", "").lower()

    @property
    def actions_key(self) -> str:
        # Norman names them `actionLinks` when the header is present at all (the Ember UI
        # sends `X-Api-Action-Links: actionLinks`), `actions` otherwise.
        return "actionLinks" if self.headers.get("x-api-action-links") else "actions"


# --- Norman (/v3) resource types -------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    type_name: str
    required: bool


@dataclass(frozen=True)
class NormanType:
    name: str
    collection: str
    kind: str
    new_id: Callable[[JSONObj], str]
    references: dict[str, Reference] = field(default_factory=dict)
    extra_links: dict[str, str] = field(default_factory=dict)
    actions: tuple[str, ...] = ()
    unique_name: bool = False


NORMAN_TYPES = (
    NormanType(
        "cloudCredential",
        "cloudCredentials",
        "cloudcredential",
        lambda _: "cattle-global-data:cc-" + random_text(5),
    ),
    NormanType(
        "nodeTemplate",
        "nodeTemplates",
        "nodetemplate",
        lambda _: "cattle-global-nt:nt-" + random_text(5),
        references={"cloudCredentialId": Reference("cloudCredential", False)},
        extra_links={
            "nodePools": "/v3/nodePools?nodeTemplateId={id}",
            "nodes": "/v3/nodes?nodeTemplateId={id}",
        },
    ),
    NormanType(
        "cluster",
        "clusters",
        "cluster",
        lambda _: "c-" + random_text(5),
        references={"cloudCredentialId": Reference("cloudCredential", False)},
        extra_links={
            "nodePools": "/v3/clusters/{id}/nodepools",
            "nodes": "/v3/clusters/{id}/nodes",
            "clusterRegistrationTokens": "/v3/clusters/{id}/clusterregistrationtokens",
            "projects": "/v3/clusters/{id}/projects",
        },
        actions=("backupEtcd", "generateKubeconfig", "importYaml", "rotateCertificates"),
        unique_name=True,
    ),
    NormanType(
        "nodePool",
        "nodePools",
        "nodepool",
        lambda body: f"{body['clusterId']}:np-{random_text(5)}",
        references={
            "clusterId": Reference("cluster", True),
            "nodeTemplateId": Reference("nodeTemplate", True),
        },
        extra_links={"nodes": "/v3/nodes?nodePoolId={id}"},
    ),
    NormanType(
        "clusterRegistrationToken",
        "clusterRegistrationTokens",
        "clusterregistrationtoken",
        lambda body: f"{body['clusterId']}:crt-{random_text(5)}",
        references={"clusterId": Reference("cluster", True)},
    ),
)
NORMAN_BY_NAME = {kind.name: kind for kind in NORMAN_TYPES}
# Norman matches type names case-insensitively and takes the singular for the collection.
NORMAN_ALIASES = {
    alias.lower(): kind for kind in NORMAN_TYPES for alias in (kind.name, kind.collection)
}
# Fields Rancher never returns: the secret parts of a cloud credential.
SECRET_SUFFIX = "credentialConfig"


# --- Steve (/v1) object types ------------------------------------------------------------


@dataclass(frozen=True)
class SteveType:
    type: str
    collection: str
    api_version: str
    kind: str
    created_kind: str
    resource: str


STEVE_TYPES = (
    SteveType(
        "rke-machine-config.cattle.io.digitaloceanconfig",
        "rke-machine-config.cattle.io.digitaloceanconfigs",
        "rke-machine-config.cattle.io/v1",
        "DigitaloceanConfig",
        "machineconfig",
        "digitaloceanconfigs",
    ),
    SteveType(
        "provisioning.cattle.io.cluster",
        "provisioning.cattle.io.clusters",
        "provisioning.cattle.io/v1",
        "Cluster",
        "provisioningcluster",
        "clusters",
    ),
)
STEVE_BY_COLLECTION = {kind.collection: kind for kind in STEVE_TYPES}
MACHINE_CONFIG_KINDS = {
    kind.kind: kind for kind in STEVE_TYPES if kind.created_kind == "machineconfig"
}
PROVISIONING = STEVE_TYPES[1]
STEVE_ENVELOPE = ("id", "type", "links", "actions", "actionLinks")
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


# --- canned answers for the dashboard's own GETs ---------------------------------------

STATIC_TYPES = {
    ".js": "application/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
PAGE = (
    b"<!DOCTYPE html><html><head><title>Rancher</title></head>"
    b'<body><div id="app"></div></body></html>'
)
DIGITALOCEAN_API = {
    "v2/regions": {
        "regions": [
            {"name": "New York 3", "slug": "nyc3", "available": True, "sizes": ["s-2vcpu-4gb"]},
            {"name": "Frankfurt 1", "slug": "fra1", "available": True, "sizes": ["s-2vcpu-4gb"]},
        ],
        "links": {},
        "meta": {"total": 2},
    },
    "v2/sizes": {
        "sizes": [{"slug": "s-2vcpu-4gb", "memory": 4096, "vcpus": 2, "disk": 80}],
        "links": {},
        "meta": {"total": 1},
    },
    "v2/images": {
        "images": [{"slug": "ubuntu-22-04-x64", "distribution": "Ubuntu", "public": True}],
        "links": {},
        "meta": {"total": 1},
    },
}
V1_SETTINGS = {"first-login": "false", "ui-pl": "rancher", "server-version": VERSION}
V3_SCHEMA_FIELDS: dict[str, dict[str, JSONObj]] = {
    "cloudCredential": {
        "name": {"type": "string"},
        "digitaloceancredentialConfig": {"type": "digitaloceancredentialConfig"},
    },
    "nodeTemplate": {
        "name": {"type": "string"},
        "cloudCredentialId": {"type": "reference[cloudCredential]"},
        "driver": {"type": "string"},
    },
    "cluster": {
        "name": {"type": "string", "required": True},
        "cloudCredentialId": {"type": "reference[cloudCredential]"},
        "rancherKubernetesEngineConfig": {"type": "rancherKubernetesEngineConfig"},
    },
    "nodePool": {
        "clusterId": {"type": "reference[cluster]", "required": True},
        "nodeTemplateId": {"type": "reference[nodeTemplate]", "required": True},
        "quantity": {"type": "int", "default": 1},
        "hostnamePrefix": {"type": "dnsLabel", "required": True},
    },
    "clusterRegistrationToken": {
        "clusterId": {"type": "reference[cluster]", "required": True},
        "token": {"type": "string"},
        "command": {"type": "string"},
    },
}
V1_SCHEMA_FIELDS: dict[str, dict[str, JSONObj]] = {
    "management.cattle.io.cluster": {},
    "provisioning.cattle.io.cluster": {
        "spec": {"type": "provisioning.cattle.io.v1.cluster.spec"},
        "status": {"type": "provisioning.cattle.io.v1.cluster.status"},
    },
    "provisioning.cattle.io.v1.cluster.spec": {
        "cloudCredentialSecretName": {"type": "string"},
        "kubernetesVersion": {"type": "string"},
        "rkeConfig": {"type": "provisioning.cattle.io.v1.cluster.spec.rkeConfig"},
    },
    "provisioning.cattle.io.v1.cluster.status": {"clusterName": {"type": "string"}},
    "rke-machine-config.cattle.io.digitaloceanconfig": {
        "region": {"type": "string"},
        "size": {"type": "string"},
    },
}


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: str


def _routes(table: list[tuple[str, str, str]]) -> list[Route]:
    return [Route(m, re.compile(p, re.IGNORECASE), h) for m, p, h in table]


ROUTES = _routes(
    [
        ("POST", r"/v3-public/localProviders/local", "login"),
        ("GET", r"/v3-public/authProviders", "auth_providers"),
        ("GET", r"/rancherversion", "rancher_version"),
        ("GET", r"/v3/users(?:/(?P<id>[^/]+))?", "users"),
        ("GET", r"/v3/principals", "principals"),
        ("GET", r"/v3/schemas", "v3_schemas"),
        ("GET", r"/v1/schemas", "v1_schemas"),
        ("GET", r"/v3/settings/(?P<name>[^/]+)", "v3_setting"),
        ("GET", r"/v1/counts", "counts"),
        ("GET", r"/v1/userpreferences", "preferences"),
        ("PUT", r"/v1/userpreferences/(?P<id>[^/]+)", "save_preference"),
        ("GET", r"/v1/management\.cattle\.io\.settings", "v1_settings"),
        ("GET", r"/v1/management\.cattle\.io\.clusters", "v1_management_clusters"),
        ("GET", r"/v1/management\.cattle\.io\.clusters/(?P<id>[^/]+)", "v1_management_cluster"),
        ("*", r"/meta/proxy/(?P<rest>.*)", "meta_proxy"),
        ("GET", r"/v3/clusterRegistrationTokens?", "registration_tokens"),
        ("POST", r"/v3/(?P<type>[a-z]+)", "norman_create"),
        ("GET", r"/v3/(?P<type>[a-z]+)", "norman_list"),
        ("GET", r"/v3/(?P<type>[a-z]+)/(?P<id>[^/]+)", "norman_get"),
        ("POST", r"/v3/(?P<type>[a-z]+)/(?P<id>[^/]+)", "norman_action"),
        ("POST", r"/v1/(?P<type>[a-z0-9.-]+)(?:/(?P<ns>[^/]+))?", "steve_create"),
        ("GET", r"/v1/(?P<type>[a-z0-9.-]+)(?:/(?P<ns>[^/]+))?", "steve_list"),
        ("GET", r"/v1/(?P<type>[a-z0-9.-]+)/(?P<ns>[^/]+)/(?P<name>[^/]+)", "steve_get"),
        ("PUT", r"/v1/(?P<type>[a-z0-9.-]+)/(?P<ns>[^/]+)/(?P<name>[^/]+)", "steve_update"),
    ]
)


def collection(base: str, path: str, resource_type: str, data: list[JSONObj]) -> JSONObj:
    return {
        "type": "collection",
        "links": {"self": base + path},
        "actions": {},
        "resourceType": resource_type,
        "data": data,
        "pagination": {"limit": 1000, "total": len(data)},
    }


class FakeRancher:
    """A loopback Rancher that hands out fresh ids and refuses references it did not issue."""

    def __init__(
        self,
        token: str | None = None,
        *,
        password: str | None = None,
        cluster_ready_after: int = 2,
        secret_prefix: str = "",
    ) -> None:
        self.secret_prefix = secret_prefix
        self.token = token or self._new_token()
        self.password = password or secrets.token_urlsafe(18)
        self.cluster_ready_after = cluster_ready_after
        self.requests: list[Seen] = []
        self.errors: list[str] = []
        self.user_id = "user-" + random_text(5)
        self._tokens = {self.token}
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._created: dict[str, list[str]] = {}
        self._issued: dict[str, str] = {}
        self._norman: dict[str, dict[str, JSONObj]] = {kind.name: {} for kind in NORMAN_TYPES}
        self._steve: dict[str, dict[str, JSONObj]] = {kind.collection: {} for kind in STEVE_TYPES}
        self._kubeconfigs: list[JSONObj] = []
        self._gets: dict[str, int] = {}
        self._revision = 4_187_000 + secrets.randbelow(1_000_000)
        self._norman["cluster"]["local"] = {
            "id": "local",
            "name": "local",
            "internal": True,
            "state": "active",
        }

    # --- lifecycle ----------------------------------------------------------------------

    @property
    def origin(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeRancher is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeRancher:
        fake = self

        class Handler(_Handler):
            rancher = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeRancher:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # --- what tests look at ---------------------------------------------------------------

    def created(self, kind: str) -> list[dict]:
        """Objects clients created, oldest first, in their current stored state.

        Kinds: cloudcredential, nodetemplate, cluster, nodepool, clusterregistrationtoken,
        machineconfig, provisioningcluster, kubeconfig. Objects Rancher makes by itself
        (the `local` cluster, a v2 cluster's management cluster, default registration
        tokens) are not listed.
        """
        with self._lock:
            return [copy.deepcopy(self._lookup(key)) for key in self._created.get(kind, [])]

    def mutations(self) -> list[tuple[str, str]]:
        """(method, path) of every non-GET request, with issued ids replaced by `{kind}`."""
        with self._lock:
            return [
                (seen.method, self.shape(seen.path))
                for seen in self.requests
                if seen.method not in SAFE_METHODS
            ]

    def shape(self, target: str) -> str:
        """A request target with every id this fake issued replaced by `{kind}`."""
        text = unquote(target)
        for issued in sorted(self._issued, key=len, reverse=True):
            text = text.replace(issued, "{" + self._issued[issued] + "}")
        return text

    # --- bookkeeping --------------------------------------------------------------------------

    def _new_token(self) -> str:
        return f"token-{random_text(5)}:{self._new_secret(54)}"

    def _new_secret(self, length: int) -> str:
        return self.secret_prefix + random_text(length - len(self.secret_prefix), TOKEN_ALPHABET)

    def _bump(self) -> str:
        self._revision += 1
        return str(self._revision)

    def _issue(self, kind: str, key: str, identifier: str | None) -> None:
        """Note a client-created object, and the id the server chose for it, if any."""
        if identifier is not None:
            self._issued[identifier] = kind
        self._created.setdefault(kind, []).append(key)

    def _lookup(self, key: str) -> JSONObj:
        store, _, name = key.partition("|")
        if store == "kubeconfig":
            return self._kubeconfigs[int(name)]
        if store in self._norman:
            return self._norman[store][name]
        return self._steve[store][name]

    def _record(self, seen: Seen, refusal: Refusal | None) -> None:
        with self._lock:
            self.requests.append(seen)
            if refusal is not None:
                self.errors.append(
                    f"{seen.status} {seen.method} {seen.path}: {refusal.code}: {refusal.message}"
                )

    # --- request entry point -----------------------------------------------------------------

    def answer(self, call: Call) -> Reply:
        with self._lock:
            if call.method == "OPTIONS":
                return Reply(204, b"", content_type="text/plain")
            is_api = call.path.startswith(API_PREFIXES)
            if is_api and not call.path.startswith(PUBLIC_PREFIXES):
                self._authenticate(call)
            reply_headers = self._check_csrf(call)
            route, params = self._route(call)
            if route is None:
                reply = self._fallback(call, is_api)
            else:
                call.params = params
                reply = getattr(self, "_" + route.handler)(call)
            reply.headers.extend(reply_headers)
            return reply

    def _authenticate(self, call: Call) -> None:
        authorization = call.headers.get("authorization", "")
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() == "bearer":
            offered = credential.strip()
        elif scheme.lower() == "basic":
            try:
                offered = base64.b64decode(credential.strip(), validate=True).decode()
            except ValueError:
                offered = ""
        else:
            offered = call.cookies.get("R_SESS", "")
        if offered not in self._tokens:
            raise Refusal(401, "Unauthorized", "must authenticate")

    def _check_csrf(self, call: Call) -> list[tuple[str, str]]:
        if not (call.path.startswith("/v3") and call.is_browser):
            return []
        cookie = call.cookies.get("CSRF")
        if call.method in SAFE_METHODS:
            # Norman hands a browser without one a CSRF cookie on its first read.
            return (
                [] if cookie else [("Set-Cookie", f"CSRF={secrets.token_hex(16)}; Path=/; Secure")]
            )
        if not cookie or call.headers.get("x-api-csrf") != cookie:
            raise Refusal(403, "InvalidCSRFToken", "invalid CSRF token")
        return []

    def _route(self, call: Call) -> tuple[Route | None, dict[str, str]]:
        path = call.path.rstrip("/") or "/"
        for route in ROUTES:
            if route.method not in ("*", call.method):
                continue
            match = route.pattern.fullmatch(path)
            if match:
                found = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
                return route, found
        return None, {}

    def _fallback(self, call: Call, is_api: bool) -> Reply:
        if call.method not in SAFE_METHODS:
            raise Refusal(404, "NotFound", f"no such resource: {call.method} {call.path}")
        if is_api:
            kind = call.path.rstrip("/").rsplit("/", 1)[-1]
            return Reply(200, collection(call.base, call.path, kind, []))
        suffix = "." + call.path.rsplit(".", 1)[-1] if "." in call.path else ""
        content_type = STATIC_TYPES.get(suffix)
        if content_type is None:
            return Reply(200, PAGE, content_type="text/html; charset=utf-8")
        return Reply(200, b"/* static */", content_type=content_type)

    # --- public and account routes ---------------------------------------------------------------

    def _login(self, call: Call) -> Reply:
        if call.arg("action") != "login":
            raise Refusal(404, "InvalidAction", "only the login action exists here")
        body = call.json()
        if body.get("username") != "admin" or body.get("password") != self.password:
            raise Refusal(401, "Unauthorized", "authentication failed")
        token = self._new_token()
        self._tokens.add(token)
        if body.get("responseType") == "cookie":
            cookie = f"R_SESS={token}; Path=/; HttpOnly; Secure; SameSite=Lax"
            return Reply(200, b"", headers=[("Set-Cookie", cookie)])
        name = token.partition(":")[0]
        return Reply(
            201,
            {
                "type": "token",
                "baseType": "token",
                "id": name,
                "name": name,
                "token": token,
                "userId": self.user_id,
                "authProvider": "local",
                "description": body.get("description", ""),
                "links": {"self": f"{call.base}/v3/tokens/{name}"},
            },
        )

    def _auth_providers(self, call: Call) -> Reply:
        provider = {
            "id": "local",
            "type": "localProvider",
            "baseType": "authProvider",
            "links": {"self": f"{call.base}/v3-public/localProviders/local"},
            "actions": {"login": f"{call.base}/v3-public/localProviders/local?action=login"},
        }
        return Reply(200, collection(call.base, call.path, "authProvider", [provider]))

    def _rancher_version(self, _: Call) -> Reply:
        return Reply(200, {"Version": VERSION, "GitCommit": "f4e3a1b", "RancherPrime": "false"})

    def _user(self, base: str) -> JSONObj:
        return {
            "id": self.user_id,
            "type": "user",
            "baseType": "user",
            "name": "Default Admin",
            "username": "admin",
            "principalIds": [f"local://{self.user_id}"],
            "mustChangePassword": False,
            "state": "active",
            "links": {"self": f"{base}/v3/users/{self.user_id}"},
            "actions": {"setpassword": f"{base}/v3/users/{self.user_id}?action=setpassword"},
        }

    def _users(self, call: Call) -> Reply:
        user = self._user(call.base)
        if "id" in call.params:
            if call.params["id"] != self.user_id:
                raise Refusal(404, "NotFound", f"users \"{call.params['id']}\" not found")
            return Reply(200, user)
        return Reply(200, collection(call.base, call.path, "user", [user]))

    def _principals(self, call: Call) -> Reply:
        principal = {
            "id": f"local://{self.user_id}",
            "type": "principal",
            "baseType": "principal",
            "loginName": "admin",
            "me": True,
            "name": "Default Admin",
            "principalType": "user",
            "provider": "local",
            "links": {"self": f"{call.base}/v3/principals/{quote('local://' + self.user_id, '')}"},
        }
        return Reply(200, collection(call.base, call.path, "principal", [principal]))

    def _v3_schemas(self, call: Call) -> Reply:
        schemas = []
        for name, fields in V3_SCHEMA_FIELDS.items():
            kind = NORMAN_BY_NAME[name]
            schemas.append(
                {
                    "id": name,
                    "type": "schema",
                    "pluralName": kind.collection,
                    "links": {
                        "self": f"{call.base}/v3/schemas/{name}",
                        "collection": f"{call.base}/v3/{kind.collection}",
                    },
                    "collectionMethods": ["GET", "POST"],
                    "resourceMethods": ["GET", "PUT", "DELETE"],
                    "resourceActions": {action: {} for action in kind.actions},
                    "resourceFields": fields,
                }
            )
        return Reply(200, collection(call.base, "/v3/schemas", "schema", schemas))

    def _v1_schemas(self, call: Call) -> Reply:
        schemas = [
            {
                "id": name,
                "type": "schema",
                "links": {
                    "self": f"{call.base}/v1/schemas/{name}",
                    "collection": f"{call.base}/v1/{name}s",
                },
                "pluralName": name + "s",
                "collectionMethods": ["GET", "POST"],
                "resourceMethods": ["GET", "DELETE", "PUT", "PATCH"],
                "resourceFields": fields or None,
            }
            for name, fields in V1_SCHEMA_FIELDS.items()
        ]
        return Reply(200, collection(call.base, "/v1/schemas", "schema", schemas))

    def _v3_setting(self, call: Call) -> Reply:
        name = call.params["name"]
        value = call.base if name == "server-url" else V1_SETTINGS.get(name, "")
        return Reply(
            200,
            {
                "id": name,
                "type": "setting",
                "name": name,
                "value": value,
                "links": {"self": f"{call.base}/v3/settings/{name}"},
            },
        )

    def _v1_settings(self, call: Call) -> Reply:
        settings = [
            {
                "id": name,
                "type": "management.cattle.io.setting",
                "value": value,
                "links": {"self": f"{call.base}/v1/management.cattle.io.settings/{name}"},
                "apiVersion": "management.cattle.io/v3",
                "kind": "Setting",
                "metadata": {"name": name, "resourceVersion": "5121"},
            }
            for name, value in V1_SETTINGS.items()
        ]
        return Reply(
            200, collection(call.base, call.path, "management.cattle.io.setting", settings)
        )

    def _counts(self, call: Call) -> Reply:
        counts = {
            "management.cattle.io.cluster": {"summary": {"count": len(self._norman["cluster"])}},
            **{
                kind.type: {"summary": {"count": len(self._steve[kind.collection])}}
                for kind in STEVE_TYPES
            },
        }
        data = [{"id": "count", "type": "count", "counts": counts}]
        return Reply(200, collection(call.base, call.path, "count", data))

    def _preference(self, base: str, data: JSONObj) -> JSONObj:
        return {
            "id": self.user_id,
            "type": "userpreference",
            "links": {
                "self": f"{base}/v1/userpreferences/{self.user_id}",
                "update": f"{base}/v1/userpreferences/{self.user_id}",
            },
            "data": data,
        }

    def _preferences(self, call: Call) -> Reply:
        data = [self._preference(call.base, {"theme": "ui-auto", "locale": "en-us"})]
        return Reply(200, collection(call.base, call.path, "userpreference", data))

    def _save_preference(self, call: Call) -> Reply:
        # UI noise: accepted for any user id so that a script replaying it is not what fails.
        data = call.json().get("data")
        return Reply(200, self._preference(call.base, data if isinstance(data, dict) else {}))

    def _meta_proxy(self, call: Call) -> Reply:
        rest = call.params["rest"]
        host, _, path = rest.partition("/")
        if host == "api.digitalocean.com" and path in DIGITALOCEAN_API:
            return Reply(200, DIGITALOCEAN_API[path])
        return Reply(200, {})

    # --- Norman (/v3) -------------------------------------------------------------------------

    def _norman_type(self, call: Call) -> NormanType:
        kind = NORMAN_ALIASES.get(call.params["type"].lower())
        if kind is None:
            raise Refusal(404, "NotFound", f"no such type: {call.params['type']}")
        return kind

    def _render_norman(self, call: Call, kind: NormanType, stored: JSONObj) -> JSONObj:
        identifier = stored["id"]
        self_link = f"{call.base}/v3/{kind.collection}/{identifier}"
        rendered = copy.deepcopy(stored)
        for key, value in stored.items():
            if key.endswith(SECRET_SUFFIX) and isinstance(value, dict):
                rendered[key] = {}
        rendered.update(
            type=kind.name,
            baseType=kind.name,
            links={
                "self": self_link,
                "update": self_link,
                "remove": self_link,
                **{
                    name: call.base + template.format(id=identifier)
                    for name, template in kind.extra_links.items()
                },
            },
        )
        rendered[call.actions_key] = {
            action: f"{self_link}?action={action}" for action in kind.actions
        }
        return rendered

    def _norman_create(self, call: Call) -> Reply:
        kind = self._norman_type(call)
        body = call.json()
        for field_name, reference in kind.references.items():
            value = body.get(field_name)
            if value in (None, ""):
                if reference.required:
                    raise Refusal(
                        422, "MissingRequired", f"{field_name} is required", field_name=field_name
                    )
                continue
            if value not in self._norman[reference.type_name]:
                raise Refusal(
                    422,
                    "InvalidReference",
                    f"{field_name} {value!r} is not a {reference.type_name} this server knows",
                    field_name=field_name,
                )
        if kind.unique_name:
            self._check_cluster_name(body.get("name"))
        identifier = kind.new_id(body)
        while identifier in self._issued:
            identifier = kind.new_id(body)
        stored = {
            **{key: value for key, value in body.items() if key not in ("type", "_type")},
            "id": identifier,
            "created": now_iso(),
            "creatorId": self.user_id,
            "uuid": str(uuid.uuid4()),
            "state": "provisioning" if kind.name == "cluster" else "active",
        }
        if kind.name == "clusterRegistrationToken":
            stored.update(self._registration_secrets(call.base, body["clusterId"]))
        self._norman[kind.name][identifier] = stored
        self._issue(kind.kind, f"{kind.name}|{identifier}", identifier)
        if kind.name == "cluster":
            self._add_default_token(call.base, identifier)
        return Reply(201, self._render_norman(call, kind, stored))

    def _check_cluster_name(self, name: object) -> None:
        if not isinstance(name, str) or not name:
            raise Refusal(422, "MissingRequired", "name is required", field_name="name")
        if any(cluster.get("name") == name for cluster in self._norman["cluster"].values()):
            raise Refusal(
                409, "AlreadyExists", f'cluster "{name}" already exists', field_name="name"
            )

    def _registration_secrets(self, base: str, cluster_id: str) -> JSONObj:
        token = self._new_secret(54)
        manifest = f"{base}/v3/import/{token}_{cluster_id}.yaml"
        node = (
            f"curl -fL {base}/system-agent-install.sh | sudo sh -s - --server {base} "
            f"--label 'cattle.io/os=linux' --token {token} --etcd --controlplane --worker"
            if cluster_id.startswith("c-m-")
            else "sudo docker run -d --privileged --restart=unless-stopped --net=host "
            "-v /etc/kubernetes:/etc/kubernetes -v /var/run:/var/run "
            f"rancher/rancher-agent:{VERSION} --server {base} --token {token}"
        )
        return {
            "token": token,
            "manifestUrl": manifest,
            "command": f"kubectl apply -f {manifest}",
            "insecureCommand": f"curl --insecure -sfL {manifest} | kubectl apply -f -",
            "nodeCommand": node,
            "insecureNodeCommand": node,
        }

    def _add_default_token(self, base: str, cluster_id: str) -> None:
        identifier = f"{cluster_id}:default-token"
        self._norman["clusterRegistrationToken"][identifier] = {
            "id": identifier,
            "name": "default-token",
            "clusterId": cluster_id,
            "created": now_iso(),
            "state": "active",
            **self._registration_secrets(base, cluster_id),
        }

    def _norman_list(self, call: Call) -> Reply:
        kind = self._norman_type(call)
        filters = {
            name: values[0]
            for name, values in call.query.items()
            if name not in ("limit", "marker", "sort", "order", "exclude")
        }
        data = [
            self._render_norman(call, kind, stored)
            for stored in self._norman[kind.name].values()
            if all(str(stored.get(name)) == value for name, value in filters.items())
        ]
        return Reply(200, collection(call.base, call.path, kind.name, data))

    def _existing(self, kind: NormanType, identifier: str) -> JSONObj:
        stored = self._norman[kind.name].get(identifier)
        if stored is None:
            raise Refusal(404, "NotFound", f'{kind.collection.lower()} "{identifier}" not found')
        return stored

    def _norman_get(self, call: Call) -> Reply:
        kind = self._norman_type(call)
        stored = self._existing(kind, call.params["id"])
        return Reply(200, self._render_norman(call, kind, stored))

    def _norman_action(self, call: Call) -> Reply:
        kind = self._norman_type(call)
        stored = self._existing(kind, call.params["id"])
        action = call.arg("action")
        if kind.name != "cluster" or action != "generateKubeconfig":
            raise Refusal(404, "InvalidAction", f"invalid action: {action}")
        token = f"kubeconfig-{self.user_id}{random_text(5)}:{self._new_secret(52)}"
        self._kubeconfigs.append({"clusterId": stored["id"], "token": token})
        self._created.setdefault("kubeconfig", []).append(
            f"kubeconfig|{len(self._kubeconfigs) - 1}"
        )
        name = stored["name"]
        config = (
            "apiVersion: v1\nkind: Config\nclusters:\n"
            f'- name: "{name}"\n  cluster:\n'
            f'    server: "{call.base}/k8s/clusters/{stored["id"]}"\n\n'
            f'users:\n- name: "{name}"\n  user:\n    token: "{token}"\n\n\n'
            f'contexts:\n- name: "{name}"\n  context:\n'
            f'    user: "{name}"\n    cluster: "{name}"\n\n'
            f'current-context: "{name}"\n'
        )
        return Reply(
            200,
            {
                "type": "generateKubeConfigOutput",
                "baseType": "generateKubeConfigOutput",
                "config": config,
            },
        )

    def _registration_tokens(self, call: Call) -> Reply:
        cluster_id = call.arg("clusterId")
        if cluster_id is not None:
            self._existing(NORMAN_BY_NAME["cluster"], cluster_id)
        kind = NORMAN_BY_NAME["clusterRegistrationToken"]
        data = [
            self._render_norman(call, kind, stored)
            for stored in self._norman[kind.name].values()
            if cluster_id is None or stored["clusterId"] == cluster_id
        ]
        return Reply(200, collection(call.base, call.path, kind.name, data))

    # --- management clusters through Steve ------------------------------------------------------

    def _render_management(self, base: str, stored: JSONObj) -> JSONObj:
        identifier = stored["id"]
        return {
            "id": identifier,
            "type": "management.cattle.io.cluster",
            "links": {"self": f"{base}/v1/management.cattle.io.clusters/{identifier}"},
            "actions": {
                "generateKubeconfig": f"{base}/v3/clusters/{identifier}?action=generateKubeconfig"
            },
            "apiVersion": "management.cattle.io/v3",
            "kind": "Cluster",
            "metadata": {"name": identifier, "resourceVersion": str(self._revision)},
            "spec": {"displayName": stored["name"], "internal": stored.get("internal", False)},
            "status": {"provider": "rke2" if identifier.startswith("c-m-") else "rke"},
        }

    def _v1_management_clusters(self, call: Call) -> Reply:
        data = [self._render_management(call.base, c) for c in self._norman["cluster"].values()]
        return Reply(200, collection(call.base, call.path, "management.cattle.io.cluster", data))

    def _v1_management_cluster(self, call: Call) -> Reply:
        stored = self._existing(NORMAN_BY_NAME["cluster"], call.params["id"])
        return Reply(200, self._render_management(call.base, stored))

    # --- Steve (/v1) ----------------------------------------------------------------------------

    def _steve_type(self, call: Call, *, strict: bool) -> SteveType | None:
        kind = STEVE_BY_COLLECTION.get(call.params["type"].lower())
        if kind is None and strict:
            raise Refusal(404, "NotFound", f"no such type: {call.params['type']}")
        return kind

    def _render_steve(self, base: str, kind: SteveType, stored: JSONObj) -> JSONObj:
        metadata = stored["metadata"]
        key = f"{metadata['namespace']}/{metadata['name']}"
        self_link = f"{base}/v1/{kind.collection}/{key}"
        group, version = kind.api_version.split("/")
        management = (stored.get("status") or {}).get("clusterName")
        return {
            "id": key,
            "type": kind.type,
            "links": {
                "self": self_link,
                "update": self_link,
                "remove": self_link,
                "view": f"{base}/apis/{group}/{version}/namespaces/{metadata['namespace']}/"
                f"{kind.resource}/{metadata['name']}",
            },
            # Once its management cluster exists, a v2 cluster offers that cluster's Norman
            # action, so a client can follow it instead of building the URL.
            "actions": (
                {"generateKubeconfig": f"{base}/v3/clusters/{management}?action=generateKubeconfig"}
                if management
                else {}
            ),
            **copy.deepcopy(stored),
        }

    def _steve_create(self, call: Call) -> Reply:
        kind = self._steve_type(call, strict=True)
        assert kind is not None
        body = call.json()
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        namespace = call.params.get("ns") or metadata.get("namespace") or "default"
        if metadata.get("namespace", namespace) != namespace:
            raise Refusal(400, "BadRequest", "metadata.namespace does not match the URL")
        name = metadata.get("name") or ""
        generated = not name
        if generated:
            prefix = metadata.get("generateName") or ""
            if not prefix:
                raise Refusal(422, "Invalid", "metadata.name or metadata.generateName is required")
            name = prefix + random_text(5)
            while f"{namespace}/{name}" in self._steve[kind.collection]:
                name = prefix + random_text(5)
        if not DNS_LABEL.fullmatch(name):
            raise Refusal(422, "Invalid", f"metadata.name {name!r} is not a valid DNS label")
        key = f"{namespace}/{name}"
        if key in self._steve[kind.collection]:
            raise Refusal(
                409,
                "AlreadyExists",
                f'{kind.resource}.{kind.api_version.split("/")[0]} "{name}" already exists',
            )
        if kind is PROVISIONING:
            self._check_provisioning(body, namespace)
        stored = {key_: value for key_, value in body.items() if key_ not in STEVE_ENVELOPE}
        stored.update(apiVersion=kind.api_version, kind=kind.kind)
        stored["metadata"] = {
            **{k: v for k, v in metadata.items() if k != "generateName"},
            "name": name,
            "namespace": namespace,
            "uid": str(uuid.uuid4()),
            "creationTimestamp": now_iso(),
            "generation": 1,
            "resourceVersion": self._bump(),
        }
        if kind is PROVISIONING:
            stored["status"] = {"observedGeneration": 1, "ready": False}
        self._steve[kind.collection][key] = stored
        self._issue(kind.created_kind, f"{kind.collection}|{key}", name if generated else None)
        return Reply(201, self._render_steve(call.base, kind, stored))

    def _check_provisioning(self, body: JSONObj, namespace: str) -> None:
        spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
        credential = spec.get("cloudCredentialSecretName")
        known = self._norman["cloudCredential"]
        if credential and (
            not isinstance(credential, str) or credential.replace("/", ":") not in known
        ):
            raise Refusal(
                422,
                "Invalid",
                f"spec.cloudCredentialSecretName: cloud credential {credential!r} not found",
            )
        rke = spec.get("rkeConfig") if isinstance(spec.get("rkeConfig"), dict) else {}
        for index, pool in enumerate(rke.get("machinePools") or []):
            ref = pool.get("machineConfigRef") or {}
            machine_kind = MACHINE_CONFIG_KINDS.get(ref.get("kind", ""))
            key = f"{namespace}/{ref.get('name', '')}"
            if machine_kind is None or key not in self._steve[machine_kind.collection]:
                raise Refusal(
                    422,
                    "Invalid",
                    f"spec.rkeConfig.machinePools[{index}].machineConfigRef: "
                    f"{ref.get('kind')} {key!r} not found",
                )

    def _steve_list(self, call: Call) -> Reply:
        kind = self._steve_type(call, strict=False)
        if kind is None:
            return Reply(200, collection(call.base, call.path, call.params["type"], []))
        namespace = call.params.get("ns")
        data = [
            self._render_steve(call.base, kind, stored)
            for stored in self._steve[kind.collection].values()
            if namespace is None or stored["metadata"]["namespace"] == namespace
        ]
        listed = collection(call.base, call.path, kind.type, data)
        listed.update(revision=str(self._revision), count=len(data))
        del listed["pagination"]
        return Reply(200, listed)

    def _steve_object(self, call: Call) -> tuple[SteveType, str, JSONObj]:
        kind = self._steve_type(call, strict=True)
        assert kind is not None
        key = f"{call.params['ns']}/{call.params['name']}"
        stored = self._steve[kind.collection].get(key)
        if stored is None:
            raise Refusal(404, "NotFound", f'{kind.resource} "{call.params["name"]}" not found')
        return kind, key, stored

    def _steve_get(self, call: Call) -> Reply:
        kind, key, stored = self._steve_object(call)
        if kind is PROVISIONING:
            self._gets[key] = self._gets.get(key, 0) + 1
            if self._gets[key] > self.cluster_ready_after and "clusterName" not in stored["status"]:
                self._make_ready(call.base, stored)
        return Reply(200, self._render_steve(call.base, kind, stored))

    def _make_ready(self, base: str, stored: JSONObj) -> None:
        cluster_id = "c-m-" + random_text(8)
        self._norman["cluster"][cluster_id] = {
            "id": cluster_id,
            "name": stored["metadata"]["name"],
            "created": now_iso(),
            "creatorId": self.user_id,
            "fleetWorkspaceName": stored["metadata"]["namespace"],
            "state": "provisioning",
        }
        self._issued[cluster_id] = "cluster"
        self._add_default_token(base, cluster_id)
        stored["status"].update(
            clusterName=cluster_id,
            fleetWorkspaceName=stored["metadata"]["namespace"],
            clientSecretName=f"{stored['metadata']['name']}-kubeconfig",
        )
        stored["metadata"]["resourceVersion"] = self._bump()

    def _steve_update(self, call: Call) -> Reply:
        kind, key, stored = self._steve_object(call)
        body = call.json()
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        if metadata.get("name", stored["metadata"]["name"]) != stored["metadata"]["name"]:
            raise Refusal(400, "BadRequest", "metadata.name does not match the URL")
        sent = metadata.get("resourceVersion")
        current = stored["metadata"]["resourceVersion"]
        if sent != current:
            raise Refusal(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {kind.resource} "{stored["metadata"]["name"]}": '
                "the object has been modified; please apply your changes to the latest version "
                f"and try again (sent resourceVersion {sent!r}, current {current!r})",
            )
        if kind is PROVISIONING:
            self._check_provisioning(body, stored["metadata"]["namespace"])
        updated = {k: v for k, v in body.items() if k not in (*STEVE_ENVELOPE, "status")}
        updated.update(apiVersion=kind.api_version, kind=kind.kind)
        server_fields = ("name", "namespace", "uid", "creationTimestamp", "generation")
        updated["metadata"] = {
            **metadata,
            **{name: stored["metadata"][name] for name in server_fields},
            "resourceVersion": self._bump(),
        }
        if updated.get("spec") != stored.get("spec"):
            updated["metadata"]["generation"] += 1
        if "status" in stored:
            updated["status"] = stored["status"]
        self._steve[kind.collection][key] = updated
        return Reply(200, self._render_steve(call.base, kind, updated))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, delayed ACKs add 40 ms a request.
    disable_nagle_algorithm = True
    rancher: FakeRancher

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `requests` and `errors` instead."""

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return body
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        body = self._body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        cookies: dict[str, str] = {}
        try:
            jar = SimpleCookie(headers.get("cookie", ""))
            cookies = {name: morsel.value for name, morsel in jar.items()}
        except CookieError:
            pass
        split = urlsplit(self.path)
        proto = headers.get("x-forwarded-proto", "http")
        host = headers.get("host", f"127.0.0.1:{self.server.server_address[1]}")
        call = Call(
            method=self.command,
            target=self.path,
            path=unquote(split.path),
            query=parse_qs(split.query, keep_blank_values=True),
            headers=headers,
            cookies=cookies,
            body=body,
            base=f"{proto}://{host}",
        )
        refusal: Refusal | None = None
        try:
            reply = self.rancher.answer(call)
        except Refusal as error:
            refusal = error
            reply = Reply(error.status, error.body())
        payload = (
            reply.body
            if isinstance(reply.body, bytes)
            else json.dumps(reply.body, separators=(",", ":")).encode()
        )
        seen_headers = tuple(self.headers.items())
        # Recorded before answering, so a client that has its response can read it here.
        self.rancher._record(
            Seen(self.command, self.path, seen_headers, body, reply.status), refusal
        )
        self.send_response_only(reply.status)
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle
