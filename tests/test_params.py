"""Typed names become parameters, substituted wherever they stand alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from capture2code.params import Parameters, apply_params, constant_case, find_params
from capture2code.record import Record, Request, Response
from capture2code.redact import redact
from capture2code.sources import Source, read_input
from capture2code.template import Text, Var

SAMPLE = Path(__file__).parent / "data" / "canary" / "a_rke1_digitalocean_session.har"


@dataclass
class Result:
    records: list[Record]
    params: list
    names: dict


def parametrize(records: list[Record], *, taken: set[str]) -> Result:
    found: Parameters = find_params(records, taken=taken)
    return Result(apply_params(records, found.params), found.params, found.names)


def _post(url: str, body: dict, response: dict | None = None) -> Record:
    reply = None if response is None else Response(201, [], json.dumps(response).encode())
    return Record(Request("POST", Text.of(url), [], Text.of(json.dumps(body).encode())), reply)


def test_rke1_sample_names_become_options() -> None:
    records = redact(read_input(Source(SAMPLE.name, path=SAMPLE), "har").records).records
    result = parametrize(records, taken=set())
    assert [(p.name, p.option, p.default) for p in result.params] == [
        ("CLOUD_CREDENTIAL_NAME", "--cloud-credential-name", "do-nyc"),
        ("NODE_TEMPLATE_NAME", "--node-template-name", "do-nyc3-2x4"),
        ("CLUSTER_NAME", "--cluster-name", "demo-rke1"),
    ]
    pool = next(r for r in result.records if r.request.url.literal_str().endswith("/v3/nodepool"))
    assert Var("CLUSTER_NAME", "param") in pool.request.body.pieces  # type: ignore[union-attr]
    assert b'"hostnamePrefix":"' in pool.request.body.pieces[0]  # type: ignore[union-attr]
    assert pool.request.body.pieces[2].startswith(b"-pool1-")  # type: ignore[union-attr]
    for record in result.records:  # the typed names are gone from every request
        literal = b"".join(
            p for p in (record.request.body or Text()).pieces if isinstance(p, bytes)
        )
        assert b"demo-rke1" not in literal and b'"do-nyc"' not in literal


def test_a_name_built_from_another_follows_it() -> None:
    config = _post(
        "https://r.test/v1/rke-machine-config.cattle.io.digitaloceanconfigs/fleet-default",
        {"metadata": {"generateName": "nc-rke2-demo-pool1-", "namespace": "fleet-default"}},
        {"type": "rke-machine-config.cattle.io.digitaloceanconfig", "id": "fleet-default/x"},
    )
    cluster = _post(
        "https://r.test/v1/provisioning.cattle.io.clusters",
        {"type": "provisioning.cattle.io.cluster", "metadata": {"name": "rke2-demo"}},
    )
    get = Record(Request("GET", Text.of("https://r.test/v1/x/fleet-default/rke2-demo?a=rke2-demo")))
    result = parametrize([config, cluster, get], taken=set())
    assert [p.name for p in result.params] == ["CLUSTER_NAME"]
    assert result.records[0].request.body.pieces[1] == Var("CLUSTER_NAME", "param")  # type: ignore[union-attr]
    assert result.records[2].request.url == Text.of(
        "https://r.test/v1/x/fleet-default/",
        Var("CLUSTER_NAME", "param"),
        "?a=",
        Var("CLUSTER_NAME", "param"),
    )
    assert result.names[1] == ("cluster", Text.of(Var("CLUSTER_NAME", "param")))


def test_values_inside_words_short_values_and_stop_words_stay() -> None:
    records = [
        _post("https://demo.test/v3/cluster", {"type": "cluster", "name": "demo"}),
        _post("https://demo.test/v3/thing", {"type": "thing", "name": "local"}),
        _post("https://demo.test/v3/other", {"type": "other", "name": "ab", "x": "demonstrate"}),
    ]
    result = parametrize(records, taken=set())
    assert [p.default for p in result.params] == ["demo"]
    assert result.records[0].request.url == Text.of("https://demo.test/v3/cluster")
    assert b"demonstrate" in result.records[2].request.body.pieces[0]  # type: ignore[union-attr]


def test_names_taken_get_a_suffix_and_actions_create_nothing() -> None:
    records = [
        _post("https://r.test/v3/cluster", {"type": "cluster", "name": "alpha"}),
        _post("https://r.test/v3/clusters/c-1?action=x", {"name": "beta"}),
        _post("https://r.test/v3/cluster", {"type": "cluster", "name": "gamma"}),
    ]
    result = parametrize(records, taken={"CLUSTER_NAME"})
    assert [(p.name, p.default) for p in result.params] == [
        ("CLUSTER_NAME_2", "alpha"),
        ("CLUSTER_NAME_3", "gamma"),
    ]


def test_constant_case() -> None:
    assert constant_case("cloudCredential") == "CLOUD_CREDENTIAL"
    assert constant_case("cloud-credential") == "CLOUD_CREDENTIAL"
    assert constant_case("digitaloceanconfig") == "DIGITALOCEANCONFIG"
