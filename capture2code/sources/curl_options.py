"""curl 7.88.1's command-line options and how curl resolves an option word to one of them.

The table between the GENERATED markers is written by tools/gen_curl_options.py from curl's
own option table (`aliases[]` in src/tool_getparam.c) and `curl --help all`; do not edit it
by hand. The lookup functions follow `getparameter()` of the same file:

- a long name matches exactly or as an unambiguous prefix, compared ASCII case-insensitively
  (`--LOCATION`, `--insec`); a prefix of two names is ambiguous even when both are aliases of
  one option (`--kr`: krb, krb4);
- `--no-NAME` switches a boolean option off. curl measures the prefix length before it strips
  `no-`, so NAME must be spelled out in full (`--no-loc` is unknown), and a NAME that takes
  a value or is a plain switch is refused (`--no-data`, `--no-http1.1`);
- a value never follows `=` (`--data=x` is the unknown option `data=x`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CurlOption:
    long: str  # canonical long name without dashes, e.g. "data-raw"
    short: str | None  # single letter, e.g. "d", or None
    takes_value: bool  # consumes an argument
    boolean: bool  # a flag that accepts the --no- form


class OptionError(ValueError):
    """An option word curl itself refuses; the message is curl's ("option --foo: is unknown")."""


# --- BEGIN GENERATED (tools/gen_curl_options.py) ---
# From src/tool_getparam.c aliases[] and `curl --help all` of curl 7.88.1.
# Left out, compiled only under #if: wdebug.
# Rows in curl's order: long name, canonical long name (the documented one of the names
# that share a letter code), short letter, argument kind (curl's ARG_*).
_TABLE: tuple[tuple[str, str, str | None, str], ...] = (
    ("url", "url", None, "string"),
    ("dns-ipv4-addr", "dns-ipv4-addr", None, "string"),
    ("dns-ipv6-addr", "dns-ipv6-addr", None, "string"),
    ("random-file", "random-file", None, "filename"),
    ("egd-file", "egd-file", None, "string"),
    ("oauth2-bearer", "oauth2-bearer", None, "string"),
    ("connect-timeout", "connect-timeout", None, "string"),
    ("doh-url", "doh-url", None, "string"),
    ("ciphers", "ciphers", None, "string"),
    ("dns-interface", "dns-interface", None, "string"),
    ("disable-epsv", "disable-epsv", None, "bool"),
    ("disallow-username-in-url", "disallow-username-in-url", None, "bool"),
    ("epsv", "epsv", None, "bool"),
    ("dns-servers", "dns-servers", None, "string"),
    ("trace", "trace", None, "filename"),
    ("npn", "npn", None, "bool"),
    ("trace-ascii", "trace-ascii", None, "filename"),
    ("alpn", "alpn", None, "bool"),
    ("limit-rate", "limit-rate", None, "string"),
    ("rate", "rate", None, "string"),
    ("compressed", "compressed", None, "bool"),
    ("tr-encoding", "tr-encoding", None, "bool"),
    ("digest", "digest", None, "bool"),
    ("negotiate", "negotiate", None, "bool"),
    ("ntlm", "ntlm", None, "bool"),
    ("ntlm-wb", "ntlm-wb", None, "bool"),
    ("basic", "basic", None, "bool"),
    ("anyauth", "anyauth", None, "bool"),
    ("ftp-create-dirs", "ftp-create-dirs", None, "bool"),
    ("create-dirs", "create-dirs", None, "bool"),
    ("create-file-mode", "create-file-mode", None, "string"),
    ("max-redirs", "max-redirs", None, "string"),
    ("proxy-ntlm", "proxy-ntlm", None, "bool"),
    ("crlf", "crlf", None, "bool"),
    ("stderr", "stderr", None, "filename"),
    ("aws-sigv4", "aws-sigv4", None, "string"),
    ("interface", "interface", None, "string"),
    ("krb", "krb", None, "string"),
    ("krb4", "krb", None, "string"),
    ("haproxy-protocol", "haproxy-protocol", None, "bool"),
    ("max-filesize", "max-filesize", None, "string"),
    ("disable-eprt", "disable-eprt", None, "bool"),
    ("eprt", "eprt", None, "bool"),
    ("xattr", "xattr", None, "bool"),
    ("ftp-ssl", "ssl", None, "bool"),
    ("ssl", "ssl", None, "bool"),
    ("ftp-pasv", "ftp-pasv", None, "bool"),
    ("socks5", "socks5", None, "string"),
    ("tcp-nodelay", "tcp-nodelay", None, "bool"),
    ("proxy-digest", "proxy-digest", None, "bool"),
    ("proxy-basic", "proxy-basic", None, "bool"),
    ("retry", "retry", None, "string"),
    ("retry-connrefused", "retry-connrefused", None, "bool"),
    ("retry-delay", "retry-delay", None, "string"),
    ("retry-max-time", "retry-max-time", None, "string"),
    ("proxy-negotiate", "proxy-negotiate", None, "bool"),
    ("form-escape", "form-escape", None, "bool"),
    ("ftp-account", "ftp-account", None, "string"),
    ("proxy-anyauth", "proxy-anyauth", None, "bool"),
    ("trace-time", "trace-time", None, "bool"),
    ("ignore-content-length", "ignore-content-length", None, "bool"),
    ("ftp-skip-pasv-ip", "ftp-skip-pasv-ip", None, "bool"),
    ("ftp-method", "ftp-method", None, "string"),
    ("local-port", "local-port", None, "string"),
    ("socks4", "socks4", None, "string"),
    ("socks4a", "socks4a", None, "string"),
    ("ftp-alternative-to-user", "ftp-alternative-to-user", None, "string"),
    ("ftp-ssl-reqd", "ssl-reqd", None, "bool"),
    ("ssl-reqd", "ssl-reqd", None, "bool"),
    ("sessionid", "sessionid", None, "bool"),
    ("ftp-ssl-control", "ftp-ssl-control", None, "bool"),
    ("ftp-ssl-ccc", "ftp-ssl-ccc", None, "bool"),
    ("ftp-ssl-ccc-mode", "ftp-ssl-ccc-mode", None, "string"),
    ("libcurl", "libcurl", None, "string"),
    ("raw", "raw", None, "bool"),
    ("post301", "post301", None, "bool"),
    ("keepalive", "keepalive", None, "bool"),
    ("socks5-hostname", "socks5-hostname", None, "string"),
    ("keepalive-time", "keepalive-time", None, "string"),
    ("post302", "post302", None, "bool"),
    ("noproxy", "noproxy", None, "string"),
    ("socks5-gssapi-nec", "socks5-gssapi-nec", None, "bool"),
    ("proxy1.0", "proxy1.0", None, "string"),
    ("tftp-blksize", "tftp-blksize", None, "string"),
    ("mail-from", "mail-from", None, "string"),
    ("mail-rcpt", "mail-rcpt", None, "string"),
    ("ftp-pret", "ftp-pret", None, "bool"),
    ("proto", "proto", None, "string"),
    ("proto-redir", "proto-redir", None, "string"),
    ("resolve", "resolve", None, "string"),
    ("delegation", "delegation", None, "string"),
    ("mail-auth", "mail-auth", None, "string"),
    ("post303", "post303", None, "bool"),
    ("metalink", "metalink", None, "bool"),
    ("sasl-authzid", "sasl-authzid", None, "string"),
    ("sasl-ir", "sasl-ir", None, "bool"),
    ("test-event", "test-event", None, "bool"),
    ("unix-socket", "unix-socket", None, "filename"),
    ("path-as-is", "path-as-is", None, "bool"),
    ("socks5-gssapi-service", "proxy-service-name", None, "string"),
    ("proxy-service-name", "proxy-service-name", None, "string"),
    ("service-name", "service-name", None, "string"),
    ("proto-default", "proto-default", None, "string"),
    ("expect100-timeout", "expect100-timeout", None, "string"),
    ("tftp-no-options", "tftp-no-options", None, "bool"),
    ("connect-to", "connect-to", None, "string"),
    ("abstract-unix-socket", "abstract-unix-socket", None, "filename"),
    ("tls-max", "tls-max", None, "string"),
    ("suppress-connect-headers", "suppress-connect-headers", None, "bool"),
    ("compressed-ssh", "compressed-ssh", None, "bool"),
    ("happy-eyeballs-timeout-ms", "happy-eyeballs-timeout-ms", None, "string"),
    ("retry-all-errors", "retry-all-errors", None, "bool"),
    ("http1.0", "http1.0", "0", "none"),
    ("http1.1", "http1.1", None, "none"),
    ("http2", "http2", None, "none"),
    ("http2-prior-knowledge", "http2-prior-knowledge", None, "none"),
    ("http3", "http3", None, "none"),
    ("http3-only", "http3-only", None, "none"),
    ("http0.9", "http0.9", None, "bool"),
    ("tlsv1", "tlsv1", "1", "none"),
    ("tlsv1.0", "tlsv1.0", None, "none"),
    ("tlsv1.1", "tlsv1.1", None, "none"),
    ("tlsv1.2", "tlsv1.2", None, "none"),
    ("tlsv1.3", "tlsv1.3", None, "none"),
    ("tls13-ciphers", "tls13-ciphers", None, "string"),
    ("proxy-tls13-ciphers", "proxy-tls13-ciphers", None, "string"),
    ("sslv2", "sslv2", "2", "none"),
    ("sslv3", "sslv3", "3", "none"),
    ("ipv4", "ipv4", "4", "none"),
    ("ipv6", "ipv6", "6", "none"),
    ("append", "append", "a", "bool"),
    ("user-agent", "user-agent", "A", "string"),
    ("cookie", "cookie", "b", "string"),
    ("alt-svc", "alt-svc", None, "string"),
    ("hsts", "hsts", None, "string"),
    ("use-ascii", "use-ascii", "B", "bool"),
    ("cookie-jar", "cookie-jar", "c", "string"),
    ("continue-at", "continue-at", "C", "string"),
    ("data", "data", "d", "string"),
    ("data-raw", "data-raw", None, "string"),
    ("data-ascii", "data-ascii", None, "string"),
    ("data-binary", "data-binary", None, "string"),
    ("data-urlencode", "data-urlencode", None, "string"),
    ("json", "json", None, "string"),
    ("url-query", "url-query", None, "string"),
    ("dump-header", "dump-header", "D", "filename"),
    ("referer", "referer", "e", "string"),
    ("cert", "cert", "E", "filename"),
    ("cacert", "cacert", None, "filename"),
    ("cert-type", "cert-type", None, "string"),
    ("key", "key", None, "filename"),
    ("key-type", "key-type", None, "string"),
    ("pass", "pass", None, "string"),
    ("engine", "engine", None, "string"),
    ("capath", "capath", None, "filename"),
    ("pubkey", "pubkey", None, "string"),
    ("hostpubmd5", "hostpubmd5", None, "string"),
    ("hostpubsha256", "hostpubsha256", None, "string"),
    ("crlfile", "crlfile", None, "filename"),
    ("tlsuser", "tlsuser", None, "string"),
    ("tlspassword", "tlspassword", None, "string"),
    ("tlsauthtype", "tlsauthtype", None, "string"),
    ("ssl-allow-beast", "ssl-allow-beast", None, "bool"),
    ("ssl-auto-client-cert", "ssl-auto-client-cert", None, "bool"),
    ("proxy-ssl-auto-client-cert", "proxy-ssl-auto-client-cert", None, "bool"),
    ("pinnedpubkey", "pinnedpubkey", None, "string"),
    ("proxy-pinnedpubkey", "proxy-pinnedpubkey", None, "string"),
    ("cert-status", "cert-status", None, "bool"),
    ("doh-cert-status", "doh-cert-status", None, "bool"),
    ("false-start", "false-start", None, "bool"),
    ("ssl-no-revoke", "ssl-no-revoke", None, "bool"),
    ("ssl-revoke-best-effort", "ssl-revoke-best-effort", None, "bool"),
    ("tcp-fastopen", "tcp-fastopen", None, "bool"),
    ("proxy-tlsuser", "proxy-tlsuser", None, "string"),
    ("proxy-tlspassword", "proxy-tlspassword", None, "string"),
    ("proxy-tlsauthtype", "proxy-tlsauthtype", None, "string"),
    ("proxy-cert", "proxy-cert", None, "filename"),
    ("proxy-cert-type", "proxy-cert-type", None, "string"),
    ("proxy-key", "proxy-key", None, "filename"),
    ("proxy-key-type", "proxy-key-type", None, "string"),
    ("proxy-pass", "proxy-pass", None, "string"),
    ("proxy-ciphers", "proxy-ciphers", None, "string"),
    ("proxy-crlfile", "proxy-crlfile", None, "filename"),
    ("proxy-ssl-allow-beast", "proxy-ssl-allow-beast", None, "bool"),
    ("login-options", "login-options", None, "string"),
    ("proxy-cacert", "proxy-cacert", None, "filename"),
    ("proxy-capath", "proxy-capath", None, "filename"),
    ("proxy-insecure", "proxy-insecure", None, "bool"),
    ("proxy-tlsv1", "proxy-tlsv1", None, "none"),
    ("socks5-basic", "socks5-basic", None, "bool"),
    ("socks5-gssapi", "socks5-gssapi", None, "bool"),
    ("etag-save", "etag-save", None, "filename"),
    ("etag-compare", "etag-compare", None, "filename"),
    ("curves", "curves", None, "string"),
    ("fail", "fail", "f", "bool"),
    ("fail-early", "fail-early", None, "bool"),
    ("styled-output", "styled-output", None, "bool"),
    ("mail-rcpt-allowfails", "mail-rcpt-allowfails", None, "bool"),
    ("fail-with-body", "fail-with-body", None, "bool"),
    ("remove-on-error", "remove-on-error", None, "bool"),
    ("form", "form", "F", "string"),
    ("form-string", "form-string", None, "string"),
    ("globoff", "globoff", "g", "bool"),
    ("get", "get", "G", "bool"),
    ("request-target", "request-target", None, "string"),
    ("help", "help", "h", "bool"),
    ("header", "header", "H", "string"),
    ("proxy-header", "proxy-header", None, "string"),
    ("include", "include", "i", "bool"),
    ("head", "head", "I", "bool"),
    ("junk-session-cookies", "junk-session-cookies", "j", "bool"),
    ("remote-header-name", "remote-header-name", "J", "bool"),
    ("insecure", "insecure", "k", "bool"),
    ("doh-insecure", "doh-insecure", None, "bool"),
    ("config", "config", "K", "filename"),
    ("list-only", "list-only", "l", "bool"),
    ("location", "location", "L", "bool"),
    ("location-trusted", "location-trusted", None, "bool"),
    ("max-time", "max-time", "m", "string"),
    ("manual", "manual", "M", "bool"),
    ("netrc", "netrc", "n", "bool"),
    ("netrc-optional", "netrc-optional", None, "bool"),
    ("netrc-file", "netrc-file", None, "filename"),
    ("buffer", "buffer", "N", "bool"),
    ("output", "output", "o", "filename"),
    ("remote-name", "remote-name", "O", "bool"),
    ("remote-name-all", "remote-name-all", None, "bool"),
    ("output-dir", "output-dir", None, "string"),
    ("clobber", "clobber", None, "bool"),
    ("proxytunnel", "proxytunnel", "p", "bool"),
    ("ftp-port", "ftp-port", "P", "string"),
    ("disable", "disable", "q", "bool"),
    ("quote", "quote", "Q", "string"),
    ("range", "range", "r", "string"),
    ("remote-time", "remote-time", "R", "bool"),
    ("silent", "silent", "s", "bool"),
    ("show-error", "show-error", "S", "bool"),
    ("telnet-option", "telnet-option", "t", "string"),
    ("upload-file", "upload-file", "T", "filename"),
    ("user", "user", "u", "string"),
    ("proxy-user", "proxy-user", "U", "string"),
    ("verbose", "verbose", "v", "bool"),
    ("version", "version", "V", "bool"),
    ("write-out", "write-out", "w", "string"),
    ("proxy", "proxy", "x", "string"),
    ("preproxy", "preproxy", None, "string"),
    ("request", "request", "X", "string"),
    ("speed-limit", "speed-limit", "Y", "string"),
    ("speed-time", "speed-time", "y", "string"),
    ("time-cond", "time-cond", "z", "string"),
    ("parallel", "parallel", "Z", "bool"),
    ("parallel-max", "parallel-max", None, "string"),
    ("parallel-immediate", "parallel-immediate", None, "bool"),
    ("progress-bar", "progress-bar", "#", "bool"),
    ("progress-meter", "progress-meter", None, "bool"),
    ("next", "next", ":", "none"),
)
# --- END GENERATED ---

_VALUE_KINDS = frozenset({"string", "filename"})

OPTIONS: dict[str, CurlOption] = {
    name: CurlOption(name, short, kind in _VALUE_KINDS, kind == "bool")
    for name, canonical, short, kind in _TABLE
    if name == canonical
}

SHORT_OPTIONS: dict[str, CurlOption] = {
    option.short: option for option in OPTIONS.values() if option.short is not None
}

# Every long name curl accepts, aliases included, since each counts as a separate match
# when curl decides whether a prefix is ambiguous.
_BY_NAME: dict[str, CurlOption] = {name: OPTIONS[canonical] for name, canonical, _, _ in _TABLE}

# curl folds case with its own ASCII-only toupper; str.lower() would also fold non-ASCII
# letters such as the Kelvin sign onto "k".
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def lookup_long(name: str) -> tuple[CurlOption, bool]:
    """Resolve a long option given without its leading "--"; returns (option, negated)."""
    negated = name.startswith("no-")
    word = (name[3:] if negated else name).translate(_ASCII_LOWER)
    exact = _BY_NAME.get(word)
    if exact is not None:
        option = exact
    else:
        prefixed = [] if negated else [key for key in _BY_NAME if key.startswith(word)]
        if len(prefixed) > 1:
            raise OptionError(f"option --{name}: is ambiguous")
        if not prefixed:
            raise OptionError(f"option --{name}: is unknown")
        option = _BY_NAME[prefixed[0]]
    if negated and not option.boolean:
        raise OptionError(f"option --{name}: used '--no-' for option that isn't a boolean")
    return option, negated


def lookup_short(letter: str) -> CurlOption:
    """Resolve the letter of a one-dash option (one character of a run such as `-sSL`)."""
    option = SHORT_OPTIONS.get(letter)
    if option is None:
        raise OptionError(f"option -{letter}: is unknown")
    return option
