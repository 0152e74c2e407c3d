"""Secrets -> environment variables.

A pure function over records: every captured secret is replaced by an env `Var` and
returned as an `EnvVar` whose `value` only the env file ever holds.

How it works, in two steps per record:

1. **Find.** The catalogue below (data tables) names where secrets sit: headers, cookies,
   URL userinfo and query parameters, form and JSON fields (at any depth, also in JSON
   that is itself a string value), Kubernetes Secrets and cloud credentials; SHAPES are
   values that are secrets wherever they appear (JWTs, Rancher tokens, PEM private keys,
   provider key formats). Each secret found is remembered by value, with the forms it may
   take elsewhere (URL-encoded, JSON-escaped, base64, decoded).
2. **Replace.** Every known value is replaced wherever it occurs in the record: the URL,
   every header, bodies, multipart parts, the response's headers and body, websocket
   messages and other request options. Values of MIN_EVERYWHERE characters or more are
   replaced inside larger strings (a registration `command` that embeds a token); shorter
   ones only where they stand alone, so that a short password does not cut words apart.
   Values shorter than MIN_SECRET, masks (`********`) and flags are not secrets. Each
   known value is searched for by itself, or, once there are hundreds, all in one pass.

A capture of a console session holds megabytes of response bodies, so finding is made
cheap where it finds nothing, without changing what it finds: a shape is looked for only
where one of its literal starts occurs (a pattern that opens with a lookbehind is tried at
every position otherwise), and a JSON text is parsed and walked only if it holds one of the
catalogue's words, however spelled (`_quiet`; most API responses hold none). Both come
from the tables; tests compare them with the thorough reading.

Decisions:
- A variable holds exactly the text it replaces, so a script with the env file sends
  byte for byte what was captured. A value JSON-escaped or URL-encoded in the capture is
  stored in that form; the same secret in another form gets its own variable, named
  with a suffix (`_URLENCODED`, `_JSON`, `_BASE64`, `_DECODED`).
- An Authorization value keeps its scheme literal (`Bearer ` + RANCHER_TOKEN). Basic
  credentials are one variable holding the base64 text (a Text cannot compute base64);
  its description names the user, and the decoded password becomes a secret of its own
  in case it appears elsewhere.
- Response bodies and headers are not Texts: a secret there is replaced by the
  placeholder text `{{NAME}}`. A captured `{{` in a response is not escaped (responses are
  never read back through placeholders), so records on disk hold no secret.
- Records redacted one at a time (a live capture) cannot take back what earlier lines
  hold: a value first recognised in a later record is replaced from then on. Secrets are
  recognised where they first appear in practice (a typed password in the login call, a
  token in the response that issues it), and shaped values by their shape anywhere;
  `redact` over a whole capture finds first and replaces after, so it has no such gap.
- Nothing here formats a captured value into an exception or a message: descriptions
  are built from names and positions, then scrubbed of every known secret value.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from capture2code.plan import EnvVar
from capture2code.record import FormPart, Multipart, Record, Request, Response
from capture2code.template import Text, Var

# Values shorter than this are not secrets (nothing credential-like is that short, and
# replacing them everywhere would mangle the capture).
MIN_SECRET = 4
# Values at least this long are replaced inside larger strings too.
MIN_EVERYWHERE = 8
# From this many known values on, one pass over a text finds them faster than a search
# for each (a response listing thousands of tokens).
INDEX_FROM = 400


@dataclass(frozen=True)
class Kind:
    """What a secret is: the variable name it proposes and the words that describe it."""

    name: str
    what: str


# --- the catalogue: values that are secrets wherever they appear ------------------------


@dataclass(frozen=True)
class Shape:
    pattern: re.Pattern[str]
    kind: Kind
    # The literal texts every match begins with. A pattern that opens with a lookbehind
    # makes the regex engine try every position of a text; a body of megabytes is searched
    # for these instead, and the pattern tried only where one occurs.
    starts: tuple[str, ...]
    # The shape names the variable even where a position would (a provider's key is
    # better known as DIGITALOCEAN_ACCESS_TOKEN than as the header it came in).
    names: bool = True

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The matches `pattern.finditer(text)` gives."""
        end = 0
        for at in sorted({at for opening in self.openings for at in _found(opening, text)}):
            match = self.pattern.match(text, at) if at >= end else None
            if match is not None:
                end = match.end()
                yield match

    @cached_property
    def openings(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(pattern) for pattern in _alternatives(self.starts))


def _alternatives(words: Iterable[str]) -> list[str]:
    """Patterns that find `words`, one for each first character: a pattern that opens with
    a literal is searched for far faster than one that opens with a choice (`[sr]k_…`)."""
    words = list(words)
    firsts = dict.fromkeys(word[0] for word in words)
    return ["|".join(re.escape(word) for word in words if word[0] == first) for first in firsts]


def _found(pattern: re.Pattern[str], text: str) -> Iterator[int]:
    """Where `pattern` occurs in `text`, overlaps too."""
    at = 0
    while (found := pattern.search(text, at)) is not None:
        yield found.start()
        at = found.start() + 1


def _shape(
    pattern: str, name: str, what: str, starts: tuple[str, ...], names: bool = True
) -> Shape:
    # Not inside a longer word: `AKIA…` in a base64 blob is not an AWS key id.
    bounded = rf"(?<![A-Za-z0-9_]){pattern}(?![A-Za-z0-9_])"
    return Shape(re.compile(bounded), Kind(name, what), starts, names)


SHAPES: tuple[Shape, ...] = (
    _shape(
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----",
        "PRIVATE_KEY",
        "PEM private key",
        ("-----BEGIN ",),
        names=False,
    ),
    _shape(
        r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*",
        "JWT",
        "JSON Web Token",
        ("eyJ",),
        names=False,
    ),
    # Rancher API tokens `token-xxxxx:secret`, kubeconfig tokens (also URL-encoded).
    _shape(
        r"token-[a-z0-9]+(?::|%3[Aa])[A-Za-z0-9]{16,}",
        "RANCHER_TOKEN",
        "Rancher API token",
        ("token-",),
    ),
    _shape(
        r"kubeconfig-[a-z0-9-]+(?::|%3[Aa])[A-Za-z0-9]{16,}",
        "RANCHER_KUBECONFIG_TOKEN",
        "Rancher kubeconfig token",
        ("kubeconfig-",),
    ),
    _shape(
        r"(?:AKIA|ASIA)[A-Z0-9]{16}",
        "AWS_ACCESS_KEY_ID",
        "AWS access key id",
        ("AKIA", "ASIA"),
    ),
    _shape(
        r"do[opr]_v1_[A-Za-z0-9]{20,}",
        "DIGITALOCEAN_ACCESS_TOKEN",
        "DigitalOcean API token",
        ("doo_v1_", "dop_v1_", "dor_v1_"),
    ),
    _shape(
        r"(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
        "GITHUB_TOKEN",
        "GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    _shape(r"glpat-[A-Za-z0-9_-]{20,}", "GITLAB_TOKEN", "GitLab token", ("glpat-",)),
    _shape(
        r"xox[abposr]-[A-Za-z0-9-]{10,}",
        "SLACK_TOKEN",
        "Slack token",
        ("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"),
    ),
    _shape(r"AIza[0-9A-Za-z_-]{35}", "GOOGLE_API_KEY", "Google API key", ("AIza",)),
    _shape(
        r"[sr]k_(?:live|test)_[A-Za-z0-9]{16,}",
        "STRIPE_SECRET_KEY",
        "Stripe secret key",
        ("sk_live_", "sk_test_", "rk_live_", "rk_test_"),
    ),
)

# --- the catalogue: headers --------------------------------------------------------------

CSRF = Kind("CSRF_TOKEN", "CSRF token")

# Headers of the form `Scheme credentials`: the scheme stays literal, the credentials
# become a variable named from the scheme, with this prefix.
AUTH_HEADERS: dict[str, str] = {
    "authorization": "",
    "proxy-authorization": "PROXY_",
    # Rancher's /meta/proxy forwards it as the provider API's Authorization.
    "x-api-auth-header": "PROXIED_",
}
AUTH_SCHEMES: dict[str, Kind] = {
    "bearer": Kind("API_TOKEN", "API token"),
    "token": Kind("API_TOKEN", "API token"),
    "basic": Kind("BASIC_AUTH", "Basic credentials (base64 of user:password)"),
    "digest": Kind("DIGEST_AUTH", "Digest credentials"),
    "aws4-hmac-sha256": Kind("AWS_SIGNATURE", "AWS signature credentials"),
    "negotiate": Kind("NEGOTIATE_AUTH", "Negotiate credentials"),
}
UNKNOWN_SCHEME = Kind("AUTHORIZATION", "credentials")

# Request and response headers whose whole value is a credential.
SECRET_HEADERS: dict[str, Kind] = {
    "x-api-csrf": CSRF,
    "x-csrf-token": CSRF,
    "x-xsrf-token": CSRF,
    "csrf-token": CSRF,
    "x-amz-security-token": Kind("AWS_SESSION_TOKEN", "AWS session token"),
    "x-api-key": Kind("API_KEY", "API key"),
}
# Other header names that look like keys or tokens (X-Auth-Token, Private-Token, …).
SECRET_HEADER_NAME = re.compile(
    r"(?:^|-)(?:api-?key|key|token|secret|password|passwd|signature|session(?:-?id)?|"
    r"credentials?|auth)$",
    re.IGNORECASE,
)
NOT_SECRET_HEADERS: frozenset[str] = frozenset(
    {"sec-websocket-key", "sec-websocket-accept", "idempotency-key", "x-amz-content-sha256"}
)
# Headers holding a URL whose query or userinfo may carry a secret.
URL_HEADERS: frozenset[str] = frozenset({"referer", "location", "content-location"})

# --- the catalogue: cookies --------------------------------------------------------------

SECRET_COOKIES: dict[str, Kind] = {
    "r_sess": Kind("RANCHER_TOKEN", "Rancher API token"),
    "csrf": CSRF,
    "xsrf-token": CSRF,
    "csrftoken": CSRF,
    "csrf_token": CSRF,
    "_csrf": CSRF,
}
# Session, CSRF and auth cookies by name; preference and analytics cookies by name.
SECRET_COOKIE_NAME = re.compile(
    r"sess|csrf|xsrf|token|auth|jwt|secret|passw|cred|(?:^|[_.-])(?:sid|key|login|remember)",
    re.IGNORECASE,
)
PREFERENCE_COOKIE_NAME = re.compile(
    r"^(?:r_(?:locale|pcs|theme|redirected)|_ga.*|_gid|_gat.*|_fbp|"
    r".*(?:lang|language|locale|theme|consent|timezone))$",
    re.IGNORECASE,
)
# A cookie named neither way is a secret when its value is this long: opaque session ids
# come under every name, preferences are short words.
OPAQUE_COOKIE_LENGTH = 16

# --- the catalogue: query parameters and fields -----------------------------------------

# Query (and form) parameter names, compared lower-case without `_`, `-` and `.`; the
# value is the variable name (None: the parameter's own name).
SECRET_PARAMS: dict[str, str | None] = {
    "token": None,
    "accesstoken": None,
    "idtoken": None,
    "refreshtoken": None,
    "authtoken": None,
    "apikey": "API_KEY",
    "key": "API_KEY",
    "sig": "SIGNATURE",
    "signature": None,
    "password": None,
    "passwd": "PASSWORD",
    "secret": None,
    "clientsecret": None,
    "code": "AUTH_CODE",
    "auth": None,
    "session": None,
    "sessionid": None,
    "jwt": None,
    "xamzsignature": "AWS_SIGNATURE",
    "xamzcredential": "AWS_CREDENTIAL",
    "xamzsecuritytoken": "AWS_SESSION_TOKEN",
    "xgoogsignature": "GOOGLE_SIGNATURE",
}

# JSON, form and multipart field names, compared by their words (`privateKeyData`:
# private, key, data). A field is a secret when its whole name is one of SECRET_FIELDS,
# its name starts like SECRET_FIELD_PREFIXES, or its last word is one of
# SECRET_LAST_WORDS without a qualifier that makes it public; never when its last word
# says it is a reference to a secret rather than one.
SECRET_FIELDS: frozenset[str] = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "clientsecret",
        "certificate",
        "authencodedjson",
        "kubeconfig",
        "privatekey",
        "apikey",
        "credentials",
    }
)
SECRET_FIELD_PREFIXES: tuple[str, ...] = (
    "password",
    "secret",
    "privatekey",
    "sshkey",
    "kubeconfig",
)
SECRET_LAST_WORDS: frozenset[str] = frozenset(
    {"password", "passwd", "passphrase", "secret", "token", "key", "pwd"}
    | {"passwords", "secrets", "tokens", "keys"}
)
PUBLIC_QUALIFIERS: frozenset[str] = frozenset(
    {"public", "sort", "partition", "primary", "foreign", "cache", "idempotency", "page", "next"}
)
REFERENCE_WORDS: frozenset[str] = frozenset(
    {"name", "names", "namespace", "ref", "id", "ids", "type", "path", "file", "fingerprint"}
    | {"port", "user", "username", "length", "url", "size", "format", "enabled", "required"}
)

# `<provider>credentialConfig` objects (Rancher cloud credentials): every string member
# is a secret except these settings.
CREDENTIAL_CONFIG = "credentialconfig"
CREDENTIAL_SETTINGS: frozenset[str] = frozenset(
    {"region", "defaultregion", "username", "user", "clientid", "subscriptionid", "tenantid"}
    | {"environment", "vcenter", "vcenterport", "endpoint", "url", "projectid", "zone"}
)
# Variable name prefixes for Rancher's provider names (`amazonec2credentialConfig`).
PROVIDERS: dict[str, str] = {
    "amazonec2": "AWS",
    "aws": "AWS",
    "digitalocean": "DIGITALOCEAN",
    "azure": "AZURE",
    "google": "GOOGLE",
    "gke": "GOOGLE",
    "linode": "LINODE",
    "vmwarevsphere": "VSPHERE",
    "harvester": "HARVESTER",
}
# Well-known spellings of the names the rules above make.
NAME_ALIASES: dict[str, str] = {
    "AWS_ACCESS_KEY": "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_KEY": "AWS_SECRET_ACCESS_KEY",
}
# Objects of this `kind` or these `type`s are Kubernetes Secrets: every string of their
# `data` and `stringData` is a secret.
SECRET_KIND = "Secret"
SECRET_TYPES: frozenset[str] = frozenset({"secret", "namespacedsecret"})
KUBECONFIG = Kind("KUBECONFIG", "kubeconfig")
# A text holding this (and `clusters:`) is a kubeconfig.
KUBECONFIG_MARK = "kind: Config"
# Secret fields of a kubeconfig's YAML, for one that travels as text.
KUBECONFIG_FIELD = re.compile(
    r"^[ \t-]*(token|client-key-data|password|client-secret|id-token|refresh-token)"
    r"[ \t]*:[ \t]*(\"?)([^\"\s]+)\2[ \t]*$",
    re.MULTILINE,
)


def _looks_like_kubeconfig(text: str) -> bool:
    return KUBECONFIG_MARK in text and "clusters:" in text


# --- the catalogue: APIs whose generic names get a prefix --------------------------------


@dataclass(frozen=True)
class Api:
    """Signs that a request talks to a known API, and how its generic names read."""

    path: re.Pattern[str]
    headers: frozenset[str]
    cookies: frozenset[str]
    names: dict[str, str]


APIS: tuple[Api, ...] = (
    Api(
        re.compile(r"/v3-public/|cattle\.io"),
        frozenset({"x-api-csrf"}),
        frozenset({"R_SESS"}),
        {
            "PASSWORD": "RANCHER_PASSWORD",
            "API_TOKEN": "RANCHER_TOKEN",
            "TOKEN": "RANCHER_TOKEN",
            "BASIC_AUTH": "RANCHER_BASIC_AUTH",
        },
    ),
)

# Forms a secret may take elsewhere in a capture: suffix of its variable, and the words.
FORMS: dict[str, tuple[str, str]] = {
    "decoded": ("_DECODED", "decoded"),
    "url": ("_URLENCODED", "URL-encoded"),
    "json": ("_JSON", "JSON-escaped"),
    "base64": ("_BASE64", "base64-encoded"),
}

# --- texts the catalogue cannot find anything in ----------------------------------------

# Every name the rules above take for a secret's (a field, an object that makes its
# members secrets, a kubeconfig) holds one of these words once its letters and digits are
# lowered and joined: `Client-Secret`, `pass_word`, `private\u00b7key`. A parameter's name
# (a form's, a query's in a URL) may also be one of SECRET_PARAMS.
_FIELD_WORDS: tuple[str, ...] = (
    *SECRET_FIELDS,
    *SECRET_FIELD_PREFIXES,
    *SECRET_LAST_WORDS,
    CREDENTIAL_CONFIG,
    SECRET_KIND,
    *SECRET_TYPES,
    KUBECONFIG_MARK,
)
# Characters whose lower case is an ASCII letter (parameter names are lowered): a text
# holding one, also escaped, is read thoroughly.
_LOWER_TO_ASCII = "\u0130\u212a"


def _either_case(text: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in text)


# Escapes that may stand for a letter, a digit, a backslash or a character of a URL's
# userinfo: JSON escapes of printable ASCII except Go's `\u0026`, `\u003c`, `\u003e` (`&<>`
# are no part of a name), URL escapes of letters and digits, and both of _LOWER_TO_ASCII.
# Two patterns that each open with a literal are searched far faster than one.
_HIDING: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"\\u(?:00(?!26|3[cCeE])[2-7][0-9a-fA-F]|"
        + "|".join(_either_case(f"{ord(c):04x}") for c in _LOWER_TO_ASCII)
        + ")"
    ),
    re.compile(
        "%(?:3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|"
        + "|".join(_either_case(quote(c)[1:]) for c in _LOWER_TO_ASCII)
        + ")"
    ),
)
# A backslash before an escape: the letter after it is text here and an escape once the
# string is decoded as JSON in turn, so it is not known which it is.
_ESCAPED_ESCAPE = re.compile(rb"\\\\[A-Za-z]")
_JSON_ESCAPE = re.compile(rb"\\(?:u[0-9A-Fa-f]{4}|[A-Za-z])")
_URL_ESCAPE = re.compile(rb"%[0-9A-Fa-f]{2}")
_URL_USERINFO = re.compile(r"https?:(?:\\*/){2}[^/?#@]*@")
_LOWER = bytes.maketrans(string.ascii_uppercase.encode(), string.ascii_lowercase.encode())
_NOT_ALNUM = bytes(set(range(256)) - set((string.ascii_letters + string.digits).encode()))


def _squeezed(data: bytes) -> bytes:
    """Lower-case letters and digits only: a name's words joined."""
    return data.translate(_LOWER, _NOT_ALNUM)


def _stems(words: Iterable[str]) -> tuple[re.Pattern[bytes], ...]:
    """Patterns for the squeezed words that hold none of the others: a text holding any of
    the words holds one of these."""
    squeezed = {_squeezed(word.encode()).decode() for word in words}
    stems = sorted(w for w in squeezed if not any(o != w and o in w for o in squeezed))
    return tuple(re.compile(pattern.encode()) for pattern in _alternatives(stems))


_FIELD_STEMS = _stems(_FIELD_WORDS)
_PARAM_STEMS = _stems([*_FIELD_WORDS, *SECRET_PARAMS])


def _quiet(text: str) -> bool:
    """Whether the catalogue can find nothing in `text` read as a body (JSON at any depth,
    a form, a kubeconfig; shapes aside): no word of a secret's name, however spelled, no
    URL with userinfo, and no escape that could hide one. Far cheaper than reading it."""
    if any(c in text for c in _LOWER_TO_ASCII) or any(p.search(text) for p in _HIDING):
        return False
    if _URL_USERINFO.search(text):
        return False
    data = text.encode("utf-8", "surrogateescape")
    if _ESCAPED_ESCAPE.search(data):
        return False
    # A JSON escape between two letters (`pass\nword`) stands for no letter.
    data = _JSON_ESCAPE.sub(b" ", data)
    # `%2D` is an escape in a parameter name and text elsewhere: both readings are tried.
    readings = [data, _URL_ESCAPE.sub(b" ", data)] if b"%" in data else [data]
    squeezed = [_squeezed(reading) for reading in readings]
    # A parameter needs a `=` (an escaped one is hiding).
    stems = _PARAM_STEMS if b"=" in data else _FIELD_STEMS
    return not any(stem.search(reading) for reading in squeezed for stem in stems)


# --- names ------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*(?![a-z])|[0-9]+")
_TRIVIAL = frozenset({"true", "false", "null", "none", "undefined", "nil"})
_PLACEHOLDER = re.compile(r"\{\{[A-Za-z_][A-Za-z0-9_]*\}\}")


@lru_cache(maxsize=4096)  # a document repeats its few keys thousands of times
def _words(name: str) -> tuple[str, ...]:
    return tuple(word.lower() for word in _WORD.findall(name))


def _snake(name: str) -> str:
    return "_".join(word.upper() for word in _words(name)) or "SECRET"


def _plausible(value: str) -> bool:
    """Whether a value at a secret's position can be one (not empty, a mask or a flag)."""
    return (
        len(value) >= MIN_SECRET
        and value.lower() not in _TRIVIAL
        and len(set(value)) > 1
        and _PLACEHOLDER.search(value) is None
    )


@lru_cache(maxsize=4096)
def secret_field(name: str) -> bool:
    """Whether a JSON, form or multipart field of this name holds a secret."""
    words = _words(name)
    if not words or words[-1] in REFERENCE_WORDS:
        return False
    joined = "".join(words)
    if joined in SECRET_FIELDS or joined.startswith(SECRET_FIELD_PREFIXES):
        return True
    # A bare `key` is a label more often than not (taints, selectors): `*Key` needs a word.
    if words[-1] in ("key", "keys") and len(words) == 1:
        return False
    return words[-1] in SECRET_LAST_WORDS and not PUBLIC_QUALIFIERS & set(words[:-1])


def _param_name(name: str) -> str | None:
    """The variable name for a secret query or form parameter, or None if not a secret."""
    normal = re.sub(r"[-_.]", "", name.lower())
    if normal in SECRET_PARAMS:
        return SECRET_PARAMS[normal] or _snake(name)
    return _snake(name) if secret_field(name) else None


def _cookie_kind(name: str, value: str) -> Kind | None:
    known = SECRET_COOKIES.get(name.lower())
    if known is not None:
        return known
    if SECRET_COOKIE_NAME.search(name) or (
        not PREFERENCE_COOKIE_NAME.match(name) and len(value) >= OPAQUE_COOKIE_LENGTH
    ):
        return Kind(f"{_snake(name)}_COOKIE", "session cookie")
    return None


def _provider(prefix: str) -> str:
    return PROVIDERS.get(prefix.lower(), _snake(prefix))


def _joined(*parts: str | None) -> str:
    name = "_".join(part for part in parts if part)
    return NAME_ALIASES.get(name, name)


# --- the JSON walk ----------------------------------------------------------------------


class _Object(list[tuple[str, Any]]):
    """A JSON object as its (key, value) pairs in document order."""


# A JSON string literal; group 2 is set when it is an object key.
_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:)?', re.DOTALL)


def _json_like(text: str) -> bool:
    return text.lstrip()[:1] in ("{", "[")


def _parse_json(text: str) -> Any:
    """The document (objects as pairs), or None if `text` is not JSON."""
    try:
        return json.loads(text, object_pairs_hook=_Object)
    except (ValueError, RecursionError):
        return None


def _json_escaped(value: str) -> list[str]:
    """How a JSON encoder may write `value` inside a string literal."""
    forms = [json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]]
    return forms + [form.replace("/", "\\/") for form in forms if "/" in form]


@dataclass(frozen=True)
class _Context:
    """What the enclosing objects say about a JSON object's members."""

    prefix: str | None = None  # variable name prefix (a provider, a Secret's name)
    everything: str | None = None  # "credential" or "secret data": all strings are secrets
    # Encoders between this document and the record's text (JSON inside a JSON string).
    depth: int = 0


# --- finding ----------------------------------------------------------------------------


@dataclass
class _Secret:
    name: str  # the name it proposes; the variable may get a suffix
    description: str
    var: str | None = None  # set on first use


@dataclass(frozen=True)
class _Finding:
    where: str
    value: str


@dataclass(frozen=True)
class _Field:
    """A text of the record, for the shape scan: `place` names it in descriptions."""

    where: str
    place: str
    text: str


def _render(text: Text) -> str:
    """A Text as one string, Vars as placeholders (never taken for secrets)."""
    out = []
    for piece in text.pieces:
        if isinstance(piece, Var):
            out.append("{{" + piece.name + "}}")
        elif isinstance(piece, bytes):
            out.append(piece.decode("utf-8", "surrogateescape"))
        else:
            out.append(piece)
    return "".join(out)


def _unquote(text: str, plus: bool = False) -> str:
    unquoted = unquote_plus if plus else unquote
    return unquoted(text, errors="surrogateescape")


def _bytes_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


_LINK = re.compile(r"https?://[^@\s]*")
_TYPE_NAME = re.compile(r"[a-z][A-Za-z0-9]*")
_USERINFO = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#@]*)@")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9._+-]*) +(\S[\s\S]*)")
_FORM = re.compile(r"[^=&\s]+=[^&\s]*(?:&[^=&\s]+=[^&\s]*)*")


class _Scan:
    """Finds the secrets of one record and registers them with the Redactor."""

    def __init__(self, redactor: Redactor, api: Api | None, thorough: bool = False) -> None:
        self.redactor = redactor
        self.api = api
        self.thorough = thorough  # read every JSON text, quiet or not (to test _quiet)
        self.findings: list[_Finding] = []
        self.fields: list[_Field] = []

    def found(
        self,
        where: str,
        phrase: str,
        raw: str,
        kind: Kind,
        decoded: str | None = None,
        depth: int = 0,
    ) -> None:
        """A secret `raw` as it appears in its text; `decoded` its value if that differs;
        `depth` how many JSON encoders wrapped the text on its way into the record;
        `phrase` says how it was captured, for the description."""
        value = raw if decoded is None else decoded
        if not _plausible(raw) or not _plausible(value):
            return
        for shape in SHAPES:
            if shape.names and shape.pattern.fullmatch(value):
                kind = shape.kind
        name = kind.name
        if self.api is not None:
            name = self.api.names.get(name, name)
        description = f"{kind.what}; {phrase}"
        encoded = " (the variable holds it encoded, as captured)" if value != raw else ""
        self.redactor._learn(raw, name, description + encoded, "")
        forms = [(escaped, "json") for escaped in self._wrapped(raw, depth)]
        forms += [(value, "decoded"), *_encoded_forms(value)]
        for form, how in forms:
            self.redactor._learn(form, name, description, how)
        self.findings.append(_Finding(where, raw))
        for escaped in self._wrapped(raw, depth):
            self.findings.append(_Finding(where, escaped))

    @staticmethod
    def _wrapped(raw: str, depth: int) -> list[str]:
        """How `raw` reads after `depth` JSON encoders (none: no forms)."""
        forms = [raw]
        for _ in range(depth):
            forms = list(dict.fromkeys(e for form in forms for e in _json_escaped(form)))
        return forms if depth else []

    # --- headers

    def header(self, name: str, value: str, response: bool) -> None:
        lower = name.lower()
        where = f"{'response:' if response else ''}header:{lower}"
        place = f"{'response ' if response else ''}header {name}"
        self.fields.append(_Field(where, place, value))
        if lower == "cookie":
            self.cookies(value, where)
        elif lower == "set-cookie":
            self.set_cookie(value, where)
        elif lower in AUTH_HEADERS:
            self.credentials(value, AUTH_HEADERS[lower], where, place)
        elif lower in SECRET_HEADERS:
            self.found(where, f"captured as {place}", value, SECRET_HEADERS[lower])
        elif lower not in NOT_SECRET_HEADERS and SECRET_HEADER_NAME.search(lower):
            kind = Kind(_snake(re.sub(r"(?i)^x-", "", name)), "credential")
            self.found(where, f"captured as {place}", value, kind)
        elif lower in URL_HEADERS:
            self.url(value, where, f" in {place}")

    def credentials(self, value: str, prefix: str, where: str, place: str) -> None:
        """`Scheme credentials`: the credentials are the secret, the scheme names it."""
        match = _SCHEME.fullmatch(value)
        scheme = match.group(1) if match else ""
        kind = AUTH_SCHEMES.get(scheme.lower(), UNKNOWN_SCHEME)
        kind = Kind(prefix + kind.name, kind.what)
        if match is None:
            self.found(where, f"captured as {place}", value, kind)
        elif scheme.lower() == "basic":
            self.basic(match.group(2), kind, where, place)
        else:
            self.found(where, f"captured as {place}", match.group(2), kind)

    def basic(self, encoded: str, kind: Kind, where: str, place: str) -> None:
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8", "surrogateescape")
        except (binascii.Error, ValueError):
            self.found(where, f"captured as {place}", encoded, kind)
            return
        user, colon, password = decoded.partition(":")
        # The user name is not a secret, unless it is a key (Stripe puts keys there).
        named = colon and 0 < len(user) < 64 and user.isprintable()
        if named and not any(shape.pattern.search(user) for shape in SHAPES):
            kind = Kind(kind.name, f"{kind.what} for user {user}")
        self.found(where, f"captured as {place}", encoded, kind)
        if colon:
            decoded_from = f"decoded from {place}"
            pair = Kind(f"{kind.name}_CREDENTIALS", "user:password of Basic credentials")
            self.found(where, decoded_from, decoded, pair)
            secret = Kind(f"{kind.name}_PASSWORD", "password of Basic credentials")
            self.found(where, decoded_from, password, secret)

    def cookies(self, value: str, where: str) -> None:
        for pair in value.split(";"):
            name, equals, cookie = pair.strip().partition("=")
            if equals:
                self.cookie(name, cookie, f"{where}:{name}", f"captured as cookie {name}")

    def set_cookie(self, value: str, where: str) -> None:
        name, equals, rest = value.partition("=")
        if equals:
            name = name.strip()
            cookie = rest.split(";", 1)[0].strip()
            phrase = f"captured as Set-Cookie {name} in a response"
            self.cookie(name, cookie, f"{where}:{name}", phrase)

    def cookie(self, name: str, value: str, where: str, phrase: str) -> None:
        inner = value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value
        kind = _cookie_kind(name, inner)
        if kind is not None:
            self.found(where, phrase, inner, kind, _unquote(inner))

    # --- URLs, forms, multipart

    def url(self, url: str, where: str, place: str, depth: int = 0) -> None:
        """Userinfo and query of a URL; `place` ends each phrase (" in header Referer")."""
        userinfo = _USERINFO.match(url)
        if userinfo is not None:
            user, colon, password = userinfo.group(1).partition(":")
            phrase = f"captured as URL userinfo{place}"
            if colon:
                kind = Kind("URL_PASSWORD", "password in the URL")
                self.found(f"{where}:userinfo", phrase, password, kind, _unquote(password), depth)
            else:
                kind = Kind("URL_USER_TOKEN", "credentials in the URL")
                self.found(f"{where}:userinfo", phrase, user, kind, _unquote(user), depth)
        query = url.split("#", 1)[0].partition("?")[2]
        self.params(query, f"{where}:query", "query parameter {}" + place, depth)

    def params(self, encoded: str, where: str, label: str, depth: int = 0) -> None:
        """`a=b&c=d` pairs; `label` names a parameter, with `{}` for its name."""
        for pair in encoded.split("&"):
            raw_name, equals, value = pair.partition("=")
            if not equals:
                continue
            name = _unquote(raw_name, plus=True)
            var = _param_name(name)
            if var is not None:
                phrase = "captured as " + label.format(name)
                decoded = _unquote(value, plus=True)
                kind = Kind(var, " ".join(_words(name)) or "secret")
                self.found(f"{where}:{name}", phrase, value, kind, decoded, depth)

    def multipart(self, body: Multipart) -> None:
        for part in body.parts:
            if part.value is not None:
                text = _render(part.value)
                where = f"body:multipart:{part.name}"
                self.fields.append(_Field(where, f"multipart field {part.name}", text))
                self.part(part.name, text, where)

    def part(self, name: str, text: str, where: str) -> None:
        var = _param_name(name)
        if var is not None:
            kind = Kind(var, " ".join(_words(name)) or "secret")
            self.found(where, f"captured as multipart field {name}", text, kind)
        else:
            self.text(text, where, f"multipart field {name}", "")

    def raw_multipart(self, text: str, boundary: str) -> None:
        """A multipart body as captured bytes (HAR, flows), split at its boundary."""
        for chunk in text.split(f"--{boundary}")[1:]:
            head, blank, content = chunk.partition("\r\n\r\n")
            match = re.search(r'\bname="([^"]*)"', head)
            if not blank or match is None:
                continue
            name = match.group(1)
            value = content.removesuffix("\r\n")
            if "filename=" in head:
                self.text(value, f"body:multipart:{name}", f"multipart file {name}", "")
            else:
                self.part(name, value, f"body:multipart:{name}")

    # --- bodies

    def body(self, text: str, content_type: str, where: str, place: str, of: str) -> None:
        """A request or response body; `of` ends the phrase of a field in it."""
        lower = content_type.lower()
        boundary = re.search(r'boundary="?([^";]+)"?', content_type)
        if "multipart/form-data" in lower and boundary is not None:
            self.raw_multipart(text, boundary.group(1))
        elif self.json(text, where, of):
            pass  # walked
        elif "x-www-form-urlencoded" in lower or _FORM.fullmatch(text):
            self.params(text, f"{where}:form", "form field {}" + of)
        elif _looks_like_kubeconfig(text):
            self.kubeconfig(text, where, f"captured as kubeconfig in {place}{of}", 0)

    def text(self, text: str, where: str, place: str, of: str) -> None:
        """Free text: JSON, a kubeconfig."""
        if not self.json(text, where, of) and _looks_like_kubeconfig(text):
            self.kubeconfig(text, where, f"captured as kubeconfig in {place}{of}", 0)

    def kubeconfig(self, text: str, where: str, phrase: str, depth: int) -> None:
        for match in KUBECONFIG_FIELD.finditer(text):
            field_name = match.group(1)
            kind = Kind(f"KUBECONFIG_{_snake(field_name)}", f"kubeconfig {field_name}")
            location = f"{where}:kubeconfig:{field_name}"
            self.found(location, phrase, match.group(3), kind, None, depth)

    def json(self, text: str, where: str, of: str, depth: int = 0) -> bool:
        """Walks `text` if it is a JSON object or array. True also for a text that starts
        like one and holds nothing to find, parsed or not: read another way, it holds
        nothing either."""
        if not _json_like(text):
            return False
        if not self.thorough and _quiet(text):
            return True
        document = _parse_json(text)
        if document is None:
            return False
        self.walk(document, _Walk(text, f"{where}:json:", of), "", _Context(depth=depth))
        return True

    def walk(self, value: Any, walk: _Walk, path: str, context: _Context, key: str = "") -> None:
        """`key`: the member the value belongs to (the items of `"tokens": […]` too)."""
        if isinstance(value, _Object):
            self.object(value, walk, path, context)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.walk(item, walk, f"{path}[{index}]", context, key)
        elif isinstance(value, str):
            self.string(key, value, walk, path, context, None)

    def object(self, pairs: _Object, walk: _Walk, path: str, context: _Context) -> None:
        strings = {key: value for key, value in pairs if isinstance(value, str)}
        is_secret = (
            strings.get("kind") == SECRET_KIND or strings.get("type", "").lower() in SECRET_TYPES
        )
        label = strings.get("type") or strings.get("baseType") or ""
        own_type = label if _TYPE_NAME.fullmatch(label) else None
        for key, value in pairs:
            child = f"{path}.{key}" if path else key
            if isinstance(value, str):
                self.string(key, value, walk, child, context, own_type)
                continue
            inner = context
            lower = key.lower()
            if isinstance(value, _Object) and lower.endswith(CREDENTIAL_CONFIG):
                prefix = _provider(key[: -len(CREDENTIAL_CONFIG)])
                inner = _Context(prefix, "credential", context.depth)
            elif isinstance(value, _Object) and lower.endswith("config") and len(lower) > 6:
                inner = _Context(
                    _provider(key[: -len("config")]), context.everything, context.depth
                )
            elif is_secret and key in ("data", "stringData"):
                name = strings.get("name") or _secret_name(pairs) or "SECRET"
                inner = _Context(_snake(name), "secret data", context.depth)
            self.walk(value, walk, child, inner, key)

    def string(
        self, key: str, value: str, walk: _Walk, path: str, context: _Context, own_type: str | None
    ) -> None:
        index = walk.strings
        walk.strings += 1
        # A kubeconfig is a kind of its own: _field_kind tells it.
        kind = _field_kind(key, value, context, own_type)
        if kind is not None:
            phrase = f"captured as JSON field {path or '(the document)'}{walk.of}"
            raw = walk.raw(index)
            self.found(f"{walk.where}{path}", phrase, raw, kind, value, context.depth)
        elif self.json(value, f"{walk.where}{path}", walk.of, context.depth + 1):
            pass  # JSON in a JSON string: walked as a document of its own
        elif value.startswith(("http://", "https://")):
            phrase = f" in JSON field {path}{walk.of}"
            self.url(value, f"{walk.where}{path}", phrase, context.depth + 1)

    # --- everything else

    def shapes(self) -> None:
        # Most records hold no shape's start in any of their texts (dozens of headers):
        # all of them are searched at once first, `\0` keeping each start within one.
        together = "\0".join(item.text for item in self.fields)
        shapes = [shape for shape in SHAPES if any(o.search(together) for o in shape.openings)]
        for item in self.fields:
            for shape in shapes:
                for match in shape.finditer(item.text):
                    self.found(item.where, f"found in {item.place}", match.group(0), shape.kind)


@dataclass
class _Walk:
    """One JSON document being walked."""

    text: str
    where: str
    of: str
    strings: int = 0  # string values met so far
    raws: list[str] | None = None

    def raw(self, index: int) -> str:
        """The raw text of the document's `index`th string value (keys aside)."""
        if self.raws is None:
            matches = _JSON_STRING.finditer(self.text)
            self.raws = [m.group(1) for m in matches if m.group(2) is None]
        return self.raws[index]


def _field_kind(key: str, value: str, context: _Context, own_type: str | None) -> Kind | None:
    """What the JSON string `value` at `key` is, if a secret."""
    words = _words(key)
    if context.everything == "secret data":
        return Kind(_joined(context.prefix, _snake(key)), "Kubernetes Secret data")
    if context.everything == "credential" and not _setting(key, words):
        return Kind(_joined(context.prefix, _snake(key)), f"cloud credential {' '.join(words)}")
    # A link (`"links": {"tokens": "https://…"}`) names a resource, it is not one: its
    # userinfo and query are looked at as a URL's.
    if key and secret_field(key) and not _LINK.fullmatch(value):
        if context.prefix is not None:
            return Kind(_joined(context.prefix, _snake(key)), " ".join(words))
        if own_type is not None and len(words) == 1:
            # a generic name (`token`) takes the object's type (clusterRegistrationToken)
            typed = _snake(own_type)
            name = typed if typed.endswith(_snake(key)) else _joined(typed, _snake(key))
            return Kind(name, f"{' '.join(words)} of a {own_type}")
        return Kind(_snake(key), " ".join(words))
    if _looks_like_kubeconfig(value):
        return KUBECONFIG
    return None


def _setting(key: str, words: tuple[str, ...]) -> bool:
    """Whether a member of a credential config is a setting rather than a credential."""
    return key.lower() in CREDENTIAL_SETTINGS or (bool(words) and words[-1] in REFERENCE_WORDS)


def _secret_name(pairs: _Object) -> str | None:
    for key, value in pairs:
        if key == "metadata" and isinstance(value, _Object):
            for inner_key, inner in value:
                if inner_key == "name" and isinstance(inner, str):
                    return inner
    return None


def _encoded_forms(value: str) -> list[tuple[str, str]]:
    """The forms `value` takes URL-encoded (both %XX cases, + for space), JSON-escaped and
    base64-encoded."""
    quoted = quote(value, safe="", errors="surrogateescape")
    forms = [
        (quoted, "url"),
        (re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quoted), "url"),
        (quote_plus(value, safe="", errors="surrogateescape"), "url"),
        (quote(value, safe="/:@!$&'()*+,;=", errors="surrogateescape"), "url"),
    ]
    forms += [(escaped, "json") for escaped in _json_escaped(value)]
    if len(value) >= MIN_EVERYWHERE:
        data = value.encode("utf-8", "surrogateescape")
        forms.append((base64.b64encode(data).decode("ascii"), "base64"))
        forms.append((base64.urlsafe_b64encode(data).decode("ascii").rstrip("="), "base64"))
    return forms


def _api_of(record: Record) -> Api | None:
    request = record.request
    url = _render(request.url)
    names = {name.lower() for name, _ in request.headers}
    cookie = _render(request.header("cookie") or Text())
    cookies = {pair.strip().partition("=")[0] for pair in cookie.split(";")}
    for api in APIS:
        if api.path.search(url) or api.headers & names or api.cookies & cookies:
            return api
    return None


# --- replacing --------------------------------------------------------------------------


def _standalone(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is not part of a longer word."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    return not (before.isalnum() or after.isalnum())


class Redactor:
    """Redacts records one at a time (a live capture) with one set of variable names: the
    same secret value gets the same variable in every record."""

    def __init__(self) -> None:
        self._secrets: dict[str, _Secret] = {}
        # Values of MIN_EVERYWHERE characters or more by their first MIN_EVERYWHERE, then
        # by length: one pass over a text finds them all, however many there are.
        self._prefixes: dict[str, dict[int, set[str]]] = {}
        self._short: list[str] = []
        self._names: set[str] = set()
        self._suffixes: dict[str, int] = {}  # the last suffix each name got
        self._used: list[str] = []  # values with a variable, in the order they got one

    @property
    def env(self) -> list[EnvVar]:
        """The variables handed out so far, with their captured values."""
        env = []
        for value in self._used:
            secret = self._secrets[value]
            description = self._scrub(secret.description)
            env.append(EnvVar(secret.var or "", description, value=value, base64="\0" in value))
        return env

    def scrub(self, text: str) -> str:
        """`text` (a warning, an error message that quotes the input) with every secret
        known so far and every value of a secret's shape cut out."""
        for shape in SHAPES:
            text = shape.pattern.sub("…", text)
        return self._scrub(text)

    def record(self, record: Record) -> Record:
        """The record with every known secret (its own and earlier records') replaced."""
        findings = self._scan(record)
        return self._replace(record, findings)

    # --- finding

    def _learn(self, value: str, name: str, description: str, how: str) -> None:
        if value in self._secrets or not _plausible(value):
            return
        if how:
            suffix, words = FORMS[how]
            name, description = name + suffix, f"{description} ({words})"
        self._secrets[value] = _Secret(name, description)
        if len(value) >= MIN_EVERYWHERE:
            lengths = self._prefixes.setdefault(value[:MIN_EVERYWHERE], {})
            lengths.setdefault(len(value), set()).add(value)
        else:
            self._short.append(value)

    def _scan(self, record: Record) -> list[_Finding]:
        scan = _Scan(self, _api_of(record))
        request = record.request
        url = _render(request.url)
        scan.fields.append(_Field("url", "the URL", url))
        scan.url(url, "url", "")
        for name, value in request.headers:
            scan.header(name, _render(value), response=False)
        content_type = _render(request.header("content-type") or Text())
        if isinstance(request.body, Multipart):
            scan.multipart(request.body)
        elif isinstance(request.body, Text):
            body = _render(request.body)
            scan.fields.append(_Field("body", "the request body", body))
            scan.body(body, content_type, "body", "the request body", "")
        response = record.response
        if response is not None:
            response_type = ""
            for name, value in response.headers:
                scan.header(name, value, response=True)
                if name.lower() == "content-type":
                    response_type = value
            if response.body:
                text = _bytes_text(response.body)
                scan.fields.append(_Field("response:body", "a response body", text))
                scan.body(text, response_type, "response:body", "a response body", " of a response")
        for index, text in enumerate(_message_texts(request.options)):
            where = f"websocket:{index}"
            scan.fields.append(_Field(where, "a websocket message", text))
            scan.text(text, where, "a websocket message", " of a websocket message")
        for text in _option_strings(request.options):
            scan.fields.append(_Field("options", "the request options", text))
        scan.shapes()
        return scan.findings

    # --- replacing

    def _var(self, value: str) -> Var:
        secret = self._secrets[value]
        if secret.var is None:
            secret.var = self._claim(secret.name)
            self._used.append(value)
        return Var(secret.var)

    def _claim(self, base: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_]", "_", base).upper() or "SECRET"
        if base[0].isdigit():
            base = "V_" + base
        # BASE_URL* are the plan's origins; NAME_B64 is how env files store NUL values.
        if base.startswith("BASE_URL"):
            base = "SECRET_" + base
        if base.endswith("_B64"):
            base += "_VALUE"
        name, number = base, self._suffixes.get(base, 1)
        while name in self._names:
            number += 1
            name = f"{base}_{number}"
        self._suffixes[base] = number
        self._names.add(name)
        return name

    def _pieces(self, text: str, search: _Search) -> list[str | Var]:
        """`text` cut into literal pieces and the Vars of the known values in it."""
        spans = self._indexed(text) if search.indexed else []
        for value in search.values:
            start = text.find(value)
            while start >= 0:
                end = start + len(value)
                if len(value) >= MIN_EVERYWHERE or _standalone(text, start, end):
                    spans.append((start, -len(value), value))
                start = text.find(value, start + 1)
        if not spans:
            return [text]
        spans.sort()  # the first, then the longest there
        pieces: list[str | Var] = []
        position = 0
        for start, negative_length, value in spans:
            if start < position:
                continue
            pieces += [text[position:start], self._var(value)]
            position = start - negative_length
        pieces.append(text[position:])
        return pieces

    def _indexed(self, text: str) -> list[tuple[int, int, str]]:
        """Where the long known values occur, in one pass over `text`."""
        spans = []
        find = self._prefixes.get
        for start in range(len(text) - MIN_EVERYWHERE + 1):
            lengths = find(text[start : start + MIN_EVERYWHERE])
            if lengths is None:
                continue
            for length in sorted(lengths, reverse=True):
                if text[start : start + length] in lengths[length]:
                    spans.append((start, -length, text[start : start + length]))
                    break
        return spans

    def _replace(self, record: Record, findings: list[_Finding]) -> Record:
        replacer = _Replacer(self, self._search(record))
        request = record.request
        url = replacer.text(request.url, "url")
        headers = [
            (name, replacer.text(value, f"header:{name.lower()}"))
            for name, value in request.headers
        ]
        body: Text | Multipart | None = request.body
        if isinstance(body, Multipart):
            body = Multipart(
                [
                    FormPart(
                        part.name,
                        (
                            None
                            if part.value is None
                            else replacer.text(part.value, f"body:multipart:{part.name}")
                        ),
                        part.file,
                        part.filename,
                        part.type,
                    )
                    for part in body.parts
                ]
            )
        elif isinstance(body, Text):
            body = replacer.text(body, "body")
        options = _replace_options(request.options, replacer)
        changed = Request(request.method, url, headers, body, request.http_version, options)
        response = record.response
        if response is not None:
            response = Response(
                response.status,
                [
                    (name, replacer.placeholders(value, f"response:header:{name.lower()}"))
                    for name, value in response.headers
                ],
                None if response.body is None else _replace_bytes(response.body, replacer),
                response.truncated,
            )
        notes = self._notes(record.redacted, findings, replacer.used)
        return Record(changed, response, record.id, record.source, record.time, notes)

    def _search(self, record: Record) -> _Search:
        """How to find the known values in the record's texts: each value the record holds
        searched for by itself (fast for a few), or the long ones all in one pass."""
        texts = _record_texts(record)
        indexed = len(self._secrets) - len(self._short) > INDEX_FROM
        pool = self._short if indexed else self._secrets
        return _Search([value for value in pool if any(value in text for text in texts)], indexed)

    def _scrub(self, text: str) -> str:
        """`text` (a description, a note) without any known value in it."""
        found = {value for _, _, value in self._indexed(text)}
        found.update(value for value in self._short if value in text)
        for value in sorted(found, key=len, reverse=True):
            text = text.replace(value, "…")
        return text

    def _notes(
        self,
        earlier: list[dict[str, str]],
        findings: list[_Finding],
        used: Iterable[tuple[str, str]],
    ) -> list[dict[str, str]]:
        """The record's `redacted` list: each place a variable went in, named as precisely
        as known (`header:cookie:R_SESS` rather than `header:cookie`)."""
        went = list(used)
        used_vars = {var for _, var in went}
        places = [
            (finding.where, var)
            for finding in findings
            if (var := self._secrets[finding.value].var) is not None and var in used_vars
        ]
        places += went
        by_var: dict[str, set[str]] = {}
        for where, var in places:
            by_var.setdefault(var, set()).add(where)
        notes = list(earlier)
        seen = {(note.get("where"), note.get("var")) for note in notes if isinstance(note, dict)}
        for where, var in places:
            vaguer = any(other != where and other.startswith(where) for other in by_var[var])
            note = {"where": self._scrub(where), "var": var}
            if not vaguer and (note["where"], var) not in seen:
                seen.add((note["where"], var))
                notes.append(note)
        return notes


@dataclass(frozen=True)
class _Search:
    values: list[str]  # searched for one by one
    indexed: bool  # the long values are found by Redactor._indexed


class _Replacer:
    """Replaces the known values in one record's texts, noting which variables each place
    got."""

    def __init__(self, redactor: Redactor, search: _Search) -> None:
        self.redactor = redactor
        self.search = search
        self.used: dict[tuple[str, str], None] = {}  # (where, variable), in order

    def _note(self, pieces: Iterable[str | Var], where: str) -> None:
        for piece in pieces:
            if isinstance(piece, Var):
                self.used[where, piece.name] = None

    def text(self, text: Text, where: str) -> Text:
        if not (self.search.values or self.search.indexed):
            return text
        out: list[str | bytes | Var] = []
        for piece in text.pieces:
            if isinstance(piece, Var):
                out.append(piece)
                continue
            as_bytes = isinstance(piece, bytes)
            literal = piece.decode("utf-8", "surrogateescape") if as_bytes else piece
            pieces = self.redactor._pieces(literal, self.search)
            self._note(pieces, where)
            out += [
                p.encode("utf-8", "surrogateescape") if as_bytes and isinstance(p, str) else p
                for p in pieces
            ]
        return Text.of(*out)

    def placeholders(self, text: str, where: str) -> str:
        if not (self.search.values or self.search.indexed):
            return text
        pieces = self.redactor._pieces(text, self.search)
        self._note(pieces, where)
        return "".join("{{" + p.name + "}}" if isinstance(p, Var) else p for p in pieces)


def _replace_bytes(data: bytes, replacer: _Replacer, where: str = "response:body") -> bytes:
    text = _bytes_text(data)
    replaced = replacer.placeholders(text, where)
    # Most bodies hold no secret: the same bytes, not a copy of megabytes.
    return data if replaced == text else replaced.encode("utf-8", "surrogateescape")


def _message_texts(options: dict[str, Any]) -> Iterator[str]:
    for message in options.get("websocket_messages") or []:
        if isinstance(message, dict):
            text = _message_text(message)
            if text is not None:
                yield text


def _message_text(message: dict[str, Any]) -> str | None:
    if isinstance(message.get("text"), str):
        return str(message["text"])
    if isinstance(message.get("base64"), str):
        try:
            return _bytes_text(base64.b64decode(message["base64"], validate=True))
        except (binascii.Error, ValueError):
            return str(message["base64"])
    return None


def _option_strings(value: Any, key: str = "") -> Iterator[str]:
    """Every string in the options other than websocket messages (an error message that
    quotes a URL)."""
    if key == "websocket_messages":
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner_key, inner in value.items():
            yield from _option_strings(inner, str(inner_key))
    elif isinstance(value, list):
        for inner in value:
            yield from _option_strings(inner)


def _replace_options(options: dict[str, Any], replacer: _Replacer) -> dict[str, Any]:
    def replace(value: Any, key: str = "") -> Any:
        if key == "websocket_messages" and isinstance(value, list):
            return [_replace_message(m, index, replacer) for index, m in enumerate(value)]
        if isinstance(value, str):
            return replacer.placeholders(value, "options")
        if isinstance(value, dict):
            return {k: replace(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [replace(v) for v in value]
        return value

    replaced: dict[str, Any] = replace(options)
    return replaced


def _replace_message(message: Any, index: int, replacer: _Replacer) -> Any:
    if not isinstance(message, dict):
        return message
    where = f"websocket:{index}"
    out = dict(message)
    if isinstance(message.get("text"), str):
        out["text"] = replacer.placeholders(message["text"], where)
    elif isinstance(message.get("base64"), str):
        try:
            data = base64.b64decode(message["base64"], validate=True)
        except (binascii.Error, ValueError):
            out["base64"] = replacer.placeholders(message["base64"], where)
        else:
            replaced = _replace_bytes(data, replacer, where)
            out["base64"] = base64.b64encode(replaced).decode("ascii")
    return out


def _record_texts(record: Record) -> list[str]:
    request = record.request
    texts = [_render(request.url), *(_render(value) for _, value in request.headers)]
    if isinstance(request.body, Text):
        texts.append(_render(request.body))
    elif isinstance(request.body, Multipart):
        texts += [_render(part.value) for part in request.body.parts if part.value is not None]
    if record.response is not None:
        texts += [value for _, value in record.response.headers]
        if record.response.body:
            texts.append(_bytes_text(record.response.body))
    texts += list(_message_texts(request.options))
    texts += list(_option_strings(request.options))
    return texts


@dataclass
class Redaction:
    records: list[Record]
    env: list[EnvVar]
    redactor: Redactor = field(default_factory=Redactor)

    def scrub(self, text: str) -> str:
        """A warning or message about the capture, without its secrets."""
        return self.redactor.scrub(text)


def redact(records: list[Record]) -> Redaction:
    """Every secret of the capture replaced everywhere, also in records before the one it
    was found in."""
    redactor = Redactor()
    findings = [redactor._scan(record) for record in records]
    redacted = [
        redactor._replace(record, found) for record, found in zip(records, findings, strict=True)
    ]
    return Redaction(redacted, redactor.env, redactor)
