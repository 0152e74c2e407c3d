"""The redactor: each catalogue entry (what is a secret and what is not), variable names,
replacement everywhere, responses and websockets, records redacted one at a time."""

from __future__ import annotations

import base64
import json
import re
import string
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from capture2code.plan import EnvVar
from capture2code.record import (
    FormPart,
    Multipart,
    Record,
    Request,
    Response,
    dumps,
    record_from_dict,
    record_to_dict,
)
from capture2code.redact import (
    _LOWER_TO_ASCII,
    CREDENTIAL_CONFIG,
    KUBECONFIG_MARK,
    SECRET_FIELD_PREFIXES,
    SECRET_FIELDS,
    SECRET_KIND,
    SECRET_LAST_WORDS,
    SECRET_PARAMS,
    SECRET_TYPES,
    SHAPES,
    Redactor,
    _quiet,
    _Scan,
    redact,
    secret_field,
)
from capture2code.template import Text, Var, to_placeholders

URL = "https://api.example.test/v1/things"
PLACEHOLDER = re.compile(r"\{\{[A-Za-z_][A-Za-z0-9_]*\}\}")


def make(
    url: str = URL,
    headers: list[tuple[str, str]] | None = None,
    body: str | bytes | Multipart | None = None,
    response: Response | None = None,
    options: dict[str, Any] | None = None,
    method: str = "POST",
) -> Record:
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogateescape")
    request = Request(
        method,
        Text.of(url),
        [(name, Text.of(value)) for name, value in headers or []],
        Text.of(body) if isinstance(body, bytes) else body,
        options=options or {},
    )
    return Record(request, response)


def one(record: Record) -> tuple[Record, dict[str, EnvVar]]:
    redaction = redact([record])
    [out] = redaction.records
    return out, {var.name: var for var in redaction.env}


def header(record: Record, name: str) -> str:
    value = record.request.header(name)
    assert value is not None
    return to_placeholders(value.as_str())


def body(record: Record) -> str:
    assert isinstance(record.request.body, Text)
    return to_placeholders(record.request.body.as_str())


def url(record: Record) -> str:
    return to_placeholders(record.request.url)


def content(record: Record) -> list[str]:
    """The captured texts of a record, placeholders taken out."""
    request, response = record.request, record.response
    texts = [request.url, *(value for _, value in request.headers)]
    if isinstance(request.body, Text):
        texts.append(request.body)
    out = ["".join(p for p in t.as_str() if not isinstance(p, Var)) for t in texts]
    if response is not None:
        out += [value for _, value in response.headers]
        out.append((response.body or b"").decode("utf-8", "surrogateescape"))
    return [PLACEHOLDER.sub("", text) for text in out]


def restore(text: Text, env: dict[str, EnvVar]) -> bytes:
    """What a script sends for `text` with the env file's values exported."""
    out = b""
    for piece in text.as_bytes():
        if isinstance(piece, Var):
            value = env[piece.name].value
            assert value is not None
            out += value.encode("utf-8", "surrogateescape")
        else:
            out += piece
    return out


def restore_placeholders(data: str, env: dict[str, EnvVar]) -> str:
    for name, var in env.items():
        data = data.replace("{{" + name + "}}", var.value or "")
    return data


def assert_restores(original: Record, redacted: Record, env: dict[str, EnvVar]) -> None:
    """With the captured values put back, the record is the captured one, byte for byte."""
    before, after = original.request, redacted.request
    assert restore(after.url, env) == restore(before.url, env)
    assert [(n, restore(v, env)) for n, v in after.headers] == [
        (n, restore(v, env)) for n, v in before.headers
    ]
    if isinstance(before.body, Text):
        assert isinstance(after.body, Text)
        assert restore(after.body, env) == restore(before.body, env)
    if original.response is not None:
        assert redacted.response is not None
        got = redacted.response
        assert [(n, restore_placeholders(v, env)) for n, v in got.headers] == list(
            original.response.headers
        )
        if original.response.body is not None:
            assert got.body is not None
            text = got.body.decode("utf-8", "surrogateescape")
            restored = restore_placeholders(text, env).encode("utf-8", "surrogateescape")
            assert restored == original.response.body


# --- headers -------------------------------------------------------------------------------


def test_bearer_keeps_its_scheme_and_names_the_token() -> None:
    out, env = one(make(headers=[("Authorization", "Bearer s3cr3t-t0ken-value")]))
    assert header(out, "authorization") == "Bearer {{API_TOKEN}}"
    assert env["API_TOKEN"].value == "s3cr3t-t0ken-value"
    assert env["API_TOKEN"].description == "API token; captured as header Authorization"
    assert out.redacted == [{"where": "header:authorization", "var": "API_TOKEN"}]


def test_rancher_bearer_token_is_rancher_token() -> None:
    token = "token-ab1cd:q8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3"
    out, env = one(make(headers=[("Authorization", f"Bearer {token}")]))
    assert header(out, "authorization") == "Bearer {{RANCHER_TOKEN}}"
    assert env["RANCHER_TOKEN"].value == token


def test_basic_credentials_are_one_variable_named_by_user() -> None:
    encoded = base64.b64encode(b"alice:W0nderland-Pass").decode()
    record = make(
        headers=[("Authorization", f"Basic {encoded}")],
        body='{"note": "W0nderland-Pass"}',
    )
    out, env = one(record)
    assert header(out, "authorization") == "Basic {{BASIC_AUTH}}"
    assert env["BASIC_AUTH"].value == encoded
    description = env["BASIC_AUTH"].description
    assert "for user alice" in description and "W0nderland" not in description
    # the decoded password is a secret of its own, wherever else it turns up
    assert body(out) == '{"note": "{{BASIC_AUTH_PASSWORD}}"}'
    assert env["BASIC_AUTH_PASSWORD"].value == "W0nderland-Pass"


def test_basic_user_that_is_a_key_is_not_shown() -> None:
    encoded = base64.b64encode(b"sk_live_4eC39HqLyjWDarjtT1zdp7dc:").decode()
    out, env = one(make(headers=[("Authorization", f"Basic {encoded}")]))
    assert header(out, "authorization") == "Basic {{BASIC_AUTH}}"
    assert "sk_live" not in env["BASIC_AUTH"].description


@pytest.mark.parametrize(
    "value, expected, name",
    [
        ("Digest username=x, response=abcdef0123", "Digest {{DIGEST_AUTH}}", "DIGEST_AUTH"),
        ("opaque-credential-1234", "{{AUTHORIZATION}}", "AUTHORIZATION"),
        ("Custom abcdef0123456", "Custom {{AUTHORIZATION}}", "AUTHORIZATION"),
    ],
)
def test_other_schemes(value: str, expected: str, name: str) -> None:
    out, env = one(make(headers=[("Authorization", value)]))
    assert header(out, "authorization") == expected
    assert name in env


def test_proxy_authorization() -> None:
    encoded = base64.b64encode(b"proxyuser:pr0xy-pass").decode()
    out, env = one(make(headers=[("Proxy-Authorization", f"Basic {encoded}")]))
    assert header(out, "proxy-authorization") == "Basic {{PROXY_BASIC_AUTH}}"
    assert env["PROXY_BASIC_AUTH"].value == encoded


def test_cookies_one_by_one() -> None:
    cookie = (
        "R_PCS=light; R_LOCALE=en-us; R_THEME=dark; R_REDIRECTED=true; "
        "CSRF=71a6910f6e5c6d41a1316ae1e7a80c02; "
        "R_SESS=token-hx7vq:ngq2cd9wfpxcvjcdrrdkdwrc9xfk22xcxxqck; "
        "JSESSIONID=A1B2C3D4E5F6; _ga=GA1.1.1408722041.1719393246; "
        "tracker=0123456789abcdefXYZ; short=abc123"
    )
    out, env = one(make(headers=[("Cookie", cookie)]))
    assert header(out, "cookie") == (
        "R_PCS=light; R_LOCALE=en-us; R_THEME=dark; R_REDIRECTED=true; CSRF={{CSRF_TOKEN}}; "
        "R_SESS={{RANCHER_TOKEN}}; JSESSIONID={{JSESSIONID_COOKIE}}; "
        "_ga=GA1.1.1408722041.1719393246; tracker={{TRACKER_COOKIE}}; short=abc123"
    )
    assert env["RANCHER_TOKEN"].description == "Rancher API token; captured as cookie R_SESS"
    assert {"where": "header:cookie:R_SESS", "var": "RANCHER_TOKEN"} in out.redacted


def test_csrf_cookie_and_header_share_one_variable() -> None:
    csrf = "71a6910f6e5c6d41a1316ae1e7a80c02"
    out, env = one(make(headers=[("Cookie", f"CSRF={csrf}"), ("X-Api-Csrf", csrf)]))
    assert header(out, "x-api-csrf") == "{{CSRF_TOKEN}}"
    assert header(out, "cookie") == "CSRF={{CSRF_TOKEN}}"
    assert list(env) == ["CSRF_TOKEN"]


def test_set_cookie_in_a_response_keeps_its_attributes() -> None:
    token = "token-hx7vq:ngq2cd9wfpxcvjcdrrdkdwrc9xfk22xcxxqck"
    response = Response(
        200,
        [("Set-Cookie", f"R_SESS={token}; Path=/; HttpOnly; Secure"), ("Set-Cookie", "R_PCS=x")],
    )
    later = make(headers=[("Cookie", f"R_SESS={token}")])
    redaction = redact([make(response=response), later])
    first, second = redaction.records
    assert first.response is not None
    assert first.response.headers == [
        ("Set-Cookie", "R_SESS={{RANCHER_TOKEN}}; Path=/; HttpOnly; Secure"),
        ("Set-Cookie", "R_PCS=x"),
    ]
    assert header(second, "cookie") == "R_SESS={{RANCHER_TOKEN}}"
    [var] = redaction.env
    assert var.description == "Rancher API token; captured as Set-Cookie R_SESS in a response"


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("X-Api-Auth-Header", "Bearer dop_v1_" + "a1" * 32, "Bearer {{DIGITALOCEAN_ACCESS_TOKEN}}"),
        ("X-Api-Auth-Header", "Bearer provider-token-1", "Bearer {{PROXIED_API_TOKEN}}"),
        ("X-Amz-Security-Token", "FwoGZXIvYXdzEJr//////////", "{{AWS_SESSION_TOKEN}}"),
        ("X-Api-Key", "k3y-value-1234", "{{API_KEY}}"),
        ("X-Auth-Token", "auth-token-5678", "{{AUTH_TOKEN}}"),
        ("Private-Token", "glpat-abcdefghijklmnopqrst", "{{GITLAB_TOKEN}}"),
        ("X-Vault-Token", "hvs.CAESIabcdef", "{{VAULT_TOKEN}}"),
        ("X-Client-Secret", "client-secret-1", "{{CLIENT_SECRET}}"),
        ("X-CSRF-Token", "csrf-token-value-1", "{{CSRF_TOKEN}}"),
    ],
)
def test_secret_headers(name: str, value: str, expected: str) -> None:
    out, env = one(make(headers=[(name, value)]))
    assert header(out, name) == expected
    assert value.split(" ")[-1] in {var.value for var in env.values()}


@pytest.mark.parametrize(
    "name, value",
    [
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Idempotency-Key", "7f1c2d3e-aaaa-bbbb-cccc-111122223333"),
        ("X-Api-Action-Links", "actionLinks"),
        ("X-Api-No-Challenge", "true"),
        ("User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36"),
        ("Accept", "application/json"),
        ("Content-Type", "application/json"),
        ("Referer", "https://rancher.example.test/dashboard/c/_/manager?clusterId=c-5nmb8"),
        ("sec-ch-ua", '"Not/A)Brand";v="8", "Chromium";v="126"'),
        ("X-Api-Cattle-Auth", "true"),
    ],
)
def test_ordinary_headers_stay(name: str, value: str) -> None:
    out, env = one(make(headers=[(name, value)]))
    assert header(out, name) == value
    assert env == {} and out.redacted == []


def test_referer_with_a_token_in_its_query() -> None:
    referer = "https://app.example.test/callback?state=abc&code=0a1b2c3d4e5f6a7b"
    out, env = one(make(headers=[("Referer", referer)]))
    assert header(out, "referer") == (
        "https://app.example.test/callback?state=abc&code={{AUTH_CODE}}"
    )


# --- URLs ---------------------------------------------------------------------------------


def test_userinfo_password_and_token_user() -> None:
    out, env = one(make(url="https://deploy:pa55-w0rd%21@git.example.test/repo.git"))
    assert url(out) == "https://deploy:{{URL_PASSWORD}}@git.example.test/repo.git"
    assert env["URL_PASSWORD"].value == "pa55-w0rd%21"
    assert "encoded, as captured" in env["URL_PASSWORD"].description
    out, env = one(make(url="https://0123456789abcdef@git.example.test/repo.git"))
    assert url(out) == "https://{{URL_USER_TOKEN}}@git.example.test/repo.git"


@pytest.mark.parametrize(
    "param, name",
    [
        ("token", "TOKEN"),
        ("access_token", "ACCESS_TOKEN"),
        ("api_key", "API_KEY"),
        ("apiKey", "API_KEY"),
        ("key", "API_KEY"),
        ("sig", "SIGNATURE"),
        ("signature", "SIGNATURE"),
        ("password", "PASSWORD"),
        ("secret", "SECRET"),
        ("code", "AUTH_CODE"),
        ("X-Amz-Signature", "AWS_SIGNATURE"),
        ("client_secret", "CLIENT_SECRET"),
        ("refresh_token", "REFRESH_TOKEN"),
    ],
)
def test_secret_query_parameters(param: str, name: str) -> None:
    out, env = one(make(url=f"{URL}?limit=10&{param}=v4lue-0f-it&clusterId=c-5nmb8"))
    assert url(out) == f"{URL}?limit=10&{param}={{{{{name}}}}}&clusterId=c-5nmb8"
    assert env[name].value == "v4lue-0f-it"
    assert out.redacted == [{"where": f"url:query:{param}", "var": name}]


@pytest.mark.parametrize(
    "query",
    [
        "clusterId=c-5nmb8&limit=-1",
        "action=generateKubeconfig",
        "keyword=database&sort=name",
        "tid=G-XXXX0000&cid=1408722041.1719393246",
        "exclude=metadata.managedFields",
        "tokenType=bearer",
        "token=",
        "key=abc",
    ],
)
def test_ordinary_query_parameters_stay(query: str) -> None:
    out, env = one(make(url=f"{URL}?{query}"))
    assert url(out) == f"{URL}?{query}" and env == {}


def test_encoded_query_value_and_its_decoded_form_elsewhere() -> None:
    record = make(
        url=f"{URL}?password=p%40ss%21w0rd",
        body='{"confirm": "p@ss!w0rd"}',
        headers=[("Content-Type", "application/json")],
    )
    out, env = one(record)
    assert url(out) == f"{URL}?password={{{{PASSWORD}}}}"
    assert body(out) == '{"confirm": "{{PASSWORD_DECODED}}"}'
    assert env["PASSWORD"].value == "p%40ss%21w0rd"
    assert env["PASSWORD_DECODED"].value == "p@ss!w0rd"
    assert_restores(record, out, env)


# --- bodies ---------------------------------------------------------------------------------


def test_form_body() -> None:
    record = make(
        headers=[("Content-Type", "application/x-www-form-urlencoded")],
        body="grant_type=authorization_code&code=Spl0xyz123&client_id=web&client_secret=s%2Fcr%2Bt",
    )
    out, env = one(record)
    assert body(out) == (
        "grant_type=authorization_code&code={{AUTH_CODE}}&client_id=web"
        "&client_secret={{CLIENT_SECRET}}"
    )
    assert env["CLIENT_SECRET"].value == "s%2Fcr%2Bt"


def test_multipart_parts() -> None:
    parts = [
        FormPart("username", Text.of(b"admin")),
        FormPart("password", Text.of(b"mult1part-pass")),
        FormPart("config", Text.of(b'{"apiToken": "n3sted-t0ken"}')),
        FormPart("upload", file="key.pem", filename="key.pem"),
    ]
    out, env = one(make(body=Multipart(parts)))
    assert isinstance(out.request.body, Multipart)
    got = [
        None if p.value is None else to_placeholders(p.value.as_str())
        for p in out.request.body.parts
    ]
    assert got == ["admin", "{{PASSWORD}}", '{"apiToken": "{{API_TOKEN}}"}', None]
    assert out.request.body.parts[3].file == "key.pem"


def test_raw_multipart_body() -> None:
    raw = (
        '--XyZ\r\nContent-Disposition: form-data; name="user"\r\n\r\nadmin\r\n'
        '--XyZ\r\nContent-Disposition: form-data; name="password"\r\n\r\nr4w-multi-pass\r\n'
        "--XyZ--\r\n"
    )
    out, env = one(make(headers=[("Content-Type", "multipart/form-data; boundary=XyZ")], body=raw))
    assert "r4w-multi-pass" not in body(out) and "{{PASSWORD}}" in body(out)
    assert "admin" in body(out)


RANCHER_CREDENTIAL = {
    "type": "provisioning.cattle.io/cloud-credential",
    "metadata": {"generateName": "cc-", "namespace": "fleet-default"},
    "digitaloceancredentialConfig": {"accessToken": "plain-do-token-value"},
    "amazonec2credentialConfig": {
        "accessKey": "access-key-value",
        "secretKey": "secret-key-value",
        "defaultRegion": "us-west-2",
    },
    "azurecredentialConfig": {"clientId": "app-id-1", "clientSecret": "azure-secret-1"},
    "name": "do-nyc",
}


def test_cloud_credentials() -> None:
    out, env = one(make(body=json.dumps(RANCHER_CREDENTIAL)))
    sent = json.loads(body(out))
    assert sent["digitaloceancredentialConfig"] == {"accessToken": "{{DIGITALOCEAN_ACCESS_TOKEN}}"}
    assert sent["amazonec2credentialConfig"] == {
        "accessKey": "{{AWS_ACCESS_KEY_ID}}",
        "secretKey": "{{AWS_SECRET_ACCESS_KEY}}",
        "defaultRegion": "us-west-2",
    }
    assert sent["azurecredentialConfig"] == {
        "clientId": "app-id-1",
        "clientSecret": "{{AZURE_CLIENT_SECRET}}",
    }
    assert sent["name"] == "do-nyc" and sent["metadata"]["generateName"] == "cc-"
    assert env["AWS_SECRET_ACCESS_KEY"].description == (
        "cloud credential secret key; captured as JSON field amazonec2credentialConfig.secretKey"
    )


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "secretKey",
        "secret_access_key",
        "accessToken",
        "csrfToken",
        "privateKey",
        "privateKeyData",
        "clientSecret",
        "certificate",
        "sshKey",
        "sshKeyContents",
        "kubeconfig",
        "kubeconfigContent",
        "authEncodedJson",
        "apiKey",
        "encryptionKey",
        "passphrase",
        "adminPassword",
        "passwordConfirm",
        "token",
    ],
)
def test_secret_fields(key: str) -> None:
    assert secret_field(key)
    document = {"spec": {"items": [{"name": "n1", key: "fi3ld-secret-value"}]}}
    out, env = one(make(body=json.dumps(document)))
    assert "fi3ld-secret-value" not in body(out)
    [var] = env.values()
    assert var.value == "fi3ld-secret-value"
    assert out.redacted[0]["where"] == f"body:json:spec.items[0].{key}"


@pytest.mark.parametrize(
    "key",
    [
        "key",
        "publicKey",
        "sortKey",
        "nextPageToken",
        "tokenType",
        "secretName",
        "secretRef",
        "sshKeyFingerprint",
        "sshKeyPath",
        "cloudCredentialId",
        "nodeTemplateId",
        "name",
        "id",
        "description",
        "passwordLength",
        "kubeconfigPath",
    ],
)
def test_ordinary_fields(key: str) -> None:
    assert not secret_field(key)
    document = {key: "ordinary-value-1234", "clusterId": "c-5nmb8"}
    out, env = one(make(body=json.dumps(document)))
    assert body(out) == json.dumps(document) and env == {}


def test_lists_of_secrets() -> None:
    document = {"apiTokens": ["first-listed-token", "second-listed-token"], "keys": ["a1b2c3d4"]}
    out, env = one(make(body=json.dumps(document)))
    assert json.loads(body(out)) == {
        "apiTokens": ["{{API_TOKENS}}", "{{API_TOKENS_2}}"],
        "keys": ["a1b2c3d4"],
    }


def test_links_named_like_secrets_stay() -> None:
    links = {
        "links": {
            "clusterRegistrationTokens": "https://r.test/v3/clusters/c-1/clusterregistrationtokens",
            "secrets": "https://r.test/v3/clusters/c-1/secrets?token=q1w2e3r4t5y6",
        }
    }
    out, env = one(make(body=json.dumps(links)))
    assert json.loads(body(out)) == {
        "links": {
            "clusterRegistrationTokens": "https://r.test/v3/clusters/c-1/clusterregistrationtokens",
            "secrets": "https://r.test/v3/clusters/c-1/secrets?token={{TOKEN}}",
        }
    }


def test_non_string_values_at_secret_keys_stay() -> None:
    document = {"rotateEncryptionKey": False, "token": None, "password": 12345678, "secret": {}}
    out, env = one(make(body=json.dumps(document)))
    assert body(out) == json.dumps(document) and env == {}


def test_empty_and_masked_values_are_not_secrets() -> None:
    document = {"accessToken": "", "password": "********", "sshKeyContents": "", "token": "xyz"}
    out, env = one(make(body=json.dumps(document)))
    assert env == {}


def test_json_inside_a_json_string() -> None:
    inner = json.dumps({"name": "c-5nmb8", "apiToken": 'in"ner/t0ken'})
    outer = json.dumps({"id": "user-p5d2x", "data": {"last-visited": inner}})
    record = make(body=outer)
    out, env = one(record)
    assert "t0ken" not in body(out)
    assert json.loads(json.loads(body(out))["data"]["last-visited"])["name"] == "c-5nmb8"
    [var] = env.values()
    # the variable holds the text as it stands in the outer document, escapes included
    assert var.value is not None and var.value in outer
    assert_restores(record, out, env)


def test_json_escaped_value_is_stored_as_captured() -> None:
    raw = '{"password": "sl\\u0061sh\\/quote\\"s"}'
    record = make(body=raw)
    out, env = one(record)
    assert body(out) == '{"password": "{{PASSWORD}}"}'
    assert env["PASSWORD"].value == 'sl\\u0061sh\\/quote\\"s'
    assert_restores(record, out, env)


def test_kubernetes_secret_data() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db-creds", "namespace": "default"},
        "type": "Opaque",
        "data": {"user": "YWRtaW4=", "pass": "czNjcjN0LXBhc3M="},
        "stringData": {"url": "postgres://db:5432/app"},
    }
    config_map = {"kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "not-secret"}}
    out, env = one(make(body=json.dumps([secret, config_map])))
    sent = json.loads(body(out))
    assert sent[0]["data"] == {"user": "{{DB_CREDS_USER}}", "pass": "{{DB_CREDS_PASS}}"}
    assert sent[0]["stringData"] == {"url": "{{DB_CREDS_URL}}"}
    assert sent[0]["metadata"] == secret["metadata"]
    assert sent[1] == config_map


KUBECONFIG = (
    'apiVersion: v1\nkind: Config\nclusters:\n- name: "demo"\n  cluster:\n'
    '    server: "https://rancher.example.test/k8s/clusters/c-5nmb8"\n'
    'users:\n- name: "demo"\n  user:\n'
    '    token: "kubeconfig-user-p5d2xqz7lm:94hfxx2jpfw5dxczjt4wr7nsxspmk8h57kdxm"\n'
)


def test_kubeconfig_response_and_its_token_later() -> None:
    token = "kubeconfig-user-p5d2xqz7lm:94hfxx2jpfw5dxczjt4wr7nsxspmk8h57kdxm"
    response_body = json.dumps({"baseType": "generateKubeConfigOutput", "config": KUBECONFIG})
    first = make(
        response=Response(200, [("Content-Type", "application/json")], response_body.encode())
    )
    later = make(headers=[("Authorization", f"Bearer {token}")], method="GET")
    records = [first, later]
    redaction = redact(records)
    env = {var.name: var for var in redaction.env}
    one_, two = redaction.records
    assert one_.response is not None and one_.response.body is not None
    assert json.loads(one_.response.body) == {
        "baseType": "generateKubeConfigOutput",
        "config": "{{KUBECONFIG}}",
    }
    assert header(two, "authorization") == "Bearer {{RANCHER_KUBECONFIG_TOKEN}}"
    for original, redacted in zip(records, redaction.records, strict=True):
        assert_restores(original, redacted, env)


def test_kubeconfig_as_text() -> None:
    kubeconfig = KUBECONFIG + "    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVk=\n"
    kubeconfig += "    password: plain-yaml-pass\n"
    out, env = one(make(body=kubeconfig, headers=[("Content-Type", "application/yaml")]))
    assert "94hfxx" not in body(out) and "LS0tLS1C" not in body(out)
    assert "    password: {{KUBECONFIG_PASSWORD}}" in body(out)
    assert "server: " in body(out)


# --- values secret wherever they appear -------------------------------------------------

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\nabc=\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    "value, name",
    [
        (JWT, "JWT"),
        ("token-ab1cd:q8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3", "RANCHER_TOKEN"),
        ("kubeconfig-user-abcde:q8w7e6r5t4y3u2i1o0p9a8s7", "RANCHER_KUBECONFIG_TOKEN"),
        (PEM, "PRIVATE_KEY"),
        ("AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID"),
        ("dop_v1_" + "0f" * 32, "DIGITALOCEAN_ACCESS_TOKEN"),
        ("ghp_" + "A1b2" * 9, "GITHUB_TOKEN"),
        ("github_pat_11ABCDEFG0123456789_abcdefghij", "GITHUB_TOKEN"),
        ("xoxb-123456789012-abcdefABCDEF", "SLACK_TOKEN"),
    ],
)
def test_shapes_anywhere(value: str, name: str) -> None:
    record = make(
        url=f"{URL}/{value}" if "\n" not in value else URL,
        headers=[("X-Note", f"see {value} here")],
        body=json.dumps({"comment": f"pasted: {value}"}),
        response=Response(200, [], f"echo {value}".encode()),
    )
    out, env = one(record)
    assert value not in dumps(out)
    assert env[name].value == value
    assert header(out, "x-note") == f"see {{{{{name}}}}} here"
    assert_restores(record, out, env)


@pytest.mark.parametrize(
    "text",
    [
        "token-abcde",  # a token's name, not the token
        "/v3/tokens/token-abcde",
        "xAKIAIOSFODNN7EXAMPLEx",
        "eyJhbGciOi",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    ],
)
def test_shapes_need_the_whole_shape(text: str) -> None:
    out, env = one(make(headers=[("X-Note", text)]))
    assert header(out, "x-note") == text and env == {}


# --- replaced everywhere ------------------------------------------------------------------


def test_a_secret_is_replaced_everywhere_in_the_capture() -> None:
    registration = "h7ngtrc4d7wx89nn5pztx8sd9dlt54dc65m2x49sm5q4pbsp"
    listing = {
        "data": [
            {
                "type": "clusterRegistrationToken",
                "token": registration,
                "command": f"kubectl apply -f https://r.test/v3/import/{registration}_c-1.yaml",
                "nodeCommand": f"docker run agent --token {registration} --ca-checksum 4f8a",
            }
        ]
    }
    earlier = make(url=f"https://r.test/v3/import/{registration}_c-1.yaml", method="GET")
    response = Response(200, [("Content-Type", "application/json")], json.dumps(listing).encode())
    issued = make(url="https://r.test/v3/clusterregistrationtokens", response=response)
    later = make(body=json.dumps({"manifest": f"{registration}_c-1.yaml"}))
    records = [earlier, issued, later]
    redaction = redact(records)
    env = {var.name: var for var in redaction.env}
    assert list(env) == ["CLUSTER_REGISTRATION_TOKEN"]
    assert all(registration not in dumps(record) for record in redaction.records)
    first = redaction.records[0]
    assert url(first) == "https://r.test/v3/import/{{CLUSTER_REGISTRATION_TOKEN}}_c-1.yaml"
    assert first.redacted == [{"where": "url", "var": "CLUSTER_REGISTRATION_TOKEN"}]
    assert {"where": "response:body:json:data[0].token", "var": "CLUSTER_REGISTRATION_TOKEN"} in (
        redaction.records[1].redacted
    )
    for original, redacted in zip(records, redaction.records, strict=True):
        assert_restores(original, redacted, env)


def test_a_live_capture_replaces_from_the_record_that_reveals_it() -> None:
    """One record at a time: what an earlier record held is already written."""
    secret = "late-found-password-1"
    redactor = Redactor()
    before = redactor.record(make(body=json.dumps({"note": secret})))
    revealing = redactor.record(make(body=json.dumps({"password": secret})))
    after = redactor.record(make(body=json.dumps({"note": secret})))
    assert secret in body(before)
    assert secret not in body(revealing) and secret not in body(after)
    # ...while shaped values are caught wherever they first appear
    shaped = redactor.record(make(body=json.dumps({"note": JWT})))
    assert JWT not in body(shaped)


def test_short_values_are_replaced_only_where_they_stand_alone() -> None:
    record = make(
        url="https://h.test/administration/admin?user=admin",
        body=json.dumps({"username": "admin", "password": "admin"}),
    )
    out, env = one(record)
    assert body(out) == '{"username": "{{PASSWORD}}", "password": "{{PASSWORD}}"}'
    assert url(out) == "https://h.test/administration/{{PASSWORD}}?user={{PASSWORD}}"
    assert_restores(record, out, env)


def test_values_too_short_to_be_secrets() -> None:
    out, env = one(make(body=json.dumps({"password": "abc", "token": "x1"})))
    assert env == {}


def test_many_secrets_take_the_one_pass_search() -> None:
    """A response listing hundreds of tokens: the long values are found in one pass."""
    tokens = [f"listed-token-{index:05d}-{index * 7919:08d}" for index in range(600)]
    listing = json.dumps({"items": [{"name": f"t{i}", "token": t} for i, t in enumerate(tokens)]})
    records = [
        make(response=Response(200, [], listing.encode())),
        make(url=f"https://h.test/use/{tokens[599]}.yaml", headers=[("X-Api-Key", tokens[3])]),
    ]
    redaction = redact(records)
    env = {var.name: var for var in redaction.env}
    assert len(env) == 600
    listed, used = redaction.records
    assert all(token not in dumps(listed) + dumps(used) for token in tokens)
    assert url(used) == "https://h.test/use/{{TOKEN_600}}.yaml"
    assert header(used, "x-api-key") == "{{TOKEN_4}}"
    for original, redacted in zip(records, redaction.records, strict=True):
        assert_restores(original, redacted, env)


def test_longest_secret_wins() -> None:
    pair = "token-ab1cd:q8w7e6r5t4y3u2i1o0p9a8s7d6f5"
    out, env = one(make(headers=[("Authorization", f"Bearer {pair}"), ("X-Name", "token-ab1cd")]))
    assert header(out, "authorization") == "Bearer {{RANCHER_TOKEN}}"
    assert header(out, "x-name") == "token-ab1cd"


# --- names ----------------------------------------------------------------------------


def test_rancher_names() -> None:
    login = make(
        url="https://rancher.example.test/v3-public/localProviders/local?action=login",
        headers=[("x-api-csrf", "71a6910f6e5c6d41a1316ae1e7a80c02")],
        body='{"username":"admin","password":"Adm1n-Passw0rd!"}',
    )
    out, env = one(login)
    assert body(out) == '{"username":"admin","password":"{{RANCHER_PASSWORD}}"}'
    assert env["RANCHER_PASSWORD"].description == "password; captured as JSON field password"
    outside, env = one(make(body='{"username":"admin","password":"Adm1n-Passw0rd!"}'))
    assert "PASSWORD" in env


def test_collisions_get_a_suffix_and_names_are_stable_across_records() -> None:
    redactor = Redactor()
    first = redactor.record(make(headers=[("Authorization", "Bearer first-token-1")]))
    second = redactor.record(make(headers=[("Authorization", "Bearer second-token-2")]))
    third = redactor.record(
        make(headers=[("Authorization", "Bearer first-token-1"), ("X-Other", "second-token-2")])
    )
    assert header(first, "authorization") == "Bearer {{API_TOKEN}}"
    assert header(second, "authorization") == "Bearer {{API_TOKEN_2}}"
    assert header(third, "authorization") == "Bearer {{API_TOKEN}}"
    assert header(third, "x-other") == "{{API_TOKEN_2}}"
    assert [(v.name, v.value) for v in redactor.env] == [
        ("API_TOKEN", "first-token-1"),
        ("API_TOKEN_2", "second-token-2"),
    ]


def test_names_avoid_the_plans_own() -> None:
    document = {
        "baseUrlToken": "base-url-token-1",
        "dataB64": "not-a-secret",
        "passwordB64": "cGFzcw",
    }
    out, env = one(make(body=json.dumps(document)))
    assert set(env) == {"SECRET_BASE_URL_TOKEN", "PASSWORD_B64_VALUE"}


def test_nul_bearing_value_is_base64_in_the_env_file() -> None:
    out, env = one(make(body=b"user=admin&password=nul\0byte-pass"))
    assert body(out) == "user=admin&password={{PASSWORD}}"
    assert env["PASSWORD"].base64 and env["PASSWORD"].value == "nul\0byte-pass"
    out, env = one(make(headers=[("X-Api-Key", "nul\0in-header-key")]))
    assert env["API_KEY"].base64 and env["API_KEY"].value == "nul\0in-header-key"


# --- responses, websockets, options ---------------------------------------------------


def test_response_body_and_headers_hold_placeholders() -> None:
    body_ = json.dumps({"token": "resp0nse-t0ken-1", "id": "token-abcde"}).encode()
    response = Response(
        201, [("X-Auth-Token", "resp0nse-t0ken-1"), ("Content-Type", "application/json")], body_
    )
    record = make(response=response)
    out, env = one(record)
    assert out.response is not None
    # named where first found: the headers come before the body
    assert out.response.headers[0] == ("X-Auth-Token", "{{AUTH_TOKEN}}")
    assert json.loads(out.response.body or b"") == {"token": "{{AUTH_TOKEN}}", "id": "token-abcde"}
    assert out.response.status == 201
    assert_restores(record, out, env)


def test_binary_response_body() -> None:
    data = b"\x89PNG\r\n\x1a\n\xff\xfe" + JWT.encode() + b"\x00\x01"
    out, env = one(make(response=Response(200, [], data)))
    assert out.response is not None and out.response.body is not None
    assert out.response.body == b"\x89PNG\r\n\x1a\n\xff\xfe{{JWT}}\x00\x01"


def test_websocket_messages() -> None:
    token = "ws-secret-token-77"
    messages = [
        {"from": "client", "text": json.dumps({"type": "auth", "token": token})},
        {"from": "server", "text": f"welcome {token}"},
        {"from": "server", "base64": base64.b64encode(b"\x00\xffbin " + JWT.encode()).decode()},
        {"from": "client", "base64": "not base64 !!"},
        {"from": "server", "text": "ping"},
    ]
    options = {"websocket": True, "websocket_messages": messages}
    record = make(url="wss://h.test/v1/subscribe", method="GET", options=options)
    out, env = one(record)
    got = out.request.options["websocket_messages"]
    assert got[0] == {"from": "client", "text": '{"type": "auth", "token": "{{AUTH_TOKEN}}"}'}
    assert got[1] == {"from": "server", "text": "welcome {{AUTH_TOKEN}}"}
    assert base64.b64decode(got[2]["base64"]) == b"\x00\xffbin {{JWT}}"
    assert got[3] == messages[3] and got[4] == messages[4]
    assert record.request.options["websocket_messages"] is messages  # the input is untouched
    assert messages[0]["text"].endswith(f'"{token}"}}')
    assert {"where": "websocket:0:json:token", "var": "AUTH_TOKEN"} in out.redacted


def test_other_options_are_redacted_too() -> None:
    options = {"error": f"connection reset by peer after sending {JWT}", "insecure": True}
    out, env = one(make(options=options))
    assert out.request.options == {
        "error": "connection reset by peer after sending {{JWT}}",
        "insecure": True,
    }


# --- records on disk, idempotence, the input untouched ---------------------------------


def test_redacting_records_read_back_changes_nothing() -> None:
    token = "token-ab1cd:q8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3"
    record = make(
        headers=[("Cookie", f"R_SESS={token}; R_LOCALE=en-us")],
        body=json.dumps({"password": "Adm1n-Passw0rd!"}),
        response=Response(
            200, [("Set-Cookie", f"R_SESS={token}")], b'{"token": "' + token.encode() + b'"}'
        ),
    )
    out, env = one(record)
    line = dumps(out)
    back = record_from_dict(json.loads(line))
    again, env_again = one(back)
    assert dumps(again) == line
    assert env_again == {}


def test_the_input_record_is_not_changed() -> None:
    record = make(
        headers=[("Authorization", "Bearer unchanged-token")], body='{"password":"p4ssw0rd"}'
    )
    before = record_to_dict(record)
    one(record)
    assert record_to_dict(record) == before


def test_vars_already_in_the_input_stay() -> None:
    request = Request(
        "GET",
        Text.of("https://h.test/x?token=", Var("TOKEN"), "&a=1"),
        [("Authorization", Text.of("Bearer ", Var("API_TOKEN")))],
    )
    out, env = one(Record(request))
    assert out.request == request and env == {}


def test_messages_can_be_scrubbed() -> None:
    redaction = redact([make(body=json.dumps({"password": "Adm1n-Passw0rd!"}))])
    message = f"line 3: cannot read --data=Adm1n-Passw0rd! near {JWT}"
    assert redaction.scrub(message) == "line 3: cannot read --data=… near …"
    assert Redactor().scrub(message) == "line 3: cannot read --data=Adm1n-Passw0rd! near …"


# --- descriptions and notes never hold a secret ----------------------------------------

secrets = st.one_of(
    st.text(
        st.characters(codec="utf-8", categories=["L", "N", "P", "S"], exclude_characters="{}"),
        min_size=8,
        max_size=40,
    ),
    # bytes that are not UTF-8 (a capture holds them as surrogate escapes)
    st.binary(min_size=8, max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape")),
).filter(lambda s: len(set(s)) > 1 and s.lower() != "undefined" and not re.search(r"[\s;{}=&]", s))


@settings(max_examples=100, deadline=None)
@given(secret=secrets, where=st.sampled_from(["json", "query", "header", "cookie", "form", "resp"]))
def test_secrets_leave_no_trace(secret: str, where: str) -> None:
    from urllib.parse import quote

    if where == "json":
        record = make(body=json.dumps({"spec": {"password": secret}}))
    elif where == "query":
        record = make(url=f"{URL}?token={quote(secret, safe='', errors='surrogateescape')}")
    elif where == "header":
        record = make(headers=[("X-Api-Key", secret)])
    elif where == "cookie":
        record = make(
            headers=[("Cookie", f"session={quote(secret, safe='', errors='surrogateescape')}")]
        )
    elif where == "form":
        record = make(
            headers=[("Content-Type", "application/x-www-form-urlencoded")],
            body=f"password={quote(secret, safe='', errors='surrogateescape')}",
        )
    else:
        body_ = json.dumps({"clientSecret": secret}).encode()
        record = make(response=Response(200, [], body_))
    out, env = one(record)
    assert env, "nothing was redacted"
    texts = content(out)
    values = [var.value for var in env.values() if var.value]
    for value in values:
        assert all(value not in text for text in texts)
        for var in env.values():
            assert value not in var.description
        assert all(value not in note["where"] for note in out.redacted)
    assert_restores(record, out, env)


@settings(max_examples=100, deadline=None)
@given(
    data=st.binary(max_size=200),
    text=st.text(max_size=100)
    | st.binary(max_size=100).map(lambda b: b.decode("utf-8", "surrogateescape")),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=b",
            "",
        ]
    ),
)
def test_malformed_input_never_raises(data: bytes, text: str, content_type: str) -> None:
    record = make(
        url=f"https://h.test/{text}?{text}",
        headers=[("Content-Type", content_type), ("Cookie", text), ("Authorization", text)],
        body=data,
        response=Response(200, [("Set-Cookie", text), ("Content-Type", content_type)], data),
        options={"websocket_messages": [{"from": "client", "base64": text}, {"text": text}, text]},
    )
    out, env = one(record)
    assert_restores(record, out, env)


# --- the fast paths find what the thorough ones find --------------------------------------


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_match_of_a_shape_begins_with_one_of_its_starts(data: st.DataObject) -> None:
    """A shape is searched for only where one of its starts occurs: a shape whose starts
    miss some of its matches fails here."""
    for shape in SHAPES:
        value = data.draw(st.from_regex(shape.pattern, fullmatch=True))
        assert value.startswith(shape.starts)


SHAPED = [
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----",
    "eyJhbGci.eyJzdWIi.",
    "token-ab1:" + "q" * 16,
    "kubeconfig-u-1%3A" + "Q" * 16,
    "AKIAIOSFODNN7EXAMPLE",
    "dop_v1_" + "a" * 20,
    "ghp_" + "a" * 20,
    "github_pat_" + "a" * 20,
    "glpat-" + "a" * 20,
    "xoxb-" + "1" * 10,
    "AIza" + "a" * 35,
    "sk_live_" + "a" * 16,
]
# Texts near the shapes: their starts and whole matches, overlapping, cut short, run
# together, amid word characters.
shape_texts = st.lists(
    st.sampled_from([start for shape in SHAPES for start in shape.starts] + SHAPED)
    | st.sampled_from(SHAPED).flatmap(lambda value: st.sampled_from([value[1:], value[:-1]]))
    | st.text("aA0_- .:\nKQZ", min_size=1, max_size=24),
    max_size=12,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=shape_texts)
def test_shape_search_finds_what_the_pattern_finds(text: str) -> None:
    for shape in SHAPES:
        expected = [match.span() for match in shape.pattern.finditer(text)]
        assert [match.span() for match in shape.finditer(text)] == expected


def _spelled(word: str, cuts: list[tuple[int, str]], upper: set[int], kelvin: bool) -> str:
    """`word` with some letters upper-cased, `cut`s inserted at positions, perhaps its `k` a
    Kelvin sign (which lowers to `k`)."""
    letters = [c.upper() if i in upper else c for i, c in enumerate(word)]
    for at, cut in sorted(cuts, reverse=True):
        letters.insert(at % (len(word) + 1), cut)
    spelled = "".join(letters)
    return spelled.replace("k", "\u212a", 1) if kelvin else spelled


# Ways a name's letters come apart in a capture: separators, escapes once serialised,
# URL escapes, characters whose lower case is ASCII.
CUTS = ["_", "-", ".", " ", "\n", "\t", "é", "\u212a", "\u0130", "%2D", "%70", "%", "\\", "/"]
SECRET_WORDS = sorted(
    {*SECRET_FIELDS, *SECRET_LAST_WORDS, *SECRET_PARAMS, "credentialConfig", "Secret", "type"}
)
NEUTRAL_WORDS = ["kind", "data", "stringData", "metadata", "name", "links", "url", "spec", "id"]
names = st.builds(
    _spelled,
    st.sampled_from(SECRET_WORDS),
    st.lists(st.tuples(st.integers(0, 20), st.sampled_from(CUTS)), min_size=1, max_size=2),
    st.sets(st.integers(0, 20), max_size=3),
    st.booleans(),
)
neutral = st.recursive(
    st.text(max_size=8) | st.integers() | st.none(),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(NEUTRAL_WORDS), inner, max_size=3),
    max_leaves=6,
)
# One name of the catalogue's, spelled some way, where a reading would find it.
PLACES = {
    "field": lambda name: {name: "s3cr3tvalue"},
    "query": lambda name: {"next": f"https://h.test/p?a=1&{name}=s3cr3tvalue"},
    "userinfo": lambda name: {"next": "https://user:Pa55word@h.test/"},
    "credentials": lambda name: {f"amazonec2{name}": {"x1": "s3cr3tvalue"}},
    "kind": lambda name: {"kind": name, "data": {"x1": "s3cr3tvalue"}},
}


def _placed(place: Any, name: str, around: Any, depth: int) -> list[Any]:
    """`place(name)` beside ordinary values, `depth` times JSON in a JSON string."""
    inner = place(name)
    for _ in range(depth):
        inner = [around, json.dumps(inner)]
    return [around, inner]


placed = st.builds(
    _placed, st.sampled_from(list(PLACES.values())), names, neutral, st.integers(0, 2)
)
# Documents with more of the catalogue's names in them, anywhere.
documents = st.recursive(
    neutral | placed,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(NEUTRAL_WORDS) | names, inner, max_size=3)
    | inner.map(lambda value: json.dumps(value)),  # JSON in a JSON string
    max_leaves=8,
)


def _serialised(document: Any, ascii_only: bool, escape: str, slashes: bool) -> str:
    text = json.dumps(document, ensure_ascii=ascii_only)
    # Characters JSON's own words, numbers, escapes and punctuation do not use may be
    # escaped anywhere.
    text = text.replace(escape, f"\\u{ord(escape):04x}") if escape else text
    return text.replace("/", "\\/") if slashes else text


# Mostly one name where a reading would find it, so that a prefilter that misses its
# spelling finds nothing else to look at either.
bodies = st.one_of(
    st.builds(
        _serialised,
        placed | placed | st.lists(documents, min_size=1, max_size=3),
        st.booleans(),
        st.sampled_from(["", "p", "w", "k", "y", "o", "/", "@", "="]),
        st.booleans(),
    ),
    st.lists(
        st.tuples(names | st.sampled_from(NEUTRAL_WORDS), st.text(max_size=8)), max_size=3
    ).map(lambda pairs: "&".join(f"{name}={value}" for name, value in pairs)),
)


def _read(text: str, content_type: str, thorough: bool) -> tuple[list[Any], dict[str, Any]]:
    redactor = Redactor()
    scan = _Scan(redactor, None, thorough)
    scan.body(text, content_type, "body", "the request body", "")
    return scan.findings, {value: vars(secret) for value, secret in redactor._secrets.items()}


@settings(max_examples=1000, deadline=None)
@given(
    text=bodies,
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", ""]),
)
def test_quiet_bodies_hold_nothing_a_thorough_reading_finds(text: str, content_type: str) -> None:
    event(f"quiet: {_quiet(text)}")
    assert _read(text, content_type, thorough=False) == _read(text, content_type, thorough=True)


@pytest.mark.parametrize(
    "text",
    [
        '{"Pass_Word": "hunter22"}',
        '{"pass\\u0077ord": "hunter22"}',
        '{"pass\\nword": "hunter22"}',
        '{"s%ecret": "hunter22"}',
        '{"\\\\token": "abcdefgh"}',
        '{"a": "{\\"client-secret\\": \\"abcdefgh\\"}"}',
        '{"u": "https://user:pw@h.test/"}',
        '{"u": "https:\\/\\/user:pw@h.test\\/"}',
        '{"u": "https://h.test/?%70assword=abcdefgh"}',
        '{"u": "https://h.test/?\u212aey=abcdefgh"}',
        '{"u": "https://h.test/?%E2%84%AAey=abcdefgh"}',
        '{"u": "https://h.test/?\\u212aey=abcdefgh"}',
        '{"amazonec2credentialConfig": {"accessKey": "abcdefgh"}}',
        '{"kind": "Secret", "data": {"a": "abcdefgh"}}',
        '["apiVersion: v1\\nkind: Config\\nclusters: []"]',
        "x=1&pass%2Dword=abcdefgh",
        "x=1&private.key=abcdefgh",
    ],
)
def test_names_however_spelled_are_not_quiet(text: str) -> None:
    assert not _quiet(text)


@pytest.mark.parametrize(
    "word",
    sorted(
        {*SECRET_FIELDS, *SECRET_FIELD_PREFIXES, *SECRET_LAST_WORDS}
        | {*SECRET_TYPES, SECRET_KIND, CREDENTIAL_CONFIG, KUBECONFIG_MARK}
    ),
)
def test_every_word_of_the_catalogue_is_looked_for(word: str) -> None:
    assert not _quiet(json.dumps({word: "abcdefgh"}))
    assert not _quiet(json.dumps({"note": f"-{word.upper()}-"}))


@pytest.mark.parametrize("param", sorted(SECRET_PARAMS))
def test_every_parameter_of_the_catalogue_is_looked_for(param: str) -> None:
    assert not _quiet(json.dumps({"next": f"https://h.test/?{param}=abcdefgh"}))
    assert not _quiet(f"{{{param.upper()}=abcdefgh")


def test_an_ordinary_api_response_is_quiet() -> None:
    """The fast path is taken: a Rancher list response holds no name of a secret's."""
    resource = {
        "id": "fleet-default/c-m-abc",
        "type": "provisioning.cattle.io.cluster",
        "links": {"self": "https://rancher.example.test/v1/provisioning.cattle.io.clusters/x"},
        "metadata": {
            "name": "c-m-abc",
            "annotations": {"last-applied": json.dumps({"spec": {"replicas": 3}}) + "\n"},
            "labels": {"app.kubernetes.io/managed-by": "rancher"},
            "description": "Créé par l'équipe ✓ <b>&</b>",
        },
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }
    for ascii_only in (False, True):
        text = json.dumps({"type": "collection", "data": [resource] * 3}, ensure_ascii=ascii_only)
        assert _quiet(text)
        assert _quiet(text.replace("<", "\\u003c").replace("&", "\\u0026"))  # Go's escapes


def test_characters_lowered_to_ascii_are_all_known() -> None:
    """`İ` lowers to `i̇`, `K` (Kelvin) to `k`: parameter names are lowered."""
    alnum = set(string.ascii_letters + string.digits)
    found = {
        chr(point)
        for point in range(0x80, 0x110000)
        if not 0xD800 <= point <= 0xDFFF and alnum & set(chr(point).lower())
    }
    assert found == set(_LOWER_TO_ASCII)
