from hypothesis import given
from hypothesis import strategies as st

from capture2code.emit.envfile import env_file
from capture2code.plan import EnvVar, Plan
from capture2code.sources.envfile import read_env_file

values = st.text(max_size=30) | st.binary(max_size=20).map(
    lambda data: data.decode("utf-8", "surrogateescape")
)


@given(st.lists(values, max_size=5))
def test_what_the_writer_writes_reads_back_exactly(texts: list[str]) -> None:
    env = [
        EnvVar(f"SECRET_{index}", value=text, base64="\0" in text)
        for index, text in enumerate(texts)
    ]
    written = env_file(Plan([], env=env))
    assert read_env_file(written) == {var.name: var.value for var in env}
