"""Problems found in articles, reported as `path:line[:col]: level: message`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in one file; `line` is 1-based, 0 when it concerns the whole file."""

    path: str
    line: int
    message: str
    level: str = "error"  # "error" | "warning"
    col: int = 0

    def format(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.col:
            where += f":{self.col}"
        return f"{where}: {self.level}: {self.message}"

    def to_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "col": self.col,
                "level": self.level, "message": self.message}


class ArticleError(Exception):
    """An article that cannot be loaded; carries the `Problem` that says why."""

    def __init__(self, problem: Problem):
        super().__init__(problem.format())
        self.problem = problem
