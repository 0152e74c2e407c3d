"""Provisioning scripts, end to end: every sample capture converted to every target, run
against the fake Rancher (fresh random ids, a new API token, strict references), must
create everything anew with zero integrity errors and no noise requests, and twice with
two cluster names must create two clusters.

The fake Rancher is the oracle: it refuses any id it did not issue, so a script that
hard-codes a captured id, or reads the wrong field, fails here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from capture2code.convert import Conversion, convert
from capture2code.sources import Source
from tests.fake_rancher import FakeRancher
from tests.runners import curl as curl_runner
from tests.runners import http as http_runner
from tests.runners import python as python_runner

SAMPLES = Path(__file__).parent.parent / "samples" / "rancher"
RUNNERS = {"python": python_runner.run, "curl": curl_runner.run, "http": http_runner.run}
# Requests a provisioning script must not send: what the browser did for itself.
NOISE = re.compile(
    r"^/(?:v3|v1)/schemas|^/v1/counts|^/rancherversion|^/v1/userpreferences|^/meta/proxy/"
    r"|^/v3-public/|^/v3/users|^/v3/principals|^/v1/management\.cattle\.io\.|[?&]limit=-1"
)


@dataclass(frozen=True)
class Sample:
    file: str
    har: str  # the HAR of the same session: its responses hold the captured ids
    clusters: str  # the kind FakeRancher.created counts clusters under


# More polls than the capture made before the cluster was ready: only a wait loop passes.
READY_AFTER = 5


SAMPLES_UNDER_TEST = {
    "rke1-har": Sample(
        "a_rke1_digitalocean_session.har", "a_rke1_digitalocean_session.har", "cluster"
    ),
    "rke1-curl": Sample(
        "b_copy_all_as_curl_bash.txt", "a_rke1_digitalocean_session.har", "cluster"
    ),
    "rke2-har": Sample(
        "c_rke2_digitalocean_session.har", "c_rke2_digitalocean_session.har", "provisioningcluster"
    ),
}


def captured_ids(har: Path) -> set[str]:
    """Ids the server made in the capture: `id` and `metadata.name` of created objects,
    and the management cluster name of a provisioning cluster."""
    ids: set[str] = set()
    typed: set[str] = set()  # names the user typed: the script's parameter defaults
    for entry in json.loads(har.read_text("utf-8"))["log"]["entries"]:
        sent = entry["request"].get("postData", {}).get("text") or ""
        if sent.startswith("{"):
            request_body = json.loads(sent)
            typed.add(str(request_body.get("name")))
            typed.add(str((request_body.get("metadata") or {}).get("name")))
        text = entry["response"].get("content", {}).get("text") or ""
        if entry["request"]["method"] not in ("POST", "GET") or not text.startswith("{"):
            continue
        body = json.loads(text)
        if entry["request"]["method"] == "POST" and isinstance(body.get("id"), str):
            ids.add(body["id"])
        cluster_name = (body.get("status") or {}).get("clusterName")
        if isinstance(cluster_name, str):
            ids.add(cluster_name)
    for value in list(ids):  # "ns:name" and "ns/name": the name part alone, too
        ids.add(re.split(r"[:/]", value)[-1])
    return {value for value in ids - typed if len(value) >= 5}


def _convert(sample: Sample, target: str) -> Conversion:
    path = SAMPLES / sample.file
    return convert([Source(path.name, path=path)], target=target, output_name=f"script.{target}")


def _env(conversion: Conversion, rancher: FakeRancher) -> dict[str, str]:
    env = {var.name: var.value for var in conversion.plan.env if var.value is not None}
    env.update(BASE_URL=rancher.origin, RANCHER_TOKEN=rancher.token, WAIT_INTERVAL="0.2")
    return env


def _run(target: str, conversion: Conversion, env: dict[str, str], cwd: Path, **params: str):
    cwd.mkdir(parents=True, exist_ok=True)
    return RUNNERS[target](conversion.emitted, env, cwd, params=params or None)


@pytest.mark.parametrize("target", sorted(RUNNERS))
@pytest.mark.parametrize("name", sorted(SAMPLES_UNDER_TEST))
def test_a_capture_provisions_again_with_fresh_ids(name: str, target: str, tmp_path: Path) -> None:
    sample = SAMPLES_UNDER_TEST[name]
    conversion = _convert(sample, target)
    text = conversion.emitted.text
    left = sorted(value for value in captured_ids(SAMPLES / sample.har) if value in text)
    assert not left, f"captured ids hard-coded in the script: {left}"
    assert "CANARY" not in text
    with FakeRancher(cluster_ready_after=READY_AFTER) as rancher:
        result = _run(target, conversion, _env(conversion, rancher), tmp_path)
        assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]
        assert rancher.errors == []
        noise = [seen.path for seen in rancher.requests if NOISE.search(seen.path)]
        assert noise == []
        assert len(rancher.created(sample.clusters)) == 1
        said = (result.stdout + result.stderr).decode(errors="replace")
        assert "CANARY" not in said and rancher.token not in said
        kubeconfig = tmp_path / "kubeconfig.yaml"
        assert kubeconfig.stat().st_mode & 0o777 == 0o600
        assert "kubeconfig-user-" in kubeconfig.read_text() and "kubeconfig.yaml" in said


@pytest.mark.parametrize("target", sorted(RUNNERS))
@pytest.mark.parametrize("name", ["rke1-har", "rke2-har"])
def test_two_cluster_names_make_two_clusters(name: str, target: str, tmp_path: Path) -> None:
    sample = SAMPLES_UNDER_TEST[name]
    conversion = _convert(sample, target)
    names = {param.name for param in conversion.plan.params}
    assert "CLUSTER_NAME" in names
    with FakeRancher(cluster_ready_after=READY_AFTER) as rancher:
        env = _env(conversion, rancher)
        for number, cluster in enumerate(("first-cluster", "second-cluster")):
            result = _run(target, conversion, env, tmp_path / str(number), CLUSTER_NAME=cluster)
            assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]
        assert rancher.errors == []
        created = rancher.created(sample.clusters)
        names_made = sorted(
            item.get("name") or item.get("metadata", {}).get("name") for item in created
        )
        assert names_made == ["first-cluster", "second-cluster"]


@pytest.mark.parametrize("target", sorted(RUNNERS))
def test_a_second_run_with_the_same_name_stops_on_the_conflict(target: str, tmp_path: Path) -> None:
    conversion = _convert(SAMPLES_UNDER_TEST["rke1-har"], target)
    with FakeRancher(cluster_ready_after=READY_AFTER) as rancher:
        env = _env(conversion, rancher)
        assert _run(target, conversion, env, tmp_path / "1").returncode == 0
        second = _run(target, conversion, env, tmp_path / "2")
        assert second.returncode != 0
        said = (second.stdout + second.stderr).decode(errors="replace")
        assert "409" in said and "CLUSTER_NAME" in said
