"""The example scripts in samples/rancher/generated/ are what the code generates now
(black is pinned, so Python output is stable). Regenerate with `python3 tools/make_samples.py`.
They are examples; tests/test_provision_e2e.py is what proves the same scripts work."""

from __future__ import annotations

from tools.make_samples import GENERATED, generated


def test_generated_samples_are_current() -> None:
    expected = generated()
    on_disk = {path.name: path.read_bytes() for path in GENERATED.iterdir()}
    assert sorted(on_disk) == sorted(expected)
    stale = [name for name, data in expected.items() if on_disk[name] != data]
    assert not stale, f"regenerate with `python3 tools/make_samples.py`: {stale}"


def test_samples_hold_no_secret_and_no_captured_id() -> None:
    for name, data in generated().items():
        text = data.decode("utf-8", "replace")
        assert "CANARY" not in text, name
        for captured in ("c-5nmb8", "nt-q9w4z", "cc-7xk2p", "np-2fgh7"):
            assert captured not in text, (name, captured)
