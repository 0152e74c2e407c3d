"""The one error type for bad input: the CLI prints it as `<input>:<line>:<col>: <what>`."""

from __future__ import annotations


class InputError(ValueError):
    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col

    def located(self, input_name: str) -> str:
        if self.line is None:
            return f"{input_name}: {self.message}"
        if self.col is None:
            return f"{input_name}:{self.line}: {self.message}"
        return f"{input_name}:{self.line}:{self.col}: {self.message}"
