"""Save screenshots of the desktop workbench for the README: the start page
and each tab, with the Jones & Macpherson example study open.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [--out docs/images]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs" / "images"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="lpw-shots-"))
    os.environ["WORKBENCH_SETTINGS"] = str(tmp / "settings.ini")

    from PySide6.QtWidgets import QApplication

    from workbench.gui.mainwindow import SAMPLES, MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow()
    window.resize(1400, 860)
    window.show()
    app.processEvents()
    window.grab().save(str(out / "gui-start.png"))
    label = next(k for k, v in SAMPLES.items() if v.startswith("jones"))
    if not window.open_example(label, str(tmp / "example.lpw")):
        print("could not open the example study", file=sys.stderr)
        return 1
    window.select_firm("dmf")
    names = ["profile", "events", "sources", "routines", "diagram", "matrix"]
    for i, name in enumerate(names):
        window.tabs.setCurrentIndex(i)
        app.processEvents()
        if name == "events":
            window.events_tab.view.selectRow(2)
        if name == "sources":
            window.sources_tab.view.selectRow(2)
        if name == "diagram":
            window.diagram_tab.redraw()
            window.diagram_tab.fit()
        app.processEvents()
        path = out / f"gui-{name}.png"
        window.grab().save(str(path))
        print(f"wrote {path}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
