"""Writing files so that a failure (a full disk, a read-only folder) never
leaves a half-written file behind.

A file is written to a temporary file beside it, named
``.NAME.<host>-<pid>.<random>.lpw-tmp``, and moved into place when complete.
A run that is killed meanwhile leaves that temporary file behind; the next
write into the same folder removes it (only ours, by that name, and only
when the process that wrote it has gone, or it is too old to be in use)."""

from __future__ import annotations

import os
import re
import tempfile
import time
import zlib
from pathlib import Path

from ..core.errors import WorkbenchError

TEMP_SUFFIX = ".lpw-tmp"
# A temporary file of another computer (a shared folder) is left over when
# it has not been written for this long; one of this computer, when the
# process that wrote it has gone.
STALE_AFTER = 600.0
_TEMP_NAME = re.compile(r"^\..+\.([0-9a-f]{8})-(\d+)\.[A-Za-z0-9_]+" + re.escape(TEMP_SUFFIX) + "$")


def _host_tag() -> str:
    """Eight hex digits naming this computer, for temporary file names."""
    node = os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")
    return f"{zlib.crc32(node.encode('utf-8', 'replace')):08x}"


def _process_gone(pid: int) -> bool:
    """True only when no process ``pid`` runs on this computer. Where that
    cannot be asked safely (Windows: ``os.kill`` would end it), False."""
    if os.name == "nt" or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that killed writes left in ``folder``;
    returns those removed. Any other file, and a temporary file a running
    process may still be writing, is left alone."""
    removed: list[Path] = []
    host, now = _host_tag(), time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.endswith(TEMP_SUFFIX):
            continue
        m = _TEMP_NAME.match(entry.name)
        if m is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        pid = int(m.group(2))
        ours = m.group(1) == host
        if ours and pid == os.getpid():
            continue  # this process is writing it (another thread)
        if age > STALE_AFTER or (ours and _process_gone(pid)):
            try:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                pass
    return removed


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and move it into
    place; on any failure the old file (if any) is untouched and the
    temporary file removed. Temporary files that killed runs left in that
    folder are removed first."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    remove_stale_temporaries(folder)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_host_tag()}-{os.getpid()}.", suffix=TEMP_SUFFIX,
                                   dir=folder)
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
