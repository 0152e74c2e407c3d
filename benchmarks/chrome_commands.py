"""1,000 varied Chrome-style "Copy as cURL (bash)" commands, the same on every run."""

from __future__ import annotations

import json
import random

HOSTS = ["rancher.example.test", "api.example.com", "console.example.org"]
PATHS = ["/v3/clusters", "/v3/nodetemplates", "/v1/management.cattle.io.users", "/api/items"]
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)


def _quote(text: str) -> str:
    if "'" in text or "!" in text or not text.isascii():
        escaped = text.replace("\\", "\\\\").replace("'", "\\'")
        return "$'" + "".join(c if c.isascii() else f"\\u{ord(c):04x}" for c in escaped) + "'"
    return "'" + text + "'"


def command(rng: random.Random) -> str:
    host = rng.choice(HOSTS)
    path = rng.choice(PATHS) + rng.choice(["", "?limit=50", "?_replace=true&x=%7C"])
    lines = [f"curl 'https://{host}{path}'"]
    headers = [
        ("accept", "application/json"),
        ("accept-language", "en-US,en;q=0.9"),
        ("origin", f"https://{host}"),
        ("priority", "u=1, i"),
        ("referer", f"https://{host}/dashboard/c/_/manager"),
        ("sec-ch-ua", '"Not/A)Brand";v="8", "Chromium";v="126"'),
        ("sec-ch-ua-mobile", "?0"),
        ("sec-ch-ua-platform", '"Linux"'),
        ("sec-fetch-dest", "empty"),
        ("sec-fetch-mode", "cors"),
        ("sec-fetch-site", "same-origin"),
        ("user-agent", USER_AGENT),
        ("x-api-csrf", f"{rng.getrandbits(128):032x}"),
    ]
    rng.shuffle(headers)
    body = None
    if rng.random() < 0.6:
        headers.append(("content-type", "application/json"))
        payload = {
            "type": "cluster",
            "name": f"demo-{rng.randint(1, 999)}",
            "labels": {"env": rng.choice(["prod", "dev", "Größe", "it's"])},
            "spec": {"replicas": rng.randint(1, 9), "enabled": rng.random() < 0.5},
        }
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    for name, value in headers[: rng.randint(8, len(headers))]:
        lines.append(f"-H {_quote(f'{name}: {value}')}")
    cookie = f"R_PCS=light; CSRF={rng.getrandbits(64):016x}; R_SESS=token-{rng.getrandbits(40):x}"
    lines.append(f"-b {_quote(cookie)}")
    if body is not None:
        lines.append(f"--data-raw {_quote(body)}")
    return " \\\n  ".join(lines)


def commands(count: int = 1000, seed: int = 2026) -> list[str]:
    rng = random.Random(seed)
    return [command(rng) for _ in range(count)]
