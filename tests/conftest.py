from collections.abc import Iterator

import pytest

from tests.recorder import Recorder


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder().start()
    yield server
    server.stop()
