"""Provisioning's session rewriting over the Rancher sample and hand-made records."""

from __future__ import annotations

from pathlib import Path

from capture2code.plan import EnvVar
from capture2code.record import Record, Request
from capture2code.redact import redact
from capture2code.session import cookies, provision_auth
from capture2code.sources import Source, read_input
from capture2code.template import Text, Var

SAMPLE = Path(__file__).parent / "data" / "canary" / "a_rke1_digitalocean_session.har"
BROWSER_ONLY = {"user-agent", "origin", "referer", "priority", "accept-language", "cookie"}


def _sample() -> tuple[list[Record], list[EnvVar]]:
    redaction = redact(read_input(Source(SAMPLE.name, path=SAMPLE), "har").records)
    return redaction.records, redaction.env


def _names(record: Record) -> set[str]:
    return {name.lower() for name, _ in record.request.headers}


def _request(url: str, *headers: tuple[str, Text], method: str = "POST") -> Record:
    return Record(Request(method, Text.of(url), list(headers)))


def test_the_rancher_session_becomes_a_bearer_token_and_browser_headers_go() -> None:
    records, env = _sample()
    rewrite = provision_auth(records, env, keep_login=False)
    api = [
        r
        for i, r in enumerate(rewrite.records)
        if i not in rewrite.dropped and "rancher.example.test/v3/" in r.request.url.literal_str()
    ]
    assert api
    for record in api:
        names = _names(record)
        assert not names & BROWSER_ONLY
        assert not any(n.startswith(("sec-ch-", "sec-fetch-")) for n in names)
        assert "x-api-csrf" not in names and "content-length" not in names
        assert record.request.header("authorization") == Text.of("Bearer ", Var("RANCHER_TOKEN"))
    assert not rewrite.env  # RANCHER_TOKEN is the session cookie's variable, already known
    assert "Bearer" in rewrite.described["RANCHER_TOKEN"]
    assert "captured as cookie R_SESS" in rewrite.described["RANCHER_TOKEN"]


def test_the_login_call_is_dropped_unless_kept() -> None:
    records, env = _sample()
    logins = [i for i, r in enumerate(records) if "action=login" in r.request.url.literal_str()]
    assert len(logins) == 1
    dropped = provision_auth(records, env, keep_login=False).dropped
    assert list(dropped) == logins and "RANCHER_TOKEN" in dropped[logins[0]]
    kept = provision_auth(records, env, keep_login=True)
    assert not kept.dropped
    login = kept.records[logins[0]]
    assert b'"responseType":"token"' in login.request.body.pieces[0]  # type: ignore[union-attr]
    assert [e.path for e in kept.extracts[logins[0]]] == [("token",)]
    later = kept.records[logins[0] + 5]
    assert later.request.header("authorization") == Text.of(
        "Bearer ", Var("RANCHER_TOKEN", "extracted")
    )
    assert kept.replaced == {"RANCHER_TOKEN"}


def test_a_sanitized_capture_asks_for_the_token() -> None:
    csrf = Text.of(Var("CSRF_TOKEN"))
    record = _request("https://r.test/v3/clusters", ("X-Api-Csrf", csrf))
    rewrite = provision_auth([record], [], keep_login=False)
    assert rewrite.records[0].request.header("authorization") == Text.of(
        "Bearer ", Var("RANCHER_TOKEN")
    )
    assert [var.name for var in rewrite.env] == ["RANCHER_TOKEN"]
    assert "Account & API Keys" in rewrite.env[0].description


def test_keep_session_auth_keeps_cookies_but_drops_browser_headers() -> None:
    cookie = Text.of("R_SESS=", Var("RANCHER_TOKEN"), "; CSRF=", Var("CSRF_TOKEN"))
    record = _request(
        "https://r.test/v3/clusters",
        ("Cookie", cookie),
        ("X-Api-Csrf", Text.of(Var("CSRF_TOKEN"))),
        ("User-Agent", Text.of("Mozilla/5.0 (X11; Linux x86_64) Chrome/126")),
    )
    rewrite = provision_auth([record], [], keep_login=False, session=False)
    assert [n for n, _ in rewrite.records[0].request.headers] == ["Cookie", "X-Api-Csrf"]


def test_an_existing_authorization_header_stays_and_a_curl_agent_is_kept() -> None:
    record = _request(
        "https://r.test/v3/clusters",
        ("Authorization", Text.of("Bearer ", Var("API_TOKEN"))),
        ("User-Agent", Text.of("curl/7.88.1")),
        ("Cookie", Text.of("R_SESS=", Var("RANCHER_TOKEN"))),
    )
    headers = provision_auth([record], [], keep_login=False).records[0].request.headers
    assert headers == [
        ("Authorization", Text.of("Bearer ", Var("API_TOKEN"))),
        ("User-Agent", Text.of("curl/7.88.1")),
    ]


def test_without_redaction_the_captured_session_value_is_the_token() -> None:
    record = _request("https://r.test/v3/x", ("Cookie", Text.of("R_LOCALE=en; R_SESS=token-a:b")))
    rewrite = provision_auth([record], [], keep_login=False)
    assert rewrite.records[0].request.header("authorization") == Text.of("Bearer token-a:b")
    assert not rewrite.env


def test_other_apis_lose_only_browser_headers() -> None:
    record = _request(
        "https://api.test/things",
        ("Cookie", Text.of("sessionid=", Var("SESSION"))),
        ("Origin", Text.of("https://api.test")),
    )
    rewrite = provision_auth([record], [], keep_login=False)
    assert rewrite.records[0].request.headers == [("Cookie", Text.of("sessionid=", Var("SESSION")))]
    assert not rewrite.notes


def test_cookie_pairs_keep_vars_inside_values() -> None:
    text = Text.of("a=1; R_SESS=", Var("T"), "; CSRF=x", Var("C"), "y; b=")
    assert cookies(text) == [
        ("a", Text.of("1")),
        ("R_SESS", Text.of(Var("T"))),
        ("CSRF", Text.of("x", Var("C"), "y")),
        ("b", Text.of()),
    ]
