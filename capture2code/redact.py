"""Secrets -> environment variables.

A pure function over records: every captured secret value is replaced by an env `Var`
and returned as an `EnvVar` whose `value` only the env file ever holds. One variable
per distinct secret value.
"""

from __future__ import annotations

from dataclasses import dataclass

from capture2code.plan import EnvVar
from capture2code.record import Record
from capture2code.template import Text, Var


@dataclass(frozen=True)
class SecretHeader:
    var: str
    description: str


# Request headers whose whole value is a credential.
SECRET_HEADERS: dict[str, SecretHeader] = {
    "authorization": SecretHeader("AUTHORIZATION", "value of the Authorization header"),
    "proxy-authorization": SecretHeader(
        "PROXY_AUTHORIZATION", "value of the Proxy-Authorization header"
    ),
    "cookie": SecretHeader("COOKIE", "value of the Cookie header"),
}


@dataclass
class Redaction:
    records: list[Record]
    env: list[EnvVar]


class _Vars:
    """Hands out one variable name per distinct secret value; collisions get a suffix."""

    def __init__(self) -> None:
        self.by_value: dict[str, EnvVar] = {}
        self.names: set[str] = set()

    def for_value(self, value: str, base: str, description: str) -> Var:
        known = self.by_value.get(value)
        if known is None:
            name, number = base, 1
            while name in self.names:
                number += 1
                name = f"{base}_{number}"
            self.names.add(name)
            known = EnvVar(name, description, value=value, base64="\0" in value)
            self.by_value[value] = known
        return Var(known.name)


class Redactor:
    """Redacts records one at a time (a live capture) with one set of variable names: the
    same secret value gets the same variable in every record."""

    def __init__(self) -> None:
        self._vars = _Vars()

    @property
    def env(self) -> list[EnvVar]:
        """The variables handed out so far, with their captured values."""
        return list(self._vars.by_value.values())

    def record(self, record: Record) -> Record:
        headers = []
        notes = list(record.redacted)
        for name, value in record.request.headers:
            secret = SECRET_HEADERS.get(name.lower())
            if secret is not None and value.is_literal and value.literal_str():
                var = self._vars.for_value(value.literal_str(), secret.var, secret.description)
                value = Text.of(var)
                notes.append({"where": f"header:{name.lower()}", "var": var.name})
            headers.append((name, value))
        return record.changed(record.request.changed(headers=headers), notes)


def redact(records: list[Record]) -> Redaction:
    redactor = Redactor()
    redacted = [redactor.record(record) for record in records]
    return Redaction(redacted, redactor.env)
