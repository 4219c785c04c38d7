"""Desktop workbench speed.

1. Start-up to the main window shown with the example study open, against a
   bare PySide6 QMainWindow start, both as fresh processes in the same run
   (goal: at most 2x).
2. A study of 100,000 events: time to open it, show a firm's table, and
   filter all events by a word (goal: filter under 100 ms); the table fetches
   rows lazily, so it holds only what has been shown.

    QT_QPA_PLATFORM=offscreen python bench/gui.py [--events 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

BARE = """
import time; t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow(); w.resize(1360, 860); w.show(); app.processEvents()
print(time.perf_counter() - t0, flush=True)
"""

# What `workbench open FILE` does, up to the window painted with the study open.
OURS = """
import time; t0 = time.perf_counter()
from workbench.gui.app import open_window
w = open_window({path!r})
from PySide6.QtWidgets import QApplication
QApplication.processEvents()
print(time.perf_counter() - t0, flush=True)
assert w.session is not None
w.close_study()
"""


def run_child(code: str, env: dict) -> tuple[float, float]:
    """(seconds from the script's first line to the window shown, seconds from
    launching the process to the window shown)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    first = proc.stdout.readline()
    wall = time.perf_counter() - t0
    proc.communicate()
    return float(first.strip()), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lpw-gui-bench-"))
    env = dict(os.environ, WORKBENCH_SETTINGS=str(tmp / "settings.ini"))

    # An installed workbench has its bytecode compiled (pip does it on
    # install); a checkout run with PYTHONDONTWRITEBYTECODE would otherwise
    # compile every module at each start.
    import compileall

    import workbench
    from workbench import services

    compileall.compile_dir(Path(workbench.__file__).parent, quiet=1)
    example = tmp / "example.lpw"
    services.import_file(example, HERE.parent / "sample_cases" / "jones-macpherson-2006.study.json")
    bare, ours = [], []
    for _ in range(args.repeat):  # in turns, so load on this shared machine falls on both
        bare.append(run_child(BARE, env))
        ours.append(run_child(OURS.format(path=str(example)), env))
    b_in, b_wall = min(b[0] for b in bare), min(b[1] for b in bare)
    o_in, o_wall = min(o[0] for o in ours), min(o[1] for o in ours)
    print("                                           from launch   after the interpreter started")
    print(f"bare QMainWindow shown:                    {b_wall:.3f} s       {b_in:.3f} s")
    print(f"workbench shown with the example open:     {o_wall:.3f} s       {o_in:.3f} s")
    print(f"start-up ratio (goal: at most 2x):         {o_wall / b_wall:.2f}x        {o_in / b_in:.2f}x")
    paired = sorted(o[1] / b[1] for b, o in zip(bare, ours, strict=True))
    print(f"  median of the {len(paired)} ratios run side by side: {paired[len(paired) // 2]:.2f}x "
          f"(from {paired[0]:.2f}x to {paired[-1]:.2f}x)")

    import synthetic

    doc = synthetic.study(firms=1, events=args.events, sources=10, routines=5)
    big_json = tmp / "big.study.json"
    big_json.write_text(json.dumps(doc), encoding="utf-8")
    big = tmp / "big.lpw"
    t0 = time.perf_counter()
    services.import_file(big, big_json)
    print(f"\nbuilt a study of {args.events} events in one firm ({time.perf_counter() - t0:.1f} s)")

    os.environ["WORKBENCH_SETTINGS"] = str(tmp / "settings.ini")
    from PySide6.QtWidgets import QApplication

    from workbench.gui.mainwindow import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.resize(1360, 860)
    window.show()
    app.processEvents()
    t0 = time.perf_counter()
    window.open_path(str(big))
    window.tabs.setCurrentWidget(window.events_tab)
    app.processEvents()
    t_open = time.perf_counter() - t0
    model = window.events_tab.model
    print(f"open the study and show the firm's table:  {t_open:.3f} s "
          f"({model.rowCount()} of {len(model.ids)} rows fetched so far)")
    times, counts = [], []
    view = window.events_tab.view
    for word in ("kanban", "audit", "programme", "lean", "zzz-nowhere"):
        t0 = time.perf_counter()
        window.events_tab.filter.setText(word)  # the table is reset with the first matches...
        view.viewport().repaint()               # ...and painted: what the user waits for
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        app.processEvents()                     # then the exact count comes in
        counts.append(time.perf_counter() - t0)
        found = model.total
        window.events_tab.filter.setText("")
        app.processEvents()
    print(f"filter all {args.events} events by a word, rows shown: {min(times) * 1000:.0f} ms best, "
          f"{max(times) * 1000:.0f} ms worst (goal: under 100 ms)")
    print(f"  then the exact count:                   {max(counts) * 1000:.0f} ms at most "
          f"({found} found for the last word)")
    t0 = time.perf_counter()
    view.scrollToBottom()
    app.processEvents()
    print(f"scroll to the end of the fetched rows:     {(time.perf_counter() - t0) * 1000:.0f} ms "
          f"({model.rowCount()} rows fetched)")
    window.close_study()


if __name__ == "__main__":
    main()
