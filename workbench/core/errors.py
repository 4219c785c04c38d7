"""Errors a user can act on. The CLI turns them into messages and exit codes
(2 for bad input, 1 for other failures), the GUI into dialogs; neither shows
a traceback for them."""

from __future__ import annotations


class WorkbenchError(Exception):
    """Something went wrong that the user should hear about in plain words
    (a disk full, a file locked). Exit code 1."""

    exit_code = 1

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])

    def lines(self) -> list[str]:
        """The message, then one line per problem."""
        return [self.message] + [str(p) for p in self.problems]


class InputError(WorkbenchError):
    """The user's input is wrong: an invalid study, an unknown firm, a file
    that is not a study. Exit code 2."""

    exit_code = 2


class FirmsExistError(InputError):
    """An import names firms the study has already: it may be repeated with
    ``replace`` (the window asks; the CLI says --replace)."""
