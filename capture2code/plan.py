"""The Plan: what every emitter renders.

A Plan is the ordered steps (each a redacted, chained request), the environment
variables the script reads, and notes for the header comment. Emitters take a Plan
and return text; they never see the raw input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from capture2code.record import Record


@dataclass(frozen=True)
class EnvVar:
    """An environment variable the generated script reads.

    `default` is a non-secret value the script may contain (BASE_URL's captured
    origin). `value` is the captured secret: it goes to the env file only, never
    into a script. A variable with neither must be set by the user.
    """

    name: str
    description: str = ""
    default: str | None = None
    value: str | None = None
    # The value holds a NUL byte, which bash cannot hold: the env file stores NAME_B64.
    base64: bool = False


@dataclass
class Step:
    record: Record
    title: str
    # Facts a reader of the script should know next to this request (a client limit).
    notes: list[str] = field(default_factory=list)
    # Set when the step cannot be replayed (a websocket): emitters write it as a comment.
    skip: str | None = None


@dataclass
class Plan:
    steps: list[Step]
    env: list[EnvVar] = field(default_factory=list)
    # Lines for the header comment (what was converted, how to run it).
    header: list[str] = field(default_factory=list)
    redacted: bool = True

    def env_var(self, name: str) -> EnvVar | None:
        return next((var for var in self.env if var.name == name), None)
