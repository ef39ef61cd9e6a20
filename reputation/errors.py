"""Exceptions of the core; each message tells the user what to do."""

from __future__ import annotations

from reputation.wording import plural

__all__ = [
    "ConfigError",
    "DatabaseUnavailable",
    "InputError",
    "LeaseHeld",
    "ModelFilesMissing",
    "NotFound",
    "RepmonError",
    "RowProblem",
    "SchemaBehind",
]


class RepmonError(Exception):
    """Base of every error the CLI reports without a traceback."""


class ConfigError(RepmonError):
    """A setting is unknown, mistyped or given where it may not be (e.g. a secret in a file)."""


class DatabaseUnavailable(RepmonError):
    """The database cannot be reached (the message says where and why): check database.url."""


class LeaseHeld(RepmonError):
    """Another daemon runs on this database; stop it first (the message says which)."""


class SchemaBehind(RepmonError):
    """The database schema is older than the code: run `repmon init`."""


class ModelFilesMissing(RepmonError):
    """A file the classifier reads (the message names it) is not installed: reinstall repmon,
    which brings wordllama and its embedding weights."""


class NotFound(RepmonError):
    """A physician, practice, review or alert named on the command line does not exist."""


class RowProblem(RepmonError):
    """One problem of one input row, named by line and field."""

    def __init__(self, line: int, field: str, problem: str) -> None:
        super().__init__(f"line {line}: {field}: {problem}")
        self.line = line
        self.field = field
        self.problem = problem


class InputError(RepmonError):
    """An input file has problems; nothing of it was written. Lists every problem."""

    def __init__(self, source: str, problems: list[RowProblem], limit: int = 200) -> None:
        shown = [str(p) for p in problems[:limit]]
        more = len(problems) - len(shown)
        tail = f"\n... and {more} more" if more > 0 else ""
        super().__init__(
            f"{source}: {plural(len(problems), 'bad row')}, nothing imported; "
            "fix them and run again:\n" + "\n".join(shown) + tail
        )
        self.problems = problems
