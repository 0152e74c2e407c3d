"""`show` tables: the requests with what is kept and why, and the secrets found; aligned,
deterministic, and never a secret value (checked with the Rancher samples' canaries)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capture2code.filters import FilterOptions, classify
from capture2code.plan import EnvVar
from capture2code.record import Record, Request, request_target
from capture2code.redact import redact
from capture2code.show import Row, requests_table, secrets_table
from capture2code.sources.curl import read_curl
from capture2code.sources.har import read_har_file
from capture2code.template import Text, Var

DATA = Path(__file__).parent / "data" / "canary"

# The values the samples' README lists as planted (all but the CSRF value contain CANARY).
PLANTED = [
    "CANARY-Adm1n-Passw0rd!",
    "token-hx7vq:CANARYngq2cd9wfpxcvjcdrrdkdwrc9xfk22xcxxqckcwgmrgwfxmw",
    "CANARYngq2cd9wfpxcvjcdrrdkdwrc9xfk22xcxxqckcwgmrgwfxmw",
    "71a6910f6e5c6d41a1316ae1e7a80c02",
    "dop_v1_CANARY73e2069a77637a8fc306eed2dc0731c7ed80349fbbee0bf7c16",
    "kubeconfig-user-p5d2xqz7lm:CANARY94hfxx2jpfw5dxczjt4wr7nsxspmk8h57kdxmvtn6smzdfvr",
    "CANARYh7ngtrc4d7wx89nn5pztx8sd9dlt54dc65m2x49sm5q4pbsp",
]


# --- requests_table ----------------------------------------------------------------------------

ROWS = [
    Row(1, "GET", "/v3/schemas", 200, False, "Rancher schema fetch"),
    Row(2, "POST", "/v3/cluster?_replace=true", 201, True, "creates or changes something"),
    Row(10, "GET", "/v1/subscribe", None, False, "websocket"),
]


def test_requests_table_layout() -> None:
    assert requests_table(ROWS) == (
        " #  METHOD  PATH                       STATUS  KEPT     WHY\n"
        " 1  GET     /v3/schemas                200     dropped  Rancher schema fetch\n"
        " 2  POST    /v3/cluster?_replace=true  201     kept     creates or changes something\n"
        "10  GET     /v1/subscribe              -       dropped  websocket\n"
        "3 requests, 1 kept, 2 dropped\n"
    )


def test_empty_tables() -> None:
    assert requests_table([]) == (
        "#  METHOD  PATH  STATUS  KEPT  WHY\n0 requests, 0 kept, 0 dropped\n"
    )
    assert secrets_table([], []) == (
        "VARIABLE  WHERE  REQUESTS  DESCRIPTION\n0 secrets in 0 variables\n"
    )
    assert requests_table([ROWS[1]]).endswith("\n1 request, 1 kept, 0 dropped\n")


LONG = "/v1/management.cattle.io.clusters/" + "c-abcdefghij" * 8 + "?exclude=metadata.managedFields"


def test_long_paths_are_shortened_in_the_middle_to_the_width() -> None:
    rows = [*ROWS, Row(11, "GET", LONG, 200, False, "list polling")]
    assert LONG in requests_table(rows)  # no width: whole
    lines = requests_table(rows, width=100).splitlines()
    assert max(len(line) for line in lines) == 100
    shortened = lines[4].split()[2]
    head, tail = shortened.split("…")
    assert LONG.startswith(head) and LONG.endswith(tail)
    assert len(head) - len(tail) in (0, 1) and len(shortened) < len(LONG)
    # the short ones stay whole
    assert "/v3/cluster?_replace=true " in lines[2]
    # however narrow the terminal, a path keeps 20 columns
    narrow = requests_table(rows, width=10).splitlines()[4].split()[2]
    assert len(narrow) == 20 and narrow.startswith("/v1/manage…") and narrow.endswith("Fields")


def test_control_characters_cannot_break_the_table_or_drive_the_terminal() -> None:
    rows = [Row(1, "GET", "/x\x1b[2J\ny\u202e\t", 200, False, "read\r")]
    text = requests_table(rows)
    assert len(text.splitlines()) == 3
    assert "\x1b" not in text and "\u202e" not in text and "\r" not in text and "\t" not in text
    assert "/x\\x1b[2J\\x0ay\\u202e\\x09" in text and "read\\x0d" in text


def test_wide_characters_are_aligned_by_their_columns() -> None:
    rows = [Row(1, "GET", "/名前", 200, False, "read"), Row(2, "GET", "/abcde", 200, True, "read")]
    lines = requests_table(rows).splitlines()
    assert "/名前   200" in lines[1]  # 5 columns, padded to 6, then the gap
    assert "/abcde  200" in lines[2]


NARROW = st.characters(
    codec="utf-8",
    categories=["L", "N", "P", "S", "Zs"],
).filter(lambda c: unicodedata.east_asian_width(c) not in "WF" and not unicodedata.combining(c))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["GET", "POST", "DELETE", "OPTIONS"]),
            st.text(NARROW, max_size=60),
            st.none() | st.integers(100, 599),
            st.booleans(),
            st.text(NARROW, max_size=40),
        ),
        max_size=12,
    ),
    st.none() | st.integers(0, 200),
)
def test_requests_table_properties(
    cells: list[tuple[str, str, int | None, bool, str]], width: int | None
) -> None:
    rows = [Row(n, *cell) for n, cell in enumerate(cells, start=1)]
    text = requests_table(rows, width=width)
    assert text == requests_table(rows, width=width)  # deterministic
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == len(rows) + 3
    kept = sum(row.kept for row in rows)
    assert lines[-2] == (
        f"{len(rows)} request{'' if len(rows) == 1 else 's'}, {kept} kept,"
        f" {len(rows) - kept} dropped"
    )
    assert all(line == line.rstrip() for line in lines)
    # the KEPT column starts at the same place on every line
    at = lines[0].index("KEPT")
    for row, line in zip(rows, lines[1:-2], strict=True):
        assert (line[at:] + " ").startswith("kept " if row.kept else "dropped ")
        assert line[at - 8 : at].strip() == ("-" if row.status is None else str(row.status))


# --- secrets_table -----------------------------------------------------------------------------


def noted(*notes: tuple[str, str] | dict[str, str]) -> Record:
    redacted = [n if isinstance(n, dict) else {"where": n[0], "var": n[1]} for n in notes]
    return Record(Request("GET", Text.of("https://h.test/")), redacted=redacted)


ENV = [
    EnvVar("RANCHER_TOKEN", "Rancher API token", value="token-abcde:s3cr3tv4lue"),
    EnvVar("RANCHER_PASSWORD", "password", value="hunter22"),
    EnvVar("CSRF_TOKEN", "CSRF token", value="0a1b2c3d"),
    EnvVar("BASE_URL", "where the API is", default="https://h.test"),
]


def test_secrets_table_layout() -> None:
    records = [
        noted(("body:json:password", "RANCHER_PASSWORD")),
        noted(("header:cookie:R_SESS", "RANCHER_TOKEN"), ("header:x-api-csrf", "CSRF_TOKEN")),
        noted(
            ("header:cookie:R_SESS", "RANCHER_TOKEN"),
            {"where": "url", "var": "CLUSTER_ID", "kind": "extracted"},
        ),
        noted(),
        noted(
            ("response:header:set-cookie:R_SESS", "RANCHER_TOKEN"),
            ("header:cookie:R_SESS", "RANCHER_TOKEN"),
        ),
    ]
    assert secrets_table(records, ENV) == (
        "VARIABLE          WHERE                              REQUESTS  DESCRIPTION\n"
        "RANCHER_PASSWORD  body:json:password                 1         password\n"
        "RANCHER_TOKEN     header:cookie:R_SESS               2-3, 5    Rancher API token\n"
        "RANCHER_TOKEN     response:header:set-cookie:R_SESS  5\n"
        "CSRF_TOKEN        header:x-api-csrf                  2         CSRF token\n"
        "4 secrets in 3 variables\n"
    )


def test_request_numbers_are_ranges() -> None:
    records = [noted(("header:authorization", "API_TOKEN")) for _ in range(4)]
    records[2] = noted()
    records += [noted(("header:authorization", "API_TOKEN"))] * 3
    lines = secrets_table(records, []).splitlines()
    assert lines[1].split("  ")[-1].strip() == "1-2, 4-7"
    assert lines[-1] == "1 secret in 1 variable"


def test_a_value_is_never_printed_even_where_a_name_holds_it() -> None:
    records = [noted(("body:json:tokens.hunter22", "RANCHER_PASSWORD"), ("query:ab", "SHORT"))]
    env = [
        EnvVar("RANCHER_PASSWORD", "typed as hunter22", value="hunter22"),
        EnvVar("SHORT", "a value shorter than a secret is not searched for", value="ab"),
    ]
    text = secrets_table(records, env)
    assert "hunter22" not in text
    assert "body:json:tokens.{{RANCHER_PASSWORD}}" in text
    assert "typed as {{RANCHER_PASSWORD}}" in text
    assert "query:ab" in text  # "ab" is everywhere; replacing it would garble the table


# --- the Rancher samples: no value comes out ---------------------------------------------------


def forms(secret: str) -> list[str]:
    return [secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]]


def _records(name: str) -> list[Record]:
    path = DATA / name
    if name.endswith(".har"):
        return list(read_har_file(path, keep_static=True))
    return read_curl(path.read_text()).records


@pytest.mark.parametrize(
    "name",
    [
        "a_rke1_digitalocean_session.har",
        "b_copy_all_as_curl_bash.txt",
        "b2_copy_as_curl_legacy_chrome.txt",
    ],
)
def test_no_planted_secret_in_either_table(name: str) -> None:
    records = _records(name)
    assert any(secret in (DATA / name).read_text() for secret in PLANTED)
    redaction = redact(records)
    decisions = classify(redaction.records, FilterOptions())
    rows = [
        Row(
            number,
            record.request.method,
            request_target(record),
            None if record.response is None else record.response.status,
            decision.verdict == "keep",
            decision.reason,
        )
        for number, (record, decision) in enumerate(
            zip(redaction.records, decisions, strict=True), start=1
        )
    ]
    secrets = secrets_table(redaction.records, redaction.env)
    tables = requests_table(rows) + requests_table(rows, width=80) + secrets
    captured = [var.value for var in redaction.env if var.value] + PLANTED
    for secret in captured:
        for form in forms(secret):
            assert form not in tables, f"{name}: a form of a secret came out: {form[:10]}…"
    places = {
        (note["var"], note["where"]) for record in redaction.records for note in record.redacted
    }
    lines = secrets.splitlines()
    assert len(lines) == len(places) + 2
    variables = {var for var, _ in places}
    assert lines[-1] == f"{len(places)} secrets in {len(variables)} variables"
    assert variables == {var.name for var in redaction.env}
    for var, where in places:
        assert any(line.startswith(f"{var} ") and f" {where} " in line for line in lines)


def test_the_rke1_sample_table() -> None:
    redaction = redact(_records("a_rke1_digitalocean_session.har"))
    decisions = classify(redaction.records, FilterOptions())
    rows = [
        Row(n, r.request.method, request_target(r), 200, d.verdict == "keep", d.reason)
        for n, (r, d) in enumerate(zip(redaction.records, decisions, strict=True), start=1)
    ]
    lines = requests_table(rows).splitlines()
    assert len(lines) == 45 and lines[-1] == "43 requests, 7 kept, 36 dropped"
    assert lines[21].split(None, 5) == [
        "21",
        "POST",
        lines[21].split()[2],
        "200",
        "dropped",
        "other origin www.google-analytics.com",
    ]
    assert lines[21].split()[2].startswith("/g/collect?v=2&tid=G-CANARY0000&")
    assert lines[41].split(None, 5)[1:] == [
        "GET",
        "/v3/clusterregistrationtokens?clusterId=c-5nmb8",
        "200",
        "kept",
        "returns a secret (registration command)",
    ]


# --- request_target ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "target"),
    [
        (Text.of("https://h.test/v3/x?y=1"), "/v3/x?y=1"),
        (Text.of("https://h.test"), "/"),
        (Text.of("https://h.test?x=1"), "/?x=1"),
        (Text.of("http://u@h.test:8080//a"), "//a"),
        (Text.of("https://h.test/v3/", Var("CLUSTER_ID", "extracted")), "/v3/{{CLUSTER_ID}}"),
        (Text.of("https://h.test/{{x"), "/{{{{x"),
        (Text.of(Var("BASE_URL"), "/v3/x"), "{{BASE_URL}}/v3/x"),
        (Text.of(b"https://h.test/caf\xc3\xa9"), "/café"),
    ],
)
def test_request_target(url: Text, target: str) -> None:
    assert request_target(Record(Request("GET", url))) == target
