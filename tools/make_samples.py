"""Regenerate the example scripts in samples/rancher/generated/ from the Rancher captures.

    python3 tools/make_samples.py

Each capture in samples/rancher/ becomes a Python, a bash and a .http script, as
`capture2code convert CAPTURE --to LANG -o generated/NAME.EXT` writes them. They are
examples to read; tests/test_provision_e2e.py runs the same conversions against the fake
Rancher, and tests/test_samples.py checks that these files are what the code generates now.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "rancher"
GENERATED = SAMPLES / "generated"
# capture -> the stem of its scripts
CAPTURES = {
    "a_rke1_digitalocean_session.har": "rke1_session",
    "b_copy_all_as_curl_bash.txt": "rke1_copy_all_as_curl",
    "c_rke2_digitalocean_session.har": "rke2_session",
}
EXTENSIONS = {"python": "py", "curl": "sh", "http": "http"}


def generated() -> dict[str, bytes]:
    """Every file of generated/, by name, as the code makes it now."""
    sys.path.insert(0, str(ROOT))
    from capture2code.convert import convert
    from capture2code.sources import Source

    files: dict[str, bytes] = {}
    for capture, stem in CAPTURES.items():
        path = SAMPLES / capture
        # Named relative to the repository, so the header comment is the same on any machine.
        source = Source(f"samples/rancher/{capture}", path=path)
        for target, extension in EXTENSIONS.items():
            name = f"{stem}.{extension}"
            emitted = convert([source], target=target, output_name=name).emitted
            files[name] = emitted.text.encode("utf-8")
            files.update(emitted.files)
    return files


def main() -> None:
    GENERATED.mkdir(exist_ok=True)
    for old in GENERATED.iterdir():
        old.unlink()
    for name, data in generated().items():
        (GENERATED / name).write_bytes(data)
        print(f"wrote {GENERATED.relative_to(ROOT) / name}")


if __name__ == "__main__":
    main()
