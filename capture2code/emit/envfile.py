"""The env file (`--env-file`): captured secret values as bash assignments.

`set -a; . PATH; set +a` restores every value exactly: each is one bash word from
`bash_word` (single quotes, `'\\''` for a quote, `$'\\xHH'` for invisible or invalid
bytes). A value with a NUL byte, which no bash variable can hold, is stored base64-encoded
as `NAME_B64`; the generated scripts decode it.
"""

from __future__ import annotations

import base64

from capture2code.emit import EmitError
from capture2code.emit.curl import bash_word
from capture2code.plan import EnvVar, Plan
from capture2code.template import VAR_NAME

HEADER = (
    "# capture2code env file: captured SECRETS for the generated script. Keep it private.",
    "# Use: set -a; . ./<this file>; set +a; then run the generated script.",
)


def _assignment(env: EnvVar, value: str) -> str:
    if not VAR_NAME.fullmatch(env.name):
        raise EmitError(f"{env.name!r} is not a valid environment variable name")
    if env.base64:
        encoded = base64.b64encode(value.encode("utf-8", "surrogateescape")).decode("ascii")
        return f"{env.name}_B64={bash_word(encoded, bare=False)}"
    if "\0" in value:
        raise EmitError(f"the value of {env.name} holds a NUL byte but is not marked base64")
    return f"{env.name}={bash_word(value, bare=False)}"


def env_file(plan: Plan) -> str:
    lines = [*HEADER]
    lines += [_assignment(env, env.value) for env in plan.env if env.value is not None]
    return "\n".join(lines) + "\n"


# The environment `http-client.private.env.json` defines: `httpyac send F --env captured`.
HTTP_CLIENT_ENVIRONMENT = "captured"


def http_client_env(plan: Plan) -> str:
    """The same values as `http-client.private.env.json`, which JetBrains' HTTP Client and
    httpyac read beside a .http file, in environment HTTP_CLIENT_ENVIRONMENT (httpyac
    applies `$shared` only together with a named environment)."""
    import json

    values = {}
    for env in plan.env:
        if env.value is None:
            continue
        if env.base64:
            encoded = base64.b64encode(env.value.encode("utf-8", "surrogateescape")).decode()
            values[f"{env.name}_B64"] = encoded
        else:
            values[env.name] = env.value.encode("utf-8", "surrogateescape").decode(
                "utf-8", "replace"
            )
    return json.dumps({HTTP_CLIENT_ENVIRONMENT: values}, indent=2, ensure_ascii=False) + "\n"
