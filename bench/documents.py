"""Document speed: bringing transcripts in.

    python bench/documents.py [--files 50] [--words 10000] [--runs 5]

Prints one line per measure, each on its own line so that a script can pick
it out:

    docx-import: R   reading N generated .docx transcripts of W words each
                     with read_document, divided by python-docx reading the
                     same files alone (Document(path) and going through its
                     paragraphs and tables); goal <= 1.5, lower is better
    show-1mb: S      seconds from asking the window's Documents tab to show
                     a 1 MB transcript with 2,000 highlighted passages (500
                     quotes of events, 1,500 coded passages) to the end of
                     its first paint, offscreen; the median of --runs;
                     goal < 1.0
    search: S        seconds to search 50 transcripts of 10,000 words for a
                     phrase (bench/search.py: the median of 21, the study's
                     Corpus kept between searches); goal < 0.2

Both readers run interleaved, file by file, over several rounds; each side's
time is the median of the rounds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docx  # noqa: E402

from workbench.io.documents import read_document  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search import search_line  # noqa: E402

_WORDS = ("we", "the", "firm", "learned", "customer", "order", "team", "after", "that",
          "started", "changed", "process", "supplier", "price", "machine", "because",
          "really", "meeting", "idea", "tried", "worked", "problem", "week", "staff",
          "new", "quality", "invoice", "said", "think", "so", "and", "then", "café",
          "naïve", "Müller", "—", "it’s")


def make_transcript(path: Path, words: int, rng: random.Random) -> None:
    """A .docx interview: turns "Interviewer:"/"Owner:" of 20-120 words,
    two small tables among them."""
    d = docx.Document()
    d.add_heading("Interview with the owner", level=1)
    d.add_paragraph("Date: 3 May 2024. Location: the workshop.")
    written, turn, tables_at = 0, 0, {words // 3, 2 * words // 3}
    while written < words:
        n = rng.randint(20, 120)
        speaker = "Interviewer" if turn % 2 == 0 else "Owner"
        d.add_paragraph(f"{speaker}: " + " ".join(rng.choice(_WORDS) for _ in range(n)) + ".")
        before, written, turn = written, written + n, turn + 1
        if any(before < t <= written for t in tables_at):
            table = d.add_table(rows=4, cols=3)
            for r, row in enumerate(table.rows):
                for c, cell in enumerate(row.cells):
                    cell.text = f"r{r}c{c} " + rng.choice(_WORDS)
    d.save(str(path))


def read_with_python_docx(path: Path) -> int:
    d = docx.Document(str(path))
    n = 0
    for p in d.paragraphs:
        n += len(p.text)
    for t in d.tables:
        for row in t.rows:
            for cell in row.cells:
                n += len(cell.text)
    return n


def read_with_workbench(path: Path) -> int:
    return len(read_document(path).text)


def docx_import(files: int, words: int, runs: int) -> str:
    rng = random.Random(10)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(files):
            p = Path(tmp) / f"transcript-{i:02d}.docx"
            make_transcript(p, words, rng)
            paths.append(p)
        ours_runs, base_runs = [], []
        for _ in range(runs):
            ours = base = 0.0
            for p in paths:  # file by file, in turns: load bursts fall on both
                t0 = time.perf_counter()
                read_with_workbench(p)
                t1 = time.perf_counter()
                read_with_python_docx(p)
                t2 = time.perf_counter()
                ours += t1 - t0
                base += t2 - t1
            ours_runs.append(ours)
            base_runs.append(base)
        t_ours, t_base = statistics.median(ours_runs), statistics.median(base_runs)
    print(f"# {files} .docx x {words} words: read_document {t_ours:.2f} s, "
          f"python-docx alone {t_base:.2f} s (median of {runs} rounds)", file=sys.stderr)
    return f"docx-import: {t_ours / t_base:.2f}"


def make_study(path: Path, rng: random.Random, size: int = 1_000_000, passages: int = 2000,
               quotes: int = 500) -> str:
    """A study holding one transcript of ``size`` characters, of which
    ``quotes`` passages are quotes of events and the rest coded passages;
    returns the document's id."""
    from workbench import services

    lines, n = [], 0
    while n < size:
        speaker = "Interviewer" if len(lines) % 2 == 0 else "Owner"
        line = f"{speaker}: " + " ".join(rng.choice(_WORDS) for _ in range(rng.randint(20, 120))) + "."
        lines.append(line)
        n += len(line) + 1
    text = "\n".join(lines)[:size]
    step = len(text) // passages
    spans = []
    for i in range(passages):
        a = i * step + rng.randint(0, step // 4)
        spans.append((a, a + rng.randint(20, step // 2)))
    codes = [{"id": f"c{i}", "name": f"Theme {i}"} for i in range(20)]
    events, coded = [], []
    for i, (a, b) in enumerate(spans):
        if i % (passages // quotes) == 0 and len(events) < quotes:
            events.append({"id": f"e{len(events) + 1}", "title": f"Event {len(events) + 1}", "stages": [],
                           "learning_types": [rng.choice(["normative", "mimetic", "coercive"])],
                           "evidence": [{"quote": text[a:b], "document": "big", "start": a, "end": b}]})
        else:
            coded.append({"id": f"p{i}", "start": a, "end": b, "codes": [f"c{i % 20}"]})
    doc = {"format": "lpw-study", "version": 1, "title": "Bench", "framework": "5I", "codes": codes,
           "documents": [{"id": "big", "name": "Big transcript", "firm": "f1", "text": text, "passages": coded}],
           "firms": [{"id": "f1", "name": "Firm", "events": events}]}
    json_path = path.with_suffix(".study.json")
    json_path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    services.import_file(path, json_path)
    return "big"


def show_1mb(runs: int) -> str:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["WORKBENCH_SETTINGS"] = str(Path(tmp) / "settings.ini")
        study = Path(tmp) / "bench.lpw"
        doc_id = make_study(study, random.Random(11))
        from workbench.gui.mainwindow import MainWindow

        w = MainWindow()
        w.resize(1366, 768)
        w.show()
        w.open_path(str(study))
        tab = w.documents_tab
        w.tabs.setCurrentWidget(tab)
        app.processEvents()
        times = []
        for _ in range(runs):
            tab.show_document(None)
            app.processEvents()
            t0 = time.perf_counter()
            tab.show_document(doc_id)
            tab.view.viewport().repaint()  # the first paint, done now
            times.append(time.perf_counter() - t0)
        shown, spans, size = len(tab.view.extraSelections()), len(tab.spans), len(tab.text)
        w.close_study()
        w.close()
        w.deleteLater()
        app.processEvents()
    print(f"# a {size:,}-character document with {spans:,} coded passages ({shown} near the view "
          f"highlighted, the rest as it scrolls): "
          + ", ".join(f"{t:.3f}" for t in times) + " s", file=sys.stderr)
    return f"show-1mb: {statistics.median(times):.3f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=50)
    ap.add_argument("--words", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    lines = [
        docx_import(args.files, args.words, args.runs),
        show_1mb(args.runs),
        search_line(),
    ]
    for line in lines:
        print(line, flush=True)


if __name__ == "__main__":
    main()
