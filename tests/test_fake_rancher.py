"""The fake Rancher, driven over real HTTP on loopback with requests."""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.fake_rancher import FakeRancher

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [ROOT / "samples" / "rancher", ROOT.parent / "shared" / "samples" / "rancher"]
RKE1_SAMPLE = "a_rke1_digitalocean_session.har"
RKE2_SAMPLE = "c_rke2_digitalocean_session.har"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0.0.0 Safari/537.36"
MACHINE_CONFIGS = "/v1/rke-machine-config.cattle.io.digitaloceanconfigs/fleet-default"
V2_CLUSTERS = "/v1/provisioning.cattle.io.clusters"
ID_SHAPES = {
    "cloudcredential": r"cattle-global-data:cc-[a-z0-9]{5}",
    "nodetemplate": r"cattle-global-nt:nt-[a-z0-9]{5}",
    "cluster": r"c-[a-z0-9]{5}",
    "nodepool": r"c-[a-z0-9]{5}:np-[a-z0-9]{5}",
}
JSONObj = dict[str, Any]


@pytest.fixture
def fake() -> Iterator[FakeRancher]:
    with FakeRancher() as server:
        yield server


def client(fake: FakeRancher) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {fake.token}"
    return session


class World:
    """A consistent set of objects, made through the API as a script would."""

    def __init__(self, fake: FakeRancher) -> None:
        self.fake = fake
        self.api = client(fake)
        self.credential = self.post("/v3/cloudcredentials", {"name": "do"})["id"]
        self.template = self.post(
            "/v3/nodetemplate", {"name": "t", "cloudCredentialId": self.credential}
        )["id"]
        self.cluster = self.post("/v3/cluster?_replace=true", {"name": "demo"})["id"]
        self.machine_config = self.post(
            MACHINE_CONFIGS,
            {"metadata": {"generateName": "nc-demo-pool1-", "namespace": "fleet-default"}},
        )["metadata"]["name"]

    def url(self, path: str) -> str:
        return self.fake.origin + path

    def post(self, path: str, body: JSONObj) -> JSONObj:
        response = self.api.post(self.url(path), json=body, timeout=5)
        assert response.status_code == 201, response.text
        return response.json()

    def v2_cluster(self, name: str = "rke2-demo", **spec: Any) -> JSONObj:
        pool = {
            "name": "pool1",
            "quantity": 1,
            "machineConfigRef": {"kind": "DigitaloceanConfig", "name": self.machine_config},
        }
        return {
            "type": "provisioning.cattle.io.cluster",
            "metadata": {"namespace": "fleet-default", "name": name},
            "spec": {
                "cloudCredentialSecretName": self.credential,
                "kubernetesVersion": "v1.30.4+rke2r1",
                "rkeConfig": {"machinePools": [pool]},
                **spec,
            },
        }


# --- auth and CSRF ----------------------------------------------------------------------------


def test_bearer_basic_and_cookie_auth_are_accepted(fake: FakeRancher) -> None:
    url = fake.origin + "/v3/clusters"
    basic = base64.b64encode(fake.token.encode()).decode()
    assert requests.get(url, headers={"Authorization": f"Bearer {fake.token}"}).status_code == 200
    assert requests.get(url, headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert requests.get(url, cookies={"R_SESS": fake.token}).status_code == 200
    assert fake.errors == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer token-zzzzz:wrong"},
        {"Authorization": "Basic " + base64.b64encode(b"token-zzzzz:wrong").decode()},
        {"Cookie": "R_SESS=token-zzzzz:wrong"},
        {"Authorization": "Bearer"},
    ],
)
def test_missing_or_wrong_credentials_get_401(fake: FakeRancher, headers: dict[str, str]) -> None:
    response = requests.get(fake.origin + "/v3/clusters", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"type": "error", "status": "401", "message": "must authenticate"}
    assert len(fake.errors) == 1 and fake.errors[0].startswith("401 GET /v3/clusters")


def test_authorization_header_wins_over_a_valid_cookie(fake: FakeRancher) -> None:
    response = requests.get(
        fake.origin + "/v3/clusters",
        headers={"Authorization": "Bearer token-zzzzz:wrong"},
        cookies={"R_SESS": fake.token},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/v3-public/authProviders",
        "/rancherversion",
        "/v3/settings/server-url",
        "/v1/management.cattle.io.settings",
    ],
)
def test_public_paths_need_no_token(fake: FakeRancher, path: str) -> None:
    response = requests.get(fake.origin + path)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert fake.errors == []


def test_login_with_cookie_or_token_response_issues_working_tokens() -> None:
    with FakeRancher(password="s3cret!") as fake:
        login = fake.origin + "/v3-public/localProviders/local?action=login"
        wrong = requests.post(login, json={"username": "admin", "password": "nope"})
        assert wrong.status_code == 401 and len(fake.errors) == 1

        body = {"username": "admin", "password": "s3cret!", "responseType": "cookie"}
        cookie = requests.post(login, json=body)
        assert cookie.status_code == 200
        assert "HttpOnly" in cookie.headers["Set-Cookie"]
        session = cookie.cookies.get("R_SESS")
        assert session and session != fake.token
        as_cookie = requests.get(fake.origin + "/v3/clusters", cookies={"R_SESS": session})
        assert as_cookie.status_code == 200

        token = requests.post(login, json={**body, "responseType": "token"})
        assert token.status_code == 201 and token.json()["type"] == "token"
        issued = token.json()["token"]
        assert re.fullmatch(r"token-[a-z0-9]{5}:[a-z0-9]+", issued)
        bearer = {"Authorization": f"Bearer {issued}"}
        assert requests.get(fake.origin + "/v3/clusters", headers=bearer).status_code == 200
        assert len(fake.errors) == 1


def test_browser_user_agent_needs_matching_csrf_cookie_and_header_on_v3(fake: FakeRancher) -> None:
    api = client(fake)
    url = fake.origin + "/v3/cloudcredentials"
    refused = api.post(url, json={"name": "a"}, headers={"User-Agent": BROWSER})
    assert refused.status_code == 403 and refused.json()["message"] == "invalid CSRF token"
    mismatched = api.post(
        url,
        json={"name": "b"},
        headers={"User-Agent": BROWSER, "Cookie": "CSRF=abc", "X-Api-Csrf": "abd"},
    )
    assert mismatched.status_code == 403
    assert len(fake.errors) == 2 and fake.created("cloudcredential") == []

    matched = api.post(
        url,
        json={"name": "c"},
        headers={"User-Agent": BROWSER, "Cookie": "CSRF=abc", "X-Api-Csrf": "abc"},
    )
    assert matched.status_code == 201
    assert api.post(url, json={"name": "d"}, headers={"User-Agent": "curl/7.88.1"}).ok
    assert api.post(url, json={"name": "e"}).ok  # python-requests is no browser either
    read = api.get(url, headers={"User-Agent": BROWSER})
    assert read.status_code == 200 and read.cookies.get("CSRF")
    steve = api.post(
        fake.origin + MACHINE_CONFIGS,
        json={"metadata": {"generateName": "nc-"}},
        headers={"User-Agent": BROWSER},
    )
    assert steve.status_code == 201  # Rancher checks CSRF on /v3 only
    assert [c["name"] for c in fake.created("cloudcredential")] == ["c", "d", "e"]
    assert len(fake.errors) == 2


# --- fresh ids ----------------------------------------------------------------------------------


def rke1_ids(fake: FakeRancher) -> dict[str, str]:
    world = World(fake)
    pool = world.post(
        "/v3/nodepool",
        {"clusterId": world.cluster, "nodeTemplateId": world.template, "hostnamePrefix": "p-"},
    )
    return {
        "cloudcredential": world.credential,
        "nodetemplate": world.template,
        "cluster": world.cluster,
        "nodepool": pool["id"],
    }


def test_ids_have_rancher_shapes_and_differ_between_instances() -> None:
    with FakeRancher() as first, FakeRancher() as second:
        one, two = rke1_ids(first), rke1_ids(second)
        assert first.token != second.token
        assert first.errors == second.errors == []
    for kind, shape in ID_SHAPES.items():
        assert re.fullmatch(shape, one[kind]) and re.fullmatch(shape, two[kind])
        assert one[kind] != two[kind]
    assert one["nodepool"].startswith(one["cluster"] + ":")


def test_generate_name_gets_five_random_characters(fake: FakeRancher) -> None:
    world = World(fake)
    second = world.post(MACHINE_CONFIGS, {"metadata": {"generateName": "nc-demo-pool1-"}})
    names = [world.machine_config, second["metadata"]["name"]]
    assert all(re.fullmatch(r"nc-demo-pool1-[a-z0-9]{5}", name) for name in names)
    assert names[0] != names[1]
    assert second["id"] == "fleet-default/" + names[1]
    assert second["metadata"]["resourceVersion"].isdigit()


# --- integrity ------------------------------------------------------------------------------------

Case = Callable[[World], requests.Response]


def _post(world: World, path: str, body: JSONObj) -> requests.Response:
    return world.api.post(world.url(path), json=body)


REFUSALS: dict[str, tuple[Case, int, str]] = {
    "node template with an unknown credential": (
        lambda w: _post(
            w, "/v3/nodetemplate", {"cloudCredentialId": "cattle-global-data:cc-7xk2p"}
        ),
        422,
        "cloudcredential",
    ),
    "cluster with an unknown credential": (
        lambda w: _post(
            w, "/v3/cluster", {"name": "x", "cloudCredentialId": "cattle-global-data:cc-7xk2p"}
        ),
        422,
        "cluster",
    ),
    "node pool in an unknown cluster": (
        lambda w: _post(w, "/v3/nodepool", {"clusterId": "c-5nmb8", "nodeTemplateId": w.template}),
        422,
        "nodepool",
    ),
    "node pool with an unknown template": (
        lambda w: _post(
            w,
            "/v3/nodepool",
            {"clusterId": w.cluster, "nodeTemplateId": "cattle-global-nt:nt-q9w4z"},
        ),
        422,
        "nodepool",
    ),
    "node pool without a cluster": (
        lambda w: _post(w, "/v3/nodepool", {"nodeTemplateId": w.template}),
        422,
        "nodepool",
    ),
    "action on an unknown cluster": (
        lambda w: w.api.post(w.url("/v3/clusters/c-5nmb8?action=generateKubeconfig")),
        404,
        "kubeconfig",
    ),
    "read of an unknown cluster": (
        lambda w: w.api.get(w.url("/v3/clusters/c-5nmb8")),
        404,
        "cluster",
    ),
    "registration tokens of an unknown cluster": (
        lambda w: w.api.get(w.url("/v3/clusterregistrationtokens?clusterId=c-5nmb8")),
        404,
        "clusterregistrationtoken",
    ),
    "new registration token for an unknown cluster": (
        lambda w: _post(w, "/v3/clusterregistrationtoken", {"clusterId": "c-5nmb8"}),
        422,
        "clusterregistrationtoken",
    ),
    "v2 cluster with an unknown credential": (
        lambda w: _post(
            w, V2_CLUSTERS, w.v2_cluster(cloudCredentialSecretName="cattle-global-data:cc-7xk2p")
        ),
        422,
        "provisioningcluster",
    ),
    "v2 cluster with an unknown machine config": (
        lambda w: _post(
            w,
            V2_CLUSTERS,
            w.v2_cluster(
                rkeConfig={
                    "machinePools": [
                        {"machineConfigRef": {"kind": "DigitaloceanConfig", "name": "nc-x-abcde"}}
                    ]
                }
            ),
        ),
        422,
        "provisioningcluster",
    ),
    "management cluster that was never issued": (
        lambda w: w.api.get(w.url("/v1/management.cattle.io.clusters/c-m-7xk2pq9w")),
        404,
        "cluster",
    ),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_references_to_ids_never_issued_are_refused_and_recorded(
    fake: FakeRancher, name: str
) -> None:
    case, status, kind = REFUSALS[name]
    world = World(fake)
    before = fake.created(kind)
    response = case(world)
    assert response.status_code == status, response.text
    assert response.json()["type"] == "error"
    assert len(fake.errors) == 1 and fake.errors[0].startswith(str(status))
    assert fake.created(kind) == before


def test_the_same_requests_with_issued_ids_are_accepted(fake: FakeRancher) -> None:
    world = World(fake)
    world.post("/v3/nodepool", {"clusterId": world.cluster, "nodeTemplateId": world.template})
    world.post("/v3/clusterregistrationtoken", {"clusterId": world.cluster})
    world.post(V2_CLUSTERS, world.v2_cluster())
    kubeconfig = world.api.post(
        world.url(f"/v3/clusters/{world.cluster}?action=generateKubeconfig")
    )
    assert kubeconfig.ok and "kubeconfig-user-" in kubeconfig.json()["config"]
    assert fake.errors == []
    assert fake.created("kubeconfig")[0]["token"] in kubeconfig.json()["config"]


def test_duplicate_cluster_names_conflict(fake: FakeRancher) -> None:
    world = World(fake)
    again = _post(world, "/v3/cluster?_replace=true", {"name": "demo"})
    assert again.status_code == 409 and "already exists" in again.json()["message"]
    world.post(V2_CLUSTERS, world.v2_cluster("rke2-demo"))
    twice = _post(world, V2_CLUSTERS, world.v2_cluster("rke2-demo"))
    assert twice.status_code == 409 and twice.json()["code"] == "AlreadyExists"
    world.post(V2_CLUSTERS, world.v2_cluster("rke2-other"))
    assert len(fake.errors) == 2
    assert [c["metadata"]["name"] for c in fake.created("provisioningcluster")] == [
        "rke2-demo",
        "rke2-other",
    ]


# --- provisioning v2 ------------------------------------------------------------------------------


def test_v2_cluster_name_appears_after_polling_and_the_cluster_then_exists() -> None:
    with FakeRancher(cluster_ready_after=3) as fake:
        world = World(fake)
        world.post(V2_CLUSTERS, world.v2_cluster())
        url = world.url(f"{V2_CLUSTERS}/fleet-default/rke2-demo")
        statuses = [world.api.get(url).json()["status"] for _ in range(4)]
        assert ["clusterName" in status for status in statuses] == [False, False, False, True]
        cluster_id = statuses[-1]["clusterName"]
        assert re.fullmatch(r"c-m-[a-z0-9]{8}", cluster_id)
        assert world.api.get(url).json()["status"]["clusterName"] == cluster_id

        action = world.api.get(url).json()["actions"]["generateKubeconfig"]
        assert action == world.url(f"/v3/clusters/{cluster_id}?action=generateKubeconfig")
        management = world.api.get(world.url(f"/v1/management.cattle.io.clusters/{cluster_id}"))
        assert management.json()["actions"]["generateKubeconfig"] == action
        assert world.api.post(action).json()["config"].count(cluster_id) == 1
        tokens = world.api.get(world.url(f"/v3/clusterregistrationtokens?clusterId={cluster_id}"))
        [token] = tokens.json()["data"]
        for key in ("command", "insecureCommand", "nodeCommand", "manifestUrl"):
            assert token["token"] in token[key]
        assert fake.errors == []
        assert [c["id"] for c in fake.created("cluster")] == [world.cluster]


def test_put_needs_the_current_resource_version(fake: FakeRancher) -> None:
    world = World(fake)
    created = world.post(V2_CLUSTERS, world.v2_cluster())
    url = world.url(f"{V2_CLUSTERS}/fleet-default/rke2-demo")
    current = world.api.get(url).json()
    assert current["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]

    missing = json.loads(json.dumps(current))
    del missing["metadata"]["resourceVersion"]
    assert world.api.put(url, json=missing).status_code == 409
    stale = json.loads(json.dumps(current))
    stale["metadata"]["resourceVersion"] = str(int(current["metadata"]["resourceVersion"]) - 1)
    assert world.api.put(url, json=stale).status_code == 409
    assert len(fake.errors) == 2 and all("Conflict" in error for error in fake.errors)

    current["spec"]["rkeConfig"]["machinePools"][0]["quantity"] = 2
    saved = world.api.put(url, json=current)
    assert saved.status_code == 200
    assert saved.json()["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"]
    assert world.api.put(url, json=current).status_code == 409  # its version is stale now
    [stored] = fake.created("provisioningcluster")
    assert stored["spec"]["rkeConfig"]["machinePools"][0]["quantity"] == 2


# --- links ----------------------------------------------------------------------------------------


def link_values(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("links", "actions", "actionLinks") and isinstance(value, dict):
                yield from value.values()
            else:
                yield from link_values(value)
    elif isinstance(data, list):
        for item in data:
            yield from link_values(item)


def test_links_and_actions_are_absolute_urls_on_the_request_origin(fake: FakeRancher) -> None:
    world = World(fake)
    origins = {
        (): fake.origin,
        (("Host", "rancher.example.test:8443"), ("X-Forwarded-Proto", "https")): (
            "https://rancher.example.test:8443"
        ),
    }
    for headers, origin in origins.items():
        cluster = world.api.get(world.url(f"/v3/clusters/{world.cluster}"), headers=dict(headers))
        links = list(link_values(cluster.json()))
        assert cluster.json()["actions"]["generateKubeconfig"] == (
            f"{origin}/v3/clusters/{world.cluster}?action=generateKubeconfig"
        )
        listed = world.api.get(world.url(MACHINE_CONFIGS), headers=dict(headers)).json()
        links += list(link_values(listed))
        assert len(links) > 8 and all(link.startswith(origin + "/") for link in links), links


def test_actions_are_named_action_links_when_the_client_asks(fake: FakeRancher) -> None:
    world = World(fake)
    url = world.url(f"/v3/clusters/{world.cluster}")
    plain = world.api.get(url).json()
    renamed = world.api.get(url, headers={"X-Api-Action-Links": "actionLinks"}).json()
    assert "actions" in plain and "actionLinks" not in plain
    assert renamed["actionLinks"] == plain["actions"] and "actions" not in renamed


def test_noise_reads_get_plausible_answers_and_mutations_are_shaped(fake: FakeRancher) -> None:
    api = client(fake)
    for path in (
        "/dashboard/auth/login",
        "/dashboard/js/app.1234.js",
        "/v1/schemas?exclude=metadata.managedFields",
        "/v3/schemas",
        "/v1/counts",
        "/v1/userpreferences",
        "/v1/management.cattle.io.kontainerdrivers",
        "/meta/proxy/api.digitalocean.com/v2/regions?per_page=1000",
        "/v3/users?me=true",
        "/v3/principals",
    ):
        assert api.get(fake.origin + path).status_code == 200, path
    schemas = api.get(fake.origin + "/v3/schemas").json()["data"]
    fields = {schema["id"]: schema["resourceFields"] for schema in schemas}
    assert fields["nodePool"]["clusterId"]["type"] == "reference[cluster]"
    assert fields["nodeTemplate"]["cloudCredentialId"]["type"] == "reference[cloudCredential]"
    assert api.put(fake.origin + "/v1/userpreferences/user-p5d2x", json={"data": {}}).ok
    ids = rke1_ids(fake)
    api.post(fake.origin + f"/v3/clusters/{ids['cluster']}?action=generateKubeconfig")
    assert fake.mutations()[-2:] == [
        ("POST", "/v3/nodepool"),
        ("POST", "/v3/clusters/{cluster}?action=generateKubeconfig"),
    ]
    assert ("PUT", "/v1/userpreferences/user-p5d2x") in fake.mutations()
    last = fake.requests[-1]
    assert (last.method, last.status, last.body) == ("POST", 200, b"")
    assert last.path == f"/v3/clusters/{ids['cluster']}?action=generateKubeconfig"
    assert last.header("authorization") == f"Bearer {fake.token}"
    assert fake.errors == []


# --- the samples replay ---------------------------------------------------------------------------


def sample(name: str) -> JSONObj:
    for folder in SAMPLES:
        if (folder / name).exists():
            return json.loads((folder / name).read_text(encoding="utf-8"))
    pytest.fail(f"{name} not found in {SAMPLES}")


def learn(captured: Any, replayed: Any, ids: dict[str, str]) -> None:
    """Map each captured string to what the fake answered in its place."""
    if isinstance(captured, dict) and isinstance(replayed, dict):
        for key in captured.keys() & replayed.keys():
            learn(captured[key], replayed[key], ids)
    elif isinstance(captured, list) and isinstance(replayed, list):
        for old, new in zip(captured, replayed, strict=False):
            learn(old, new, ids)
    elif isinstance(captured, str) and isinstance(replayed, str) and captured != replayed:
        ids[captured] = replayed


def rewrite(text: str, ids: dict[str, str]) -> str:
    if not ids:
        return text
    pattern = "|".join(re.escape(old) for old in sorted(ids, key=len, reverse=True))
    return re.sub(pattern, lambda match: ids[match.group(0)], text)


# GETs whose answers a script needs: the v2 wait, and the objects ids are read from.
CONSUMED_GET = re.compile(
    r"/v1/provisioning\.cattle\.io\.clusters/.+|/v3/clusterregistrationtokens"
)


def replay(har: JSONObj, fake: FakeRancher) -> list[requests.Response]:
    """Send a capture's API calls with a token, ids rewritten from earlier answers."""
    ids = {"https://rancher.example.test": fake.origin}
    api = client(fake)
    answers = []
    for entry in har["log"]["entries"]:
        request = entry["request"]
        url = urlsplit(request["url"])
        wanted = request["method"] != "GET" or CONSUMED_GET.fullmatch(url.path)
        if url.scheme != "https" or url.hostname != "rancher.example.test" or not wanted:
            continue
        if url.path.startswith("/v3-public/"):
            continue  # a script authenticates with a token, not the captured password
        headers = {"Content-Type": "application/json"}
        for header in request["headers"]:
            if header["name"].lower() == "x-api-action-links":
                headers["X-Api-Action-Links"] = header["value"]
        body = request.get("postData", {}).get("text")
        response = api.request(
            request["method"],
            rewrite(request["url"], ids),
            data=rewrite(body, ids).encode() if body else None,
            headers=headers,
            timeout=5,
        )
        assert response.status_code < 400, (request["method"], request["url"], response.text)
        captured = entry["response"]["content"].get("text")
        if captured:
            learn(json.loads(captured), response.json(), ids)
        answers.append(response)
    return answers


def test_rke1_sample_replays_with_fresh_ids_and_no_errors(fake: FakeRancher) -> None:
    har = sample(RKE1_SAMPLE)
    replay(har, fake)
    assert fake.errors == []
    for kind in ("cloudcredential", "nodetemplate", "cluster", "nodepool", "kubeconfig"):
        assert len(fake.created(kind)) == 1, kind
    [pool] = fake.created("nodepool")
    assert pool["clusterId"] == fake.created("cluster")[0]["id"] != "c-5nmb8"
    assert pool["nodeTemplateId"] == fake.created("nodetemplate")[0]["id"]


def test_rke2_sample_replays_with_fresh_ids_and_no_errors(fake: FakeRancher) -> None:
    har = sample(RKE2_SAMPLE)
    captured_ids = json.dumps(har)
    replay(har, fake)
    assert fake.errors == []
    for kind in ("cloudcredential", "machineconfig", "provisioningcluster", "kubeconfig"):
        assert len(fake.created(kind)) == 1, kind
    [cluster] = fake.created("provisioningcluster")
    [machine_config] = fake.created("machineconfig")
    [pool] = cluster["spec"]["rkeConfig"]["machinePools"]
    assert pool["quantity"] == 2
    assert pool["machineConfigRef"]["name"] == machine_config["metadata"]["name"]
    assert cluster["spec"]["cloudCredentialSecretName"] == fake.created("cloudcredential")[0]["id"]
    for fresh in (machine_config["metadata"]["name"], cluster["status"]["clusterName"]):
        assert fresh not in captured_ids


def entries(har: JSONObj, method: str, path: str) -> list[JSONObj]:
    return [
        entry
        for entry in har["log"]["entries"]
        if entry["request"]["method"] == method and urlsplit(entry["request"]["url"]).path == path
    ]


def body_of(entry: JSONObj, part: str = "response") -> JSONObj:
    if part == "request":
        return json.loads(entry["request"]["postData"]["text"])
    return json.loads(entry["response"]["content"]["text"])


def test_rke2_sample_holds_the_flow_the_issue_asks_for() -> None:
    har = sample(RKE2_SAMPLE)
    text = json.dumps(har)
    assert "127.0.0.1" not in text
    [credential] = entries(har, "POST", "/v3/cloudcredentials")
    token = body_of(credential, "request")["digitaloceancredentialConfig"]["accessToken"]
    assert token.startswith("dop_v1_CANARY") and len(token) == 64
    [machine] = entries(har, "POST", MACHINE_CONFIGS)
    assert body_of(machine, "request")["metadata"]["generateName"] == "nc-rke2-demo-pool1-"
    [create] = entries(har, "POST", V2_CLUSTERS)
    spec = body_of(create, "request")["spec"]
    assert spec["cloudCredentialSecretName"] == body_of(credential)["id"]
    ref = spec["rkeConfig"]["machinePools"][0]["machineConfigRef"]
    assert ref == {"kind": "DigitaloceanConfig", "name": body_of(machine)["metadata"]["name"]}

    polls = entries(har, "GET", f"{V2_CLUSTERS}/fleet-default/rke2-demo")
    names = [body_of(poll)["status"].get("clusterName") for poll in polls]
    assert len(polls) >= 2 and names[0] is None and names[-1] is not None
    [kubeconfig] = entries(har, "POST", f"/v3/clusters/{names[-1]}")
    assert kubeconfig["request"]["url"] == body_of(polls[-1])["actions"]["generateKubeconfig"]
    assert "generateKubeconfig" not in body_of(polls[0])["actions"]
    assert "CANARY" in body_of(kubeconfig)["config"]
    [tokens] = entries(har, "GET", "/v3/clusterregistrationtokens")
    assert "CANARY" in body_of(tokens)["data"][0]["token"]
    [scale] = entries(har, "PUT", f"{V2_CLUSTERS}/fleet-default/rke2-demo")
    sent = body_of(scale, "request")
    assert sent["metadata"]["resourceVersion"] == body_of(polls[-1])["metadata"]["resourceVersion"]
    assert sent["spec"]["rkeConfig"]["machinePools"][0]["quantity"] == 2
    assert "links" not in sent and "actions" not in sent

    [login] = entries(har, "POST", "/v3-public/localProviders/local")
    assert body_of(login, "request")["password"].startswith("CANARY-")
    assert login["response"]["cookies"][0]["value"].split(":")[1].startswith("CANARY")
    kinds = {entry["_resourceType"] for entry in har["log"]["entries"]}
    assert {"document", "script", "fetch", "websocket", "ping"} <= kinds
    hosts = {urlsplit(entry["request"]["url"]).hostname for entry in har["log"]["entries"]}
    assert hosts == {"rancher.example.test", "www.google-analytics.com"}


def test_sample_tool_drives_the_same_flow_again_without_errors() -> None:
    spec = importlib.util.spec_from_file_location(
        "make_rke2_sample", ROOT / "tests/make_rke2_sample.py"
    )
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = tool  # its dataclasses look their module up there
    spec.loader.exec_module(tool)
    fresh = tool.capture()  # raises SystemExit if the fake refused anything

    def steps(har: JSONObj) -> list[tuple[str, str]]:
        return [(e["request"]["method"], e["_resourceType"]) for e in har["log"]["entries"]]

    committed = sample(RKE2_SAMPLE)
    assert steps(fresh) == steps(committed)
    assert fresh["log"]["entries"][18]["response"]["content"]["text"] != (
        committed["log"]["entries"][18]["response"]["content"]["text"]
    )
