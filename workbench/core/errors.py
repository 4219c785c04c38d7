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


# Typed errors: a front end decides what to offer (open read-only, import
# again, update the workbench) from the type, never from the message text.


class NoSuchStudyError(InputError):
    """The file asked for does not exist."""


class NotAStudyError(InputError):
    """The file is something else: another SQLite database, a JSON file, a
    folder. It was left untouched."""


class DamagedStudyError(InputError):
    """The file is marked as a study (or meant to be one) but cannot be read
    as one: empty, half-made by an interrupted import, missing tables, a
    malformed page, values of the wrong type."""


class NewerVersionError(InputError):
    """The file was written by a newer version of the workbench."""


class StudyLockedError(WorkbenchError):
    """Another workbench has the study open for editing. Opening it
    read-only is still possible."""

    def __init__(self, message: str, problems: list | None = None, holder: dict | None = None):
        super().__init__(message, problems)
        self.holder = dict(holder or {})


class ReadOnlyError(WorkbenchError):
    """The study cannot be written (a read-only file or folder, a study
    opened read-only). Opening it read-only is still possible."""


class FirmsExistError(InputError):
    """An import names firms the study has already: it may be repeated with
    ``replace`` (the window asks; the CLI says --replace)."""
