from collections.abc import Iterator

import pytest

from tests.recorder import Recorder


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder().start()
    yield server
    server.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.wire import TALLY

    if any(TALLY.values()):
        terminalreporter.section("curl corpus fidelity (requests compared with real curl)")
        for target, counts in TALLY.items():
            line = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()))
            terminalreporter.write_line(f"{target}: {line}")
