"""File → Compare with another coding: the open study's coding (mine)
beside another coder's coding of the same study (theirs), from a
``*.study.json`` or a ``.lpw``.

At the top, the agreement of the two codings per dimension (units, percent
agreement, Cohen's kappa, Krippendorff's alpha), as ``core.agreement``
measures it: of the study as it now stands against theirs, measured again
a moment after each choice, undo or redo (or an edit in the main window),
so it climbs as disagreements are settled. It is kept as counts per firm:
an edit costs a reading, through the session, of the firm it touched only;
their file is read once. Below, each disagreement (firm, event, dimension) with both
codings; beside it the event's title, description and evidence, and what
both codes mean. Each is settled by keeping mine, taking theirs or setting
another value: one step of the study's history (through the Session), so
Ctrl+Z takes it back and the list shows it undecided again. When all are
decided, the open study is the consensus coding.

Below the list, the events only one coding has. One only in theirs can be
brought into the study: at its place in time order, with its coding, and
with the sources, routines and codes it names that the study lacks (taken
from their file); it is refused, saying which, where it names something
their file does not hold or quotes a document the study lacks. One only in
mine can be removed or kept. Each is one step of the history too."""

from __future__ import annotations

import copy
import html
import re
from collections import Counter
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel,
                               QListWidget, QListWidgetItem, QPushButton, QSplitter, QTableWidget,
                               QTableWidgetItem, QTextBrowser, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from .. import coders
from ..core import edits as E
from ..core.agreement import LABELS, Coder, Labeller, measure_counts, values_fn, compare, dimensions_of
from ..core.errors import InputError, WorkbenchError
from ..core.frameworks import vocabulary
from .dialogs import add_undo_keys, fit_to_screen

# the event field each dimension is stored in
FIELD = {"primary_stage": "stages", "stages": "stages", "level": "level",
         "primary_learning_type": "learning_types", "learning_types": "learning_types", "phase": "phase",
         "critical": "critical", "codes": "codes"}
SETS = frozenset({"stages", "learning_types", "codes"})
PRIMARY = frozenset({"primary_stage", "primary_learning_type"})
DECIDED = {"mine": "Kept mine", "theirs": "Took theirs", "other": "Set"}
ONLY_DONE = {"bring": "brought into this study", "remove": "removed from this study", "keep": "kept in this study"}
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
CODING = ("id", "critical", "phase", "stages", "level", "learning_types", "codes")  # what compare reads
SUMMARY_DELAY_MS = 150  # after the last of several quick choices, the summary is measured once


def _earlier(a, b) -> bool:
    """Whether date ``a`` is earlier than ``b`` (``YYYY[-MM[-DD]]``, compared
    at the coarser of the two, as the format's order rule does); False if
    either is missing or not a date."""
    if not (isinstance(a, str) and isinstance(b, str) and _DATE.match(a) and _DATE.match(b)):
        return False
    n = min(len(a), len(b))
    return a[:n] < b[:n]


def open_compare(window) -> "CompareDialog | None":
    """Ask for the other coding and show the comparison (None if none was chosen or it cannot be read)."""
    from PySide6 import QtWidgets

    path, _ = QtWidgets.QFileDialog.getOpenFileName(
        window, "Compare with another coding of this study", "",
        "Studies (*.lpw *.study.json *.json);;All files (*)")
    if not path:
        return None
    return show_compare(window, path)


def show_compare(window, path: str) -> "CompareDialog | None":
    from PySide6.QtWidgets import QApplication

    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # a large study takes some seconds
    try:
        dlg, problem = CompareDialog(window.controller, path, window), None
    except WorkbenchError as exc:
        dlg, problem = None, exc
    finally:
        QApplication.restoreOverrideCursor()
    if problem is not None:
        window.error("\n".join(problem.lines()[:25]), "Cannot compare with that file")
        return None
    old = getattr(window, "compare_dialog", None)
    if old is not None:
        old.close()
        old.deleteLater()
    window.compare_dialog = dlg
    dlg.show()
    dlg.raise_()
    dlg.activateWindow()
    dlg.list.setFocus()
    return dlg


def _pct(x) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def _num(x) -> str:
    return "–" if x is None else f"{x:.3f}"


class _Standing:
    """The agreement of the open study with theirs, kept as counts per firm
    so that an edit costs a reading of its own firm only. The numbers are
    ``core.agreement``'s: the same values per event and the same measures
    from the counts of (mine, theirs) pairs as ``compare``."""

    def __init__(self, theirs: dict, mine: dict):
        self.theirs_doc = theirs
        self.labeller = Labeller()
        self.dims: tuple = ()
        self.firms: dict[str, tuple[Counter, int, int]] = {}  # firm -> (pairs, only mine, only theirs)
        self.set_codes(bool(mine.get("codes")))
        for f in mine.get("firms", ()):
            self.update(f["id"], f.get("events", ()))

    def set_codes(self, mine_has_codes: bool) -> bool:
        """Whether the open study has codes of its own (then ``codes`` is a
        dimension); True when that changes the dimensions: every firm must
        then be counted again."""
        dims = dimensions_of({"codes": [{}]} if mine_has_codes else {}, self.theirs_doc)
        if dims == self.dims:
            return False
        self.dims, self.values = dims, values_fn(dims)
        self.theirs = {f["id"]: {e["id"]: self.values(e) for e in f.get("events", ())}
                       for f in self.theirs_doc.get("firms", ())}
        self.firms = {}
        return True

    def update(self, firm_id: str, events) -> None:
        """Count one firm again from its events (None: the firm has gone)."""
        if events is None:
            self.firms.pop(firm_id, None)
            return
        theirs = self.theirs.get(firm_id)
        if theirs is None:
            self.firms[firm_id] = (Counter(), len(events), 0)
            return
        pairs: Counter = Counter()
        only_mine, matched = 0, set()
        values = self.values
        for e in events:
            vb = theirs.get(e["id"])
            if vb is None:
                only_mine += 1
                continue
            matched.add(e["id"])
            pairs[(values(e), vb)] += 1
        self.firms[firm_id] = (pairs, only_mine, len(theirs) - len(matched))

    def result(self) -> dict:
        """Units, the counts of events in one coding only, and the measures
        per dimension, as ``compare`` gives them overall."""
        overall = [Counter() for _ in self.dims]
        for pairs, _, _ in self.firms.values():
            for (va, vb), c in pairs.items():
                for i in range(len(self.dims)):
                    overall[i][(va[i], vb[i])] += c
        only_theirs = sum(n for _, _, n in self.firms.values()) + sum(
            len(evs) for fid, evs in self.theirs.items() if fid not in self.firms)
        return {"units": sum(sum(p.values()) for p, _, _ in self.firms.values()),
                "only_in_a": sum(n for _, n, _ in self.firms.values()), "only_in_b": only_theirs,
                "dimensions": {d: measure_counts(d, overall[i], self.labeller) for i, d in enumerate(self.dims)}}


class ValuePicker(QDialog):
    """Set another: the framework's values for one dimension, each with
    its definition; one to choose, or (for a set) any number to tick."""

    def __init__(self, title: str, options: list[tuple], multi: bool, chosen: list, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.multi = multi
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Tick the values (Space ticks), then press Enter:" if multi
                                else "Choose the value, then press Enter:"))
        self.list = QListWidget()
        self.list.setAccessibleName(title)
        for value, label, definition in options:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setToolTip(definition)
            if multi:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if value in chosen else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        layout.addWidget(self.list, 1)
        self.definition = QLabel()
        self.definition.setWordWrap(True)
        self.definition.setMinimumHeight(60)
        self.definition.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.definition)
        self.list.currentRowChanged.connect(
            lambda row: self.definition.setText(self.list.item(row).toolTip() if row >= 0 else ""))
        at = next((i for i, (v, _, _) in enumerate(options) if v in chosen), 0)
        self.list.setCurrentRow(at)
        if not multi:  # Enter reaches the OK button; a double click chooses too
            self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout.addWidget(box)
        self.resize(480, min(560, 230 + 26 * len(options)))

    def value(self):
        if self.multi:
            return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
                    if self.list.item(i).checkState() == Qt.CheckState.Checked]
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)


class CompareDialog(QDialog):
    """The disagreements between this study (mine) and another coding (theirs)."""

    def firm_coding(self, firm_id: str) -> list[dict]:
        """One firm's events as they stand, read through the session, with
        what ``core.agreement`` compares of them (id and coding)."""
        return [{k: e[k] for k in CODING if k in e} for e in self.session.objects("events", firm_id)]

    def __init__(self, controller, other_path: str | Path, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.session = controller.session
        self.other = Path(other_path)
        if self.other.resolve() == Path(self.session.path).resolve():
            raise InputError(f"{self.other}: that is the study open here; choose the other coder's file")
        theirs = coders.read_format(self.other)
        mine = coders.read_coding(self.session.path)
        self.result = compare(mine, theirs)
        # the agreement as the study now stands: counted from the coding read at opening at the
        # first edit, each firm read again through the session when an edit touches its events
        self.standing: _Standing | None = None
        self._mine_at_opening = mine
        self._stale: set[str] = set()  # firms whose events changed since the summary was measured
        self._stale_all = False  # the list of firms (or the study's codes) changed
        if self.result["units"] == 0:
            raise InputError(f"{self.other}: has none of this study's events (matched by firm and event id); "
                             f"is it a coding of the same study?")
        self.rows: list[dict] = self.result["disagreements"]
        self.theirs = theirs
        self.their_events = {(f["id"], e["id"]): e for f in theirs.get("firms", ()) for e in f.get("events", ())}
        self.their_codes = {c["id"]: c for c in theirs.get("codes", ())}
        self.firm_names = {f["id"]: f.get("name", f["id"]) for f in self.session.firms()}
        self.firm_names.update({f["id"]: f.get("name", f["id"]) for f in theirs.get("firms", ())
                                if f["id"] not in self.firm_names})
        self.decisions: dict[int, list[tuple[str, object, E.Edit]]] = {}
        # events in one coding only: (side, firm, event) per row, and the choices made on each
        self.only_rows: list[tuple[str, str, str]] = []
        self.only_decisions: dict[int, list[tuple[str, E.Edit]]] = {}
        self._coder = Coder()
        self._labels: dict[tuple, str] = {}  # (dimension, value) -> label, while the list is filled
        self._codes: dict | None = None
        self.setWindowTitle(f"Compare with another coding — {self.other.name}")
        self.summary_timer = QTimer(self)  # measures the agreement again once the choices pause
        self.summary_timer.setSingleShot(True)
        self.summary_timer.setInterval(SUMMARY_DELAY_MS)
        self.summary_timer.timeout.connect(self.refresh_summary)
        self._build()
        self._fill()
        controller.undo_stack.indexChanged.connect(self._history_moved)
        controller.changed.connect(self._study_changed)
        self.finished.connect(lambda _=0: self._detach())
        self.resize(*fit_to_screen(1280, 720))

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        r = self.result
        self.header = QLabel()
        self.header.setWordWrap(True)
        layout.addWidget(self.header)
        self.summary = QTableWidget(4, 0)
        self.summary.setAccessibleName("Agreement per dimension")
        self.summary.setVerticalHeaderLabels(["Units", "Agreement", "Cohen's κ", "Krippendorff's α"])
        self.summary.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.summary.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._show_summary(r)
        self.summary.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.summary.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.summary.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.summary.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.summary.resizeRowsToContents()
        self.summary.setFixedHeight(self.summary.horizontalHeader().sizeHint().height()
                                    + sum(self.summary.rowHeight(r) for r in range(4))
                                    + 2 * self.summary.frameWidth())
        layout.addWidget(self.summary)

        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.list_label = QLabel()
        ll.addWidget(self.list_label)
        self.list = QTreeWidget()
        self.list.setAccessibleName("Disagreements")
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAllColumnsShowFocus(True)
        self.list.setHeaderLabels(["Event", "Dimension", "Mine", "Theirs", "Decision"])
        # the event's name takes what room is left; the rest keep their widths, Decision always in view
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col, width in enumerate((0, 130, 110, 110, 120)):
            if col:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
                self.list.setColumnWidth(col, width)
        self.list.currentItemChanged.connect(lambda *_: self._show_detail())
        ll.addWidget(self.list, 3)
        self.only_label = QLabel("<b>Events in one coding only</b>")
        ll.addWidget(self.only_label)
        self.only = QListWidget()
        self.only.setAccessibleName("Events in one coding only")
        self.only.setMaximumHeight(110)
        self.only.currentRowChanged.connect(lambda _row: self._show_only_detail())
        ll.addWidget(self.only)
        orow = QHBoxLayout()
        self.only_buttons: dict[str, QPushButton] = {}
        for name, text, tip in (
                ("bring", "&Bring into this study",
                 "Add their event to this study at its place in time order, with its coding and the sources, "
                 "routines and codes it names that this study lacks (Alt+B)"),
                ("remove", "&Remove from this study", "Delete my event, which the other coding does not have (Alt+R)"),
                ("keep", "&Keep in this study", "Keep my event, which the other coding does not have (Alt+K)")):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.setAutoDefault(False)
            b.setEnabled(False)
            b.clicked.connect(lambda _=False, n=name: self.choose_only(n))
            self.only_buttons[name] = b
            orow.addWidget(b)
        orow.addStretch()
        ll.addLayout(orow)
        self.list.installEventFilter(self)
        self.only.installEventFilter(self)
        split.addWidget(left)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        self.detail = QTextBrowser()
        self.detail.setAccessibleName("The event, both codings and what they mean")
        self.detail.setOpenLinks(False)
        rl.addWidget(self.detail, 1)
        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for name, text, tip in (("mine", "Keep &mine", "Keep this study's coding (Alt+M)"),
                                ("theirs", "Take &theirs", "Take the other coder's coding (Alt+T)"),
                                ("other", "&Set another…", "Choose another value of the framework (Alt+S)")):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.setAutoDefault(False)
            b.clicked.connect(lambda _=False, n=name: self.choose(n))
            self.buttons[name] = b
            row.addWidget(b)
        row.addStretch()
        self.undo_button = QPushButton("&Undo")
        self.undo_button.setToolTip("Take back the last choice (Ctrl+Z)")
        self.undo_button.setAutoDefault(False)
        self.undo_button.clicked.connect(lambda: self.controller.undo_stack.undo())
        row.addWidget(self.undo_button)
        rl.addLayout(row)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([780, 500])
        layout.addWidget(split, 1)

        foot = QHBoxLayout()
        self.status = QLabel()
        self.status.setWordWrap(True)
        foot.addWidget(self.status, 1)
        close = QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.close)
        foot.addWidget(close)
        layout.addLayout(foot)

        add_undo_keys(self, self.controller)

    def _show_summary(self, r: dict) -> None:
        """The header line and the agreement table of a comparison result."""
        self.summary_result = r
        only_a, only_b = (len(x) if isinstance(x, list) else x for x in (r["only_in_a"], r["only_in_b"]))
        self.header.setText(
            f"<b>Mine</b>: this study ({html.escape(Path(self.session.path).name)}) &nbsp;·&nbsp; "
            f"<b>Theirs</b>: {html.escape(self.other.name)} &nbsp;·&nbsp; {r['units']} events in both, "
            f"{only_a} only in mine, {only_b} only in theirs. "
            f"Agreement of this study as it now stands with theirs:")
        dims = list(r["dimensions"])
        if self.summary.columnCount() != len(dims):
            self.summary.setColumnCount(len(dims))
        # long names on two lines, so that every column fits a laptop's width
        self.summary.setHorizontalHeaderLabels([_two_lines(LABELS.get(d, d)) for d in dims])
        for c, d in enumerate(dims):
            m = r["dimensions"][d]
            for row, text in enumerate((str(m["units"]), _pct(m["agreement"]), _num(m["cohen_kappa"]),
                                        _num(m["krippendorff_alpha"]))):
                item = self.summary.item(row, c)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.summary.setItem(row, c, item)
                item.setText(text)

    def _study_changed(self, firm_id: str, table: str) -> None:
        """An edit (a choice here, an undo, a redo, or an edit in the main
        window): note what the summary must read again, and measure it once
        the edits pause."""
        if table == "events" and firm_id:
            self._stale.add(firm_id)
        elif table in ("firms", "codes") and not firm_id:
            self._stale_all = True
        else:
            return
        self.summary_timer.start()

    def refresh_summary(self) -> None:
        """Measure the agreement of the study as it now stands against
        theirs: the firms whose events changed are read again through the
        session (all of them when the firms or the codes changed), the others
        are counted as before."""
        self.summary_timer.stop()
        if self.session.closed:
            return
        try:
            if self.standing is None:  # the first edit: count the coding as read at opening
                self.standing, self._mine_at_opening = _Standing(self.theirs, self._mine_at_opening), None
            firms = [f["id"] for f in self.session.firms()]
            if self._stale_all:
                has_codes = bool(self.session.objects("codes", None))
                stale = set(firms) | set(self.standing.firms) if self.standing.set_codes(has_codes) \
                    else (set(firms) ^ set(self.standing.firms)) | self._stale
            else:
                stale = self._stale
            self._stale, self._stale_all = set(), False
            present = set(firms)
            for fid in stale:
                self.standing.update(fid, self.firm_coding(fid) if fid in present else None)
        except WorkbenchError:
            return  # the summary stays as it was; the list and the detail say what is wrong
        self._show_summary(self.standing.result())

    def _fill(self) -> None:
        titles: dict[tuple, str] = {}
        by_firm: dict[str, set] = {}
        for d in self.rows:
            by_firm.setdefault(d["firm"], set()).add(d["event"])
        for only in self.result["only_in_a"]:
            by_firm.setdefault(only["firm"], set()).add(only["event"])
        for firm, ids in by_firm.items():
            for eid, ev in self.session.events_by_id(firm, sorted(ids)).items():
                titles[(firm, eid)] = ev.get("title", "")
        items = []
        for d in self.rows:
            title = titles.get((d["firm"], d["event"]), "")
            item = QTreeWidgetItem([f"{self.firm_names.get(d['firm'], d['firm'])} · {d['event']} {title}",
                                    LABELS.get(d["dimension"], d["dimension"]),
                                    self.words(d["dimension"], d["a"]), self.words(d["dimension"], d["b"]), ""])
            item.setToolTip(0, f"{d['firm']}.{d['event']}: {title}")
            items.append(item)
        self.list.addTopLevelItems(items)
        n = len(self.rows)
        self.list_label.setText(f"<b>{n} disagreement{'s' if n != 1 else ''}</b> — ↑/↓ to move; "
                                f"Alt+M keep mine, Alt+T take theirs, Alt+S set another; Ctrl+Z undoes")
        for side, key in (("mine", "only_in_a"), ("theirs", "only_in_b")):
            for only in self.result[key]:
                self.only_rows.append((side, only["firm"], only["event"]))
                self.only.addItem(self._only_text(len(self.only_rows) - 1, titles))
        if not self.only.count():
            item = QListWidgetItem("(none: both codings have the same events)")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.only.addItem(item)
        if items:
            self.list.setCurrentItem(items[0])
        else:
            self.detail.setHtml("<p>The two codings agree on every event both have coded.</p>")
        self._update_status()

    # ------------------------------------------------------------------ words

    def codes(self) -> dict:
        out = dict(self.their_codes)
        out.update({c["id"]: c for c in self.session.objects("codes", None)})
        return out

    def words(self, dim: str, value) -> str:
        """A value as a person reads it: labels, a set joined with +."""
        if value is None or value == []:
            return "(uncoded)"
        if isinstance(value, list):
            return " + ".join(self.label(dim, v) for v in value)
        return self.label(dim, value)

    def label(self, dim: str, value) -> str:
        key = (dim, value)
        found = self._labels.get(key)
        if found is None:
            if self._codes is None:
                self._codes = self.codes()
            found = self._labels[key] = coders.meaning(dim, value, self._codes)[0]
        return found

    def current(self, dim: str, event: dict):
        """What the study holds now on one dimension (a set as a list)."""
        value = self._coder.value(event, dim)
        if isinstance(value, frozenset):
            stored = event.get(FIELD[dim]) or []
            return [v for v in stored if v in value]
        return value

    # ------------------------------------------------------------------ state

    def decision(self, row: int) -> tuple[str, object] | None:
        """The choice made on a row that stands in the study now (not undone)."""
        for kind, value, edit in reversed(self.decisions.get(row, ())):
            if self.session.is_applied(edit):
                return kind, value
        return None

    def decision_text(self, row: int) -> str:
        found = self.decision(row)
        if found is None:
            return ""
        kind, value = found
        if kind == "other":
            return f"Set: {self.words(self.rows[row]['dimension'], value)}"
        return DECIDED[kind]

    def decided(self) -> int:
        return sum(1 for row in self.decisions if self.decision(row) is not None)

    def only_decision(self, row: int) -> str | None:
        """The choice made on an event in one coding only that stands in the study now."""
        for kind, edit in reversed(self.only_decisions.get(row, ())):
            if self.session.is_applied(edit):
                return kind
        return None

    def _only_text(self, row: int, titles: dict | None = None) -> str:
        side, firm, eid = self.only_rows[row]
        if side == "theirs":
            title = self.their_events.get((firm, eid), {}).get("title", "")
        elif titles and (firm, eid) in titles:
            title = titles[(firm, eid)]
        else:
            title = self.session.events_by_id(firm, [eid]).get(eid, {}).get("title", "")
        text = f"Only in {side}: {self.firm_names.get(firm, firm)} · {eid} {title}"
        kind = self.only_decision(row)
        return f"{text} — {ONLY_DONE[kind]}" if kind else text

    def _history_moved(self, _index: int = 0) -> None:
        if self.session.closed:
            return
        self._labels, self._codes = {}, None  # a code may have been renamed or added
        for row in self.decisions:
            self.list.topLevelItem(row).setText(4, self.decision_text(row))
        for row in self.only_decisions:
            self.only.item(row).setText(self._only_text(row, self._titles_of_removed(row)))
        if self._showing_only:
            self._show_only_detail()
        else:
            self._show_detail()
        self._update_status()

    def _titles_of_removed(self, row: int) -> dict:
        """A removed event of mine has its title from the edit that removed it."""
        side, firm, eid = self.only_rows[row]
        for _kind, edit in self.only_decisions.get(row, ()):
            for e in E.primitives(edit):
                if isinstance(e, E.Remove) and e.table == "events" and e.obj.get("id") == eid:
                    return {(firm, eid): e.obj.get("title", "")}
        return {}

    def _update_status(self) -> None:
        n, done = len(self.rows), self.decided()
        if n and done == n:
            text = (f"All {n} disagreements decided: this study is now the consensus coding. "
                    f"Every change is saved to {Path(self.session.path).name}; Ctrl+Z takes back the last.")
        elif not n:
            text = "The two codings agree on every event both have coded."
        else:
            text = f"Decided {done} of {n}. Each choice is one step of Edit → Undo (Ctrl+Z here)."
        if self.only_rows:
            settled = sum(1 for row in self.only_decisions if self.only_decision(row) is not None)
            text += (f" Events in one coding only: {settled} of {len(self.only_rows)} settled "
                     f"(Alt+B brings theirs in; Alt+R removes mine, Alt+K keeps it).")
        self.status.setText(text)

    def _detach(self) -> None:
        self.summary_timer.stop()
        for signal, slot in ((self.controller.undo_stack.indexChanged, self._history_moved),
                             (self.controller.changed, self._study_changed)):
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass

    # ------------------------------------------------------------------ the detail

    _showing_only = False  # the detail shows an event of one coding only (not a disagreement)

    def eventFilter(self, watched, event):  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.FocusIn and not self.session.closed:
            if watched is self.only and self.only_row() >= 0:
                self._show_only_detail()
            elif watched is self.list and self._showing_only:
                self._show_detail()
        return super().eventFilter(watched, event)

    def _show_detail(self) -> None:
        self._showing_only = False
        for b in self.only_buttons.values():
            b.setEnabled(False)
        row = self.list.indexOfTopLevelItem(self.list.currentItem()) if self.list.currentItem() else -1
        for b in self.buttons.values():
            b.setEnabled(row >= 0 and not self.session.read_only)
        if row < 0 or self.session.closed:
            return
        d = self.rows[row]
        dim, firm, eid = d["dimension"], d["firm"], d["event"]
        try:
            ev = self.session.get("events", firm, eid)
        except WorkbenchError:
            self.detail.setHtml(f"<p>Event {html.escape(eid)} is no longer in firm {html.escape(firm)}.</p>")
            for b in self.buttons.values():
                b.setEnabled(False)
            return
        e = html.escape
        theirs = self.their_events.get((firm, eid), {})
        parts = [f"<h3>{e(self.firm_names.get(firm, firm))} — event {e(eid)}: {e(ev.get('title', ''))}</h3>"]
        if ev.get("date") or ev.get("when"):
            parts.append(f"<p><i>{e(ev.get('when') or ev.get('date'))}</i></p>")
        if ev.get("description"):
            parts.append(f"<p>{e(ev['description'])}</p>")
        now = self.current(dim, ev)
        decided = self.decision_text(row)
        parts.append(
            f"<p><b>{e(LABELS.get(dim, dim))}</b></p>"
            "<table cellspacing='0' cellpadding='4' border='1' style='border-collapse:collapse'>"
            f"<tr><th align='left'>Mine</th><td>{e(self.words(dim, d['a']))}</td></tr>"
            f"<tr><th align='left'>Theirs</th><td>{e(self.words(dim, d['b']))}</td></tr>"
            f"<tr><th align='left'>Now in this study</th><td>{e(self.words(dim, now))}</td></tr></table>")
        parts.append(f"<p><b>Decision:</b> {e(decided) if decided else 'not decided yet'}</p>")
        meanings = []
        codes = self.codes()
        for who, value in (("mine", d["a"]), ("theirs", d["b"])):
            for v in (value if isinstance(value, list) else [value]):
                label, definition = coders.meaning(dim, v, codes)
                entry = (label, definition)
                if definition and entry not in [m[1:] for m in meanings]:
                    meanings.append((who, label, definition))
        if meanings:
            parts.append("<h4>What the codes mean</h4>")
            parts += [f"<p><b>{e(label)}</b> <i>({who})</i>: {e(definition)}</p>" for who, label, definition in meanings]
        quotes = ev.get("evidence") or []
        mine_quotes = {q.get("quote") for q in quotes}
        extra = [q for q in theirs.get("evidence") or () if q.get("quote") not in mine_quotes]
        if quotes or extra:
            parts.append("<h4>The evidence</h4>")
            for q, note in [(q, "") for q in quotes] + [(q, " <i>(in theirs only)</i>") for q in extra]:
                who = f" — {e(q['speaker'])}" if q.get("speaker") else ""
                parts.append(f"<p>“{e(q.get('quote', ''))}”{who}{note}</p>")
        else:
            parts.append("<p><i>No evidence quoted for this event.</i></p>")
        self.detail.setHtml("".join(parts))

    def only_row(self) -> int:
        row = self.only.currentRow()
        return row if 0 <= row < len(self.only_rows) else -1

    def _show_only_detail(self) -> None:
        """The detail pane for an event of one coding only: the event, its
        coding, and what bringing it in would add (or why it cannot)."""
        row = self.only_row()
        if row < 0 or self.session.closed:
            return
        self._showing_only = True
        for b in self.buttons.values():
            b.setEnabled(False)
        side, firm, eid = self.only_rows[row]
        e = html.escape
        writable = not self.session.read_only
        in_study = eid in self.session.events_by_id(firm, [eid]) if firm in self.session_firms() else False
        kind = self.only_decision(row)
        if side == "theirs":
            ev = self.their_events[(firm, eid)]
            self.only_buttons["bring"].setEnabled(writable and not in_study)
            self.only_buttons["remove"].setEnabled(False)
            self.only_buttons["keep"].setEnabled(False)
        else:
            ev = self.session.get("events", firm, eid) if in_study else \
                next((e.obj for _k, edit in self.only_decisions.get(row, ()) for e in E.primitives(edit)
                      if isinstance(e, E.Remove) and e.table == "events" and e.obj.get("id") == eid), {"id": eid})
            self.only_buttons["bring"].setEnabled(False)
            self.only_buttons["remove"].setEnabled(writable and in_study)
            self.only_buttons["keep"].setEnabled(writable and in_study and kind != "keep")
        where = "their coding only" if side == "theirs" else "this study only (mine)"
        parts = [f"<h3>{e(self.firm_names.get(firm, firm))} — event {e(eid)}: {e(ev.get('title', ''))}</h3>",
                 f"<p><i>In {where}.</i></p>"]
        if ev.get("date") or ev.get("when"):
            parts.append(f"<p><i>{e(' · '.join(v for v in (ev.get('date'), ev.get('when')) if v))}</i></p>")
        if ev.get("description"):
            parts.append(f"<p>{e(ev['description'])}</p>")
        rows = []
        for dim, value in (("stages", ev.get("stages")), ("level", ev.get("level")),
                           ("learning_types", ev.get("learning_types")), ("phase", ev.get("phase")),
                           ("critical", bool(ev.get("critical"))), ("codes", ev.get("codes"))):
            if dim == "codes" and not value:
                continue
            rows.append(f"<tr><th align='left'>{e(LABELS.get(dim, dim))}</th><td>{e(self.words(dim, value))}</td></tr>")
        parts.append("<table cellspacing='0' cellpadding='4' border='1' style='border-collapse:collapse'>"
                     + "".join(rows) + "</table>")
        their_firm = next((f for f in self.theirs.get("firms", ()) if f["id"] == firm), {})
        for field, what in (("sources", "Sources"), ("routines", "Routines")):
            if ev.get(field):
                names = {o["id"]: o.get("name", o["id"]) for o in their_firm.get(field) or ()}
                if firm in self.session_firms():
                    names.update({o["id"]: o.get("name", o["id"]) for o in self.session.objects(field, firm)})
                parts.append(f"<p><b>{what}:</b> {e(', '.join(names.get(x, x) for x in ev[field]))}</p>")
        if kind:
            parts.append(f"<p><b>Decision:</b> {e(ONLY_DONE[kind])}</p>")
        elif side == "theirs" and in_study:
            parts.append("<p><b>This study has an event with this id now.</b></p>")
        elif side == "theirs":
            try:
                _steps, added = self._bring_steps(firm, eid)
                if added:
                    parts.append(f"<p><b>Bringing it in also adds</b> {e(', '.join(added))} (from their file).</p>")
            except InputError as exc:
                parts.append(f"<p><b>It cannot be brought in:</b> {e(exc.message)}</p>")
        quotes = ev.get("evidence") or []
        if quotes:
            parts.append("<h4>The evidence</h4>")
            for q in quotes:
                who = f" — {e(q['speaker'])}" if q.get("speaker") else ""
                parts.append(f"<p>“{e(q.get('quote', ''))}”{who}</p>")
        else:
            parts.append("<p><i>No evidence quoted for this event.</i></p>")
        self.detail.setHtml("".join(parts))

    def session_firms(self) -> set:
        return {f["id"] for f in self.session.firms()}

    def _bring_steps(self, firm: str, eid: str) -> tuple[list, list[str]]:
        """The edits that bring their event into the study, and what else
        they add in words; InputError says what stands in the way."""
        ev = copy.deepcopy(self.their_events[(firm, eid)])
        what = f"event {eid} ({ev.get('title', '')})" if ev.get("title") else f"event {eid}"
        if firm not in self.session_firms():
            raise InputError(f"cannot bring {what} in: firm {firm!r} ({self.firm_names.get(firm, firm)}) "
                             f"is not in this study")
        if eid in self.session.events_by_id(firm, [eid]):
            raise InputError(f"cannot bring {what} in: firm {firm!r} of this study has an event {eid!r} already")
        their_firm = next(f for f in self.theirs.get("firms", ()) if f["id"] == firm)
        theirs_of = {t: {o["id"]: o for o in their_firm.get(t) or ()} for t in ("sources", "routines")}
        theirs_of["codes"] = dict(self.their_codes)
        have = {t: {o["id"] for o in self.session.objects(t, firm)} for t in ("sources", "routines")}
        have["codes"] = {c["id"] for c in self.session.objects("codes", None)}
        counts = {t: len(ids) for t, ids in have.items()}
        steps: list = []
        added: list[str] = []
        missing: list[str] = []

        def need(table: str, ident, why: str) -> None:
            if not isinstance(ident, str) or ident in have[table]:
                return
            obj = theirs_of[table].get(ident)
            if obj is None:
                missing.append(f"{table[:-1]} {ident!r} ({why}), which neither this study nor their file holds")
                return
            have[table].add(ident)
            steps.append(E.Insert(table, None if table == "codes" else firm, copy.deepcopy(obj), counts[table]))
            counts[table] += 1
            added.append(f"{table[:-1]} {ident!r}" + (f" ({obj['name']})" if obj.get("name") else ""))
            if table == "sources":
                need("sources", obj.get("via"), f"the source {ident!r} came through")
            elif table == "routines":
                for sid in obj.get("sources") or ():
                    need("sources", sid, f"named by routine {ident!r}")
            elif table == "codes":
                need("codes", obj.get("parent"), f"the code above {ident!r}")

        for sid in ev.get("sources") or ():
            need("sources", sid, "named by the event")
        for rid in ev.get("routines") or ():
            need("routines", rid, "named by the event")
        for cid in ev.get("codes") or ():
            need("codes", cid, "applied to the event")
        documents = {d["id"] for d in self.session.document_list()}
        lacking = []
        for q in ev.get("evidence") or ():
            for cid in q.get("codes") or ():
                need("codes", cid, "applied to a quote")
            if q.get("document") and q["document"] not in documents and q["document"] not in lacking:
                lacking.append(q["document"])
        missing += [f"document {d!r}, which it quotes and this study does not hold (add that document to this "
                    f"study first)" for d in lacking]
        if missing:
            raise InputError(f"cannot bring {what} in: it names " + "; ".join(missing))
        # its place in time order: after the event before it in their coding that this study has
        # (before the next one if none), then moved past dated events it would be out of order with
        mine = self.session.objects("events", firm)
        at = {ev_["id"]: i for i, ev_ in enumerate(mine)}
        order = [x["id"] for x in their_firm.get("events", ())]
        i = order.index(eid)
        before = next((at[x] for x in reversed(order[:i]) if x in at), None)
        after = next((at[x] for x in order[i + 1:] if x in at), None)
        position = before + 1 if before is not None else after if after is not None else len(mine)
        date = ev.get("date")
        while position > 0 and _earlier(date, mine[position - 1].get("date")):
            position -= 1
        while position < len(mine) and _earlier(mine[position].get("date"), date):
            position += 1
        steps.append(E.Insert("events", firm, ev, position))
        # their "led to" links between it and events this study has
        links = self.session.links(firm)
        new = [dict(ln) for ln in their_firm.get("links") or ()
               if eid in (ln.get("from"), ln.get("to")) and ({ln.get("from"), ln.get("to")} - {eid}) <= set(at)
               and not any((o["from"], o["to"]) == (ln["from"], ln["to"]) for o in links)]
        if new:
            steps.append(E.SetLinks(firm, tuple(links) + tuple(new), tuple(links)))
            added.append(f"{len(new)} “led to” link{'s' if len(new) != 1 else ''}")
        return steps, added

    def choose_only(self, kind: str) -> bool:
        """On an event in one coding only: bring theirs in, remove or keep mine."""
        row = self.only_row()
        if row < 0:
            return False
        if self.session.closed:
            self.close()
            return False
        side, firm, eid = self.only_rows[row]
        if (side == "theirs") != (kind == "bring"):
            return False
        try:
            if kind == "bring":
                steps, added = self._bring_steps(firm, eid)
                text = f"Bring in their event {firm}.{eid}"
            elif kind == "remove":
                steps, added = [self.session._delete_edit("events", firm, eid)], []
                text = f"Remove my event {firm}.{eid}"
            else:
                self.session.get("events", firm, eid)
                steps, added, text = [], [], f"Keep my event {firm}.{eid}"
        except WorkbenchError as exc:
            self.controller.error.emit(exc.message)
            return False
        edit = E.Compound(text, tuple(steps))
        if not self.controller.apply(edit, text) or not self.session.is_applied(edit):
            return False
        self.only_decisions.setdefault(row, []).append((kind, edit))
        self._history_moved()
        self.status.setText(f"{text}" + (f", with {', '.join(added)}" if added else "")
                            + ". " + self.status.text())
        self.only.setFocus()
        return True

    # ------------------------------------------------------------------ choosing

    def current_row(self) -> int:
        item = self.list.currentItem()
        return self.list.indexOfTopLevelItem(item) if item is not None else -1

    def choose(self, kind: str) -> None:
        """Keep mine, take theirs, or (``other``) ask for another value."""
        row = self.current_row()
        if row < 0:
            return
        if self.session.closed:
            self.close()
            return
        d = self.rows[row]
        if kind == "other":
            self._pick(row)
            return
        value = d["b"] if kind == "theirs" else d["a"]
        if kind == "theirs" and d["dimension"] in SETS:  # their own order: the first is their primary
            stored = self.their_events.get((d["firm"], d["event"]), {}).get(FIELD[d["dimension"]]) or []
            value = [v for v in stored if v in value] + [v for v in value if v not in stored]
        self.decide(row, kind, value)

    def _pick(self, row: int) -> None:
        d = self.rows[row]
        dim = d["dimension"]
        try:
            ev = self.session.get("events", d["firm"], d["event"])
        except WorkbenchError as exc:
            self.controller.error.emit(exc.message)
            return
        now = self.current(dim, ev)
        chosen = now if isinstance(now, list) else [now]
        picker = ValuePicker(f"{LABELS.get(dim, dim)} of {d['firm']}.{d['event']}", self.options(dim),
                             dim in SETS, chosen, self)
        picker.accepted.connect(lambda: self._picked(row, picker.value()))
        picker.finished.connect(lambda _=0: picker.deleteLater())
        self.picker = picker
        picker.open()

    def _picked(self, row: int, value) -> None:
        if value is None or value == []:
            self.status.setText("Nothing was chosen, so nothing was changed.")
            return
        self.decide(row, "other", value)

    def options(self, dim: str) -> list[tuple]:
        """The values one dimension may take: (value, label, definition)."""
        voc = vocabulary()
        if dim in ("primary_stage", "stages"):
            return [(s.id, s.label, s.definition) for s in self.session.framework.stages]
        if dim == "level":
            return [(t.id, t.label, t.definition or coders.meaning(dim, t.id)[1]) for t in self.session.framework.levels]
        if dim in ("primary_learning_type", "learning_types"):
            return [(t.id, t.label, t.definition) for t in voc.learning_types]
        if dim == "phase":
            return [(t.id, t.label, t.definition) for t in voc.phases]
        if dim == "critical":
            return [(v, *coders.meaning(dim, v)) for v in (True, False)]
        return [(c["id"], c.get("name", c["id"]), c.get("description", ""))
                for c in self.session.objects("codes", None)]

    def decide(self, row: int, kind: str, value) -> bool:
        """Make one choice as one step of the study's history."""
        d = self.rows[row]
        dim, firm, eid = d["dimension"], d["firm"], d["event"]
        what = f"{firm}.{eid} {LABELS.get(dim, dim).lower()}"
        text = {"mine": f"Keep mine: {what}", "theirs": f"Take theirs: {what}",
                "other": f"Set {what} to {self.words(dim, value)}"}[kind]
        try:
            ev = self.session.get("events", firm, eid)
            steps = () if kind == "mine" else tuple(self._steps(firm, eid, ev, dim, value))
        except WorkbenchError as exc:
            self.controller.error.emit(exc.message)
            return False
        edit = E.Compound(text, steps)
        if not self.controller.apply(edit, text) or not self.session.is_applied(edit):
            return False
        self.decisions.setdefault(row, []).append((kind, value, edit))
        self._history_moved()
        self._next_undecided(row)
        return True

    def _steps(self, firm: str, eid: str, ev: dict, dim: str, value) -> list:
        """The edits that give an event ``value`` on one dimension; the other
        dimensions stored in the same field are kept where they can be (a
        new set keeps the primary stage when it holds it)."""
        field = FIELD[dim]
        old = ev.get(field)
        cur = list(old or [])
        steps: list = []
        if dim in PRIMARY:
            new = [value] + [v for v in cur if v != value]
        elif dim in ("stages", "learning_types"):
            keep = cur[0] if cur and cur[0] in value else None
            new = ([keep] if keep else []) + [v for v in value if v != keep]
        elif dim == "codes":
            new = list(value)
            mine = {c["id"] for c in self.session.objects("codes", None)}
            n = len(mine)
            for code in new:
                if code not in mine and code in self.their_codes:  # their code comes with it
                    steps.append(E.Insert("codes", None, self.their_codes[code], n))
                    n += 1
        elif dim == "critical":
            new = True if value else None
        else:
            new = value
        steps.append(E.SetField("events", firm, eid, field, new if new not in ([], "") else None, old))
        return steps

    def _next_undecided(self, row: int) -> None:
        n = len(self.rows)
        for step in range(1, n + 1):
            r = (row + step) % n
            if self.decision(r) is None:
                self.list.setCurrentItem(self.list.topLevelItem(r))
                return


def _two_lines(text: str) -> str:
    """A column heading broken at its middle space when it is long."""
    if len(text) < 16 or " " not in text:
        return text
    spaces = [i for i, c in enumerate(text) if c == " "]
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return text[:cut] + "\n" + text[cut + 1:]
