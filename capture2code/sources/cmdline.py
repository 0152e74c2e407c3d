"""Windows cmd.exe word splitting: "Copy as cURL (cmd)" text in, the argv curl gets out.

Two stages, as on Windows, both without running anything:
1. cmd.exe reads each line. %NAME% references are expanded first, before any quoting is
   seen; here they become EnvRef parts (a caret inside the name, as in Chrome's `^%^2F`,
   makes it a name no variable has, so the text stays). Then, outside "…", a caret takes
   the next character literally (a caret at a line end joins the next line and takes its
   first character literally: Chrome's `^` + two newlines is a literal newline),
   & && || separate commands, and | < > pipe and redirect; inside "…" only " is special.
   Every CR is dropped.
2. The program's C runtime splits the text cmd passes on into argv: Microsoft's
   documented rules ("Parsing C command-line arguments"), as the UCRT's
   startup/argv_parsing.cpp implements them.
Unlike cmd, which passes an unknown %NAME% on unchanged, every %NAME% that looks like a
variable reference is taken as one: a script cannot know which variables the user had
set. %XX% pairs that look like URL percent-escapes (%C3%A9) are left as text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

from capture2code.sources.shell import Command, EnvRef, ShellSyntaxError, Word, WordPart

_ENC = "utf-8"
_ERRORS = "surrogateescape"

# Stage 1 (cmd.exe).
_OUTSIDE_RUN = re.compile(r"(?:[^\^\"%&|<>\n]++|\^[^\n%])++")
_INSIDE_RUN = re.compile(r'[^"%\n]+')
_UNCARET = re.compile(r"\^(.)", re.S)
_PERCENT_PAIR = re.compile(r"%([^%\n]*)%")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_NAME_MODIFIED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*:.*")
_HEX_WITH_DIGIT = re.compile(r"[0-9][0-9A-Fa-f]|[A-Fa-f][0-9]")
_HEX_PAIR = re.compile(r"[0-9A-Fa-f]{2}")
_REDIRECTION = re.compile(r"(?:>>|>|<)(?:&[0-9])?")
_REDIRECTION_TARGET = re.compile(r'[ \t]*+((?:"[^"\n]*+"?|\^[^\n]|[^ \t\n&|<>"^])++)')
_CONTINUATION = re.compile(r"[ \t]*\^\n[ \t]*")

# Chrome's words: ^"…^" runs and plain text, where every special character is escaped by
# a caret, without real backslashes or % references (the caller checks those).
_PLAIN_GAP = r"(?:[ \t]|\^[ \t]|\^\n(?=[ \t]))*+"
_PLAIN_UNIT = r'[^ \t\n^"\\&|<>]++|\^[^ \t\n^"\\]|\^\\\^"'
_PLAIN_QUOTED_UNIT = r'[^\n^"\\&|<>]++|\^[^\n^"\\]|\^\\\^"'
_PLAIN_WORDS = re.compile(
    rf'({_PLAIN_GAP})((?:{_PLAIN_UNIT}|\^"(?:{_PLAIN_QUOTED_UNIT})*+\^"(?!\^"))++)'
    r"(?=[ \t]|\^[ \t]|\^\n[ \t]|\n|&|\Z)"
    r"|(?s:.)*"  # anything else ends the run at once; findall then yields ("", "")
)
# What may end such a command: the end of a line or of the text, or a lone &.
_PLAIN_END = re.compile(rf"{_PLAIN_GAP}(?:\n|&(?![&|])|\Z)")

# Stage 2 (C runtime): a word of plain characters and "…" runs without backslashes.
_CRT_SIMPLE = re.compile(r'(?:[^\\" \t]++|"[^\\"]*+"(?!"))++(?=[ \t]|\Z)')
_CRT_BLANKS = re.compile(r"[ \t]+")
_CRT_TOKEN = re.compile(r'(\\*)"|([ \t]+)|(\\+|[^\\" \t]+)')
_CRT_QUOTED_TOKEN = re.compile(r'(\\*)"|()(\\+|[^\\"]+)')

# The first line of cmd text: `curl ^"…` or `… ^` as Chrome writes it, or curl.exe.
_CMD_FIRST_LINE = re.compile(r'^[ \t]*curl(?:\.exe(?:[ \t]|$)|[ \t]+\^")|[ \t]\^$', re.I)


def split_cmd(text: str) -> list[Command]:
    """Split cmd.exe text into commands of argv words; raises ShellSyntaxError."""
    return _CmdSplitter(text).split()


def looks_like_cmd(text: str) -> bool:
    """Whether text is cmd.exe style (Chrome's "Copy as cURL (cmd)", or curl.exe)."""
    for line in text.splitlines():
        if line.strip():
            return bool(_CMD_FIRST_LINE.search(line.rstrip("\r")))
    return False


def _show(source: str) -> str:
    """Source text for a warning, its line continuations folded to spaces."""
    return _CONTINUATION.sub(" ", source).strip()


def _looks_like_reference(text: str, pair: re.Match[str]) -> bool:
    name = pair.group(1)
    if not (_ENV_NAME.fullmatch(name) or _ENV_NAME_MODIFIED.fullmatch(name)):
        return False
    # %C3%A9, %ABc%20: URL percent-escapes, not variables.
    return not (_HEX_WITH_DIGIT.match(name) or _HEX_PAIR.match(text, pair.end()))


def _unescaped(match: re.Match[str]) -> str:
    return match.group(1)


class _CmdSplitter:
    def __init__(self, text: str) -> None:
        text = text.replace("\r\n", "\n")
        if "\r" in text:  # cmd drops every CR before parsing
            text = text.replace("\r", "")
        self.text = text
        self.line_starts = [0]
        self.line_starts.extend(m.end() for m in re.finditer("\n", text))
        self.references = self._find_references() if "%" in text else {}
        # Stands for an EnvRef in cmd's output: a character the text does not contain.
        self.marker = next(chr(c) for c in range(0xE000, 0xF900) if chr(c) not in text)
        self.commands: list[Command] = []
        self.operator = (-1, -1)  # start and end of the last && || |: a command must follow
        self._new_command()

    def _new_command(self) -> None:
        self.pieces: list[str] = []
        # (output offset, source offset, source run when carets were removed from it)
        self.segments: list[tuple[int, int, str | None]] = []
        self.escapes: dict[int, tuple[list[int], list[int]]] = {}  # per segment, when needed
        self.size = 0
        self.names: list[str] = []
        self.warnings: list[str] = []
        self.pipe_start = -1

    def error(self, message: str, pos: int) -> ShellSyntaxError:
        line = bisect_right(self.line_starts, pos)
        return ShellSyntaxError(message, line, pos - self.line_starts[line - 1] + 1)

    def _find_references(self) -> dict[int, tuple[int, str]]:
        """Where each %NAME% starts: its end and name, scanning as cmd's command line does."""
        text = self.text
        references: dict[int, tuple[int, str]] = {}
        pos = text.find("%")
        while pos >= 0:
            pair = _PERCENT_PAIR.match(text, pos)
            if pair and _looks_like_reference(text, pair):
                name = pair.group(1)
                if not _ENV_NAME.fullmatch(name):
                    raise self.error(
                        f"'%{name}%' (substring or substitution) is not supported", pos
                    )
                references[pos] = (pair.end(), name)
                pos = text.find("%", pair.end())
            else:  # cmd keeps this % and looks for a reference from the next character on
                pos = text.find("%", pos + 1)
        return references

    def emit(self, piece: str, src: int, caret_run: str | None = None) -> None:
        if self.pipe_start < 0:
            self.segments.append((self.size, src, caret_run))
            self.pieces.append(piece)
            self.size += len(piece)

    def split(self) -> list[Command]:
        text = self.text
        size = len(text)
        pos = 0
        quoted = False
        while pos < size:
            if not (quoted or self.segments or self.warnings or self.references):
                pos = self._plain_command(pos)
                if pos >= size:
                    break
            if quoted:
                run = _INSIDE_RUN.match(text, pos)
                if run:
                    self.emit(run.group(), pos)
                    pos = run.end()
                    continue
            else:
                run = _OUTSIDE_RUN.match(text, pos)
                if run:
                    source = run.group()
                    if "^" not in source:
                        self.emit(source, pos)
                    elif "^^" in source:
                        self.emit(_UNCARET.sub(_unescaped, source), pos, source)
                    else:  # every caret escapes the character after it
                        self.emit(source.replace("^", ""), pos, source)
                    pos = run.end()
                    continue
            char = text[pos]
            if char == '"':
                self.emit('"', pos)
                quoted = not quoted
                pos += 1
            elif char == "%":
                pos = self._percent(pos)
            elif char == "\n":
                quoted = False  # cmd ends the line even inside "…"
                self._end_of_line(pos)
                pos += 1
            elif char == "^":
                pos = self._caret(pos)
            elif char in "&|":
                pos = self._operator(pos)
            else:
                pos = self._redirection(pos)
        self._end_of_line(size)
        return self.commands

    def _end_of_line(self, pos: int) -> None:
        start, end = self.operator
        if start >= 0 and not self.text[end:pos].strip(" \t"):
            raise self.error("a command must follow this operator", start)
        self.operator = (-1, -1)
        self._finish_command(pos)

    def _plain_command(self, pos: int) -> int:
        """Take a whole command of Chrome-style words at `pos` in one regex pass, if it is one.

        Such words need no stage-by-stage rewriting: removing the carets and the quotes
        gives the argument (a caret-escaped \\" is a literal quote)."""
        text = self.text
        marker = self.marker
        words: list[Word] = []
        starts = self.line_starts
        end = pos
        for gap, word in _PLAIN_WORDS.findall(text, pos):
            if not word:
                break
            start = end + len(gap)
            end = start + len(word)
            if not words and "\\" in word:  # argv[0] reads backslashes differently
                return pos
            value = word.replace("^", "")
            if "\\" in value:
                value = value.replace('\\"', marker).replace('"', "").replace(marker, '"')
            elif '"' in value:
                value = value.replace('"', "")
            line = bisect_right(starts, start)
            words.append(Word((value.encode(_ENC, _ERRORS),), line, start - starts[line - 1] + 1))
        after = _PLAIN_END.match(text, end)
        if not words or not after:
            return pos
        self.commands.append(Command(words, []))
        return after.end()

    def _percent(self, pos: int) -> int:
        reference = self.references.get(pos)
        if reference is None:
            self.emit("%", pos)
            return pos + 1
        end, name = reference
        if self.pipe_start < 0:
            self.names.append(name)
        self.emit(self.marker, pos)
        return end

    def _caret(self, pos: int) -> int:
        """A caret before % (the % may start a reference), a newline, or the end."""
        text = self.text
        after = src = pos + 1
        if after >= len(text):
            return after
        if text[after] == "\n":  # join the next line; its first character is taken as is
            after = src = after + 1
            if after >= len(text):
                return after
        else:
            src = pos
        if after in self.references:  # the caret escapes the expanded value's first character
            return self._percent(after)
        self.emit(text[after], src)
        return after + 1

    def _operator(self, pos: int) -> int:
        text = self.text
        operator = text[pos : pos + 2] if text[pos : pos + 2] in ("&&", "||") else text[pos]
        if not "".join(self.pieces).strip(" \t") and not self.warnings:
            raise self.error(f"unexpected '{operator}'", pos)
        end = pos + len(operator)
        self.operator = (pos, end) if operator != "&" else (-1, -1)
        if operator == "|":
            if self.pipe_start < 0:
                self.pipe_start = end
            return end
        self._finish_command(pos)
        return end

    def _redirection(self, pos: int) -> int:
        text = self.text
        start = pos
        # A single digit right after a blank names the handle: 2>nul.
        if (
            pos >= 1
            and text[pos - 1].isdigit()
            and (pos == 1 or text[pos - 2] in " \t\n")
            and self.pieces
            and self.pieces[-1].endswith(text[pos - 1])
        ):
            start = pos - 1
            if self.pipe_start < 0:
                self.pieces[-1] = self.pieces[-1][:-1]
                self.size -= 1
        operator = _REDIRECTION.match(text, pos)
        assert operator is not None  # called on < or >
        end = operator.end()
        if "&" not in operator.group():
            target = _REDIRECTION_TARGET.match(text, end)
            if not target:
                raise self.error(f"'{operator.group()}' needs a file name", pos)
            end = target.end()
        if self.pipe_start < 0:
            self.warnings.append(f"ignored redirection '{_show(text[start:end])}'")
        return end

    def _finish_command(self, end: int) -> None:
        if self.pipe_start >= 0:
            self.warnings.append(f"ignored pipe to '{_show(self.text[self.pipe_start:end])}'")
        words = self._words("".join(self.pieces))
        if words or self.warnings:
            self.commands.append(Command(words, self.warnings))
        self._new_command()

    def _source(self, offset: int) -> int:
        """Source position of the character cmd passed on at `offset` (its caret if any)."""
        index = bisect_right(self.segments, (offset, len(self.text) + 1)) - 1
        start, src, caret_run = self.segments[index]
        if caret_run is None:
            return src + offset - start
        if index not in self.escapes:
            carets = [m.start() for m in _UNCARET.finditer(caret_run)]
            self.escapes[index] = carets, [at - count for count, at in enumerate(carets)]
        escapes, outputs = self.escapes[index]
        before = bisect_right(outputs, offset - start)
        if before and outputs[before - 1] == offset - start:
            return src + escapes[before - 1]
        return src + offset - start + before

    def _words(self, line: str) -> list[Word]:
        found: list[tuple[str, int]] = []
        blanks = _CRT_BLANKS.match(line)
        pos = blanks.end() if blanks else 0
        if pos < len(line):
            pos = self._program_name(line, pos, found)
        while pos < len(line):
            blanks = _CRT_BLANKS.match(line, pos)
            if blanks:
                pos = blanks.end()
                if pos >= len(line):
                    break
            simple = _CRT_SIMPLE.match(line, pos)
            if simple:
                found.append((simple.group().replace('"', ""), pos))
                pos = simple.end()
            else:
                pos = self._argument(line, pos, found)
        names = iter(self.names)
        starts = self.line_starts
        words = []
        for value, offset in found:
            if self.marker in value:
                parts = self._parts(value, names)
            else:
                parts = (value.encode(_ENC, _ERRORS),)
            src = self._source(offset)
            line = bisect_right(starts, src)
            words.append(Word(parts, line, src - starts[line - 1] + 1))
        return words

    def _parts(self, value: str, names: Iterator[str]) -> tuple[WordPart, ...]:
        parts: list[WordPart] = []
        for index, piece in enumerate(value.split(self.marker)):
            if index:
                parts.append(EnvRef(next(names)))
            if piece:
                parts.append(piece.encode(_ENC, _ERRORS))
        return tuple(parts)

    def _program_name(self, line: str, pos: int, found: list[tuple[str, int]]) -> int:
        """argv[0]: quotes group without being kept, and backslashes are plain."""
        end = pos
        quoted, opening = False, -1
        while end < len(line) and (quoted or line[end] not in " \t"):
            if line[end] == '"':
                quoted, opening = not quoted, end
            end += 1
        if quoted:
            raise self.error("unterminated double quote", self._source(opening))
        found.append((line[pos:end].replace('"', ""), pos))
        return end

    def _argument(self, line: str, pos: int, found: list[tuple[str, int]]) -> int:
        """One argument by the C runtime's rules, from a non-blank character."""
        start = pos
        out: list[str] = []
        quoted, opening = False, -1
        while pos < len(line):
            token = (_CRT_QUOTED_TOKEN if quoted else _CRT_TOKEN).match(line, pos)
            assert token is not None  # the patterns match any character
            backslashes, blanks, text = token.groups()
            if blanks:
                break
            pos = token.end()
            if text is not None:
                out.append(text)
                continue
            # 2n backslashes + " give n and a quote toggle; 2n+1 give n and a literal ".
            out.append("\\" * (len(backslashes) // 2))
            if len(backslashes) % 2:
                out.append('"')
            elif quoted and line.startswith('"', pos):  # "" inside quotes: a literal "
                out.append('"')
                pos += 1
            else:
                quoted, opening = not quoted, pos - 1
        if quoted:
            raise self.error("unterminated double quote", self._source(opening))
        found.append(("".join(out), start))
        return pos
