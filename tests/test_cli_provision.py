"""The command line of provisioning mode and `show`: real processes, real files."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

from tests.fake_rancher import FakeRancher
from tests.runners import http as http_runner
from tests.test_cli import ERROR_LINE, run

SAMPLES = Path(__file__).parent.parent / "samples" / "rancher"
HAR = SAMPLES / "a_rke1_digitalocean_session.har"
CURL_TEXT = SAMPLES / "b_copy_all_as_curl_bash.txt"
# Every planted secret of the sample contains CANARY except the CSRF token.
CSRF = "71a6910f6e5c6d41a1316ae1e7a80c02"
# The analytics measurement id is public (the page source holds it): show may print it.
MEASUREMENT_ID = "G-CANARY0000"


def test_show_explains_every_request() -> None:
    result = run("show", str(HAR))
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    lines = out.splitlines()
    rows = [line for line in lines[:-1] if re.match(r"^\s*\d+\s", line)]
    assert len(rows) == 43  # every entry, page loads and static assets too
    assert lines[-1].startswith("43 requests, ")
    assert re.search(r"GET\s+/dashboard/js/app\.5d1c3f0a\.js\s+200\s+dropped\s+static", out)
    assert "CANARY" not in out.replace(MEASUREMENT_ID, "") and CSRF not in out
    assert re.search(r"POST\s+/v3/nodepool\s+201\s+kept", out)
    assert re.search(r"PUT\s+/v1/userpreferences/user-p5d2x\s+200\s+dropped", out)
    assert re.search(r"POST\s+/v3-public/localProviders/local\?action=login.*dropped\s+login", out)
    assert re.search(r"GET\s+/v3/schemas\s+200\s+dropped", out)


def test_show_secrets_names_variables_never_values() -> None:
    result = run("show", str(HAR), "--secrets")
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    for name in ("RANCHER_TOKEN", "RANCHER_PASSWORD", "DIGITALOCEAN_ACCESS_TOKEN", "CSRF_TOKEN"):
        assert name in out
    assert "CANARY" not in out and CSRF not in out


def test_default_modes_and_explicit_faithful() -> None:
    provision = run("convert", str(HAR), "--to", "curl").stdout.decode()
    assert "action=login" not in provision and "sec-fetch-mode" not in provision
    assert "Authorization: Bearer" in provision.replace("authorization", "Authorization")
    faithful = run("convert", str(HAR), "--to", "curl", "--faithful").stdout.decode()
    assert "action=login" in faithful and "sec-fetch-mode" in faithful
    kept_login = run("convert", str(HAR), "--to", "curl", "--keep-login").stdout.decode()
    assert "action=login" in kept_login and "responseType" in kept_login
    everything = run("convert", str(HAR), "--to", "curl", "--all-requests").stdout.decode()
    assert "/v3/schemas" in everything
    excluded = run("convert", str(HAR), "--to", "curl", "--exclude", "nodepool").stdout.decode()
    assert "/v3/nodepool'" not in excluded and "/v3/nodetemplate" in excluded


def test_http_output_gets_a_private_env_json(tmp_path: Path) -> None:
    out = tmp_path / "provision.http"
    env = tmp_path / ".env"
    result = run("convert", str(CURL_TEXT), "--to", "http", "-o", str(out), "--env-file", str(env))
    assert result.returncode == 0, result.stderr.decode()
    private = tmp_path / "http-client.private.env.json"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    values = json.loads(private.read_text())["captured"]
    assert values["DIGITALOCEAN_ACCESS_TOKEN"].startswith("dop_v1_CANARY")
    assert "CANARY" not in out.read_text()
    # httpyac takes the secrets from there: only the origin comes from the environment.
    with FakeRancher(token=values["RANCHER_TOKEN"]) as rancher:
        base = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "NO_COLOR": "1"}
        sent = subprocess.run(
            [*http_runner.command(out), "--env", "captured"],
            cwd=tmp_path,
            env={**base, "BASE_URL": rancher.origin},
            capture_output=True,
            timeout=120,
        )
        assert sent.returncode == 0, sent.stderr.decode(errors="replace")[-2000:]
        assert rancher.errors == [] and len(rancher.created("cluster")) == 1


def test_a_bad_filter_pattern_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "out.py"
    result = run("convert", str(HAR), "--include", "(", "-o", str(out))
    assert result.returncode == 2
    assert ERROR_LINE.match(result.stderr.decode()), result.stderr.decode()
    assert not out.exists()
