"""Bash word splitting for pasted commands: text in, the argv bash would build, nothing run.

`split_bash` follows bash 5 quoting exactly: unquoted backslashes, '…', "…", $'…' (every
escape bash knows, giving bytes), $"…", backslash-newline continuations, comments, and the
separators ; & && || and newline. Pasted CRLF line ends are read as LF.

What a script must decide at run time is kept symbolic or refused:
- $VAR, ${VAR} and a leading ~ (or ~ after `name=` / `:` in `name=…` words, as bash does)
  become EnvRef parts (~ is HOME). Unlike bash, an unquoted reference is not field-split,
  globbed, or dropped when empty: the generated script reads the variable as one value.
- Command and process substitution, arithmetic, ${VAR:-x} style operators, positional and
  special parameters, here-documents, brace expansion, ~user and compound commands raise
  ShellSyntaxError with the position of the construct.
- Redirections and the commands after a pipe are dropped and reported in warnings;
  `NAME=value` words before a command are dropped the same way.
Pathname expansion is not done: words come out as bash gives them when no file matches.
A backslash-newline inside a word joins it, but bash's ~ and name= rules look at the word
without it there; here they see the text as written (`a\\<newline>=~` keeps its ~).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

_ENC = "utf-8"
# Text read with errors="surrogateescape" gives its original bytes back.
_ERRORS = "surrogateescape"


@dataclass(frozen=True)
class EnvRef:
    """A variable the generated script reads from its environment ($VAR, ${VAR}, %VAR%)."""

    name: str


WordPart = bytes | EnvRef


@dataclass(frozen=True)
class Word:
    """One argv word; adjacent bytes are merged, and an empty word is (b"",)."""

    parts: tuple[WordPart, ...]
    line: int
    col: int


@dataclass
class Command:
    """One simple command. `words` is empty when it only had assignments or redirections;
    `warnings` then says what was dropped."""

    words: list[Word]
    warnings: list[str]


class ShellSyntaxError(ValueError):
    """Text the splitter cannot or will not turn into words; `.message` has no position."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(f"{message} (line {line}, column {col})")
        self.message = message
        self.line = line
        self.col = col


# A backslash at the very end joins nothing, as in a script file or at a prompt.
_BLANKS = re.compile(r"(?:[ \t]++|\\\n|\\\Z)++")
# Blanks, then a whole word of plain characters and '…' strings, the shape of nearly every
# word in browser exports; its value is the text without the quote characters.
_FAST_WORDS = re.compile(
    r"([ \t]*+(?:\\\n[ \t]*+)*+)"
    r"""((?:[^ \t\n;&|()<>'"\\$`{}~#]++|'[^']*+')(?:[^ \t\n;&|()<>'"\\$`{}~]++|'[^']*+')*+)"""
    r"(?=[ \t\n;&|]|\Z)"
    # Anything else ends the run at once (a dotall .* jumps to the end without scanning):
    # findall then yields ("", "") and stops.
    r"|(?s:.)*"
)
_PLAIN = re.compile(r"""[^ \t\n;&|()<>'"\\$`~]+""")
_DQ_PLAIN = re.compile(r'[^"\\$`]+')
_ANSI_BODY = re.compile(r"(?:[^'\\]++|\\[\s\S])*+'")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACED_NAME = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ASSIGNMENT = re.compile(r"""[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]'"\\$` \t\n;&|()<>]*\])?\+?=""")
_REDIRECTION = re.compile(
    r"(?:[0-9]+|\{[A-Za-z_][A-Za-z0-9_]*\})?(<<<|<<-|<<|<>|<&|<\(|>\(|>>|>&|>\||<|>)"
)
# From ~ up to a slash (or colon) or the word's end, line continuations skipped.
_TILDE_REGION = re.compile(r"""~(?:[^/ \t\n;&|()<>'"\\$`]|\\\n)*+""")
_TILDE_REGION_IN_ASSIGNMENT = re.compile(r"""~(?:[^/: \t\n;&|()<>'"\\$`]|\\\n)*+""")
_TILDE_WORD = re.compile(r"(?:(?!=~)[^:])*")  # a user name ends at : or =~ (readline's suffixes)
_TILDE_QUOTED = ("'", '"', "\\", "$", "`")
# Prefixes bash would look up as a user name or a directory stack entry.
_TILDE_LOOKUP = re.compile(r"[A-Za-z0-9._-]+|[+-][0-9]*")
_SEQUENCE = re.compile(r"(?:[+-]?[0-9]+\.\.[+-]?[0-9]+|[A-Za-z]\.\.[A-Za-z])(?:\.\.[+-]?[0-9]+)?")
_CONTINUATION = re.compile(r"[ \t]*\\\n[ \t]*")

_WORD_END = frozenset(" \t\n;&|()<>")
_SPECIAL_PARAMETERS = frozenset("0123456789@*#?$!-")
_RESERVED = frozenset(
    {"!", "[[", "]]", "{", "}", "case", "coproc", "do", "done", "elif", "else", "esac", "fi"}
    | {"for", "function", "if", "in", "select", "then", "time", "until", "while"}
)

# $'…' escapes, on the UTF-8 bytes of the text between the quotes.
_ANSI_ESCAPE = re.compile(
    rb"\\(?:x([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{1,4})|U([0-9A-Fa-f]{1,8})|([0-7]{1,3})"
    rb"|c(\\\\|[\s\S])|([\s\S]))"
)
_ANSI_SIMPLE = {
    b"a": b"\a",
    b"b": b"\b",
    b"e": b"\x1b",
    b"E": b"\x1b",
    b"f": b"\f",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"v": b"\v",
    b"\\": b"\\",
    b"'": b"'",
    b'"': b'"',
    b"?": b"?",
}


def split_bash(text: str) -> list[Command]:
    """Split bash text into commands of argv words; raises ShellSyntaxError."""
    return _BashSplitter(text).split()


def _bash_utf8(code: int) -> bytes:
    """\\u/\\U as bash encodes them: UTF-8 without the Unicode limits, up to six bytes."""
    if code < 0x80:
        return bytes([code])
    for size, limit in ((2, 0x800), (3, 0x10000), (4, 0x200000), (5, 0x4000000), (6, 1 << 31)):
        if code < limit:
            tail = [0x80 | (code >> 6 * k) & 0x3F for k in range(size - 2, -1, -1)]
            return bytes([(0xFF00 >> size) & 0xFF | code >> 6 * (size - 1), *tail])
    return b""  # bash writes nothing for a code point it cannot encode


def _ansi_escape(match: re.Match[bytes]) -> bytes:
    hex_byte, short, long, octal, control, other = match.groups()
    if other is not None:
        return _ANSI_SIMPLE.get(other, b"\\" + other)
    if hex_byte:
        return bytes([int(hex_byte, 16)])
    if octal:
        return bytes([int(octal, 8) & 0xFF])
    if control:
        return b"\x7f" if control == b"?" else bytes([control[0] & 0x1F])
    return _bash_utf8(int(short or long, 16))


def _ansi_c(body: str) -> bytes:
    data = body.encode(_ENC, _ERRORS)
    if b"\\" in data:
        # A NUL ends the C string bash builds: the rest of this $'…' is lost.
        data = _ANSI_ESCAPE.sub(_ansi_escape, data).split(b"\0", 1)[0]
    return data


def _has_brace_expansion(shadow: str) -> bool:
    """Whether bash would brace-expand a word; quoted text is masked as NUL in `shadow`."""
    opened: list[tuple[int, bool]] = []  # each open brace: where, and whether a comma followed
    for index, char in enumerate(shadow):
        if char == "{":
            opened.append((index, False))
        elif char == "," and opened:
            opened[-1] = (opened[-1][0], True)
        elif char == "}" and opened:
            start, comma = opened.pop()
            if comma or _SEQUENCE.fullmatch(shadow, start + 1, index):
                return True
    return False


def _show(source: str) -> str:
    """Source text for a warning, its line continuations folded to spaces."""
    return _CONTINUATION.sub(" ", source).strip()


class _BashSplitter:
    def __init__(self, text: str) -> None:
        self.text = text.replace("\r\n", "\n")
        self.line_starts = [0]
        self.line_starts.extend(m.end() for m in re.finditer("\n", self.text))
        self.commands: list[Command] = []
        self._new_command()
        self.pending_operator = -1  # position of a trailing && || | that needs a command

    def _new_command(self) -> None:
        self.words: list[Word] = []
        self.warnings: list[str] = []
        self.started = False
        self.pipe_start = -1  # where the dropped commands after a | begin
        self.last_end = 0

    def position(self, pos: int) -> tuple[int, int]:
        line = bisect_right(self.line_starts, pos)
        return line, pos - self.line_starts[line - 1] + 1

    def error(self, message: str, pos: int) -> ShellSyntaxError:
        return ShellSyntaxError(message, *self.position(pos))

    def split(self) -> list[Command]:
        text = self.text
        size = len(text)
        pos = 0
        while True:
            pos = self._plain_words(pos)
            blanks = _BLANKS.match(text, pos)
            if blanks:
                pos = blanks.end()
            if pos >= size:
                break
            pos = self._token(pos, text[pos])
        self._finish_command()
        if self.pending_operator >= 0:
            raise self.error("a command must follow this operator", self.pending_operator)
        return self.commands

    def _plain_words(self, pos: int) -> int:
        """Take the run of plain words at `pos` in one regex pass: the hot path."""
        starts = self.line_starts
        words = self.words
        begin = pos
        for gap, word in _FAST_WORDS.findall(self.text, pos):
            if not word:
                break
            start = pos + len(gap)
            pos = start + len(word)
            if self.pipe_start >= 0:
                continue
            if not words and self._is_prefix(word, start):
                continue
            line = bisect_right(starts, start)
            value = word.replace("'", "").encode(_ENC, _ERRORS)
            words.append(Word((value,), line, start - starts[line - 1] + 1))
        if pos != begin:
            self.started = True
            self.pending_operator = -1
            self.last_end = pos
        return pos

    def _is_prefix(self, source: str, pos: int) -> bool:
        """Whether a command's first word is an assignment (dropped, with a warning)."""
        if _ASSIGNMENT.match(source):
            self.warnings.append(f"ignored variable assignment '{_show(source)}'")
            return True
        if source in _RESERVED:
            raise self.error(f"'{source}' (compound commands) is not supported", pos)
        return False

    def _token(self, pos: int, char: str) -> int:
        text = self.text
        if char == "\n":
            if self.pending_operator < 0:
                self._finish_command()
            return pos + 1
        if char == "#":
            end = text.find("\n", pos)
            return len(text) if end < 0 else end
        if char in "()":
            raise self.error(f"'{char}' is not supported (subshells, groups, arrays)", pos)
        if char in "<>" or text.startswith("&>", pos):
            return self._redirection(pos)
        if char == ";":
            if text.startswith(";;", pos) or text.startswith(";&", pos):
                raise self.error(f"unexpected '{text[pos:pos + 2]}'", pos)
            return self._separator(pos, 1)
        if char == "&":
            if text.startswith("&&", pos):
                return self._separator(pos, 2, needs_command=True)
            return self._separator(pos, 1)
        if char == "|":
            if text.startswith("||", pos):
                return self._separator(pos, 2, needs_command=True)
            return self._pipe(pos)
        if (char.isdigit() or char == "{") and _REDIRECTION.match(text, pos):
            return self._redirection(pos)
        return self._word(pos)

    def _separator(self, pos: int, length: int, needs_command: bool = False) -> int:
        if not self.started or self.pending_operator >= 0:
            raise self.error(f"unexpected '{self.text[pos:pos + length]}'", pos)
        self._finish_command()
        self.pending_operator = pos if needs_command else -1
        return pos + length

    def _pipe(self, pos: int) -> int:
        if not self.started or self.pending_operator >= 0:
            raise self.error("unexpected '|'", pos)
        length = 2 if self.text.startswith("|&", pos) else 1
        if self.pipe_start < 0:
            blanks = _BLANKS.match(self.text, pos + length)
            self.pipe_start = blanks.end() if blanks else pos + length
        self.pending_operator = pos
        return pos + length

    def _finish_command(self) -> None:
        if self.pipe_start >= 0:
            tail = _show(self.text[self.pipe_start : self.last_end])
            self.warnings.append(f"ignored pipe to '{tail}'")
        if self.words or self.warnings:
            self.commands.append(Command(self.words, self.warnings))
        self._new_command()

    def _redirection(self, pos: int) -> int:
        text = self.text
        if text.startswith("&>", pos):
            end = pos + (3 if text.startswith("&>>", pos) else 2)
            operator = text[pos:end]
        else:
            match = _REDIRECTION.match(text, pos)
            assert match is not None  # callers checked the shape
            operator, end = match.group(1), match.end()
        if operator in ("<<", "<<-"):
            raise self.error("here-documents are not supported", pos)
        if operator in ("<(", ">("):
            raise self.error("process substitution is not supported", pos)
        blanks = _BLANKS.match(text, end)
        target = blanks.end() if blanks else end
        # A comment or another redirection (2>) where the file name should be is an error.
        if (
            target >= len(text)
            or text[target] in _WORD_END
            or text[target] == "#"
            or _REDIRECTION.match(text, target)
        ):
            raise self.error(f"'{operator}' needs a file name", pos)
        self._scan_word(target)
        if self.pipe_start < 0:  # the pipe's warning already shows what follows it
            self.warnings.append(f"ignored redirection '{_show(text[pos:self.last_end])}'")
        self.started = True
        self.pending_operator = -1
        return self.last_end

    def _word(self, pos: int) -> int:
        parts, end = self._scan_word(pos)
        self.started = True
        self.pending_operator = -1
        if self.pipe_start >= 0:
            return end
        if not self.words and self._is_prefix(self.text[pos:end], pos):
            return end
        self.words.append(Word(parts, *self.position(pos)))
        return end

    def _scan_word(self, start: int) -> tuple[tuple[WordPart, ...], int]:
        """Read the word at `start`; returns its parts and end, and sets last_end."""
        text = self.text
        size = len(text)
        buf = bytearray()
        parts: list[WordPart] = []
        shadow: list[str] = []  # unquoted text, quoted pieces as NUL: for brace expansion
        assignment = _ASSIGNMENT.match(text, start)
        assign_end = assignment.end() if assignment else -1
        plain_end = -1
        pos = start
        while pos < size:
            char = text[pos]
            if char in _WORD_END:
                break
            if char == "'":
                end = text.find("'", pos + 1)
                if end < 0:
                    raise self.error("unterminated single quote", pos)
                buf += text[pos + 1 : end].encode(_ENC, _ERRORS)
                shadow.append("\0")
                pos = end + 1
            elif char == '"':
                pos = self._double_quoted(pos, buf, parts)
                shadow.append("\0")
            elif char == "\\":
                escaped = text[pos + 1 : pos + 2]
                if escaped not in ("\n", ""):
                    buf += escaped.encode(_ENC, _ERRORS)
                    shadow.append("\0")
                pos += 2
            elif char == "$":
                pos = self._dollar(pos, buf, parts, quoted=False)
                shadow.append("\0")
            elif char == "`":
                raise self.error("command substitution is not supported", pos)
            elif char == "~" and (
                pos in (start, assign_end)
                or (0 <= assign_end < pos == plain_end and text[pos - 1] == ":")
            ):
                pos = self._tilde(pos, buf, parts, assign_end >= 0)
                shadow.append("\0")
            else:
                plain = _PLAIN.match(text, pos)
                piece = plain.group() if plain else char  # a ~ that is not expanded
                buf += piece.encode(_ENC, _ERRORS)
                shadow.append(piece)
                pos = plain_end = pos + len(piece)
        pos = min(pos, size)
        if "{" in (masked := "".join(shadow)) and _has_brace_expansion(masked):
            raise self.error("brace expansion is not supported (quote the braces)", start)
        if buf or not parts:
            parts.append(bytes(buf))
        self.last_end = pos
        return tuple(parts), pos

    def _double_quoted(self, pos: int, buf: bytearray, parts: list[WordPart]) -> int:
        text = self.text
        opening = pos
        pos += 1
        while True:
            plain = _DQ_PLAIN.match(text, pos)
            if plain:
                buf += plain.group().encode(_ENC, _ERRORS)
                pos = plain.end()
            if pos >= len(text):
                raise self.error("unterminated double quote", opening)
            char = text[pos]
            if char == '"':
                return pos + 1
            if char == "$":
                pos = self._dollar(pos, buf, parts, quoted=True)
            elif char == "`":
                raise self.error("command substitution is not supported", pos)
            else:
                escaped = text[pos + 1 : pos + 2]
                if escaped in ('"', "\\", "$", "`"):
                    buf += escaped.encode()
                    pos += 2
                elif escaped == "\n":
                    pos += 2
                else:  # other backslashes stay; the next character is read as usual
                    buf += b"\\"
                    pos += 1

    def _dollar(self, pos: int, buf: bytearray, parts: list[WordPart], quoted: bool) -> int:
        text = self.text
        after = text[pos + 1 : pos + 2]
        if after == "'" and not quoted:
            body = _ANSI_BODY.match(text, pos + 2)
            if not body:
                raise self.error("unterminated $'…' string", pos)
            buf += _ansi_c(text[pos + 2 : body.end() - 1])
            return body.end()
        if after == '"' and not quoted:  # $"…" is a translatable string: no catalogue, so "…"
            return self._double_quoted(pos + 1, buf, parts)
        if after == "(":
            if text.startswith("((", pos + 1):
                raise self.error("arithmetic expansion is not supported", pos)
            raise self.error("command substitution is not supported", pos)
        if after == "[":
            raise self.error("arithmetic expansion is not supported", pos)
        if after == "{":
            braced = _BRACED_NAME.match(text, pos)
            if not braced or braced.group(1) == "_":
                end = text.find("}", pos)
                if end < 0:
                    raise self.error("unterminated '${'", pos)
                shown = text[pos : end + 1]
                raise self.error(f"parameter expansion '{shown}' is not supported", pos)
            self._env(buf, parts, braced.group(1))
            return braced.end()
        name = _NAME.match(text, pos + 1)
        if (name and name.group() == "_") or (after and after in _SPECIAL_PARAMETERS):
            shown = "$" + (name.group() if name else after)
            raise self.error(f"special parameter '{shown}' is not supported", pos)
        if name:
            self._env(buf, parts, name.group())
            return name.end()
        buf += b"$"
        return pos + 1

    def _tilde(self, pos: int, buf: bytearray, parts: list[WordPart], assignment: bool) -> int:
        """A ~ where bash expands one: its region is read as readline's tilde_expand does with
        bash's settings, a ~ starting the region or following = (in name=… words) each
        starting a user name that ends at : or =~."""
        text = self.text
        match = (_TILDE_REGION_IN_ASSIGNMENT if assignment else _TILDE_REGION).match(text, pos)
        assert match is not None  # the text at pos is "~"
        if text[match.end() : match.end() + 1] in _TILDE_QUOTED:
            buf += b"~"  # a quoted or expanded prefix is no user name: bash keeps the ~
            return pos + 1
        region = match.group().replace("\\\n", "")
        if assignment:
            names, rest = region[1:].split("=~"), ""
        else:
            name = _TILDE_WORD.match(region, 1).group()  # type: ignore[union-attr]
            names, rest = [name], region[1 + len(name) :]
        for index, name in enumerate(names):
            if index:
                buf += b"="
            if not name:
                self._env(buf, parts, "HOME")
            elif _TILDE_LOOKUP.fullmatch(name):
                raise self.error(f"tilde expansion of '~{name}' is not supported", pos)
            else:
                buf += ("~" + name).encode(_ENC, _ERRORS)
        buf += rest.encode(_ENC, _ERRORS)
        return match.end()

    @staticmethod
    def _env(buf: bytearray, parts: list[WordPart], name: str) -> None:
        if buf:
            parts.append(bytes(buf))
            buf.clear()
        parts.append(EnvRef(name))
