"""The curl option table and lookup, checked against the real curl 7.88.1 binary.

Probes never reach the network: each command fails while curl parses its arguments (no
URL, or a trailing unknown option), so no transfer starts. `-q` keeps a ~/.curlrc out.
"""

from __future__ import annotations

import re
import string
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capture2code.sources import curl_options
from capture2code.sources.curl_options import (
    OPTIONS,
    SHORT_OPTIONS,
    OptionError,
    lookup_long,
    lookup_short,
)

CURL = "/usr/bin/curl"
# Words no curl option is called; curl names the first one it reads as an option.
BOGUS = ("--c2c-bogus-a", "--c2c-bogus-b")
ERROR_REASONS = ("is unknown", "is ambiguous", "used '--no-' for option that isn't a boolean")

# Every long name curl's table holds, with the canonical name of the option it belongs to.
CANONICAL = {name: canonical for name, canonical, _, _ in curl_options._TABLE}
NAMES = list(CANONICAL)
# Every printable one-character option word except "--", which ends curl's options.
LETTERS = [c for c in string.printable if c not in "-\t\n\r\x0b\x0c"]

# Non-value options whose own handler ends curl's parsing, so the next word is never read:
# they print and exit, or fail because this build lacks the feature.
STOPS_PARSING = {"help", "manual", "version", "metalink", "http3", "http3-only"}
# curl's internal letter codes: `-*` finds the row "*@" (url) and `-$` the row "$a" (ssl),
# whose handlers do nothing without a second letter, so curl accepts them as no-ops (`-*`
# even eats a value). A converter gains nothing from them; we refuse them as unknown.
INTERNAL_CODES = {"*", "$"}


@dataclass(frozen=True)
class Outcome:
    status: int
    stderr: str

    def says(self, word: str, reason: str) -> bool:
        return f"curl: option {word}: {reason}" in self.stderr.splitlines()

    def refusal(self, word: str) -> str | None:
        """curl's message when it refuses `word` itself as an option, else None."""
        return next(
            (f"option {word}: {reason}" for reason in ERROR_REASONS if self.says(word, reason)),
            None,
        )


def run_curl(cwd: Path, args: tuple[str, ...]) -> Outcome:
    argv = [CURL, "-q", "--max-time", "2", *args]
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=30)
    return Outcome(done.returncode, done.stderr)


def our_refusal(name: str) -> str | None:
    try:
        lookup_long(name)
    except OptionError as error:
        return str(error)
    return None


def help_lines() -> list[tuple[str | None, str, bool]]:
    """(short letter, long name, shows an argument) for each option in `curl --help all`."""
    text = subprocess.run([CURL, "--help", "all"], capture_output=True, text=True, check=True)
    pattern = re.compile(r"^\s*(?:-(\S), )?--(\S+)( (?:<[^>]*>|\[\S+))?")
    return [
        (match.group(1), match.group(2), match.group(3) is not None)
        for match in map(pattern.match, text.stdout.splitlines())
        if match
    ]


HELP = help_lines()


def long_probes(name: str) -> list[tuple[str, ...]]:
    return [(f"--{name}",), (f"--{name}", *BOGUS), (f"--no-{name}",)]


def short_probes(letter: str) -> list[tuple[str, ...]]:
    return [(f"-{letter}",), (f"-{letter}", *BOGUS)]


@pytest.fixture(scope="module")
def probe_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Value options such as --stderr create their file while curl parses.
    return tmp_path_factory.mktemp("curl-probes")


@pytest.fixture(scope="module")
def curl(probe_dir: Path) -> Iterator[dict[tuple[str, ...], Outcome]]:
    """Every table probe, run once, a few at a time."""
    probes = [args for name in NAMES for args in long_probes(name)]
    probes += [args for letter in LETTERS for args in short_probes(letter)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        yield dict(zip(probes, pool.map(partial(run_curl, probe_dir), probes), strict=True))


@pytest.mark.parametrize("name", NAMES)
def test_long_name_resolves_exactly(name: str) -> None:
    option, negated = lookup_long(name)
    assert not negated
    assert option.long == CANONICAL[name]


@pytest.mark.parametrize("name", NAMES)
def test_long_name_arity_matches_curl(name: str, curl: dict[tuple[str, ...], Outcome]) -> None:
    option, _ = lookup_long(name)
    alone = curl[(f"--{name}",)]
    assert alone.refusal(f"--{name}") is None
    assert alone.says(f"--{name}", "requires parameter") == option.takes_value


@pytest.mark.parametrize("name", NAMES)
def test_long_name_consumes_next_word_like_curl(
    name: str, curl: dict[tuple[str, ...], Outcome]
) -> None:
    option, _ = lookup_long(name)
    outcome = curl[(f"--{name}", *BOGUS)]
    next_word_read = outcome.says(BOGUS[0], "is unknown")
    assert next_word_read != (option.takes_value or name in STOPS_PARSING)


@pytest.mark.parametrize("name", NAMES)
def test_no_prefix_accepted_exactly_for_booleans(
    name: str, curl: dict[tuple[str, ...], Outcome]
) -> None:
    option, _ = lookup_long(name)
    outcome = curl[(f"--no-{name}",)]
    assert outcome.refusal(f"--no-{name}") == our_refusal(f"no-{name}")
    assert (outcome.refusal(f"--no-{name}") is None) == option.boolean
    if option.boolean:
        assert lookup_long(f"no-{name}") == (option, True)


@pytest.mark.parametrize("letter", LETTERS)
def test_short_letter_matches_curl(letter: str, curl: dict[tuple[str, ...], Outcome]) -> None:
    alone = curl[(f"-{letter}",)]
    if letter in INTERNAL_CODES:
        assert alone.refusal(f"-{letter}") is None
        with pytest.raises(OptionError, match=re.escape(f"option -{letter}: is unknown")):
            lookup_short(letter)
        return
    if alone.says(f"-{letter}", "is unknown"):
        assert letter not in SHORT_OPTIONS
        with pytest.raises(OptionError, match=re.escape(f"option -{letter}: is unknown")):
            lookup_short(letter)
        return
    option = lookup_short(letter)
    assert option.short == letter
    assert alone.says(f"-{letter}", "requires parameter") == option.takes_value
    next_word_read = curl[(f"-{letter}", *BOGUS)].says(BOGUS[0], "is unknown")
    assert next_word_read != option.takes_value or option.long in STOPS_PARSING


@pytest.mark.parametrize(("short", "name", "shows_argument"), HELP, ids=[h[1] for h in HELP])
def test_help_option_in_table(short: str | None, name: str, shows_argument: bool) -> None:
    option, negated = lookup_long(name)
    assert negated == name.startswith("no-")
    # `--help <category>`: curl peeks at the next word without consuming it and stops
    # parsing there (tool_getparam.c: "case 'h'" returns PARAM_HELP_REQUESTED).
    assert option.takes_value == (shows_argument and name != "help")
    assert option.short == short
    if short is not None:
        assert lookup_short(short) is option


def test_every_option_is_documented_or_a_known_exception() -> None:
    documented = {lookup_long(name)[0].long for _, name, _ in HELP}
    # curl keeps these out of its help: --epsv/--eprt are the positive forms of the
    # documented --disable-epsv/--disable-eprt, --test-event works in debug builds only.
    assert set(OPTIONS) - documented == {"epsv", "eprt", "test-event"}
    assert len(OPTIONS) == len(documented) + 3


# (word after "--", canonical option it resolves to or None when curl refuses it, negated)
SAMPLES = [
    ("data", "data", False),
    ("data-r", "data-raw", False),
    ("d", None, False),
    ("data=foo", None, False),
    ("expand-data", None, False),
    ("no-data", None, False),
    ("no-compressed", "compressed", True),
    ("no-location", "location", True),
    ("no-insecure", "insecure", True),
    ("no-LOCATION", "location", True),
    ("No-location", None, False),
    ("no-loc", None, False),
    ("no-", None, False),
    ("no-http1.1", None, False),
    ("no-buffer", "buffer", True),
    ("no-keepalive", "keepalive", True),
    ("no-sessionid", "sessionid", True),
    ("no-progress-meter", "progress-meter", True),
    ("LOCATION", "location", False),
    ("Loc", None, False),
    ("insec", "insecure", False),
    ("compress", None, False),
    ("compressed", "compressed", False),
    ("ssl", "ssl", False),
    ("ftp-ssl", "ssl", False),
    ("ftp-ssl-r", "ssl-reqd", False),
    ("kr", None, False),
    ("krb4", "krb", False),
    ("socks5-gssapi-service", "proxy-service-name", False),
    ("-", None, False),
    ("wdebug", None, False),
    ("\u212arb", None, False),  # KELVIN SIGN: curl folds ASCII only
]


@pytest.mark.parametrize(("word", "expected", "negated"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_sample_words_match_curl(
    word: str, expected: str | None, negated: bool, probe_dir: Path
) -> None:
    outcome = run_curl(probe_dir, (f"--{word}",))
    refusal = outcome.refusal(f"--{word}")
    assert our_refusal(word) == refusal
    assert (refusal is None) == (expected is not None)
    if expected is None:
        assert outcome.status == 2
    else:
        assert lookup_long(word) == (OPTIONS[expected], negated)


@st.composite
def option_words(draw: st.DrawFn) -> str:
    """A name from curl's table, cut short, case-scrambled, maybe `no-`'d or extended."""
    name = draw(st.sampled_from(NAMES))
    cut = name[: draw(st.integers(1, len(name)))]
    upper = draw(st.lists(st.booleans(), min_size=len(cut), max_size=len(cut)))
    word = "".join(c.upper() if up else c for c, up in zip(cut, upper, strict=True))
    return draw(st.sampled_from(["", "no-", "No-"])) + word + draw(st.sampled_from(["", "=x", "s"]))


@settings(max_examples=100, deadline=None)
@given(word=option_words())
def test_lookup_long_agrees_with_curl(word: str, probe_dir: Path) -> None:
    outcome = run_curl(probe_dir, (f"--{word}",))
    assert our_refusal(word) == outcome.refusal(f"--{word}")
    if our_refusal(word) is None:
        option, _ = lookup_long(word)
        assert outcome.says(f"--{word}", "requires parameter") == option.takes_value
