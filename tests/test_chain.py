"""Chaining: server-made ids become extracted Vars read from the response that made them.

The oracle for every chained capture: reading each extraction from the captured producer
response (path, header, derived form as DERIVATIONS describes it) and putting the values in
place of the Vars gives back exactly the captured requests. So a Var always stands for the
value that was there, and it is read from where the server really said it.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capture2code.chain import (
    DERIVED_SUFFIX,
    INFERRED_NOTE,
    RANCHER_ALPHABET,
    STOP_VALUES,
    Chaining,
    chain,
)
from capture2code.emit.python import emit
from capture2code.plan import DERIVATIONS, Wait, build_plan
from capture2code.record import FormPart, Multipart, Record, Request, Response
from capture2code.redact import redact
from capture2code.sources import Source, read_input
from capture2code.template import Text, Var
from tests.recorder import Received, Recorder
from tests.runners.python import run

DATA = Path(__file__).parent / "data" / "chain"
API = "https://rancher.example.test"


def make(
    method: str,
    url: str,
    body: Any = None,
    response: Any = None,
    *,
    headers: tuple[tuple[str, str], ...] = (),
    response_headers: tuple[tuple[str, str], ...] = (),
    status: int = 200,
) -> Record:
    """A record; a dict or list body or response is JSON."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    request = Request(
        method,
        Text.of(API + url),
        [(name, Text.of(value)) for name, value in headers],
        None if body is None else Text.of(body.encode() if isinstance(body, str) else body),
    )
    if response is None and not response_headers:
        return Record(request)
    if isinstance(response, (dict, list)):
        response = json.dumps(response).encode()
    return Record(request, Response(status, list(response_headers), response))


def derive(name: str | None, value: str) -> str:
    """DERIVATIONS, written from their descriptions."""
    if name == "colon_to_slash":
        return value.replace(":", "/", 1)
    if name == "slash_to_colon":
        return value.replace("/", ":", 1)
    if name == "name":
        return value[max(value.rfind(":"), value.rfind("/")) + 1 :]
    assert name is None
    return value


def read_path(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def extracted_values(result: Chaining, records: list[Record]) -> dict[str, str]:
    """What each extraction reads from its producer's captured response."""
    values = {}
    for index, extractions in result.extracts.items():
        response = records[index].response
        assert response is not None
        for extraction in extractions:
            if extraction.header is not None:
                wanted = extraction.header.lower()
                raw = [v for k, v in response.headers if k.lower() == wanted][-1]
            else:
                raw = read_path(json.loads(response.body or b""), extraction.path)
            values[extraction.var] = derive(extraction.derive, str(raw))
    return values


def filled(text: Text, values: dict[str, str], binary: bool = False) -> Text:
    pieces = [
        (
            (values[p.name].encode() if binary else values[p.name])
            if isinstance(p, Var) and p.kind == "extracted"
            else p
        )
        for p in text.pieces
    ]
    return Text.of(*pieces)


def texts(request: Request) -> list[Text]:
    found = [request.url, *(value for _, value in request.headers)]
    if isinstance(request.body, Text):
        found.append(request.body)
    elif isinstance(request.body, Multipart):
        found += [p.value for p in request.body.parts if p.value is not None]
    return found


def assert_reproduces(result: Chaining, records: list[Record], values: dict[str, str]) -> None:
    assert len(result.records) == len(records)
    for chained, original in zip(result.records, records, strict=True):
        want = [Text.of(*t.pieces) for t in texts(original.request)]
        binary = [any(isinstance(p, bytes) for p in t.pieces) for t in want]
        got = [filled(t, values, b) for t, b in zip(texts(chained.request), binary, strict=True)]
        assert got == want
        assert chained.response is original.response


def checked(records: list[Record], **options: Any) -> Chaining:
    """chain(), checked against the oracle."""
    result = chain(records, **options)
    assert_reproduces(result, records, extracted_values(result, records))
    for consumer, producers in result.uses.items():
        assert all(p < consumer for p in producers)
    return result


def extracted(text: Text) -> list[str]:
    return [v.name for v in text.vars if v.kind == "extracted"]


def literal(record: Record) -> str:
    return "\n".join(
        (p.decode("utf-8", "surrogateescape") if isinstance(p, bytes) else p)
        for t in texts(record.request)
        for p in t.pieces
        if not isinstance(p, Var)
    )


def read_sample(name: str, fmt: str) -> list[Record]:
    path = DATA / name
    return redact(read_input(Source(str(path), path=path), fmt).records).records


def find(records: list[Record], method: str, fragment: str) -> int:
    return next(
        i
        for i, r in enumerate(records)
        if r.request.method == method
        and fragment in Text.of(*r.request.url.pieces).as_str().pieces[0]
    )


RKE1_IDS = ("c-5nmb8", "cattle-global-nt:nt-q9w4z", "cattle-global-data:cc-7xk2p", "np-2fgh7")


# --- the Rancher samples ----------------------------------------------------------------


def test_rke1_har_chains_the_ids_of_the_sample_readme() -> None:
    records = read_sample("a_rke1_digitalocean_session.har", "har")
    result = checked(records)
    out = result.records
    credential = find(records, "POST", "/v3/cloudcredentials")
    template = find(records, "POST", "/v3/nodetemplate")
    cluster = find(records, "POST", "/v3/cluster?")
    pool = find(records, "POST", "/v3/nodepool")
    tokens = find(records, "GET", "/v3/clusterregistrationtokens?clusterId=")
    kubeconfig = find(records, "POST", "action=generateKubeconfig")
    by_var = {e.var: (i, e) for i, es in result.extracts.items() for e in es}

    assert by_var["CLOUD_CREDENTIAL_ID"][0] == credential
    assert by_var["CLOUD_CREDENTIAL_ID"][1].path == ("id",)
    assert by_var["CLOUD_CREDENTIAL_ID"][1].note == "id of the cloud credential created here"
    assert by_var["NODE_TEMPLATE_ID"][0] == template
    assert by_var["CLUSTER_ID"][0] == cluster
    assert extracted(out[template].request.body) == ["CLOUD_CREDENTIAL_ID"]
    assert b'"cloudCredentialId":"' in out[template].request.body.pieces[0]
    assert extracted(out[pool].request.body) == ["NODE_TEMPLATE_ID", "CLUSTER_ID"]
    assert out[tokens].request.url.pieces[-1] == Var("CLUSTER_ID", "extracted")
    assert out[tokens].request.url.pieces[0].endswith("/v3/clusterregistrationtokens?clusterId=")
    # the action URL is the one the cluster offered, not rebuilt
    assert out[kubeconfig].request.url == Text.of(
        Var("CLUSTER_GENERATE_KUBECONFIG_URL", "extracted")
    )
    producer, action = by_var["CLUSTER_GENERATE_KUBECONFIG_URL"]
    assert (producer, action.path) == (cluster, ("actionLinks", "generateKubeconfig"))
    # GET /v3/clusters/<id>: the cluster's self link
    polls = [
        i for i, r in enumerate(records) if r.request.url == Text.of(f"{API}/v3/clusters/c-5nmb8")
    ]
    assert polls and all(
        out[i].request.url == Text.of(Var("CLUSTER_SELF_URL", "extracted")) for i in polls
    )
    assert {credential} <= result.uses[template] and {template, cluster} <= result.uses[pool]
    for record in out:
        if record.request.method in ("POST", "PUT", "PATCH", "DELETE"):
            assert not any(value in literal(record) for value in RKE1_IDS), literal(record)
    assert result.waits == {} and result.notes == {}


def test_rke1_har_keeps_values_the_user_chose_or_typed() -> None:
    records = read_sample("a_rke1_digitalocean_session.har", "har")
    result = chain(records)
    template = find(records, "POST", "/v3/nodetemplate")
    cluster = find(records, "POST", "/v3/cluster?")
    body = literal(result.records[template])
    # sizes come from the DigitalOcean catalogue (a choice), names were typed by the user
    assert '"size":"s-2vcpu-4gb"' in body and '"name":"do-nyc3-2x4"' in body
    assert '"name":"demo-rke1"' in literal(result.records[cluster])
    names = {e.var for es in result.extracts.values() for e in es}
    assert not any("SIZE" in name or "NAME" in name for name in names)


def test_curl_text_chains_the_same_ids_by_inference() -> None:
    records = read_sample("b_copy_all_as_curl_bash.txt", "curl")
    result = chain(records)
    credential = find(records, "POST", "/v3/cloudcredentials")
    template = find(records, "POST", "/v3/nodetemplate")
    cluster = find(records, "POST", "/v3/cluster?")
    pool = find(records, "POST", "/v3/nodepool")
    kubeconfig = find(records, "POST", "action=generateKubeconfig")
    assert result.extracts == {
        credential: [result.extracts[credential][0]],
        template: [result.extracts[template][0]],
        cluster: [result.extracts[cluster][0]],
    }
    names = {i: (e[0].var, e[0].path) for i, e in result.extracts.items()}
    assert names == {
        credential: ("CLOUD_CREDENTIAL_ID", ("id",)),
        template: ("NODE_TEMPLATE_ID", ("id",)),
        cluster: ("CLUSTER_ID", ("id",)),
    }
    assert result.extracts[cluster][0].note == (
        "id of the cluster created here, inferred from the id shape: the capture has no responses"
    )
    values = {
        "CLOUD_CREDENTIAL_ID": "cattle-global-data:cc-7xk2p",
        "NODE_TEMPLATE_ID": "cattle-global-nt:nt-q9w4z",
        "CLUSTER_ID": "c-5nmb8",
    }
    assert_reproduces(result, records, values)
    assert extracted(result.records[pool].request.body) == ["NODE_TEMPLATE_ID", "CLUSTER_ID"]
    url = result.records[kubeconfig].request.url
    assert url.pieces[1:] == (Var("CLUSTER_ID", "extracted"), "?action=generateKubeconfig")
    assert any("CLUSTER_ID is inferred" in line for line in result.notes[pool])
    assert any("POST /v3/cluster creates" in line for line in result.notes[pool])
    assert result.uses[pool] == {template, cluster}
    for index in (template, cluster, pool, kubeconfig):
        assert not any(value in literal(result.records[index]) for value in RKE1_IDS)
    # the user id was never created in the capture: nothing to infer it from
    assert "user-p5d2x" in literal(result.records[-1])


# --- what is never chained --------------------------------------------------------------


def test_a_name_the_user_typed_and_the_server_echoes_is_not_chained() -> None:
    records = [
        make(
            "POST", "/v3/cluster", {"name": "demo-x7k2p"}, {"id": "c-bxk42", "name": "demo-x7k2p"}
        ),
        make("GET", "/v3/clusters?name=demo-x7k2p", None, {"data": []}),
        make("POST", "/v3/nodepool", {"clusterId": "c-bxk42", "hostnamePrefix": "demo-x7k2p-"}),
    ]
    result = checked(records)
    assert literal(result.records[1]).endswith("?name=demo-x7k2p")
    assert '"hostnamePrefix": "demo-x7k2p-"' in literal(result.records[2])
    assert extracted(result.records[2].request.body) == ["CLUSTER_ID"]


def test_a_value_the_server_returns_only_after_it_was_sent_is_not_chained() -> None:
    records = [
        make("GET", "/v1/things?owner=u-9qz4x", None, {"data": []}),
        make("GET", "/v1/users/me", None, {"id": "u-9qz4x", "type": "user"}),
        make("POST", "/v1/things", {"owner": "u-9qz4x"}),
    ]
    result = checked(records)
    assert result.extracts == {} and result.uses == {}


def test_a_value_in_the_producing_request_itself_is_not_chained() -> None:
    records = [
        make("PUT", "/v3/things/t-9qz4x", {"id": "t-9qz4x"}, {"id": "t-9qz4x"}),
        make("DELETE", "/v3/things/t-9qz4x"),
    ]
    assert checked(records).extracts == {}


@pytest.mark.parametrize(
    "value",
    sorted(STOP_VALUES)
    + ["active", "ui-auto", "management.cattle.io.cluster", "Waiting for nodes", "nyc3"]
    + ["2024-06-26T09:16:40Z", "v1.28.12-rancher1-1", "3.25", "provisioning", "abc"],
)
def test_short_common_and_word_values_are_not_chained(value: str) -> None:
    records = [
        make("GET", "/v3/things", None, {"data": [{"id": value, "other": value}]}),
        make("POST", "/v3/things", {"ref": value, "url": f"x/{value}"}),
    ]
    assert checked(records).extracts == {}


@pytest.mark.parametrize(
    ("number", "key", "chained"),
    [(42, "count", False), (9999, "port", False), (10000, "id", True), (123456, "size", True)],
)
def test_numbers_below_10000_are_not_chained(number: int, key: str, chained: bool) -> None:
    records = [
        make("POST", "/api/widgets", {"kind": "w"}, {"type": "widget", key: number}),
        make("POST", "/api/orders", f'{{"widget": {number}}}'),
    ]
    result = checked(records)
    assert bool(result.extracts) is chained


def test_choices_from_a_list_and_catalogue_responses_are_not_chained() -> None:
    records = [
        make("GET", "/v3/things", None, {"sizes": ["s-2vcpu-4gb", "s-4vcpu-8gb"]}),
        make(
            "GET",
            "/meta/proxy/api.digitalocean.com/v2/images",
            None,
            {"images": [{"slug": "ubuntu-22-04-x64"}]},
        ),
        make("POST", "/v3/nodetemplate", {"size": "s-2vcpu-4gb", "image": "ubuntu-22-04-x64"}),
    ]
    assert checked(records).extracts == {}


def test_a_random_id_without_digits_is_still_an_id() -> None:
    records = [
        make("POST", "/v3/cluster", {"name": "demo"}, {"id": "c-bxkzt", "type": "cluster"}),
        make("POST", "/v3/nodepool", {"clusterId": "c-bxkzt"}),
    ]
    assert extracted(checked(records).records[1].request.body) == ["CLUSTER_ID"]


def test_a_longer_alphanumeric_run_is_not_an_occurrence() -> None:
    records = [
        make("POST", "/v3/cluster", {"name": "demo"}, {"id": "c-5nmb8", "type": "cluster"}),
        make("POST", "/v3/things", {"a": "xc-5nmb8", "b": "c-5nmb8x", "c": "my_c-5nmb8"}),
    ]
    body = checked(records).records[1].request.body
    assert body.pieces[0].endswith(b'"c": "my_') and len(extracted(body)) == 1


# --- where values are found -------------------------------------------------------------


def test_values_in_path_query_header_json_depth_and_longer_strings() -> None:
    records = [
        make("POST", "/v3/cluster", {"name": "demo"}, {"id": "c-5nmb8", "type": "cluster"}),
        make(
            "POST",
            "/v3/things/c-5nmb8/items?clusterId=c-5nmb8&x=1",
            {"a": [{"b": {"c": "c-5nmb8"}}], "cmd": "register --cluster=c-5nmb8.yaml"},
            headers=(("x-cluster", "c-5nmb8"), ("referer", f"{API}/dashboard/c/c-5nmb8/home")),
        ),
    ]
    result = checked(records)
    request = result.records[1].request
    assert extracted(request.url) == ["CLUSTER_ID", "CLUSTER_ID"]
    assert all(extracted(value) == ["CLUSTER_ID"] for _, value in request.headers)
    assert extracted(request.body) == ["CLUSTER_ID", "CLUSTER_ID"]
    assert result.uses == {1: {0}}


def test_the_longest_value_wins_inside_a_longer_string() -> None:
    records = [
        make("POST", "/v3/cluster", {"name": "demo"}, {"id": "c-5nmb8", "type": "cluster"}),
        make(
            "POST",
            "/v3/nodepool",
            {"clusterId": "c-5nmb8"},
            {"id": "c-5nmb8:np-2fgh7", "type": "nodePool"},
        ),
        make("PUT", "/v3/nodePools/c-5nmb8:np-2fgh7", {"note": "pool c-5nmb8:np-2fgh7 of c-5nmb8"}),
    ]
    result = checked(records)
    request = result.records[2].request
    assert extracted(request.url) == ["NODE_POOL_ID"]
    assert extracted(request.body) == ["NODE_POOL_ID", "CLUSTER_ID"]
    assert result.uses[2] == {0, 1}


def test_derived_forms_colon_slash_and_name() -> None:
    records = [
        make(
            "POST",
            "/v3/cloudcredentials",
            {"name": "do"},
            {"id": "cattle-global-data:cc-7xk2p", "type": "cloudCredential"},
        ),
        make("GET", "/v1/secrets/cattle-global-data/cc-7xk2p"),
        make("POST", "/v1/things", {"secretName": "cc-7xk2p"}),
    ]
    result = checked(records)
    derives = {e.var: e.derive for e in result.extracts[0]}
    assert derives == {
        "CLOUD_CREDENTIAL_ID_SLASHED": "colon_to_slash",
        "CLOUD_CREDENTIAL_ID_NAME": "name",
    }
    assert set(DERIVED_SUFFIX) == set(DERIVATIONS)


def test_derived_form_from_slash_to_colon() -> None:
    records = [
        make(
            "GET",
            "/v1/machines",
            None,
            {"data": [{"id": "fleet-default/m-9zq4x", "type": "machine"}]},
        ),
        make("POST", "/v3/things", {"machine": "fleet-default:m-9zq4x"}),
    ]
    assert checked(records).extracts[0][0].derive == "slash_to_colon"


def test_a_direct_producer_of_the_name_wins_over_a_derived_form() -> None:
    records = [
        make(
            "POST",
            "/v1/rke-machine-config.cattle.io.digitaloceanconfigs/fleet-default",
            {"metadata": {"generateName": "nc-demo-pool1-", "namespace": "fleet-default"}},
            {
                "id": "fleet-default/nc-demo-pool1-x7k2p",
                "type": "rke-machine-config.cattle.io.digitaloceanconfig",
                "metadata": {"name": "nc-demo-pool1-x7k2p", "namespace": "fleet-default"},
            },
        ),
        make(
            "POST",
            "/v1/provisioning.cattle.io.clusters",
            {"machineConfigRef": {"name": "nc-demo-pool1-x7k2p"}},
        ),
    ]
    result = checked(records)
    (extraction,) = result.extracts[0]
    assert (extraction.var, extraction.path, extraction.derive) == (
        "DIGITALOCEANCONFIG_NAME",
        ("metadata", "name"),
        None,
    )


def test_percent_encoded_occurrences_are_found() -> None:
    records = [
        make(
            "POST",
            "/v3/nodetemplate",
            {"name": "t"},
            {"id": "cattle-global-nt:nt-q9w4z", "type": "nodeTemplate"},
        ),
        make("GET", "/v3/nodes?nodeTemplateId=cattle-global-nt%3Ant-q9w4z"),
        make("GET", "/v3/nodes?nodeTemplateId=cattle-global-nt%3ant-q9w4z"),
    ]
    result = chain(records)
    for index in (1, 2):
        url = result.records[index].request.url
        assert url.pieces[1:] == (Var("NODE_TEMPLATE_ID", "extracted"),)
        want = unquote(records[index].request.url.pieces[0])
        assert filled(url, {"NODE_TEMPLATE_ID": "cattle-global-nt:nt-q9w4z"}).pieces[0] == want


def test_location_header_and_other_header_values_are_producers() -> None:
    records = [
        make(
            "POST",
            "/api/jobs",
            {"name": "build"},
            b"",
            status=201,
            response_headers=(("Location", f"{API}/api/jobs/j-9qz4x"), ("X-Job-Token", "e-77kq2")),
        ),
        make("GET", "/api/jobs/j-9qz4x"),
        make("PUT", "/api/jobs/j-9qz4x?force=1", "{}", headers=(("x-token", "e-77kq2"),)),
    ]
    result = checked(records)
    assert result.records[1].request.url == Text.of(Var("JOB_URL", "extracted"))
    assert result.records[2].request.url.pieces == (Var("JOB_URL", "extracted"), "?force=1")
    assert extracted(result.records[2].request.headers[0][1]) == ["JOB_TOKEN"]
    assert {e.header for e in result.extracts[0]} == {"Location", "X-Job-Token"}


def test_links_without_a_made_value_are_not_taken() -> None:
    records = [
        make("GET", "/v3/schemas", None, {"links": {"self": f"{API}/v3/nodetemplates"}}),
        make("GET", "/v3", None, {"links": {"clusters": f"{API}/v3/clusters"}}),
        make("POST", "/v3/clusters", {"name": "demo"}),
    ]
    assert checked(records).extracts == {}


def test_a_link_is_chosen_by_method() -> None:
    self_url = f"{API}/v1/things/fleet-default/t-9qz4x"
    links = {"self": self_url, "update": self_url, "remove": self_url}
    records = [
        make(
            "POST",
            "/v1/things",
            {"a": 1},
            {"id": "fleet-default/t-9qz4x", "links": links, "type": "thing"},
        ),
        make("GET", "/v1/things/fleet-default/t-9qz4x"),
        make("PUT", "/v1/things/fleet-default/t-9qz4x", {"id": "fleet-default/t-9qz4x"}),
        make("DELETE", "/v1/things/fleet-default/t-9qz4x"),
    ]
    result = checked(records)
    urls = [result.records[i].request.url.pieces for i in (1, 2, 3)]
    assert urls == [
        (Var("THING_SELF_URL", "extracted"),),
        (Var("THING_UPDATE_URL", "extracted"),),
        (Var("THING_REMOVE_URL", "extracted"),),
    ]
    assert extracted(result.records[2].request.body) == ["THING_ID"]


def test_form_and_multipart_bodies() -> None:
    form = make("POST", "/api/notes", "cluster=c-5nmb8&x=1")
    parts = Multipart([FormPart("cluster", Text.of(b"c-5nmb8")), FormPart("file", file="a.txt")])
    multipart = Record(Request("POST", Text.of(API + "/api/upload"), [], parts))
    records = [
        make("POST", "/v3/cluster", {"name": "demo"}, {"id": "c-5nmb8", "type": "cluster"}),
        form,
        multipart,
    ]
    result = checked(records)
    assert extracted(result.records[1].request.body) == ["CLUSTER_ID"]
    assert result.records[2].request.body.parts[0].value == Text.of(Var("CLUSTER_ID", "extracted"))
    assert result.records[2].request.body.parts[1].file == "a.txt"


def test_env_vars_in_requests_stay_in_place() -> None:
    body = Text.of(b'{"token":"', Var("API_TOKEN"), b'","clusterId":"c-5nmb8"}')
    consumer = Record(
        Request(
            "POST",
            Text.of(API + "/v3/x/c-5nmb8?t=", Var("T")),
            [("authorization", Text.of("Bearer ", Var("API_TOKEN")))],
            body,
        )
    )
    records = [
        make("POST", "/v3/cluster", {"name": "demo"}, {"id": "c-5nmb8", "type": "cluster"}),
        consumer,
    ]
    result = checked(records)
    request = result.records[1].request
    assert request.body.pieces[1] == Var("API_TOKEN")
    assert request.url.pieces[-1] == Var("T")


def test_unreadable_responses_are_not_producers() -> None:
    records = [
        make("POST", "/v3/cluster", {"name": "demo"}, b'{"id": "c-5nmb8", "na'),
        make("POST", "/v3/other", {"name": "demo"}, b"<html>c-9qz4x</html>"),
        make("POST", "/v3/nodepool", {"clusterId": "c-5nmb8", "x": "c-9qz4x"}),
    ]
    assert checked(records).extracts == {}


# --- waits and versions -----------------------------------------------------------------


def test_a_value_that_appeared_only_after_polling_becomes_a_wait() -> None:
    cluster_url = "/v1/provisioning.cattle.io.clusters/fleet-default/demo-v2"
    made = {"id": "fleet-default/demo-v2", "type": "provisioning.cattle.io.cluster"}
    records = [
        make(
            "POST", "/v1/provisioning.cattle.io.clusters", {"metadata": {"name": "demo-v2"}}, made
        ),
        make("GET", cluster_url, None, {**made, "status": {}}),
        make("GET", cluster_url, None, {**made, "status": {"clusterName": None}}),
        make("GET", cluster_url, None, {**made, "status": {"clusterName": "c-m-7xk2pq4z"}}),
        make("POST", "/v3/clusterregistrationtokens", {"clusterId": "c-m-7xk2pq4z"}),
        make("GET", "/v3/clusters/c-m-7xk2pq4z"),
    ]
    result = checked(records)
    assert result.waits == {3: Wait(("status", "clusterName"))}
    assert result.uses == {4: {3}, 5: {3}}
    assert [e.var for e in result.extracts[3]] == ["CLUSTER_ID"]


def test_no_wait_without_earlier_polls_that_lacked_the_value() -> None:
    records = [
        make("GET", "/v1/things/t", None, {"status": {"ref": "r-9qz4xk"}}),
        make("GET", "/v1/things/t", None, {"status": {"ref": "r-9qz4xk"}}),
        make("POST", "/v1/other", {"ref": "r-9qz4xk"}),
    ]
    result = checked(records)
    assert result.waits == {} and result.uses == {2: {0}}


def test_resource_version_comes_from_the_latest_response_for_the_object() -> None:
    url = "/v1/provisioning.cattle.io.clusters/fleet-default/demo-v2"
    obj = {
        "id": "fleet-default/demo-v2",
        "type": "provisioning.cattle.io.cluster",
        "links": {"self": API + url, "update": API + url},
    }
    records = [
        make("GET", url, None, {**obj, "metadata": {"name": "demo-v2", "resourceVersion": "4711"}}),
        make(
            "GET",
            "/v1/other",
            None,
            {"id": "fleet-default/demo-v3", "metadata": {"resourceVersion": "99"}},
        ),
        make("GET", url, None, {**obj, "metadata": {"name": "demo-v2", "resourceVersion": "4712"}}),
        make(
            "PUT",
            url,
            {
                "id": "fleet-default/demo-v2",
                "metadata": {"name": "demo-v2", "resourceVersion": "4712"},
            },
        ),
        make("PUT", url, {"metadata": {"name": "demo-v2", "resourceVersion": "4711"}}),
    ]
    result = chain(records)
    assert extracted(result.records[3].request.body) == ["CLUSTER_RESOURCE_VERSION"]
    assert extracted(result.records[4].request.body) == ["CLUSTER_RESOURCE_VERSION"]
    assert result.extracts == {2: [result.extracts[2][0]]}
    assert result.extracts[2][0].path == ("metadata", "resourceVersion")
    assert result.uses == {3: {2}, 4: {2}}
    # the URL holds only the name the user gave: it stays as sent
    assert result.records[4].request.url == records[4].request.url


# --- schemas ----------------------------------------------------------------------------

NORMAN_SCHEMAS = {
    "type": "collection",
    "resourceType": "schema",
    "data": [
        {
            "id": "nodePool",
            "type": "schema",
            "pluralName": "nodePools",
            "links": {"collection": f"{API}/v3/nodepools"},
            "resourceFields": {
                "clusterId": {"type": "reference[cluster]"},
                "nodeTemplateId": {"type": "reference[nodeTemplate]"},
                "hostnamePrefix": {"type": "string"},
                "labels": {"type": "map[string]"},
            },
        }
    ],
}


def test_schema_reference_fields_chain_only_to_their_type() -> None:
    schemas = [make("GET", "/v3/schemas", None, NORMAN_SCHEMAS)]
    records = [
        make("POST", "/v3/cluster", {"name": "demo"}, {"id": "c-5nmb8", "type": "cluster"}),
        make("POST", "/v3/project", {"name": "p"}, {"id": "c-5nmb8:p-7xk2p", "type": "project"}),
        make(
            "POST",
            "/v3/nodepools",
            {
                "clusterId": "c-5nmb8",
                "nodeTemplateId": "c-5nmb8:p-7xk2p",
                "hostnamePrefix": "c-5nmb8",
                "labels": {"from": "c-5nmb8"},
                "untyped": "c-5nmb8:p-7xk2p",
            },
        ),
    ]
    result = checked(records, schemas=schemas)
    body = result.records[2].request.body
    assert extracted(body) == ["CLUSTER_ID", "PROJECT_ID"]
    text = literal(result.records[2])
    assert '"nodeTemplateId": "c-5nmb8:p-7xk2p"' in text
    assert '"hostnamePrefix": "c-5nmb8"' in text and '"from": "c-5nmb8"' in text
    assert result.uses[2] == {0, 1}


def test_schema_reference_fields_chain_short_ids_and_schemas_in_records() -> None:
    records = [
        make("GET", "/v3/schemas", None, NORMAN_SCHEMAS),
        make("POST", "/v3/cluster", {"name": "demo"}, {"id": "c-9z", "type": "cluster"}),
        make("POST", "/v3/nodepool", {"type": "nodePool", "clusterId": "c-9z", "x": "c-9z"}),
    ]
    result = checked(records)
    assert extracted(result.records[2].request.body) == ["CLUSTER_ID"]
    assert '"x": "c-9z"' in literal(result.records[2])


def test_a_schema_without_reference_types_does_not_block_an_id() -> None:
    """Steve's schemas type every field as a plain string; Rancher's provisioning cluster
    takes a cloud credential id in one (`spec.cloudCredentialSecretName`)."""
    steve = {
        "type": "collection",
        "data": [
            {
                "id": "provisioning.cattle.io.cluster",
                "type": "schema",
                "resourceFields": {"spec": {"type": "provisioning.cattle.io.v1.cluster.spec"}},
            },
            {
                "id": "provisioning.cattle.io.v1.cluster.spec",
                "type": "schema",
                "resourceFields": {"cloudCredentialSecretName": {"type": "string"}},
            },
        ],
    }
    records = [
        make("POST", "/v3/cloudcredentials", {"name": "do"}, {"id": "cattle-global-data:cc-7xk2p"}),
        make(
            "POST",
            "/v1/provisioning.cattle.io.clusters",
            {
                "type": "provisioning.cattle.io.cluster",
                "spec": {"cloudCredentialSecretName": "cattle-global-data:cc-7xk2p"},
            },
        ),
    ]
    result = checked(records, schemas=[make("GET", "/v1/schemas", None, steve)])
    assert extracted(result.records[1].request.body) == ["CLOUDCREDENTIAL_ID"]


# --- names ------------------------------------------------------------------------------


def test_names_avoid_taken_names_and_each_other() -> None:
    records = [
        make("POST", "/v3/cluster", {"name": "a"}, {"id": "c-5nmb8", "type": "cluster"}),
        make("POST", "/v3/cluster", {"name": "b"}, {"id": "c-7xk2p", "type": "cluster"}),
        make("POST", "/v3/nodepool", {"clusterId": "c-5nmb8", "other": "c-7xk2p"}),
    ]
    result = checked(records, taken={"CLUSTER_ID"})
    assert extracted(result.records[2].request.body) == ["CLUSTER_ID_2", "CLUSTER_ID_3"]


def test_a_value_consumed_as_xxx_id_is_named_by_that_field() -> None:
    records = [
        make(
            "GET",
            "/v1/management.cattle.io.clusters",
            None,
            {
                "data": [
                    {"type": "management.cattle.io.cluster", "metadata": {"name": "c-m-7xk2pq4z"}}
                ]
            },
        ),
        make("POST", "/v3/clusterregistrationtokens", {"clusterId": "c-m-7xk2pq4z"}),
    ]
    result = checked(records)
    assert [(e.var, e.path) for e in result.extracts[0]] == [
        ("CLUSTER_ID", ("data", 0, "metadata", "name"))
    ]


# --- inference --------------------------------------------------------------------------


def test_inference_generic_norman_and_steve_generate_name() -> None:
    records = [
        make("POST", "/v3/projectroletemplatebinding", {"type": "projectRoleTemplateBinding"}),
        make(
            "POST",
            "/v1/rke-machine-config.cattle.io.digitaloceanconfigs/fleet-default",
            {"metadata": {"generateName": "nc-demo-pool1-", "namespace": "fleet-default"}},
        ),
        make("DELETE", "/v3/projectRoleTemplateBindings/c-5nmb8:prtb-9qz4x"),
        make(
            "POST", "/v1/provisioning.cattle.io.clusters", {"ref": {"name": "nc-demo-pool1-x7k2p"}}
        ),
    ]
    result = chain(records)
    assert [(e.var, e.path) for e in result.extracts[0]] == [
        ("PROJECT_ROLE_TEMPLATE_BINDING_ID", ("id",))
    ]
    assert [(e.var, e.path) for e in result.extracts[1]] == [
        ("DIGITALOCEANCONFIG_NAME", ("metadata", "name"))
    ]
    values = {
        "PROJECT_ROLE_TEMPLATE_BINDING_ID": "c-5nmb8:prtb-9qz4x",
        "DIGITALOCEANCONFIG_NAME": "nc-demo-pool1-x7k2p",
    }
    assert_reproduces(result, records, values)
    assert result.uses == {2: {0}, 3: {1}}


def test_inference_needs_a_value_never_sent_before_and_a_free_create() -> None:
    records = [
        make("GET", "/v3/clusters/c-5nmb8"),
        make("POST", "/v3/cluster", {"name": "demo"}),
        make(
            "POST", "/v3/nodepool", {"clusterId": "c-5nmb8", "other": "c-7xk2p", "third": "c-9qz4x"}
        ),
    ]
    result = chain(records)
    assert extracted(result.records[2].request.body) == ["CLUSTER_ID"]
    assert_reproduces(result, records, {"CLUSTER_ID": "c-7xk2p"})


def test_inference_binds_creates_in_order() -> None:
    records = [
        make("POST", "/v3/cluster", {"name": "a"}),
        make("POST", "/v3/cluster", {"name": "b"}),
        make("GET", "/v3/clusters/c-5nmb8"),
        make("GET", "/v3/clusters/c-7xk2p"),
    ]
    result = chain(records)
    assert [e.var for e in result.extracts[0]] == ["CLUSTER_ID"]
    assert [e.var for e in result.extracts[1]] == ["CLUSTER_ID_2"]
    assert_reproduces(result, records, {"CLUSTER_ID": "c-5nmb8", "CLUSTER_ID_2": "c-7xk2p"})


def test_inference_is_only_for_captures_without_any_response() -> None:
    records = [
        make("POST", "/v3/cluster", {"name": "a"}, {"type": "cluster"}),
        make("GET", "/v3/clusters/c-5nmb8"),
    ]
    assert chain(records).extracts == {}


# --- random ids planted anywhere --------------------------------------------------------

ids = st.builds(
    lambda prefix, random: f"{prefix}-{random}",
    st.sampled_from(["c", "nt", "x", "job", "c-m"]),
    st.text(RANCHER_ALPHABET, min_size=5, max_size=8),
)
PLACES = ("path", "query", "header", "json", "deep", "longer", "form")


def planted(place: str, value: str) -> Record:
    if place == "path":
        return make("GET", f"/api/things/{value}/items")
    if place == "query":
        return make("GET", f"/api/items?a=1&thing={value}")
    if place == "header":
        return make("GET", "/api/items", headers=(("x-thing", value),))
    if place == "json":
        return make("POST", "/api/items", {"thingId": value})
    if place == "deep":
        return make("POST", "/api/items", {"a": [{"b": {"c": [value]}}]})
    if place == "longer":
        return make("POST", "/api/items", {"cmd": f"run --thing={value}:extra"})
    return make("POST", "/api/items", f"a=1&thing={value}&b=2")


@settings(max_examples=100, deadline=None)
@given(
    value=ids,
    decoy=ids,
    place=st.sampled_from(PLACES),
    sent_first=st.booleans(),
    gap=st.integers(0, 2),
    path=st.lists(st.sampled_from(["meta", "spec", "status", "ref"]), min_size=1, max_size=3),
    key=st.sampled_from(["id", "uid", "ref"]),
)
def test_random_ids_are_chained_exactly_when_the_rules_say(
    value: str,
    decoy: str,
    place: str,
    sent_first: bool,
    gap: int,
    path: list[str],
    key: str,
) -> None:
    """A value the server made (anywhere in its response) is chained wherever it is used; a
    value the client sent first is not, and neither is one the server never returned."""
    response: dict[str, Any] = {key: value}
    for step in reversed(path):
        response = {step: response}
    first_request = {"name": value if sent_first else "demo"}
    records = [
        make("POST", "/api/things", first_request, {"type": "thing", **response}),
        *(make("GET", "/api/unrelated", None, {"x": "y"}) for _ in range(gap)),
        planted(place, value),
        planted(place, decoy),
    ]
    result = checked(records)
    consumer = len(records) - 2
    assert decoy in literal(result.records[-1]) or decoy in value
    if sent_first:
        assert result.extracts == {} and value in literal(result.records[consumer])
    else:
        assert result.uses[consumer] == {0}
        assert value not in literal(result.records[consumer])
        assert [e.path for e in result.extracts[0]] == [(*path, key)]


CREATES = {
    "c-[5]": ("/v3/cluster", {"type": "cluster"}, "CLUSTER_ID"),
    "cattle-global-nt:nt-[5]": ("/v3/nodetemplate", {"type": "nodeTemplate"}, "NODE_TEMPLATE_ID"),
    "grb-[5]": ("/v3/globalrolebinding", {"type": "globalRoleBinding"}, "GLOBAL_ROLE_BINDING_ID"),
}


@settings(max_examples=100, deadline=None)
@given(
    shape=st.sampled_from(sorted(CREATES)),
    random=st.text(RANCHER_ALPHABET, min_size=5, max_size=5),
    place=st.sampled_from(PLACES),
    seen_before=st.booleans(),
)
def test_inferred_ids_are_chained_exactly_when_the_rules_say(
    shape: str, random: str, place: str, seen_before: bool
) -> None:
    """Without responses: a value of the shape a create makes, used after it and never
    before, is read from that create's response."""
    url, body, var = CREATES[shape]
    value = shape.replace("[5]", random)
    records = [
        make("GET", "/v3/settings", headers=(("x-seen", value if seen_before else "no"),)),
        make("POST", url, body),
        planted(place, value),
    ]
    result = chain(records)
    if seen_before:
        assert result.extracts == {} and value in literal(result.records[2])
    else:
        assert [e.var for e in result.extracts[1]] == [var]
        assert result.extracts[1][0].note.endswith(INFERRED_NOTE)
        assert result.uses == {2: {1}} and var in result.notes[2][0]
        assert_reproduces(result, records, {var: value})


# --- a generated script against a server that issues fresh ids --------------------------


def test_a_chained_capture_replays_with_the_ids_a_new_server_issues(
    recorder: Recorder, tmp_path: Path
) -> None:
    """Chained, planned, emitted as Python and run: every later request carries what the
    loopback server issued on this run (fresh ids, its own action URL, a value that shows
    up only after polling), none of what the capture held."""
    polls = 0

    def respond(received: Received) -> tuple[int, list[tuple[str, str]], bytes]:
        nonlocal polls
        path = received.target.decode().split("?")[0]
        if received.method == "POST" and path == "/v3/cluster":
            cluster = issued["cluster"]
            actions = {"generateKubeconfig": f"{recorder.origin}/v3/k/{cluster}?action=gen"}
            reply: Any = {"id": cluster, "type": "cluster", "actionLinks": actions}
        elif path == f"/v3/clusters/{issued['cluster']}":
            polls += 1
            ready = {"agentName": issued["agent"]} if polls >= 2 else {}
            reply = {"id": issued["cluster"], "type": "cluster", "status": ready}
        else:
            reply = {}
        return 200, [("Content-Type", "application/json")], json.dumps(reply).encode()

    issued = {"cluster": "c-" + secrets.token_hex(3), "agent": "agent-" + secrets.token_hex(4)}
    recorder.responder = respond
    cluster = {
        "id": "c-5nmb8",
        "type": "cluster",
        "actionLinks": {
            "generateKubeconfig": f"{API}/v3/clusters/c-5nmb8?action=generateKubeconfig"
        },
    }
    records = [
        make("POST", "/v3/cluster", {"name": "demo"}, cluster),
        make("GET", "/v3/clusters/c-5nmb8", None, {"id": "c-5nmb8", "status": {}}),
        make(
            "GET",
            "/v3/clusters/c-5nmb8",
            None,
            {"id": "c-5nmb8", "status": {"agentName": "agent-9qz4xk"}},
        ),
        make("POST", "/v3/nodepool", {"clusterId": "c-5nmb8", "agent": "agent-9qz4xk"}),
        make("POST", "/v3/clusters/c-5nmb8?action=generateKubeconfig", ""),
    ]
    result = chain(records)
    assert result.waits == {2: Wait(("status", "agentName"))}
    kept = [0, 2, 3, 4]  # the first poll is not needed: the wait repeats the second
    plan = build_plan([result.records[i] for i in kept], [], redacted=True, header=[])
    plan.mode = "provision"
    for step_, index in zip(plan.steps, kept, strict=True):
        step_.extracts = result.extracts.get(index, [])
        step_.wait = result.waits.get(index)
    env = {"BASE_URL": recorder.origin, "WAIT_INTERVAL": "0.05"}
    completed = run(emit(plan), env, tmp_path)
    assert completed.returncode == 0, completed.stderr.decode()
    sent = [(r.method, r.target.decode(), r.body) for r in recorder.received]
    fresh = issued["cluster"]
    assert [s[:2] for s in sent] == [
        ("POST", "/v3/cluster"),
        ("GET", f"/v3/clusters/{fresh}"),
        ("GET", f"/v3/clusters/{fresh}"),
        ("POST", "/v3/nodepool"),
        ("POST", f"/v3/k/{fresh}?action=gen"),
    ]
    assert json.loads(sent[3][2]) == {"clusterId": fresh, "agent": issued["agent"]}
    assert not any(b"c-5nmb8" in r.target + r.body for r in recorder.received)


def test_notes_say_what_each_value_is() -> None:
    records = read_sample("a_rke1_digitalocean_session.har", "har")
    notes = {e.var: e.note for es in chain(records).extracts.values() for e in es}
    assert notes["CLUSTER_ID"] == "id of the cluster created here"
    assert notes["CLUSTER_SELF_URL"] == "the self link of the cluster"
    assert notes["CLUSTER_GENERATE_KUBECONFIG_URL"] == (
        "the generateKubeconfig action URL offered by the cluster"
    )
    assert notes["USER_ID"] == "id of the user"


def test_deeply_nested_json_is_no_error() -> None:
    deep = "[" * 50000 + "]" * 50000
    records = [
        make("POST", "/v3/cluster", deep, deep.encode()),
        make("POST", "/v3/nodepool", '{"a":' * 3000 + '"c-5nmb8"' + "}" * 3000),
    ]
    assert checked(records).extracts == {}


leaves = st.sampled_from(["c-5nmb8", "x-9qz4x", "c-5nmb8:np-2fgh7", "local", 12345, 7, None, True])
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["id", "a", "clusterId", "links"]), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None)
@given(
    produced=st.dictionaries(st.sampled_from(["id", "name", "ref"]), json_values, min_size=1),
    sent=json_values,
    later=json_values,
    text=st.text(max_size=30),
)
def test_any_json_chains_only_what_reproduces_the_capture(
    produced: Any, sent: Any, later: Any, text: str
) -> None:
    records = [
        make("POST", "/api/a", json.dumps(sent), json.dumps(produced).encode()),
        make("POST", f"/api/b?q={text}", json.dumps(later), json.dumps(later).encode()),
        make("POST", "/api/c", text, b"{}", headers=(("x", text.replace("\n", " ")),)),
    ]
    result = checked(records)
    for index, record in enumerate(result.records):
        if index in result.uses:
            assert extracted(record.request.url) or any(extracted(t) for t in texts(record.request))


def test_a_list_of_several_yields_to_a_later_single_object() -> None:
    listed = {
        "data": [{"id": "local", "type": "cluster"}, {"id": "c-m-7xk2pq4z", "type": "cluster"}]
    }
    records = [
        make("GET", "/v1/management.cattle.io.clusters", None, listed),
        make("GET", "/v1/x/demo", None, {"type": "thing", "status": {}}),
        make(
            "GET", "/v1/x/demo", None, {"type": "thing", "status": {"clusterName": "c-m-7xk2pq4z"}}
        ),
        make("POST", "/v3/clusterregistrationtokens", {"clusterId": "c-m-7xk2pq4z"}),
    ]
    result = checked(records)
    assert result.uses == {3: {2}} and result.waits == {2: Wait(("status", "clusterName"))}


def test_provisioning_v2_flow() -> None:
    """RKE2 on DigitalOcean as the dashboard does it: machine config with generateName,
    cluster, polling until status.clusterName, registration token, kubeconfig, scale up."""
    ns, config, cluster_id = "fleet-default", "nc-demo-v2-pool1-x7k2p", "c-m-7xk2pq4z"
    cluster_url = f"/v1/provisioning.cattle.io.clusters/{ns}/demo-v2"
    cluster = {
        "id": f"{ns}/demo-v2",
        "type": "provisioning.cattle.io.cluster",
        "links": {"self": API + cluster_url, "update": API + cluster_url},
        "metadata": {"name": "demo-v2", "namespace": ns, "resourceVersion": "880211"},
        "spec": {"cloudCredentialSecretName": "cattle-global-data:cc-7xk2p"},
    }
    ready = {**cluster, "status": {"clusterName": cluster_id, "ready": False}}
    spec = {"rkeConfig": {"machinePools": [{"machineConfigRef": {"name": config}}]}}
    records = [
        make(
            "POST",
            "/v3/cloudcredentials",
            {"name": "do"},
            {"id": "cattle-global-data:cc-7xk2p", "type": "cloudCredential"},
        ),
        make(
            "POST",
            f"/v1/rke-machine-config.cattle.io.digitaloceanconfigs/{ns}",
            {"metadata": {"generateName": "nc-demo-v2-pool1-", "namespace": ns}},
            {
                "id": f"{ns}/{config}",
                "type": "rke-machine-config.cattle.io.digitaloceanconfig",
                "metadata": {"name": config, "namespace": ns},
            },
        ),
        make(
            "POST",
            "/v1/provisioning.cattle.io.clusters",
            {
                "metadata": {"name": "demo-v2", "namespace": ns},
                "spec": {"cloudCredentialSecretName": "cattle-global-data:cc-7xk2p", **spec},
            },
            cluster,
        ),
        make("GET", cluster_url, None, {**cluster, "status": {"ready": False}}),
        make("GET", cluster_url, None, ready),
        make(
            "POST",
            "/v3/clusterregistrationtokens",
            {"type": "clusterRegistrationToken", "clusterId": cluster_id},
        ),
        make("POST", f"/v3/clusters/{cluster_id}?action=generateKubeconfig", ""),
        make(
            "PUT",
            cluster_url,
            {
                "id": f"{ns}/demo-v2",
                "metadata": {"name": "demo-v2", "resourceVersion": "880211"},
                "spec": spec,
            },
        ),
    ]
    result = checked(records)
    names = {i: [e.var for e in es] for i, es in result.extracts.items()}
    assert names == {
        0: ["CLOUD_CREDENTIAL_ID"],
        1: ["DIGITALOCEANCONFIG_NAME"],
        4: ["CLUSTER_ID", "CLUSTER_RESOURCE_VERSION"],
    }
    assert result.waits == {4: Wait(("status", "clusterName"))}
    assert result.uses == {2: {0, 1}, 5: {4}, 6: {4}, 7: {1, 4}}
    for record in result.records[2:]:
        assert not any(v in literal(record) for v in (config, cluster_id, "cc-7xk2p", "880211"))
    assert f"{cluster_url}" in literal(result.records[7])  # the name the user typed stays


def test_one_schema_and_schemas_among_dropped_records() -> None:
    one = NORMAN_SCHEMAS["data"][0]
    dropped = [
        make("GET", "/dashboard/app.js", None, b"function(){}"),
        make("GET", "/v3/schemas/nodePool", None, one),
    ]
    records = [
        make("POST", "/v3/cluster", {"name": "demo"}, {"id": "c-5nmb8", "type": "cluster"}),
        make("POST", "/v3/nodePools", {"hostnamePrefix": "c-5nmb8", "clusterId": "c-5nmb8"}),
    ]
    result = checked(records, schemas=dropped)
    assert extracted(result.records[1].request.body) == ["CLUSTER_ID"]
    assert '"hostnamePrefix": "c-5nmb8"' in literal(result.records[1])


def test_small_versions_are_chained_by_key_only() -> None:
    obj = {"id": "fleet-default/demo-v2", "type": "thing", "revision": 3}
    records = [
        make(
            "GET",
            "/v1/things/fleet-default/demo-v2",
            None,
            {**obj, "metadata": {"resourceVersion": "7"}},
        ),
        make(
            "PUT",
            "/v1/things/fleet-default/demo-v2",
            {
                "id": "fleet-default/demo-v2",
                "revision": 3,
                "metadata": {"resourceVersion": "7"},
                "size": 7,
                "n": "7",
            },
        ),
    ]
    result = checked(records)
    body = result.records[1].request.body
    assert extracted(body) == ["THING_REVISION", "THING_RESOURCE_VERSION"]
    assert literal(result.records[1]).endswith('"size": 7, "n": "7"}')


def test_the_id_key_is_the_most_specific_field_of_a_response() -> None:
    made = {"alias": "c-5nmb8", "spec": {"ref": "c-5nmb8"}, "id": "c-5nmb8", "type": "cluster"}
    records = [
        make("POST", "/v3/cluster", {"name": "demo"}, made),
        make("POST", "/v3/nodepool", {"cluster": "c-5nmb8"}),
    ]
    assert [(e.var, e.path) for e in checked(records).extracts[0]] == [("CLUSTER_ID", ("id",))]
