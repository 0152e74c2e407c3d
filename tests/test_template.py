from hypothesis import given
from hypothesis import strategies as st

from capture2code.template import Text, Var, from_placeholders, to_placeholders

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
braces = st.text(alphabet="{}ab$", max_size=12)
pieces = st.lists(st.one_of(braces, st.text(max_size=10), names.map(Var)), max_size=8)


@given(pieces)
def test_placeholders_round_trip_any_text_and_vars(parts: list[str | Var]) -> None:
    text = Text.of(*parts)
    assert from_placeholders(to_placeholders(text)) == text


def test_captured_double_braces_are_escaped_not_variables() -> None:
    text = Text.of("{{NOT_A_VAR}} and {{{{")
    encoded = to_placeholders(text)
    assert encoded == "{{{{NOT_A_VAR}} and {{{{{{{{"
    assert from_placeholders(encoded).is_literal


def test_var_kinds_come_from_the_caller() -> None:
    text = from_placeholders("Bearer {{TOKEN}}", {"TOKEN": "extracted"})
    assert text == Text.of("Bearer ", Var("TOKEN", "extracted"))


def test_adjacent_literals_merge_and_empty_ones_vanish() -> None:
    assert Text.of("a", "", "b", Var("X"), b"") == Text(("ab", Var("X")))
