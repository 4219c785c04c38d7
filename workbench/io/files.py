"""Writing files so that a failure (a full disk, a read-only folder) never
leaves a half-written file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..core.errors import WorkbenchError


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and move it into
    place; on any failure the old file (if any) is untouched and the
    temporary file removed."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WorkbenchError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise WorkbenchError(f"cannot write {path}: {exc.strerror or exc}; nothing was written") from exc


def _mode_for(path: Path) -> int:
    """An existing file keeps its mode; a new one gets the usual mode for
    new files (0666 less the umask), not the private 0600 of a temp file."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
