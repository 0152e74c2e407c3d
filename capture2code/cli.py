"""The command line: `capture2code convert` (and, later, `record` and `show`)."""

from __future__ import annotations

import functools
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from capture2code.provision import ProvisionOptions

from capture2code import __version__
from capture2code.sources import Source

CONVERT_HELP = """Convert captured requests into a script that sends them again.

INPUT is a file or `-` (standard input, also used when no INPUT is given). It may hold
one or several curl commands as Chrome or Firefox "Copy as cURL" gives them (bash or
Windows cmd syntax, also "Copy all as cURL"), a HAR file (DevTools "Save all as HAR"), a
mitmproxy flow file (`mitmdump -w`), or records written by `capture2code record` or
`--to jsonl`.

Secrets (tokens, session cookies, passwords, keys; in headers, URLs and bodies) become
environment variables: the script reads them, and `--env-file` writes their captured
values (mode 0600). The script sends to the captured origin unless BASE_URL is set.

Two modes. Faithful (the default for one pasted curl command) sends exactly the captured
requests. Provisioning (the default for several commands, HAR, flow and records files)
does the same work again on any server: noise is dropped (see `capture2code show`), ids
the server made are read from its responses, names you typed become options
(--cluster-name), the browser session becomes `Authorization: Bearer $RANCHER_TOKEN`
and the login call is dropped.

Filtering, in this order: --exclude drops, --include keeps, --all-requests keeps
everything, then the noise rules; a read (GET) is kept when a later kept request uses
its response.

\b
Examples:
  capture2code convert --to python < copied.txt
  capture2code convert copied.txt --to curl -o replay.sh --env-file .env
  set -a; . ./.env; set +a; bash replay.sh
  capture2code convert copied.txt --to http -o replay.http
  capture2code convert session.har --to curl -o provision.sh
  capture2code convert flows.mitm --to http -o provision.http
  BASE_URL=https://staging.example.test python3 replay.py
  capture2code convert session.har -o provision.py --env-file .env
  python3 provision.py --cluster-name demo2
  capture2code convert session.har --faithful --to curl   # replay exactly, login and all
"""


HTTP_CLIENT_ENV = "http-client.private.env.json"

input_format_option = click.option(
    "--from",
    "input_format",
    type=click.Choice(["auto", "curl", "har", "mitm", "jsonl"]),
    default="auto",
    show_default=True,
    help="Input format; auto detects it from the content.",
)


def filter_options(command: Callable[..., None]) -> Callable[..., None]:
    """The noise filter's overrides, shared by `convert` and `show`."""
    for option in reversed(
        (
            click.option(
                "--host",
                "hosts",
                multiple=True,
                help="The API's host (repeatable); default: inferred.",
            ),
            click.option(
                "--include", metavar="REGEX", help='Keep requests whose "METHOD URL" matches.'
            ),
            click.option(
                "--exclude", metavar="REGEX", help='Drop requests whose "METHOD URL" matches.'
            ),
            click.option(
                "--all-requests",
                "--no-filter",
                "all_requests",
                is_flag=True,
                help="Keep every request (no noise filter).",
            ),
        )
    ):
        command = option(command)
    return command


def _pattern(option: str, value: str | None) -> re.Pattern[str] | None:
    if value is None:
        return None
    try:
        return re.compile(value)
    except re.error as error:
        raise UsageFailure(f"{option} {value!r}: not a valid regular expression: {error}") from None


def _provision_options(
    hosts: tuple[str, ...],
    include: str | None,
    exclude: str | None,
    all_requests: bool,
    *,
    no_chain: bool = False,
    keep_login: bool = False,
    keep_session_auth: bool = False,
) -> ProvisionOptions | None:
    """The provisioning options asked for; None when none was (the defaults), so that a
    pasted command, which needs none, does not load the filter."""
    include_pattern = _pattern("--include", include)
    exclude_pattern = _pattern("--exclude", exclude)
    switches = (all_requests, no_chain, keep_login, keep_session_auth)
    if not (hosts or include or exclude or any(switches)):
        return None
    from capture2code.filters import FilterOptions
    from capture2code.provision import ProvisionOptions

    return ProvisionOptions(
        FilterOptions(hosts, include_pattern, exclude_pattern, all_requests),
        chain=not no_chain,
        keep_login=keep_login,
        keep_session_auth=keep_session_auth,
    )


class UsageFailure(Exception):
    """Bad input already located: message is `<input>[:line[:col]]: what`."""


def reports_errors(command: Callable[..., None]) -> Callable[..., None]:
    """Bad input: one line and exit 2. Anything else: exit 1 without showing values, which
    may be captured secrets."""

    @functools.wraps(command)
    def run(*args: object, **kwargs: object) -> None:
        try:
            command(*args, **kwargs)
        except UsageFailure as failure:
            click.echo(f"capture2code: error: {failure}", err=True)
            sys.exit(2)
        except Exception as error:  # noqa: BLE001
            import traceback

            frame = traceback.extract_tb(error.__traceback__)[-1]
            click.echo(
                f"capture2code: internal error: {type(error).__name__} at "
                f"{Path(frame.filename).name}:{frame.lineno}; please report it",
                err=True,
            )
            sys.exit(1)

    return run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="capture2code")
def main() -> None:
    """Turn captured HTTP traffic into reproducible, credential-safe scripts.

    \b
    Quick start:
      capture2code convert samples/rancher/a_rke1_digitalocean_session.har --to python
      capture2code show samples/rancher/a_rke1_digitalocean_session.har
      capture2code convert --help
    """


@main.command(help=CONVERT_HELP)
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@input_format_option
@click.option(
    "--to",
    "target",
    type=click.Choice(["python", "curl", "http", "jsonl"]),
    default="python",
    show_default=True,
    help="python: requests script; curl: bash script of curl calls; http: .http file "
    "(JetBrains HTTP Client, httpyac); jsonl: normalized records.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout."
)
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False),
    help="Write the captured secret values here (bash-sourceable, mode 0600).",
)
@click.option(
    "--no-redact",
    is_flag=True,
    help="Keep secrets inline in the output (for one-off local use only).",
)
@click.option(
    "--faithful",
    "mode",
    flag_value="faithful",
    help="Send exactly the captured requests (secrets still moved to variables).",
)
@click.option(
    "--provision",
    "mode",
    flag_value="provision",
    help="Repeat the work on any server: drop noise, chain ids, use an API token.",
)
@click.option("--keep-login", is_flag=True, help="Keep the login call; use its token.")
@click.option(
    "--keep-session-auth", is_flag=True, help="Keep the browser session's cookies and CSRF header."
)
@click.option("--no-chain", is_flag=True, help="Keep captured ids literal (no extraction).")
@filter_options
@reports_errors
def convert(
    inputs: tuple[str, ...],
    input_format: str,
    target: str,
    output: str | None,
    env_file: str | None,
    no_redact: bool,
    mode: str | None,
    keep_login: bool,
    keep_session_auth: bool,
    no_chain: bool,
    hosts: tuple[str, ...],
    include: str | None,
    exclude: str | None,
    all_requests: bool,
) -> None:
    from capture2code.convert import SourceError
    from capture2code.convert import convert as run_conversion
    from capture2code.emit import EmitError

    sources = [_load(name) for name in inputs or ("-",)]
    names = ", ".join(source.name for source in sources)
    try:
        conversion = run_conversion(
            sources,
            input_format=input_format,
            target=target,
            redacted=not no_redact,
            output_name=Path(output).name if output else None,
            mode=mode,  # type: ignore[arg-type]
            options=_provision_options(
                hosts,
                include,
                exclude,
                all_requests,
                no_chain=no_chain,
                keep_login=keep_login,
                keep_session_auth=keep_session_auth,
            ),
        )
    except SourceError as error:
        raise UsageFailure(str(error)) from None
    except EmitError as error:
        raise UsageFailure(f"{names}: cannot write {target}: {error}") from None
    for warning in conversion.warnings:
        click.echo(f"capture2code: warning: {warning}", err=True)
    emitted = conversion.emitted
    if output is None:
        if emitted.files:
            raise UsageFailure(f"{names}: the {target} output needs files beside it; use -o FILE")
        click.echo(emitted.text, nl=False)
    else:
        out = Path(output)
        for name, data in emitted.files.items():
            _write_atomic(out.parent / name, data, 0o644)
        executable = target in ("python", "curl")
        _write_atomic(out, emitted.text.encode("utf-8"), 0o755 if executable else 0o644)
    if env_file is not None:
        from capture2code.emit.envfile import env_file as render_env_file

        _write_atomic(Path(env_file), render_env_file(conversion.plan).encode("utf-8"), 0o600)
        if target == "http":
            from capture2code.emit.envfile import http_client_env

            beside = (Path(output).parent if output else Path(".")) / HTTP_CLIENT_ENV
            _write_atomic(beside, http_client_env(conversion.plan).encode("utf-8"), 0o600)


RECORD_HELP = """Record requests live through mitmproxy while you click through a web console.

Starts mitmdump with the capture2code addon on 127.0.0.1, shows how to point a browser at
it, counts the requests as they complete, and writes each one (secrets redacted; their
values go to OUTPUT.env, mode 0600) to OUTPUT. Ctrl-C stops it and prints the command to
run next. Arguments after `--` go to mitmdump.

\b
Examples:
  capture2code record -o rancher.jsonl --host rancher.example.test
  capture2code record --script provision.py --to python    # the script follows your clicks
  capture2code convert rancher.jsonl --to python -o provision.py
"""


@main.command(help=RECORD_HELP)
@click.option("-p", "--port", type=int, default=8080, show_default=True, help="Proxy port.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default="capture.jsonl",
    show_default=True,
    help="Records file (JSON Lines).",
)
@click.option("--host", "hosts", multiple=True, help="Record only this host (repeatable).")
@click.option(
    "--script", type=click.Path(dir_okay=False), help="Keep this script regenerated as you click."
)
@click.option(
    "--to",
    "target",
    type=click.Choice(["python", "curl", "http"]),
    default="python",
    show_default=True,
    help="Language of --script.",
)
@click.argument("mitmdump_args", nargs=-1, type=click.UNPROCESSED)
@reports_errors
def record(
    port: int,
    output: str,
    hosts: tuple[str, ...],
    script: str | None,
    target: str,
    mitmdump_args: tuple[str, ...],
) -> None:
    from capture2code.capture import run_record

    code = run_record(
        port=port,
        output=Path(output),
        hosts=list(hosts),
        script=Path(script) if script else None,
        target=target,
        mitmdump_args=list(mitmdump_args),
        out=sys.stdout,
        err=sys.stderr,
    )
    sys.exit(code)


SHOW_HELP = """Show what a conversion keeps and why, or the secrets it found.

The table lists every request of INPUT: its number, method, path, status, and whether
provisioning mode keeps it, with the reason. `--secrets` lists each secret found instead:
the variable it becomes and where it was, never its value.

\b
Examples:
  capture2code show session.har
  capture2code show session.har --secrets
  capture2code show session.har --include '/v3/nodepools'
"""


@main.command(help=SHOW_HELP)
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@input_format_option
@click.option("--secrets", is_flag=True, help="List the secrets found (names, not values).")
@filter_options
@reports_errors
def show(
    inputs: tuple[str, ...],
    input_format: str,
    secrets: bool,
    hosts: tuple[str, ...],
    include: str | None,
    exclude: str | None,
    all_requests: bool,
) -> None:
    from capture2code.convert import SourceError
    from capture2code.convert import show as render

    sources = [_load(name) for name in inputs or ("-",)]
    try:
        text = render(
            sources,
            input_format=input_format,
            secrets=secrets,
            options=_provision_options(hosts, include, exclude, all_requests),
            width=shutil.get_terminal_size().columns if sys.stdout.isatty() else None,
        )
    except SourceError as error:
        raise UsageFailure(str(error)) from None
    click.echo(text, nl=not text.endswith("\n"))


def _load(name: str) -> Source:
    if name == "-":
        return Source("<stdin>", data=sys.stdin.buffer.read())
    path = Path(name)
    if path.is_dir():
        raise UsageFailure(f"{name}: is a directory")
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise UsageFailure(f"{name}: {error.strerror}") from None
    return Source(name, path=path)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    from capture2code.files import replace_file

    try:
        replace_file(path, data, mode)
    except OSError as error:
        raise UsageFailure(f"{path}: cannot write: {error.strerror}") from None
