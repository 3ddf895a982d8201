"""Problems found in the input, and the one exception that carries them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file, pointing at the offending key or value.

    Lines and columns are 1-based, as editors count them.
    """

    path: str
    line: int = 1
    col: int = 1
    message: str = ""
    field: str | None = None
    hint: str | None = None

    def describe(self) -> str:
        return self.message + (f" — {self.hint}" if self.hint else "")

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.describe()}"


class BuildFailed(Exception):
    """The input has problems (or the output cannot be written); nothing was published."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
